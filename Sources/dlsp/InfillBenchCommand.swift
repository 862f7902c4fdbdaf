import ArgumentParser
import Engine
import Features
import Foundation
import Syntax

/// `dlsp bench infill`: held-out infill quality through the editor's completion path.
struct InfillBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infill",
        abstract: "Exact match of single-line holes and the share of multi-line fills that leave the file parsing, "
            + "per language, beside trivial baselines, through the same path as editor completions.",
        discussion: """
            HOLES is JSON Lines, one hole per line: {"language", "path", "prefix", "middle", "suffix", "kind"} with
            kind "line" or "block"; `Training/eval_infill.py --write-holes FILE` writes them from the held-out
            repositories. Each hole's file is completed alone \
            (no workspace index, so no snippets of other files), unless
            the hole names its repository's folder as "workspace" (relative to HOLES; `eval_infill.py --workspaces`
            writes them): that folder is then indexed, as an editor's workspace would be, with the hole's file as
            the editor holds it (the hole left empty).
            """)

    @Argument(help: "The holes (JSON Lines).") var holes: String
    @Option(help: "Model directory, .gguf file or pulled ORG/NAME (default: the embedded model).") var model: String?
    @Option(help: "Evaluate at most this many holes.") var limit: Int?
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "A completion setting against its default, as NAME=VALUE (repeatable): "
                + "\(CompletionSettings.table.map(\.name).joined(separator: ", ")). "
                + "`dlsp settings` lists what each does.",
            valueName: "name=value"))
    var assignments: [String] = []
    @Option(
        help: ArgumentHelp(
            "Offer only suggestions at least this confident (default 0: every suggestion is scored; the curve below "
                + "shows what a floor would do). The same as --set invokedMinConfidence=X."))
    var minConfidence: Float = 0
    @Flag(
        help: ArgumentHelp(
            "Record every whole-line hole's ranked-line candidates and features in the JSON (`rankerHoles`), with the "
                + "ranker off, for Training/fit_line_ranker.py."))
    var recordRankerCandidates = false
    @Option(
        help: ArgumentHelp(
            "Suggestions asked for per single-line hole, as an explicit invocation asks for several; the table then "
                + "also counts holes whose line is among them."))
    var suggestions = 1
    @Flag(
        help: ArgumentHelp(
            "Also fill each hole with the exact sampler (no dual cache, no context reuse) and report how often the "
                + "suggestions agree."))
    var compareExact = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let lines: [Substring]
        do { lines = try String(contentsOfFile: holes, encoding: .utf8).split(separator: "\n") } catch {
            throw ValidationError("cannot read \(holes): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        var parsed: [EvaluationHole] = []
        for (n, line) in lines.enumerated() {
            do { parsed.append(try decoder.decode(EvaluationHole.self, from: Data(line.utf8))) } catch {
                throw ValidationError("\(holes):\(n + 1): not a hole: \(error)")
            }
        }
        if let limit { parsed = Array(parsed.prefix(limit)) }
        let path: String
        switch ModelLocator.locate(explicit: model) {
        case .success(let found): path = found
        case .failure(let error): throw ValidationError(error.description)
        }
        let engine = try Engine.load(directory: path)
        let registry = try? LanguageRegistry(locations: try GrammarLocations.resolve())
        let context: any InfillContextProvider =
            registry.map { SyntaxContext(registry: $0, index: nil) }
            ?? PlainTextContext()
        var evaluation = InfillEvaluation(
            service: CompletionService(backend: try EmbeddedBackend(engine: engine)),
            context: context, registry: registry)
        // The evaluation asks, as a user invoking would, so only this floor drops suggestions; the as-you-type
        // floors stay the server's and mark what typing would not offer (`ScoredOutcome.offeredAtServerFloors`).
        evaluation.settings.offer.invokedMinConfidence = minConfidence
        for assignment in assignments {
            do { try CompletionSettings.table.apply(assignment: assignment, to: &evaluation.settings) } catch {
                throw ValidationError("--set \(error)")
            }
        }
        if recordRankerCandidates {
            evaluation.settings.offer.rankFileLines = false
            evaluation.recordRankerCandidates = true
        }
        evaluation.compareExact = compareExact
        evaluation.suggestionsPerHole = max(1, suggestions)
        var figures: [String: InfillEvaluation.Figures] = [:]
        let started = Date()
        let plainContext = evaluation.context
        let workspaces = registry.map {
            EvaluationWorkspaces(registry: $0, relativeTo: URL(fileURLWithPath: holes).deletingLastPathComponent())
        }
        for hole in parsed {
            if hole.workspace != nil && workspaces == nil {
                throw ValidationError("\(holes): holes with a workspace need the grammars (run scripts/setup.sh)")
            }
            do { evaluation.context = try workspaces?.context(for: hole) ?? plainContext } catch {
                throw ValidationError("\(holes): \(error)")
            }
            try evaluation.score(hole, into: &figures)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(["model": path]), as: UTF8.self))
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        let indexed = workspaces.map { $0.count > 0 ? ", \($0.count) workspaces indexed" : "" } ?? ""
        print(
            "model \(path), \(parsed.count) holes\(indexed), "
                + "\(String(format: "%.0f", Date().timeIntervalSince(started))) s"
                + "\(registry == nil ? " (no grammars: plain-text context, no parse checks)" : "")"
        )
        print(
            "| language | line holes | exact match | repeat previous line | answered | block holes (file parses) "
                + "| fill parses | empty fill parses | answered | answered: fill parses / empty parses | p50 ms |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for (language, f) in figures.sorted(by: { $0.key < $1.key }) {
            print(
                "| \(language) | \(f.lineHoles) | \(pct(f.lineExactShare)) | \(pct(f.lineBaselineShare)) "
                    + "| \(f.lineAnswered) | \(f.blockHoles) | \(pct(f.blockParseShare)) "
                    + "| \(pct(f.blockEmptyParseShare)) | \(f.blockAnswered) "
                    + "| \(pct(f.answeredBlockParseShare)) / \(pct(f.answeredBlockEmptyParseShare)) "
                    + "| \(String(format: "%.0f", f.p50Milliseconds)) |"
            )
        }
        if suggestions > 1 { printRightAmongSuggestions(figures) }
        printServerFloors(figures)
        printModelLines(figures)
        printCopies(figures)
        printSnapped(figures)
        printRepeated(figures)
        printRanked(figures)
        printCurves(figures)
        printDropsByStage(figures, stages: evaluation.service.pipeline.stageNames)
        if compareExact {
            print(
                "\n| language | holes filled both ways | same suggestion with the exact sampler "
                    + "| p50 ms cached | p50 ms exact |"
            )
            print("|---|---:|---:|---:|---:|")
            for (language, f) in figures.sorted(by: { $0.key < $1.key }) {
                print(
                    "| \(language) | \(f.exactCompared) | \(pct(f.exactAgreementShare)) "
                        + "| \(String(format: "%.0f", f.p50Milliseconds)) "
                        + "| \(String(format: "%.0f", f.exactP50Milliseconds)) |"
                )
            }
        }
    }

    /// Where the model's fills were dropped, stage by stage in the pipeline's order.
    private func printDropsByStage(_ figures: [String: InfillEvaluation.Figures], stages: [String]) {
        let languages = figures.keys.sorted()
        print("\nfills dropped, by stage of the pipeline (every attempt at every hole)")
        print("| stage | " + languages.joined(separator: " | ") + " | all |")
        print("|---|" + String(repeating: "---:|", count: languages.count + 1))
        for stage in stages where figures.values.contains(where: { $0.droppedByStage[stage] != nil }) {
            let counts = languages.map { figures[$0]?.droppedByStage[stage] ?? 0 }
            print("| \(stage) | " + counts.map(String.init).joined(separator: " | ") + " | \(counts.reduce(0, +)) |")
        }
    }

    private func pct(_ x: Double) -> String { String(format: "%.3f", x) }

    /// Each language's single-line outcomes and hole count, in name order, then all of them together as "all": the
    /// rows of every single-line table below.
    private func lineGroups(_ figures: [String: InfillEvaluation.Figures])
        -> [(language: String, outcomes: [ScoredOutcome], holes: Int)]
    {
        let rows = figures.sorted(by: { $0.key < $1.key }).map { ($0.key, $0.value.lineOutcomes, $0.value.lineHoles) }
        return rows + [("all", rows.flatMap(\.1), rows.map(\.2).reduce(0, +))]
    }

    /// Single-line holes whose line is the first suggestion against those where it is any of them.
    private func printRightAmongSuggestions(_ figures: [String: InfillEvaluation.Figures]) {
        print(
            "\nsingle-line holes, up to \(suggestions) suggestions asked for: the line first, and anywhere among them")
        print("| language | line holes | first | among them |")
        print("|---|---:|---:|---:|")
        var rows = figures.sorted(by: { $0.key < $1.key }).map {
            (
                $0.key, $0.value.lineHoles, $0.value.lineExact,
                $0.value.lineRightAmongSuggestions
            )
        }
        rows.append(("all", rows.map(\.1).reduce(0, +), rows.map(\.2).reduce(0, +), rows.map(\.3).reduce(0, +)))
        for (language, holes, first, among) in rows {
            print("| \(language) | \(holes) | \(first) | \(among) |")
        }
    }

    /// What typing would offer of the single-line suggestions with the server's own floors (per language, higher
    /// for lines the file does not have): the point of the curves below that the defaults choose.
    private func printServerFloors(_ figures: [String: InfillEvaluation.Figures]) {
        print(
            "\nsingle-line holes as you type, with the server's floors (completion.minConfidence per language for "
                + "lines of the file, newLineMinConfidence for the others)"
        )
        print("| language | offered | right | precision | coverage |")
        print("|---|---:|---:|---:|---:|")
        for (language, outcomes, holes) in lineGroups(figures) {
            let (offered, right) = outcomes.atServerFloors()
            print(
                "| \(language) | \(offered) | \(right) "
                    + "| \(String(format: "%.2f", offered == 0 ? 0 : Double(right) / Double(offered))) "
                    + "| \(String(format: "%.3f", Double(offered) / Double(max(1, holes)))) |"
            )
        }
    }

    /// The model's own lines (not repeated, not ranked): how often exactly right and how often with the right names,
    /// answered and offered as you type.
    private func printModelLines(_ figures: [String: InfillEvaluation.Figures]) {
        print(
            "\nsingle-line suggestions that are the model's own lines: exact / right identifiers / answered, "
                + "and as offered while typing"
        )
        print("| language | answered | exact | right identifiers | offered as you type | exact | right identifiers |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (language, outcomes, _) in lineGroups(figures) {
            let model = outcomes.filter(\.isModelLine), offered = model.filter(\.offeredAtServerFloors)
            let cells = [model, offered].map {
                "\($0.count) | \($0.filter(\.correct).count) | \($0.filter(\.identifiersRight).count)"
            }
            print("| \(language) | " + cells.joined(separator: " | ") + " |")
        }
    }

    /// The first suggestions split by whether they complete the line into one the file already has: how many and
    /// how many right, answered at all and offered as you type with the server's floors.
    private func printCopies(_ figures: [String: InfillEvaluation.Figures]) {
        print(
            "\nsingle-line suggestions that complete the line into one of the file's, and the others: "
                + "right / answered, right / offered as you type"
        )
        print("| language | lines of the file | as you type | new lines | as you type |")
        print("|---|---:|---:|---:|---:|")
        for (language, outcomes, _) in lineGroups(figures) {
            let copies = outcomes.filter(\.copiesLineOfFile), others = outcomes.filter { !$0.copiesLineOfFile }
            print(
                "| \(language) | \(rightOf(copies)) | \(rightOf(copies.filter(\.offeredAtServerFloors))) "
                    + "| \(rightOf(others)) | \(rightOf(others.filter(\.offeredAtServerFloors))) |"
            )
        }
    }

    /// "right / all" of some outcomes, a cell of the tables below.
    private func rightOf(_ outcomes: [ScoredOutcome]) -> String {
        "\(outcomes.filter(\.correct).count) / \(outcomes.count)"
    }

    /// The first suggestions that were snapped to a line of the file (`fileLineSnapDistance`): how often the snapped
    /// line is right, how often the model's own fill would have been, and both as offered while typing.
    private func printSnapped(_ figures: [String: InfillEvaluation.Figures]) {
        guard figures.values.contains(where: { $0.lineOutcomes.contains { $0.snappedFrom != nil } }) else { return }
        print(
            "\nsingle-line suggestions snapped to a line of the file: right when snapped / the model's own fill right, "
                + "of those snapped; the same as offered while typing"
        )
        print("| language | snapped | right | model's fill right | offered as you type | right | model's fill right |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for (language, outcomes, _) in lineGroups(figures) {
            let snapped = outcomes.filter { $0.snappedFrom != nil }, offered = snapped.filter(\.offeredAtServerFloors)
            func cells(_ o: [ScoredOutcome]) -> String {
                "\(o.count) | \(o.filter(\.correct).count) | \(o.filter { $0.snappedFrom == $0.expected }.count)"
            }
            print("| \(language) | \(cells(snapped)) | \(cells(offered)) |")
        }
    }

    /// The first suggestions that repeat a line of the file (`repeatedLineMinBits`): how many and how many right,
    /// and the model's suggestions beside them. Typing offers every repeated line.
    private func printRepeated(_ figures: [String: InfillEvaluation.Figures]) {
        guard figures.values.contains(where: { $0.lineOutcomes.contains { $0.repeatedLine != nil } }) else { return }
        print(
            "\nsingle-line suggestions that repeat a line of the file found among the same lines as the cursor "
                + "(RepeatedLine), and the model's: right / offered as you type"
        )
        print("| language | repeated lines | of them from other files | the model's |")
        print("|---|---:|---:|---:|")
        for (language, outcomes, _) in lineGroups(figures) {
            let offered = outcomes.filter(\.offeredAtServerFloors)
            print(
                "| \(language) | \(rightOf(offered.filter { $0.repeatedLine != nil })) "
                    + "| \(rightOf(offered.filter { $0.repeatedFrom != nil })) "
                    + "| \(rightOf(offered.filter { $0.repeatedLine == nil })) |"
            )
        }
    }

    /// The first suggestions that are a line `LineRanker` chose over the model's fill: right / chosen, the same as
    /// offered while typing (at `rankedLineMinProbability`), and the model's own first suggestions.
    private func printRanked(_ figures: [String: InfillEvaluation.Figures]) {
        guard figures.values.contains(where: { $0.lineOutcomes.contains { $0.rankedLine != nil } }) else { return }
        print(
            "\nsingle-line suggestions that are a line the ranker chose over the model's fill (LineRanker), "
                + "and the model's own: right / suggested, right / offered as you type"
        )
        print("| language | ranked lines | as you type | the model's | as you type |")
        print("|---|---:|---:|---:|---:|")
        for (language, outcomes, _) in lineGroups(figures) {
            let ranked = outcomes.filter { $0.rankedLine != nil }
            let model = outcomes.filter { $0.rankedLine == nil && $0.repeatedLine == nil }
            print(
                "| \(language) | \(rightOf(ranked)) | \(rightOf(ranked.filter(\.offeredAtServerFloors))) "
                    + "| \(rightOf(model)) | \(rightOf(model.filter(\.offeredAtServerFloors))) |"
            )
        }
    }

    /// Precision and coverage of single-line suggestions under a confidence floor, per language and over all of
    /// them, for the shipped summary (geometric mean) and the alternatives; then the lowest floor that reaches
    /// half-right suggestions.
    private func printCurves(_ figures: [String: InfillEvaluation.Figures]) {
        let thresholds: [Float] = [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
        let groups = lineGroups(figures)
        for summary in ConfidenceSummary.allCases {
            print(
                "\nsingle-line holes, offered only at confidence ≥ threshold "
                    + "(\(summary.rawValue) of the shown tokens' probabilities): precision / coverage"
            )
            print("| language | " + thresholds.map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |")
            print("|---|" + String(repeating: "---:|", count: thresholds.count))
            for (language, outcomes, holes) in groups {
                let curve = CurvePoint.curve(outcomes, holes: holes, summary: summary, thresholds: thresholds)
                print(
                    "| \(language) | "
                        + curve.map { String(format: "%.2f / %.2f", $0.precision, $0.coverage) }
                        .joined(separator: " | ") + " |")
            }
        }
        let all = figures.values.flatMap(\.lineOutcomes)
        let holes = figures.values.map(\.lineHoles).reduce(0, +)
        let fine = stride(from: Float(0), through: 1, by: 0.01).map { $0 }
        let curve = CurvePoint.curve(all, holes: holes, summary: .geometricMean, thresholds: fine)
        if let point = curve.first(where: { $0.precision >= 0.5 && $0.offered >= 5 }) {
            print(
                String(
                    format:
                        "\nlowest floor with precision ≥ 0.50 (geometric mean, all languages, ≥ 5 offered): "
                        + "%.2f, coverage %.3f (%d of %d holes)",
                    point.threshold, point.coverage, point.offered, holes))
        } else {
            print("\nno floor reaches precision 0.50 with at least 5 suggestions offered")
        }
    }
}
