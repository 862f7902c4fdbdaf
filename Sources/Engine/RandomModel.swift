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
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            if ones { p.initialize(repeating: 1, count: n) } else {
                // Sum of 4 uniforms (variance 1/3): cheap, roughly normal; scaled to `std`.
                for i in 0..<n {
                    let u = rng.unit() + rng.unit() + rng.unit() + rng.unit() - 2
                    p[i] = Float(u * std * 1.732)
                }
            }
            storage.buffers.append(p)
            if bf16 && shape.count == 2 {
                // Truncated to bf16 in place: the first half of the buffer holds the n halves.
                let h = UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { h[i] = UInt16(p[i].bitPattern >> 16) }
                tensors[name] = TensorSlice(owner: storage, path: "random", pointer: UnsafeRawPointer(p), dtype: .bf16,
                                            shape: shape)
            } else {
                tensors[name] = TensorSlice(owner: storage, path: "random", pointer: UnsafeRawPointer(p), dtype: .f32,
                                            shape: shape)
            }
        }
        add(names.embed, [c.embeddingSize, d])
        add(names.finalNorm, [d], ones: true)
        if !c.tiedEmbeddings { add(names.head, [c.embeddingSize, d]) }
        for l in 0..<c.numLayers {
            let p = names.layerPrefix(l)
            add(p + names.attnNorm, [d], ones: true); add(p + names.ffnNorm, [d], ones: true)
            add(p + names.q, [qd, d]); add(p + names.k, [kvd, d]); add(p + names.v, [kvd, d]); add(p + names.o, [d, qd])
            if c.family == .dream { add(p + names.qBias, [qd]); add(p + names.kBias, [kvd]); add(p + names.vBias, [kvd]) }
            add(p + names.gate, [f, d]); add(p + names.up, [f, d]); add(p + names.down, [d, f])
        }
    }

    func tensor(_ name: String) -> TensorSlice? { tensors[name] }
}

/// Owns float buffers handed out as tensors (kept alive by the weights that use them).
final class FloatBuffers: @unchecked Sendable {
    var buffers: [UnsafeMutablePointer<Float>] = []
    deinit { for p in buffers { p.deallocate() } }
}
