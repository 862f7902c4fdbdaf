import SourceText
import Syntax

/// The document's lines as one completion request sees them, built once per request (from `LineTable`) and read by
/// every stage: the cursor's line, its neighbours, and the file's other lines as the line sources compare them.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as LSP defines them. A line "trimmed" is its bytes without spaces, tabs
/// and carriage returns at either end (`LineFingerprints.trimmed`): the form in which two lines count as the same
/// line here and in the workspace index.
public struct DocumentLines {
    public let text: [UInt8]
    private let table: LineTable
    /// The cursor's byte offset.
    public let cursor: Int
    /// The cursor's line, 0-based.
    public let cursorLine: Int

    public init(text: [UInt8], cursor: Int) {
        self.text = text
        self.cursor = cursor
        table = LineTable(text)
        cursorLine = table.line(containing: cursor)
    }

    /// The whole document, for reading its lines without a cursor (another file of the workspace).
    public init(text: [UInt8]) { self.init(text: text, cursor: 0) }

    /// How many lines (a trailing line break starts one more, empty line).
    public var count: Int { table.lineCount }

    /// The byte range of line `line`'s content, without its terminator.
    public func range(ofLine line: Int) -> Range<Int> { table.contentRange(ofLine: line, in: text) }

    /// Line `line`'s content, without its terminator.
    public func content(ofLine line: Int) -> ArraySlice<UInt8> { text[range(ofLine: line)] }

    /// Line `line` without blanks at either end.
    public func trimmed(line: Int) -> ArraySlice<UInt8> { content(ofLine: line).trimmingBlanks }

    /// The first byte of the cursor's line, and the end of its content.
    public var cursorLineStart: Int { range(ofLine: cursorLine).lowerBound }
    public var cursorLineEnd: Int { range(ofLine: cursorLine).upperBound }

    /// The spaces and tabs that begin the cursor's line.
    public var cursorIndentation: ArraySlice<UInt8> { content(ofLine: cursorLine).prefix(while: isIndentationByte) }

    /// The start of the identifier that ends at the cursor (ASCII letters, digits, `_`, non-ASCII bytes), at most
    /// 64 bytes back: where a hole begins, so that a half-typed word is re-generated whole.
    public var identifierStart: Int {
        var index = cursor
        let lineStart = cursorLineStart
        while index > lineStart, cursor - index < 64, isIdentifierByte(text[index - 1]) { index -= 1 }
        // Never start a hole on a UTF-8 continuation byte.
        while index < cursor, text[index] & 0xC0 == 0x80 { index += 1 }
        return index
    }

    /// The cursor's line from its start up to `offset`.
    public func linePrefix(upTo offset: Int) -> String {
        String(decoding: text[cursorLineStart..<offset], as: UTF8.self)
    }

    /// The cursor's line from `offset` to its end.
    public func lineSuffix(from offset: Int) -> String {
        String(decoding: text[offset..<max(offset, cursorLineEnd)], as: UTF8.self)
    }

    /// Up to `count` lines after the cursor's line.
    public func followingLines(_ count: Int) -> [Substring] {
        let last = min(self.count - 1, cursorLine + count)
        guard last > cursorLine else { return [] }
        return (cursorLine + 1...last).map { Substring(String(decoding: content(ofLine: $0), as: UTF8.self)) }
    }

    /// The nearest non-blank line from `line` on (`line` included), going by `step` (−1: up, 1: down), trimmed.
    public func nearestNonBlankLine(from line: Int, step: Int) -> ArraySlice<UInt8>? {
        var line = line
        while line >= 0, line < count {
            let trimmed = trimmed(line: line)
            if !trimmed.isEmpty { return trimmed }
            line += step
        }
        return nil
    }

    /// Whether a line other than the cursor's reads `completedLine` (its first line only), blanks at either end
    /// aside: whether the cursor's line, completed so, is one the file already has.
    public func fileHasLine(_ completedLine: String) -> Bool { !lines(equalTo: completedLine, first: true).isEmpty }

    /// The lines other than the cursor's (0-based) that read `completedLine` (its first line only), blanks at either
    /// end aside; with `first`, at most one.
    public func lines(equalTo completedLine: String, first: Bool = false) -> [Int] {
        let firstLine = completedLine.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let wanted = Array(firstLine.utf8)[...].trimmingBlanks
        guard !wanted.isEmpty else { return [] }
        var found: [Int] = []
        for line in 0..<count where line != cursorLine && trimmed(line: line).elementsEqual(wanted) {
            found.append(line)
            if first { break }
        }
        return found
    }

    /// The non-blank lines other than the cursor's, in order, within `distance` lines of the cursor's (all of them
    /// when nil).
    public func nonBlankLines(within distance: Int? = nil) -> NonBlankLines {
        let lines = distance.map { max(0, cursorLine - $0)...min(count - 1, cursorLine + $0) } ?? 0...(count - 1)
        return NonBlankLines(self, lines: lines, skipping: cursorLine)
    }

    /// The non-blank lines among `lines`, the cursor's included.
    public func nonBlankLines(in lines: ClosedRange<Int>) -> NonBlankLines {
        NonBlankLines(self, lines: lines, skipping: nil)
    }
}

/// A run of a document's non-blank lines, in order, trimmed, without the cursor's line; `cursorPosition` says where
/// the cursor's line sat among them.
public struct NonBlankLines {
    /// Each line trimmed.
    public private(set) var trimmed: [ArraySlice<UInt8>] = []
    /// Each line's leading spaces and tabs.
    public private(set) var indentation: [ArraySlice<UInt8>] = []
    /// Each line's 0-based number in the document.
    public private(set) var lineNumbers: [Int] = []
    /// Each line's first byte.
    public private(set) var starts: [Int] = []
    /// The index of the first line after the cursor's: the cursor sits between `cursorPosition - 1` and
    /// `cursorPosition`.
    public private(set) var cursorPosition = 0

    init(_ document: DocumentLines, lines: ClosedRange<Int>, skipping skipped: Int?) {
        for line in lines {
            if line == skipped {
                cursorPosition = trimmed.count
                continue
            }
            let content = document.content(ofLine: line)
            let text = content.trimmingBlanks
            guard !text.isEmpty else { continue }
            trimmed.append(text)
            indentation.append(content[content.startIndex..<text.startIndex])
            lineNumbers.append(line)
            starts.append(content.startIndex)
        }
    }

    public var count: Int { trimmed.count }
}

/// Space and tab: what indents a line.
func isIndentationByte(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

/// Whether a UTF-8 byte can be part of an identifier as completion sees words: ASCII letters, digits, `_`, and any
/// byte of a non-ASCII character (so `größe` and `変数` are words too).
public func isIdentifierByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "_") || byte >= 0x80
}
