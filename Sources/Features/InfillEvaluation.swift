import Engine
import Foundation
import Syntax

/// One held-out hole: a file cut into prefix, middle and suffix. `kind` is "line" (the middle is one line's
/// content, its indentation left in the prefix) or "block" (several whole lines).
public struct EvaluationHole: Codable, Sendable, Equatable {
    public var language: String
    public var path: String
    public var prefix: String
    public var middle: String
    public var suffix: String
    public var kind: String
    /// The folder of the hole's repository, relative to the holes file (`eval_infill.py --workspaces` writes it):
    /// with it the hole is completed as in an editor open on that repository, its index supplying snippets of
    /// other files; without it the file is completed alone. `path` is then relative to this folder.
    public var workspace: String?

    public init(
        language: String, path: String, prefix: String, middle: String, suffix: String, kind: String,
        workspace: String? = nil
    ) {
        self.language = language
        self.path = path
        self.prefix = prefix
        self.middle = middle
        self.suffix = suffix
        self.kind = kind
        self.workspace = workspace
    }
}

/// An answered hole: how sure the model was of each token it showed, and whether the suggestion was right.
public struct ScoredOutcome: Codable, Sendable, Equatable {
    public var tokenConfidences: [Float]
    public var correct: Bool
    /// The suggestion's first line and the line it should have been, both stripped (`--json` carries them, to read
    /// what the model gets wrong).
    public var suggested: String = ""
    public var expected: String = ""
    /// Whether the as-you-type path would offer it at all (a bare comment marker is only shown when asked for):
    /// the precision/coverage curve is that path's, so it counts only these.
    public var offeredWhileTyping = true
    /// Whether the as-you-type path would offer it with the server's own floors (`CompletionSettings`'s
    /// `minConfidence`, per language, `newLineMinConfidence`): the operating point the defaults choose on the curve.
    public var offeredAtServerFloors = false
    /// Whether the suggestion completes the line into one the file already has (`DocumentLines
    /// .fileHasLine`): the model is right far more often on such lines, which the server's floors and the
    /// order of several suggestions use.
    public var copiesLineOfFile = false
    /// The model's own fill, stripped (as `suggested`), when the suggestion was snapped to a line of the file
    /// (`Suggestion.snappedFrom`); nil otherwise.
    public var snappedFrom: String? = nil
    /// The 1-based line of the file the suggestion repeats when it is not the model's fill but a line the file
    /// repeats at the cursor (`Suggestion.repeatedLine`); nil otherwise. Such a suggestion has no token
    /// confidences: it is offered on its own evidence, whatever the confidence floor.
    public var repeatedLine: Int? = nil
    /// The workspace-relative path of the file the repeated line is from, when it is not the hole's own.
    public var repeatedFrom: String? = nil
    /// The further suggestions of an invocation that asked for several (`InfillEvaluation.suggestionsPerHole`), in
    /// the order offered, each scored like the first; empty when one was asked for.
    public var alternatives: [ScoredOutcome] = []
    /// The line of the file the suggestion is, when `LineRanker` chose it (`Suggestion.rankedLine`), 1-based.
    public var rankedLine: Int? = nil
    /// Whether the suggestion names the same things as the line it should have been, in the same order
    /// (`InfillEvaluation.identifiers`): right even where spacing, operators or literals differ.
    public var identifiersRight = false

    /// Whether the suggestion is the model's own fill (snapped or not), not a line the file repeats or one the
    /// ranker chose.
    public var isModelLine: Bool { repeatedLine == nil && rankedLine == nil }
}

/// A whole-line hole as `LineRanker` sees it, for fitting its weights (`InfillEvaluation.recordRankerCandidates`):
/// every candidate line's features, which of them is the right line, and whether the model's fill was right.
public struct RankerHole: Codable, Sendable, Equatable {
    public var features: [[Float]]
    public var right: [Bool]
    public var modelRight: Bool
    /// Whether typing would have offered the model's fill with the server's floors.
    public var modelOffered: Bool
}

extension Array where Element == ScoredOutcome {
    /// What typing offers with the server's floors: how many of these suggestions, and how many of those are right.
    public func atServerFloors() -> (offered: Int, right: Int) {
        let offered = filter(\.offeredAtServerFloors)
        return (offered.count, offered.filter(\.correct).count)
    }
}

/// Ways to summarise a suggestion's token confidences into one score, compared by `dlsp bench infill`.
public enum ConfidenceSummary: String, CaseIterable, Sendable {
    case geometricMean = "geometric mean"
    case minimum
    case mean
    case first

    public func score(_ c: [Float]) -> Float {
        guard !c.isEmpty else { return 0 }
        switch self {
        case .geometricMean: return SuggestionConfidence.score(c) ?? 0
        case .minimum: return c.min()!
        case .mean: return c.reduce(0, +) / Float(c.count)
        case .first: return c[0]
        }
    }
}

/// One point of a precision/coverage curve: with suggestions offered only at `threshold` or above, the share of
/// all holes that get one (`coverage`) and the share of those that are exactly right (`precision`).
public struct CurvePoint: Sendable, Equatable {
    public var threshold: Float
    public var offered: Int
    public var coverage: Double
    public var precision: Double

    /// The curve over `outcomes` out of `holes` holes at each threshold.
    public static func curve(
        _ outcomes: [ScoredOutcome], holes: Int, summary: ConfidenceSummary,
        thresholds: [Float]
    ) -> [CurvePoint] {
        // A repeated line is offered at every floor: its evidence is the file's, not the model's confidence.
        let scored = outcomes.filter(\.offeredWhileTyping).map {
            ($0.repeatedLine == nil ? summary.score($0.tokenConfidences) : .infinity, $0.correct)
        }
        return thresholds.map { t in
            let kept = scored.filter { $0.0 >= t }
            let right = kept.filter(\.1).count
            return CurvePoint(
                threshold: t, offered: kept.count, coverage: Double(kept.count) / Double(max(1, holes)),
                precision: kept.isEmpty ? 0 : Double(right) / Double(kept.count))
        }
    }
}

/// Infill quality through the editor's completion path (context, hole sizing, syntax guard, post-processing):
/// exact match of single-line holes against "repeat the previous line", and the share of multi-line holes whose
/// fill leaves a cleanly parsing file against leaving the hole empty.
public struct InfillEvaluation {
    /// Figures for one language.
    public struct Figures: Codable, Sendable, Equatable {
        public var lineHoles = 0
        public var lineExact = 0
        public var lineExactPreviousLine = 0
        /// Single-line holes that got any suggestion at all.
        public var lineAnswered = 0
        /// Line holes whose line is among the suggestions of one invocation (the first or any further one, up to
        /// `suggestionsPerHole`): what a user who looks through the list finds.
        public var lineRightAmongSuggestions = 0
        /// Multi-line holes whose complete file parses cleanly (the others cannot show anything).
        public var blockHoles = 0
        public var blockParses = 0
        public var blockParsesEmpty = 0
        public var blockAnswered = 0
        /// Among the answered multi-line holes, those whose empty fill parses: the baseline for
        /// `blockParses / blockAnswered` on the same holes (an unanswered hole leaves the file as it was).
        public var blockAnsweredEmptyParses = 0
        public var milliseconds: [Double] = []
        /// With `compareExact`: holes filled again without the dual cache and context reuse (the exact sampler),
        /// and how many of them got the same suggestion text.
        public var exactCompared = 0
        public var exactAgreed = 0
        public var exactMilliseconds: [Double] = []
        /// Every answered single-line hole: the suggestion's token confidences and whether it was exactly right,
        /// for the precision/coverage curve of a confidence floor.
        public var lineOutcomes: [ScoredOutcome] = []
        /// With `recordRankerCandidates`: the line holes `LineRanker` would rank (no repeated line offered, nothing
        /// after the cursor), with the model's fill as the ranker would see it.
        public var rankerHoles: [RankerHole] = []
        /// How many fills (or offered lines) each stage of the pipeline dropped, by the stage's name.
        public var droppedByStage: [String: Int] = [:]

        public var lineExactShare: Double { Double(lineExact) / Double(max(1, lineHoles)) }
        public var lineBaselineShare: Double { Double(lineExactPreviousLine) / Double(max(1, lineHoles)) }
        public var blockParseShare: Double { Double(blockParses) / Double(max(1, blockHoles)) }
        public var blockEmptyParseShare: Double { Double(blockParsesEmpty) / Double(max(1, blockHoles)) }
        /// The share of answered multi-line holes whose fill parses, and of the same holes left empty.
        public var answeredBlockParseShare: Double { Double(blockParses) / Double(max(1, blockAnswered)) }
        public var answeredBlockEmptyParseShare: Double {
            Double(blockAnsweredEmptyParses) / Double(max(1, blockAnswered))
        }
        public var p50Milliseconds: Double {
            milliseconds.isEmpty ? 0 : milliseconds.sorted()[milliseconds.count / 2]
        }
        public var exactAgreementShare: Double { Double(exactAgreed) / Double(max(1, exactCompared)) }
        public var exactP50Milliseconds: Double {
            exactMilliseconds.isEmpty ? 0 : exactMilliseconds.sorted()[exactMilliseconds.count / 2]
        }
    }

    public let service: CompletionService
    /// The context of the holes scored next (`dlsp bench infill` swaps in each workspace's).
    public var context: any InfillContextProvider
    public let registry: LanguageRegistry?
    public var settings = CompletionSettings()
    /// Also fill every hole with the exact sampler (no dual cache, no context reuse) and count agreements.
    public var compareExact = false
    /// How many suggestions each hole asks for, as an explicit invocation does (`CompletionRequest.count`); exact
    /// match and the curves judge the first, `Figures.lineRightAmongSuggestions` all of them.
    public var suggestionsPerHole = 1
    /// Record every whole-line hole's `LineRanker` candidates (`Figures.rankerHoles`), with the model's fill as it is
    /// without the ranker: set `settings.offer.rankFileLines` to false with it.
    public var recordRankerCandidates = false

    public init(service: CompletionService, context: any InfillContextProvider, registry: LanguageRegistry?) {
        self.service = service
        self.context = context
        self.registry = registry
    }

    /// The names a line uses, in order: its words (identifier characters, not starting with a digit) other than the
    /// language's reserved words. Two lines with the same names call, assign and pass the same things, whatever
    /// their spacing, operators or literals: what "right identifiers" compares.
    public static func identifiers(in line: String, languageID: String) -> [String] {
        let keywords = IdentifierRules.keywords(for: languageID)
        var names: [String] = [], word: [UInt8] = []
        func flush() {
            if let first = word.first, !(first >= 0x30 && first <= 0x39) {
                let name = String(decoding: word, as: UTF8.self)
                if !keywords.contains(name) { names.append(name) }
            }
            word.removeAll()
        }
        for byte in line.utf8 {
            if isIdentifierByte(byte) { word.append(byte) } else { flush() }
        }
        flush()
        return names
    }

    /// The previous non-blank line of `prefix`, stripped: the trivial baseline's guess for a single-line hole.
    static func previousLine(_ prefix: String) -> String {
        let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.reversed().map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
    }

    /// Whether `text` parses with no ERROR or MISSING node; nil without a grammar for the language.
    func parsesCleanly(_ text: String, language: String, path: String) -> Bool? {
        guard let registry, let lang = registry.language(id: language) ?? registry.language(forPath: path),
            let parser = try? Parser(language: lang)
        else { return nil }
        return !parser.parse(text).hasError
    }

    /// Scores one hole into `figures[hole.language]`.
    public func score(_ hole: EvaluationHole, into figures: inout [String: Figures]) throws {
        var f = figures[hole.language] ?? Figures()
        defer { figures[hole.language] = f }
        let text = Array((hole.prefix + hole.suffix).utf8)
        let cursor = hole.prefix.utf8.count
        // Asked for, so that exact match counts every line the model can give; the curve then keeps what the
        // as-you-type path would offer (`ScoredOutcome.offeredWhileTyping`).
        let request = CompletionRequest(
            uri: "file:///eval/\(hole.path)", path: hole.path, languageID: hole.language,
            text: text, cursor: cursor, count: hole.kind == "line" ? suggestionsPerHole : 1,
            invoked: true)
        if hole.kind == "line" {
            f.lineHoles += 1
            let want = hole.middle.trimmingCharacters(in: .whitespaces)
            if Self.previousLine(hole.prefix) == want { f.lineExactPreviousLine += 1 }
            let suggestions = try complete(request, into: &f)
            let lines = DocumentLines(text: text, cursor: cursor)
            if recordRankerCandidates, suggestions.first?.repeatedLine == nil,
                lines.lineSuffix(from: cursor).utf8.allSatisfy(LineFingerprints.isBlank)
            {
                let first = suggestions.first
                let model = first.map {
                    ModelLine(text: $0.snappedFrom ?? $0.text, confidence: $0.rankedLine == nil ? $0.confidence : nil)
                }
                let candidates = RankedLineJudge.candidates(
                    lines: lines, linePrefix: lines.linePrefix(upTo: lines.identifierStart),
                    typed: String(decoding: text[lines.identifierStart..<cursor], as: UTF8.self), modelLine: model,
                    otherFiles: settings.offer.repeatedLinesFromOtherFiles
                        ? context.workspaceIndex.map { LineRanker.OtherFiles(index: $0, path: hole.path) } : nil
                )
                .candidates
                let got = first.map { $0.text.firstLine.trimmingCharacters(in: .whitespaces) }
                f.rankerHoles.append(
                    RankerHole(
                        features: candidates.map(\.features),
                        right: candidates.map { $0.text == want },
                        modelRight: got == want, modelOffered: first.map { !$0.isUnsure } ?? false))
            }
            guard !suggestions.isEmpty else { return }
            f.lineAnswered += 1
            var outcomes = suggestions.map { suggestion in
                // The model's own line decides: a snapped suggestion is a line of the file by construction.
                let completed =
                    lines.linePrefix(upTo: suggestion.replaceStart) + (suggestion.snappedFrom ?? suggestion.text)
                let got = suggestion.text.firstLine.trimmingCharacters(in: .whitespaces)
                return ScoredOutcome(
                    tokenConfidences: suggestion.tokenConfidences, correct: got == want,
                    suggested: got, expected: want,
                    offeredWhileTyping: !FillPostProcessor.isBareCommentMarker(suggestion.text),
                    offeredAtServerFloors: !suggestion.isUnsure,
                    copiesLineOfFile: lines.fileHasLine(completed),
                    snappedFrom: suggestion.snappedFrom?.trimmingCharacters(in: .whitespaces),
                    repeatedLine: suggestion.repeatedLine.map { $0.line + 1 },
                    repeatedFrom: suggestion.repeatedLine?.path,
                    rankedLine: suggestion.rankedLine.map { $0.line + 1 },
                    identifiersRight: Self.identifiers(in: got, languageID: hole.language)
                        == Self.identifiers(in: want, languageID: hole.language))
            }
            if outcomes[0].correct { f.lineExact += 1 }
            if outcomes.contains(where: \.correct) { f.lineRightAmongSuggestions += 1 }
            outcomes[0].alternatives = Array(outcomes.dropFirst())
            f.lineOutcomes.append(outcomes[0])
        } else {
            // Only holes in files that parse to begin with say anything about the fill.
            guard
                parsesCleanly(
                    hole.prefix + hole.middle + hole.suffix, language: hole.language,
                    path: hole.path) == true
            else { return }
            f.blockHoles += 1
            let emptyParses = parsesCleanly(hole.prefix + hole.suffix, language: hole.language, path: hole.path) == true
            if emptyParses { f.blockParsesEmpty += 1 }
            guard let suggestion = try complete(request, into: &f).first else { return }
            f.blockAnswered += 1
            if emptyParses { f.blockAnsweredEmptyParses += 1 }
            if parsesCleanly(
                hole.prefix + suggestion.text + hole.suffix, language: hole.language,
                path: hole.path) == true
            {
                f.blockParses += 1
            }
        }
    }

    /// The suggestions as an editor would get them, timed; with `compareExact` also the exact sampler's first.
    private func complete(_ request: CompletionRequest, into f: inout Figures) throws -> [Suggestion] {
        let started = ContinuousClock.now
        var dropped: [String: Int] = [:]
        let suggestions = try service.complete(
            request, context: context, settings: settings,
            cancellation: CancellationFlag(),
            trace: { event in
                if event.outcome == .dropped { dropped[event.stage, default: 0] += 1 }
            })
        f.droppedByStage.merge(dropped, uniquingKeysWith: +)
        f.milliseconds.append(Self.ms(ContinuousClock.now - started))
        service.typeAhead.forget(uri: request.uri)
        if compareExact {
            var exact = settings
            exact.sampling.useCache = false
            exact.sampling.reuseContext = false
            let t0 = ContinuousClock.now
            let other = try service.complete(
                request, context: context, settings: exact,
                cancellation: CancellationFlag()
            ).first
            f.exactMilliseconds.append(Self.ms(ContinuousClock.now - t0))
            service.typeAhead.forget(uri: request.uri)
            f.exactCompared += 1
            if other?.text == suggestions.first?.text { f.exactAgreed += 1 }
        }
        return suggestions
    }

    static func ms(_ d: Duration) -> Double { d.milliseconds }
}
