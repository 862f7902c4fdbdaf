import Features
import Foundation

/// Which backend fills holes, as a user configures it (`"backend"` in the editor settings, or `dlsp complete`
/// flags). The API key itself is never part of it: only the name of the environment variable that holds it.
public struct BackendConfiguration: Sendable, Equatable {
    /// `embedded`, or a remote request shape.
    public enum Kind: Sendable, Equatable {
        case embedded
        case remote(RemoteAPI)

        /// Parses `embedded`, `openai-fim`, `openai-completions`, `llama.cpp` or `ollama`.
        public init?(_ name: String) {
            if name == "embedded" {
                self = .embedded
            } else if let api = RemoteAPI(rawValue: name) {
                self = .remote(api)
            } else {
                return nil
            }
        }

        public var name: String {
            switch self {
            case .embedded: return "embedded"
            case .remote(let api): return api.rawValue
            }
        }

        /// Every accepted name, for messages.
        public static var names: [String] { ["embedded"] + RemoteAPI.allCases.map(\.rawValue) }
    }

    public var kind = Kind.embedded
    public var url: String?
    public var model: String?
    /// The environment variable holding the API key (sent as a bearer token).
    public var apiKeyEnv: String?
    public var timeoutMilliseconds = 5_000
    /// Retries after a connection error or a 429/502/503/504.
    public var retries = 2
    /// Whether to fill with the embedded model while the remote is down.
    public var fallbackToEmbedded = true

    public init() {}

    /// The remote endpoint this configuration describes, with the key read from `environment`; nil when the
    /// backend is embedded. Throws ``RemoteBackendError/configuration(_:)`` for a missing URL, model or key.
    public func endpoint(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> RemoteEndpoint?
    {
        guard case .remote(let api) = kind else { return nil }
        guard let url, let baseURL = URL(string: url), baseURL.scheme != nil else {
            throw RemoteBackendError.configuration("the \(api.rawValue) backend needs a URL (backend.url)")
        }
        var apiKey: String?
        if let name = apiKeyEnv, !name.isEmpty {
            guard let value = environment[name], !value.isEmpty else {
                throw RemoteBackendError.configuration(
                    "the environment variable \(name) named by backend.apiKeyEnv "
                        + "is not set")
            }
            apiKey = value
        }
        return RemoteEndpoint(
            api: api, baseURL: baseURL, model: model, apiKey: apiKey,
            timeout: .milliseconds(timeoutMilliseconds),
            retry: RetryPolicy(maxAttempts: retries + 1))
    }

    /// The backend to fill with: the remote one (behind a circuit breaker that falls back to `embedded` when
    /// configured so) or, for `embedded`, `embedded()` itself.
    public func makeBackend(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = URLSessionTransport(),
        embedded: @escaping @Sendable () throws -> any FillBackend,
        onEvent: @escaping @Sendable (FallbackEvent) -> Void = { _ in }
    ) throws
        -> any FillBackend
    {
        guard let endpoint = try endpoint(environment: environment) else { return try embedded() }
        let remote = try RemoteBackend(endpoint: endpoint, transport: transport)
        return FallbackBackend(primary: remote, fallback: fallbackToEmbedded ? embedded : nil, onEvent: onEvent)
    }
}
