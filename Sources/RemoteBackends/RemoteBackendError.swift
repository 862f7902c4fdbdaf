import Foundation

/// Why a remote fill failed. `isTransient` says whether trying again (after a pause) may succeed.
public enum RemoteBackendError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The connection could not be made or broke (refused, reset, DNS, TLS).
    case connection(String)
    /// No answer within the configured timeout.
    case timeout(milliseconds: Int)
    /// The server answered with an error status. `retryAfter` is the server's `Retry-After`, in seconds.
    case status(code: Int, message: String, retryAfter: Double?)
    /// The answer was not the shape the adapter expects.
    case malformedResponse(String)
    /// The configuration cannot work (bad URL, missing API key variable).
    case configuration(String)
    /// The circuit breaker is open: the remote failed repeatedly and is not tried again for a while.
    case circuitOpen(String)

    /// Failures where the same request may succeed later: connection errors, timeouts, 429 and 502/503/504.
    public var isTransient: Bool {
        switch self {
        case .connection, .timeout: return true
        case .status(let code, _, _): return [429, 502, 503, 504].contains(code)
        case .malformedResponse, .configuration, .circuitOpen: return false
        }
    }

    /// Failures that say the remote is down or unusable (what opens the circuit breaker), as opposed to one
    /// request being refused for its content.
    public var indicatesOutage: Bool {
        switch self {
        case .connection, .timeout, .malformedResponse, .circuitOpen: return true
        case .status(let code, _, _): return code >= 500 || code == 429 || code == 401 || code == 403 || code == 404
        case .configuration: return true
        }
    }

    public var description: String {
        switch self {
        case .connection(let reason): return "cannot reach the server: \(reason)"
        case .timeout(let ms): return "no answer within \(ms) ms"
        case .status(let code, let message, _): return "HTTP \(code): \(message)"
        case .malformedResponse(let reason): return "unexpected response: \(reason)"
        case .configuration(let reason): return reason
        case .circuitOpen(let reason): return "remote backend paused after repeated failures (\(reason))"
        }
    }
}
