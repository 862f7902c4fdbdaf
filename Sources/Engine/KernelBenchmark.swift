/// GFLOP/s of the C kernels beside OpenBLAS on the shapes a forward pass runs (`dlsp bench kernels`): products of a
/// denoising step's height and of a full canvas, and attention over a 1,024-token canvas. Fastest of the repeats,
/// both sides measured in the same run: every kernel first, then every OpenBLAS figure, because OpenBLAS's idle
/// threads spin for a while after each call and would slow whatever runs next.
public enum KernelBenchmark {
    public struct Row: Sendable, Codable {
        public var name: String
        public var kernelGFLOPs: Double
        public var sgemmGFLOPs: Double
    }

    public static func run(threads: Int = 2, repeats: Int = 50) -> [Row] {
        setMatrixThreads(threads)
        var rng = SeededRNG(seed: 3)
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            for i in 0..<n { p[i] = Float(rng.unit() - 0.5) }
            return p
        }
        let best = EngineBenchmark.fastestSeconds
        var rows: [Row] = []
        var sgemmRuns: [() -> Double] = []
        // The default model's products (d 256, ffn 704, vocab 8192) at a step's 33 rows and a canvas's 1,056.
        for (m, k, n, what) in [(33, 256, 256, "q/k/v/o"), (33, 256, 704, "gate/up"), (33, 704, 256, "down"),
                                (2, 256, 8192, "LM head"), (16, 256, 8192, "LM head"), (32, 256, 8192, "LM head"),
                                (1056, 256, 704, "gate/up"), (1056, 704, 256, "down")] {
            // Left allocated until the process ends (a benchmark command runs once).
            let w = buffer(n * k), x = buffer(m * k), y = buffer(m * n)
            let pw = PackedWeights.pack(w, rows: n, cols: k) { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
            let r = max(3, repeats * 33 / m)
            let flops = 2 * Double(m * k * n)
            let ours = best(r) { pw.apply(x, ldx: k, m: m, y, ldy: n, threads: threads) }
            rows.append(Row(name: "product \(what) \(m)×\(k)·\(k)×\(n)", kernelGFLOPs: flops / ours / 1e9,
                            sgemmGFLOPs: 0))
            sgemmRuns.append { flops / best(r) { Kernels.gemmNT(x, lda: k, w, ldb: k, y, ldc: n, m: m, n: n, k: k) } / 1e9 }
        }
        // Attention of 4 heads of 64 over 1,056 keys: the fused kernel against sgemm + softmax + sgemm.
        let n = 1056, hd = 64, heads = 4
        let config = ModelConfig(family: .llada, architecture: "bench", hiddenSize: heads * hd, numLayers: 1,
                                 numHeads: heads, numKVHeads: heads, intermediateSize: 4, vocabSize: 4,
                                 ropeTheta: 10000, tiedEmbeddings: true)
        let ws = Workspace(config: config, capacity: n, logitCapacity: 1)
        for i in 0..<(n * heads * hd) { ws.q[i] = Float(rng.unit() - 0.5); ws.kCache[0][i] = Float(rng.unit() - 0.5)
                                        ws.vCache[0][i] = Float(rng.unit() - 0.5) }
        for m in [33, 1056] {
            let flops = 4 * Double(m * n * heads * hd)
            let r = max(3, repeats * 33 / m)
            let ours = best(r) {
                FusedAttention.run(q: ws.q, rows: m, k: ws.kCache[0], v: ws.vCache[0], n: n, heads: heads,
                                   kvHeads: heads, headDim: hd, scale: 0.125, scratch: ws.attentionScratch,
                                   out: ws.att, threads: threads)
            }
            rows.append(Row(name: "attention \(m) queries × \(n) keys, \(heads)×\(hd)", kernelGFLOPs: flops / ours / 1e9,
                            sgemmGFLOPs: 0))
            sgemmRuns.append {
                flops / best(r) { Transformer.attentionBySgemm(ws, config: config, layer: 0, rows: m, keyCount: n,
                                                               threads: threads) } / 1e9
            }
        }
        for (i, measure) in sgemmRuns.enumerated() { rows[i].sgemmGFLOPs = measure() }
        return rows
    }
}
