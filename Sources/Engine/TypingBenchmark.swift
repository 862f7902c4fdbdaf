import Dispatch

/// What a user typing on one line waits for (`dlsp bench typing`): a single-line hole of `hole` tokens with
/// `context` tokens around it (three quarters before, one quarter after), one keystroke (one more prefix token)
/// between fills, each fill lending its keys and values to the next through one `ContextReuse` as the editor path
/// does; and a cold fill, the first in a newly opened file (nothing to reuse).
///
/// The step count is fixed: on random weights a confidence threshold decides nothing, so the schedule commits
/// `hole / steps` tokens a step, the number of tokens per step a threshold schedule measures on a trained model
/// (`dlsp complete --explain` prints each fill's steps; docs/latency.md gives the default model's rate).
public enum TypingBenchmark {
    public struct Figures: Sendable, Codable, Equatable {
        public var model: String
        /// How the kernels hold the matrices (`Engine.panelSummary`).
        public var weights: String
        public var kernels: String
        public var threads: Int
        public var contextTokens: Int
        public var holeTokens: Int
        public var steps: Int
        public var keystrokes: Int
        /// Per typed fill, over the keystrokes.
        public var typingMsP50: Double
        public var typingMsP95: Double
        /// The first fill of a canvas with nothing to reuse, p50 over `coldRepeats`.
        public var coldMs: Double
        /// Means over the typed fills: the first forward (rows not reused), the hole-only forwards of the later
        /// steps, the LM head and scoring.
        public var firstForwardMs: Double
        public var stepForwardsMs: Double
        public var logitsMs: Double
        public var samplingMs: Double
        public var rssMiB: Double
    }

    public static func run(
        engine: Engine, name: String, context: Int = 1024, hole: Int = 16, steps: Int = 16,
        keystrokes: Int = 12, coldRepeats: Int = 3
    ) throws -> Figures {
        let c = engine.config
        var rng = SeededRNG(seed: 7)
        let limit = min(c.vocabSize, c.embeddingSize)
        func token() -> Int {
            var t = Int(rng.next() % UInt64(limit))
            while t == c.maskTokenID || t == c.eosTokenID || t == c.padTokenID { t = Int(rng.next() % UInt64(limit)) }
            return t
        }
        let before = context * 3 / 4
        // The prefix grows one token a keystroke from `before − keystrokes` tokens.
        let typedPrefix = (0..<before).map { _ in token() }
        let suffix = (0..<(context - before)).map { _ in token() }
        var options = FillOptions(schedule: .timesteps(steps: steps), cache: .dual(), trimAtEndOfText: false)
        options.maxExtraSteps = 0
        func milliseconds(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }

        var cold: [Double] = []
        for _ in 0..<max(1, coldRepeats) {
            var o = options
            o.contextReuse = ContextReuse()
            cold.append(
                try milliseconds {
                    _ = try engine.fill(context: typedPrefix, suffix: suffix, holeLength: hole, options: o)
                })
        }

        let reuse = ContextReuse()
        var o = options
        o.contextReuse = reuse
        let start = before - keystrokes
        _ = try engine.fill(context: Array(typedPrefix[..<start]), suffix: suffix, holeLength: hole, options: o)
        var typed: [Double] = []
        var parts: [DenoiseTimings] = []
        for i in 1...keystrokes {
            var result: FillResult?
            typed.append(
                try milliseconds {
                    result = try engine.fill(
                        context: Array(typedPrefix[..<(start + i)]), suffix: suffix,
                        holeLength: hole, options: o)
                })
            parts.append(result!.timings)
        }
        func quantile(_ xs: [Double], _ q: Double) -> Double {
            let s = xs.sorted()
            return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
        }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(1, xs.count)) }
        return Figures(
            model: name, weights: engine.panelSummary, kernels: KernelISA.active.description,
            threads: matrixThreads(), contextTokens: context, holeTokens: hole, steps: steps,
            keystrokes: keystrokes, typingMsP50: quantile(typed, 0.5), typingMsP95: quantile(typed, 0.95),
            coldMs: quantile(cold, 0.5), firstForwardMs: mean(parts.map(\.fullForwardMs)),
            stepForwardsMs: mean(parts.map(\.partialForwardMs)), logitsMs: mean(parts.map(\.logitsMs)),
            samplingMs: mean(parts.map(\.samplingMs)), rssMiB: EngineBenchmark.rssMiB())
    }
}
