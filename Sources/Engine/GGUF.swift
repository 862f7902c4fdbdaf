import Foundation
import Tokenizer

/// A GGUF file (llama.cpp's format): header, metadata key/values, tensor descriptions, aligned tensor data.
/// Every length and offset is checked against the file before use.
struct GGUFFile: TensorSource {
    enum Value {
        case int(Int64), uint(UInt64), float(Double), bool(Bool), string(String), array([Value])
        var int: Int? {
            switch self {
            case .int(let v): return Int(v)
            case .uint(let v): return Int(exactly: v)
            default: return nil
            }
        }
        var double: Double? {
            switch self {
            case .float(let v): return v
            case .int(let v): return Double(v)
            case .uint(let v): return Double(v)
            default: return nil
            }
        }
    }

    let file: MappedFile
    let metadata: [String: Value]
    let tensors: [String: TensorSlice]
    /// Where the aligned tensor data begins (the end of the header, rounded up to the alignment).
    let dataStart: Int
    var names: [String] { Array(tensors.keys) }
    var description: String { file.path }

    init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        var r = Reader(file: file)
        guard file.size >= 24, try r.u32() == 0x4655_4747 else {
            throw EngineError.corruptHeader(path: path, reason: "not a GGUF file (bad magic)")
        }
        let version = try r.u32()
        guard version == 2 || version == 3 else {
            throw EngineError.corruptHeader(path: path, reason: "GGUF version \(version) is not supported")
        }
        let tensorCount = try r.u64(), kvCount = try r.u64()
        guard tensorCount < 1 << 20, kvCount < 1 << 20 else {
            throw EngineError.corruptHeader(path: path, reason: "implausible tensor/key counts")
        }
        var metadata: [String: Value] = [:]
        for _ in 0..<kvCount {
            let key = try r.string()
            metadata[key] = try r.value(type: try r.u32(), depth: 0)
        }
        struct Info { let name: String; let shape: [Int]; let type: UInt32; let offset: UInt64 }
        var infos: [Info] = []
        for _ in 0..<tensorCount {
            let name = try r.string()
            let nd = try r.u32()
            guard nd >= 1 && nd <= 4 else { throw r.corrupt("tensor '\(name)' has \(nd) dimensions") }
            var dims: [Int] = []
            for _ in 0..<nd {
                let d = try r.u64()
                guard d < 1 << 32 else { throw r.corrupt("tensor '\(name)' has dimension \(d)") }
                dims.append(Int(d))
            }
            infos.append(Info(name: name, shape: dims.reversed(), type: try r.u32(), offset: try r.u64()))
        }
        let alignment = metadata["general.alignment"]?.int ?? 32
        guard alignment > 0 && alignment % 8 == 0 else { throw r.corrupt("alignment \(alignment)") }
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        var tensors: [String: TensorSlice] = [:]
        for t in infos {
            let dtype: TensorDType
            switch t.type {
            case 0: dtype = .f32
            case 1: dtype = .f16
            case 8: dtype = .q8_0
            case 30: dtype = .bf16
            default: throw EngineError.unsupportedDType(path: path, tensor: t.name, dtype: "ggml type \(t.type)")
            }
            guard let count = elementCount(t.shape) else {
                throw r.corrupt("tensor '\(t.name)' shape \(t.shape) is too large")
            }
            if dtype == .q8_0 && (t.shape.last ?? 0) % 32 != 0 {
                throw r.corrupt("Q8_0 tensor '\(t.name)' rows are not a multiple of 32")
            }
            let bytes = dtype.byteCount(elements: count)
            guard t.offset < UInt64(file.size), dataStart + Int(t.offset) + bytes <= file.size else {
                throw r.corrupt(
                    "tensor '\(t.name)' data [\(t.offset), +\(bytes)] beyond the end of the file: truncated?")
            }
            tensors[t.name] = TensorSlice(
                owner: file, path: path, pointer: file.base + dataStart + Int(t.offset),
                dtype: dtype, shape: t.shape)
        }
        self.metadata = metadata
        self.tensors = tensors
        self.dataStart = dataStart
    }

    func tensor(_ name: String) -> TensorSlice? { tensors[name] }

    /// The model config from metadata (architectures `dream` and `llada`).
    func config() throws -> ModelConfig {
        let path = file.path
        guard case .string(let arch)? = metadata["general.architecture"] else {
            throw EngineError.invalidConfig(path: path, reason: "no general.architecture")
        }
        let family: ModelFamily
        switch arch {
        case "dream": family = .dream
        case "llada": family = .llada
        default: throw EngineError.unsupportedArchitecture(path: path, name: arch)
        }
        func int(_ key: String) throws -> Int {
            guard let v = metadata["\(arch).\(key)"]?.int else {
                throw EngineError.invalidConfig(path: path, reason: "missing \(arch).\(key)")
            }
            return v
        }
        guard let embed = tensors["token_embd.weight"], embed.shape.count == 2 else {
            throw EngineError.missingTensor(name: "token_embd.weight", searched: path)
        }
        var shift = family == .dream
        // llama.cpp reads a missing key as "shift"; the LLaDA converter writes false.
        if case .bool(let b)? = metadata["diffusion.shift_logits"] { shift = b }
        var factor = 1.0
        if case .string(let kind)? = metadata["\(arch).rope.scaling.type"], kind == "linear" {
            factor = metadata["\(arch).rope.scaling.factor"]?.double ?? 1
        }
        let heads = try int("attention.head_count")
        // The tokenizer's vocabulary when the embedding has padding rows beyond it (LLaDA); llama.cpp's key.
        var vocab = embed.shape[0]
        if let v = metadata["\(arch).vocab_size"]?.int {
            guard v > 0 && v <= vocab else {
                throw EngineError.invalidConfig(
                    path: path, reason: "\(arch).vocab_size \(v) but \(vocab) embedding rows")
            }
            vocab = v
        }
        var config = ModelConfig(
            family: family, architecture: arch, hiddenSize: try int("embedding_length"),
            numLayers: try int("block_count"), numHeads: heads,
            numKVHeads: metadata["\(arch).attention.head_count_kv"]?.int ?? heads,
            headDim: metadata["\(arch).attention.key_length"]?.int,
            intermediateSize: try int("feed_forward_length"), vocabSize: vocab, embeddingSize: embed.shape[0],
            ropeTheta: metadata["\(arch).rope.freq_base"]?.double ?? 10000, ropeLinearFactor: factor,
            // llama.cpp's LLaDA converter permutes q/k into the interleaved pair layout; Dream keeps rotate-half.
            ropeStyle: family == .llada ? .interleaved : .rotateHalf,
            rmsNormEps: Float(metadata["\(arch).attention.layer_norm_rms_epsilon"]?.double ?? 1e-6),
            tiedEmbeddings: tensors["output.weight"] == nil, shiftLogits: shift,
            maxPositions: metadata["\(arch).context_length"]?.int ?? 4096,
            maskTokenID: metadata["tokenizer.ggml.mask_token_id"]?.int,
            eosTokenID: metadata["tokenizer.ggml.eos_token_id"]?.int,
            padTokenID: metadata["tokenizer.ggml.padding_token_id"]?.int,
            bosTokenID: metadata["tokenizer.ggml.bos_token_id"]?.int,
            // llama.cpp's FIM file separator is the canvas's <|file_sep|>.
            fileSepTokenID: metadata["tokenizer.ggml.fim_sep_token_id"]?.int)
        config.expandTokenID = metadata["dlsp.expand_token_id"]?.int
        try config.validate(path: path)
        return config
    }

    /// Bounds-checked little-endian reading of the header.
    struct Reader {
        let file: MappedFile
        var offset = 0
        func corrupt(_ reason: String) -> EngineError { .corruptHeader(path: file.path, reason: reason) }
        mutating func need(_ n: Int) throws {
            guard n >= 0, offset + n <= file.size else {
                throw corrupt("header runs past the end of the file at byte \(offset): truncated?")
            }
        }
        mutating func u32() throws -> UInt32 {
            try need(4); defer { offset += 4 }; return file.load(UInt32.self, at: offset)
        }
        mutating func u64() throws -> UInt64 {
            try need(8); defer { offset += 8 }; return file.load(UInt64.self, at: offset)
        }
        mutating func string() throws -> String {
            let n = try u64()
            guard n < 1 << 24 else { throw corrupt("string of \(n) bytes") }
            try need(Int(n))
            defer { offset += Int(n) }
            return String(decoding: UnsafeRawBufferPointer(start: file.base + offset, count: Int(n)), as: UTF8.self)
        }
        mutating func value(type: UInt32, depth: Int) throws -> Value {
            switch type {
            case 0: try need(1); defer { offset += 1 }; return .uint(UInt64(file.load(UInt8.self, at: offset)))
            case 1: try need(1); defer { offset += 1 }; return .int(Int64(file.load(Int8.self, at: offset)))
            case 2: try need(2); defer { offset += 2 }; return .uint(UInt64(file.load(UInt16.self, at: offset)))
            case 3: try need(2); defer { offset += 2 }; return .int(Int64(file.load(Int16.self, at: offset)))
            case 4: return .uint(UInt64(try u32()))
            case 5: return .int(Int64(Int32(bitPattern: try u32())))
            case 6: return .float(Double(Float(bitPattern: try u32())))
            case 7: try need(1); defer { offset += 1 }; return .bool(file.load(UInt8.self, at: offset) != 0)
            case 8: return .string(try string())
            case 9:
                guard depth < 2 else { throw corrupt("nested arrays too deep") }
                let itemType = try u32(), count = try u64()
                guard count < 1 << 24 else { throw corrupt("array of \(count) items") }
                var items: [Value] = []
                // Token lists are long and unused here: skip strings without keeping them.
                for _ in 0..<count {
                    let v = try value(type: itemType, depth: depth + 1)
                    if itemType != 8 { items.append(v) }
                }
                return .array(items)
            case 10: return .uint(try u64())
            case 11: return .int(Int64(bitPattern: try u64()))
            case 12: return .float(Double(bitPattern: try u64()))
            default: throw corrupt("unknown metadata value type \(type)")
            }
        }
    }
}

extension Engine {
    /// Where a GGUF file's tensor data begins: the fuzz targets keep a real file's data and mutate its header.
    package static func ggufDataStart(path: String) throws -> Int { try GGUFFile(path: path).dataStart }

    /// Loads a GGUF file (architectures `dream`, `llada`; f32, f16, bf16 and Q8_0 tensors; Q8_0 matrices stay
    /// quantised and run through the Q8_0 kernel). The tokenizer comes from a `tokenizer.json` beside it if any.
    public static func loadGGUF(
        path: String, tokenizerPath: String? = nil, threads: Int = 2,
        precision: WeightPrecision = .automatic
    ) throws -> Engine {
        setMatrixThreads(threads)
        let gguf = try GGUFFile(path: path)
        var config = try gguf.config()
        let tokPath =
            tokenizerPath
            ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tokenizer.json").path
        let tokenizer = try loadTokenizer(path: tokPath)
        try resolveSpecialTokens(&config, tokenizer: tokenizer, path: path)
        let weights = try TransformerWeights(source: gguf, config: config, names: .gguf, precision: precision)
        return Engine(config: config, weights: weights, tokenizer: tokenizer, source: path, threads: threads)
    }
}
