import Engine
import Features
import Foundation
import Hummingbird
import JSONRPC
import Synchronization
import TestSupport
import Testing
@testable import LanguageServer
@testable import RemoteBackends

/// The language server's side: the `backend` settings and the model host building the chosen backend.
@Suite(.serialized) struct ServerBackendTests {
    @Test func backendSettingsAreParsedAndValidated() {
        var configuration = Configuration()
        let unknown = configuration.apply(
            .object([
                "dlsp": .object([
                    "backend": .object([
                        "kind": .string("llama.cpp"), "url": .string("http://127.0.0.1:8012"), "model": .string("qwen"),
                        "apiKeyEnv": .string("KEY"), "timeoutMs": .number(1500), "retries": .number(1),
                        "fallbackToEmbedded": .bool(false), "colour": .string("blue"),
                    ])
                ])
            ]))
        #expect(unknown == ["backend.colour"])
        #expect(configuration.backend.kind == .remote(.llamaCpp))
        #expect(configuration.backend.url == "http://127.0.0.1:8012")
        #expect(configuration.backend.model == "qwen")
        #expect(configuration.backend.apiKeyEnv == "KEY")
        #expect(configuration.backend.timeoutMilliseconds == 1500)
        #expect(configuration.backend.retries == 1)
        #expect(!configuration.backend.fallbackToEmbedded)

        var bad = Configuration()
        let rejected = bad.apply(
            .object([
                "backend": .object([
                    "kind": .string("gpt"), "timeoutMs": .number(-1), "url": .number(3),
                ])
            ]))
        #expect(rejected == ["backend.kind", "backend.timeoutMs", "backend.url"])
        #expect(bad.backend == BackendConfiguration())
    }

    @Test func endpointURLs() throws {
        var configuration = BackendConfiguration()
        configuration.kind = .remote(.openAIFIM)
        configuration.url = "https://api.example.test/v1/"
        #expect(
            try configuration.endpoint()?.requestURL.absoluteString == "https://api.example.test/v1/fim/completions")
        configuration.url = "http://127.0.0.1:8080"
        #expect(try configuration.endpoint()?.requestURL.absoluteString == "http://127.0.0.1:8080/v1/fim/completions")
        configuration.kind = .remote(.llamaCpp)
        #expect(try configuration.endpoint()?.requestURL.absoluteString == "http://127.0.0.1:8080/infill")
        configuration.url = nil
        #expect(throws: RemoteBackendError.self) { try configuration.endpoint() }
        configuration.kind = .embedded
        #expect(try configuration.endpoint() == nil)
        configuration.kind = .remote(.ollama)
        configuration.url = "http://127.0.0.1:11434"
        #expect(throws: RemoteBackendError.self) {
            try configuration.makeBackend(embedded: { ScriptedBackend(always: "") })
        }
    }

    /// The model host builds the remote backend from the settings, completions come from it, and when it goes
    /// down the fallback answers and the notice is raised once.
    @Test func modelHostFillsThroughTheRemoteAndFallsBack() async throws {
        let up = Atomic<Bool>(true)
        let server = try await LoopbackServer.start { router in
            router.post("/v1/fim/completions") { request, context -> Response in
                guard up.load(ordering: .relaxed) else {
                    return Response(status: .badGateway, body: .init(byteBuffer: ByteBuffer(string: "{}")))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string:
                                #"{"choices":[{"text":"a + b","index":0,"finish_reason":"stop"}]}"#)))
            }
        }
        defer { Task { await server.stop() } }
        var configuration = Configuration()
        _ = configuration.apply(
            .object([
                "backend": .object([
                    "kind": .string("openai-fim"), "url": .string(server.baseURL.absoluteString), "retries": .number(0),
                ])
            ]))
        let host = ModelHost()
        let notices = Mutex<[FallbackEvent]>([])
        let loaded = Mutex<Result<String, any Error>?>(nil)
        host.load(
            path: DefaultModel.path, threads: 1, backend: configuration.backend,
            notice: { event in notices.withLock { $0.append(event) } },
            done: { outcome in loaded.withLock { $0 = outcome } })
        let service = try await blocking { try host.service(timeout: .now() + 30).get() }
        #expect(service.backend.name.contains("openai-fim"))
        #expect(!service.backend.supportsStepHook)

        let prefix = "def add(a, b):\n    return "
        let request = CompletionRequest(
            uri: "file:///w/a.py", path: "a.py", languageID: "python",
            text: Array((prefix + "\n").utf8), cursor: prefix.utf8.count)
        @Sendable func complete() throws -> [Suggestion] {
            try service.complete(
                request, context: PlainTextContext(), settings: CompletionSettings(),
                cancellation: CancellationFlag())
        }
        #expect(try await blocking(complete).first?.text == "a + b")

        // Down: three failures open the circuit; each is answered by the embedded model, and the notice comes once.
        up.store(false, ordering: .relaxed)
        for _ in 0..<4 {
            service.typeAhead.forget(uri: request.uri)
            _ = try await blocking(complete)
        }
        let seen = notices.withLock { $0 }
        #expect(seen.count == 1)
        if case .primaryDown(_, let usingFallback)? = seen.first {
            #expect(usingFallback)
        } else {
            Issue.record("expected one primaryDown notice, got \(seen)")
        }
    }

    /// A settings change after loading switches the backend; requests then go to the new one.
    @Test func changedBackendSettingsSwitchTheService() async throws {
        func fimServer(_ text: String) async throws -> LoopbackServer {
            try await LoopbackServer.start { router in
                router.post("/v1/fim/completions") { _, _ -> Response in
                    Response(
                        status: .ok, headers: [.contentType: "application/json"],
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string:
                                    #"{"choices":[{"text":"\#(text)","index":0,"finish_reason":"stop"}]}"#)))
                }
            }
        }
        let first = try await fimServer("first")
        let second = try await fimServer("second")
        defer {
            Task {
                await first.stop(); await second.stop()
            }
        }
        var backend = BackendConfiguration()
        backend.kind = .remote(.openAIFIM)
        backend.url = first.baseURL.absoluteString
        backend.fallbackToEmbedded = false
        let host = ModelHost()
        host.load(path: nil, threads: 1, backend: backend, done: { _ in })
        let context = InfillContext(path: "a.py", prefix: "x = ", suffix: "\n")
        @Sendable func fill(_ service: CompletionService) throws -> String {
            try service.backend.fill(
                context, hole: HolePlan(tokens: 4, extent: .restOfLine),
                attempt: FillAttempt(holeTokens: 4, temperature: 0, seed: 0),
                sampling: SamplingSettings(), cancellation: CancellationFlag())
        }
        let before = try await blocking { try host.service(timeout: .now() + 10).get() }
        #expect(try await blocking { try fill(before) } == "first")

        backend.url = second.baseURL.absoluteString
        let target = backend
        let switched = try await blocking { () throws -> String in
            let outcome = Mutex<Result<String, any Error>?>(nil)
            let finished = DispatchSemaphore(value: 0)
            host.reconfigure(path: nil, threads: 1, backend: target, notice: { _ in }) { result in
                outcome.withLock { $0 = result }
                finished.signal()
            }
            finished.wait()
            return try outcome.withLock { $0 }!.get()
        }
        #expect(switched.contains(second.baseURL.absoluteString))
        let after = try await blocking { try host.service(timeout: .now() + 10).get() }
        #expect(try await blocking { try fill(after) } == "second")
        #expect(host.backendConfiguration == backend)
    }
}
