import Testing
@testable import Features

/// The document's lines as a completion request sees them.
@Suite("One view of the document's lines per request")
struct DocumentLinesTests {
    static func string(_ bytes: ArraySlice<UInt8>?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test("lines end at \\n, \\r\\n and a lone \\r, as LSP says; their content has no terminator")
    func lineEnds() {
        let text = Array("a\r\nbb\rccc\n\n  d  ".utf8)
        let lines = DocumentLines(text: text)
        #expect(lines.count == 5)
        #expect((0..<5).map { Self.string(lines.content(ofLine: $0)) } == ["a", "bb", "ccc", "", "  d  "])
        #expect(Self.string(lines.trimmed(line: 4)) == "d")
    }

    @Test("the cursor's line, the word typed before the cursor, and the text on each side of it")
    func cursorLine() {
        let before = "x = 1\r\n    total = comp"
        let text = Array((before + "ute(x)  \r\nnext\n").utf8)
        let lines = DocumentLines(text: text, cursor: before.utf8.count)
        #expect(lines.cursorLine == 1)
        #expect(Self.string(lines.cursorIndentation) == "    ")
        #expect(lines.identifierStart == before.utf8.count - 4)
        #expect(lines.linePrefix(upTo: lines.identifierStart) == "    total = ")
        #expect(lines.lineSuffix(from: lines.cursor) == "ute(x)  ")
        #expect(lines.followingLines(4) == ["next", ""])
        // A word of non-ASCII letters is a word too, and a hole never starts inside a character.
        let word = Array("größe".utf8)
        #expect(DocumentLines(text: word, cursor: word.count).identifierStart == 0)
    }

    @Test("whether a completed line is one the file already has: its first line, blanks aside, not the cursor's own")
    func fileHasLine() {
        let text = Array("  a = 1\nb = f(x)\t\r\nb = \n".utf8)
        let lines = DocumentLines(text: text, cursor: text.count - 1)
        #expect(lines.fileHasLine("b = f(x)"))
        #expect(lines.fileHasLine("a = 1\nanything"))
        #expect(!lines.fileHasLine("b = "))  // the cursor's own line
        #expect(!lines.fileHasLine("   "))
    }

    @Test("the non-blank lines around the cursor, its own skipped, with where the cursor sat among them")
    func nonBlankLines() {
        let text = Array("one\n\n  two\nthree\n\nfour\n".utf8)
        let lines = DocumentLines(text: text, cursor: 11)  // the start of "three"
        let around = lines.nonBlankLines()
        #expect(around.trimmed.map { Self.string($0) } == ["one", "two", "four"])
        #expect(around.lineNumbers == [0, 2, 5] && around.cursorPosition == 2)
        #expect(Self.string(around.indentation[1]) == "  ")
        #expect(lines.nonBlankLines(within: 1).lineNumbers == [2])
        #expect(Self.string(lines.nearestNonBlankLine(from: 4, step: 1)) == "four")
        #expect(lines.nearestNonBlankLine(from: 6, step: 1) == nil)
    }
}
