/// Owns every buffer that weights live in: the file mappings (f32 and Q8_0 tensors are used in place) and the
/// f32 copies made of f16/bf16 tensors. Nothing is written after loading, so sharing across threads is sound.
final class WeightArena: @unchecked Sendable {
    private var owned: [UnsafeMutablePointer<Float>] = []
    private var keepAlive: [AnyObject] = []

    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        owned.append(p)
        return p
    }
    /// Frees a buffer `allocate` returned, if it did (a pointer into a mapped file is left alone); reports whether
    /// it was freed.
    func free(_ p: UnsafePointer<Float>) -> Bool {
        guard let i = owned.firstIndex(where: { UnsafePointer($0) == p }) else { return false }
        owned.remove(at: i).deallocate()
        return true
    }
    func retain(_ object: AnyObject) { keepAlive.append(object) }
    func isRetaining(_ object: AnyObject) -> Bool { keepAlive.contains { $0 === object } }
    deinit { for p in owned { p.deallocate() } }
}

/// A weight matrix of `rows` outputs × `cols` inputs, row-major (PyTorch's Linear layout).
struct WeightMatrix: @unchecked Sendable {
    /// `packedOnly`: the f32 copy was dropped after packing (large models; see `TransformerWeights`).
    enum Storage { case f32(UnsafePointer<Float>), q8_0(UnsafeRawPointer), packedOnly }
    let storage: Storage
    let rows: Int
    let cols: Int
    /// The dtype the checkpoint stored (for `model info`).
    let fileDType: TensorDType
    /// The same f32 weights packed for `dlsp_gemm_packed`, used for products of at most
    /// `KernelRouting.current.packedMaxRows` activation rows; taller products go to sgemm.
    var packed: PackedWeights? = nil

    /// y[m×rows] = x[m×cols] · Wᵀ, or y += that when `accumulate`. `scratch` (`PackedWeights.scratchBytes`)
    /// holds 8-bit panels' quantised activations; without it they are allocated for the call.
    func apply(
        _ x: UnsafePointer<Float>, m: Int, _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        threads: Int, scratch: UnsafeMutableRawPointer? = nil
    ) {
        if let p = packed, m <= KernelRouting.current.packedMaxRows || storage.isPackedOnly {
            p.apply(x, ldx: cols, m: m, y, ldy: rows, accumulate: accumulate, threads: threads, scratch: scratch)
            return
        }
        switch storage {
        case .packedOnly:
            preconditionFailure("packed-only weights without their packed copy")
        case .f32(let w):
            Kernels.gemmNT(
                x, lda: cols, w, ldb: cols, y, ldc: rows, m: m, n: rows, k: cols,
                beta: accumulate ? 1 : 0)
        case .q8_0(let w):
            Q8_0.matmul(x, m: m, k: cols, weights: w, n: rows, y, accumulate: accumulate, threads: threads)
        }
    }
}

extension WeightMatrix.Storage {
    var isPackedOnly: Bool { if case .packedOnly = self { true } else { false } }
}

extension WeightMatrix {
    /// W[row, col] from whichever copy exists (for the plain reference forward; slow).
    func element(_ row: Int, _ col: Int) -> Float {
        switch storage {
        case .f32(let w): return w[row * cols + col]
        case .packedOnly: return packed!.element(row, col)
        case .q8_0(let w):
            let block = w + row * (cols / Q8_0.blockSize) * Q8_0.blockBytes + (col / Q8_0.blockSize) * Q8_0.blockBytes
            let scale = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))))
            return scale * Float(block.load(fromByteOffset: 2 + col % Q8_0.blockSize, as: Int8.self))
        }
    }
}

/// How the engine keeps a checkpoint's matrices.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// 8 bits on CPUs with VNNI for models over `automaticEightBitParameters` parameters (where the products are
    /// bound by memory and 8-bit panels run about three times faster: `dlsp bench kernels --panels`) and for
    /// checkpoints stored in Q8_0 (`dlsp model quantize`'s output: their bytes as they are, and as stored they would
    /// run the slower dequantising product); as stored otherwise, the embedded default model included.
    case automatic = "auto"
    /// As the checkpoint stores them, multiplied against f32 activations: the exact product of the stored weights
    /// (f32, f16 and bf16 panels; Q8_0 dequantised block by block).
    case asStored = "as-stored"
    /// 8 bits per weight with a scale per 32 inputs (GGUF's Q8_0: a Q8_0 checkpoint's own bytes, others quantised
    /// at load), multiplied against activations quantised the same way with VNNI's byte dot products, as
    /// llama.cpp's Q8_0 × Q8_0 product. Needs AVX-512 VNNI; on CPUs without it the weights stay as stored.
    case q8

    /// Parameters above which `automatic` chooses 8 bits.
    public static let automaticEightBitParameters = 100_000_000

    /// What `self` means for a model of `parameters` parameters, stored in Q8_0 or not, on a CPU with
    /// (`eightBitPanels`) or without VNNI.
    func resolved(parameters: Int, storedInQ8_0: Bool, eightBitPanels: Bool) -> WeightPrecision {
        guard self == .automatic else { return self }
        return eightBitPanels && (parameters > Self.automaticEightBitParameters || storedInQ8_0) ? .q8 : .asStored
    }
}

/// One transformer block's weights.
struct LayerWeights: @unchecked Sendable {
    let attnNorm: UnsafePointer<Float>
    let wq: WeightMatrix, wk: WeightMatrix, wv: WeightMatrix, wo: WeightMatrix
    let bq: UnsafePointer<Float>?, bk: UnsafePointer<Float>?, bv: UnsafePointer<Float>?
    /// Qwen3's per-head RMSNorm weights (headDim entries each), when `ModelConfig.qkNorm`.
    var qNorm: UnsafePointer<Float>? = nil, kNorm: UnsafePointer<Float>? = nil
    let ffnNorm: UnsafePointer<Float>
    let gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix
}

/// Tensor names of one checkpoint layout.
struct TensorNames: Sendable {
    let embed: String, finalNorm: String, head: String
    let layerPrefix: @Sendable (Int) -> String
    let attnNorm: String, q: String, k: String, v: String, o: String
    let qBias: String, kBias: String, vBias: String
    let ffnNorm: String, gate: String, up: String, down: String
    /// Qwen3's per-head q/k norms (read only when `ModelConfig.qkNorm`, which only Hugging Face Qwen3 configs set).
    var qNorm = "self_attn.q_norm.weight", kNorm = "self_attn.k_norm.weight"

    static let dream = TensorNames(
        embed: "model.embed_tokens.weight", finalNorm: "model.norm.weight", head: "lm_head.weight",
        layerPrefix: { "model.layers.\($0)." }, attnNorm: "input_layernorm.weight",
        q: "self_attn.q_proj.weight", k: "self_attn.k_proj.weight", v: "self_attn.v_proj.weight",
        o: "self_attn.o_proj.weight", qBias: "self_attn.q_proj.bias", kBias: "self_attn.k_proj.bias",
        vBias: "self_attn.v_proj.bias", ffnNorm: "post_attention_layernorm.weight",
        gate: "mlp.gate_proj.weight", up: "mlp.up_proj.weight", down: "mlp.down_proj.weight")

    static let llada = TensorNames(
        embed: "model.transformer.wte.weight", finalNorm: "model.transformer.ln_f.weight",
        head: "model.transformer.ff_out.weight", layerPrefix: { "model.transformer.blocks.\($0)." },
        attnNorm: "attn_norm.weight", q: "q_proj.weight", k: "k_proj.weight", v: "v_proj.weight",
        o: "attn_out.weight", qBias: "q_proj.bias", kBias: "k_proj.bias", vBias: "v_proj.bias",
        ffnNorm: "ff_norm.weight", gate: "ff_proj.weight", up: "up_proj.weight", down: "ff_out.weight")

    /// llama.cpp's GGUF names (shapes are converted to PyTorch order by the GGUF reader).
    static let gguf = TensorNames(
        embed: "token_embd.weight", finalNorm: "output_norm.weight", head: "output.weight",
        layerPrefix: { "blk.\($0)." }, attnNorm: "attn_norm.weight", q: "attn_q.weight", k: "attn_k.weight",
        v: "attn_v.weight", o: "attn_output.weight", qBias: "attn_q.bias", kBias: "attn_k.bias",
        vBias: "attn_v.bias", ffnNorm: "ffn_norm.weight", gate: "ffn_gate.weight", up: "ffn_up.weight",
        down: "ffn_down.weight")
}

extension TransformerWeights {
    /// Copies token `token`'s embedding row (d floats) into `out`.
    @inline(__always)
    func embeddingRow(_ token: Int, into out: UnsafeMutablePointer<Float>, d: Int) {
        if let e = embedding {
            out.update(from: e + token * d, count: d)
        } else {
            for i in 0..<d { out[i] = head.packed!.element(token, i) }
        }
    }
}

/// All weights of a model, checked against its config.
struct TransformerWeights: @unchecked Sendable {
    let arena: WeightArena
    /// embeddingSize × d in f32, for the gather; nil when a large tied model keeps only the head's packed copy
    /// (`embeddingRow` reads rows from either).
    let embedding: UnsafePointer<Float>?
    let layers: [LayerWeights]
    let finalNorm: UnsafePointer<Float>
    let head: WeightMatrix
    let dtypeSummary: String
    /// How the matrices are packed for the kernels, e.g. "bf16×168, q8×1" ("none" on the sgemm routing).
    let panelSummary: String
    /// Whether some product runs on 8-bit panels (and so needs room for quantised activations).
    let hasEightBitPanels: Bool
    /// Parameters above which converted f32 copies are dropped once packed (about 256 MiB of f32).
    static let plainCopyLimit = 64_000_000

    /// `plainCopyLimit`: parameters above which converted f32 copies are dropped once packed (tests lower it).
    /// `precision`: the weights as stored, or quantised to 8 bits at load (on CPUs with VNNI).
    init(
        source: TensorSource, config: ModelConfig, names: TensorNames,
        plainCopyLimit: Int = TransformerWeights.plainCopyLimit, precision: WeightPrecision = .asStored
    ) throws {
        let arena = WeightArena()
        self.arena = arena
        let d = config.hiddenSize, hd = config.headDim
        let qd = config.numHeads * hd, kvd = config.numKVHeads * hd, ffn = config.intermediateSize
        var dtypes: [TensorDType: Int] = [:]

        func slice(_ name: String, _ shape: [Int]) throws -> TensorSlice {
            guard let s = source.tensor(name) else {
                throw EngineError.missingTensor(name: name, searched: source.description)
            }
            guard s.shape == shape else {
                throw EngineError.shapeMismatch(path: s.path, tensor: name, expected: shape, found: s.shape)
            }
            dtypes[s.dtype, default: 0] += 1
            return s
        }
        // A file mapping (or buffer) is kept only while some tensor is used from it in place (aligned f32, Q8_0);
        // one whose tensors were all converted is let go once loading ends, so a bf16 checkpoint does not stay
        // resident beside its f32 conversion.
        // Models up to `plainCopyLimit` parameters copy even those tensors out of the file: a page of a mapped file
        // that was truncated under a running server faults (SIGBUS) on its next read, and a few hundred MiB is a
        // small price for a server that survives it. Larger models keep the mapping to save the memory; their
        // files should be replaced by rename, as installers and downloaders do.
        let copyOutOfFile = config.parameterCount <= plainCopyLimit
        func inPlace(_ s: TensorSlice) { if !arena.isRetaining(s.owner) { arena.retain(s.owner) } }
        func floats(_ s: TensorSlice) -> UnsafePointer<Float> {
            let n = s.elementCount
            switch s.dtype {
            case .f32:
                if Int(bitPattern: s.pointer) % 4 == 0 && !copyOutOfFile {
                    inPlace(s); return s.pointer.assumingMemoryBound(to: Float.self)
                }
                let p = arena.allocate(n); UnsafeMutableRawPointer(p).copyMemory(from: s.pointer, byteCount: n * 4)
                return UnsafePointer(p)
            case .f16:
                let p = arena.allocate(n); Kernels.f16ToF32(s.pointer, p, count: n); return UnsafePointer(p)
            case .bf16:
                let p = arena.allocate(n); Kernels.bf16ToF32(s.pointer, p, count: n); return UnsafePointer(p)
            case .q8_0:
                let cols = s.shape.last ?? 0, rows = n / max(cols, 1)
                let p = arena.allocate(n)
                for r in 0..<rows {
                    Q8_0.dequantizeRow(s.pointer + r * (cols / 32) * 34, k: cols, into: p + r * cols)
                }
                return UnsafePointer(p)
            }
        }
        // Vectors (norms, biases) are always copied: they are small, and one used in place would keep a whole
        // converted checkpoint's mapping alive.
        func vector(_ name: String, _ n: Int) throws -> UnsafePointer<Float> {
            let s = try slice(name, [n])
            if s.dtype == .f32 {
                let p = arena.allocate(n)
                UnsafeMutableRawPointer(p).copyMemory(from: s.pointer, byteCount: n * 4)
                return UnsafePointer(p)
            }
            return floats(s)
        }
        // Every f32 matrix is packed for the C kernels when the routing uses them (not on the portable path). A
        // large model whose products all go through the packed copy (the AVX2 routing) keeps no f32 copy of
        // converted (f16/bf16/misaligned) matrices: holding both would double its memory. Small models keep both,
        // so the benchmark can compare the sgemm routing.
        KernelISA.environmentApplied
        let packing = KernelRouting.current.packedMaxRows > 0
        // 8-bit panels only where the CPU has VNNI's byte dot product; elsewhere their portable loop would be slower
        // than the float panels, so a Q8_0 file keeps its own product and a request for 8 bits is not honoured.
        let eightBitPanels = KernelISA.active >= .avx512
        let storedInQ8_0 = source.tensor(names.layerPrefix(0) + names.gate)?.dtype == .q8_0
        let precision = precision.resolved(
            parameters: config.parameterCount, storedInQ8_0: storedInQ8_0,
            eightBitPanels: eightBitPanels)
        let largeModel = config.parameterCount > plainCopyLimit
        // 8-bit panels keep no f32 copy at any size: the products must all go through them, or the model would
        // answer with different weights depending on a product's height.
        let dropPlain =
            (largeModel || (precision == .q8 && eightBitPanels)) && KernelRouting.current.packedMaxRows == .max
        // Matrices a checkpoint stored in f16 or bf16 are packed as such: exact, and half the bytes per product (a
        // typing fill of the default model measured about 10% faster than with f32 panels). With `precision` .q8
        // every matrix whose inputs come in blocks of 32 is quantised to 8 bits.
        func panelFormat(_ m: WeightMatrix) -> PanelFormat {
            if precision == .q8 && eightBitPanels && PackedWeights.supports(.q8, cols: m.cols) { return .q8 }
            switch m.fileDType {
            case .f16: return .f16
            case .bf16: return .bf16
            case .q8_0: return .f32  // a Q8_0 embedding used as the tied head, dequantised
            case .f32: return .f32
            }
        }
        func packedIfWorthIt(_ m: WeightMatrix) -> WeightMatrix {
            guard packing, case .f32(let w) = m.storage else { return m }
            var m = m
            m.packed = PackedWeights.pack(
                w, rows: m.rows, cols: m.cols, format: panelFormat(m),
                allocate: arena.allocate)
            if dropPlain && arena.free(w) {
                m = WeightMatrix(
                    storage: .packedOnly, rows: m.rows, cols: m.cols, fileDType: m.fileDType,
                    packed: m.packed)
            }
            return m
        }

        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> WeightMatrix {
            let s = try slice(name, [rows, cols])
            if s.dtype == .q8_0 {
                guard cols % 32 == 0 else {
                    throw EngineError.shapeMismatch(
                        path: s.path, tensor: name, expected: [rows, cols / 32 * 32],
                        found: s.shape)
                }
                if packing && eightBitPanels && precision == .q8 {
                    // Repacked exactly into the 8-bit panels; the file's bytes are not kept. (As stored, Q8_0
                    // weights meet f32 activations: the dequantised checkpoint's exact product, as its reference.)
                    let packed = PackedWeights.packQ8_0(s.pointer, rows: rows, cols: cols, allocate: arena.allocate)
                    return WeightMatrix(storage: .packedOnly, rows: rows, cols: cols, fileDType: .q8_0, packed: packed)
                }
                guard copyOutOfFile else {
                    inPlace(s)
                    return WeightMatrix(storage: .q8_0(s.pointer), rows: rows, cols: cols, fileDType: .q8_0)
                }
                let bytes = TensorDType.q8_0.byteCount(elements: rows * cols)
                let copy = UnsafeMutableRawPointer(arena.allocate((bytes + 3) / 4))
                copy.copyMemory(from: s.pointer, byteCount: bytes)
                return WeightMatrix(storage: .q8_0(UnsafeRawPointer(copy)), rows: rows, cols: cols, fileDType: .q8_0)
            }
            return packedIfWorthIt(WeightMatrix(storage: .f32(floats(s)), rows: rows, cols: cols, fileDType: s.dtype))
        }
        let embedSlice = try slice(names.embed, [config.embeddingSize, d])
        let embeddingFloats = floats(embedSlice)
        // The tied head is the embedding: when only its packed copy is kept, the gather reads rows from it.
        // Packed first, so its f32 conversion is gone before the layers' are made (a lower peak).
        let tiedHead =
            config.tiedEmbeddings
            ? packedIfWorthIt(
                WeightMatrix(
                    storage: .f32(embeddingFloats), rows: config.embeddingSize, cols: d,
                    fileDType: embedSlice.dtype))
            : nil
        embedding = tiedHead?.storage.isPackedOnly == true ? nil : embeddingFloats
        var layers: [LayerWeights] = []
        for i in 0..<config.numLayers {
            let p = names.layerPrefix(i)
            let hasBias = source.tensor(p + names.qBias) != nil
            layers.append(
                LayerWeights(
                    attnNorm: try vector(p + names.attnNorm, d),
                    wq: try matrix(p + names.q, qd, d), wk: try matrix(p + names.k, kvd, d),
                    wv: try matrix(p + names.v, kvd, d), wo: try matrix(p + names.o, d, qd),
                    bq: hasBias ? try vector(p + names.qBias, qd) : nil,
                    bk: hasBias ? try vector(p + names.kBias, kvd) : nil,
                    bv: hasBias ? try vector(p + names.vBias, kvd) : nil,
                    qNorm: config.qkNorm ? try vector(p + names.qNorm, hd) : nil,
                    kNorm: config.qkNorm ? try vector(p + names.kNorm, hd) : nil,
                    ffnNorm: try vector(p + names.ffnNorm, d),
                    gate: try matrix(p + names.gate, ffn, d), up: try matrix(p + names.up, ffn, d),
                    down: try matrix(p + names.down, d, ffn)))
        }
        self.layers = layers
        finalNorm = try vector(names.finalNorm, d)
        head = try tiedHead ?? matrix(names.head, config.embeddingSize, d)
        dtypeSummary = dtypes.sorted { $0.value > $1.value }.map { "\($0.key.rawValue)×\($0.value)" }
            .joined(separator: ", ")
        let matrices = layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] } + [head]
        var formats: [PanelFormat: Int] = [:]
        for m in matrices { if let f = m.packed?.format { formats[f, default: 0] += 1 } }
        panelSummary =
            formats.isEmpty
            ? "none"
            : formats.sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
        hasEightBitPanels = formats[.q8] != nil
    }
}
