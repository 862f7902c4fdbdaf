import Foundation
import TestSupport
import Testing
@testable import Features

/// A cursor on a new line where the user is about to close a block: the `}` is offered when the document is
/// missing it, and a fill that wanders after its right first line is cut back to that line.
@Suite("Closing a block the user has not closed yet; cutting a fill where the model lost its way")
struct BlockCloserTests {
    static func leftOpen(_ marked: String) -> [Character] {
        let marked = MarkedText(marked)
        let text = marked.bytes, cursor = marked.cursor
        var lineStart = cursor
        while lineStart > 0, text[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        return FillPostProcessor.bracketsLeftOpen(in: text, lineStart: lineStart)
    }

    @Test("the brackets open at the cursor's line that nothing after it closes, innermost last")
    func bracketsLeftOpen() {
        // The `if` block's `}` is missing; the function's is there.
        #expect(Self.leftOpen("function f(xs) {\n  for (const x of xs) {\n    use(x)\n  ‸\n  return 1\n}\n") == ["{"])
        // Balanced: the closer after the cursor belongs to the block the cursor is in.
        #expect(Self.leftOpen("function f() {\n  ‸\n}\n").isEmpty)
        // Two missing, innermost last; a call and an array closed on their own lines do not count.
        #expect(Self.leftOpen("int main(void) {\n  if (x) {\n    int a[2] = {1, 2};\n‸") == ["{", "{"])
        // Brackets in strings and comments are not code.
        #expect(Self.leftOpen("let s = \"{{\" // {\n/* { */\nlet t = '}'\n‸\n").isEmpty)
        #expect(Self.leftOpen("func f() {\n  let s = \"}\"\n  ‸\n") == ["{"])
        // A closer typed later on the cursor's own line closes it too.
        #expect(Self.leftOpen("if (x) {\n  ‸ }\n").isEmpty)
    }

    @Test("a closer the document is missing is kept once the line's own brackets are closed")
    func balanceClosersWithMissing() {
        #expect(FillPostProcessor.balanceClosers("}", linePrefix: "  ", missingClosers: ["{"]) == "}")
        #expect(FillPostProcessor.balanceClosers("}", linePrefix: "  ") == "")
        // Only the innermost missing bracket may close, and only in order.
        #expect(FillPostProcessor.balanceClosers(")", linePrefix: "", missingClosers: ["{"]) == "")
        #expect(FillPostProcessor.balanceClosers("}\n}", linePrefix: "", missingClosers: ["(", "{"]) == "}\n")
        // Not while a bracket opened on the line is still open.
        #expect(FillPostProcessor.balanceClosers("a}", linePrefix: "f(", missingClosers: ["{"]) == "a")
        let processor = FillPostProcessor()
        #expect(
            processor.process(
                "}", linePrefix: "  ", lineSuffix: "", followingLines: ["  return 1", "}"],
                extent: .lines, missingClosers: ["{"]) == "}")
        #expect(
            processor.process(
                "}", linePrefix: "  ", lineSuffix: "", followingLines: ["}"],
                extent: .lines) == nil)
    }

    @Test("a fill is cut before its first degenerate line; a degenerate first line drops it")
    func cutAtDegenerateRepetition() {
        #expect(FillPostProcessor.cutAtDegenerateRepetition("}\n  the the the the the")?.kept == "}")
        #expect(FillPostProcessor.cutAtDegenerateRepetition("}\n  the the the the the")?.unit == "the ")
        #expect(FillPostProcessor.cutAtDegenerateRepetition("x = 1\n\ny = ((((((((")?.kept == "x = 1")
        #expect(FillPostProcessor.cutAtDegenerateRepetition("_ _ _ _ _\n}")?.kept == "")
        #expect(FillPostProcessor.cutAtDegenerateRepetition("}\nreturn x") == nil)
    }

    @Test("lines after the first are kept while the model was sure of each")
    func keepsConfidentLines() {
        let fill = scored([
            ("}", 0.9), ("\n", 0.9), ("  return", 0.8), (" x", 0.7), ("\n", 0.6), ("= =", 0.1),
            (" =", 0.05),
        ])
        #expect(
            ConfidentLinesCut.keepingConfidentLines(fill.text, typedBytes: 0, fill: fill, floor: 0.5)
                == "}\n  return x")
        #expect(ConfidentLinesCut.keepingConfidentLines(fill.text, typedBytes: 0, fill: fill, floor: 0.95) == "}")
        // The first line is the suggestion's own score's to judge; without confidences nothing is cut.
        let unsureFirst = scored([("x", 0.01), ("\n", 0.9), ("y", 0.9)])
        #expect(ConfidentLinesCut.keepingConfidentLines("x\ny", typedBytes: 0, fill: unsureFirst, floor: 0.5) == "x\ny")
        #expect(
            ConfidentLinesCut.keepingConfidentLines(
                "x\n= =", typedBytes: 0, fill: ScoredFill(text: "x\n= ="),
                floor: 0.5) == "x\n= =")
        // The typed word is part of the fill's first tokens.
        let typed = scored([("ret", 0.9), ("urn", 0.9), ("\n", 0.9), ("@@", 0.1)])
        #expect(ConfidentLinesCut.keepingConfidentLines("urn", typedBytes: 3, fill: typed, floor: 0.5) == "urn")
        #expect(ConfidentLinesCut.keepingConfidentLines("urn\n@@", typedBytes: 3, fill: typed, floor: 0.5) == "urn")
    }

    @Test("through the completion path: a new line in an unclosed block gets the `}`, without the noise after it")
    func completionOffersTheCloser() throws {
        let fill = scored([("}", 0.9), ("\n", 0.4), ("  = = =", 0.05), (")", 0.1)])
        func complete(_ marked: String) throws -> [Suggestion] {
            try CompletionCheck.complete(
                marked, backend: ScriptedBackend(fills: [fill]), invoked: true,
                languageID: "javascript", path: "f.js")
        }
        let open = "function f(xs) {\n  for (const x of xs) {\n    use(x)\n  ‸\n  return 1\n}\n"
        #expect(try complete(open).map(\.text) == ["}"])
        // The same fill where the block is closed already is not offered.
        let closed = "function f(xs) {\n  for (const x of xs) {\n    use(x)\n  ‸\n  }\n  return 1\n}\n"
        #expect(try complete(closed).isEmpty)
    }
}
