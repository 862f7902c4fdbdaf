import Engine
import Foundation
import Syntax
import TestSupport
import Testing
import Tokenizer
@testable import Features

@Suite("Code actions: regenerate a selection")
struct SelectionRewriteTests {
    static let files = ["selection/python.py", "selection/swift.swift", "selection/javascript.js"]

    static func request(_ fixture: MarkedFixture) -> SelectionRewriteRequest {
        SelectionRewriteRequest(
            path: fixture.path, languageID: fixture.languageID, text: fixture.bytes,
            selection: fixture.offset("start")..<fixture.offset("end"))
    }

    @Test("the selection is the hole: the context is the text around it; broken and unchanged fills are refused")
    func selectionIsMaskedAndChecked() throws {
        let fixture = try ActionFixtures.load("selection/python.py")
        let request = Self.request(fixture)
        let original = String(decoding: fixture.bytes[request.selection], as: UTF8.self)
        let backend = ScriptedBackend(answers: ["    return (a *", original, "    return b * a"])
        let rewriter = SelectionRewriter(backend: backend, registry: ActionFixtures.registry, index: nil)
        let edit = try rewriter.rewrite(request, settings: CompletionSettings(), cancellation: CancellationFlag())
        #expect(edit.range == request.selection)
        #expect(edit.newText == "    return b * a\n")  // the selection's final newline is kept
        #expect(backend.contexts.count == 3)
        let context = try #require(backend.contexts.first)
        #expect(context.path == fixture.path)
        #expect(context.prefix.hasSuffix("def mul(a, b):\n"))
        #expect(context.suffix.hasPrefix("\n\nprint(add(1, 2), mul(2, 3))"))
        #expect(!context.prefix.contains("a * b") && !context.suffix.contains("a * b"))
        // The hole is sized from the selection, within the ceiling.
        #expect(backend.attempts.allSatisfy { $0.holeTokens >= 4 && $0.holeTokens <= 256 })
    }

    @Test("nothing acceptable is an error, not an empty edit")
    func nothingAcceptable() throws {
        let fixture = try ActionFixtures.load("selection/javascript.js")
        let backend = ScriptedBackend(answers: ["  return (a * ;", "   ", "  return a * b;", "}}}"])
        let rewriter = SelectionRewriter(backend: backend, registry: ActionFixtures.registry, index: nil)
        #expect(throws: SelectionRewriteError.nothingAcceptable(tries: 4)) {
            try rewriter.rewrite(
                Self.request(fixture), settings: CompletionSettings(), cancellation: CancellationFlag())
        }
        #expect(throws: SelectionRewriteError.emptySelection) {
            var empty = Self.request(fixture)
            empty.selection = empty.selection.lowerBound..<empty.selection.lowerBound
            return try rewriter.rewrite(empty, settings: CompletionSettings(), cancellation: CancellationFlag())
        }
    }

    @Test(
        "with the default model: an edit confined to the selection that keeps the file parsing, or a refusal",
        arguments: files)
    func defaultModel(file: String) throws {
        let engine = try ActionFixtures.engine.get()
        let fixture = try ActionFixtures.load(file)
        let request = Self.request(fixture)
        let rewriter = SelectionRewriter(
            backend: try EmbeddedBackend(engine: engine),
            registry: ActionFixtures.registry, index: nil)
        do {
            let edit = try rewriter.rewrite(request, settings: CompletionSettings(), cancellation: CancellationFlag())
            print("regenerated selection in \(file): \(edit.newText.debugDescription)")
            #expect(edit.range == request.selection)
            #expect(edit.newText != String(decoding: fixture.bytes[request.selection], as: UTF8.self))
            let after = ByteRangeEdit.apply([edit], to: fixture.bytes)
            #expect(try ActionFixtures.errorCount(after, fixture.languageID) == 0)
            #expect(after.starts(with: fixture.bytes[..<request.selection.lowerBound]))
            #expect(
                after.suffix(fixture.bytes.count - request.selection.upperBound)
                    == fixture.bytes[request.selection.upperBound...])
        } catch let error as SelectionRewriteError {
            print("no regenerated selection in \(file): \(error)")
            #expect(error == .nothingAcceptable(tries: 4))
        }
    }

    @Test("cancellation stops the rewrite")
    func cancellation() throws {
        let engine = try ActionFixtures.engine.get()
        let fixture = try ActionFixtures.load("selection/python.py")
        let rewriter = SelectionRewriter(
            backend: try EmbeddedBackend(engine: engine),
            registry: ActionFixtures.registry, index: nil)
        let flag = CancellationFlag()
        flag.cancel()
        #expect(throws: EngineError.cancelled) {
            try rewriter.rewrite(Self.request(fixture), settings: CompletionSettings(), cancellation: flag)
        }
    }
}
