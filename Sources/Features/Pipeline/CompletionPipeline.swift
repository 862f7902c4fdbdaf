import Engine

/// The stages of a completion, in the order they run. `run` is the whole of what happens between the context the
/// syntax layer built and the suggestions the user sees; each stage is a value with a name that the trace
/// (`dlsp complete --explain`) and the bench print.
///
/// To add a stage: write it in `Stages/` as a `LineSource`, `FillFilter` or `LineJudge`, and add it to the list in
/// `standard` where it belongs.
public struct CompletionPipeline: Sendable {
    /// 1. Lines offered on their own evidence, before the model is asked.
    public var lineSources: [any LineSource]
    /// 2. The model's fills, one per attempt, each through these filters in order.
    public var fillFilters: [any FillFilter]
    /// 3. The order of the model's suggestions.
    public var order: SuggestionOrder
    /// 4. Lines judged against the model's fill, when no line source offered one.
    public var lineJudges: [any LineJudge]

    public init(
        lineSources: [any LineSource], fillFilters: [any FillFilter], order: SuggestionOrder,
        lineJudges: [any LineJudge]
    ) {
        self.lineSources = lineSources
        self.fillFilters = fillFilters
        self.order = order
        self.lineJudges = lineJudges
    }

    /// The server's pipeline.
    public static let standard = CompletionPipeline(
        lineSources: [
            RepeatedLineSource()
        ],
        fillFilters: [
            TypedWordCheck(),
            SyntaxStopRules(),
            PostProcessing(),
            DegenerateRepetitionCut(),
            ConfidentLinesCut(),
            ParseGuard(),
            FillScore(),
            FileLineSnapStage(),
            ProseCopyFilter(),
            DuplicateFilter(),
            BareCommentMarkerFilter(),
            OfferFloor(),
        ],
        order: SuggestionOrder(),
        lineJudges: [
            RankedLineJudge()
        ])

    /// The stages' names in order, as `dlsp complete --explain` lists them.
    public var stageNames: [String] {
        lineSources.map(\.name) + ["model"] + fillFilters.map(\.name) + [order.name] + lineJudges.map(\.name)
            + ["merge"]
    }

    /// Suggestions at `site`, best first, from `context` and `backend`.
    func run(
        at site: CompletionSite, context: InfillContext, backend: any FillBackend,
        cancellation: CancellationFlag
    ) throws -> [Suggestion] {
        let sourced = lineSources.compactMap { $0.line(at: site) }
        for line in sourced { site.offeredTexts.insert(String(line.text.utf8.dropFirst(site.typed.utf8.count)) ?? "") }
        let (fills, modelLine) = try modelFills(
            at: site, attempts: attempts(at: site, sourced: sourced.count),
            context: context, backend: backend, cancellation: cancellation)
        let ordered = order.order(fills, at: site)
        var judged: Suggestion?
        if sourced.isEmpty {
            for judge in lineJudges where judged == nil { judged = judge.line(at: site, modelLine: modelLine) }
        }
        return merge(sourced: sourced, judged: judged, fills: ordered, at: site)
    }

    /// How many times to ask the model: once per suggestion asked for (and per hole length tried); when a line
    /// source offered a line, only for the further suggestions an invocation asks for.
    private func attempts(at site: CompletionSite, sourced: Int) -> Int {
        let count = site.request.count, lengths = site.settings.hole.lengthCandidates
        if sourced == 0 { return max(1, count, lengths) }
        return count > sourced ? max(count - sourced, lengths) : 0
    }

    /// Each attempt's fill through the filters: the suggestions that survived, and the model's line for the judges.
    private func modelFills(
        at site: CompletionSite, attempts: Int, context: InfillContext,
        backend: any FillBackend,
        cancellation: CancellationFlag
    ) throws -> ([Suggestion], ModelLine?) {
        var suggestions: [Suggestion] = []
        var modelLine: ModelLine?
        let holeSettings = site.settings.hole, sampling = site.settings.sampling
        for attempt in 0..<attempts {
            if cancellation.isCancelled { throw EngineError.cancelled }
            // Further suggestions differ in hole length (the biggest lever on infill quality), then in seed.
            let lengths = [site.hole.tokens, site.hole.tokens / 2, site.hole.tokens * 2]
            // No attempt's hole takes more than half the canvas: context is what a fill is made from.
            let fillAttempt = FillAttempt(
                holeTokens: max(4, min(lengths[attempt % lengths.count], holeSettings.contextTokens / 2)),
                temperature: attempt < lengths.count ? sampling.temperature : max(sampling.temperature, 0.7),
                seed: UInt64(attempt), canvasTokens: holeSettings.contextTokens)
            let started = ContinuousClock.now
            let fill = try backend.scoredFill(
                context, hole: site.hole, attempt: fillAttempt, sampling: sampling,
                cancellation: cancellation)
            var candidate = FillCandidate(
                attempt: attempt, fill: fill,
                milliseconds: (ContinuousClock.now - started).milliseconds)
            site.trace(
                "model", attempt: attempt + 1,
                "hole of \(fillAttempt.holeTokens) tokens"
                    + (fill.steps.map { ", \($0) steps" } ?? "") + ", fill \(fill.text.debugDescription)")
            if let suggestion = filter(&candidate, at: site) { suggestions.append(suggestion) }
            if modelLine == nil, let scored = candidate.scoredLine {
                modelLine = ModelLine(text: scored, confidence: candidate.confidence)
            }
        }
        return (suggestions, modelLine)
    }

    /// One fill through every filter; the suggestion it makes, or nil when a filter dropped it.
    private func filter(_ candidate: inout FillCandidate, at site: CompletionSite) -> Suggestion? {
        let attempt = candidate.attempt + 1
        for filter in fillFilters {
            let verdict = filter.apply(to: &candidate, at: site)
            for (outcome, message) in candidate.notes { site.trace(filter.name, attempt: attempt, outcome, message) }
            candidate.notes.removeAll()
            if case .drop(let reason) = verdict {
                site.trace(filter.name, attempt: attempt, .dropped, reason)
                return nil
            }
        }
        return Suggestion(
            text: site.typed + candidate.text, replaceStart: site.wordStart, fromTypeAheadCache: false,
            milliseconds: candidate.milliseconds, confidence: candidate.confidence,
            tokenConfidences: candidate.shownConfidences, isUnsure: candidate.isUnsure,
            snappedFrom: candidate.snappedFrom)
    }

    /// The one merge: line sources' lines first, then a judge's line, then the model's suggestions, each text once,
    /// as many as were asked for. A judge's line that is unsure while the user types means the judge found the
    /// model's fill less likely still: nothing is offered.
    private func merge(
        sourced: [Suggestion], judged: Suggestion?, fills: [Suggestion],
        at site: CompletionSite
    ) -> [Suggestion] {
        if let judged, judged.isUnsure, !site.request.invoked {
            site.trace(
                "merge", .dropped,
                "the judged line is under its floor and the model's fill less likely still: nothing offered")
            return []
        }
        var seen = Set<String>()
        let merged = (sourced + (judged.map { [$0] } ?? []) + fills).filter { seen.insert($0.text).inserted }
        return Array(merged.prefix(max(1, site.request.count)))
    }
}
