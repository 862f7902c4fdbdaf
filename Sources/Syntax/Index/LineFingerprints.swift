/// A file's non-blank lines as fingerprints: what the workspace index keeps so that completion can find, across
/// files, a line that sits between the same two lines as the cursor (a licence header's next line, the twin of a
/// method in its sync or async sibling, a tutorial's next step) without holding every file's text.
public struct LineFingerprints: Sendable, Hashable {
    /// The fingerprint of each non-blank line (its bytes without spaces, tabs and carriage returns at either end),
    /// in file order.
    public var fingerprints: [UInt64] = []
    /// Each of those lines' 0-based line number.
    public var lineNumbers: [Int32] = []

    public init(text: [UInt8]) {
        var start = 0, number: Int32 = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            let line = Self.trimmed(text[start..<end])
            if !line.isEmpty {
                fingerprints.append(Self.fingerprint(line))
                lineNumbers.append(number)
            }
            start = end + 1
            number += 1
        }
    }

    /// A line's bytes without spaces, tabs and carriage returns at either end: what two lines must share to count as
    /// the same line.
    public static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = line.firstIndex(where: { !isBlank($0) }), let last = line.lastIndex(where: { !isBlank($0) })
        else { return line[line.endIndex...] }
        return line[first...last]
    }

    /// What counts as blank at either end of a line: space, tab and carriage return (the `\r` of a CRLF line end).
    public static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// 64-bit FNV-1a of `bytes` (already trimmed): stable across runs, unlike `Hasher`, and cheap.
    public static func fingerprint(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// The places in other files where a non-blank line sits between non-blank lines with two given fingerprints
/// (`WorkspaceIndex.linesBetween(_:and:excluding:)`), and how common those two lines are in those files.
public struct LinesBetween: Sendable, Equatable {
    public struct Place: Sendable, Equatable {
        public var path: String
        public var lineNumber: Int
        /// The fingerprint of the line between (`LineFingerprints`).
        public var fingerprint: UInt64
    }

    public var places: [Place] = []
    /// How many times the line above and the line below occur in the files searched, and how many non-blank lines
    /// those files have: what the evidence of a match is measured against.
    public var aboveCount = 0
    public var belowCount = 0
    public var lineCount = 0
}
