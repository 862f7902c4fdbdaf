import COpenBLAS
import Dispatch
import Foundation

/// Speed figures of the engine, measured in-process (the `dlsp bench engine` command prints them).
public enum EngineBenchmark {
    /// One model's figures at one context/hole size.
    public struct Figures: Sendable, Codable, Equatable {
        public var model: String
        public var parameters: Int
        public var threads: Int
        public var contextTokens: Int
        public var holeTokens: Int
        public var steps: Int
        /// p50 over the repeats of one whole fill, with the dual cache (includes its one full forward).
        public var fillMsCached: Double
        /// p50 of one whole fill re-running the full canvas every step.
        public var fillMsUncached: Double
        /// Fastest of the repeats (the figure least disturbed by other load on the machine).
        public var fillMsCachedBest: Double
        public var fillMsUncachedBest: Double
        /// Per denoising step (p50 fill time / steps).
        public var stepMsCached: Double
        public var stepMsUncached: Double
        /// Cached hole-only step alone (partial forward + logits + sampling), p50 per step.
        public var partialStepMs: Double
        /// fillMsUncached / fillMsCached.
        public var cacheSpeedup: Double
        /// p50 of a cached fill that follows a fill of the same canvas with `typedTokens` fewer prefix tokens,
        /// through one `ContextReuse` (a user typing): only the positions from the cursor on are recomputed.
        public var fillMsReused: Double
        /// Where a typing fill's time goes, means over its repeats: the first forward (the rows not reused), the
        /// hole-only forwards of the other steps, the LM head, and scoring and committing.
        public var reusedFirstForwardMs: Double
        public var reusedStepForwardsMs: Double
        public var reusedLogitsMs: Double
        public var reusedSamplingMs: Double
        /// fillMsCached / fillMsReused.
        public var reuseSpeedup: Double
        /// Fraction of hole tokens that agree between the reusing fill and a fresh cached fill of the same canvas.
        public var reuseAgreement: Double
        public var typedTokens: Int
        /// What denoising two requests as one batch could gain: a hole-only forward of 2×`hole` rows (the rows of
        /// two requests stacked, as a batch would run its matrix products) against two forwards of `hole` rows,
        /// 2·t(hole) / t(2·hole), p50. Attention work is the same either way; only the products get taller.
        public var batchOfTwoGain: Double
        /// One full-canvas forward (no logits), p50 and fastest.
        public var fullForwardMs: Double
        public var fullForwardMsBest: Double
        /// From the fastest full forward, like the sgemm figure beside it.
        public var fullForwardGFLOPs: Double
        /// `sgemm` GFLOP/s measured in the same run (1024³ single-precision product, fastest of 5): the machine's
        /// own limit, as OpenBLAS reaches it on a large square product.
        public var sgemmGFLOPs: Double
        /// fullForwardGFLOPs / sgemmGFLOPs.
        public var fractionOfSgemm: Double
        /// Peak resident set of the process so far, MiB (Linux; 0 elsewhere); loading a model is usually the peak.
        public var peakRSSMiB: Double
        /// Resident set after the measurements (the model, its workspaces and caches), MiB.
        public var rssMiB: Double
        /// The instruction set of the engine's C kernels, and the routing's baseline measured in the same run:
        /// every product and attention through OpenBLAS (`KernelRouting.sgemmOnly`).
        public var kernels: String
        public var sgemmPathFillMsCached: Double
        public var sgemmPathFillMsReused: Double
        public var sgemmPathFullForwardMs: Double
    }

    /// The default model's shape (the trainer's LLaDA layout, tied embeddings): L=4, d=256, 4 heads, ffn 704,
    /// vocab 8192.
    public static func defaultModelShape() -> ModelConfig {
        ModelConfig(
            family: .llada, architecture: "LLaDAModelLM", hiddenSize: 256, numLayers: 4, numHeads: 4,
            numKVHeads: 4, intermediateSize: 704, vocabSize: 8192, ropeTheta: 10000, rmsNormEps: 1e-5,
            tiedEmbeddings: true, maxPositions: 4096)
    }

    /// Qwen2.5-Coder-0.5B dimensions (Open-dCoder-0.5B): 24 layers, hidden 896, 14/2 heads, ffn 4864,
    /// vocab 151936, tied embeddings, Q/K/V bias, shifted logits.
    public static func openDCoderShape() -> ModelConfig {
        ModelConfig(
            family: .dream, architecture: "Qwen2ForCausalLM", hiddenSize: 896, numLayers: 24, numHeads: 14,
            numKVHeads: 2, intermediateSize: 4864, vocabSize: 151936, ropeTheta: 1_000_000,
            rmsNormEps: 1e-6, tiedEmbeddings: true, maxPositions: 32768)
    }

    /// Qwen3-1.7B dimensions (Salesforce CoDA-v0, 1.7B): 28 layers, hidden 2048, 16/8 heads of head_dim 128 (so
    /// q is 2048 wide and k/v 1024), ffn 6144, vocab 151936, tied embeddings, no Q/K/V bias, per-head q/k RMSNorm,
    /// shifted logits, mask id 151669.
    public static func codaShape() -> ModelConfig {
        var c = ModelConfig(
            family: .dream, architecture: "CoDALanguageModel", hiddenSize: 2048, numLayers: 28,
            numHeads: 16, numKVHeads: 8, headDim: 128, intermediateSize: 6144, vocabSize: 151936,
            ropeTheta: 1_000_000, rmsNormEps: 1e-6, tiedEmbeddings: true, maxPositions: 40960,
            maskTokenID: 151669)
        c.qkNorm = true
        c.attentionBias = false
        return c
    }

    /// Floating-point operations of one full-canvas forward of `n` positions (matrix products and attention;
    /// no LM head, which a full forward does not compute).
    public static func fullForwardFLOPs(_ c: ModelConfig, positions n: Int) -> Double {
        let d = Double(c.hiddenSize), qd = Double(c.numHeads * c.headDim), kvd = Double(c.numKVHeads * c.headDim)
        let f = Double(c.intermediateSize), N = Double(n)
        let linear = 2 * N * (d * qd + 2 * d * kvd + qd * d + 3 * d * f)
        let attention = 4 * N * N * qd
        return Double(c.numLayers) * (linear + attention)
    }

    /// GFLOP/s of one `m×k · k×n` sgemm, best of `repeats`.
    public static func sgemmGFLOPs(m: Int = 1024, n: Int = 1024, k: Int = 1024, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let best = fastestSeconds(repeats) {
            c.withUnsafeMutableBufferPointer { cp in
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k),
                    b, Int32(n), 0, cp.baseAddress!, Int32(n))
            }
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }

    /// Seconds of the fastest of `repeats` runs of `body` (the figure least disturbed by other load).
    static func fastestSeconds(_ repeats: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return best
    }

    /// Milliseconds of one Q8_0 matrix product (`m×k` activations, `n×k` quantised weights) beside sgemm on the
    /// same shape in f32, best of `repeats`.
    public static func quantizedMatmul(m: Int = 32, k: Int = 896, n: Int = 4864, repeats: Int = 3)
        -> (q8Ms: Double, sgemmMs: Double)
    {
        Q8_0.timeAgainstSgemm(m: m, k: k, n: n, repeats: repeats)
    }

    /// Peak resident set size of this process in MiB (from /proc/self/status; 0 when unavailable).
    public static func peakRSSMiB() -> Double { statusMiB("VmHWM:") }

    /// Resident set size of this process now, in MiB (0 when unavailable).
    public static func rssMiB() -> Double { statusMiB("VmRSS:") }

    private static func statusMiB(_ key: String) -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix(key) })
        else { return 0 }
        let kb = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
        return kb / 1024
    }

    /// Measures `engine`: a hole of `hole` tokens with `context` tokens around it (three quarters before, one
    /// quarter after), `steps` Dream timesteps, greedy; with and without the dual cache; p50 over `repeats`.
    /// `uncachedRepeats` defaults to `repeats`; the uncached fill of a large model takes minutes on two cores.
    public static func run(
        engine: Engine, name: String, context: Int = 1024, hole: Int = 32, steps: Int = 16,
        repeats: Int = 5, uncachedRepeats: Int? = nil
    ) throws -> Figures {
        let c = engine.config
        var rng = SeededRNG(seed: 42)
        let limit = min(c.vocabSize, c.embeddingSize)
        let mask = c.maskTokenID ?? -1
        func token() -> Int {
            var t = Int(rng.next() % UInt64(limit))
            while t == mask || t == c.eosTokenID { t = Int(rng.next() % UInt64(limit)) }
            return t
        }
        let before = context * 3 / 4
        let prefix = (0..<before).map { _ in token() }, suffix = (0..<(context - before)).map { _ in token() }
        func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(1, xs.count)) }

        var cachedOpts = FillOptions(schedule: .timesteps(steps: steps), cache: .dual(), trimAtEndOfText: false)
        cachedOpts.maxExtraSteps = 0
        var uncachedOpts = cachedOpts
        uncachedOpts.cache = .none
        _ = try engine.fill(context: prefix, suffix: suffix, holeLength: hole, options: cachedOpts)  // warm-up
        var cached: [Double] = [], uncached: [Double] = [], partial: [Double] = []
        var stepsUsed = steps
        for i in 0..<repeats {
            let r = try engine.fill(context: prefix, suffix: suffix, holeLength: hole, options: cachedOpts)
            cached.append(r.timings.totalMs)
            stepsUsed = r.steps
            if r.partialForwards > 0 {
                let fullStep = r.timings.fullForwardMs
                partial.append((r.timings.totalMs - fullStep) / Double(max(1, r.steps - 1)))
            }
            if i < (uncachedRepeats ?? repeats) {
                uncached.append(
                    try engine.fill(
                        context: prefix, suffix: suffix, holeLength: hole,
                        options: uncachedOpts
                    ).timings.totalMs)
            }
        }
        // Typing: the previous request's canvas lacked the last `typed` prefix tokens.
        let typed = 4
        let fresh = try engine.fill(context: prefix, suffix: suffix, holeLength: hole, options: cachedOpts)
        var reused: [Double] = []
        var reusedParts: [DenoiseTimings] = []
        var agree = 0, compared = 0
        for _ in 0..<repeats {
            let reuse = ContextReuse()
            var opts = cachedOpts
            opts.contextReuse = reuse
            _ = try engine.fill(context: Array(prefix.dropLast(typed)), suffix: suffix, holeLength: hole, options: opts)
            let r = try engine.fill(context: prefix, suffix: suffix, holeLength: hole, options: opts)
            reused.append(r.timings.totalMs)
            reusedParts.append(r.timings)
            for (a, b) in zip(r.holeTokens, fresh.holeTokens) { compared += 1; agree += a == b ? 1 : 0 }
        }
        // Batching: the same forward work with stacked rows.
        let batchCanvas = (prefix + [Int](repeating: max(mask, 0), count: hole) + suffix).map(Int32.init)
        let bws = Workspace(config: c, capacity: batchCanvas.count, logitCapacity: 1)
        batchCanvas.withUnsafeBufferPointer {
            engine.model.forwardAll(bws, tokens: $0.baseAddress!, count: batchCanvas.count)
        }
        let single = (before..<(before + hole)).map(Int32.init)
        let double = ((before - hole)..<(before + hole)).map(Int32.init)
        var singleMs: [Double] = [], doubleMs: [Double] = []
        for _ in 0..<max(3, repeats) {
            for (rows, sink) in [(single, 0), (double, 1)] {
                let t0 = DispatchTime.now().uptimeNanoseconds
                batchCanvas.withUnsafeBufferPointer { cv in
                    rows.withUnsafeBufferPointer { rp in
                        engine.model.forwardRows(bws, tokens: cv.baseAddress!, count: batchCanvas.count, rows: rp)
                    }
                }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                if sink == 0 { singleMs.append(ms) } else { doubleMs.append(ms) }
            }
        }
        // Full-canvas forward alone.
        let n = context + hole
        let ws = Workspace(config: c, capacity: n, logitCapacity: 1)
        let tokens = (prefix + [Int](repeating: max(mask, 0), count: hole) + suffix).map(Int32.init)
        var forwards: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            tokens.withUnsafeBufferPointer { engine.model.forwardAll(ws, tokens: $0.baseAddress!, count: n) }
            forwards.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let fwd = median(forwards), fwdBest = forwards.min()!
        // The same fill, typing fill and forward with every product and attention through OpenBLAS.
        let routing = KernelRouting.current
        KernelRouting.current = .sgemmOnly
        defer { KernelRouting.current = routing }
        var sgemmFills: [Double] = [], sgemmReused: [Double] = [], sgemmForwards: [Double] = []
        for _ in 0..<max(1, repeats / 2) {
            sgemmFills.append(
                try engine.fill(
                    context: prefix, suffix: suffix, holeLength: hole,
                    options: cachedOpts
                ).timings.totalMs)
            let reuse = ContextReuse()
            var opts = cachedOpts
            opts.contextReuse = reuse
            _ = try engine.fill(context: Array(prefix.dropLast(typed)), suffix: suffix, holeLength: hole, options: opts)
            sgemmReused.append(
                try engine.fill(
                    context: prefix, suffix: suffix, holeLength: hole,
                    options: opts
                ).timings.totalMs)
            let t0 = DispatchTime.now().uptimeNanoseconds
            tokens.withUnsafeBufferPointer { engine.model.forwardAll(ws, tokens: $0.baseAddress!, count: n) }
            sgemmForwards.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        KernelRouting.current = routing
        let gflops = fullForwardFLOPs(c, positions: n) / (fwdBest / 1e3) / 1e9
        let peak = sgemmGFLOPs()
        let fc = median(cached), fu = median(uncached), fr = median(reused)
        return Figures(
            model: name, parameters: c.parameterCount, threads: matrixThreads(), contextTokens: context,
            holeTokens: hole, steps: stepsUsed, fillMsCached: fc, fillMsUncached: fu,
            fillMsCachedBest: cached.min()!, fillMsUncachedBest: uncached.min()!,
            stepMsCached: fc / Double(stepsUsed), stepMsUncached: fu / Double(stepsUsed),
            partialStepMs: partial.isEmpty ? 0 : median(partial), cacheSpeedup: fu / fc,
            fillMsReused: fr,
            reusedFirstForwardMs: mean(reusedParts.map(\.fullForwardMs)),
            reusedStepForwardsMs: mean(reusedParts.map(\.partialForwardMs)),
            reusedLogitsMs: mean(reusedParts.map(\.logitsMs)),
            reusedSamplingMs: mean(reusedParts.map(\.samplingMs)), reuseSpeedup: fc / fr,
            reuseAgreement: Double(agree) / Double(max(1, compared)),
            typedTokens: typed, batchOfTwoGain: 2 * median(singleMs) / median(doubleMs),
            fullForwardMs: fwd, fullForwardMsBest: fwdBest, fullForwardGFLOPs: gflops, sgemmGFLOPs: peak,
            fractionOfSgemm: gflops / peak, peakRSSMiB: peakRSSMiB(), rssMiB: rssMiB(),
            kernels: KernelISA.active.description, sgemmPathFillMsCached: median(sgemmFills),
            sgemmPathFillMsReused: median(sgemmReused), sgemmPathFullForwardMs: median(sgemmForwards))
    }

    /// The standard figures: the default model's shape and (when `includeLarge`) an Open-dCoder-0.5B-shaped model,
    /// both random weights (f32 and bf16 respectively), or the model at `modelPath` instead of the default shape.
    public static func standard(
        modelPath: String? = nil, includeLarge: Bool = true, threads: Int = 2,
        repeats: Int = 5
    ) throws -> [Figures] {
        var out: [Figures] = []
        if let p = modelPath {
            let engine = try Engine.load(directory: p, threads: threads)
            // The canvas (context + 32-token hole) must fit the model's window: the default model's is 1,024.
            out.append(
                try run(
                    engine: engine, name: p, context: min(1024, engine.config.maxPositions - 32),
                    repeats: repeats))
        } else {
            let e = try Engine.random(config: defaultModelShape(), threads: threads)
            out.append(try run(engine: e, name: "default-shape (random)", repeats: repeats))
        }
        if includeLarge {
            let e = try Engine.random(config: openDCoderShape(), bf16: true, threads: threads)
            out.append(
                try run(
                    engine: e, name: "open-dcoder-0.5B-shape (random, bf16)", repeats: max(1, repeats / 2),
                    uncachedRepeats: 1))
        }
        return out
    }
}
