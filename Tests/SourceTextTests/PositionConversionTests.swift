import Testing
@testable import SourceText

/// Positions in every encoding, over text that defeats naive counting: astral emoji (two UTF-16 units, four UTF-8
/// bytes), ZWJ sequences, CJK, combining marks, tabs and all three line endings.
struct PositionConversionTests {
    let text = "a😀b\n漢字\te\u{301}x\r\n👩‍👩‍👧 z\rlast"

    @Test func offsetsInEachEncoding() throws {
        let document = TextDocument(uri: "file:///t", languageID: "plaintext", version: 1, text: text)
        #expect(document.lines.lineCount == 4)
        // Line 0: "a😀b": "b" is UTF-16 column 3, UTF-8 column 5, UTF-32 column 2.
        #expect(try document.offset(of: .init(line: 0, column: 3), encoding: .utf16) == 5)
        #expect(try document.offset(of: .init(line: 0, column: 5), encoding: .utf8) == 5)
        #expect(try document.offset(of: .init(line: 0, column: 2), encoding: .utf32) == 5)
        // Line 1: "漢字\te\u{301}x": the combining acute accent is its own code unit.
        let line1 = document.lines.lineStarts[1]
        #expect(try document.offset(of: .init(line: 1, column: 5), encoding: .utf16) == line1 + 6 + 1 + 1 + 2)
        #expect(try document.position(ofOffset: line1 + 10, encoding: .utf16) == .init(line: 1, column: 5))
        // "x" after the CRLF-terminated line: the column past the end clamps before "\r".
        #expect(try document.offset(of: .init(line: 1, column: 99), encoding: .utf16) == line1 + 11)
    }

    @Test func roundTripsEveryCharacterBoundary() throws {
        let document = TextDocument(uri: "file:///t", languageID: "plaintext", version: 1, text: text)
        for encoding in PositionEncoding.allCases {
            var offset = 0
            var previous: Unicode.Scalar = " "
            for scalar in text.unicodeScalars {
                defer { previous = scalar; offset += String(scalar).utf8.count }
                // Between the "\r" and "\n" of a CRLF is no position at all: LSP cannot address it.
                if previous == "\r", scalar == "\n" { continue }
                let position = try document.position(ofOffset: offset, encoding: encoding)
                #expect(try document.offset(of: position, encoding: encoding) == offset, "\(encoding) at \(offset)")
            }
        }
    }

    @Test func columnInsideACharacterSnapsToItsStart() throws {
        let document = TextDocument(uri: "file:///t", languageID: "plaintext", version: 1, text: "😀x")
        // UTF-16 column 1 is between the surrogates; UTF-8 columns 1...3 are inside the four bytes.
        #expect(try document.offset(of: .init(line: 0, column: 1), encoding: .utf16) == 0)
        for column in 1...3 {
            #expect(try document.offset(of: .init(line: 0, column: column), encoding: .utf8) == 0)
        }
        #expect(try document.offset(of: .init(line: 0, column: 2), encoding: .utf16) == 4)
    }

    @Test func lineEndings() {
        #expect(LineTable(Array("a\nb\r\nc\rd".utf8)).lineStarts == [0, 2, 5, 7])
        #expect(LineTable(Array("".utf8)).lineStarts == [0])
        #expect(LineTable(Array("x\n".utf8)).lineStarts == [0, 2])
        #expect(LineTable(Array("\r\n\r\n".utf8)).lineStarts == [0, 2, 4])
    }

    @Test func outOfRangePositions() throws {
        let document = TextDocument(uri: "file:///t", languageID: "plaintext", version: 1, text: "ab\ncd")
        // The line after the last one is the end of the document, as editors send it.
        #expect(try document.offset(of: .init(line: 2, column: 0), encoding: .utf16) == 5)
        #expect(throws: PositionError.lineOutOfRange(.init(line: 3, column: 0), lineCount: 2)) {
            try document.offset(of: .init(line: 3, column: 0), encoding: .utf16)
        }
        #expect(throws: PositionError.negative(.init(line: 0, column: -1))) {
            try document.offset(of: .init(line: 0, column: -1), encoding: .utf16)
        }
        #expect(throws: PositionError.offsetOutOfRange(6, length: 5)) {
            try document.position(ofOffset: 6, encoding: .utf8)
        }
    }

    /// Found by fuzzing: in UTF-8, a column past the end of a last line that ends in a multi-byte character read
    /// one byte past the buffer while snapping to a character start, and trapped.
    @Test func utf8ColumnPastTheEndOfTheLastLine() throws {
        let document = TextDocument(uri: "file:///t", languageID: "plaintext", version: 1, text: "a\u{301}")
        #expect(try document.offset(of: .init(line: 0, column: 9), encoding: .utf8) == 3)
        #expect(try document.offset(of: .init(line: 0, column: 3), encoding: .utf8) == 3)
        #expect(try document.offset(of: .init(line: 0, column: 2), encoding: .utf8) == 1)
    }
}

struct TextEditingTests {
    @Test func incrementalChangesInOrder() throws {
        var document = TextDocument(
            uri: "file:///t", languageID: "swift", version: 1, text: "let 😀 = 1\r\nprint(😀)\n")
        try document.apply(
            [
                TextChange(
                    range: .init(start: .init(line: 0, column: 4), end: .init(line: 0, column: 6)), text: "smile"),
                TextChange(
                    range: .init(start: .init(line: 1, column: 6), end: .init(line: 1, column: 8)), text: "smile"),
                TextChange(
                    range: .init(start: .init(line: 2, column: 0), end: .init(line: 2, column: 0)), text: "// 終\n"),
            ], version: 2, encoding: .utf16)
        #expect(document.text == "let smile = 1\r\nprint(smile)\n// 終\n")
        #expect(document.version == 2)
        #expect(document.lines.lineCount == 4)
    }

    @Test func fullReplacement() throws {
        var document = TextDocument(uri: "file:///t", languageID: "swift", version: 1, text: "old")
        try document.apply([TextChange(range: nil, text: "new\ntext")], version: 5, encoding: .utf8)
        #expect(document.text == "new\ntext")
        #expect(document.lines.lineCount == 2)
    }

    @Test func invalidChangeLeavesDocumentUntouched() {
        var document = TextDocument(uri: "file:///t", languageID: "swift", version: 1, text: "one\ntwo")
        let before = document
        #expect(throws: TextChangeError.self) {
            try document.apply(
                [
                    TextChange(
                        range: .init(start: .init(line: 0, column: 0), end: .init(line: 0, column: 1)), text: "O"),
                    TextChange(
                        range: .init(start: .init(line: 9, column: 0), end: .init(line: 9, column: 1)), text: "x"),
                ], version: 2, encoding: .utf16)
        }
        #expect(document == before)
        #expect(throws: TextChangeError.self) {
            try document.apply(
                [
                    TextChange(range: .init(start: .init(line: 1, column: 2), end: .init(line: 0, column: 1)), text: "")
                ], version: 2, encoding: .utf16)
        }
        #expect(document == before)
    }
}
