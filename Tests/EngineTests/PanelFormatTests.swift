import CKernels
import Foundation
import Testing
@testable import Engine

/// The packed panels beyond f32 and f16: bfloat16 (exact for bf16 checkpoints) and 8-bit panels (GGUF's Q8_0 for the
/// weights, the activations quantised the same way), on every instruction set the CPU has, against plain references.
@Suite(.serialized) struct PanelFormatTests {
    /// Every instruction set up to the CPU's best, so the AVX2 path is still checked on an AVX-512 machine.
    static let instructionSets: [KernelISA] = [KernelISA.portable, .avx2FMA, .avx512].filter {
        $0 <= KernelISA.available
    }

    func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in Float(rng.unit() * 2 - 1) * scale }
    }

    func packed(_ w: [Float], rows: Int, cols: Int, format: PanelFormat) -> PackedWeights {
        w.withUnsafeBufferPointer { wp in
            PackedWeights.pack(wp.baseAddress!, rows: rows, cols: cols, format: format) {
                UnsafeMutablePointer<Float>.allocate(capacity: $0)
            }
        }
    }

    func with<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T {
        try InstructionSetLock.with(isa, body)
    }

    func product(_ pw: PackedWeights, _ x: [Float], m: Int, threads: Int = 2, accumulateOnto: Float? = nil) -> [Float] {
        var y = [Float](repeating: accumulateOnto ?? 0, count: m * pw.rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                pw.apply(
                    xp.baseAddress!, ldx: pw.cols, m: m, yp.baseAddress!, ldy: pw.rows,
                    accumulate: accumulateOnto != nil,
                    threads: threads)
            }
        }
        return y
    }

    /// bfloat16 panels: rounding to nearest even, NaN kept, and products of exact-bf16 weights equal to the f32
    /// reference, with every remainder of the 6-row and 4-panel tiles.
    @Test(arguments: instructionSets)
    func bf16PanelsMatchReference(isa: KernelISA) {
        with(isa) {
            let values: [Float] = [0, -0.0, 1, -2.5, 1.00390625, 1.01171875, 3.0e38, 1e-40, .infinity]
            let pv = packed(values, rows: values.count, cols: 1, format: .bf16)
            defer { pv.data.deallocate() }
            for (i, v) in values.enumerated() {
                // Round to nearest even on the upper 16 bits.
                let bits = v.bitPattern
                let rounded = Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
                #expect(pv.element(i, 0).bitPattern == rounded.bitPattern, "\(v)")
            }
            for (m, n, k) in [(1, 1, 3), (5, 17, 7), (7, 64, 33), (13, 80, 64), (33, 100, 40)] {
                let w = random(n * k, seed: UInt64(n * 7 + k)).map { Float(bitPattern: $0.bitPattern & 0xffff_0000) }
                let x = random(m * k, seed: UInt64(m + 3))
                let pw = packed(w, rows: n, cols: k, format: .bf16)
                defer { pw.data.deallocate() }
                #expect((0..<n).allSatisfy { r in (0..<k).allSatisfy { c in pw.element(r, c) == w[r * k + c] } })
                let ref = Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)
                for threads in [1, 2] {
                    #expect(
                        Fixtures.maxAbsDiff(product(pw, x, m: m, threads: threads), ref) < 1e-4,
                        "\(isa) m=\(m) n=\(n) k=\(k)")
                    #expect(
                        Fixtures.maxAbsDiff(
                            product(pw, x, m: m, threads: threads, accumulateOnto: 1),
                            ref.map { $0 + 1 }) < 1e-4)
                }
            }
        }
    }

    /// What the 8-bit product computes, written plainly: activations quantised per block of 32 (scale max|x|/127,
    /// rounded to nearest even), integer sums per block, scaled by both scales, in double precision.
    func referenceQ8Product(_ x: [Float], m: Int, k: Int, _ pw: PackedWeights) -> [Float] {
        let n = pw.rows
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            var q = [Int](repeating: 0, count: k), sx = [Float](repeating: 0, count: k / 32)
            for b in 0..<(k / 32) {
                let block = x[(i * k + b * 32)..<(i * k + b * 32 + 32)]
                let d = block.map(abs).max()! / 127, id: Float = d != 0 ? 1 / d : 0
                sx[b] = d
                for t in 0..<32 { q[b * 32 + t] = Int((block[block.startIndex + t] * id).rounded(.toNearestOrEven)) }
            }
            for j in 0..<n {
                var acc = 0.0
                for b in 0..<(k / 32) {
                    // The packed element is scale·byte: the byte is recovered from it and the stored scale.
                    var sum = 0
                    let scale = weightScale(pw, row: j, block: b)
                    for t in 0..<32 {
                        let byte = scale == 0 ? 0 : Int((pw.element(j, b * 32 + t) / scale).rounded())
                        sum += byte * q[b * 32 + t]
                    }
                    acc += Double(sum) * Double(scale * sx[b])
                }
                y[i * n + j] = Float(acc)
            }
        }
        return y
    }

    /// The f32 scale of one output's block, read from the packed layout.
    func weightScale(_ pw: PackedWeights, row: Int, block: Int) -> Float {
        let offset = ((row / 16) * (pw.cols / 32) + block) * Int(dlsp_packed_q8_bytes(16, 32)) + 4 * (row % 16)
        return pw.data.load(fromByteOffset: offset, as: Float.self)
    }

    /// 8-bit panels from floats are GGUF's Q8_0 (the same bytes and scales as `Q8_0.quantize`), and Q8_0 rows
    /// repacked give the same panels exactly.
    @Test func eightBitPackingIsQ8_0() {
        let (n, k) = (37, 96)
        let w = random(n * k, seed: 5, scale: 0.3)
        let q8_0 = Q8_0.quantize(w, rows: n, k: k)
        let fromFloats = packed(w, rows: n, cols: k, format: .q8)
        let fromBlocks = q8_0.withUnsafeBytes { raw in
            PackedWeights.packQ8_0(raw.baseAddress!, rows: n, cols: k) {
                UnsafeMutablePointer<Float>.allocate(capacity: $0)
            }
        }
        defer { fromFloats.data.deallocate(); fromBlocks.data.deallocate() }
        var dequantized = [Float](repeating: 0, count: n * k)
        q8_0.withUnsafeBytes { raw in
            dequantized.withUnsafeMutableBufferPointer { out in
                for r in 0..<n {
                    Q8_0.dequantizeRow(raw.baseAddress! + r * (k / 32) * 34, k: k, into: out.baseAddress! + r * k)
                }
            }
        }
        let bytes = PackedWeights.bytes(rows: n, cols: k, format: .q8)
        #expect(memcmp(fromFloats.data, fromBlocks.data, bytes) == 0)
        #expect(
            (0..<n).allSatisfy { r in (0..<k).allSatisfy { c in fromBlocks.element(r, c) == dequantized[r * k + c] } })
    }

    /// The 8-bit product equals its plain definition on every instruction set (shapes with every tile remainder,
    /// stored and accumulated, one and two threads), and stays within a stated bound of the f32 product.
    @Test(arguments: instructionSets)
    func eightBitProductMatchesItsDefinition(isa: KernelISA) {
        with(isa) {
            for (m, n, k) in [(1, 1, 32), (5, 17, 64), (7, 48, 96), (13, 80, 128), (33, 37, 256)] {
                let w = random(n * k, seed: UInt64(n * 3 + k), scale: 0.2), x = random(m * k, seed: UInt64(m * 5 + k))
                let pw = packed(w, rows: n, cols: k, format: .q8)
                defer { pw.data.deallocate() }
                let definition = referenceQ8Product(x, m: m, k: k, pw)
                let size = max(1, definition.map(abs).max()!)
                for threads in [1, 2] {
                    #expect(
                        Fixtures.maxAbsDiff(product(pw, x, m: m, threads: threads), definition) < 1e-5 * size,
                        "\(isa) m=\(m) n=\(n) k=\(k)")
                    #expect(
                        Fixtures.maxAbsDiff(
                            product(pw, x, m: m, threads: threads, accumulateOnto: 1),
                            definition.map { $0 + 1 }) < 1e-5 * size + 1e-6)
                }
                // Against the exact f32 product: two 8-bit roundings per term, about 1% of the output's size here.
                let exact = Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)
                let exactSize = exact.map(abs).max()!
                #expect(Fixtures.maxAbsDiff(definition, exact) < 0.02 * exactSize, "m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    /// The trained default model loaded with 8-bit weights on a CPU with VNNI: on a real piece of code with a hole
    /// of masks, its logits stay within a stated bound of the stored (f16) weights' and its most likely token
    /// agrees nearly everywhere; on a CPU without VNNI the request is not honoured and the weights stay as stored.
    @Test func eightBitDefaultModelStaysCloseToTheStoredWeights() throws {
        try InstructionSetLock.holding { try checkEightBitDefaultModel() }
    }

    func checkEightBitDefaultModel() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = root.appendingPathComponent("Models/default").path
        let stored = try Engine.load(directory: directory)
        let eightBit = try Engine.load(directory: directory, precision: .q8)
        guard KernelISA.active >= .avx512 else {
            #expect(eightBit.panelSummary == stored.panelSummary)
            return
        }
        #expect(eightBit.panelSummary.hasPrefix("q8×"), "\(eightBit.panelSummary)")
        let code = try String(contentsOf: root.appendingPathComponent("examples/stats.py"), encoding: .utf8)
        var tokens = try #require(stored.tokenizer).encode(code)
        tokens = Array(tokens.prefix(400))
        try #require(tokens.count >= 64)
        let mask = try #require(stored.config.maskTokenID)
        for i in (tokens.count / 2)..<(tokens.count / 2 + 16) { tokens[i] = mask }
        let a = try stored.forward(tokens), b = try eightBit.forward(tokens)
        var squaredError = 0.0, squaredSize = 0.0, agree = 0
        for (ra, rb) in zip(a, b) {
            for (x, y) in zip(ra, rb) { squaredError += Double((x - y) * (x - y)); squaredSize += Double(x * x) }
            if ra.indices.max(by: { ra[$0] < ra[$1] }) == rb.indices.max(by: { rb[$0] < rb[$1] }) { agree += 1 }
        }
        let relativeError = (squaredError / squaredSize).squareRoot()
        let agreement = Double(agree) / Double(a.count)
        // Stated bound (measured: 0.010 relative RMS error, the same top token at every position): logits within 3%
        // RMS of the stored weights', the top token the same at ≥ 97% of positions.
        #expect(relativeError < 0.03, "relative RMS logit error \(relativeError)")
        #expect(agreement >= 0.97, "top-1 agreement \(agreement)")
    }

    /// A Q8_0 GGUF checkpoint asked for 8 bits keeps its own bytes (repacked, not requantised): every matrix on 8-bit
    /// panels, and logits near the as-stored product's (which meets f32 activations).
    @Test func q8_0CheckpointRunsOnEightBitPanels() throws {
        try InstructionSetLock.holding { try checkQ8_0Checkpoint() }
    }

    func checkQ8_0Checkpoint() throws {
        let stored = try Engine.loadGGUF(path: Fixtures.path("dream_tied.gguf"), precision: .asStored)
        let eightBit = try Engine.loadGGUF(path: Fixtures.path("dream_tied.gguf"), precision: .q8)
        // The default precision chooses 8 bits for a checkpoint stored in Q8_0, where the CPU has VNNI.
        let automatic = try Engine.loadGGUF(path: Fixtures.path("dream_tied.gguf"))
        #expect(automatic.panelSummary == eightBit.panelSummary)
        guard KernelISA.active >= .avx512 else {
            #expect(eightBit.panelSummary == stored.panelSummary)
            return
        }
        #expect(!stored.panelSummary.contains("q8"), "\(stored.panelSummary)")
        #expect(eightBit.panelSummary.contains("q8"), "\(eightBit.panelSummary)")
        let a = try stored.forward(Fixtures.canvas).flatMap { $0 },
            b = try eightBit.forward(Fixtures.canvas).flatMap { $0 }
        let error = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let size = a.reduce(0.0) { $0 + Double($1 * $1) }
        // These fixture weights are deliberately large and random (a hard case for 8-bit activations).
        #expect((error / size).squareRoot() < 0.05, "relative RMS logit error \((error / size).squareRoot())")
    }
}
