import Engine
import Testing
import TestSupport
@testable import Features

/// The completion pipeline: its stages in order, each with a name the trace carries, and a new stage added by
/// listing it.
@Suite("The completion pipeline runs named stages in order")
struct PipelineTests {
    @Test("the standard pipeline lists its stages in the order they run")
    func stagesInOrder() {
        #expect(
            CompletionPipeline.standard.stageNames == [
                "repeated line", "model", "typed word", "syntax stop rules", "post-processing", "degenerate repetition",
                "confident lines", "parse guard", "score", "file line snap", "prose copy", "duplicate",
                "bare comment marker",
                "offer floor", "order", "ranked line", "merge",
            ])
    }

    @Test("the trace says which stage dropped a fill, under the attempt it belongs to")
    func traceNamesTheStage() throws {
        var events: [StageEvent] = []
        var settings = CompletionCheck.settings
        settings.offer.minConfidence = 0.9
        settings.offer.newLineMinConfidence = 0.9
        // Attempt 1 repeats the text after the cursor (post-processing drops it); attempt 2 is unsure (the floor
        // drops it while typing); attempt 3 is kept.
        let backend = ScriptedBackend(fills: [
            scored([("x)", 0.99)]), scored([("y + 1", 0.5)]), scored([("z + 2", 0.95)]),
        ])
        settings.hole.lengthCandidates = 3
        let offered = try CompletionCheck.complete(
            "total = f(‸x)\n", backend: backend, settings: settings,
            trace: { events.append($0) })
        #expect(offered.map(\.text) == ["z + 2"])
        let drops = events.filter { $0.outcome == .dropped }
        #expect(drops.map(\.stage) == ["post-processing", "offer floor"])
        #expect(drops.map(\.attempt) == [1, 2])
        #expect(events.contains { $0.stage == "model" && $0.attempt == 3 && $0.message.contains("fill \"z + 2\"") })
        #expect(drops[1].description == "  [offer floor] dropped: confidence below 0.9")
    }

    /// A stage written for this test: drops fills that mention a word.
    struct WordFilter: FillFilter {
        var name: String { "no foo" }
        func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
            candidate.text.contains("foo") ? .drop(reason: "it mentions foo") : .keep
        }
    }

    @Test("a new stage is a value added to the list: it runs in its place and the trace names it")
    func addedStageRuns() throws {
        var pipeline = CompletionPipeline.standard
        let floor = try #require(pipeline.fillFilters.firstIndex { $0.name == "offer floor" })
        pipeline.fillFilters.insert(WordFilter(), at: floor)
        #expect(pipeline.stageNames.contains("no foo"))
        var events: [StageEvent] = []
        let marked = MarkedText("x = ‸\n")
        let request = CompletionRequest(
            uri: "file:///m.py", path: "m.py", languageID: "python", text: marked.bytes,
            cursor: marked.cursor, count: 2, invoked: true)
        let service = CompletionService(backend: ScriptedBackend(answers: ["foo()", "bar()"]), pipeline: pipeline)
        let offered = try service.complete(
            request, context: PlainTextContext(), settings: CompletionCheck.settings,
            cancellation: CancellationFlag(), trace: { events.append($0) })
        #expect(offered.map(\.text) == ["bar()"])
        #expect(events.contains { $0.stage == "no foo" && $0.outcome == .dropped && $0.attempt == 1 })
    }
}
