import Engine
import Tokenizer

/// One try at filling a hole: its length in tokens, the canvas it sits in, and how to sample.
public struct FillAttempt: Sendable, Equatable {
    public var holeTokens: Int
    public var temperature: Float
    public var seed: UInt64
    /// The whole canvas, context and hole, in tokens (`HoleSettings.contextTokens`; the model's window caps it).
    public var canvasTokens: Int

    public init(holeTokens: Int, temperature: Float, seed: UInt64, canvasTokens: Int = HoleSettings().contextTokens) {
        self.holeTokens = holeTokens
        self.temperature = temperature
        self.seed = seed
        self.canvasTokens = canvasTokens
    }
}

/// Whatever fills a hole: the embedded engine, or a model served elsewhere. The editor features (healing,
/// trimming, post-processing, the type-ahead cache) are the same for all of them.
public protocol FillBackend: Sendable {
    /// A short name for logs and `dlsp doctor`.
    var name: String { get }
    /// Whether the backend runs the denoising loop here, so step hooks (syntax-guided re-masking) apply.
    var supportsStepHook: Bool { get }
    /// The model's tokenizer when it is local (the syntax guard decodes tokens with it).
    var tokenizer: Tokenizer? { get }
    var maskTokenID: Int? { get }
    /// The model itself when it runs in this process (features that score text with it, such as rename
    /// suggestions, need it); nil for a model served elsewhere.
    var localEngine: Engine? { get }
    /// How often fills reused the previous fill's keys and values, where the backend keeps them (for logs).
    var contextReuseStatistics: (fills: Int, reusedFills: Int, reusedPositions: Int)? { get }
    /// The raw fill text for the hole (before trimming and post-processing).
    func fill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> String
    /// The raw fill with the model's confidence in each of its tokens, where the backend knows them. The default
    /// calls `fill` and reports no confidences: such suggestions are never held back as unsure.
    func scoredFill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> ScoredFill
}

extension FillBackend {
    public var localEngine: Engine? { nil }
    public var contextReuseStatistics: (fills: Int, reusedFills: Int, reusedPositions: Int)? { nil }

    public func scoredFill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt,
        sampling: SamplingSettings, cancellation: CancellationFlag
    ) throws -> ScoredFill {
        ScoredFill(
            text: try fill(
                context, hole: hole, attempt: attempt, sampling: sampling,
                cancellation: cancellation))
    }
}

/// A raw fill and, for a local model, how sure the model was of each token it committed.
public struct ScoredFill: Sendable, Equatable {
    public var text: String
    /// For each token of the fill in order: the UTF-8 length of `text` decoded up to and including it. Empty when
    /// the backend reports no confidences.
    public var tokenEnds: [Int]
    /// The probability each token was committed with (the sampler's max-probability measure), same order.
    public var tokenConfidences: [Float]
    /// Denoising steps (forward passes) the fill took, when the backend reports them: with a confidence threshold,
    /// the hole's length over this is the tokens committed per step.
    public var steps: Int?

    public init(text: String, tokenEnds: [Int] = [], tokenConfidences: [Float] = [], steps: Int? = nil) {
        self.text = text
        self.tokenEnds = tokenEnds
        self.tokenConfidences = tokenConfidences
        self.steps = steps
    }

    /// The confidences of the tokens that make up the first `bytes` UTF-8 bytes of `text`: what a suggestion cut
    /// from the fill actually shows. Nil without confidences.
    public func confidences(coveringBytes bytes: Int) -> [Float]? {
        guard !tokenConfidences.isEmpty, tokenEnds.count == tokenConfidences.count else { return nil }
        var out: [Float] = []
        var start = 0
        for (end, confidence) in zip(tokenEnds, tokenConfidences) {
            guard start < bytes else { break }
            // A token that decodes to nothing (a byte of a split character) still counts toward its character.
            out.append(confidence)
            start = end
        }
        return out
    }
}

/// The embedded diffusion engine: the canvas is assembled here and denoised in-process.
public struct EmbeddedBackend: FillBackend {
    public let engine: Engine
    private let assembler: CanvasAssembler
    /// The previous fill's keys and values, shared by every fill through this backend (one per loaded model).
    public let contextReuse = ContextReuse()

    public enum SetupError: Error, CustomStringConvertible {
        case noTokenizer(String)
        case noFileSeparator(String)
        public var description: String {
            switch self {
            case .noTokenizer(let source): return "the model at \(source) has no tokenizer.json"
            case .noFileSeparator(let source):
                return "the model at \(source) has no <|file_sep|> token, which the canvas format needs"
            }
        }
    }

    public init(engine: Engine) throws {
        guard let tokenizer = engine.tokenizer else { throw SetupError.noTokenizer(engine.source) }
        guard let separator = engine.config.fileSepTokenID ?? tokenizer.tokenID(for: "<|file_sep|>") else {
            throw SetupError.noFileSeparator(engine.source)
        }
        self.engine = engine
        assembler = CanvasAssembler(tokenizer: tokenizer, fileSeparator: separator)
    }

    public var name: String { "embedded (\(engine.source))" }
    public var supportsStepHook: Bool { true }
    public var tokenizer: Tokenizer? { engine.tokenizer }
    public var maskTokenID: Int? { engine.config.maskTokenID }
    public var localEngine: Engine? { engine }
    public var contextReuseStatistics: (fills: Int, reusedFills: Int, reusedPositions: Int)? { contextReuse.statistics }

    public func fill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt, sampling: SamplingSettings,
        cancellation: CancellationFlag
    ) throws -> String {
        try scoredFill(context, hole: hole, attempt: attempt, sampling: sampling, cancellation: cancellation).text
    }

    public func scoredFill(
        _ context: InfillContext, hole: HolePlan, attempt: FillAttempt,
        sampling: SamplingSettings, cancellation: CancellationFlag
    ) throws -> ScoredFill {
        let (contextTokens, suffixTokens) = assembler.assemble(
            context, holeLength: attempt.holeTokens, budget: min(attempt.canvasTokens, engine.config.maxPositions))
        var options = FillOptions()
        options.schedule =
            sampling.confidenceThreshold.map { .threshold($0, maxSteps: sampling.steps) }
            ?? .timesteps(steps: sampling.steps)
        options.cache = sampling.useCache ? .dual() : .none
        options.contextReuse = sampling.reuseContext ? contextReuse : nil
        options.temperature = attempt.temperature
        options.seed = attempt.seed
        options.cancellation = cancellation
        options.stepHook = hole.stepHook
        // A DreamOn-style model sizes the hole itself: it may grow to twice the planned length, or shrink.
        if let expand = engine.config.expandTokenID, let eos = engine.config.eosTokenID {
            options.variableLength = VariableLength(
                expandTokenID: expand, deleteTokenID: eos,
                maxLength: max(8, 2 * attempt.holeTokens))
        }
        // A completion must say something, and a committed mask would never resolve.
        options.minimumFillTokens = 1
        options.stopPenalty = sampling.stopPenalty
        options.blockLength = sampling.blockLength
        options.suppressMaskToken = true
        let result = try engine.fill(
            context: contextTokens, suffix: suffixTokens, holeLength: attempt.holeTokens,
            options: options)
        guard let tokenizer = engine.tokenizer, result.confidences.count == result.tokens.count else {
            return ScoredFill(text: result.text)
        }
        // Where each token's text ends, so a caller that shows only part of the fill can score just that part.
        let ends = (0..<result.tokens.count).map {
            tokenizer.decode(Array(result.tokens[...$0]), skipSpecial: true).utf8.count
        }
        return ScoredFill(
            text: result.text, tokenEnds: ends, tokenConfidences: result.confidences,
            steps: result.steps)
    }
}
