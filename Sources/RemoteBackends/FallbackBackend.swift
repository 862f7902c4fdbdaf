import Engine
import Features
import Synchronization
import Tokenizer

/// What a ``FallbackBackend`` tells its owner, once per change (the server turns it into `window/showMessage`).
public enum FallbackEvent: Sendable, Equatable {
    /// The primary failed repeatedly; fills go to the fallback (or fail fast without one) until it recovers.
    case primaryDown(reason: String, usingFallback: Bool)
    /// A probe of the primary succeeded after an outage; fills go to it again.
    case primaryRecovered
}

/// A circuit breaker around a remote backend: after `failureThreshold` consecutive outage failures (connection
/// errors, timeouts, 5xx, 429, auth errors) the circuit opens and fills go straight to the fallback — the
/// embedded model — for `cooldown`; then one request probes the primary again. Each failed request is itself
/// answered by the fallback, so the editor gets a fill either way. Cancellation is never retried elsewhere.
///
/// The fallback is created on first need (loading the embedded model costs memory and seconds that a team
/// running everything remotely should not pay up front).
public final class FallbackBackend: FillBackend {
    public let primary: any FillBackend
    private let makeFallback: (@Sendable () throws -> any FillBackend)?
    private let failureThreshold: Int
    private let cooldown: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let onEvent: @Sendable (FallbackEvent) -> Void

    private enum Circuit {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant, reason: String)
        /// One request is probing the primary; others keep using the fallback meanwhile.
        case probing(reason: String)
    }

    private struct State {
        var circuit = Circuit.closed(failures: 0)
        var fallback: (any FillBackend)?
        var fallbackError: String?
    }

    private let state = Mutex(State())
    /// Serialises the creation of the fallback (only the first caller loads it).
    private let fallbackLoad = Mutex(())

    /// - Parameters:
    ///   - primary: the remote backend.
    ///   - fallback: makes the fallback backend (nil: fail fast while the circuit is open).
    ///   - onEvent: called once per state change, from the filling thread.
    ///   - now: the clock the cooldown is measured on (tests move it instead of waiting).
    public init(
        primary: any FillBackend, fallback: (@Sendable () throws -> any FillBackend)?,
        failureThreshold: Int = 3, cooldown: Duration = .seconds(30),
        onEvent: @escaping @Sendable (FallbackEvent) -> Void = { _ in },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.now = now
        self.primary = primary
        self.makeFallback = fallback
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = cooldown
        self.onEvent = onEvent
    }

    public var name: String { primary.name + (makeFallback == nil ? "" : ", falling back to the embedded model") }
    // The capabilities are the primary's: the context is prepared before it is known which backend will fill.
    public var supportsStepHook: Bool { primary.supportsStepHook }
    public var tokenizer: Tokenizer? { primary.tokenizer }
    public var maskTokenID: Int? { primary.maskTokenID }

    /// Whether fills currently bypass the primary.
    public var isOpen: Bool {
        state.withLock { if case .closed = $0.circuit { return false } else { return true } }
    }

    public func fill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> String {
        try routed(hole: hole) { backend, hole in
            try backend.fill(context, hole: hole, attempt: attempt, sampling: sampling, cancellation: cancellation)
        }
    }

    /// The confidences come from whichever backend filled: the embedded fallback reports them, a remote primary
    /// does not.
    public func scoredFill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt,
        sampling: SamplingSettings, cancellation: CancellationFlag
    ) throws -> ScoredFill {
        try routed(hole: hole) { backend, hole in
            try backend.scoredFill(
                context, hole: hole, attempt: attempt, sampling: sampling,
                cancellation: cancellation)
        }
    }

    /// Runs `body` on the primary while the circuit is closed (or probing), on the fallback otherwise, and keeps
    /// the circuit's state from the outcome.
    private enum Route { case primary, probe, fallback(String) }

    private func routed<T>(hole: HolePlan, _ body: (any FillBackend, HolePlan) throws -> T) throws -> T {
        let now = self.now()
        let route: Route = state.withLock { state in
            switch state.circuit {
            case .closed: return .primary
            case .probing(let reason): return .fallback(reason)
            case .open(let until, let reason):
                guard now >= until else { return .fallback(reason) }
                state.circuit = .probing(reason: reason)
                return .probe
            }
        }
        if case .fallback(let reason) = route {
            return try withFallback(hole: hole, reason: reason, body)
        }
        do {
            let result = try body(primary, hole)
            let recovered = state.withLock { state -> Bool in
                defer { state.circuit = .closed(failures: 0) }
                if case .probing = state.circuit { return true }
                return false
            }
            if recovered { onEvent(.primaryRecovered) }
            return result
        } catch EngineError.cancelled {
            // A cancelled probe proves nothing either way: let the next request probe.
            state.withLock { state in
                if case .probing(let reason) = state.circuit { state.circuit = .open(until: now, reason: reason) }
            }
            throw EngineError.cancelled
        } catch {
            let reason = "\(error)"
            let outage = (error as? RemoteBackendError)?.indicatesOutage ?? true
            let opened = state.withLock { state -> Bool in
                switch state.circuit {
                case .closed(let failures):
                    guard outage else { return false }
                    if failures + 1 >= failureThreshold {
                        state.circuit = .open(until: self.now() + cooldown, reason: reason)
                        return true
                    }
                    state.circuit = .closed(failures: failures + 1)
                    return false
                case .probing, .open:
                    // The probe failed: stay open, quietly (the outage was announced already).
                    state.circuit = .open(until: self.now() + cooldown, reason: reason)
                    return false
                }
            }
            if opened { onEvent(.primaryDown(reason: reason, usingFallback: makeFallback != nil)) }
            return try withFallback(hole: hole, reason: reason, primaryError: error, body)
        }
    }

    private func withFallback<T>(
        hole: HolePlan, reason: String, primaryError: (any Error)? = nil,
        _ body: (any FillBackend, HolePlan) throws -> T
    ) throws -> T {
        guard makeFallback != nil else {
            throw primaryError ?? RemoteBackendError.circuitOpen(reason)
        }
        let fallback = try loadFallback()
        var hole = hole
        if !fallback.supportsStepHook { hole.stepHook = nil }
        return try body(fallback, hole)
    }

    private func loadFallback() throws -> any FillBackend {
        if let fallback = state.withLock({ $0.fallback }) { return fallback }
        return try fallbackLoad.withLock { _ in
            if let fallback = state.withLock({ $0.fallback }) { return fallback }
            if let message = state.withLock({ $0.fallbackError }) {
                throw RemoteBackendError.configuration("the embedded fallback is unavailable: \(message)")
            }
            do {
                let fallback = try makeFallback!()
                state.withLock { $0.fallback = fallback }
                return fallback
            } catch {
                state.withLock { $0.fallbackError = "\(error)" }
                throw RemoteBackendError.configuration("the embedded fallback is unavailable: \(error)")
            }
        }
    }
}
