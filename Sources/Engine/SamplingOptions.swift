import Synchronization

/// How a masked position's certainty is scored; higher always means more certain.
public enum ConfidenceMeasure: String, Sendable, Equatable {
    /// Probability of the chosen token (Dream `maskgit_plus`, LLaDA `low_confidence`).
    case maxProbability
    /// Top-1 minus top-2 probability (Dream `topk_margin`).
    case margin
    /// Σ p·log p, the negated entropy (Dream `entropy`): 0 for a certain position, negative otherwise.
    case negativeEntropy
}

/// How many masked positions are committed at each step.
public enum CommitSchedule: Sendable, Equatable {
    /// Dream's schedule: `timesteps = linspace(1, eps, steps+1)`, commit `int(masked·(1−s/t))` at step i and
    /// everything left at the last step. With blocks, each block gets `steps / blocks` steps.
    case timesteps(steps: Int, eps: Double = 1e-3)
    /// LLaDA's `get_num_transfer_tokens`: a block's masks spread evenly over its steps, the remainder first.
    case evenSplit(steps: Int)
    /// Fast-dLLM's parallel decoding: commit every position whose confidence is at least `threshold`, and always
    /// the most confident one; stops when no mask is left (or after `maxSteps`, committing the rest).
    case threshold(Float, maxSteps: Int)

    var stepBudget: Int {
        switch self {
        case .timesteps(let s, _), .evenSplit(let s): return max(1, s)
        case .threshold(_, let m): return max(1, m)
        }
    }
}

/// Whether the context's keys and values are reused across steps.
public enum CacheMode: Sendable, Equatable {
    /// Every step runs the whole canvas (exact; what the reference samplers do).
    case none
    /// Fast-dLLM's dual cache: the whole canvas once per request, then per step only the hole's rows (and, for
    /// shifted models, the row before each span) attending to the cached keys/values of everything else.
    /// `refreshEvery` > 0 recomputes the whole canvas every that many steps.
    case dual(refreshEvery: Int = 0)
}

/// A cancellation flag a caller may set from another thread; checked between denoising steps.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// What a step hook sees after each step's commits.
public struct StepState: Sendable {
    /// Steps done so far (1 after the first).
    public let step: Int
    /// The whole canvas; positions still masked hold the mask token id.
    public let canvas: [Int32]
    /// The canvas positions being filled (the hole, or every tied span's positions).
    public let fillPositions: [Int]
    /// The mask token id.
    public let maskTokenID: Int32
}

/// Options for one fill. The defaults are greedy, max-probability confidence, 16 Dream timesteps, dual cache.
public struct FillOptions: Sendable {
    /// 0 = greedy (argmax). Otherwise logits are divided by it before top-p and top-k (Dream's order).
    public var temperature: Float = 0
    /// Keep only the k most probable tokens (0 = off).
    public var topK: Int = 0
    /// Keep the smallest set of most probable tokens whose mass reaches p (1 = off).
    public var topP: Float = 1
    /// Seed of the sampling RNG: equal seeds and options give equal results.
    public var seed: UInt64 = 0
    public var confidence: ConfidenceMeasure = .maxProbability
    public var schedule: CommitSchedule = .timesteps(steps: 16)
    /// Semi-autoregressive order: fill positions decoded in blocks of this many, left to right (nil = one block).
    public var blockLength: Int? = nil
    public var cache: CacheMode = .dual()
    /// Cut the hole at its first end-of-text / pad token (the canvas pads a short middle with them).
    public var trimAtEndOfText: Bool = true
    /// Called after every step; returns canvas positions (among the fill positions) to mask again.
    public var stepHook: (@Sendable (StepState) -> [Int])? = nil
    /// Extra steps allowed beyond the schedule for positions the hook re-masked; after them the hook is no longer
    /// called and the remaining masks are committed together.
    public var maxExtraSteps: Int = 16
    /// The first this many fill positions may not become end-of-text or pad (LLaDA's `logits_eos_inf`, kept to
    /// the start of the hole): an editor's completion must say something, and a weak model's most confident
    /// answer is often the empty one. 0 keeps the reference samplers' behaviour.
    public var minimumFillTokens: Int = 0
    /// Subtracted from the end-of-text and pad logits at every fill position (Dream-Coder's demos use an
    /// `eos_penalty` of 3): a small model trained on padded holes ends its fills too early, and the caller trims a
    /// fill that runs past the hole's syntax anyway. 0 keeps the reference samplers' behaviour.
    public var stopPenalty: Float = 0
    /// Never commit the mask token itself (a weak model can rank it first, and a committed mask never resolves).
    /// Off by default so the reference samplers are reproduced exactly.
    public var suppressMaskToken: Bool = false
    /// Keys and values kept from the previous fill of this caller, reused where the new canvas begins the same
    /// way (see `ContextReuse`); ignored with `CacheMode.none`.
    public var contextReuse: ContextReuse? = nil
    /// DreamOn-style expand/delete: the hole may grow or shrink while it is denoised (only for models trained
    /// with an expand token; see `ModelConfig.expandTokenID`). Runs the exact, one-commit-per-step loop.
    public var variableLength: VariableLength? = nil
    /// Checked between steps; when it returns true the fill throws `EngineError.cancelled`.
    public var isCancelled: (@Sendable () -> Bool)? = nil
    /// Same, as a flag another thread sets.
    public var cancellation: CancellationFlag? = nil

    public init(
        temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0,
        confidence: ConfidenceMeasure = .maxProbability, schedule: CommitSchedule = .timesteps(steps: 16),
        blockLength: Int? = nil, cache: CacheMode = .dual(), trimAtEndOfText: Bool = true
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.confidence = confidence
        self.schedule = schedule
        self.blockLength = blockLength
        self.cache = cache
        self.trimAtEndOfText = trimAtEndOfText
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same draws on every platform.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
