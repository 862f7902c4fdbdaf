import Foundation

/// What `ModelQuantizer.quantize` did.
public struct QuantizationReport: Sendable, Equatable {
    /// The output directory and the GGUF file in it.
    public var outputDirectory: String
    public var modelFile: String
    /// Tensors written as Q8_0 (matrices whose rows are whole blocks of 32), as F16 (other matrices) and as F32
    /// (norms and biases).
    public var q8Tensors: Int
    public var f16Tensors: Int
    public var f32Tensors: Int
    /// The bytes the written tensors took in the input, as stored there, and the output file's size.
    public var inputBytes: Int
    public var outputBytes: Int
    /// Whether a `tokenizer.json` was found beside the input and copied.
    public var tokenizerCopied: Bool
    /// Tensors of the input the engine does not use, not written.
    public var skippedTensors: [String]
    public var seconds: Double
}

/// Converts a model (a Hugging Face directory of safetensors in f32, f16 or bf16, sharded or not, or a GGUF file)
/// into a directory the engine loads: one GGUF file with every matrix in Q8_0 where its width allows, and the
/// input's `tokenizer.json`. The tensors keep llama.cpp's names and layout (LLaDA's q/k rows permuted into
/// interleaved rotary pairs, as llama.cpp's converter does), so the file is also what llama.cpp expects of those
/// tensors. Weights stream through one block of rows at a time: memory stays at the input's mapping plus a few MiB.
public enum ModelQuantizer {
    /// The GGUF file's name inside the output directory.
    public static let modelFileName = "model-q8_0.gguf"

    /// Writes `output` (a directory holding `model-q8_0.gguf` and `tokenizer.json`) from `input`. The directory is
    /// built beside it as `output.tmp` and renamed into place, so a reader never sees half of one. An existing
    /// `output` is refused unless `force`, and never replaced when it holds the input.
    public static func quantize(input: String, output: String, force: Bool = false) throws -> QuantizationReport {
        let start = Date()
        let fm = FileManager.default
        let out = URL(fileURLWithPath: output).standardizedFileURL
        let replacing = fm.fileExists(atPath: out.path)
        if replacing {
            guard force else { throw EngineError.io(path: out.path, reason: "already exists; --force replaces it") }
            let inPath = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            let outPath = out.resolvingSymlinksInPath().path
            guard inPath != outPath && !inPath.hasPrefix(outPath + "/") else {
                throw EngineError.io(path: out.path, reason: "holds the input model; it is not replaced")
            }
        }
        let source = try QuantizerSource(input: input)
        let plan = try source.plan()

        let staging = out.path + ".tmp"
        // A directory by that name is what an interrupted run leaves behind.
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw EngineError.io(path: staging, reason: "cannot create: \(error.localizedDescription)")
        }
        let report: QuantizationReport
        do {
            let modelPath = staging + "/" + modelFileName
            let size = try GGUFWriter.write(path: modelPath, metadata: source.metadata(), tensors: plan.map(\.tensor)) {
                index, write in try plan[index].produce(write)
            }
            var tokenizerCopied = false
            if let tok = source.tokenizerPath {
                try fm.copyItem(atPath: tok, toPath: staging + "/tokenizer.json")
                tokenizerCopied = true
            }
            if replacing {
                let old = out.path + ".old"
                try? fm.removeItem(atPath: old)
                try fm.moveItem(atPath: out.path, toPath: old)
                try fm.moveItem(atPath: staging, toPath: out.path)
                try? fm.removeItem(atPath: old)
            } else {
                try fm.moveItem(atPath: staging, toPath: out.path)
            }
            let count = { (t: GGUFWriter.TensorType) in plan.filter { $0.tensor.type == t }.count }
            report = QuantizationReport(
                outputDirectory: out.path, modelFile: out.path + "/" + modelFileName, q8Tensors: count(.q8_0),
                f16Tensors: count(.f16), f32Tensors: count(.f32),
                inputBytes: plan.reduce(0) { $0 + $1.source.dtype.byteCount(elements: $1.source.elementCount) },
                outputBytes: size, tokenizerCopied: tokenizerCopied,
                skippedTensors: Set(source.tensors.names).subtracting(plan.map(\.sourceName)).sorted(),
                seconds: Date().timeIntervalSince(start))
        } catch {
            try? fm.removeItem(atPath: staging)
            if let e = error as? EngineError { throw e }
            throw EngineError.io(path: out.path, reason: "\(error.localizedDescription)")
        }
        return report
    }

    /// The GGUF metadata that rebuilds `config` through `GGUFFile.config()`, with the keys llama.cpp reads for
    /// these architectures in the types it checks (counts u32, floats f32).
    static func metadata(config c: ModelConfig, name: String) -> [(String, GGUFWriter.Value)] {
        let arch = c.family == .dream ? "dream" : "llada"
        func u32(_ v: Int) -> GGUFWriter.Value { .uint32(UInt32(v)) }
        var m: [(String, GGUFWriter.Value)] = [
            ("general.architecture", .string(arch)), ("general.name", .string(name)),
            ("general.file_type", .uint32(7)),  // LLAMA_FTYPE_MOSTLY_Q8_0
            ("general.quantization_version", .uint32(2)),  // GGML_QNT_VERSION
            ("\(arch).vocab_size", u32(c.vocabSize)), ("\(arch).context_length", u32(c.maxPositions)),
            ("\(arch).embedding_length", u32(c.hiddenSize)), ("\(arch).block_count", u32(c.numLayers)),
            ("\(arch).feed_forward_length", u32(c.intermediateSize)),
            ("\(arch).attention.head_count", u32(c.numHeads)), ("\(arch).attention.head_count_kv", u32(c.numKVHeads)),
            ("\(arch).attention.key_length", u32(c.headDim)), ("\(arch).attention.value_length", u32(c.headDim)),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps)),
            ("\(arch).attention.causal", .bool(false)),
            ("\(arch).rope.freq_base", .float32(Float(c.ropeTheta))),
            ("diffusion.shift_logits", .bool(c.shiftLogits)),
        ]
        if c.ropeLinearFactor != 1 {
            m += [
                ("\(arch).rope.scaling.type", .string("linear")),
                ("\(arch).rope.scaling.factor", .float32(Float(c.ropeLinearFactor))),
            ]
        }
        for (key, id) in [
            ("tokenizer.ggml.bos_token_id", c.bosTokenID), ("tokenizer.ggml.eos_token_id", c.eosTokenID),
            ("tokenizer.ggml.padding_token_id", c.padTokenID),
            ("tokenizer.ggml.mask_token_id", c.maskTokenID),
            ("tokenizer.ggml.fim_sep_token_id", c.fileSepTokenID),
            // No llama.cpp key exists for DreamOn's expand token.
            ("dlsp.expand_token_id", c.expandTokenID),
        ] {
            if let id, id >= 0, id <= Int(UInt32.max) { m.append((key, u32(id))) }
        }
        return m
    }
}

/// The input of a quantisation: its tensors, the names they go by, its config (special tokens resolved against its
/// tokenizer, as loading does) and its tokenizer file.
struct QuantizerSource {
    let tensors: TensorSource
    let names: TensorNames
    let config: ModelConfig
    let tokenizerPath: String?
    /// `general.name`: the input's directory or file name.
    let name: String

    init(input: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw EngineError.fileNotFound(path: input) }
        let url = URL(fileURLWithPath: input).standardizedFileURL
        var ggufPath: String? = isDir.boolValue ? nil : url.path
        let dir = isDir.boolValue ? url : url.deletingLastPathComponent()
        // As `Engine.load`: a directory without config.json may hold one GGUF file instead.
        if isDir.boolValue && !fm.fileExists(atPath: dir.appendingPathComponent("config.json").path),
            let g = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter({ $0.hasSuffix(".gguf") }).sorted()
                .first
        {
            ggufPath = dir.appendingPathComponent(g).path
        }
        let tokPath = dir.appendingPathComponent("tokenizer.json").path
        tokenizerPath = fm.fileExists(atPath: tokPath) ? tokPath : nil
        var config: ModelConfig
        if let ggufPath {
            let gguf = try GGUFFile(path: ggufPath)
            config = try gguf.config()
            tensors = gguf
            names = .gguf
            name = URL(fileURLWithPath: ggufPath).deletingPathExtension().lastPathComponent
        } else {
            config = try ModelConfig.load(contentsOf: dir.appendingPathComponent("config.json"))
            tensors = try SafetensorsCheckpoint(directory: dir)
            names = config.family == .dream ? .dream : .llada
            name = dir.lastPathComponent
        }
        try Engine.resolveSpecialTokens(&config, tokenizer: try Engine.loadTokenizer(path: tokPath), path: tokPath)
        self.config = config
    }

    func metadata() -> [(String, GGUFWriter.Value)] { ModelQuantizer.metadata(config: config, name: name) }

    /// Every tensor the engine uses, under its GGUF name, with the type it is written in.
    func plan() throws -> [QuantizedTensor] {
        let c = config, d = c.hiddenSize
        let qd = c.numHeads * c.headDim, kvd = c.numKVHeads * c.headDim, ffn = c.intermediateSize
        // GGUFFile.config() gives LLaDA interleaved rotary pairs and Dream rotate-half; a checkpoint in the other
        // layout has its q/k rows (and biases) permuted per head, as llama.cpp's converter does for LLaDA.
        let permute: Bool
        switch (c.family, c.ropeStyle) {
        case (.llada, .rotateHalf): permute = true
        case (.llada, .interleaved), (.dream, .rotateHalf): permute = false
        case (.dream, .interleaved):
            throw EngineError.invalidConfig(
                path: tensors.description,
                reason: "a Dream model with interleaved rotary pairs has no GGUF layout")
        }
        let gguf = TensorNames.gguf
        var plan: [QuantizedTensor] = []
        func add(_ out: String, _ from: String, _ shape: [Int], heads: Int? = nil) throws {
            guard let s = tensors.tensor(from) else {
                throw EngineError.missingTensor(name: from, searched: tensors.description)
            }
            guard s.shape == shape else {
                throw EngineError.shapeMismatch(path: s.path, tensor: from, expected: shape, found: s.shape)
            }
            let type: GGUFWriter.TensorType =
                shape.count == 1
                ? .f32
                : shape[1] % Q8_0.blockSize == 0 ? .q8_0 : .f16
            plan.append(
                QuantizedTensor(
                    tensor: .init(name: out, shape: shape, type: type), sourceName: from, source: s,
                    permuteHeads: permute ? heads : nil))
        }
        try add(gguf.embed, names.embed, [c.embeddingSize, d])
        for i in 0..<c.numLayers {
            let p = names.layerPrefix(i), g = gguf.layerPrefix(i)
            try add(g + gguf.attnNorm, p + names.attnNorm, [d])
            try add(g + gguf.q, p + names.q, [qd, d], heads: c.numHeads)
            try add(g + gguf.k, p + names.k, [kvd, d], heads: c.numKVHeads)
            try add(g + gguf.v, p + names.v, [kvd, d])
            try add(g + gguf.o, p + names.o, [d, qd])
            if tensors.tensor(p + names.qBias) != nil {
                try add(g + gguf.qBias, p + names.qBias, [qd], heads: c.numHeads)
                try add(g + gguf.kBias, p + names.kBias, [kvd], heads: c.numKVHeads)
                try add(g + gguf.vBias, p + names.vBias, [kvd])
            }
            try add(g + gguf.ffnNorm, p + names.ffnNorm, [d])
            try add(g + gguf.gate, p + names.gate, [ffn, d])
            try add(g + gguf.up, p + names.up, [ffn, d])
            try add(g + gguf.down, p + names.down, [d, ffn])
        }
        try add(gguf.finalNorm, names.finalNorm, [d])
        // Tied models have no output tensor: the reader ties them by its absence.
        if !c.tiedEmbeddings { try add(gguf.head, names.head, [c.embeddingSize, d]) }
        return plan
    }
}

/// One tensor on its way into the file: where its rows come from and how they are stored.
struct QuantizedTensor {
    let tensor: GGUFWriter.Tensor
    let sourceName: String
    let source: TensorSlice
    /// Heads whose rows are permuted from rotate-half into interleaved pairs (LLaDA's q and k), or nil.
    let permuteHeads: Int?

    /// Rows per block converted at a time: about 4 MiB of f32.
    static let blockFloats = 1 << 20

    /// The input row that becomes output row `r`: within each head, row 2i comes from row i and row 2i+1 from
    /// row i + headDim/2 (llama.cpp's `LlamaModel.permute`).
    func sourceRow(_ r: Int, rows: Int) -> Int {
        guard let heads = permuteHeads else { return r }
        let hd = rows / heads, h = r / hd, j = r % hd
        return h * hd + (j % 2) * (hd / 2) + j / 2
    }

    /// Streams the tensor's bytes, in the file's type, through `write`.
    func produce(_ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let rows = tensor.shape[0], cols = tensor.shape.count == 2 ? tensor.shape[1] : 1
        if tensor.type == .q8_0 && source.dtype == .q8_0 {
            // Already Q8_0 (a GGUF input): the blocks are copied, not requantised.
            let rowBytes = TensorDType.q8_0.byteCount(elements: cols)
            for r in 0..<rows {
                try write(
                    UnsafeRawBufferPointer(
                        start: source.pointer + sourceRow(r, rows: rows) * rowBytes,
                        count: rowBytes))
            }
            return
        }
        let chunk = max(1, QuantizedTensor.blockFloats / cols)
        var floats = [Float](repeating: 0, count: min(chunk, rows) * cols)
        var r0 = 0
        while r0 < rows {
            let n = min(chunk, rows - r0)
            floats.withUnsafeMutableBufferPointer { buf in
                for r in 0..<n { readRow(sourceRow(r0 + r, rows: rows), cols: cols, into: buf.baseAddress! + r * cols) }
            }
            try check(floats, count: n * cols, firstRow: r0)
            switch tensor.type {
            case .f32:
                try floats.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<(n * cols * 4)])) }
            case .f16:
                let halves = (0..<(n * cols)).map { Float16(floats[$0]).bitPattern.littleEndian }
                try halves.withUnsafeBytes(write)
            case .q8_0:
                try Q8_0.quantize(floats, rows: n, k: cols).withUnsafeBytes(write)
            }
            r0 += n
        }
    }

    /// Input row `row` widened to f32.
    private func readRow(_ row: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let src = source.pointer + source.dtype.byteCount(elements: row * cols)
        switch source.dtype {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: cols * 4)
        case .f16: Kernels.f16ToF32(src, dst, count: cols)
        case .bf16: Kernels.bf16ToF32(src, dst, count: cols)
        case .q8_0: Q8_0.dequantizeRow(src, k: cols, into: dst)
        }
    }

    /// Refuses values the file's type cannot hold: NaN or infinity anywhere (Q8_0's rounding would trap on them),
    /// and magnitudes whose f16 (an F16 weight, or a Q8_0 block's scale, max|w|/127) would overflow.
    private func check(_ floats: [Float], count: Int, firstRow: Int) throws {
        let limit: Float =
            switch tensor.type {
            case .f32: .greatestFiniteMagnitude
            case .f16: Float(Float16.greatestFiniteMagnitude)
            case .q8_0: Float(Float16.greatestFiniteMagnitude) * 127
            }
        for i in 0..<count where !(abs(floats[i]) <= limit) {
            let cols = tensor.shape.count == 2 ? tensor.shape[1] : 1
            throw EngineError.invalidRequest(
                "tensor '\(sourceName)' row \(firstRow + i / cols) holds \(floats[i]), "
                    + "which \(tensor.type) cannot store")
        }
    }
}
