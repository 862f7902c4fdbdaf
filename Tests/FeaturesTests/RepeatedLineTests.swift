import Foundation
import Syntax
import TestSupport
import Testing
import Tokenizer
@testable import Features

@Suite("A line the file has between the same lines as the cursor, or after them, is offered as it is")
struct RepeatedLineTests {
    /// A method and its async twin, the twin missing its second line (the cursor's line, `‸`).
    static let twins = """
        class Client:
            def send(self, request):
                self._check(request)
                response = self._transport.send(request)
                return response

        class AsyncClient:
            async def send(self, request):
                self._check(request)
                ‸
                return response

        """

    /// `find` for the cursor at `‸` in `file`, with `typed` the word typed just before it.
    static func find(in file: String, typed: String = "", minimumBits: Double = 4)
        -> (rest: String, evidence: RepeatedLineEvidence)?
    {
        let marked = MarkedText(file)
        let cursor = marked.cursor
        let lines = DocumentLines(text: marked.bytes, cursor: cursor)
        return RepeatedLine(minimumBits: minimumBits).find(
            before: lines.linePrefix(upTo: cursor - typed.utf8.count), after: lines.lineSuffix(from: cursor),
            typed: typed, lines: lines)
    }

    @Test("the twin's line is found, with how many lines agree and how rare they are")
    func twin() throws {
        let found = try #require(Self.find(in: Self.twins))
        #expect(found.rest == "response = self._transport.send(request)")
        #expect(found.evidence.line == 3)
        #expect(found.evidence.linesAbove == 1 && found.evidence.linesBelow == 1)
        // Nine non-blank lines besides the cursor's; `self._check(request)` and `return response` occur twice each.
        #expect(abs(found.evidence.bits - 2 * log2(9.0 / 2)) < 1e-9)
        #expect(Self.find(in: Self.twins, minimumBits: 4.4) == nil)
    }

    @Test("mid-line, the line must begin as the cursor's does; the typed word is kept")
    func midLine() throws {
        let typedStart = Self.twins.replacingOccurrences(of: "‸", with: "response = self._tr‸")
        let found = try #require(Self.find(in: typedStart, typed: "_tr"))
        #expect(found.rest == "ansport.send(request)")
        let otherStart = Self.twins.replacingOccurrences(of: "‸", with: "result = ‸")
        #expect(Self.find(in: otherStart) == nil)
        // What follows the cursor must end the line too.
        let withTail = Self.twins.replacingOccurrences(of: "‸", with: "response = self._transport.send(‸)")
        #expect(Self.find(in: withTail)?.rest == "request")
    }

    @Test("places that agree as well on different lines, or a line at another indentation, give nothing")
    func ambiguousOrElsewhere() {
        let ambiguous = """
            def f():
                a = start()
                b = one()
                end(a)
            def g():
                a = start()
                c = two()
                end(a)
            def h():
                a = start()
                ‸
                end(a)
            """
        #expect(Self.find(in: ambiguous, minimumBits: 0) == nil)
        // A place that agrees further (its function's header too) decides it.
        let decided = ambiguous.replacingOccurrences(of: "def h():", with: "def f():")
        #expect(Self.find(in: decided, minimumBits: 0)?.rest == "b = one()")
        let indented = Self.twins.replacingOccurrences(
            of: "        response = self._transport",
            with: "            response = self._transport")
        #expect(Self.find(in: indented, minimumBits: 0) == nil)
    }

    @Test("where no line shares both sides, the line that follows the same lines as the cursor's is offered")
    func oneSide() throws {
        let file = """
            def test_a(self):
                client = make_client()
                client.connect()
                client.send(b"a")
                client.close()

            def test_b(self):
                client = make_client()
                client.connect()
                ‸
            """
        let found = try #require(Self.find(in: file))
        #expect(found.rest == "client.send(b\"a\")")
        #expect(found.evidence.linesAbove == 2 && found.evidence.linesBelow == 0)
        // Eight non-blank lines; the two shared ones occur twice each: 2 bits each.
        #expect(abs(found.evidence.bits - 4) < 1e-9)
        #expect(Self.find(in: file, minimumBits: 4.1) == nil)
    }

    @Test("the cursor's own neighbours are not candidates, and blank lines are not context")
    func neighbours() {
        // Without that rule `c` below the cursor would match: above it `b` (the cursor's own above), below it `c`.
        #expect(Self.find(in: "a\nb\n‸\nc\nc\n", minimumBits: 0) == nil)
        // Blank lines around the twin's line and the cursor's do not matter.
        let spaced = Self.twins.replacingOccurrences(of: "        ‸", with: "\n        ‸\n")
        #expect(Self.find(in: spaced)?.rest == "response = self._transport.send(request)")
    }

    /// Plain-text context with a workspace index, as the syntax layer's context has.
    struct IndexedContext: InfillContextProvider {
        let index: WorkspaceIndex
        var workspaceIndex: WorkspaceIndex? { index }
        func prepare(
            request: CompletionRequest, holeStart: Int, settings: CompletionSettings, tokenizer: Tokenizer?,
            maskTokenID: Int?
        ) -> (InfillContext, HolePlan) {
            PlainTextContext().prepare(
                request: request, holeStart: holeStart, settings: settings,
                tokenizer: tokenizer, maskTokenID: maskTokenID)
        }
    }

    @Test("where the file repeats nothing, the line other files have between the same two lines is offered")
    func acrossFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-repeated-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let header = [
            "# Copyright 2026 Example Authors", "# Licensed under the Apache License, Version 2.0",
            "# you may not use this file except in compliance with the License.",
            "# You may obtain a copy of the License at",
        ]
        func write(_ name: String, _ lines: [String]) throws {
            try (lines.joined(separator: "\n") + "\n").write(
                to: root.appendingPathComponent(name), atomically: true,
                encoding: .utf8)
        }
        try write("a.py", header + ["", "import os"])
        try write("c.py", header + ["", "import sys"])
        let index = WorkspaceIndex(registry: ActionFixtures.registry)
        index.index(roots: [root])
        // The cursor's file lacks the header's third line; nothing in it repeats.
        func complete(minimumBits: Float = 4, otherFiles: Bool = true, newline: String = "\n") throws -> [Suggestion] {
            let marked =
                header[0] + newline + header[1] + newline + "‸" + newline + header[3] + newline + newline
                + "import json" + newline
            var settings = CompletionCheck.settings
            settings.offer.repeatedLineMinBits = minimumBits
            settings.offer.repeatedLinesFromOtherFiles = otherFiles
            return try CompletionCheck.complete(
                marked, backend: ScriptedBackend(fills: [scored([("x = 1", 0.99)])]),
                settings: settings, path: "b.py", context: IndexedContext(index: index))
        }
        let found = try complete()
        #expect(found.map(\.text) == [header[2]])
        #expect(found.first?.repeatedLine?.path == "a.py" && found.first?.repeatedLine?.line == 2)
        // Ten non-blank lines in the other files; the line above and the line below occur twice each.
        #expect(abs((found.first?.repeatedLine?.bits ?? 0) - 2 * log2(10.0 / 2)) < 1e-9)
        #expect(try complete(newline: "\r\n").map(\.text) == [header[2]])
        #expect(try complete(minimumBits: 4.7).map(\.text) == ["x = 1"])
        #expect(try complete(otherFiles: false).map(\.text) == ["x = 1"])
        // Other files that disagree on the line give nothing; a line changed in its file since indexing is not read.
        try write("c.py", [header[0], header[1], "# you may not use this file.", header[3], "", "import sys"])
        index.update(path: "c.py")
        #expect(try complete().map(\.text) == ["x = 1"])
        try write("c.py", header + ["", "import sys"])
        index.update(path: "c.py")
        try write("a.py", [header[0], header[1], "# changed on disk", header[3]])
        #expect(try complete().first?.repeatedLine?.path == "c.py")
    }

    @Test("the cursor's nearest non-blank neighbours, across blank lines and carriage returns")
    func nearestNeighbours() {
        let before = "  first \r\n\r\n   \r\n"
        let text = Array((before + "    \r\n\r\n  last\r\n").utf8)
        let lines = DocumentLines(text: text, cursor: before.utf8.count + 4)
        func string(_ bytes: ArraySlice<UInt8>?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        #expect(lines.cursorLine == 3)
        #expect(string(lines.nearestNonBlankLine(from: lines.cursorLine - 1, step: -1)) == "first")
        #expect(string(lines.nearestNonBlankLine(from: lines.cursorLine + 1, step: 1)) == "last")
        #expect(DocumentLines(text: Array("\n\n".utf8)).nearestNonBlankLine(from: 1, step: -1) == nil)
    }

    @Test("the service offers the repeated line without the model, and the model's fill after it when asked for two")
    func throughTheService() throws {
        func complete(count: Int, invoked: Bool, minimumBits: Float = 4) throws -> ([Suggestion], ScriptedBackend) {
            var settings = CompletionCheck.settings
            settings.offer.repeatedLineMinBits = minimumBits
            // A typing floor that only a sure fill passes: the repeated line has no confidence to hold to it.
            settings.offer.minConfidence = 0.95
            let backend = ScriptedBackend(fills: [scored([("resp = None", 0.99)])])
            let suggestions = try CompletionCheck.complete(
                Self.twins, backend: backend, settings: settings,
                invoked: invoked, count: count, path: "c.py")
            return (suggestions, backend)
        }
        // While typing, the repeated line is offered whatever the confidence floors, and the model is not asked.
        let (typing, typingBackend) = try complete(count: 1, invoked: false)
        #expect(typing.map(\.text) == ["response = self._transport.send(request)"])
        #expect(typing.first?.repeatedLine?.line == 3)
        #expect(typing.first?.confidence == nil && typing.first?.isUnsure == false)
        #expect(typingBackend.callCount == 0)
        let (asked, askedBackend) = try complete(count: 2, invoked: true)
        #expect(asked.map(\.text) == ["response = self._transport.send(request)", "resp = None"])
        #expect(askedBackend.callCount == 1)
        // Too little evidence, or the setting at 0: the model's fill alone.
        #expect(try complete(count: 1, invoked: false, minimumBits: 12).0.map(\.text) == ["resp = None"])
        #expect(try complete(count: 1, invoked: false, minimumBits: 0).0.map(\.text) == ["resp = None"])
    }
}
