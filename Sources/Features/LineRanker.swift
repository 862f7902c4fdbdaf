import Foundation
import Syntax

/// Why a suggestion is a line of the file chosen by `LineRanker`: which line, and how sure the ranker was.
public struct RankedLineEvidence: Sendable, Equatable {
    /// The 0-based number of the line the suggestion copies (its nearest occurrence in surroundings).
    public var line: Int
    /// The ranker's probability that this line, and not another of the file's nor the model's own fill, is the
    /// cursor's line.
    public var probability: Float
    /// How many distinct lines were ranked.
    public var candidates: Int
    /// The workspace-relative path of the file the line is from, when it is not the cursor's.
    public var path: String?

    public init(line: Int, probability: Float, candidates: Int, path: String? = nil) {
        self.path = path
        self.line = line
        self.probability = probability
        self.candidates = candidates
    }
}

/// Ranks the file's own lines as the line at the cursor, by how alike their surroundings are to the cursor's and
/// how close they are to the model's fill, and picks one when that beats keeping the model's fill.
///
/// Why: on held-out whole lines nearly every line the model gets right is a line the file (or its workspace) already
/// has, and a third of the lines to write are (Python 40 of 158 on the first set). The exact rule of
/// `RepeatedLine` answers where the neighbours match exactly; this ranks every line where they only look alike (the
/// same call with another argument above, the same `return` below), and uses the model's fill as one more clue
/// instead of the answer. A linear score over the features below, a softmax over the file's distinct lines and one
/// more option, "keep the model's fill"; the weights were fitted on one set of held-out holes by maximum likelihood
/// of the right choice (`Training/fit_line_ranker.py`) and checked on two others (`Training/JOURNAL.md`, "The file's
/// lines, ranked"). The probability of the chosen line is calibrated by that fit, so it is the suggestion's
/// confidence.
///
/// Lines are compared as multisets of tokens (identifiers, numbers and single punctuation characters): the Jaccard
/// index, 1 for equal lines.
public struct LineRanker: Sendable {
    /// Per feature (`Features.names`, in that order), its weight; `keepModel` is the logit of keeping the model's fill.
    public struct Weights: Sendable, Equatable {
        public var features: [Float]
        public var keepModel: Float

        public init(features: [Float], keepModel: Float) {
            self.features = features
            self.keepModel = keepModel
        }

        /// Fitted on the first held-out set of whole lines, pooled as the plain bench sees it and with each hole's
        /// repository open as a workspace (`Training/fit_line_ranker.py`).
        public static let fitted = Weights(
            features: [
                4.786, 2.131, 1.009, 3.587, 1.447, 1.077, -1.309, -1.263, 1.265, 3.318, 1.255, 0.124, 0.432,
                -0.163, -0.958, -1.664, -3.381, -0.132, -4.384,
            ],
            keepModel: 3.071)
    }

    /// What describes one candidate line.
    public enum Features {
        /// The features' names, in the order of `Weights.features`.
        public static let names = [
            "above1", "above2", "above3", "below1", "below2", "below3", "above1Equal", "below1Equal",
            "sameIndentation", "likeModelFill", "isModelFill", "logDistance", "logCount", "logRarity", "length",
            "likeLineAbove", "likeLineBelow", "fromOtherFile", "modelConfidence",
        ]
        public static var count: Int { names.count }
    }

    /// One distinct line as a candidate: its text (trimmed), its best-surrounded occurrence and features.
    public struct Candidate: Sendable, Equatable {
        public var text: String
        public var line: Int
        /// The workspace-relative path of the file the line is from, when it is not the cursor's.
        public var path: String?
        public var features: [Float]
    }

    /// Where lines of the workspace's other files come from: the places whose neighbour is the cursor's (the line
    /// just above the cursor above them, or the line just below it below them), read from disk.
    public struct OtherFiles: Sendable {
        public var index: WorkspaceIndex
        /// The cursor file's workspace-relative path, left out.
        public var path: String
        /// At most this many places (those next to both neighbours first).
        public var limit: Int

        public init(index: WorkspaceIndex, path: String, limit: Int = 64) {
            self.index = index
            self.path = path
            self.limit = limit
        }
    }

    public var weights: Weights

    /// Only lines at most this many lines from the cursor are ranked. Ranking costs about 2.5 ms per 1,000 lines
    /// on two cores, paid at every keystroke, and in a file of tens of thousands of lines the far ones rarely win.
    public static let maximumDistance = 2_000

    public init(weights: Weights = .fitted) { self.weights = weights }

    /// The file's distinct non-blank lines, other than the cursor's, that begin with `head` (the cursor line's text
    /// before the cursor, without its indentation), each with its features; with `otherFiles`, also lines of other
    /// files next to the cursor's neighbours. `modelFill` is the model's line (from `head` on, trimmed; nil when it
    /// had none), `modelConfidence` how sure the model was of it (`Suggestion.confidence`): a sure model's fill is
    /// kept more often. Lines of the cursor's file in `excluding` (0-based) are never candidates.
    public static func candidates(
        lines document: DocumentLines, head: String, modelFill: String?,
        modelConfidence: Float? = nil, otherFiles: OtherFiles? = nil, excluding: Set<Int> = []
    ) -> [Candidate] {
        let lines = TokenizedLines(document.nonBlankLines(within: maximumDistance))
        let cursor = lines.cursorPosition
        let above = (1...3).map { lines.tokens(at: cursor - $0) }
        let below = (0..<3).map { lines.tokens(at: cursor + $0) }
        let indentation = Array(document.cursorIndentation)
        let headBytes = Array(head.utf8)
        let fill = modelFill.map { Array($0.utf8) }
        let fillTokens = fill.map { LineTokens($0[...]) }
        let aboveLine = cursor >= 1 ? lines.trimmed[cursor - 1] : nil
        let belowLine = cursor < lines.trimmed.count ? lines.trimmed[cursor] : nil
        var best: [ArraySlice<UInt8>: (context: Float, candidate: Candidate)] = [:]

        /// Describes line `i` of `file` (the cursor's file when `path` is nil) and keeps it if it is the
        /// best-surrounded occurrence of its text so far. `placement`: distance, count and rarity within the cursor's
        /// file.
        func consider(_ file: TokenizedLines, _ i: Int, path: String?, placement: [Float]) {
            let line = file.trimmed[i]
            guard line.starts(with: headBytes) else { return }
            let up = (1...3).map { LineTokens.jaccard(above[$0 - 1], file.tokens(at: i - $0)) }
            let down = (1...3).map { LineTokens.jaccard(below[$0 - 1], file.tokens(at: i + $0)) }
            let context = up.reduce(0, +) + down.reduce(0, +)
            if let known = best[line], known.context >= context { return }
            let tokens = file.tokenized[i]
            var features: [Float] = up + down
            features += [
                i >= 1 && aboveLine.map { file.trimmed[i - 1] == $0 } == true ? 1 : 0,
                i + 1 < file.trimmed.count && belowLine.map { file.trimmed[i + 1] == $0 } == true ? 1 : 0,
                file.indentation[i].elementsEqual(indentation) ? 1 : 0,
                fillTokens.map { LineTokens.jaccard($0, tokens) } ?? 0,
                fill.map { line.elementsEqual($0) ? 1 : 0 } ?? 0,
            ]
            features += placement
            features += [
                Float(min(tokens.count, 20)) / 20,
                LineTokens.jaccard(tokens, above[0]),
                LineTokens.jaccard(tokens, below[0]),
                path == nil ? 0 : 1,
                modelConfidence ?? 0,
            ]
            best[line] = (
                context,
                Candidate(
                    text: String(decoding: line, as: UTF8.self), line: file.lineNumbers[i],
                    path: path, features: features)
            )
        }

        var counts: [ArraySlice<UInt8>: Int] = [:]
        for line in lines.trimmed { counts[line, default: 0] += 1 }
        let total = Float(lines.trimmed.count)
        for i in lines.trimmed.indices where !excluding.contains(lines.lineNumbers[i]) {
            let count = Float(counts[lines.trimmed[i]] ?? 1)
            consider(
                lines, i, path: nil,
                placement: [
                    Float(Foundation.log(1 + Double(abs(lines.lineNumbers[i] - document.cursorLine)))),
                    Float(Foundation.log(Double(count))),
                    Float(Foundation.log(Double(total / count))),
                ])
        }
        if let other = otherFiles, aboveLine != nil || belowLine != nil {
            let places = other.index.linesNextTo(
                above: aboveLine.map(LineFingerprints.fingerprint),
                below: belowLine.map(LineFingerprints.fingerprint),
                excluding: other.path, limit: other.limit)
            for (path, group) in Dictionary(grouping: places, by: \.path).sorted(by: { $0.key < $1.key }) {
                guard let bytes = other.index.textOnDisk(path: path) else { continue }
                for place in group {
                    // Only the lines a candidate's features read are split and tokenized, not the whole file. A line
                    // changed on disk since it was indexed is described as it is now.
                    guard
                        let (window, i) = TokenizedLines.around(
                            line: place.lineNumber, context: 3,
                            in: DocumentLines(text: bytes))
                    else { continue }
                    consider(window, i, path: path, placement: [0, 0, 0])
                }
            }
        }
        return best.values.map(\.candidate).sorted { ($0.path ?? "", $0.line) < ($1.path ?? "", $1.line) }
    }

    /// The candidate to offer and its probability, or nil when keeping the model's fill is likelier than any line.
    public func choose(_ candidates: [Candidate]) -> (candidate: Candidate, probability: Float)? {
        guard !candidates.isEmpty else { return nil }
        let logits = candidates.map { score($0.features) }
        let top = max(logits.max()!, weights.keepModel)
        let z = logits.reduce(Foundation.exp(Double(weights.keepModel - top))) { $0 + Foundation.exp(Double($1 - top)) }
        let bestIndex = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
        guard logits[bestIndex] > weights.keepModel else { return nil }
        return (candidates[bestIndex], Float(Foundation.exp(Double(logits[bestIndex] - top)) / z))
    }

    func score(_ features: [Float]) -> Float {
        zip(features, weights.features).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

/// A line as a multiset of tokens: runs of identifier bytes (letters, digits, `_`, non-ASCII), and every other
/// non-blank byte on its own, each kept as a hash, sorted.
struct LineTokens: Equatable {
    var hashes: [UInt64]
    var count: Int { hashes.count }

    init(_ line: ArraySlice<UInt8>) {
        var out: [UInt64] = []
        var i = line.startIndex
        while i < line.endIndex {
            let byte = line[i]
            if isIdentifierByte(byte) {
                var j = i
                while j < line.endIndex, isIdentifierByte(line[j]) { j += 1 }
                out.append(LineFingerprints.fingerprint(line[i..<j]))
                i = j
            } else {
                if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") && byte != UInt8(ascii: "\r") {
                    out.append(LineFingerprints.fingerprint(line[i...i]))
                }
                i += 1
            }
        }
        hashes = out.sorted()
    }

    /// As below, with a line outside the file (nil) like nothing: no evidence, even where both are outside.
    static func jaccard(_ a: LineTokens?, _ b: LineTokens?) -> Float {
        guard let a, let b else { return 0 }
        return jaccard(a, b)
    }

    /// |A ∩ B| / |A ∪ B| over multisets; 1 when both are empty, 0 when one is.
    static func jaccard(_ a: LineTokens, _ b: LineTokens) -> Float {
        if a.hashes.isEmpty && b.hashes.isEmpty { return 1 }
        var i = 0, j = 0, common = 0
        while i < a.hashes.count && j < b.hashes.count {
            if a.hashes[i] == b.hashes[j] {
                common += 1; i += 1; j += 1
            } else if a.hashes[i] < b.hashes[j] {
                i += 1
            } else {
                j += 1
            }
        }
        let union = a.hashes.count + b.hashes.count - common
        return union == 0 ? 1 : Float(common) / Float(union)
    }
}

/// Non-blank lines of a document with their tokens: what `LineRanker` compares.
struct TokenizedLines {
    let lines: NonBlankLines
    let tokenized: [LineTokens]

    init(_ lines: NonBlankLines) {
        self.lines = lines
        tokenized = lines.trimmed.map { LineTokens($0) }
    }

    var trimmed: [ArraySlice<UInt8>] { lines.trimmed }
    var indentation: [ArraySlice<UInt8>] { lines.indentation }
    var lineNumbers: [Int] { lines.lineNumbers }
    var cursorPosition: Int { lines.cursorPosition }

    /// Line `line` of `document` (0-based) with `context` non-blank lines on each side (fewer at the file's ends), and
    /// that line's index among them; nil when the line is blank or past the end. Only those lines are tokenized.
    static func around(line: Int, context: Int, in document: DocumentLines) -> (lines: TokenizedLines, index: Int)? {
        guard line < document.count, !document.trimmed(line: line).isEmpty else { return nil }
        var low = line, found = 0
        while low > 0, found < context {
            low -= 1
            if !document.trimmed(line: low).isEmpty { found += 1 }
        }
        var high = line
        found = 0
        while high < document.count - 1, found < context {
            high += 1
            if !document.trimmed(line: high).isEmpty { found += 1 }
        }
        let lines = TokenizedLines(document.nonBlankLines(in: low...high))
        guard let index = lines.lineNumbers.firstIndex(of: line) else { return nil }
        return (lines, index)
    }

    /// The tokens of the line at `index`, or nil outside the window.
    func tokens(at index: Int) -> LineTokens? {
        index >= 0 && index < tokenized.count ? tokenized[index] : nil
    }
}
