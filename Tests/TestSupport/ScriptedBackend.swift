import Engine
import Features
import Synchronization
import Tokenizer

/// A fill backend that answers from a script and records what it was asked: the one stand-in for a model in tests.
///
/// It answers its `fills` in order, then `fallback` for every call after them (an empty fill unless told otherwise),
/// so `ScriptedBackend(always: "42")` answers `42` forever. Each call's context, hole, attempt and sampling
/// settings are recorded (`calls`), and `before`, when given, runs on each call before it answers: a test can hold
/// a fill there (a gate) or throw. Safe to call from several threads at once, as a server's workers do.
public final class ScriptedBackend: FillBackend {
    /// One call: what the backend was asked to fill, and how.
    public struct Call: Sendable {
        public let context: InfillContext
        public let hole: HolePlan
        public let attempt: FillAttempt
        public let sampling: SamplingSettings
    }

    private struct State {
        var script: [ScoredFill]
        var calls: [Call] = []
    }

    private let state: Mutex<State>
    private let fallback: ScoredFill
    private let before: (@Sendable (Call) throws -> Void)?

    /// Answers `fills` in order, then `fallback` forever; runs `before` on each call first.
    public init(
        fills: [ScoredFill], then fallback: ScoredFill = ScoredFill(text: ""),
        before: (@Sendable (Call) throws -> Void)? = nil
    ) {
        state = Mutex(State(script: fills))
        self.fallback = fallback
        self.before = before
    }

    /// Answers `texts` in order, without confidences (as a remote backend does), then an empty fill forever.
    public convenience init(answers texts: [String], before: (@Sendable (Call) throws -> Void)? = nil) {
        self.init(fills: texts.map { ScoredFill(text: $0) }, before: before)
    }

    /// Answers `text` to every call, without confidences.
    public convenience init(always text: String, before: (@Sendable (Call) throws -> Void)? = nil) {
        self.init(fills: [], then: ScoredFill(text: text), before: before)
    }

    /// Every call so far, in the order they came.
    public var calls: [Call] { state.withLock { $0.calls } }
    /// How many times the backend was asked to fill.
    public var callCount: Int { state.withLock { $0.calls.count } }
    /// The contexts it was asked to fill, in order.
    public var contexts: [InfillContext] { calls.map(\.context) }
    /// The attempts it was asked for, in order.
    public var attempts: [FillAttempt] { calls.map(\.attempt) }
    /// The sampling settings of each call, in order.
    public var samplings: [SamplingSettings] { calls.map(\.sampling) }
    /// The scripted fills not answered yet.
    public var remaining: [ScoredFill] { state.withLock { $0.script } }

    public var name: String { "scripted" }
    public var supportsStepHook: Bool { false }
    public var tokenizer: Tokenizer? { nil }
    public var maskTokenID: Int? { nil }

    public func fill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> String {
        try scoredFill(context, hole: hole, attempt: attempt, sampling: sampling, cancellation: cancellation).text
    }

    /// Records the call and takes its answer from the script, then runs `before` (outside the lock, so a call
    /// held there holds no other), then answers.
    public func scoredFill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt,
        sampling: SamplingSettings, cancellation: CancellationFlag
    ) throws -> ScoredFill {
        let call = Call(context: context, hole: hole, attempt: attempt, sampling: sampling)
        let answer = state.withLock { state in
            state.calls.append(call)
            return state.script.isEmpty ? fallback : state.script.removeFirst()
        }
        try before?(call)
        return answer
    }
}
