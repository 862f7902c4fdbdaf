import Foundation

/// When and how long to wait before trying a failed request again. Only failures where the same request may
/// succeed later are retried: connection errors and 429/502/503/504. A timeout is not: the editor has already
/// waited the whole timeout, and a late fill is a stale fill.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// The pause before the first retry; it doubles for each further one, up to `maxDelay`.
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the failure is reported instead, since an editor
    /// completion that arrives many seconds later is useless.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 3, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(1),
        maxRetryAfter: Duration = .seconds(3)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    static func isRetryable(_ error: RemoteBackendError) -> Bool {
        switch error {
        case .connection: return true
        case .status(let code, _, _): return [429, 502, 503, 504].contains(code)
        default: return false
        }
    }

    /// The pause before try number `attempt + 1` (attempt counts from 1) after `error`, or nil to give up.
    func delay(after error: RemoteBackendError, attempt: Int) -> Duration? {
        guard attempt < maxAttempts, Self.isRetryable(error) else { return nil }
        if case .status(_, _, let retryAfter?) = error {
            let wait = Duration.milliseconds(Int(retryAfter * 1000))
            return wait <= maxRetryAfter ? wait : nil
        }
        var delay = baseDelay
        for _ in 1..<attempt { delay *= 2 }
        return min(delay, maxDelay)
    }

    /// `Retry-After` in seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
