import Engine
import Features
import Foundation
import Tokenizer

/// Where a remote model is and how to talk to it.
public struct RemoteEndpoint: Sendable {
    public var api: RemoteAPI
    /// The server's base URL (scheme, host, port, optional path prefix); the shape's path is appended.
    public var baseURL: URL
    /// The model name sent in the request (required by Ollama; optional elsewhere).
    public var model: String?
    /// Sent as `Authorization: Bearer …`. Never logged or shown: `description` leaves it out.
    public var apiKey: String?
    /// The longest one try may take.
    public var timeout: Duration
    public var retry: RetryPolicy

    public init(
        api: RemoteAPI, baseURL: URL, model: String? = nil, apiKey: String? = nil,
        timeout: Duration = .seconds(5), retry: RetryPolicy = RetryPolicy()
    ) {
        self.api = api
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.retry = retry
    }

    /// The full URL of the shape's endpoint. A base URL that already ends in `/v1` does not get a second one.
    public var requestURL: URL {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var path = api.path
        if base.hasSuffix("/v1"), path.hasPrefix("/v1/") { path.removeFirst(3) }
        return URL(string: base + path) ?? baseURL.appendingPathComponent(api.path)
    }
}

/// A fill backend whose model is served elsewhere over HTTP. The context is mapped onto the endpoint's request
/// shape; the hole plan gives `max_tokens` and stop sequences; healing, trimming, post-processing and the
/// type-ahead cache stay in ``CompletionService``, as for the embedded engine.
///
/// Capabilities: no step hook (the denoising loop runs remotely, so syntax-guided re-masking cannot apply) and no
/// local tokenizer (the context provider budgets by bytes).
public final class RemoteBackend: FillBackend {
    public let endpoint: RemoteEndpoint
    private let transport: any HTTPTransport
    /// Waits between retries; injectable so tests need not sleep.
    private let pause: @Sendable (Duration, CancellationFlag) throws -> Void

    public init(
        endpoint: RemoteEndpoint, transport: any HTTPTransport = URLSessionTransport(),
        pause: (@Sendable (Duration, CancellationFlag) throws -> Void)? = nil
    ) throws {
        guard let scheme = endpoint.baseURL.scheme?.lowercased(), scheme == "http" || scheme == "https",
            endpoint.baseURL.host != nil
        else {
            throw RemoteBackendError.configuration(
                "backend URL must be http(s)://host[:port]: "
                    + "\(endpoint.baseURL.absoluteString)")
        }
        if endpoint.api == .ollama, endpoint.model?.isEmpty ?? true {
            throw RemoteBackendError.configuration("the ollama backend needs a model name")
        }
        self.endpoint = endpoint
        self.transport = transport
        self.pause = pause ?? Self.interruptibleSleep
    }

    public var name: String {
        "\(endpoint.api.rawValue) (\(endpoint.requestURL.absoluteString)\(endpoint.model.map { ", \($0)" } ?? ""))"
    }
    public var supportsStepHook: Bool { false }
    public var tokenizer: Tokenizer? { nil }
    public var maskTokenID: Int? { nil }

    public func fill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> String {
        let parameters = FillParameters(
            maxTokens: attempt.holeTokens,
            stop: hole.extent == .restOfLine ? ["\n"] : [],
            temperature: attempt.temperature, seed: attempt.seed)
        return try fill(context, parameters: parameters, cancellation: cancellation)
    }

    /// The fill for `context` with explicit request parameters.
    public func fill(_ context: InfillContext, parameters: FillParameters, cancellation: CancellationFlag) throws
        -> String
    {
        let body = try RequestCodec.body(
            endpoint.api, context: context, model: endpoint.model,
            parameters: parameters)
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = endpoint.apiKey, !key.isEmpty { headers["Authorization"] = "Bearer \(key)" }
        let request = HTTPRequest(url: endpoint.requestURL, headers: headers, body: body, timeout: endpoint.timeout)
        var attempt = 1
        while true {
            do {
                let response = try transport.send(request, cancellation: cancellation)
                guard (200..<300).contains(response.status) else {
                    throw RemoteBackendError.status(
                        code: response.status, message: RequestCodec.errorMessage(from: response.body),
                        retryAfter: RetryPolicy.parseRetryAfter(response.headers["retry-after"]))
                }
                return try RequestCodec.text(endpoint.api, from: response.body)
            } catch let error as RemoteBackendError {
                guard let delay = endpoint.retry.delay(after: error, attempt: attempt) else { throw error }
                try pause(delay, cancellation)
                attempt += 1
            }
        }
    }

    /// Sleeps in short slices, giving up as soon as the request is cancelled.
    @Sendable static func interruptibleSleep(_ duration: Duration, _ cancellation: CancellationFlag) throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if cancellation.isCancelled { throw EngineError.cancelled }
            Thread.sleep(
                forTimeInterval: min(
                    0.01,
                    max(
                        0,
                        Double(
                            (deadline - ContinuousClock.now)
                                .components.attoseconds) / 1e18
                            + Double((deadline - ContinuousClock.now).components.seconds))))
        }
        if cancellation.isCancelled { throw EngineError.cancelled }
    }
}
