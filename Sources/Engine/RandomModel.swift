/// Random weights in a given shape, for benchmarks of models whose checkpoints are not at hand (the default
/// model's shape before training finishes, an Open-dCoder-0.5B-shaped model). Values are roughly N(0, std²)
/// (0.02 by default, like a fresh initialisation), norms are 1, deterministic for a seed. Matrices are f32, or
/// bf16 like most published checkpoints.
final class RandomTensorSource: TensorSource, @unchecked Sendable {
    private var tensors: [String: TensorSlice] = [:]
    private let storage = FloatBuffers()
    var names: [String] { Array(tensors.keys) }
    var description: String { "random weights" }

    init(config c: ModelConfig, seed: UInt64, std: Double = 0.02, bf16: Bool = false) {
        let names: TensorNames = c.family == .dream ? .dream : .llada
        var rng = SeededRNG(seed: seed)
        let d = c.hiddenSize, qd = c.numHeads * c.headDim, kvd = c.numKVHeads * c.headDim, f = c.intermediateSize
        func add(_ name: String, _ shape: [Int], ones: Bool = false) {
            let n = shape.reduce(1, *)
            // Sum of 4 uniforms (variance 1/3): cheap, roughly normal; scaled to `std`.
            func value() -> Float {
                if ones { return 1 }
                let u = rng.unit() + rng.unit() + rng.unit() + rng.unit() - 2
                return Float(u * std * 1.732)
            }
            if bf16 && shape.count == 2 {
                let p = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
                for i in 0..<n { p[i] = UInt16(value().bitPattern >> 16) }  // truncated, as a bf16 cast
                storage.buffers.append(UnsafeMutableRawPointer(p))
                tensors[name] = TensorSlice(
                    owner: storage, path: "random", pointer: UnsafeRawPointer(p), dtype: .bf16,
                    shape: shape)
            } else {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
                for i in 0..<n { p[i] = value() }
                storage.buffers.append(UnsafeMutableRawPointer(p))
                tensors[name] = TensorSlice(
                    owner: storage, path: "random", pointer: UnsafeRawPointer(p), dtype: .f32,
                    shape: shape)
            }
        }
        add(names.embed, [c.embeddingSize, d])
        add(names.finalNorm, [d], ones: true)
        if !c.tiedEmbeddings { add(names.head, [c.embeddingSize, d]) }
        for l in 0..<c.numLayers {
            let p = names.layerPrefix(l)
            add(p + names.attnNorm, [d], ones: true); add(p + names.ffnNorm, [d], ones: true)
            add(p + names.q, [qd, d]); add(p + names.k, [kvd, d]); add(p + names.v, [kvd, d]);
            add(p + names.o, [d, qd])
            if c.attentionBias { add(p + names.qBias, [qd]); add(p + names.kBias, [kvd]); add(p + names.vBias, [kvd]) }
            if c.qkNorm { add(p + names.qNorm, [c.headDim], ones: true); add(p + names.kNorm, [c.headDim], ones: true) }
            add(p + names.gate, [f, d]); add(p + names.up, [f, d]); add(p + names.down, [d, f])
        }
    }

    func tensor(_ name: String) -> TensorSlice? { tensors[name] }
}

/// Owns the buffers handed out as tensors (kept alive by the weights that use them in place).
final class FloatBuffers: @unchecked Sendable {
    var buffers: [UnsafeMutableRawPointer] = []
    deinit { for p in buffers { p.deallocate() } }
}
