/// A source of whole lines offered on their own evidence, asked before the model (the line the file repeats at the
/// cursor). A line it offers comes first, and the model then fills only the further suggestions an invocation asks
/// for.
public protocol LineSource: Sendable {
    /// The stage's name in the trace and the bench.
    var name: String { get }
    func line(at site: CompletionSite) -> Suggestion?
}

/// One step on a model fill's way to a suggestion: it may change the candidate, note something, or drop it.
public protocol FillFilter: Sendable {
    /// The stage's name in the trace and the bench.
    var name: String { get }
    func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict
}

/// What a `FillFilter` decided. What it changed or noticed on the way it tells with `FillCandidate.note`.
public enum FilterVerdict: Sendable, Equatable {
    case keep
    case drop(reason: String)
}

/// A line judged against the model's fill, asked after the model and only when no `LineSource` offered a line (the
/// ranker of the file's lines). A line it prefers goes before the model's fills; one it marks unsure while the user
/// types means it found the model's fill less likely still, and nothing is offered.
public protocol LineJudge: Sendable {
    /// The stage's name in the trace and the bench.
    var name: String { get }
    func line(at site: CompletionSite, modelLine: ModelLine?) -> Suggestion?
}

/// The model's first fill that passed the filters up to its scoring, whatever its confidence: what a `LineJudge`
/// weighs its lines against.
public struct ModelLine: Sendable, Equatable {
    /// The typed word and the fill as scored (before any snapping).
    public var text: String
    public var confidence: Float?

    public init(text: String, confidence: Float?) {
        self.text = text
        self.confidence = confidence
    }
}

/// A model fill on its way through the `FillFilter`s.
public struct FillCandidate: Sendable {
    /// The model's attempt at the hole, 0-based.
    public let attempt: Int
    /// The fill as the backend returned it.
    public let fill: ScoredFill
    /// The model's time for it.
    public let milliseconds: Double
    /// What the suggestion would insert after the typed word, as the filters have left it (the raw fill, typed word
    /// included, until `TypedWordCheck` takes the typed word off).
    public var text: String
    /// How sure the model is of the shown part (`SuggestionConfidence`), once `FillScore` has scored it; nil when the
    /// backend reports no confidences.
    public var confidence: Float?
    /// The committed probabilities of the tokens shown.
    public var shownConfidences: [Float] = []
    /// The typed word and the fill as scored, once `FillScore` has run: the pipeline's `ModelLine`.
    public var scoredLine: String?
    /// The model's own line when `FileLineSnapStage` replaced it with a line of the file.
    public var snappedFrom: String?
    /// Offered only because the user asked.
    public var isUnsure = false
    /// What the current stage noticed or changed, flushed to the trace under its name.
    var notes: [(outcome: StageEvent.Outcome, message: String)] = []

    init(attempt: Int, fill: ScoredFill, milliseconds: Double) {
        self.attempt = attempt
        self.fill = fill
        self.milliseconds = milliseconds
        text = fill.text
    }

    /// Tells the trace something the current stage noticed.
    public mutating func note(_ message: String) { notes.append((.note, message)) }

    /// Tells the trace how the current stage changed the suggestion.
    public mutating func changed(_ message: String) { notes.append((.changed, message)) }
}
