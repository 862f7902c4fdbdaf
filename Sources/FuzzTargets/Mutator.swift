import Engine

/// The seeded mutation loop's mutator, for builds without libFuzzer: the usual byte-level moves (flips, random
/// bytes, insertions, deletions, copies, splices with another corpus entry, truncation) plus tokens that matter to
/// the readers (JSON punctuation, header names, boundary integers), applied a few at a time.
public struct Mutator {
    private var random: SeededRNG
    /// The largest input it makes.
    public let maximumLength: Int

    public init(seed: UInt64, maximumLength: Int = 8192) {
        random = SeededRNG(seed: seed)
        self.maximumLength = maximumLength
    }

    static let tokens: [[UInt8]] =
        [
            "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "-1", "0", "1e400",
            "-9223372036854775809", "18446744073709551616", "4294967296", "\r\n", "\n", "\r\n\r\n", "Content-Length: ",
            "\"dtype\":\"F16\"", "\"shape\":[", "\"data_offsets\":[", "hidden_size", "vocab_size", "num_hidden_layers",
            "<|mask|>", "😀", "\u{301}", "\u{FEFF}",
        ].map { Array($0.utf8) } + [
            [0], [0xFF], [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0x80], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        ]

    /// A mutant of `input`; `other` is another corpus entry to splice from.
    public mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var data = input
        for _ in 0...(random.next() % 4) {
            let choice = random.next() % 10
            switch choice {
            case 0 where !data.isEmpty:
                let i = index(data.count); data[i] ^= 1 << UInt8(random.next() % 8)
            case 1 where !data.isEmpty:
                data[index(data.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2:
                let count = 1 + Int(random.next() % 8)
                data.insert(
                    contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) },
                    at: index(data.count + 1))
            case 3 where !data.isEmpty:
                let start = index(data.count), count = 1 + Int(random.next() % 16)
                data.removeSubrange(start..<min(data.count, start + count))
            case 4 where !data.isEmpty:
                let start = index(data.count), count = 1 + Int(random.next() % 32)
                let piece = data[start..<min(data.count, start + count)]
                data.insert(contentsOf: piece, at: index(data.count + 1))
            case 5, 6:
                let token = Self.tokens[index(Self.tokens.count)]
                if random.next() % 2 == 0 || data.isEmpty {
                    data.insert(contentsOf: token, at: index(data.count + 1))
                } else {
                    let start = index(data.count)
                    data.replaceSubrange(start..<min(data.count, start + token.count), with: token)
                }
            case 7 where !other.isEmpty:
                let start = index(other.count), count = 1 + Int(random.next() % 64)
                data.insert(contentsOf: other[start..<min(other.count, start + count)], at: index(data.count + 1))
            case 8 where !data.isEmpty:
                data.removeLast(Int(random.next() % UInt64(data.count)))
            case 9 where !data.isEmpty:
                // Digits are where lengths, offsets and dimensions live: change one to another digit.
                for _ in 0..<8 {
                    let i = index(data.count)
                    if (48...57).contains(data[i]) { data[i] = 48 + UInt8(random.next() % 10); break }
                }
            default:
                break
            }
        }
        return data.count > maximumLength ? Array(data.prefix(maximumLength)) : data
    }

    private mutating func index(_ count: Int) -> Int { Int(random.next() % UInt64(max(1, count))) }
}
