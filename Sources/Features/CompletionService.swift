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

    public init(uri: String, path: String, languageID: String, text: [UInt8], cursor: Int, count: Int = 1,
                invoked: Bool = false, tree: TreeSnapshot? = nil) {
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

    public init(text: String, replaceStart: Int, fromTypeAheadCache: Bool, milliseconds: Double,
                confidence: Float? = nil, tokenConfidences: [Float] = [], isUnsure: Bool = false,
                snappedFrom: String? = nil, repeatedLine: RepeatedLineEvidence? = nil,
                rankedLine: RankedLineEvidence? = nil) {
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

/// Settings a user can change (initializationOptions / didChangeConfiguration / CLI flags).
public struct CompletionSettings: Sendable, Equatable {
    /// Denoising steps per fill (upper bound; the threshold schedule usually stops earlier). At the last step
    /// every position still masked is committed at once, so too few steps means many tokens decided together:
    /// on held-out single-line holes 12 steps gave 21 exact matches of 400, 24 gave 37, 32 gave 44 and 48 gave 45
    /// (`Training/JOURNAL.md`). 32 costs about a third more time per fill while typing.
    public var steps = 32
    /// Commit every position at least this confident each step (Fast-dLLM); nil = fixed timestep schedule.
    public var confidenceThreshold: Float? = 0.9
    /// Hole lengths in tokens for a rest-of-line and a multi-line hole.
    public var lineHoleTokens = 16
    public var blockHoleTokens = 48
    /// The whole canvas must fit this many tokens (the model's window or less).
    /// 512 rather than the model's 1,024: the per-request full forward is most of a fill's time and grows faster
    /// than linearly with the window, while the code nearest the hole carries most of the signal.
    public var contextTokens = 512
    public var temperature: Float = 0
    /// Logit penalty on ending the fill (end-of-text / pad) at every hole position; see `FillOptions.stopPenalty`.
    public var stopPenalty: Float = 0
    /// Semi-autoregressive order: the hole decoded in blocks of this many positions, left to right (nil: the
    /// whole hole at once, most confident first). See `FillOptions.blockLength`.
    public var blockLength: Int? = nil
    public var useCache = true
    /// Reuse the keys and values of the previous fill's canvas where the new one begins the same way (a user
    /// typing ahead; several attempts at one cursor). Needs `useCache`; see `Engine.ContextReuse`.
    public var reuseContext = true
    /// Suggestions the model is less sure of than this (`Suggestion.confidence`) are not offered while the user
    /// types. This floor (or the language's, below) holds for a suggestion that completes the line into one the file
    /// already has; a line the file does not have is held to `newLineMinConfidence` as well, since the model is almost
    /// never right on those (`Training/JOURNAL.md`). Chosen as the issue's operating point asks (at least half of what is
    /// offered right, on at least a quarter of the holes): on the first of three sets of held-out whole lines, 0.4 is
    /// the highest floor that offers a suggestion on a quarter of the holes (precision 0.57, coverage 0.259), and on
    /// the other two it gives 0.62 / 0.273 and 0.59 / 0.285; the rest of a line stays at 0.61–0.76. Per language it is
    /// not even: JavaScript 0.64–0.75, Swift 0.63–0.75, Python 0.43–0.53, C 0.38–0.43, so a C user who wants fewer
    /// wrong lines sets `minConfidenceByLanguage` (0.95 gave C 15 of 23, 22 of 39, 17 of 32). Repeated lines
    /// (`repeatedLineMinBits`) are offered on their own evidence, whatever this floor. Re-read the curves after each
    /// export (`dlsp bench infill`, `Training/JOURNAL.md`, "The floors, once repeated lines are offered").
    public var minConfidence: Float = 0.4
    /// Languages (LSP language identifiers) whose as-you-type floor is their own instead of `minConfidence`: where
    /// the model's confidence is better calibrated a lower floor offers more at the same precision, where it is worse
    /// a higher one keeps the precision. Empty by default: one floor reaches the operating point above, and the
    /// per-language floors read before repeated lines were offered (JavaScript 0.5, Python 0.7, C 0.95) kept
    /// coverage under it.
    public var minConfidenceByLanguage: [String: Float] = [:]
    /// The as-you-type floor for a suggestion whose line the file does not already have, if higher than the
    /// language's (`CompletionService.completesLineOfFile`): the model's new lines are almost never right. On the
    /// third set 4 of 567 answered new lines were right against 144 of 364 lines of the file, and with the language's
    /// floors alone typing offered 46 new lines of which 1 was right. Held to 0.94 wherever the cursor is (it was
    /// first the floor for the rest of a line), the three sets offer 84, 148 and 125 whole lines with 64, 116 and 93
    /// right, where one floor per language for every line offered 99, 173 and 156 with 63, 116 and 91.
    public var newLineMinConfidence: Float = 0.94
    /// The same floor for suggestions the user asked for (`CompletionRequest.invoked`); below `minConfidence`
    /// they are marked unsure.
    public var invokedMinConfidence: Float = 0
    /// Hole lengths tried for a suggestion: 1 fills the planned length only; 3 also half and twice it, and offers
    /// first the fill the model is surest of (the model's own signal chooses the length).
    public var lengthCandidates = 1
    /// A single-line fill at most this far from a line of the file that fits the cursor's line (1 − the share of
    /// their characters in common, `FileLineSnap`) is offered as that line, with the fill's own confidence and the
    /// floor of the fill (a new line's); 0 never snaps. On three sets of held-out whole lines 0.3 took exact match
    /// from 94, 179 and 149 to 106, 187 and 154 and left what typing offers unchanged; 0.2 gave 105, 186 and 150.
    /// A snapped line is right only about one time in twenty, so this is a small gain where the fill was wrong
    /// anyway, not a reason to offer more (`Training/JOURNAL.md`, "Snapping to a line of the file").
    public var fileLineSnapDistance: Float = 0.3
    /// Where the non-blank lines just above and below the cursor also surround another line of the file, at the
    /// cursor's indentation (failing that, where the lines on one side of the cursor are those on the same side of
    /// another line), that line is offered as it is, without asking the model, when the shared lines carry at least
    /// this much evidence (`RepeatedLineEvidence.bits`: each shared line counts log2 of how rare it is in the file)
    /// and every place that shares as much holds the same line; 0 never offers one. Chosen on the first of three sets
    /// of held-out whole lines, where 12 bits was where precision jumped (0.58 at 8 bits, 0.70 at 12). With it, exact
    /// match on the three sets went from 106, 187 and 154 to 146, 239 and 223 (`Training/JOURNAL.md`, "Lines the file
    /// repeats").
    public var repeatedLineMinBits: Float = 12
    /// Also look for the line in the workspace's other files when the cursor's file has none: a line that sits, in
    /// another file, between the same two non-blank lines as the cursor, every such place holding the same line
    /// (`RepeatedLine.acrossFiles`): a licence header's next line, a tutorial's next step, a list mirrored in another
    /// module (`Training/JOURNAL.md`, "Lines the file repeats"). It also lets `LineRanker` rank other files' lines next
    /// to the cursor's neighbours (`rankFileLines`).
    public var repeatedLinesFromOtherFiles = true
    /// Rank the file's lines as the cursor's line (`LineRanker`) after the model's fill, and offer the one the
    /// ranker prefers to that fill. Only where nothing follows the cursor on its line and no repeated line was found.
    public var rankFileLines = true
    /// The as-you-type floor of a ranked line's probability (`RankedLineEvidence.probability`); below it, typing
    /// offers nothing there (the ranker judged the model's fill less likely still), an invocation marks it unsure.
    public var rankedLineMinProbability: Float = 0.75

    public init() {}

    /// The as-you-type floor for a document of `languageID`.
    public func minConfidence(forLanguage languageID: String) -> Float {
        minConfidenceByLanguage[languageID] ?? minConfidence
    }

    /// The as-you-type floor for a suggestion in a document of `languageID` that completes the line into one the
    /// file already has (`copiesLineOfFile`) or not.
    public func minConfidence(forLanguage languageID: String, copiesLineOfFile: Bool) -> Float {
        copiesLineOfFile ? minConfidence(forLanguage: languageID)
            : max(minConfidence(forLanguage: languageID), newLineMinConfidence)
    }
}

/// Fills holes at a cursor: context, fill (from whichever backend), post-processing, the type-ahead cache.
public final class CompletionService: Sendable {
    public let backend: any FillBackend
    private let postProcessor = FillPostProcessor()
    public let typeAhead = TypeAheadCache()

    public init(backend: any FillBackend) {
        self.backend = backend
    }

    /// The embedded engine as the backend.
    public convenience init(engine: Engine) throws {
        self.init(backend: try EmbeddedBackend(engine: engine))
    }

    /// Suggestions for the cursor, best first; empty when the model has nothing worth offering.
    /// `trace`, when given, hears what happened to each attempt (the raw fill and why it was kept or dropped):
    /// `dlsp complete --explain` prints it, for a user asking why nothing was offered.
    public func complete(_ request: CompletionRequest, context: InfillContextProvider,
                         settings: CompletionSettings, cancellation: CancellationFlag,
                         trace: ((String) -> Void)? = nil) throws -> [Suggestion] {
        // A request cancelled or superseded while it waited for a worker stops before building its context: in a
        // burst of keystrokes nearly every request is, and building their contexts anyway kept the workers busy
        // with answers nobody would read.
        if cancellation.isCancelled { throw EngineError.cancelled }
        let line = LineAround(text: request.text, cursor: request.cursor)
        if let rest = typeAhead.lookup(uri: request.uri, document: request.text, cursor: request.cursor) {
            let start = line.identifierStart
            let typedSoFar = String(decoding: request.text[start..<request.cursor], as: UTF8.self)
            return [Suggestion(text: typedSoFar + rest, replaceStart: start, fromTypeAheadCache: true, milliseconds: 0)]
        }
        // Token healing: a half-typed word is re-generated whole, so the canvas never ends in the middle of a
        // token the model has never seen split that way; the fill must then start with what was typed.
        let wordStart = line.identifierStart
        let typed = String(decoding: request.text[wordStart..<request.cursor], as: UTF8.self)
        let (infill, plannedHole) = context.prepare(request: request, holeStart: wordStart, settings: settings,
                                                    tokenizer: backend.tokenizer, maskTokenID: backend.maskTokenID)
        var hole = plannedHole
        if !backend.supportsStepHook { hole.stepHook = nil }
        var suggestions: [Suggestion] = []
        var seen = Set<String>()
        // Blocks whose end the user has not typed yet: a fill may close them (`}` on a new line). A pass over the
        // whole document, so made only for a fill that has a closer at all, and once per request.
        var missingClosersOnce: [Character]?
        func missingClosers(for text: String) -> [Character] {
            guard text.contains(where: FillPostProcessor.closers.contains) else { return [] }
            if let known = missingClosersOnce { return known }
            let found = FillPostProcessor.bracketsLeftOpen(in: request.text, lineStart: line.lineStart)
            missingClosersOnce = found
            return found
        }
        let linePrefix = line.prefix(upTo: wordStart)
        let languageFloor = settings.minConfidence(forLanguage: request.languageID, copiesLineOfFile: true)
        let newLineFloor = settings.minConfidence(forLanguage: request.languageID, copiesLineOfFile: false)
        let repeated = repeatedLine(request, line: line, linePrefix: linePrefix, typed: typed, hole: hole,
                                    index: context.workspaceIndex, settings: settings, trace: trace)
        if let repeated { seen.insert(String(repeated.text.utf8.dropFirst(typed.utf8.count)) ?? "") }
        // A repeated line is offered first; the model fills only the further suggestions an invocation asks for.
        let attempts = repeated == nil ? max(1, request.count, settings.lengthCandidates)
            : request.count > 1 ? max(request.count - 1, settings.lengthCandidates) : 0
        // The model's first fill that survived post-processing and the syntax guard, whatever its confidence: one of
        // the ranker's clues.
        var modelLine: (text: String, confidence: Float?)?
        for attempt in 0..<attempts {
            if cancellation.isCancelled { throw EngineError.cancelled }
            // Further suggestions differ in hole length (the biggest lever on infill quality), then in seed.
            let lengths = [hole.tokens, hole.tokens / 2, hole.tokens * 2]
            // No attempt's hole takes more than half the canvas: context is what a fill is made from.
            let fillAttempt = FillAttempt(holeTokens: max(4, min(lengths[attempt % lengths.count],
                                                                 settings.contextTokens / 2)),
                                          temperature: attempt < lengths.count ? settings.temperature
                                              : max(settings.temperature, 0.7),
                                          seed: UInt64(attempt))
            let started = ContinuousClock.now
            let fill = try backend.scoredFill(infill, hole: hole, attempt: fillAttempt, settings: settings,
                                              cancellation: cancellation)
            var text = fill.text
            let elapsed = ContinuousClock.now - started
            trace?("attempt \(attempt + 1): hole of \(fillAttempt.holeTokens) tokens"
                   + (fill.steps.map { ", \($0) steps" } ?? "") + ", fill \(text.debugDescription)")
            guard text.hasPrefix(typed) else {
                trace?("  dropped: it does not start with the typed word \(typed.debugDescription)")
                continue
            }
            text.removeFirst(typed.count)
            if let trim = hole.trim { text = trim(text) }
            guard var cleaned = postProcessor.process(text, linePrefix: line.prefix(upTo: request.cursor),
                                                      lineSuffix: line.suffix(from: request.cursor),
                                                      followingLines: line.followingLines(4), extent: hole.extent,
                                                      missingClosers: missingClosers(for: text))
            else {
                trace?("  dropped by post-processing (empty, only whitespace, or repeating what follows) after trimming to \(text.debugDescription)")
                continue
            }
            if let (kept, unit) = FillPostProcessor.cutAtDegenerateRepetition(typed + cleaned) {
                // `kept` ends in its last non-blank character, so anything past the typed word is worth offering.
                guard kept.utf8.count > typed.utf8.count else {
                    trace?("  dropped: \(unit.debugDescription) repeated, the mark of a fill the model could not decide")
                    continue
                }
                cleaned = String(kept.utf8.dropFirst(typed.utf8.count)) ?? ""
                trace?("  cut before the line repeating \(unit.debugDescription), the mark of a fill the model could not decide: \(cleaned.debugDescription)")
            }
            let confident = Self.keepingConfidentLines(cleaned, typedBytes: typed.utf8.count, fill: fill,
                                                       floor: Self.continuationFloor)
            if confident != cleaned {
                trace?("  cut after the lines the model was sure of (each line's confidence ≥ \(Self.continuationFloor)): \(confident.debugDescription)")
                cleaned = confident
            }
            guard hole.validate?(typed + cleaned) ?? true else {
                trace?("  dropped: the file parsed before and would not with \(cleaned.debugDescription)")
                continue
            }
            // Score only what is shown: the typed word and the cleaned fill are (almost always) a prefix of the
            // raw fill, and the tokens past it (a next line, a dropped closer) say nothing about this suggestion.
            // Scored before snapping: a snapped suggestion carries the confidence of the model's own fill.
            let shown = fill.confidences(coveringBytes: typed.utf8.count + cleaned.utf8.count) ?? []
            let confidence = SuggestionConfidence.score(shown)
            if modelLine == nil { modelLine = (typed + cleaned, confidence) }
            var snappedFrom: String?
            // While typing, a snapped line is held to the new-line floor like the fill it replaces (below), so a fill
            // under that floor is dropped either way: the file is searched only when the snap could be shown.
            if settings.fileLineSnapDistance > 0, request.invoked || (confidence ?? 1) >= newLineFloor,
               let snapped = FileLineSnap(maxDistance: Double(settings.fileLineSnapDistance))
                .snap(typed + cleaned, before: linePrefix, after: line.suffix(from: request.cursor), typed: typed,
                      text: request.text, line: line),
               hole.validate?(snapped) ?? true {
                trace?("  snapped to the file's line that differs least from it: \(snapped.debugDescription)")
                snappedFrom = typed + cleaned
                cleaned = String(decoding: snapped.utf8.dropFirst(typed.utf8.count), as: UTF8.self)
            }
            guard seen.insert(cleaned).inserted else {
                trace?("  dropped: same as an earlier suggestion")
                continue
            }
            // A bare comment marker is content-free (see `FillPostProcessor.isBareCommentMarker`): held back while
            // typing whatever its confidence, shown as unsure when asked for.
            let bare = FillPostProcessor.isBareCommentMarker(typed + cleaned)
            if bare && !request.invoked {
                trace?("  dropped: only a comment marker, \(cleaned.debugDescription)")
                continue
            }
            let milliseconds = elapsed.milliseconds
            // A fill that completes the line into one the file already has is held to the language's floor, any
            // other to the higher floor for new lines (see `completesLineOfFile`). The file is searched only when
            // the answer matters. A snapped suggestion keeps the floor of the model's own line, a new one: snapped
            // lines are right far less often than the model's own lines of the file (`FileLineSnap`).
            var typingFloor = newLineFloor
            if newLineFloor > languageFloor, snappedFrom == nil, let confidence, confidence >= languageFloor,
               confidence < newLineFloor, Self.completesLineOfFile(linePrefix + typed + cleaned, text: request.text, line: line) {
                typingFloor = languageFloor
                trace?("  completes the line into one the file already has: held to the language's floor \(languageFloor)")
            }
            let floor = request.invoked ? settings.invokedMinConfidence : typingFloor
            if let confidence {
                trace?("  confidence \(String(format: "%.3f", confidence)) over \(shown.count) tokens")
                guard confidence >= floor else {
                    trace?("  dropped: confidence below \(floor)")
                    continue
                }
            }
            suggestions.append(Suggestion(text: typed + cleaned, replaceStart: wordStart, fromTypeAheadCache: false,
                                          milliseconds: milliseconds, confidence: confidence,
                                          tokenConfidences: shown,
                                          isUnsure: bare || (confidence.map { $0 < typingFloor } ?? false),
                                          snappedFrom: snappedFrom))
        }
        if settings.lengthCandidates > 1 {
            // The model's own signal picks among the lengths: surest first (unscored ones keep their place last).
            suggestions = suggestions.enumerated().sorted { a, b in
                let (x, y) = (a.element.confidence ?? -1, b.element.confidence ?? -1)
                return x != y ? x > y : a.offset < b.offset
            }.map(\.element)
            suggestions = Array(suggestions.prefix(max(1, request.count)))
        }
        if suggestions.count > 1 {
            // Several suggestions (an explicit invocation): those that complete the line into one the file already
            // has come first, in their order, then the others. The model is right far more often when its line is
            // one of the file's (`completesLineOfFile`); with two suggestions asked for, this order put the right
            // line first in 95 and 185 held-out holes of 792 and 1,171 where the attempts' own order did in 93 and
            // 181 (`dlsp bench infill --suggestions`, `Training/JOURNAL.md`).
            let copies = suggestions.map {
                Self.completesLineOfFile(linePrefix + ($0.snappedFrom ?? $0.text), text: request.text, line: line)
            }
            suggestions = zip(suggestions, copies).filter(\.1).map(\.0) + zip(suggestions, copies).filter { !$0.1 }.map(\.0)
            trace?("suggestions that complete the line into one of the file's first: \(copies)")
        }
        if repeated == nil, settings.rankFileLines,
           let ranked = rankedLine(request, line: line, linePrefix: linePrefix, typed: typed, modelLine: modelLine,
                                   hole: hole, index: settings.repeatedLinesFromOtherFiles ? context.workspaceIndex : nil,
                                   settings: settings, trace: trace) {
            if !request.invoked && ranked.isUnsure {
                trace?("  the ranker's line is under the floor \(settings.rankedLineMinProbability) and it judged the model's fill less likely still: nothing offered")
                suggestions = []
            } else {
                suggestions = [ranked] + suggestions.filter { $0.text != ranked.text }.prefix(max(0, request.count - 1))
            }
        }
        if let repeated { suggestions = [repeated] + suggestions.prefix(max(0, request.count - 1)) }
        if let best = suggestions.first, !best.isUnsure {
            // The cache continues what follows the cursor, so it keeps the fill without the typed part.
            typeAhead.remember(uri: request.uri, document: request.text, anchor: request.cursor,
                               fill: String(best.text.utf8.dropFirst(typed.utf8.count)) ?? "")
        }
        return suggestions
    }
}

extension CompletionService {
    /// The line the file repeats at the cursor (`RepeatedLine`), or failing that one that another file of the
    /// workspace has between the same two lines (`RepeatedLine.acrossFiles`), as a suggestion, when there is one with
    /// enough evidence and it keeps a parsing file parsing.
    private func repeatedLine(_ request: CompletionRequest, line: LineAround, linePrefix: String, typed: String,
                              hole: HolePlan, index: WorkspaceIndex?, settings: CompletionSettings,
                              trace: ((String) -> Void)?) -> Suggestion? {
        guard settings.repeatedLineMinBits > 0 else { return nil }
        let started = ContinuousClock.now
        let finder = RepeatedLine(minimumBits: Double(settings.repeatedLineMinBits))
        let after = line.suffix(from: request.cursor)
        guard let (rest, evidence) = finder.find(before: linePrefix, after: after, typed: typed, text: request.text,
                                                 line: line)
            ?? (settings.repeatedLinesFromOtherFiles ? index : nil).flatMap({
                finder.acrossFiles(index: $0, path: request.path, before: linePrefix, after: after, typed: typed,
                                   text: request.text, line: line)
            }) else { return nil }
        let text = typed + rest
        let described = "line \(evidence.line + 1)\(evidence.path.map { " of \($0)" } ?? "") has the same \(evidence.linesAbove) line(s) above it and \(evidence.linesBelow) below as the cursor (\(String(format: "%.1f", evidence.bits)) bits)"
        guard hole.validate?(text) ?? true else {
            trace?("\(described), but the file parsed before and would not with it: \(text.debugDescription)")
            return nil
        }
        trace?("\(described): offered as it is, \(text.debugDescription)")
        return Suggestion(text: text, replaceStart: line.identifierStart, fromTypeAheadCache: false,
                          milliseconds: (ContinuousClock.now - started).milliseconds,
                          repeatedLine: evidence)
    }

    /// The line of the file `LineRanker` prefers to the model's fill (`modelLine`, the typed word and the fill), as a
    /// suggestion, when nothing follows the cursor on its line and the line keeps a parsing file parsing.
    private func rankedLine(_ request: CompletionRequest, line: LineAround, linePrefix: String, typed: String,
                            modelLine: (text: String, confidence: Float?)?, hole: HolePlan, index: WorkspaceIndex?,
                            settings: CompletionSettings,
                            trace: ((String) -> Void)?) -> Suggestion? {
        guard line.suffix(from: request.cursor).utf8.allSatisfy(LineFingerprints.isBlank) else { return nil }
        let started = ContinuousClock.now
        let (before, candidates) = Self.rankedLineCandidates(
            text: request.text, line: line, linePrefix: linePrefix, typed: typed, modelLine: modelLine,
            otherFiles: index.map { LineRanker.OtherFiles(index: $0, path: request.path) })
        guard let (chosen, probability) = LineRanker().choose(candidates) else {
            trace?("ranking \(candidates.count) lines of the file: the model's fill is likelier than any")
            return nil
        }
        let text = String(decoding: chosen.text.utf8.dropFirst(before.utf8.count), as: UTF8.self)
        guard text.hasPrefix(typed), hole.validate?(text) ?? true else {
            trace?("ranking \(candidates.count) lines of the file: line \(chosen.line + 1) (p = \(String(format: "%.2f", probability))), but the file parsed before and would not with it")
            return nil
        }
        trace?("ranking \(candidates.count) lines: line \(chosen.line + 1)\(chosen.path.map { " of \($0)" } ?? "") is likelier than the model's fill (p = \(String(format: "%.2f", probability))): \(text.debugDescription)")
        return Suggestion(text: text, replaceStart: line.identifierStart, fromTypeAheadCache: false,
                          milliseconds: (ContinuousClock.now - started).milliseconds,
                          confidence: probability, tokenConfidences: [probability],
                          isUnsure: probability < settings.rankedLineMinProbability,
                          rankedLine: RankedLineEvidence(line: chosen.line, probability: probability,
                                                         candidates: candidates.count, path: chosen.path))
    }

    /// A suggestion's first line: what is judged of it as a single line.
    static func firstLine(of text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }

    /// What `LineRanker` ranks at a cursor: the lines of the file that begin with the cursor line's text before the
    /// typed word (`before`, without its indentation) and the typed word, described against the model's line
    /// (`modelLine`: the typed word and the model's fill).
    static func rankedLineCandidates(text: [UInt8], line: LineAround, linePrefix: String, typed: String,
                                     modelLine: (text: String, confidence: Float?)?,
                                     otherFiles: LineRanker.OtherFiles? = nil)
        -> (before: String, candidates: [LineRanker.Candidate]) {
        let before = String(decoding: Array(linePrefix.utf8)[...].trimmingLeadingBlanks, as: UTF8.self)
        let modelFill = modelLine.map {
            String(decoding: Array((before + Self.firstLine(of: $0.text)).utf8)[...].trimmingBlanks, as: UTF8.self)
        }
        return (before, LineRanker.candidates(text: text, cursorLineStart: line.lineStart, head: before + typed,
                                              modelFill: modelFill, modelConfidence: modelLine?.confidence,
                                              otherFiles: otherFiles))
    }

    /// How sure the model must be of each line after a fill's first for that line to be offered with it. Not
    /// `minConfidence`: that floor decides whether a suggestion is shown at all while typing, and at the 0.7
    /// it was calibrated to before repeated lines were offered it cut most multi-line fills to one line (it is 0.4
    /// now; this floor is kept apart so that moving it does not change how many lines a fill keeps). 0.5 keeps the lines the model was
    /// more sure of than not, and cuts `}` + `= = = =` back to `}`.
    static let continuationFloor: Float = 0.5

    /// Whether the cursor's line, completed (`completedLine`: its text before the hole, the typed word and the fill;
    /// only its first line counts), reads like another line of the file, leading and trailing blanks aside. Why
    /// suggestions that do are held to a lower floor than the others: on three sets of held-out whole lines the
    /// model was right on 144 of 364 such suggestions and on 4 of 567 others; on held-out lines with the cursor
    /// after their first `= ` or `(`, such suggestions at the language's floor were right 9 of 20 and 11 of 24 times,
    /// the others 1 in 6 (`Training/JOURNAL.md`).
    static func completesLineOfFile(_ completedLine: String, text: [UInt8], line: LineAround) -> Bool {
        let first = completedLine.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let wanted = Array(first.utf8)[...].trimmingBlanks
        guard !wanted.isEmpty else { return false }
        var start = 0
        while start <= text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            if start != line.lineStart, text[start..<end].trimmingBlanks.elementsEqual(wanted) { return true }
            start = end + 1
        }
        return false
    }

    /// A multi-line fill up to its first line (after the first) that the model was unsure of: that line's own
    /// tokens score below `floor` (`SuggestionConfidence`). A weak model often gets a line right, a `}` or a
    /// `return`, and then wanders; the lines after that point are noise however sure the first one was. The first
    /// line is always kept (the suggestion's own score judges it). Unchanged without confidences (remote backends).
    static func keepingConfidentLines(_ cleaned: String, typedBytes: Int, fill: ScoredFill, floor: Float) -> String {
        let lines = cleaned.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1, floor > 0 else { return cleaned }
        var keptBytes = typedBytes + lines[0].utf8.count
        guard var scoredTokens = fill.confidences(coveringBytes: keptBytes)?.count else { return cleaned }
        var kept = 1
        for line in lines.dropFirst() {
            let end = keptBytes + 1 + line.utf8.count
            guard let covering = fill.confidences(coveringBytes: end) else { break }
            if let score = SuggestionConfidence.score(Array(covering.dropFirst(scoredTokens))), score < floor { break }
            kept += 1
            keptBytes = end
            scoredTokens = covering.count
        }
        return kept == lines.count ? cleaned
            : FillPostProcessor.trimTrailingWhitespace(lines.prefix(kept).joined(separator: "\n"))
    }
}

/// What the completion needs from the syntax layer: the context around the hole and the hole's shape.
/// `holeStart` is where the hole begins (the start of a half-typed word, which the fill re-generates).
public protocol InfillContextProvider: Sendable {
    func prepare(request: CompletionRequest, holeStart: Int, settings: CompletionSettings,
                 tokenizer: Tokenizer?, maskTokenID: Int?) -> (InfillContext, HolePlan)
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

    public init(tokens: Int, extent: FillPostProcessor.Extent) {
        self.tokens = tokens
        self.extent = extent
    }
}

/// The cursor's line in a UTF-8 buffer.
struct LineAround {
    let text: [UInt8]
    let cursor: Int
    let lineStart: Int
    let lineEnd: Int

    init(text: [UInt8], cursor: Int) {
        self.text = text
        self.cursor = cursor
        var start = cursor
        while start > 0, text[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = cursor
        while end < text.count, text[end] != UInt8(ascii: "\n"), text[end] != UInt8(ascii: "\r") { end += 1 }
        lineStart = start
        lineEnd = end
    }

    /// The start of the identifier that ends at the cursor (ASCII letters, digits, `_`, non-ASCII bytes), at
    /// most 64 bytes back.
    var identifierStart: Int {
        var index = cursor
        while index > lineStart, cursor - index < 64, isIdentifierByte(text[index - 1]) { index -= 1 }
        // Never start a hole on a UTF-8 continuation byte.
        while index < cursor, text[index] & 0xC0 == 0x80 { index += 1 }
        return index
    }


    func prefix(upTo cursor: Int) -> String { String(decoding: text[lineStart..<cursor], as: UTF8.self) }
    func suffix(from cursor: Int) -> String { String(decoding: text[cursor..<lineEnd], as: UTF8.self) }

    /// Up to `count` lines after the cursor's line.
    func followingLines(_ count: Int) -> [Substring] {
        guard lineEnd < text.count else { return [] }
        let rest = String(decoding: text[lineEnd...].prefix(4096), as: UTF8.self)
        return Array(rest.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix(count))
    }
}

/// Whether a UTF-8 byte can be part of an identifier as completion sees words: ASCII letters, digits, `_`, and any
/// byte of a non-ASCII character (so `größe` and `変数` are words too).
public func isIdentifierByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "_") || byte >= 0x80
}

extension ArraySlice where Element == UInt8 {
    /// The bytes without leading and trailing spaces, tabs and carriage returns: a line as the workspace index
    /// fingerprints it (`LineFingerprints.trimmed`), so that lines compared here and there agree.
    var trimmingBlanks: ArraySlice<UInt8> { LineFingerprints.trimmed(self) }

    /// The bytes without leading spaces, tabs and carriage returns.
    var trimmingLeadingBlanks: ArraySlice<UInt8> { drop(while: isBlankByte) }

    /// The bytes without trailing spaces, tabs and carriage returns.
    var trimmingTrailingBlanks: ArraySlice<UInt8> {
        guard let last = lastIndex(where: { !isBlankByte($0) }) else { return self[endIndex..<endIndex] }
        return self[...last]
    }
}

private func isBlankByte(_ byte: UInt8) -> Bool { LineFingerprints.isBlank(byte) }

extension Duration {
    /// The duration in milliseconds, as suggestions and the bench report times.
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15 }
}
