import Foundation

/// The two checkpoint families the engine runs. They share one forward pass; they differ in tensor names and in
/// whether logits are shifted by one position.
public enum ModelFamily: String, Sendable, Equatable {
    /// Qwen2 layout (Dream, Dream-Coder, DiffuCoder, DreamOn, Open-dCoder): Q/K/V bias, logits shifted by one.
    /// Also the Qwen3 layout (CoDA): the same tensor names and shift, no bias, per-head q/k RMSNorm (`qkNorm`).
    case dream
    /// LLaMA layout with OLMo tensor names (LLaDA, and dlsp's own default model): no shift.
    case llada
}

/// How rotary embeddings pair the dimensions of a head.
public enum RopeStyle: String, Sendable, Equatable {
    /// Dimension i pairs with i + headDim/2 (Hugging Face "rotate half"; every safetensors checkpoint here).
    case rotateHalf
    /// Dimension 2i pairs with 2i+1 (llama.cpp's converter permutes LLaDA's q/k into this layout in GGUF).
    case interleaved
}

/// The hyper-parameters of a checkpoint, read from a Hugging Face `config.json` (or GGUF metadata).
public struct ModelConfig: Sendable, Equatable {
    public var family: ModelFamily
    /// The `architectures[0]` string (or GGUF `general.architecture`), kept for `model info`.
    public var architecture: String
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    /// Number of token ids the tokenizer may produce.
    public var vocabSize: Int
    /// Rows of the embedding matrix (LLaDA pads it beyond `vocabSize`); logits have this many columns.
    public var embeddingSize: Int
    public var ropeTheta: Double
    /// Linear RoPE scaling: positions are divided by this factor (1 when the config has no `rope_scaling`).
    public var ropeLinearFactor: Double
    public var ropeStyle: RopeStyle
    public var rmsNormEps: Float
    public var tiedEmbeddings: Bool
    /// Logit for position i comes from the hidden state at i−1 (Dream family).
    public var shiftLogits: Bool
    public var maxPositions: Int
    public var maskTokenID: Int?
    public var eosTokenID: Int?
    public var padTokenID: Int?
    public var bosTokenID: Int?
    public var fileSepTokenID: Int?
    /// DreamOn's `<|expand|>`: committing it grows the hole by one (`expand_token_id`, or the tokenizer's token).
    public var expandTokenID: Int?
    /// Qwen3 layout (CoDA): each head's query and key pass through an RMSNorm over `headDim` (weights
    /// `self_attn.q_norm` / `k_norm`, eps `rmsNormEps`) after projection and before RoPE.
    public var qkNorm = false
    /// Q/K/V projections carry a bias: Qwen2 (Dream family) always does; Qwen3 only with `attention_bias`.
    public var attentionBias: Bool

    public init(
        family: ModelFamily, architecture: String, hiddenSize: Int, numLayers: Int, numHeads: Int,
        numKVHeads: Int, headDim: Int? = nil, intermediateSize: Int, vocabSize: Int,
        embeddingSize: Int? = nil, ropeTheta: Double = 10000, ropeLinearFactor: Double = 1,
        ropeStyle: RopeStyle = .rotateHalf, rmsNormEps: Float = 1e-6, tiedEmbeddings: Bool,
        shiftLogits: Bool? = nil, maxPositions: Int = 4096, maskTokenID: Int? = nil,
        eosTokenID: Int? = nil, padTokenID: Int? = nil, bosTokenID: Int? = nil,
        fileSepTokenID: Int? = nil
    ) {
        self.family = family
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0)
        self.intermediateSize = intermediateSize
        self.vocabSize = vocabSize
        self.embeddingSize = embeddingSize ?? vocabSize
        self.ropeTheta = ropeTheta
        self.ropeLinearFactor = ropeLinearFactor
        self.ropeStyle = ropeStyle
        self.rmsNormEps = rmsNormEps
        self.tiedEmbeddings = tiedEmbeddings
        self.shiftLogits = shiftLogits ?? (family == .dream)
        self.maxPositions = maxPositions
        self.maskTokenID = maskTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.bosTokenID = bosTokenID
        self.fileSepTokenID = fileSepTokenID
        self.attentionBias = family == .dream
    }

    /// Parameters of the transformer (embeddings counted once when tied).
    public var parameterCount: Int {
        let d = hiddenSize, q = numHeads * headDim, kv = numKVHeads * headDim
        let attn = d * q + 2 * d * kv + q * d + (attentionBias ? q + 2 * kv : 0) + (qkNorm ? 2 * headDim : 0)
        let mlp = 3 * d * intermediateSize
        let perLayer = attn + mlp + 2 * d
        return numLayers * perLayer + embeddingSize * d * (tiedEmbeddings ? 1 : 2) + d
    }

    /// Reads a Hugging Face `config.json`.
    public static func load(contentsOf url: URL) throws -> ModelConfig {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw EngineError.fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EngineError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try parse(data, path: path)
    }

    /// Parses the JSON text of a `config.json`; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws -> ModelConfig {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw EngineError.invalidConfig(path: path, reason: "not valid JSON")
        }
        guard let json = object as? [String: Any] else {
            throw EngineError.invalidConfig(path: path, reason: "top level is not an object")
        }
        let reader = ConfigReader(json: json, path: path)
        let architectures = (json["architectures"] as? [String]) ?? []
        let modelType = (json["model_type"] as? String) ?? ""
        let arch = architectures.first ?? modelType

        let llada =
            architectures.contains { $0.hasPrefix("LLaDA") } || modelType == "llada"
            || (architectures.isEmpty && json["d_model"] != nil)
        // Qwen3 layout, CoDA's backbone. What CoDA's checkpoints hold, from Salesforce's CoDA repository
        // (CoDALanguageModel/model_config.py, modeling_coda.py, attention.py; save_hf_model.py saves it with
        // `save_pretrained`): `architectures` ["CoDALanguageModel"], `model_type` "CoDA"; Qwen3-1.7B's dimensions
        // (hidden 2048, 28 layers, 16 heads / 8 KV heads, head_dim 128 — not hidden/heads —, MLP 6144, vocabulary
        // 151936, tied embeddings, rope_theta 1e6, rms_norm_eps 1e-6), mask_token_id 151669; Qwen3's tensor names
        // (`model.layers.N.self_attn.{q,k,v,o}_proj.weight`, no bias unless `attention_bias`, plus
        // `self_attn.q_norm.weight` / `k_norm.weight` of head_dim entries). As in transformers' Qwen3 attention, the
        // per-head RMSNorm (eps rms_norm_eps) is applied to q and k after the projection and before RoPE. Attention
        // is bidirectional (its attention module calls SDPA with is_causal=False and no mask), and training
        // scores logits[:, :-1] against input_ids[:, 1:], so row i predicts position i+1: Dream's shift.
        let coda = architectures.contains { $0.hasPrefix("CoDA") } || modelType.lowercased() == "coda"
        let qwen3 =
            coda || architectures.contains { $0 == "Qwen3ForCausalLM" || $0 == "Qwen3Model" }
            || modelType == "qwen3"
        let dream =
            architectures.contains { $0 == "DreamModel" || $0 == "Qwen2ForCausalLM" || $0 == "Qwen2Model" }
            || modelType == "Dream" || modelType == "dream" || modelType == "qwen2" || qwen3
        if llada {
            let d = try reader.int("d_model")
            let heads = try reader.int("n_heads")
            let vocab = try reader.int("vocab_size")
            let ffn: Int
            if let m = reader.optionalInt("mlp_hidden_size") {
                ffn = m
            } else {
                let size = (reader.optionalDouble("mlp_ratio") ?? 4) * Double(d)
                guard size.isFinite, size >= 1, size <= Double(Self.limits.ffn) else {
                    throw EngineError.invalidConfig(path: path, reason: "mlp_ratio gives an MLP of \(size) units")
                }
                ffn = Int(size)
            }
            let factor = try reader.ropeLinearFactor()
            var config = ModelConfig(
                family: .llada, architecture: arch.isEmpty ? "LLaDAModelLM" : arch, hiddenSize: d,
                numLayers: try reader.int("n_layers"), numHeads: heads,
                numKVHeads: reader.optionalInt("n_kv_heads") ?? heads,
                intermediateSize: ffn, vocabSize: vocab,
                embeddingSize: reader.optionalInt("embedding_size") ?? vocab,
                ropeTheta: reader.optionalDouble("rope_theta") ?? 10000, ropeLinearFactor: factor,
                rmsNormEps: Float(reader.optionalDouble("rms_norm_eps") ?? 1e-5),
                tiedEmbeddings: reader.optionalBool("weight_tying") ?? false,
                // LLaDA itself never shifts; `shift_logits` is dlsp's extension for its own default model, whose
                // autoregressive warm start leaves row i predicting position i+1 (as Dream does).
                shiftLogits: reader.optionalBool("shift_logits") ?? false,
                maxPositions: reader.optionalInt("max_sequence_length") ?? 4096,
                // LLaDA-8B's config often omits its reserved mask id; 126336 is that model's documented id.
                maskTokenID: reader.optionalInt("mask_token_id") ?? (vocab > 126336 ? 126336 : nil),
                eosTokenID: reader.optionalInt("eos_token_id"), padTokenID: reader.optionalInt("pad_token_id"),
                bosTokenID: reader.optionalInt("bos_token_id"),
                fileSepTokenID: reader.optionalInt("file_sep_token_id"))
            if config.embeddingSize < config.vocabSize { config.embeddingSize = config.vocabSize }
            config.expandTokenID = reader.optionalInt("expand_token_id")
            try config.validate(path: path)
            return config
        }
        if dream {
            let d = try reader.int("hidden_size")
            let heads = try reader.int("num_attention_heads")
            let vocab = try reader.int("vocab_size")
            var config = ModelConfig(
                family: .dream, architecture: arch, hiddenSize: d,
                numLayers: try reader.int("num_hidden_layers"), numHeads: heads,
                numKVHeads: reader.optionalInt("num_key_value_heads") ?? heads,
                headDim: reader.optionalInt("head_dim"),
                intermediateSize: try reader.int("intermediate_size"), vocabSize: vocab,
                ropeTheta: reader.optionalDouble("rope_theta") ?? 10000,
                ropeLinearFactor: try reader.ropeLinearFactor(),
                rmsNormEps: Float(reader.optionalDouble("rms_norm_eps") ?? 1e-6),
                // Qwen2's default is untied; Qwen2.5-0.5B-derived checkpoints say `true` explicitly. CoDA's config
                // class defaults to tied.
                tiedEmbeddings: reader.optionalBool("tie_word_embeddings") ?? coda, shiftLogits: true,
                maxPositions: reader.optionalInt("max_position_embeddings") ?? 32768,
                // CoDA's config class defaults to 151669, so a config.json that leaves it out means that id.
                maskTokenID: reader.optionalInt("mask_token_id") ?? (coda && vocab > 151669 ? 151669 : nil),
                eosTokenID: reader.optionalInt("eos_token_id"), padTokenID: reader.optionalInt("pad_token_id"),
                bosTokenID: reader.optionalInt("bos_token_id"),
                fileSepTokenID: reader.optionalInt("file_sep_token_id"))
            config.expandTokenID = reader.optionalInt("expand_token_id")
            if qwen3 {
                config.qkNorm = true
                config.attentionBias = reader.optionalBool("attention_bias") ?? false
            }
            try config.validate(path: path)
            return config
        }
        throw EngineError.unsupportedArchitecture(path: path, name: arch.isEmpty ? "(none given)" : arch)
    }

    /// The largest dimensions accepted: far beyond any released diffusion model (LLaDA-8B: hidden 4096, 32
    /// layers, MLP 12288, vocabulary 126464), and small enough that sizes computed from them cannot overflow.
    static let limits = (
        hidden: 1 << 16, layers: 1 << 10, heads: 1 << 10, headDim: 1 << 12, ffn: 1 << 20,
        vocab: 1 << 24, positions: 1 << 24
    )

    /// Rejects dimensions the forward pass cannot run, before any tensor is read.
    func validate(path: String) throws {
        func fail(_ reason: String) -> EngineError { .invalidConfig(path: path, reason: reason) }
        let limits = Self.limits
        for (name, value, limit) in [
            ("hidden size", hiddenSize, limits.hidden), ("layers", numLayers, limits.layers),
            ("heads", numHeads, limits.heads), ("kv heads", numKVHeads, limits.heads),
            ("head dim", headDim, limits.headDim), ("ffn size", intermediateSize, limits.ffn),
            ("vocab size", vocabSize, limits.vocab),
            ("embedding rows", embeddingSize, limits.vocab),
            ("max positions", maxPositions, limits.positions),
        ] {
            if value <= 0 { throw fail("\(name) must be positive, got \(value)") }
            if value > limit { throw fail("\(name) \(value) is beyond what this engine accepts (\(limit))") }
        }
        if numHeads % numKVHeads != 0 { throw fail("heads (\(numHeads)) not a multiple of kv heads (\(numKVHeads))") }
        if headDim % 2 != 0 { throw fail("head dim \(headDim) is odd; RoPE needs pairs") }
        if ropeLinearFactor <= 0 { throw fail("rope scaling factor must be positive") }
        if let m = maskTokenID, m < 0 || m >= embeddingSize { throw fail("mask_token_id \(m) outside the vocabulary") }
    }
}

/// Typed access to config keys with errors that name the key.
private struct ConfigReader {
    let json: [String: Any]
    let path: String

    func int(_ key: String) throws -> Int {
        guard let v = optionalInt(key) else {
            let reason = json[key].map { "key '\(key)' is not an integer: \($0)" } ?? "missing integer key '\(key)'"
            throw EngineError.invalidConfig(path: path, reason: reason)
        }
        return v
    }
    /// JSON `true`/`false` (not the numbers 0 and 1). `n is Bool` cannot tell: on Linux every NSNumber holding 0
    /// or 1 casts to Bool, which once made `"eos_token_id": 0` and `"mask_token_id": 1` read as missing.
    static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c" || String(describing: type(of: n)).contains("Boolean")
    }
    /// An integer key; a number that is not an exact integer (2.5, 1e300) counts as absent.
    func optionalInt(_ key: String) -> Int? {
        if let n = json[key] as? NSNumber, !Self.isBoolean(n) { return n.exactInt }
        // eos_token_id may be a list in some configs; the first entry is the canonical one.
        if let list = json[key] as? [NSNumber], let first = list.first { return first.exactInt }
        return nil
    }
    func optionalDouble(_ key: String) -> Double? {
        if let v = (json[key] as? NSNumber)?.doubleValue { return v }
        if key == "rope_theta", let p = json["rope_parameters"] as? [String: Any] {
            return (p["rope_theta"] as? NSNumber)?.doubleValue
        }
        return nil
    }
    func optionalBool(_ key: String) -> Bool? { (json[key] as? NSNumber)?.boolValue }

    /// `rope_scaling`: only linear scaling changes positions in a way this engine implements; other kinds are an
    /// error rather than silently wrong logits.
    func ropeLinearFactor() throws -> Double {
        // Newer transformers write `rope_parameters` (with rope_theta inside) instead of `rope_scaling`.
        let raw = json["rope_scaling"].flatMap { $0 is NSNull ? nil : $0 } ?? json["rope_parameters"]
        guard let scaling = raw, !(scaling is NSNull) else { return 1 }
        guard let dict = scaling as? [String: Any] else {
            throw EngineError.invalidConfig(path: path, reason: "rope_scaling is not an object")
        }
        let kind = (dict["rope_type"] as? String) ?? (dict["type"] as? String) ?? "linear"
        switch kind {
        case "default": return 1
        case "linear":
            guard let f = (dict["factor"] as? NSNumber)?.doubleValue, f > 0 else {
                throw EngineError.invalidConfig(path: path, reason: "rope_scaling linear without a positive factor")
            }
            return f
        default:
            throw EngineError.invalidConfig(path: path, reason: "rope_scaling type '\(kind)' is not supported")
        }
    }
}
