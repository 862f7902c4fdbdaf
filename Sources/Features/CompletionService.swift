import Engine
import Syntax
import Foundation
import Tokenizer

@_exported import class Engine.CancellationFlag

/// A request for a fill at a cursor: the core's plain values, no LSP.
public struct CompletionRequest: Sendable {
    public var uri: String
    /// Workspace-relative path, `/`-separated (shown to the model in the file header).
    public var path: String
    public var languageID: String
    /// The document's UTF-8 text and the cursor's byte offset in it.
    public var text: [UInt8]
    public var cursor: Int
    /// How many distinct suggestions to return (an explicit inline-completion invocation asks for several).
    public var count: Int
    /// Whether the user asked for suggestions (a key press, an explicit inline-completion request) rather than
    /// the editor asking as they type: unsure suggestions are then shown too (`CompletionSettings.minConfidence`).
    public var invoked: Bool
    /// The document's syntax tree for exactly `text`, when the caller keeps one (the server does for open
    /// documents); without it the syntax layer parses `text` itself.
    public var tree: TreeSnapshot?

    public init(
        uri: String, path: String, languageID: String, text: [UInt8], cursor: Int, count: Int = 1,
        invoked: Bool = false, tree: TreeSnapshot? = nil
    ) {
        self.invoked = invoked
        self.tree = tree.flatMap { $0.tree.text == text ? $0 : nil }
        self.uri = uri
        self.path = path
        self.languageID = languageID
        self.text = text
        self.cursor = cursor
        self.count = count
    }
}

/// One suggestion: replace bytes `replaceStart..<cursor` (the partly typed word, often empty) with `text`, which
/// therefore starts with that typed part. Every client applies such an edit the same way, popup menus included.
public struct Suggestion: Sendable, Equatable {
    public var text: String
    public var replaceStart: Int
    public var fromTypeAheadCache: Bool
    /// Model time for this suggestion (0 when served from the cache).
    public var milliseconds: Double
    /// How sure the model is of the suggestion (`SuggestionConfidence`), in [0, 1]; nil when the backend does not
    /// say (remote backends) or the suggestion continues an earlier one (type-ahead cache).
    public var confidence: Float? = nil
    /// The committed probability of each token the suggestion shows, in order (what `confidence` summarises).
    public var tokenConfidences: [Float] = []
    /// Below `CompletionSettings.minConfidence`: shown only because the user asked (editors mark it as unsure).
    public var isUnsure = false
    /// The model's own fill (typed word included) when the suggestion is the line of the file it nearly was
    /// (`CompletionSettings.fileLineSnapDistance`); nil when the suggestion is the model's fill.
    public var snappedFrom: String? = nil
    /// Set when the suggestion is not the model's but a line the file repeats where the cursor is
    /// (`CompletionSettings.repeatedLineMinBits`): which line, and how much of its surroundings the cursor shares.
    public var repeatedLine: RepeatedLineEvidence? = nil
    /// Set when the suggestion is a line of the file that `LineRanker` chose over the model's fill; its
    /// `confidence` is then the ranker's probability.
    public var rankedLine: RankedLineEvidence? = nil

    public init(
        text: String, replaceStart: Int, fromTypeAheadCache: Bool, milliseconds: Double,
        confidence: Float? = nil, tokenConfidences: [Float] = [], isUnsure: Bool = false,
        snappedFrom: String? = nil, repeatedLine: RepeatedLineEvidence? = nil,
        rankedLine: RankedLineEvidence? = nil
    ) {
        self.rankedLine = rankedLine
        self.snappedFrom = snappedFrom
        self.repeatedLine = repeatedLine
        self.text = text
        self.replaceStart = replaceStart
        self.fromTypeAheadCache = fromTypeAheadCache
        self.milliseconds = milliseconds
        self.confidence = confidence
        self.tokenConfidences = tokenConfidences
        self.isUnsure = isUnsure
    }
}

/// A suggestion's confidence from its tokens' committed probabilities: their geometric mean (the per-token
/// likelihood of the whole suggestion as the sampler chose it), so one weak token lowers it without deciding it
/// alone, and a long suggestion is not punished for its length. Chosen on held-out holes (`dlsp bench infill`
/// prints the precision/coverage curve of this and of the other candidates).
public enum SuggestionConfidence {
    public static func score(_ confidences: [Float]) -> Float? {
        guard !confidences.isEmpty else { return nil }
        let logSum = confidences.reduce(0.0) { $0 + log(Double(max($1, 1e-6))) }
        return Float(exp(logSum / Double(confidences.count)))
    }
}

/// Fills holes at a cursor: the type-ahead cache, then the context from the syntax layer and the stages of
/// `CompletionPipeline` (line sources, the model's fills through the filters, the judges, one merge).
public final class CompletionService: Sendable {
    public let backend: any FillBackend
    /// The stages every request goes through (`CompletionPipeline.standard`).
    public let pipeline: CompletionPipeline
    public let typeAhead = TypeAheadCache()

    public init(backend: any FillBackend, pipeline: CompletionPipeline = .standard) {
        self.backend = backend
        self.pipeline = pipeline
    }

    /// The embedded engine as the backend.
    public convenience init(engine: Engine) throws {
        self.init(backend: try EmbeddedBackend(engine: engine))
    }

    /// Suggestions for the cursor, best first; empty when the model has nothing worth offering.
    /// `trace`, when given, hears what each stage of the pipeline did (the raw fill and why it was kept or dropped):
    /// `dlsp complete --explain` prints it, for a user asking why nothing was offered.
    public func complete(
        _ request: CompletionRequest, context: InfillContextProvider,
        settings: CompletionSettings, cancellation: CancellationFlag,
        trace: ((StageEvent) -> Void)? = nil
    ) throws -> [Suggestion] {
        // A request cancelled or superseded while it waited for a worker stops before building its context: in a
        // burst of keystrokes nearly every request is, and building their contexts anyway kept the workers busy
        // with answers nobody would read.
        if cancellation.isCancelled { throw EngineError.cancelled }
        let lines = DocumentLines(text: request.text, cursor: request.cursor)
        if let rest = typeAhead.lookup(uri: request.uri, document: request.text, cursor: request.cursor) {
            let start = lines.identifierStart
            let typedSoFar = String(decoding: request.text[start..<request.cursor], as: UTF8.self)
            return [Suggestion(text: typedSoFar + rest, replaceStart: start, fromTypeAheadCache: true, milliseconds: 0)]
        }
        // Token healing: a half-typed word is re-generated whole, so the canvas never ends in the middle of a
        // token the model has never seen split that way; the fill must then start with what was typed.
        let (infill, plannedHole) = context.prepare(
            request: request, holeStart: lines.identifierStart,
            settings: settings, tokenizer: backend.tokenizer,
            maskTokenID: backend.maskTokenID)
        var hole = plannedHole
        if !backend.supportsStepHook { hole.stepHook = nil }
        let site = CompletionSite(
            request: request, settings: settings, lines: lines, hole: hole,
            workspaceIndex: context.workspaceIndex, trace: trace)
        let suggestions = try pipeline.run(at: site, context: infill, backend: backend, cancellation: cancellation)
        if let best = suggestions.first, !best.isUnsure {
            // The cache continues what follows the cursor, so it keeps the fill without the typed part.
            typeAhead.remember(
                uri: request.uri, document: request.text, anchor: request.cursor,
                fill: String(best.text.utf8.dropFirst(site.typed.utf8.count)) ?? "")
        }
        return suggestions
    }
}

/// What the completion needs from the syntax layer: the context around the hole and the hole's shape.
/// `holeStart` is where the hole begins (the start of a half-typed word, which the fill re-generates).
public protocol InfillContextProvider: Sendable {
    func prepare(
        request: CompletionRequest, holeStart: Int, settings: CompletionSettings,
        tokenizer: Tokenizer?, maskTokenID: Int?
    ) -> (InfillContext, HolePlan)
    /// The workspace's index, when the context has one: where completion looks for lines other files repeat
    /// (`RepeatedLine.acrossFiles`).
    var workspaceIndex: WorkspaceIndex? { get }
}

extension InfillContextProvider {
    public var workspaceIndex: WorkspaceIndex? { nil }
}

/// The hole's shape: how many tokens to give it, where the fill must stop, and an optional step hook (the
/// syntax-guided re-masking).
public struct HolePlan: Sendable {
    public var tokens: Int
    public var extent: FillPostProcessor.Extent
    /// Re-masks positions during denoising (syntax-guided denoising).
    public var stepHook: (@Sendable (StepState) -> [Int])?
    /// The syntax layer's stop rules, applied to the raw fill before post-processing.
    public var trim: (@Sendable (String) -> String)?
    /// Whether the text inserted at the hole (typed word + fill) may be offered.
    public var validate: (@Sendable (String) -> Bool)?
    /// The lines of the document (0-based) that cannot be the cursor's line (`LineRoles`): the headers of the
    /// declarations around the cursor, and, unless the cursor is itself in a comment or a string, the lines of strings
    /// (a docstring's).
    /// No stage offers one of them as the line; empty where the syntax layer has no tree.
    public var linesThatCannotBeTheLine: Set<Int> = []

    public init(tokens: Int, extent: FillPostProcessor.Extent) {
        self.tokens = tokens
        self.extent = extent
    }
}

extension Duration {
    /// The duration in milliseconds, as suggestions and the bench report times.
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15 }
}
