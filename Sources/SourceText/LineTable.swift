/// Where each line of a UTF-8 buffer starts, and the conversions between byte offsets and line/column positions.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP specification defines them. This type is the single place
/// in dlsp where UTF-8 / UTF-16 / UTF-32 columns are converted; everything else works in byte offsets.
public struct LineTable: Sendable, Equatable {
    /// Byte offset of the first byte of each line. Always non-empty: an empty buffer has one empty line.
    public private(set) var lineStarts: [Int]

    public init(_ bytes: some Collection<UInt8>) {
        var starts = [0]
        var offset = 0
        var previousWasCR = false
        for byte in bytes {
            offset += 1
            if byte == UInt8(ascii: "\n") {
                if previousWasCR { starts[starts.count - 1] = offset } else { starts.append(offset) }
                previousWasCR = false
            } else if byte == UInt8(ascii: "\r") {
                starts.append(offset)
                previousWasCR = true
            } else {
                previousWasCR = false
            }
        }
        lineStarts = starts
    }

    /// The number of lines (a trailing newline starts one more, empty line).
    public var lineCount: Int { lineStarts.count }
}

/// Why a position could not be turned into an offset.
public enum PositionError: Error, Equatable, CustomStringConvertible {
    case negative(LineColumn)
    case lineOutOfRange(LineColumn, lineCount: Int)
    case offsetOutOfRange(Int, length: Int)

    public var description: String {
        switch self {
        case .negative(let p):
            return "position \(p) is negative"
        case .lineOutOfRange(let p, let lineCount):
            return "position \(p) is past the end of the document (\(lineCount) lines)"
        case .offsetOutOfRange(let offset, let length):
            return "offset \(offset) is outside the document (\(length) bytes)"
        }
    }
}

extension LineTable {
    /// The byte range of line `line`'s content, without its terminator.
    func contentRange(ofLine line: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let start = lineStarts[line]
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] : bytes.count
        // Drop the terminator: "\n", "\r\n" or "\r".
        if end > start, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<end
    }

    /// The byte offset of `position`.
    ///
    /// A column past the end of its line means the end of that line (the LSP specification asks for this); a column
    /// that falls inside a character (the middle of a UTF-16 surrogate pair, say) snaps to that character's start.
    /// The line just past the last one (`line == lineCount`, what editors send for "end of document") means the end
    /// of the document. Lines beyond that, and negative values, are errors.
    func offset(
        of position: LineColumn, encoding: PositionEncoding,
        in bytes: UnsafeBufferPointer<UInt8>
    ) throws(PositionError) -> Int {
        guard position.line >= 0, position.column >= 0 else { throw .negative(position) }
        if position.line >= lineStarts.count {
            if position.line == lineStarts.count { return bytes.count }
            throw .lineOutOfRange(position, lineCount: lineStarts.count)
        }
        let range = contentRange(ofLine: position.line, in: bytes)
        if encoding == .utf8 {
            var offset = min(range.lowerBound + position.column, range.upperBound)
            // Snap back to the start of a multi-byte sequence. The line's end is always a boundary, and on the
            // last line it is the end of the buffer, which must not be read.
            while offset > range.lowerBound, offset < range.upperBound, bytes[offset] & 0b1100_0000 == 0b1000_0000 {
                offset -= 1
            }
            return offset
        }
        var units = 0
        var offset = range.lowerBound
        while offset < range.upperBound {
            let (scalar, length) = Self.decodeScalar(bytes, at: offset)
            let width = encoding.width(of: scalar)
            if units + width > position.column { break }
            units += width
            offset += length
        }
        return offset
    }

    /// The line and column of a byte offset. Offsets inside a multi-byte character count from its start.
    func position(
        ofOffset offset: Int, encoding: PositionEncoding,
        in bytes: UnsafeBufferPointer<UInt8>
    ) throws(PositionError) -> LineColumn {
        guard offset >= 0, offset <= bytes.count else { throw .offsetOutOfRange(offset, length: bytes.count) }
        let line = self.line(containing: offset)
        let start = lineStarts[line]
        if encoding == .utf8 { return LineColumn(line: line, column: offset - start) }
        var units = 0
        var cursor = start
        while cursor < offset {
            let (scalar, length) = Self.decodeScalar(bytes, at: cursor)
            if cursor + length > offset { break }
            units += encoding.width(of: scalar)
            cursor += length
        }
        return LineColumn(line: line, column: units)
    }

    /// The byte range of line `line`'s content in `bytes` (the buffer the table was built from), without its
    /// terminator.
    public func contentRange(ofLine line: Int, in bytes: [UInt8]) -> Range<Int> {
        bytes.withUnsafeBufferPointer { contentRange(ofLine: line, in: $0) }
    }

    /// The index of the line that contains byte `offset` (binary search over line starts).
    public func line(containing offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Decodes the scalar starting at `offset` of valid UTF-8. Returns U+FFFD and length 1 for a stray byte, so a
    /// caller walking a line always makes progress.
    static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (Unicode.Scalar, Int) {
        let lead = bytes[offset]
        let length: Int
        switch lead {
        case 0..<0x80: return (Unicode.Scalar(lead), 1)
        case 0xC0..<0xE0: length = 2
        case 0xE0..<0xF0: length = 3
        case 0xF0..<0xF8: length = 4
        default: return ("\u{FFFD}", 1)
        }
        guard offset + length <= bytes.count else { return ("\u{FFFD}", 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for index in 1..<length {
            let byte = bytes[offset + index]
            guard byte & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }
}
