// The Engine module: masked-diffusion language models run on the CPU.
//
// Files, one job each:
//   Engine.swift           the public API: load, fill, decideTiedSpans, forward, cache agreement, model info
//   ModelConfig.swift      Hugging Face config.json for the Dream (Qwen2; Qwen3/CoDA with q/k norm) and LLaDA
//                          (OLMo names) families
//   MappedFile.swift       read-only mmap of weight files
//   Safetensors.swift      safetensors headers (single file and sharded), validated against the file
//   GGUF.swift             GGUF headers, metadata → config, f32/f16/bf16/Q8_0 tensors
//   GGUFWriter.swift       GGUF v3 files written tensor by tensor
//   ModelQuantizer.swift   a checkpoint → a directory with a Q8_0 GGUF and its tokenizer (`dlsp model quantize`)
//   Weights.swift          tensor names per layout, shape checks, f16/bf16 → f32, f32/Q8_0 used in place, packing,
//                          WeightPrecision (as stored or 8-bit panels)
//   Kernels.swift          RMSNorm, RoPE, softmax, SwiGLU, sgemm wrappers (+ plain reference twins)
//   CPUKernels.swift       the CKernels target from Swift: instruction set, routing, panel formats, packed products,
//                          attention
//   Quantized.swift        the Q8_0 matrix product
//   ParallelPool.swift     worker threads for the engine's own kernels (allocation-free hand-off, brief spin)
//   Transformer.swift      the bidirectional forward pass; full canvas or hole rows against the K/V cache
//   Workspace.swift        every per-request buffer, allocated once per request size
//   SamplingOptions.swift  what a caller can ask of the sampler
//   VariableLengthSampler.swift  DreamOn-style expand/delete: a hole that grows or shrinks while denoised
//   ContextReuse.swift     K/V of the previous fill lent to the next one whose canvas begins the same way
//   Sampler.swift          the denoising loop: schedules, confidence, blocks, tied slots, hook, cancellation
//   ReferenceForward.swift the forward pass written plainly, for tests
//   RandomModel.swift      random weights of a given shape, for benchmarks
//   Benchmark.swift        speed figures for `dlsp bench engine`
//   KernelBenchmark.swift  the C kernels beside OpenBLAS for `dlsp bench kernels`, and every panel format
//   TypingBenchmark.swift  what a user typing on one line waits for (`dlsp bench typing`)
//
// Canvas (ARCHITECTURE.md): context tokens, the hole as mask tokens, suffix tokens. Dream-family models predict
// position i from hidden state i−1 (Transformer.sourceRow); LLaDA-family models from i.
import Foundation
import Tokenizer

/// The result of filling one hole.
public struct FillResult: Sendable, Equatable {
    /// The hole's text (tokens decoded, special tokens skipped).
    public var text: String
    /// The hole's tokens, cut at the first end-of-text / pad when trimming is on.
    public var tokens: [Int]
    /// The confidence each of `tokens` was committed with (the option's measure; higher is more certain).
    public var confidences: [Float]
    /// All `m` tokens the hole received, before trimming.
    public var holeTokens: [Int]
    /// Denoising steps that ran a forward pass.
    public var steps: Int
    public var fullForwards: Int
    public var partialForwards: Int
    /// Leading canvas positions whose keys and values came from the previous fill (`FillOptions.contextReuse`).
    public var reusedPositions: Int
    /// Variable-length fills: how often the hole grew (expand) and shrank (delete).
    public var expansions: Int
    public var deletions: Int
    public var timings: DenoiseTimings
}

/// The result of deciding tied spans.
public struct TiedSpansResult: Sendable, Equatable {
    /// Per group: the tokens every span of the group received.
    public var tokens: [[Int]]
    /// Per group: the confidence of each of those tokens.
    public var confidences: [[Float]]
    /// The whole canvas after denoising.
    public var canvas: [Int]
    public var steps: Int
}

/// Agreement between the cached and the exact sampler on a set of holes.
public struct CacheAgreement: Sendable, Equatable {
    /// Fraction of hole positions whose final token is the same with and without the cache.
    public var tokenAgreement: Double
    /// Fraction of holes whose whole token sequence is identical.
    public var exactHoles: Double
    public var holes: Int
    public var cachedMs: Double
    public var uncachedMs: Double
}

/// A hole to fill: context tokens before it, suffix tokens after it, its length in tokens.
public struct HoleSpec: Sendable, Equatable {
    public var context: [Int]
    public var suffix: [Int]
    public var length: Int
    public init(context: [Int], suffix: [Int], length: Int) {
        self.context = context
        self.suffix = suffix
        self.length = length
    }
}

/// A loaded diffusion language model. Weights are immutable after loading and every request gets its own
/// workspace, so one `Engine` serves concurrent requests from any thread.
public final class Engine: Sendable {
    /// The checkpoint's hyper-parameters (with the mask/end-of-text ids resolved against the tokenizer).
    public let config: ModelConfig
    /// The tokenizer from `tokenizer.json`, when the model directory has one.
    public let tokenizer: Tokenizer?
    /// Where the model was loaded from (or "random").
    public let source: String
    /// Storage types of the loaded tensors, e.g. "F32×20, F16×3".
    public let dtypeSummary: String
    /// How the kernels hold the matrices, e.g. "bf16×169" or "q8×169" (`WeightPrecision`).
    public let panelSummary: String
    let model: Transformer

    init(config: ModelConfig, weights: TransformerWeights, tokenizer: Tokenizer?, source: String, threads: Int) {
        self.config = config
        self.tokenizer = tokenizer
        self.source = source
        self.dtypeSummary = weights.dtypeSummary
        self.panelSummary = weights.panelSummary
        KernelISA.environmentApplied
        self.model = Transformer(config: config, weights: weights, threads: threads)
    }

    /// Loads a model directory: `config.json`, `model.safetensors` (or shards with `model.safetensors.index.json`,
    /// or one `*.gguf` file instead of both) and `tokenizer.json` if present. `threads` sets OpenBLAS's thread
    /// count (process-wide) and the engine's own kernels'; `precision` whether the matrices are kept as stored or
    /// quantised to 8 bits.
    public static func load(directory: String, threads: Int = 2, precision: WeightPrecision = .automatic) throws
        -> Engine
    {
        setMatrixThreads(threads)
        let dir = URL(fileURLWithPath: directory)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw EngineError.fileNotFound(path: directory)
        }
        if !isDir.boolValue && directory.hasSuffix(".gguf") {
            return try loadGGUF(path: directory, tokenizerPath: nil, threads: threads, precision: precision)
        }
        let configURL = dir.appendingPathComponent("config.json")
        let tokenizerURL = dir.appendingPathComponent("tokenizer.json")
        if !FileManager.default.fileExists(atPath: configURL.path) {
            let ggufs = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".gguf") }.sorted()
            if let g = ggufs.first {
                return try loadGGUF(
                    path: dir.appendingPathComponent(g).path, tokenizerPath: tokenizerURL.path,
                    threads: threads, precision: precision)
            }
        }
        var config = try ModelConfig.load(contentsOf: configURL)
        let tokenizer = try loadTokenizer(path: tokenizerURL.path)
        try resolveSpecialTokens(&config, tokenizer: tokenizer, path: tokenizerURL.path)
        let checkpoint = try SafetensorsCheckpoint(directory: dir)
        let names: TensorNames = config.family == .dream ? .dream : .llada
        let weights = try TransformerWeights(source: checkpoint, config: config, names: names, precision: precision)
        return Engine(config: config, weights: weights, tokenizer: tokenizer, source: directory, threads: threads)
    }

    /// A model of the given shape with random weights (benchmarks; the mask id defaults to the last token).
    /// A model of `config`'s shape with random weights. `bf16` stores the matrices as a bf16 checkpoint would,
    /// so loading converts them as it would a real one (and memory figures match one).
    public static func random(
        config: ModelConfig, seed: UInt64 = 1, bf16: Bool = false, threads: Int = 2,
        precision: WeightPrecision = .asStored
    ) throws -> Engine {
        try random(config: config, seed: seed, std: 0.02, bf16: bf16, threads: threads, precision: precision)
    }

    static func random(
        config: ModelConfig, seed: UInt64, std: Double, bf16: Bool = false,
        threads: Int, precision: WeightPrecision = .asStored
    ) throws -> Engine {
        setMatrixThreads(threads)
        var config = config
        if config.maskTokenID == nil { config.maskTokenID = config.embeddingSize - 1 }
        try config.validate(path: "random")
        let weights = try TransformerWeights(
            source: RandomTensorSource(config: config, seed: seed, std: std, bf16: bf16), config: config,
            names: config.family == .dream ? .dream : .llada, precision: precision)
        return Engine(config: config, weights: weights, tokenizer: nil, source: "random", threads: threads)
    }

    static func loadTokenizer(path: String) throws -> Tokenizer? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try Tokenizer(contentsOf: path) } catch {
            throw EngineError.tokenizer(path: path, reason: "cannot load: \(error)")
        }
    }

    /// Fills in mask / end-of-text ids the config leaves out from the tokenizer's special tokens, and insists on
    /// a mask token: without one the model cannot denoise.
    static func resolveSpecialTokens(_ config: inout ModelConfig, tokenizer: Tokenizer?, path: String) throws {
        if config.maskTokenID == nil {
            config.maskTokenID =
                tokenizer?.tokenID(for: "<|mask|>") ?? tokenizer?.tokenID(for: "[MASK]")
                ?? tokenizer?.tokenID(for: "<|mdm_mask|>")
        }
        if config.eosTokenID == nil { config.eosTokenID = tokenizer?.tokenID(for: "<|endoftext|>") }
        if config.fileSepTokenID == nil { config.fileSepTokenID = tokenizer?.tokenID(for: "<|file_sep|>") }
        if config.expandTokenID == nil { config.expandTokenID = tokenizer?.tokenID(for: "<|expand|>") }
        guard let mask = config.maskTokenID else {
            throw EngineError.tokenizer(
                path: path,
                reason: "no mask token: config.json has no mask_token_id and "
                    + "the tokenizer has no <|mask|> token")
        }
        guard mask >= 0 && mask < config.embeddingSize else {
            throw EngineError.tokenizer(path: path, reason: "mask token id \(mask) outside the model's vocabulary")
        }
    }

    // MARK: Requests

    private func checkIDs(_ ids: [Int]) throws {
        for t in ids where t < 0 || t >= config.embeddingSize {
            throw EngineError.invalidRequest("token id \(t) outside the vocabulary (\(config.embeddingSize))")
        }
    }

    /// Fills a hole of `holeLength` mask tokens between `context` and `suffix` (token ids). The canvas is
    /// `context + mask×holeLength + suffix` (see ARCHITECTURE.md for what the context holds).
    public func fill(context: [Int], suffix: [Int], holeLength: Int, options: FillOptions = FillOptions()) throws
        -> FillResult
    {
        guard holeLength > 0 else { throw EngineError.invalidRequest("hole length must be positive") }
        try checkIDs(context); try checkIDs(suffix)
        let mask = config.maskTokenID!
        let canvas = (context + [Int](repeating: mask, count: holeLength) + suffix).map(Int32.init)
        guard canvas.count <= config.maxPositions else {
            throw EngineError.invalidRequest(
                "canvas of \(canvas.count) tokens exceeds the model's "
                    + "\(config.maxPositions) positions")
        }
        if let rule = options.variableLength {
            let out = try VariableLengthDenoiser(model: model).run(
                context: context.map(Int32.init), suffix: suffix.map(Int32.init), initialLength: holeLength,
                rule: rule, options: options)
            let tokens = out.hole.map(Int.init)
            let cut =
                options.trimAtEndOfText
                ? Engine.trimmedLength(tokens, stops: [config.eosTokenID, config.padTokenID].compactMap { $0 })
                : tokens.count
            var timings = DenoiseTimings()
            timings.totalMs = out.milliseconds
            timings.fullForwardMs = out.milliseconds
            return FillResult(
                text: tokenizer?.decode(Array(tokens[..<cut]), skipSpecial: true) ?? "",
                tokens: Array(tokens[..<cut]), confidences: [], holeTokens: tokens, steps: out.steps,
                fullForwards: out.steps, partialForwards: 0, reusedPositions: 0,
                expansions: out.expansions, deletions: out.deletions, timings: timings)
        }
        let slots = (0..<holeLength).map { [context.count + $0] }
        // The first row the fill computes itself: the hole, or the row before it for shifted models.
        let firstActive = max(0, context.count - (config.shiftLogits ? 1 : 0))
        var ws: Workspace
        var plan: ContextReuse.Plan?
        var chain = 0
        let reuser: ContextReuse? = {
            if case .dual = options.cache { return options.contextReuse }; return nil
        }()
        if let reuser {
            let kept = reuser.borrow()
            if let kept, kept.workspace.capacity >= canvas.count, kept.workspace.logitCapacity >= holeLength {
                ws = kept.workspace
                if kept.chain < reuser.maxChain {
                    let p = ContextReuse.plan(
                        kept, canvas: canvas,
                        allowed: [0..<firstActive, (context.count + holeLength)..<canvas.count])
                    if p.reused > 0 {
                        for m in p.moves where m.from != m.to {
                            model.moveCache(ws, from: m.from, to: m.to, count: m.count)
                        }
                        plan = p
                        chain = kept.chain + 1
                    }
                }
            } else {
                // Room to spare, so that the next canvas of a typing user (a little longer) fits the same buffers.
                ws = Workspace(
                    config: config, capacity: min(config.maxPositions, canvas.count + canvas.count / 4 + 16),
                    logitCapacity: max(holeLength, 64))
            }
        } else {
            ws = Workspace(config: config, capacity: canvas.count, logitCapacity: holeLength)
        }
        let out = try Denoiser(model: model, ws: ws).run(
            canvas: canvas, slots: slots, options: options,
            reuse: plan.map { (rows: $0.rowsToCompute(canvas.count), positions: $0.reused) })
        if let reuser {
            // Context and suffix positions never change during a fill, so their K/V match the final canvas there;
            // the hole's rows were last computed mid-denoising and are never reused.
            reuser.keep(
                ContextReuse.Kept(
                    workspace: ws, tokens: out.canvas,
                    valid: [0..<firstActive, (context.count + holeLength)..<canvas.count],
                    chain: chain))
            reuser.record(reusedPositions: out.reusedPositions)
        }
        let hole = out.slotTokens.map(Int.init)
        let cut =
            options.trimAtEndOfText
            ? Engine.trimmedLength(hole, stops: [config.eosTokenID, config.padTokenID].compactMap { $0 }) : hole.count
        let tokens = Array(hole[..<cut])
        return FillResult(
            text: tokenizer?.decode(tokens, skipSpecial: true) ?? "", tokens: tokens,
            confidences: Array(out.slotConfidence[..<cut]), holeTokens: hole, steps: out.steps,
            fullForwards: out.fullForwards, partialForwards: out.partialForwards,
            reusedPositions: out.reusedPositions, expansions: 0, deletions: 0, timings: out.timings)
    }

    /// Where a hole's text ends: at its first end-of-text / pad token. The canvas format pads a middle shorter
    /// than the hole with them, so whatever follows the first one is padding, not code.
    static func trimmedLength(_ hole: [Int], stops: [Int]) -> Int {
        hole.firstIndex { stops.contains($0) } ?? hole.count
    }

    /// Denoises a canvas whose `groups` of spans must each decode to identical tokens (every occurrence of a
    /// renamed identifier). Spans of one group have equal lengths; their positions are masked on entry. Any
    /// other mask tokens in `canvas` are filled independently. A group's token at offset i is chosen from the sum
    /// of the log-probabilities of offset i in all of its spans.
    public func decideTiedSpans(canvas: [Int], groups: [[Range<Int>]], options: FillOptions = FillOptions()) throws
        -> TiedSpansResult
    {
        try checkIDs(canvas)
        let mask = config.maskTokenID!
        var claimed = [Bool](repeating: false, count: canvas.count)
        var slots: [[Int]] = []
        var groupSlots: [[Int]] = []  // per group, per offset: the slot's first position
        for g in groups {
            guard let len = g.first?.count, len > 0, g.allSatisfy({ $0.count == len }) else {
                throw EngineError.invalidRequest("tied spans of a group must be non-empty and of equal length")
            }
            var firsts: [Int] = []
            for i in 0..<len {
                var members: [Int] = []
                for r in g {
                    let p = r.lowerBound + i
                    guard p >= 0 && p < canvas.count && !claimed[p] else {
                        throw EngineError.invalidRequest("tied span \(r) outside the canvas or overlapping another")
                    }
                    claimed[p] = true
                    members.append(p)
                }
                firsts.append(members.min()!)
                slots.append(members)
            }
            groupSlots.append(firsts)
        }
        for (p, t) in canvas.enumerated() where t == mask && !claimed[p] { slots.append([p]) }
        guard !slots.isEmpty else { throw EngineError.invalidRequest("nothing to decide") }
        let cv = canvas.map(Int32.init)
        let ws = Workspace(config: config, capacity: cv.count, logitCapacity: slots.reduce(0) { $0 + $1.count })
        let out = try Denoiser(model: model, ws: ws).run(canvas: cv, slots: slots, options: options)
        // The denoiser orders slots by first position; map back through it.
        let order = slots.map { $0.min()! }.sorted()
        var indexOfFirst: [Int: Int] = [:]
        for (i, p) in order.enumerated() { indexOfFirst[p] = i }
        let tokens = groupSlots.map { $0.map { Int(out.slotTokens[indexOfFirst[$0]!]) } }
        let confs = groupSlots.map { $0.map { out.slotConfidence[indexOfFirst[$0]!] } }
        return TiedSpansResult(tokens: tokens, confidences: confs, canvas: out.canvas.map(Int.init), steps: out.steps)
    }

    /// Runs the whole sequence once and returns the logits of `rows` (all rows when nil), row i computed from
    /// hidden state i. For shifted (Dream-family) models the prediction for position i is row i−1.
    /// Mask token ids are allowed anywhere.
    public func forward(_ ids: [Int], rows: [Int]? = nil) throws -> [[Float]] {
        guard !ids.isEmpty else { throw EngineError.invalidRequest("empty sequence") }
        try checkIDs(ids)
        let rows = rows ?? Array(0..<ids.count)
        for r in rows where r < 0 || r >= ids.count { throw EngineError.invalidRequest("row \(r) out of range") }
        let chunk = max(1, min(rows.count, 64))
        let ws = Workspace(config: config, capacity: ids.count, logitCapacity: chunk)
        let tokens = ids.map(Int32.init)
        tokens.withUnsafeBufferPointer { model.forwardAll(ws, tokens: $0.baseAddress!, count: ids.count) }
        var result: [[Float]] = []
        var i = 0
        let V = config.embeddingSize
        while i < rows.count {
            let part = rows[i..<min(rows.count, i + chunk)]
            let positions = part.map { Int32($0) }
            positions.withUnsafeBufferPointer { model.logits(ws, positions: $0, shifted: false) }
            for k in 0..<part.count { result.append(Array(UnsafeBufferPointer(start: ws.logits + k * V, count: V))) }
            i += chunk
        }
        return result
    }

    /// Fills every hole with and without the dual cache (same options otherwise) and reports how often the final
    /// tokens agree, and the time each took.
    public func measureCacheAgreement(holes: [HoleSpec], options: FillOptions = FillOptions()) throws
        -> CacheAgreement
    {
        var same = 0, total = 0, exact = 0
        var cachedMs = 0.0, uncachedMs = 0.0
        for h in holes {
            var a = options;
            a.cache = .dual(
                refreshEvery: {
                    if case .dual(let r) = options.cache { return r }; return 0
                }())
            var b = options; b.cache = .none
            a.trimAtEndOfText = false; b.trimAtEndOfText = false
            let ra = try fill(context: h.context, suffix: h.suffix, holeLength: h.length, options: a)
            let rb = try fill(context: h.context, suffix: h.suffix, holeLength: h.length, options: b)
            cachedMs += ra.timings.totalMs; uncachedMs += rb.timings.totalMs
            total += h.length
            same += zip(ra.holeTokens, rb.holeTokens).filter { $0 == $1 }.count
            if ra.holeTokens == rb.holeTokens { exact += 1 }
        }
        return CacheAgreement(
            tokenAgreement: total == 0 ? 1 : Double(same) / Double(total),
            exactHoles: holes.isEmpty ? 1 : Double(exact) / Double(holes.count),
            holes: holes.count, cachedMs: cachedMs, uncachedMs: uncachedMs)
    }
}

/// What `dlsp model info` shows about a loaded model.
public struct ModelInfo: Sendable, Equatable, Codable {
    public var architecture: String
    public var family: String
    public var parameters: Int
    public var layers: Int
    public var hiddenSize: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediateSize: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var tiedEmbeddings: Bool
    public var shiftLogits: Bool
    /// Storage types of the tensors as loaded from the file(s), e.g. "F16×23".
    public var dtypes: String
    /// "tokenizer.json (N tokens)" or "none".
    public var tokenizer: String
    public var maskTokenID: Int?
    public var eosTokenID: Int?
    public var padTokenID: Int?
    public var fileSepTokenID: Int?
}

extension Engine {
    /// A summary of the model for `dlsp model info`.
    public var info: ModelInfo {
        let c = config
        return ModelInfo(
            architecture: c.architecture, family: c.family.rawValue, parameters: c.parameterCount,
            layers: c.numLayers, hiddenSize: c.hiddenSize, heads: c.numHeads, kvHeads: c.numKVHeads,
            intermediateSize: c.intermediateSize, vocabSize: c.vocabSize, contextLength: c.maxPositions,
            tiedEmbeddings: c.tiedEmbeddings, shiftLogits: c.shiftLogits, dtypes: dtypeSummary,
            tokenizer: tokenizer.map { "tokenizer.json (\($0.vocabularySize) tokens)" } ?? "none",
            maskTokenID: c.maskTokenID, eosTokenID: c.eosTokenID, padTokenID: c.padTokenID,
            fileSepTokenID: c.fileSepTokenID)
    }
}
