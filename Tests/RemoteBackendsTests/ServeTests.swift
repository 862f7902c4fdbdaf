import Engine
import Features
import Foundation
import HTTPServer
import Synchronization
import TestSupport
import Testing
@testable import RemoteBackends

/// `dlsp serve` in-process on loopback with the default model, and the remote backend speaking to it in each
/// shape it serves.
@Suite(.serialized) struct ServeTests {
    /// One model for the suite (loading it once keeps the tests quick).
    static let service: CompletionService = {
        try! CompletionService(engine: try! Engine.load(directory: DefaultModel.path))
    }()

    static func start(
        _ configure: (inout ServeOptions) -> Void = { _ in },
        service: CompletionService = ServeTests.service
    ) async throws -> (URL, Task<Void, any Error>) {
        var options = ServeOptions()
        options.port = 0
        configure(&options)
        let server = CompletionServer(service: service, options: options)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return (URL(string: "http://127.0.0.1:\(port)")!, task)
    }

    static let prefix = "def add(a, b):\n    return "
    static let suffix = "\n\nprint(add(1, 2))\n"

    /// What the embedded path itself answers for the same prompt and suffix (the server must agree). An API
    /// request is an explicit one: no confidence floor holds its answer back.
    static func embeddedAnswer() throws -> String {
        let text = Array((prefix + suffix).utf8)
        let request = CompletionRequest(
            uri: "direct://test", path: "untitled", languageID: "", text: text,
            cursor: prefix.utf8.count, invoked: true)
        return try service.complete(
            request, context: PlainTextContext(), settings: CompletionSettings(),
            cancellation: CancellationFlag()
        ).first?.text ?? ""
    }

    @Test(arguments: [RemoteAPI.openAIFIM, .openAICompletions])
    func remoteBackendAgainstServe(api: RemoteAPI) async throws {
        let (url, task) = try await Self.start()
        defer { task.cancel() }
        let backend = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: api, baseURL: url, model: "dlsp",
                timeout: contentTestTimeout, retry: RetryPolicy.none))
        let context = InfillContext(path: "untitled", prefix: Self.prefix, suffix: Self.suffix)
        let remote = try await blocking {
            try backend.fill(
                context, parameters: .init(maxTokens: 16, stop: [], temperature: 0, seed: 0),
                cancellation: CancellationFlag())
        }
        #expect(remote == (try Self.embeddedAnswer()))

        // The whole editor path over the remote backend: context, healing, post-processing.
        let service = CompletionService(backend: backend)
        let text = Array((Self.prefix + "a" + Self.suffix).utf8)
        let request = CompletionRequest(
            uri: "file:///x.py", path: "x.py", languageID: "python", text: text,
            cursor: Self.prefix.utf8.count + 1)
        let suggestions = try await blocking {
            try service.complete(
                request, context: PlainTextContext(), settings: CompletionSettings(),
                cancellation: CancellationFlag())
        }
        for suggestion in suggestions { #expect(!suggestion.text.contains("\n")) }
    }

    /// The text a backend fills reaches the client unchanged, in both shapes, and the request's fields reach the
    /// completion path: the prompt before the cursor, the suffix after it, `max_tokens` as the hole's length, and
    /// `path` (dlsp's extension) or a generic name in the file header.
    @Test(arguments: [RemoteAPI.openAIFIM, .openAICompletions])
    func serveCarriesTheFillAndTheRequest(api: RemoteAPI) async throws {
        let backend = ScriptedBackend(always: "a + b")
        let (url, task) = try await Self.start(service: CompletionService(backend: backend))
        defer { task.cancel() }
        let remote = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: api, baseURL: url, timeout: contentTestTimeout,
                retry: RetryPolicy.none))
        let text = try await blocking {
            try remote.fill(
                InfillContext(path: "ignored", prefix: Self.prefix, suffix: Self.suffix),
                parameters: .init(maxTokens: 8, stop: [], temperature: 0, seed: 0),
                cancellation: CancellationFlag())
        }
        #expect(text == "a + b")
        let seen = try #require(backend.calls.last)
        #expect(seen.context.prefix == Self.prefix)
        #expect(seen.context.suffix == Self.suffix)
        #expect(seen.context.path == "untitled")
        #expect(seen.attempt.holeTokens == 8)

        let named = try await exchange(
            url.appendingPathComponent(api.path.dropFirst().description),
            body: jsonData(["prompt": "x = ", "path": "src/app.py", "max_tokens": 4]))
        #expect(named.status == 200)
        #expect(backend.calls.last?.context.path == "src/app.py")
    }

    /// A multi-line fill streams as one event per line, which join to the non-streamed text.
    @Test func multiLineFillStreamsLineByLine() async throws {
        let backend = ScriptedBackend(always: "    total = a + b\n    return total")
        let (url, task) = try await Self.start(service: CompletionService(backend: backend))
        defer { task.cancel() }
        let fields: [String: Any] = [
            "prompt": "def add(a, b):\n", "suffix": "\n\nprint(add(1, 2))\n",
            "max_tokens": 32,
        ]
        let endpoint = url.appendingPathComponent("v1/completions")
        let plain = try await exchange(endpoint, body: jsonData(fields))
        let text = try #require(((jsonObject(plain.body)["choices"] as? [[String: Any]])?.first?["text"]) as? String)
        #expect(text.contains("\n"))
        var streamed = fields
        streamed["stream"] = true
        let stream = try await exchange(endpoint, body: jsonData(streamed))
        let events = String(decoding: stream.body, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let pieces = events.dropLast().compactMap {
            ((jsonObject(Data($0.dropFirst("data: ".count).utf8))["choices"] as? [[String: Any]])?.first?["text"])
                as? String
        }
        #expect(
            pieces.filter { !$0.isEmpty }.count == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(pieces.joined() == text)
    }

    @Test func responseShapeAndStreaming() async throws {
        let (url, task) = try await Self.start()
        defer { task.cancel() }
        let request = jsonData(["model": "dlsp", "prompt": Self.prefix, "suffix": Self.suffix, "max_tokens": 16])
        let plain = try await exchange(url.appendingPathComponent("v1/completions"), body: request)
        #expect(plain.status == 200)
        let object = jsonObject(plain.body)
        #expect(object["object"] as? String == "text_completion")
        #expect((object["id"] as? String)?.hasPrefix("cmpl-") == true)
        let choices = try #require(object["choices"] as? [[String: Any]])
        #expect(choices.count == 1)
        let text = try #require(choices[0]["text"] as? String)
        #expect(["stop", "length"].contains(choices[0]["finish_reason"] as? String ?? ""))
        let usage = try #require(object["usage"] as? [String: Int])
        #expect((usage["prompt_tokens"] ?? 0) > 0)
        #expect(usage["total_tokens"] == (usage["prompt_tokens"] ?? 0) + (usage["completion_tokens"] ?? 0))

        var streamed = jsonObject(request)
        streamed["stream"] = true
        let stream = try await exchange(url.appendingPathComponent("v1/fim/completions"), body: jsonData(streamed))
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = String(decoding: stream.body, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]")
        let chunks = events.dropLast().map { jsonObject(Data($0.dropFirst("data: ".count).utf8)) }
        let joined = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
        #expect(joined == text)
        #expect(((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) != nil)

        let models = try await exchange(url.appendingPathComponent("v1/models"), method: "GET")
        #expect(((jsonObject(models.body)["data"] as? [[String: Any]])?.first?["id"] as? String) == "dlsp")
        let health = try await exchange(url.appendingPathComponent("health"), method: "GET")
        #expect(jsonObject(health.body)["status"] as? String == "ok")
    }

    @Test func badRequestsGetOpenAIErrors() async throws {
        let (url, task) = try await Self.start { $0.maxBodyBytes = 2048 }
        defer { task.cancel() }
        let endpoint = url.appendingPathComponent("v1/completions")
        func error(_ body: Data) async throws -> (Int, [String: Any]) {
            let answer = try await exchange(endpoint, body: body)
            return (answer.status, jsonObject(answer.body)["error"] as? [String: Any] ?? [:])
        }
        var (status, body) = try await error(Data("{\"prompt\": ".utf8))
        #expect(
            status == 400 && body["code"] as? String == "invalid_json"
                && body["type"] as? String == "invalid_request_error")
        (status, body) = try await error(Data("[1, 2]".utf8))
        #expect(status == 400 && body["code"] as? String == "invalid_json")
        (status, body) = try await error(jsonData(["suffix": "x"]))
        #expect(status == 400 && body["param"] as? String == "prompt")
        (status, body) = try await error(jsonData(["prompt": "x", "max_tokens": "many"]))
        #expect(status == 400 && body["param"] as? String == "max_tokens")
        (status, body) = try await error(jsonData(["prompt": "x", "max_tokens": 100_000]))
        #expect(status == 400 && body["param"] as? String == "max_tokens")
        (status, body) = try await error(jsonData(["prompt": "x", "stream": 1]))
        #expect(status == 400 && body["param"] as? String == "stream")
        (status, body) = try await error(jsonData(["prompt": ["a", "b"]]))
        #expect(status == 400 && body["param"] as? String == "prompt")
        (status, body) = try await error(jsonData(["model": "gpt-4", "prompt": "x"]))
        #expect(status == 404 && body["code"] as? String == "model_not_found")
        (status, body) = try await error(jsonData(["prompt": String(repeating: "x", count: 4096)]))
        #expect(status == 413 && body["message"] != nil)
        let unknown = try await exchange(url.appendingPathComponent("v1/chat/completions"), body: jsonData([:]))
        #expect(unknown.status == 404 && (jsonObject(unknown.body)["error"] as? [String: Any]) != nil)
        // The server is still serving after all of that.
        let health = try await exchange(url.appendingPathComponent("health"), method: "GET")
        #expect(health.status == 200)
    }

    @Test func bearerToken() async throws {
        let (url, task) = try await Self.start { $0.bearerToken = "s3cret" }
        defer { task.cancel() }
        let body = jsonData(["prompt": Self.prefix, "suffix": Self.suffix, "max_tokens": 4])
        let endpoint = url.appendingPathComponent("v1/completions")
        let bare = try await exchange(endpoint, body: body)
        #expect(bare.status == 401)
        #expect((jsonObject(bare.body)["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
        let wrong = try await exchange(endpoint, body: body, headers: ["Authorization": "Bearer s3creX"])
        #expect(wrong.status == 401)
        let right = try await exchange(endpoint, body: body, headers: ["Authorization": "Bearer s3cret"])
        #expect(right.status == 200)
        #expect(try await exchange(url.appendingPathComponent("health"), method: "GET").status == 200)
        // The remote backend sends the key from the variable the configuration names.
        var configuration = BackendConfiguration()
        configuration.kind = .remote(.openAICompletions)
        configuration.url = url.absoluteString
        configuration.apiKeyEnv = "DLSP_TEST_TOKEN"
        let backend = try RemoteBackend(
            endpoint: try #require(
                try configuration.endpoint(
                    environment: ["DLSP_TEST_TOKEN": "s3cret"])))
        _ = try await blocking {
            try backend.fill(
                InfillContext(path: "a.py", prefix: Self.prefix, suffix: Self.suffix),
                parameters: .init(maxTokens: 4, stop: [], temperature: 0, seed: 0),
                cancellation: CancellationFlag())
        }
    }

    /// With one slot and no waiting room, a second request while a fill runs is refused with 429 and
    /// Retry-After; the remote backend waits that long and tries again.
    @Test func fullQueueAnswers429WithRetryAfter() async throws {
        let gate = Gate()
        defer { gate.open() }  // a failed expectation must not leave the fill spinning at the gate
        let slow = CompletionService(backend: ScriptedBackend(always: "42", before: { _ in gate.enter() }))
        let (url, task) = try await Self.start(
            {
                $0.queueCapacity = 0; $0.retryAfterSeconds = 1
            }, service: slow)
        defer { task.cancel() }
        let endpoint = url.appendingPathComponent("v1/completions")
        let body = jsonData(["prompt": "x = ", "max_tokens": 4])
        let first = Task { try await exchange(endpoint, body: body) }
        try await gate.waitUntilEntered()
        let refused = try await exchange(endpoint, body: body)
        #expect(refused.status == 429)
        #expect(refused.headers["retry-after"] == "1")
        #expect((jsonObject(refused.body)["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")

        // A backend retrying after Retry-After gets through once the slot is free. The gate opens only once its
        // first try has been refused, so the retry is what gets it through.
        let transport = ObservedTransport()
        let backend = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .openAICompletions, baseURL: url,
                timeout: contentTestTimeout,
                retry: RetryPolicy(maxAttempts: 3)),
            transport: transport)
        let retried = Task {
            try await blocking {
                try backend.fill(
                    InfillContext(path: "a", prefix: "x = ", suffix: ""),
                    parameters: .init(maxTokens: 4, stop: [], temperature: 0, seed: 0),
                    cancellation: CancellationFlag())
            }
        }
        let answer = await transport.nextResponse()
        let firstTry = try #require(answer, "the backend's first try got no answer")
        #expect(firstTry.status == 429)
        #expect(firstTry.headers["retry-after"] == "1")
        gate.open()
        #expect(try await first.value.status == 200)
        #expect(try await retried.value == "42")
        #expect(transport.statuses == [429, 200])
    }
}

/// The real transport, telling the test each answer as it arrives, so that it can wait for one instead of
/// sleeping.
final class ObservedTransport: HTTPTransport {
    private let transport = URLSessionTransport()
    private struct State {
        var responses: [HTTPResponse] = []
        var taken = 0
        var waiter: (id: Int, continuation: CheckedContinuation<HTTPResponse?, Never>)?
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    func send(_ request: HTTPRequest, cancellation: CancellationFlag) throws -> HTTPResponse {
        let response = try transport.send(request, cancellation: cancellation)
        let waiter = state.withLock { state -> CheckedContinuation<HTTPResponse?, Never>? in
            state.responses.append(response)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.taken += 1
            return waiter.continuation
        }
        waiter?.resume(returning: response)
        return response
    }

    /// The statuses of every answer so far, in order.
    var statuses: [Int] { state.withLock { $0.responses.map(\.status) } }

    /// Waits for the next answer not yet taken (one caller at a time); nil when none comes within `timeout`, which
    /// only guards against a server that never answers. No thread is held while it waits.
    func nextResponse(timeout: Duration = contentTestTimeout) async -> HTTPResponse? {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> Int? in
                if state.taken < state.responses.count {
                    state.taken += 1
                    continuation.resume(returning: state.responses[state.taken - 1])
                    return nil
                }
                state.nextWaiter += 1
                state.waiter = (state.nextWaiter, continuation)
                return state.nextWaiter
            }
            guard let id else { return }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                let expired = state.withLock { state -> CheckedContinuation<HTTPResponse?, Never>? in
                    guard let waiter = state.waiter, waiter.id == id else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                expired?.resume(returning: nil)
            }
        }
    }
}

/// Blocks fills until opened; tells when the first fill has started.
final class Gate: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let opened = Atomic<Bool>(false)

    func enter() {
        entered.signal()
        while !opened.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.005) }
    }

    func open() { opened.store(true, ordering: .relaxed) }

    func waitUntilEntered() async throws {
        try await blocking { [entered] in entered.wait() }
    }
}
