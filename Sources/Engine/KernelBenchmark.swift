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
        for (m, k, n, what) in [
            (33, 256, 256, "q/k/v/o"), (33, 256, 704, "gate/up"), (33, 704, 256, "down"),
            (2, 256, 8192, "LM head"), (16, 256, 8192, "LM head"), (32, 256, 8192, "LM head"),
            (1056, 256, 704, "gate/up"), (1056, 704, 256, "down"),
        ] {
            // Left allocated until the process ends (a benchmark command runs once).
            let w = buffer(n * k), x = buffer(m * k), y = buffer(m * n)
            let pw = PackedWeights.pack(w, rows: n, cols: k) { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
            let r = max(3, repeats * 33 / m)
            let flops = 2 * Double(m * k * n)
            let ours = best(r) { pw.apply(x, ldx: k, m: m, y, ldy: n, threads: threads) }
            rows.append(
                Row(
                    name: "product \(what) \(m)×\(k)·\(k)×\(n)", kernelGFLOPs: flops / ours / 1e9,
                    sgemmGFLOPs: 0))
            sgemmRuns.append {
                flops / best(r) { Kernels.gemmNT(x, lda: k, w, ldb: k, y, ldc: n, m: m, n: n, k: k) } / 1e9
            }
        }
        // Attention of 4 heads of 64 over 1,056 keys: the fused kernel against sgemm + softmax + sgemm.
        let n = 1056, hd = 64, heads = 4
        let config = ModelConfig(
            family: .llada, architecture: "bench", hiddenSize: heads * hd, numLayers: 1,
            numHeads: heads, numKVHeads: heads, intermediateSize: 4, vocabSize: 4,
            ropeTheta: 10000, tiedEmbeddings: true)
        let ws = Workspace(config: config, capacity: n, logitCapacity: 1)
        for i in 0..<(n * heads * hd) {
            ws.q[i] = Float(rng.unit() - 0.5); ws.kCache[0][i] = Float(rng.unit() - 0.5)
            ws.vCache[0][i] = Float(rng.unit() - 0.5)
        }
        for m in [33, 1056] {
            let flops = 4 * Double(m * n * heads * hd)
            let r = max(3, repeats * 33 / m)
            let ours = best(r) {
                FusedAttention.run(
                    q: ws.q, rows: m, k: ws.kCache[0], v: ws.vCache[0], n: n, heads: heads,
                    kvHeads: heads, headDim: hd, scale: 0.125, scratch: ws.attentionScratch,
                    out: ws.att, threads: threads)
            }
            rows.append(
                Row(
                    name: "attention \(m) queries × \(n) keys, \(heads)×\(hd)", kernelGFLOPs: flops / ours / 1e9,
                    sgemmGFLOPs: 0))
            sgemmRuns.append {
                flops
                    / best(r) {
                        Transformer.attentionBySgemm(
                            ws, config: config, layer: 0, rows: m, keyCount: n,
                            threads: threads)
                    } / 1e9
            }
        }
        for (i, measure) in sgemmRuns.enumerated() { rows[i].sgemmGFLOPs = measure() }
        return rows
    }

    /// One product of a 0.5B model's shapes in one panel format on one instruction set.
    public struct PanelRow: Sendable, Codable {
        public var product: String
        public var rows: Int
        public var format: String
        public var kernels: String
        public var milliseconds: Double
        public var gflops: Double
        /// Weight bytes streamed per millisecond's worth: the product's weights / its time, GB/s.
        public var weightGBs: Double
    }

    /// The Open-dCoder-0.5B shape's products (q, gate/up, down, the LM head) at a typing step's height (17 rows: a
    /// 16-token hole and the row before it) and a cold canvas's (1,040), in every panel format, on every
    /// instruction set up to the CPU's best; fastest of the repeats.
    public static func panels(threads: Int = 2, repeats: Int = 5) -> [PanelRow] {
        setMatrixThreads(threads)
        var rng = SeededRNG(seed: 5)
        let c = EngineBenchmark.openDCoderShape()
        let d = c.hiddenSize, ffn = c.intermediateSize
        let shapes = [("q/o", d, d), ("gate/up", ffn, d), ("down", d, ffn), ("LM head", c.vocabSize, d)]
        let isas = [KernelISA.avx2FMA, .avx512].filter { $0 <= KernelISA.available }
        let saved = KernelISA.active
        defer { KernelISA.select(saved) }
        var out: [PanelRow] = []
        for (name, n, k) in shapes {
            let w = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
            defer { w.deallocate() }
            for i in 0..<(n * k) { w[i] = Float(rng.unit() - 0.5) * 0.05 }
            for format in [PanelFormat.f32, .bf16, .q8] {
                var buffers: [UnsafeMutablePointer<Float>] = []
                let pw = PackedWeights.pack(w, rows: n, cols: k, format: format) { count in
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
                    buffers.append(p)
                    return p
                }
                defer { buffers.forEach { $0.deallocate() } }
                for m in [17, 1040] where !(name == "LM head" && m > 17) {
                    let x = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
                    let y = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
                    let scratch = UnsafeMutableRawPointer.allocate(
                        byteCount: max(1, PackedWeights.scratchBytes(rows: m, cols: k, format: format)), alignment: 64)
                    defer { x.deallocate(); y.deallocate(); scratch.deallocate() }
                    for i in 0..<(m * k) { x[i] = Float(rng.unit() - 0.5) }
                    for isa in isas {
                        KernelISA.select(isa)
                        let r = m > 17 ? max(1, repeats / 2) : repeats
                        let seconds = EngineBenchmark.fastestSeconds(r) {
                            pw.apply(x, ldx: k, m: m, y, ldy: n, threads: threads, scratch: scratch)
                        }
                        let bytes = Double(PackedWeights.bytes(rows: n, cols: k, format: format))
                        out.append(
                            PanelRow(
                                product: "\(name) \(n)×\(k)", rows: m, format: format.description,
                                kernels: isa.description, milliseconds: seconds * 1e3,
                                gflops: 2 * Double(m * n * k) / seconds / 1e9,
                                weightGBs: bytes / seconds / 1e9))
                    }
                }
            }
        }
        return out
    }
}
