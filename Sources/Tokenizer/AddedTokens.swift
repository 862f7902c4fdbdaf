/// One entry of `added_tokens`: a string that is cut out of the input before pre-tokenization and becomes one id.
public struct AddedToken: Sendable, Hashable {
    /// The exact text of the token, such as `<|endoftext|>`.
    public let content: String
    /// The id it encodes to.
    public let id: Int
    /// Special tokens can be left unrecognised (`allowSpecial: false`) and are dropped by `skipSpecial` decoding.
    public let isSpecial: Bool
    /// Whitespace just before the token is absorbed into it.
    public let stripsLeft: Bool
    /// Whitespace just after the token is absorbed into it.
    public let stripsRight: Bool
    /// The token is only recognised when it is not part of a larger word.
    public let isSingleWord: Bool
    /// The token is matched in the normalized text (after NFC) rather than in the raw input.
    public let isNormalized: Bool
}

/// A piece of the input after the added tokens have been cut out.
enum AddedTokenSegment {
    /// Ordinary text, as a byte range of the UTF-8 that was searched.
    case text(Range<Int>)
    /// An added token's id.
    case token(Int32)
}

/// Finds added tokens in UTF-8 text the way the library's leftmost-longest automaton does: the earliest start wins,
/// then the longest token; the search resumes after a match even when the match is then discarded.
struct AddedTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }

    /// Candidates by first byte, longest first.
    private let candidatesByFirstByte: [[Candidate]]
    let isEmpty: Bool

    /// `tokens` must already be in the form they are searched in (normalized contents for the normalized pass).
    init(_ tokens: [(content: String, token: AddedToken)]) {
        var table = [[Candidate]](repeating: [], count: 256)
        for (content, token) in tokens where !content.isEmpty {
            let bytes = Array(content.utf8)
            table[Int(bytes[0])].append(Candidate(bytes: bytes, token: token))
        }
        candidatesByFirstByte = table.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        isEmpty = tokens.allSatisfy { $0.content.isEmpty }
    }

    /// Cuts `text[range]` into text and token segments. Special tokens are skipped when `skipSpecial` is true, so
    /// that they are tokenized as plain text.
    func split(_ text: UnsafeBufferPointer<UInt8>, skipSpecial: Bool) -> [AddedTokenSegment] {
        let count = text.count
        if isEmpty || count == 0 { return count == 0 ? [] : [.text(0..<count)] }
        var segments: [AddedTokenSegment] = []
        var segmentStart = 0
        var position = 0
        while position < count {
            guard let candidate = longestCandidate(at: position, in: text) else {
                position += 1
                continue
            }
            let matchEnd = position + candidate.bytes.count
            defer { position = matchEnd }
            let token = candidate.token
            if skipSpecial && token.isSpecial { continue }
            if token.isSingleWord {
                let wordBefore = position > 0 && Self.isWordScalar(Self.scalar(endingAt: position, in: text))
                let wordAfter = matchEnd < count && Self.isWordScalar(Self.scalar(startingAt: matchEnd, in: text))
                if wordBefore || wordAfter { continue }
            }
            var start = position
            var stop = matchEnd
            if token.stripsLeft {
                // Whitespace already absorbed by the previous token's right strip stays with it.
                start = max(Self.startOfTrailingWhitespace(before: position, in: text), segmentStart)
            }
            if token.stripsRight {
                stop = Self.endOfLeadingWhitespace(from: matchEnd, in: text)
            }
            if segmentStart < start { segments.append(.text(segmentStart..<start)) }
            segments.append(.token(Int32(token.id)))
            segmentStart = max(stop, segmentStart)
        }
        if segmentStart < count { segments.append(.text(segmentStart..<count)) }
        return segments
    }

    private func longestCandidate(at position: Int, in text: UnsafeBufferPointer<UInt8>) -> Candidate? {
        let candidates = candidatesByFirstByte[Int(text[position])]
        if candidates.isEmpty { return nil }
        let remaining = text.count - position
        for candidate in candidates where candidate.bytes.count <= remaining {
            var equal = true
            for offset in 1..<candidate.bytes.count where text[position + offset] != candidate.bytes[offset] {
                equal = false
                break
            }
            if equal { return candidate }
        }
        return nil
    }

    /// `\w` as the library's lstrip/rstrip/single_word checks use it (the Rust regex crate's Unicode word class).
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    private static func startOfTrailingWhitespace(before end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var position = end
        while position > 0 {
            let start = startOfScalar(endingAt: position, in: text)
            guard decode(at: start, in: text).properties.isWhitespace else { break }
            position = start
        }
        return position
    }

    private static func endOfLeadingWhitespace(from start: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var position = start
        while position < text.count {
            let scalar = decode(at: position, in: text)
            guard scalar.properties.isWhitespace else { break }
            position += UTF8.width(scalar)
        }
        return position
    }

    private static func scalar(endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        decode(at: startOfScalar(endingAt: end, in: text), in: text)
    }

    private static func scalar(startingAt start: Int, in text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        decode(at: start, in: text)
    }

    private static func startOfScalar(endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }

    /// Decodes the scalar at `start`; the text is valid UTF-8 because it came from a Swift String.
    private static func decode(at start: Int, in text: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
        var iterator = text[start...].makeIterator()
        var decoder = UTF8()
        if case let .scalarValue(scalar) = decoder.decode(&iterator) { return scalar }
        return "\u{FFFD}"
    }
}
