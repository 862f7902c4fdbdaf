import Foundation
import Testing
@testable import Engine

/// Serialises the suites that choose the process-wide instruction set, and the tests whose outcome depends on it:
/// suites run in parallel, and one suite's portable-path test would otherwise change what another measures.
enum InstructionSetLock {
    private static let lock = NSLock()

    /// Runs `body` with `isa` selected (and no other suite changing it), then restores the one before.
    static func with<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        let before = KernelISA.active
        #expect(KernelISA.select(isa) == isa)
        defer { KernelISA.select(before) }
        return try body()
    }

    /// Runs `body` with the instruction set left as it is and unchanged meanwhile.
    static func holding<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// The C kernels (packed products, fused attention, softmax, SwiGLU) against plain references, on the AVX2 path
/// where the CPU has it and on the portable path, and the forward pass through every routing. The instruction set
/// is process-wide, so the suite runs serially and restores it.
@Suite(.serialized) struct CKernelTests {
    static let instructionSets: [KernelISA] = KernelISA.available == .portable ? [.portable] : [.portable, .available]

    func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in Float(rng.unit() * 2 - 1) * scale }
    }

    /// `w` packed into a fresh buffer the caller deallocates (`data`).
    func packed(_ w: [Float], rows: Int, cols: Int, halves: Bool = false) -> PackedWeights {
        w.withUnsafeBufferPointer { wp in
            PackedWeights.pack(wp.baseAddress!, rows: rows, cols: cols, halves: halves) {
                UnsafeMutablePointer<Float>.allocate(capacity: $0)
            }
        }
    }

    func with<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T {
        try InstructionSetLock.with(isa, body)
    }

    /// Shapes with every remainder: rows not a multiple of the 6-row tile, outputs not a multiple of the 16-wide
    /// panel, odd inner sizes; stored and accumulated.
    @Test(arguments: instructionSets)
    func packedProductMatchesReference(isa: KernelISA) {
        with(isa) {
            for (m, n, k) in [(1, 1, 1), (5, 17, 7), (6, 16, 33), (13, 37, 64), (33, 256, 96), (70, 48, 5)] {
                let x = random(m * k, seed: UInt64(m * 31 + k)), w = random(n * k, seed: UInt64(n * 17 + k))
                let ref = Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)
                let pw = packed(w, rows: n, cols: k)
                defer { pw.data.deallocate() }
                for threads in [1, 2] {
                    var y = [Float](repeating: 0, count: m * n)
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            pw.apply(xp.baseAddress!, ldx: k, m: m, yp.baseAddress!, ldy: n, threads: threads)
                        }
                    }
                    #expect(Fixtures.maxAbsDiff(y, ref) < 1e-4, "\(isa) m=\(m) n=\(n) k=\(k)")
                    // Accumulating onto a row of ones adds exactly one to every output.
                    var acc = [Float](repeating: 1, count: m * n)
                    x.withUnsafeBufferPointer { xp in
                        acc.withUnsafeMutableBufferPointer { yp in
                            pw.apply(
                                xp.baseAddress!, ldx: k, m: m, yp.baseAddress!, ldy: n, accumulate: true,
                                threads: threads)
                        }
                    }
                    #expect(Fixtures.maxAbsDiff(acc, ref.map { $0 + 1 }) < 1e-4, "\(isa) accumulate m=\(m)")
                }
            }
        }
    }

    /// Weights that are exact halves, packed as f16, give the products the f32 packing gives, on both paths,
    /// and read back element by element.
    @Test(arguments: instructionSets)
    func halfPackedProductMatchesReference(isa: KernelISA) {
        with(isa) {
            for (m, n, k) in [(1, 3, 5), (7, 37, 64), (33, 256, 40)] {
                let w = random(n * k, seed: UInt64(n + k)).map { Float(Float16($0)) }
                let x = random(m * k, seed: UInt64(m))
                let packed = packed(w, rows: n, cols: k, halves: true)
                defer { packed.data.deallocate() }
                #expect(packed.halves)
                #expect((0..<n).allSatisfy { r in (0..<k).allSatisfy { c in packed.element(r, c) == w[r * k + c] } })
                var y = [Float](repeating: 0, count: m * n)
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        packed.apply(xp.baseAddress!, ldx: k, m: m, yp.baseAddress!, ldy: n, threads: 2)
                    }
                }
                #expect(
                    Fixtures.maxAbsDiff(y, Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)) < 1e-4,
                    "\(isa) m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    /// Packing to halves rounds as Float16 does, subnormals, the largest half and overflow included.
    @Test func halfPackingRoundsLikeFloat16() {
        let values: [Float] = [
            0, -0.0, 1, -2.5, 6.1035156e-05, 5.9604645e-08, 1e-6, -3e-7, 65504, 70000, 0.1, 1.0009766,
        ]
        let n = values.count
        let packed = packed(values, rows: n, cols: 1, halves: true)
        defer { packed.data.deallocate() }
        for (i, v) in values.enumerated() {
            #expect(packed.element(i, 0).bitPattern == Float(Float16(v)).bitPattern, "\(v)")
        }
    }

    /// A large model's matrices keep only the packed copy: products of any height, under any routing, go through
    /// it, and the reference forward reads its elements back.
    @Test func packedOnlyWeightsServeEveryProduct() {
        let (n, k, m) = (37, 20, 150)
        let w = random(n * k, seed: 21), x = random(m * k, seed: 22)
        let pw = packed(w, rows: n, cols: k)
        defer { pw.data.deallocate() }
        let matrix = WeightMatrix(storage: .packedOnly, rows: n, cols: k, fileDType: .bf16, packed: pw)
        #expect((0..<n).allSatisfy { r in (0..<k).allSatisfy { c in matrix.element(r, c) == w[r * k + c] } })
        let saved = KernelRouting.current
        defer { KernelRouting.current = saved }
        KernelRouting.current = .sgemmOnly
        var y = [Float](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                matrix.apply(xp.baseAddress!, m: m, yp.baseAddress!, threads: 2)
            }
        }
        #expect(Fixtures.maxAbsDiff(y, Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)) < 1e-4)
    }

    /// softmax(scale·q·Kᵀ)·V in double precision, one query head against its K/V head.
    func referenceAttention(
        q: [Float], k: [Float], v: [Float], rows: Int, n: Int, heads: Int, kvHeads: Int,
        hd: Int, scale: Float
    ) -> [Float] {
        let qd = heads * hd, kvd = kvHeads * hd, group = heads / kvHeads
        var out = [Float](repeating: 0, count: rows * qd)
        for r in 0..<rows {
            for h in 0..<heads {
                let g = h / group
                var s = [Double](repeating: 0, count: n)
                for j in 0..<n {
                    var dot = 0.0
                    for d in 0..<hd { dot += Double(q[r * qd + h * hd + d]) * Double(k[j * kvd + g * hd + d]) }
                    s[j] = dot * Double(scale)
                }
                let m = s.max()!
                let e = s.map { Foundation.exp($0 - m) }, sum = e.reduce(0, +)
                for d in 0..<hd {
                    var o = 0.0
                    for j in 0..<n { o += e[j] / sum * Double(v[j * kvd + g * hd + d]) }
                    out[r * qd + h * hd + d] = Float(o)
                }
            }
        }
        return out
    }

    /// Head sizes on and off the AVX2 path (a multiple of 16 or not), key counts with tails, GQA, and more
    /// query rows than one part takes.
    @Test(arguments: instructionSets)
    func fusedAttentionMatchesReference(isa: KernelISA) {
        with(isa) {
            for (rows, n, heads, kvHeads, hd) in [
                (1, 1, 1, 1, 16), (3, 67, 4, 4, 64), (33, 130, 4, 2, 32),
                (70, 45, 2, 1, 24), (9, 300, 7, 1, 128),
            ] {
                let qd = heads * hd, kvd = kvHeads * hd
                let q = random(rows * qd, seed: 1, scale: 2), k = random(n * kvd, seed: 2, scale: 2)
                let v = random(n * kvd, seed: 3)
                let scale = 1 / Float(hd).squareRoot()
                let ref = referenceAttention(
                    q: q, k: k, v: v, rows: rows, n: n, heads: heads, kvHeads: kvHeads,
                    hd: hd, scale: scale)
                let scratch = UnsafeMutablePointer<Float>.allocate(
                    capacity: FusedAttention.scratchFloats(capacity: n, headDim: hd))
                defer { scratch.deallocate() }
                for threads in [1, 2] {
                    var out = [Float](repeating: .nan, count: rows * qd)
                    q.withUnsafeBufferPointer { qp in
                        k.withUnsafeBufferPointer { kp in
                            v.withUnsafeBufferPointer { vp in
                                out.withUnsafeMutableBufferPointer { op in
                                    FusedAttention.run(
                                        q: qp.baseAddress!, rows: rows, k: kp.baseAddress!, v: vp.baseAddress!,
                                        n: n, heads: heads, kvHeads: kvHeads, headDim: hd, scale: scale,
                                        scratch: scratch, out: op.baseAddress!, threads: threads)
                                }
                            }
                        }
                    }
                    #expect(Fixtures.maxAbsDiff(out, ref) < 1e-5, "\(isa) rows=\(rows) n=\(n) hd=\(hd)")
                }
            }
        }
    }

    @Test(arguments: instructionSets)
    func softmaxAndSwigluMatchReference(isa: KernelISA) {
        with(isa) {
            for n in [1, 5, 7, 8, 16, 33, 100, 1000] {
                var x = random(n, seed: UInt64(n), scale: 20)
                let ref = Kernels.referenceSoftmax(x)
                x.withUnsafeMutableBufferPointer { Kernels.softmaxRows($0.baseAddress!, rows: 1, n: n, stride: n) }
                #expect(Fixtures.maxAbsDiff(x, ref) < 1e-6)
                #expect(abs(x.reduce(0, +) - 1) < 1e-5)
                var g = random(n, seed: 3, scale: 6)
                let u = random(n, seed: 4, scale: 2)
                let sref = Kernels.referenceSwiglu(g, u)
                g.withUnsafeMutableBufferPointer { gp in
                    u.withUnsafeBufferPointer { up in
                        Kernels.swiglu(gp.baseAddress!, up.baseAddress!, count: n)
                    }
                }
                #expect(Fixtures.maxAbsDiff(g, sref) < 1e-5)
            }
        }
    }

    /// The whole forward pass, full and row-by-row against the cache, equals the plain Swift reference on
    /// every instruction set and routing (head sizes 16 and 32 take the AVX2 attention; 8 the portable one).
    @Test(arguments: instructionSets)
    func forwardMatchesReferenceOnEveryRouting(isa: KernelISA) throws {
        try with(isa) {
            let saved = KernelRouting.current
            defer { KernelRouting.current = saved }
            for (hd, heads, kvHeads) in [(16, 4, 2), (32, 2, 2), (8, 6, 3)] {
                let config = ModelConfig(
                    family: .dream, architecture: "test", hiddenSize: 64, numLayers: 2,
                    numHeads: heads, numKVHeads: kvHeads, headDim: hd, intermediateSize: 72,
                    vocabSize: 50, ropeTheta: 10000, tiedEmbeddings: false)
                let engine = try Engine.random(config: config, seed: 9, std: 0.3, threads: 2)
                let tokens = (0..<45).map { ($0 * 11 + 5) % 50 }
                let ref = ReferenceForward.logits(engine.model, tokens: tokens)
                for routing in [
                    KernelRouting.best(for: isa), .sgemmOnly,
                    KernelRouting(packedMaxRows: 8, fusedAttentionMaxRows: 8),
                ] {
                    KernelRouting.current = routing
                    let got = try engine.forward(tokens).flatMap { $0 }
                    // f32 against double, relative to the logits' size (about 10 with these random weights; f32
                    // rounding reaches 2e-5 of that).
                    let size = ref.map(abs).max()!
                    #expect(Fixtures.maxAbsDiff(got, ref) < 4e-5 * max(1, size), "\(isa) \(routing) hd=\(hd)")
                }
            }
        }
    }
}

/// A large model keeps only packed copies of converted matrices, the tied embedding included (its rows are then
/// gathered from the packed head); its logits equal those of the same weights kept both ways.
@Suite struct PackedOnlyModelTests {
    @Test func packedOnlyModelGivesTheSameLogits() throws {
        guard KernelRouting.current.packedMaxRows == .max else { return }  // only the AVX2 routing drops copies
        for tied in [true, false] {
            var config = ModelConfig(
                family: .dream, architecture: "test", hiddenSize: 32, numLayers: 2, numHeads: 2,
                numKVHeads: 1, intermediateSize: 48, vocabSize: 40, ropeTheta: 10000,
                tiedEmbeddings: tied)
            config.maskTokenID = 39
            let source = RandomTensorSource(config: config, seed: 4, std: 0.3, bf16: true)
            let names = TensorNames.dream
            let both = try TransformerWeights(source: source, config: config, names: names)
            let packedOnly = try TransformerWeights(source: source, config: config, names: names, plainCopyLimit: 0)
            #expect(packedOnly.layers[0].gate.storage.isPackedOnly)
            #expect(packedOnly.head.storage.isPackedOnly)
            #expect((packedOnly.embedding == nil) == tied)
            #expect(both.embedding != nil && !both.head.storage.isPackedOnly)
            let a = Engine(config: config, weights: both, tokenizer: nil, source: "both", threads: 2)
            let b = Engine(config: config, weights: packedOnly, tokenizer: nil, source: "packed", threads: 2)
            let tokens = (0..<23).map { ($0 * 5 + 1) % 39 }
            #expect(try a.forward(tokens) == b.forward(tokens), "tied: \(tied)")
            #expect(
                Fixtures.maxAbsDiff(
                    ReferenceForward.logits(b.model, tokens: tokens),
                    ReferenceForward.logits(a.model, tokens: tokens)) == 0)
        }
    }
}
