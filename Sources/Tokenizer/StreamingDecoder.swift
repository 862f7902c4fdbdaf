/// Decodes ids that arrive one at a time (as the sampler commits them) into text, never splitting a character.
///
/// A byte-level token can end in the middle of a multi-byte UTF-8 sequence (an emoji or a CJK character is often
/// several tokens). The decoder emits only complete characters and holds back a trailing sequence that is still a
/// valid beginning; bytes that can never become valid are emitted as U+FFFD at once, as the full decoder would. The
/// concatenation of everything `push` and `finish` return equals `Tokenizer.decode` of the same ids.
public struct StreamingDecoder: Sendable {
    /// The tokenizer whose tokens are decoded.
    public let tokenizer: Tokenizer
    /// Whether special tokens are dropped.
    public let skipSpecial: Bool
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer, skipSpecial: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The bytes held back, waiting for the rest of their character.
    public var pendingByteCount: Int { pending.count }

    /// Adds one id and returns the text it completes (often empty, sometimes more than the token's own text).
    public mutating func push(_ id: Int) -> String {
        guard let bytes = tokenizer.bytes(for: id), !(skipSpecial && tokenizer.isSpecial(id)) else { return "" }
        pending.append(contentsOf: bytes)
        let cut = Self.startOfIncompleteSuffix(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeSubrange(..<cut)
        return text
    }

    /// Adds several ids and returns the text they complete.
    public mutating func push(contentsOf ids: some Sequence<Int>) -> String {
        var text = ""
        for id in ids { text += push(id) }
        return text
    }

    /// Ends the stream: returns what was held back, an unfinished sequence becoming U+FFFD, and starts afresh.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Where a trailing, still-valid but unfinished UTF-8 sequence starts (`bytes.count` when there is none).
    ///
    /// Only a lead byte within the last three bytes can start one. Cutting there cannot change the replacement
    /// characters of the part before, because a lead byte always ends any invalid sequence in front of it.
    static func startOfIncompleteSuffix(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        var start = count - 1
        while start >= 0 && start >= count - 3 {
            let byte = bytes[start]
            if byte & 0xC0 != 0x80 {
                // Found the last non-continuation byte: is it an unfinished but valid beginning?
                let needed: Int
                switch byte {
                case 0xC2...0xDF: needed = 2
                case 0xE0...0xEF: needed = 3
                case 0xF0...0xF4: needed = 4
                default: return count
                }
                let have = count - start
                guard have < needed else { return count }
                if have >= 2 {
                    let second = bytes[start + 1]
                    let allowed: ClosedRange<UInt8> =
                        switch byte {
                        case 0xE0: 0xA0...0xBF
                        case 0xED: 0x80...0x9F
                        case 0xF0: 0x90...0xBF
                        case 0xF4: 0x80...0x8F
                        default: 0x80...0xBF
                        }
                    guard allowed.contains(second) else { return count }
                }
                return start
            }
            start -= 1
        }
        return count
    }
}
