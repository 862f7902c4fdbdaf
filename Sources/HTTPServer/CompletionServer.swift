import Dispatch
import Engine
import Tokenizer
import Features
import Foundation
import Hummingbird
import Logging

/// `dlsp serve`: one shared model behind an OpenAI-compatible HTTP API.
///
/// - `POST /v1/completions` and `POST /v1/fim/completions`: `{model?, prompt, suffix?, max_tokens?, temperature?,
///   stop?, n?, stream?, user?, path?}` → `text_completion` (choices, usage, finish_reason); with `stream: true`,
///   server-sent events ending in `data: [DONE]`.
/// - `GET /v1/models`, `GET /health` (never behind the token).
///
/// Each request goes through the same ``CompletionService`` path as the editor features: the prompt and suffix
/// become a document with the cursor between them, so healing, the canvas, post-processing and the type-ahead
/// cache apply unchanged.
public final class CompletionServer: Sendable {
    public let service: CompletionService
    public let options: ServeOptions
    private let logger: Logger
    private let queue: FairQueue
    private let workers = DispatchQueue(label: "dlsp.serve.fill", attributes: .concurrent)

    public init(service: CompletionService, options: ServeOptions, logger: Logger = Logger(label: "dlsp.serve")) {
        self.service = service
        self.options = options
        self.logger = logger
        queue = FairQueue(slots: options.concurrentFills, capacity: options.queueCapacity)
    }

    /// Serves until the calling task is cancelled or, with `stopOnSignals`, until SIGTERM or SIGINT: then it stops
    /// accepting connections, lets the requests in flight finish and returns, so that a supervisor's stop (systemd,
    /// a container runtime) never cuts a fill in half. `onListening` gets the bound port (useful with port 0).
    public func run(
        stopOnSignals: Bool = false,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        if let token = options.bearerToken { router.add(middleware: BearerTokenMiddleware(token: token)) }
        router.get("/health") { [self] _, _ in
            let load = queue.load
            return try json([
                "status": "ok", "model": options.modelName, "running": load.running,
                "waiting": load.waiting,
            ])
        }
        router.get("/v1/models") { [self] _, _ in
            try json([
                "object": "list",
                "data": [
                    [
                        "id": options.modelName, "object": "model", "created": 0,
                        "owned_by": "dlsp",
                    ]
                ],
            ])
        }
        router.post("/v1/completions") { [self] request, context in try await complete(request, context) }
        router.post("/v1/fim/completions") { [self] request, context in try await complete(request, context) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "dlsp"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        if stopOnSignals {
            try await app.runService()  // graceful shutdown on SIGTERM and SIGINT (its default signals)
        } else {
            try await app.run()
        }
    }

    // MARK: Completions

    private func complete(_ request: Request, _ context: ServeRequestContext) async throws -> Response {
        var request = request
        let bytes: ByteBuffer
        do { bytes = try await request.collectBody(upTo: options.maxBodyBytes) } catch let error
            as any HTTPResponseError
            where error.status == .contentTooLarge
        {
            throw APIError.tooLarge(options.maxBodyBytes)
        }
        let body = try CompletionBody(json: Data(bytes.readableBytesView), maxTokensLimit: options.maxTokensLimit)
        if let model = body.model, model != options.modelName { throw APIError.unknownModel(model) }
        // Fairness is per client: the OpenAI `user` field when sent, else the peer address.
        do { try await queue.acquire(client: body.user ?? context.peer) } catch is FairQueue.Full {
            throw APIError.queueFull(retryAfter: options.retryAfterSeconds)
        }
        let suggestions: [Suggestion]
        do {
            defer { queue.release() }
            suggestions = try await fill(body, cacheKey: context.peer)
        } catch EngineError.cancelled {
            throw CancellationError()
        } catch EngineError.invalidRequest(let reason) {
            throw APIError.invalidRequest(reason)
        } catch {
            logger.error("fill failed: \(error)")
            throw APIError.server("the fill failed: \(error)")
        }
        let choices = Self.choices(suggestions, body: body, tokenizer: service.backend.tokenizer)
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let model = body.model ?? options.modelName
        if body.stream {
            return streamResponse(choices, id: String(id), created: created, model: model)
        }
        let promptTokens =
            service.backend.tokenizer.map {
                $0.encode(body.prompt, allowSpecial: false).count + $0.encode(body.suffix, allowSpecial: false).count
            } ?? 0
        let completionTokens = choices.reduce(0) { $0 + $1.tokens }
        return try json([
            "id": String(id), "object": "text_completion", "created": created, "model": model,
            "choices": choices.enumerated().map { index, choice in
                ["text": choice.text, "index": index, "logprobs": NSNull(), "finish_reason": choice.finishReason]
            },
            "usage": [
                "prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                "total_tokens": promptTokens + completionTokens,
            ],
        ])
    }

    /// Runs the fill on a worker thread (it is CPU-bound and synchronous); a cancelled request task (the client
    /// went away) sets the engine's cancellation flag, which stops denoising between steps.
    private func fill(_ body: CompletionBody, cacheKey: String) async throws -> [Suggestion] {
        var settings = options.settings
        settings.hole.blockHoleTokens = body.maxTokens
        settings.hole.lineHoleTokens = min(settings.hole.lineHoleTokens, body.maxTokens)
        if let temperature = body.temperature { settings.sampling.temperature = temperature }
        let text = Array(body.prompt.utf8) + Array(body.suffix.utf8)
        // One type-ahead entry per client: a client's next request that types into its last fill is served from
        // it, and clients never see each other's fills.
        let request = CompletionRequest(
            uri: "serve://\(cacheKey)", path: body.path ?? "untitled",
            languageID: "", text: text, cursor: body.prompt.utf8.count, count: body.n,
            invoked: true)
        let flag = CancellationFlag()
        let service = self.service
        let requestSettings = settings
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                workers.async {
                    continuation.resume(
                        with: Result {
                            try service.complete(
                                request, context: PlainTextContext(), settings: requestSettings,
                                cancellation: flag)
                        })
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    struct Choice {
        var text: String
        var finishReason: String
        var tokens: Int
    }

    /// The suggestions as OpenAI choices: cut at the first stop sequence; `finish_reason` is `length` when the
    /// fill used the whole hole, `stop` otherwise. At least one choice, empty when the model offered nothing.
    static func choices(_ suggestions: [Suggestion], body: CompletionBody, tokenizer: Tokenizer?) -> [Choice] {
        let texts = suggestions.isEmpty ? [""] : suggestions.map(\.text)
        return texts.map { text in
            var text = text
            var stopped = false
            if let cut = body.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                text = String(text[..<cut])
                stopped = true
            }
            let tokens = tokenizer?.encode(text, allowSpecial: false).count ?? 0
            return Choice(
                text: text, finishReason: !stopped && tokens >= body.maxTokens ? "length" : "stop",
                tokens: tokens)
        }
    }

    /// Server-sent events in OpenAI's streaming shape: the text line by line, then a chunk with the
    /// finish_reason, then `[DONE]`. The diffusion model produces the whole fill at once, so the chunks follow
    /// each other immediately; streaming is offered for clients that always ask for it.
    private func streamResponse(_ choices: [Choice], id: String, created: Int, model: String) -> Response {
        var events: [String] = []
        func event(_ index: Int, _ text: String, _ finish: String?) {
            let chunk: [String: Any] = [
                "id": id, "object": "text_completion", "created": created, "model": model,
                "choices": [
                    [
                        "text": text, "index": index, "logprobs": NSNull(),
                        "finish_reason": finish.map { $0 as Any } ?? NSNull(),
                    ]
                ],
            ]
            if let data = try? JSONSerialization.data(withJSONObject: chunk, options: [.sortedKeys]) {
                events.append("data: " + String(decoding: data, as: UTF8.self) + "\n\n")
            }
        }
        for (index, choice) in choices.enumerated() {
            var rest = Substring(choice.text)
            while let newline = rest.firstIndex(of: "\n") {
                event(index, String(rest[...newline]), nil)
                rest = rest[rest.index(after: newline)...]
            }
            if !rest.isEmpty { event(index, String(rest), nil) }
            event(index, "", choice.finishReason)
        }
        events.append("data: [DONE]\n\n")
        let buffers = events.map { ByteBuffer(string: $0) }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                try await writer.write(contentsOf: buffers)
                try await writer.finish(nil)
            })
    }

    private func json(_ object: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The request context: Hummingbird's core storage plus the peer's address (the fairness and cache key).
struct ServeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Requires `Authorization: Bearer <token>` on every endpoint but `/health` (load balancers probe it bare).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        let presented = request.headers[.authorization] ?? ""
        guard Self.constantTimeEqual(Array(presented.utf8), Array("Bearer \(token)".utf8)) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// Compares without an early exit, so response timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
