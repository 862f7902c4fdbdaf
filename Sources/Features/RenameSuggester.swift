import Engine
import Foundation
import Syntax
import Tokenizer

/// A name the model proposes for a symbol, with the edits that apply it.
public struct RenameSuggestion: Sendable, Equatable {
    /// The proposed name.
    public var name: String
    /// Mean log-probability per token of the name (each renormalised over identifier pieces, all occurrences
    /// together), so names of different lengths compare fairly; higher is better.
    public var score: Double
    /// The span length (in tokens) that produced the name.
    public var spanTokens: Int
    /// One edit per occurrence, nothing else.
    public var edits: [ByteRangeEdit]
}

/// Settings of the rename suggestions.
public struct RenameSuggestionSettings: Sendable, Equatable {
    /// The tied span lengths tried, in tokens (a name has exactly its span's length).
    public var spanLengths = [1, 2, 3]
    /// How many names to offer at most.
    public var maxSuggestions = 3
    /// Extra sampled tries (seeds 1…n, temperature 0.8, two-token spans) when the greedy ones give fewer valid
    /// names than `maxSuggestions`.
    public var sampledTries = 2
    /// Commit, at each step, every offset at least this probable (and always the most probable one).
    public var commitThreshold = 0.9
    /// The whole canvas must fit this many tokens (the model's window or less). Renames read the code around the
    /// occurrences; a smaller window than completions' keeps each step's full forward pass short.
    public var contextTokens = 512

    public init() {}
}

/// Proposes names for a symbol with the diffusion model: every occurrence in the symbol's scope becomes a masked
/// span of the same length, all spans tied into one group, so the model decides one name from every place it is
/// used at once (what an autoregressive model cannot do). Each name must pass ``Renamer``'s checks.
///
/// The tied decoding runs here on ``Engine/forward(_:rows:)`` rather than `Engine.decideTiedSpans`, because a name
/// must be made of identifier pieces only: the candidates are restricted to tokens whose text is letters, digits
/// and `_` (the end-of-text pad the canvas format puts at the end of holes would otherwise win every position).
/// A group's distribution at offset i is the normalised product of its spans' distributions at offset i.
public struct RenameSuggester: Sendable {
    /// The embedded model (the tied decoding needs its logits).
    public let engine: Engine
    /// Checks every proposed name and produces its edits.
    public let renamer: Renamer

    public init(engine: Engine, renamer: Renamer) {
        self.engine = engine
        self.renamer = renamer
    }

    /// The best names for `target` (best first), each valid, unreserved, different from the old name, unused in
    /// the scope and keeping the file's syntax. May be empty when the model proposes nothing acceptable.
    public func suggest(
        for target: RenameTarget, in tree: SyntaxTree, path: String,
        settings: RenameSuggestionSettings = RenameSuggestionSettings(),
        cancellation: CancellationFlag = CancellationFlag()
    ) throws -> [RenameSuggestion] {
        guard let tokenizer = engine.tokenizer, let separator = engine.config.fileSepTokenID,
            let mask = engine.config.maskTokenID
        else { return [] }
        let builder = TiedSpanCanvas(
            tokenizer: tokenizer, fileSeparator: separator, maskTokenID: mask,
            text: tree.text, path: path, occurrences: target.occurrences,
            targetIndex: target.occurrences.firstIndex(of: target.target) ?? 0,
            budget: min(settings.contextTokens, engine.config.maxPositions))
        let allowed = Self.identifierPieces(tokenizer, count: engine.config.embeddingSize)
        var best: [String: RenameSuggestion] = [:]
        var tries: [(length: Int, temperature: Double, seed: UInt64)] = settings.spanLengths.map { ($0, 0, 0) }
        if settings.sampledTries > 0 { tries += (1...settings.sampledTries).map { (2, 0.8, UInt64($0)) } }
        for (index, attempt) in tries.enumerated() {
            if index >= settings.spanLengths.count, best.count >= settings.maxSuggestions { break }
            if cancellation.isCancelled { throw EngineError.cancelled }
            guard let (canvas, spans) = builder.canvas(spanLength: attempt.length) else { continue }
            let (tokens, logProbabilities) = try decide(
                canvas: canvas, spans: spans, allowed: allowed,
                threshold: settings.commitThreshold,
                temperature: attempt.temperature, seed: attempt.seed,
                cancellation: cancellation)
            let name = tokenizer.decode(tokens, skipSpecial: true)
            guard let edits = try? renamer.edits(renaming: target, to: name, in: tree) else { continue }
            let score = logProbabilities.reduce(0, +) / Double(logProbabilities.count)
            if let existing = best[name], existing.score >= score { continue }
            best[name] = RenameSuggestion(name: name, score: score, spanTokens: attempt.length, edits: edits)
        }
        return Array(best.values.sorted { ($0.score, $1.name) > ($1.score, $0.name) }.prefix(settings.maxSuggestions))
    }

    /// Denoises tied spans: each step runs the canvas, scores every open offset from the summed log-probabilities
    /// of its spans over the allowed tokens, and commits the offsets at least `threshold` probable (always the
    /// most probable one) into every span. Returns the group's tokens and the log-probability each was
    /// committed with.
    func decide(
        canvas initial: [Int], spans: [Range<Int>], allowed: [Bool], threshold: Double,
        temperature: Double, seed: UInt64, cancellation: CancellationFlag
    ) throws -> ([Int], [Double]) {
        var canvas = initial
        let length = spans[0].count
        var tokens = [Int?](repeating: nil, count: length)
        var logProbabilities = [Double](repeating: 0, count: length)
        var generator = SeededRNG(seed: seed)
        let shift = engine.config.shiftLogits ? 1 : 0
        while tokens.contains(where: { $0 == nil }) {
            if cancellation.isCancelled { throw EngineError.cancelled }
            let open = tokens.indices.filter { tokens[$0] == nil }
            let rows = open.flatMap { offset in spans.map { $0.lowerBound + offset - shift } }
            let logits = try engine.forward(canvas, rows: rows)
            var choices: [(offset: Int, token: Int, logProbability: Double)] = []
            for (k, offset) in open.enumerated() {
                var summed = [Double](repeating: 0, count: allowed.count)
                for j in spans.indices { Self.addLogSoftmax(logits[k * spans.count + j], into: &summed) }
                choices.append(
                    Self.choose(summed, allowed: allowed, temperature: temperature, generator: &generator)
                        .map { (offset, $0.token, $0.logProbability) } ?? (offset, 0, -.infinity))
            }
            let ranked = choices.sorted { $0.logProbability > $1.logProbability }
            let commits = ranked.enumerated().filter { $0.offset == 0 || $0.element.logProbability >= log(threshold) }
            for (_, choice) in commits {
                tokens[choice.offset] = choice.token
                logProbabilities[choice.offset] = choice.logProbability
                for span in spans { canvas[span.lowerBound + choice.offset] = choice.token }
            }
        }
        return (tokens.map { $0! }, logProbabilities)
    }

    /// Adds `log softmax(row)` to `summed`.
    static func addLogSoftmax(_ row: [Float], into summed: inout [Double]) {
        let maximum = Double(row.max() ?? 0)
        var total = 0.0
        for value in row { total += exp(Double(value) - maximum) }
        let normaliser = maximum + log(total)
        for index in summed.indices where index < row.count { summed[index] += Double(row[index]) - normaliser }
    }

    /// The allowed token to commit (argmax, or a draw at `temperature`) and its log-probability renormalised over
    /// the allowed tokens.
    static func choose(_ summed: [Double], allowed: [Bool], temperature: Double, generator: inout SeededRNG)
        -> (token: Int, logProbability: Double)?
    {
        let candidates = summed.indices.filter { allowed[$0] }
        guard let maximum = candidates.map({ summed[$0] }).max(), maximum.isFinite else { return nil }
        let normaliser = maximum + log(candidates.reduce(0.0) { $0 + exp(summed[$1] - maximum) })
        var token = candidates.max { summed[$0] < summed[$1] }!
        if temperature > 0 {
            let weights = candidates.map { exp((summed[$0] - maximum) / temperature) }
            var draw = generator.unit() * weights.reduce(0, +)
            for (candidate, weight) in zip(candidates, weights) {
                draw -= weight
                if draw <= 0 { token = candidate; break }
            }
        }
        return (token, summed[token] - normaliser)
    }

    /// Which token ids can be part of an identifier: their text is only ASCII letters, digits and `_`, or letters
    /// beyond ASCII. Special tokens, whitespace and punctuation are excluded.
    static func identifierPieces(_ tokenizer: Tokenizer, count: Int) -> [Bool] {
        (0..<count).map { id in
            guard !tokenizer.isSpecial(id), let bytes = tokenizer.bytes(for: id), !bytes.isEmpty,
                let text = String(validating: bytes, as: UTF8.self)
            else { return false }
            return text.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
        }
    }
}

/// The canvas for tied spans, in ARCHITECTURE.md's format: `<|file_sep|>{path}\n` then the file's text with each
/// occurrence replaced by `spanLength` mask tokens. When the file does not fit, the window keeps the occurrence at
/// the cursor and as many neighbouring occurrences as fit in three quarters of the budget, then text before (two
/// thirds of what is left) and after them.
struct TiedSpanCanvas {
    let header: [Int]
    let maskTokenID: Int
    let budget: Int
    let targetIndex: Int
    /// The text between occurrences, tokenized: `heads[0]`/`tails[0]` before the first occurrence, index `k` after
    /// the last. A segment longer than the byte cap keeps only its first (`heads`) and last (`tails`) bytes and
    /// can then only stand outside the window's occurrences (`whole` is false).
    let heads: [[Int]]
    let tails: [[Int]]
    let whole: [Bool]

    init(
        tokenizer: Tokenizer, fileSeparator: Int, maskTokenID: Int, text: [UInt8], path: String,
        occurrences: [Range<Int>], targetIndex: Int, budget: Int
    ) {
        header = [fileSeparator] + tokenizer.encode(path + "\n", allowSpecial: false)
        self.maskTokenID = maskTokenID
        self.budget = budget
        self.targetIndex = targetIndex
        // Cut by bytes before tokenizing (code runs about 3–4 bytes a token), so a long file costs little.
        let byteCap = budget * 6
        var heads: [[Int]] = [], tails: [[Int]] = [], whole: [Bool] = []
        var bounds: [Range<Int>] = []
        var start = 0
        for occurrence in occurrences {
            bounds.append(start..<occurrence.lowerBound)
            start = occurrence.upperBound
        }
        bounds.append(start..<text.count)
        for range in bounds {
            let slice = text[range]
            if slice.count <= byteCap {
                let tokens = Self.encode(slice, tokenizer)
                heads.append(tokens)
                tails.append(tokens)
                whole.append(true)
            } else {
                heads.append(Self.encode(slice.prefix(byteCap), tokenizer))
                tails.append(Self.encode(slice.suffix(byteCap), tokenizer))
                whole.append(false)
            }
        }
        self.heads = heads
        self.tails = tails
        self.whole = whole
    }

    /// Encodes a byte slice, skipping partial UTF-8 sequences where it was cut.
    private static func encode(_ bytes: ArraySlice<UInt8>, _ tokenizer: Tokenizer) -> [Int] {
        var slice = bytes
        while let first = slice.first, first & 0xC0 == 0x80 { slice = slice.dropFirst() }
        var end = slice.endIndex
        var back = 0
        while end > slice.startIndex, back < 4, slice[end - 1] & 0xC0 == 0x80 { end -= 1; back += 1 }
        if end > slice.startIndex, slice[end - 1] >= 0xC0 {
            let lead = slice[end - 1]
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if back + 1 < length { slice = slice[..<(end - 1)] }
        }
        return tokenizer.encode(String(decoding: slice, as: UTF8.self), allowSpecial: false)
    }

    /// The canvas and the tied spans' positions, or nil when even the cursor's occurrence does not fit.
    func canvas(spanLength: Int) -> (canvas: [Int], spans: [Range<Int>])? {
        let room = budget - header.count
        let inner = room * 3 / 4
        var first = targetIndex, last = targetIndex
        var cost = spanLength
        guard cost <= inner else { return nil }
        var grew = true
        while grew {
            grew = false
            if last + 1 < heads.count - 1, whole[last + 1], cost + heads[last + 1].count + spanLength <= inner {
                cost += heads[last + 1].count + spanLength
                last += 1
                grew = true
            }
            if first > 0, whole[first], cost + heads[first].count + spanLength <= inner {
                cost += heads[first].count + spanLength
                first -= 1
                grew = true
            }
        }
        let outer = room - cost
        let before = tails[first]
        let after = heads[last + 1]
        let prefix = Array(before.suffix(min(before.count, max(outer * 2 / 3, outer - after.count))))
        let suffix = Array(after.prefix(outer - prefix.count))
        var canvas = header + prefix
        var spans: [Range<Int>] = []
        for index in first...last {
            if index > first { canvas += heads[index] }
            spans.append(canvas.count..<(canvas.count + spanLength))
            canvas += [Int](repeating: maskTokenID, count: spanLength)
        }
        canvas += suffix
        return (canvas, spans)
    }
}
