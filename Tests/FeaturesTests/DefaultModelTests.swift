import Engine
import Foundation
import Testing
import Tokenizer
@testable import Features

/// The embedded default model through the completion path the server uses.
struct DefaultModelTests {
    static let modelPath: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("Models/default").path
    }()

    @Test func locatorFindsTheDefaultModelFromABuildInsideTheRepository() throws {
        let exe = URL(fileURLWithPath: Self.modelPath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/release/dlsp").path
        #expect(try ModelLocator.locate(environment: [:], executablePath: exe).get() == Self.modelPath)
        #expect(throws: ModelLocatorError.self) {
            try ModelLocator.locate(environment: [:], executablePath: "/nonexistent/bin/dlsp").get()
        }
        #expect(
            try ModelLocator.locate(
                environment: ["DLSP_MODEL": Self.modelPath],
                executablePath: "/nonexistent/bin/dlsp"
            ).get() == Self.modelPath)
    }

    @Test func canvasFollowsTheFormatAndFitsTheBudget() throws {
        let engine = try Engine.load(directory: Self.modelPath)
        let tokenizer = try #require(engine.tokenizer)
        let separator = try #require(engine.config.fileSepTokenID)
        let assembler = CanvasAssembler(tokenizer: tokenizer, fileSeparator: separator)
        let context = InfillContext(
            path: "src/a.py", prefix: String(repeating: "x = 1\n", count: 500) + "y = ",
            suffix: "\nprint(y)\n" + String(repeating: "z = 2\n", count: 500),
            snippets: [.init(path: "src/b.py", text: "def helper():\n    pass")])
        let (before, after) = assembler.assemble(context, holeLength: 16, budget: 256)
        #expect(before.count + 16 + after.count <= 256)
        let text = tokenizer.decode(before, skipSpecial: false)
        // The current file's header comes right before its prefix, and the prefix is cut at its start.
        #expect(text.contains("<|file_sep|>src/a.py\n"))
        #expect(text.hasSuffix("x = 1\ny = "))
        #expect(tokenizer.decode(after, skipSpecial: false).hasPrefix("\nprint(y)\n"))
        // Room to spare: the snippet is included, before the current file.
        let (roomy, _) = assembler.assemble(context, holeLength: 16, budget: 1024)
        let roomyText = tokenizer.decode(roomy, skipSpecial: false)
        #expect(roomyText.hasPrefix("<|file_sep|>src/b.py\ndef helper():"))
    }

    @Test func completesThroughTheServicePath() throws {
        let service = try CompletionService(engine: try Engine.load(directory: Self.modelPath))
        let text = Array("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return \n".utf8)
        let cursor = text.count - 1
        // Asked for (invoked), so the floors that keep unsure fills from a typing user do not empty the list.
        let request = CompletionRequest(
            uri: "file:///w/m.py", path: "m.py", languageID: "python", text: text,
            cursor: cursor, count: 2, invoked: true)
        let first = try service.complete(
            request, context: PlainTextContext(), settings: CompletionSettings(),
            cancellation: CancellationFlag())
        let again = try CompletionService(engine: try Engine.load(directory: Self.modelPath))
            .complete(
                request, context: PlainTextContext(), settings: CompletionSettings(), cancellation: CancellationFlag())
        // Greedy decoding with fixed seeds: the same request gives the same suggestions.
        #expect(first.map(\.text) == again.map(\.text))
        #expect(!first.isEmpty, "no suggestion: the checks below would pass on nothing")
        for suggestion in first {
            #expect(!suggestion.text.contains("\n"))  // the cursor ends a line with code before it: rest of line
            #expect(!suggestion.text.trimmingCharacters(in: .whitespaces).isEmpty)
        }
    }

    @Test func cancellationStopsTheFill() throws {
        let service = try CompletionService(engine: try Engine.load(directory: Self.modelPath))
        let flag = CancellationFlag()
        flag.cancel()
        let request = CompletionRequest(
            uri: "u", path: "a.py", languageID: "python", text: Array("x = ".utf8),
            cursor: 4)
        #expect(throws: EngineError.cancelled) {
            try service.complete(
                request, context: PlainTextContext(), settings: CompletionSettings(), cancellation: flag)
        }
    }
}
