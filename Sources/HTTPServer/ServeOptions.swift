import Features

/// How `dlsp serve` listens and admits requests.
public struct ServeOptions: Sendable {
    /// The address to bind; loopback unless the operator asks for more.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (tests).
    public var port = 8080
    /// The bearer token every request but `/health` must carry, when set.
    public var bearerToken: String?
    /// The model name reported by `/v1/models` and accepted in requests (a request may also leave it out).
    public var modelName = "dlsp"
    /// Fills that run at once on the shared model.
    public var concurrentFills = 1
    /// Requests that may wait for a fill; more are answered 429.
    public var queueCapacity = 16
    /// Request bodies larger than this are answered 413.
    public var maxBodyBytes = 1 << 20
    /// What the `Retry-After` header of a 429 says, in seconds.
    public var retryAfterSeconds = 1
    /// The completion settings every request starts from (its `max_tokens` and `temperature` override them).
    public var settings = CompletionSettings()
    /// The largest `max_tokens` a request may ask for (the hole is that many mask tokens).
    public var maxTokensLimit = 256

    public init() {}
}
