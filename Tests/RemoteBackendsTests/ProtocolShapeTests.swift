import Engine
import Features
import Foundation
import Hummingbird
import Testing
@testable import RemoteBackends

/// The llama.cpp and Ollama adapters against small servers that implement those endpoints as their public API
/// documentation describes them (llama.cpp server README, `/infill`; Ollama API docs, `/api/generate`), plus the
/// Mistral-style FIM answer (chat-shaped `message.content`).
@Suite(.serialized) struct ProtocolShapeTests {
    /// llama.cpp `/infill`: `input_prefix`, `input_suffix`, `input_extra: [{filename, text}]`, options of
    /// `/completion` (`n_predict`, `stop`, `temperature`, `cache_prompt`); answers `{content, stop, …}`.
    @Test func llamaCppInfill() async throws {
        let recorder = Recorder()
        let server = try await LoopbackServer.start { router in
            router.post("/infill") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                recorder.record(request, body: body)
                let fields = jsonObject(Data(body.readableBytesView))
                guard fields["input_prefix"] is String, fields["input_suffix"] is String,
                    let extra = fields["input_extra"] as? [[String: Any]],
                    extra.allSatisfy({ $0["filename"] is String && $0["text"] is String })
                else {
                    return Response(
                        status: .badRequest,
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string:
                                    #"{"error":{"code":400,"#
                                    + #""message":"\"input_extra\" must be an array of "#
                                    + #"{\"filename\": string, \"text\": string}","#
                                    + #""type":"invalid_request_error"}}"#
                            )))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            data: jsonData([
                                "content": "a + b", "stop": true, "stop_type": "eos", "tokens_predicted": 3,
                                "model": "qwen2.5-coder", "id_slot": 0,
                            ]))))
            }
        }
        defer { Task { await server.stop() } }
        let backend = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .llamaCpp, baseURL: server.baseURL,
                timeout: contentTestTimeout, retry: RetryPolicy.none))
        let text = try await blocking {
            try backend.fill(
                someContext, hole: HolePlan(tokens: 24, extent: .restOfLine),
                attempt: FillAttempt(holeTokens: 24, temperature: 0, seed: 7),
                sampling: SamplingSettings(), cancellation: CancellationFlag())
        }
        #expect(text == "a + b")
        let body = recorder.lastBody
        #expect(body["input_prefix"] as? String == someContext.prefix)
        #expect(body["input_suffix"] as? String == someContext.suffix)
        let extra = body["input_extra"] as? [[String: String]]
        #expect(extra == [["filename": "Sources/App/Util.swift", "text": "func twice(_ x: Int) -> Int { x * 2 }"]])
        #expect(body["n_predict"] as? Int == 24)
        #expect(body["stop"] as? [String] == ["\n"])
        #expect(body["stream"] as? Bool == false)
        #expect(body["cache_prompt"] as? Bool == true)
        #expect(recorder.lastHeaders["Authorization"] == nil)
    }

    /// Ollama `/api/generate`: `model`, `prompt`, `suffix`, `stream: false`, `options.num_predict`; answers
    /// `{model, created_at, response, done, done_reason, …}`; errors are `{"error": "…"}`.
    @Test func ollamaGenerate() async throws {
        let recorder = Recorder()
        let server = try await LoopbackServer.start { router in
            router.post("/api/generate") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                recorder.record(request, body: body)
                let fields = jsonObject(Data(body.readableBytesView))
                guard fields["model"] as? String == "qwen2.5-coder:1.5b" else {
                    return Response(
                        status: .notFound,
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string:
                                    #"{"error":"model 'x' not found"}"#)))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            data: jsonData([
                                "model": "qwen2.5-coder:1.5b", "created_at": "2025-01-01T00:00:00Z",
                                "response": "a + b", "done": true, "done_reason": "stop",
                                "total_duration": 1000, "eval_count": 3,
                            ]))))
            }
        }
        defer { Task { await server.stop() } }
        let backend = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .ollama, baseURL: server.baseURL,
                model: "qwen2.5-coder:1.5b",
                timeout: contentTestTimeout, retry: RetryPolicy.none))
        let text = try await blocking {
            try backend.fill(
                someContext, hole: HolePlan(tokens: 48, extent: .lines),
                attempt: FillAttempt(holeTokens: 48, temperature: 0, seed: 0),
                sampling: SamplingSettings(), cancellation: CancellationFlag())
        }
        #expect(text == "a + b")
        let body = recorder.lastBody
        let prompt = body["prompt"] as? String ?? ""
        // Snippets as a commented preamble in the file's language, then the current file's path, then the prefix.
        #expect(
            prompt == "// Path: Sources/App/Util.swift\n// func twice(_ x: Int) -> Int { x * 2 }\n//\n"
                + "// Path: Sources/App/main.swift\n" + someContext.prefix)
        #expect(body["suffix"] as? String == someContext.suffix)
        #expect(body["raw"] as? Bool == false)
        #expect(body["stream"] as? Bool == false)
        let options = body["options"] as? [String: Any]
        #expect(options?["num_predict"] as? Int == 48)
        #expect(options?["stop"] == nil)

        // Ollama's error shape comes through as the message.
        let wrong = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .ollama, baseURL: server.baseURL, model: "x",
                timeout: contentTestTimeout, retry: RetryPolicy.none))
        await #expect(throws: RemoteBackendError.status(code: 404, message: "model 'x' not found", retryAfter: nil)) {
            try await blocking {
                try wrong.fill(
                    someContext, parameters: .init(maxTokens: 8, stop: [], temperature: 0, seed: 0),
                    cancellation: CancellationFlag())
            }
        }
    }

    /// Mistral's `/v1/fim/completions` answers chat-shaped choices; the key goes in `Authorization`.
    @Test func fimWithChatShapedAnswerAndKey() async throws {
        let recorder = Recorder()
        let server = try await LoopbackServer.start { router in
            router.post("/v1/fim/completions") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                recorder.record(request, body: body)
                guard request.headers[.authorization] == "Bearer sk-test-123" else {
                    return Response(
                        status: .unauthorized,
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string:
                                    #"{"error":{"message":"Unauthorized","type":"invalid_request_error"}}"#)))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            data: jsonData([
                                "id": "x", "object": "chat.completion", "model": "codestral-latest",
                                "choices": [
                                    [
                                        "index": 0, "message": ["role": "assistant", "content": "a + b"],
                                        "finish_reason": "stop",
                                    ]
                                ],
                                "usage": ["prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13],
                            ]))))
            }
        }
        defer { Task { await server.stop() } }
        var configuration = BackendConfiguration()
        configuration.kind = .remote(.openAIFIM)
        configuration.url = server.baseURL.absoluteString + "/v1"
        configuration.model = "codestral-latest"
        configuration.apiKeyEnv = "TEST_FIM_KEY"
        let endpoint = try #require(try configuration.endpoint(environment: ["TEST_FIM_KEY": "sk-test-123"]))
        let backend = try RemoteBackend(endpoint: endpoint)
        #expect(!backend.name.contains("sk-test-123"))
        let text = try await blocking {
            try backend.fill(
                someContext, parameters: .init(maxTokens: 16, stop: ["\n"], temperature: 0, seed: 0),
                cancellation: CancellationFlag())
        }
        #expect(text == "a + b")
        #expect(recorder.lastBody["model"] as? String == "codestral-latest")
        #expect(recorder.lastBody["max_tokens"] as? Int == 16)
        #expect(recorder.lastBody["suffix"] as? String == someContext.suffix)
        #expect((recorder.lastBody["prompt"] as? String)?.hasSuffix(someContext.prefix) == true)

        // A variable that is named but not set is a configuration error, not an unauthenticated request.
        #expect(throws: RemoteBackendError.self) { try configuration.endpoint(environment: [:]) }
    }
}
