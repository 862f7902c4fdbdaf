import Engine
import Foundation
import Syntax
import TestSupport
import Testing
@testable import Features

@Suite("The file's lines are ranked as the cursor's line, and one is offered when it beats the model's fill")
struct LineRankerTests {
    /// Two loaders written alike; the second lacks its check (the cursor's line, `‸`). The lines around it only look
    /// like the first loader's (another table, another type), so no line is repeated between identical neighbours.
    static let loaders = """
        def load_user(db, key):
            row = db.fetch("users", key)
            if row is None:
                raise KeyError(key)
            return User(**row)

        def load_group(db, key):
            row = db.fetch("groups", key)
            ‸
                raise KeyError(key)
            return Group(**row)

        """

    static func split(_ file: String) -> (text: [UInt8], cursor: Int) {
        let marked = MarkedText(file)
        return (marked.bytes, marked.cursor)
    }

    static func candidates(_ file: String, head: String = "", modelFill: String? = nil) -> [LineRanker.Candidate] {
        let (text, cursor) = split(file)
        return LineRanker.candidates(lines: DocumentLines(text: text, cursor: cursor), head: head, modelFill: modelFill)
    }

    @Test("the line whose surroundings look like the cursor's wins, with a probability")
    func alikeSurroundings() throws {
        let all = Self.candidates(Self.loaders, modelFill: "if row:")
        // Every distinct non-blank line but the cursor's, once (`raise KeyError(key)` occurs twice).
        #expect(all.count == 8)
        #expect(all.allSatisfy { $0.features.count == LineRanker.Features.count && $0.path == nil })
        let (chosen, probability) = try #require(LineRanker().choose(all))
        #expect(chosen.text == "if row is None:")
        #expect(chosen.line == 2)
        #expect(probability > 0.5 && probability < 1)
        // Its features say why: the line below the cursor is the one below it, the line above looks alike.
        let named = Dictionary(uniqueKeysWithValues: zip(LineRanker.Features.names, chosen.features))
        #expect(named["below1Equal"] == 1 && named["below1"] == 1)
        #expect(named["above1"]! > 0.8 && named["above1"]! < 1)
        #expect(named["sameIndentation"] == 1 && named["isModelFill"] == 0)
    }

    @Test("only lines that begin with what the cursor's line already says are ranked")
    func head() {
        let texts = Set(Self.candidates(Self.loaders, head: "r").map(\.text))
        #expect(
            texts == [
                "row = db.fetch(\"users\", key)", "raise KeyError(key)", "return User(**row)",
                "row = db.fetch(\"groups\", key)", "return Group(**row)",
            ])
    }

    @Test("the model's fill is kept when no line of the file looks like the cursor's")
    func keepsTheModel() {
        let file = """
            import os

            def main():
                ‸
            """
        let all = Self.candidates(file, modelFill: "print(os.getcwd())")
        #expect(!all.isEmpty)
        #expect(LineRanker().choose(all) == nil)
        // No candidates at all: nothing to choose.
        #expect(LineRanker().choose([]) == nil)
    }

    @Test("lines are compared as multisets of tokens")
    func jaccard() {
        func j(_ a: String, _ b: String) -> Float {
            LineTokens.jaccard(LineTokens(Array(a.utf8)[...]), LineTokens(Array(b.utf8)[...]))
        }
        #expect(j("a.b(c)", "a.b(c)") == 1)
        #expect(j("", "") == 1)
        #expect(j("x", "") == 0)
        // f ( x , x ) against f ( x ): four of six tokens shared, counted with their multiplicity.
        #expect(abs(j("f(x, x)", "f(x)") - 4 / 6) < 1e-6)
        #expect(j("größe = 1", "größe=2") == 0.5)
    }

    @Test("another file's line is described from a window of its lines: three non-blank lines on each side")
    func window() throws {
        let text = Array("a\n\nb\nc\n  d\n\n\ne\nf\ng\nh\n".utf8)
        let document = DocumentLines(text: text)
        let (lines, index) = try #require(TokenizedLines.around(line: 7, context: 3, in: document))
        #expect(lines.trimmed.map { String(decoding: $0, as: UTF8.self) } == ["b", "c", "d", "e", "f", "g", "h"])
        #expect(lines.lineNumbers == [2, 3, 4, 7, 8, 9, 10] && index == 3)
        #expect(String(decoding: lines.indentation[2], as: UTF8.self) == "  ")
        // At the file's ends, fewer; a blank line or one past the end has no window.
        let (start, first) = try #require(TokenizedLines.around(line: 0, context: 3, in: document))
        #expect(start.lineNumbers == [0, 2, 3, 4] && first == 0)
        #expect(TokenizedLines.around(line: 1, context: 3, in: document) == nil)
        #expect(TokenizedLines.around(line: 40, context: 3, in: document) == nil)
        // The window describes a line as the whole file does.
        let whole = TokenizedLines(document.nonBlankLines(in: 0...(document.count - 1)))
        #expect(whole.tokens(at: 4) == lines.tokens(at: index) && whole.lineNumbers[4] == 7)
        // The cursor's own file, in a long file: the lines within the distance, the cursor's skipped.
        let numbered = Array((0..<10).map { "l\($0)\n" }.joined().utf8)
        let near = DocumentLines(text: numbered, cursor: 15).nonBlankLines(within: 2)
        #expect(near.lineNumbers == [3, 4, 6, 7] && near.cursorPosition == 2)
        #expect(DocumentLines(text: numbered, cursor: 0).nonBlankLines(within: 2).lineNumbers == [1, 2])
        #expect(DocumentLines(text: numbered, cursor: 27).nonBlankLines(within: 2).lineNumbers == [7, 8])
    }

    @Test("the service offers the ranked line first, held to its own floor while typing")
    func throughTheService() throws {
        func complete(
            count: Int, invoked: Bool, floor: Float = 0.5, rank: Bool = true,
            modelConfidence: Float = 0.3
        ) throws -> [Suggestion] {
            var settings = CompletionCheck.settings
            settings.offer.rankFileLines = rank
            settings.offer.rankedLineMinProbability = floor
            let backend = ScriptedBackend(fills: [
                scored([("if row:", modelConfidence)]),
                scored([("if not row:", 0.3)]),
            ])
            return try CompletionCheck.complete(
                Self.loaders, backend: backend, settings: settings, invoked: invoked,
                count: count, path: "l.py")
        }
        let typing = try complete(count: 1, invoked: false)
        #expect(typing.map(\.text) == ["if row is None:"])
        let evidence = try #require(typing.first?.rankedLine)
        #expect(evidence.line == 2 && evidence.candidates == 8 && evidence.path == nil)
        #expect(typing.first?.confidence == evidence.probability && typing.first?.isUnsure == false)
        // Under its floor, typing offers nothing: the ranker judged the model's fill less likely still.
        #expect(try complete(count: 1, invoked: false, floor: 1).isEmpty)
        // Asked for, it is shown unsure, with the model's fills after it.
        let asked = try complete(count: 3, invoked: true, floor: 1)
        #expect(asked.map(\.text) == ["if row is None:", "if row:", "if not row:"])
        #expect(asked.first?.isUnsure == true)
        #expect(try complete(count: 1, invoked: false, rank: false).map(\.text) == ["if row:"])
        // How sure the model was of its fill is one of the ranker's clues: a sure fill makes the line less likely.
        let unsure = try #require(try complete(count: 1, invoked: true).first?.rankedLine?.probability)
        let sure = try #require(
            try complete(count: 1, invoked: true, modelConfidence: 1).first?.rankedLine?.probability)
        #expect(sure < unsure)
    }

    @Test("with a workspace, lines of other files next to the cursor's neighbours are ranked too")
    func otherFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-ranked-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try """
        def load_user(db, key):
            row = db.fetch("users", key)
            if row is None:
                raise KeyError(key)
            return User(**row)

        """.write(to: root.appendingPathComponent("users.py"), atomically: true, encoding: .utf8)
        let index = WorkspaceIndex(registry: ActionFixtures.registry)
        index.index(roots: [root])
        let file = """
            def load_group(db, key):
                row = db.fetch("groups", key)
                ‸
                    raise KeyError(key)
                return Group(**row)

            """
        let (text, cursor) = Self.split(file)
        let lines = DocumentLines(text: text, cursor: cursor)
        let all = LineRanker.candidates(
            lines: lines, head: "", modelFill: "if row:",
            otherFiles: LineRanker.OtherFiles(index: index, path: "groups.py"))
        // The cursor's line above is nowhere else; the line below it is, and the line before that one is ranked.
        let fromOther = all.filter { $0.path == "users.py" }
        #expect(fromOther.map(\.text) == ["if row is None:"])
        let fromOtherFile = try #require(LineRanker.Features.names.firstIndex(of: "fromOtherFile"))
        #expect(fromOther.first?.line == 2 && fromOther.first?.features[fromOtherFile] == 1)
        // The cursor's own file is never read as another file.
        let excluded = LineRanker.candidates(
            lines: lines, head: "", modelFill: nil,
            otherFiles: LineRanker.OtherFiles(index: index, path: "users.py"))
        #expect(excluded.allSatisfy { $0.path == nil })
        // The places are kept between keystrokes, until another file changes.
        func fromOtherFiles() -> [String] {
            LineRanker.candidates(
                lines: lines, head: "", modelFill: nil,
                otherFiles: LineRanker.OtherFiles(index: index, path: "groups.py")
            )
            .filter { $0.path != nil }.map(\.text)
        }
        #expect(fromOtherFiles() == ["if row is None:"])
        // One more line above it: a kept place (line 2) would now read another line.
        try
            ("def load_user(db, key):\n    row = db.fetch(\"users\", key)\n    row = row or {}\n"
            + "    if not row:\n        raise KeyError(key)\n")
            .write(to: root.appendingPathComponent("users.py"), atomically: true, encoding: .utf8)
        index.update(path: "users.py")
        #expect(fromOtherFiles() == ["if not row:"])
    }
}
