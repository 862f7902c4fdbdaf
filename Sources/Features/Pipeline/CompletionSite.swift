import Syntax

/// Where a completion is asked for and what is known there, built once per request and read by every stage of the
/// pipeline: the request, the cursor's line, the word already typed, the hole the syntax layer planned, the settings
/// and the floors they give this document.
public final class CompletionSite {
    public let request: CompletionRequest
    public let settings: CompletionSettings
    /// The document's lines, the cursor's among them.
    public let lines: DocumentLines
    /// Where the hole begins: the start of the half-typed word at the cursor (token healing re-generates it whole).
    public let wordStart: Int
    /// The half-typed word (`wordStart..<cursor`); every suggestion starts with it.
    public let typed: String
    /// The cursor's line before the typed word.
    public let linePrefix: String
    /// The cursor's line after the cursor.
    public let lineSuffix: String
    /// The hole as the syntax layer planned it (its step hook dropped for backends that cannot run one).
    public let hole: HolePlan
    /// The workspace's index, when the context has one.
    public let workspaceIndex: WorkspaceIndex?
    /// The as-you-type floor for a suggestion that completes the line into one the file already has, and for one
    /// that does not (`OfferPolicy.minConfidence(forLanguage:copiesLineOfFile:)`).
    public let languageFloor: Float
    public let newLineFloor: Float
    private let traceSink: ((StageEvent) -> Void)?
    /// The suggestions' texts after the typed word so far (line sources' and model fills'), so none repeats.
    var offeredTexts = Set<String>()
    private var missingClosersFound: [Character]?

    init(
        request: CompletionRequest, settings: CompletionSettings, lines: DocumentLines, hole: HolePlan,
        workspaceIndex: WorkspaceIndex?, trace: ((StageEvent) -> Void)?
    ) {
        self.request = request
        self.settings = settings
        self.lines = lines
        wordStart = lines.identifierStart
        typed = String(decoding: request.text[wordStart..<request.cursor], as: UTF8.self)
        linePrefix = lines.linePrefix(upTo: wordStart)
        lineSuffix = lines.lineSuffix(from: request.cursor)
        self.hole = hole
        self.workspaceIndex = workspaceIndex
        languageFloor = settings.offer.minConfidence(forLanguage: request.languageID, copiesLineOfFile: true)
        newLineFloor = settings.offer.minConfidence(forLanguage: request.languageID, copiesLineOfFile: false)
        traceSink = trace
    }

    /// Tells the trace what `stage` did.
    func trace(_ stage: String, attempt: Int? = nil, _ outcome: StageEvent.Outcome, _ message: String) {
        traceSink?(StageEvent(stage: stage, attempt: attempt, outcome: outcome, message: message))
    }

    /// Tells the trace something `stage` noticed.
    func trace(_ stage: String, attempt: Int? = nil, _ message: String) {
        trace(stage, attempt: attempt, .note, message)
    }

    /// Blocks whose end the user has not typed yet: a fill may close them (`}` on a new line). A pass over the whole
    /// document, so made only for a fill that has a closer at all, and once per request.
    func missingClosers(for text: String) -> [Character] {
        guard text.contains(where: FillPostProcessor.closers.contains) else { return [] }
        if let known = missingClosersFound { return known }
        let found = FillPostProcessor.bracketsLeftOpen(in: request.text, lineStart: lines.cursorLineStart)
        missingClosersFound = found
        return found
    }

    /// The lines no stage offers as the cursor's line (`OfferPolicy.excludeProseAndHeaders`).
    public var excludedLines: Set<Int> {
        settings.offer.excludeProseAndHeaders ? hole.linesThatCannotBeTheLine : []
    }

    /// Whether the cursor's line completed with `inserted` (the typed word and what follows it) is a line the file
    /// already has (`DocumentLines.fileHasLine`).
    func completesLineOfFile(_ inserted: String) -> Bool { lines.fileHasLine(linePrefix + inserted) }
}

/// What one stage did at one request, for the trace (`dlsp complete --explain`) and the bench's count of where
/// fills were dropped.
public struct StageEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Outcome: String, Sendable {
        /// Something worth knowing; nothing changed.
        case note
        /// The stage changed the suggestion (cut it, snapped it).
        case changed
        /// The stage dropped the model's fill, or offered nothing.
        case dropped
        /// The stage offered a suggestion.
        case offered
    }

    /// The stage's name, as the pipeline lists it.
    public var stage: String
    /// The model's attempt (1-based) the event is about, if any.
    public var attempt: Int?
    public var outcome: Outcome
    public var message: String

    public init(stage: String, attempt: Int? = nil, outcome: Outcome, message: String) {
        self.stage = stage
        self.attempt = attempt
        self.outcome = outcome
        self.message = message
    }

    /// `[stage] message`, indented under its attempt.
    public var description: String {
        (attempt == nil ? "" : "  ") + "[\(stage)] " + (outcome == .dropped ? "dropped: " : "") + message
    }
}
