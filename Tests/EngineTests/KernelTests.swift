import Foundation
import Testing
@testable import Engine

/// Each optimised kernel against its plain reference (softmax and SwiGLU, which run in C: `CKernelTests`, on both
/// instruction sets).
@Suite struct KernelTests {
    func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in Float(rng.unit() * 2 - 1) * scale }
    }

    @Test(arguments: [1, 15, 16, 17, 64, 257])
    func rmsNorm(d: Int) {
        let rows = 3
        let x = random(rows * d, seed: 1, scale: 3), w = random(d, seed: 2)
        var y = [Float](repeating: 0, count: rows * d)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    Kernels.rmsNorm(xp.baseAddress!, wp.baseAddress!, yp.baseAddress!, rows: rows, d: d, eps: 1e-6)
                }
            }
        }
        #expect(Fixtures.maxAbsDiff(y, Kernels.referenceRMSNorm(x, w, rows: rows, d: d, eps: 1e-6)) < 1e-5)
    }

    @Test func fastExpAccuracy() {
        for x in stride(from: Float(-80), through: 80, by: 0.37) {
            let rel = abs(Kernels.exp1(x) - Foundation.exp(x)) / Foundation.exp(x)
            #expect(rel < 1e-6, "exp(\(x))")
        }
        #expect(Kernels.exp1(-1000) >= 0 && Kernels.exp1(-1000) < 1e-37)
    }

    @Test(arguments: [(1, 7, 5), (3, 33, 64), (17, 40, 96)])
    func gemm(m: Int, n: Int, k: Int) {
        let a = random(m * k, seed: 5), b = random(n * k, seed: 6)
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Kernels.gemmNT(
                        ap.baseAddress!, lda: k, bp.baseAddress!, ldb: k, cp.baseAddress!, ldc: n, m: m, n: n, k: k)
                }
            }
        }
        #expect(Fixtures.maxAbsDiff(c, Kernels.referenceMatmulNT(a, b, m: m, n: n, k: k)) < 1e-4)
    }

    @Test(arguments: [(1, 3, 32), (4, 70, 64), (6, 130, 96), (9, 200, 256)])
    func q8Matmul(m: Int, n: Int, k: Int) {
        let x = random(m * k, seed: 7), w = random(n * k, seed: 8, scale: 0.5)
        let q = Q8_0.quantize(w, rows: n, k: k)
        var y = [Float](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { xp in
            q.withUnsafeBytes { qp in
                y.withUnsafeMutableBufferPointer { yp in
                    Q8_0.matmul(
                        xp.baseAddress!, m: m, k: k, weights: qp.baseAddress!, n: n, yp.baseAddress!, threads: 2)
                }
            }
        }
        #expect(Fixtures.maxAbsDiff(y, Q8_0.referenceMatmul(x, m: m, k: k, weights: q, n: n)) < 1e-4)
        // Quantisation error against the float weights stays small.
        #expect(
            Fixtures.maxAbsDiff(y, Kernels.referenceMatmulNT(x, w, m: m, n: n, k: k)) < 0.02 * Float(k).squareRoot())
    }

    @Test(arguments: [RopeStyle.rotateHalf, .interleaved])
    func ropeRotatesPairsByPositionAngle(style: RopeStyle) {
        let hd = 8, heads = 2, positions: [Int32] = [0, 3, 11]
        let x = random(positions.count * heads * hd, seed: 9)
        var y = x
        var cos = [Float](repeating: 0, count: 16 * hd / 2), sin = cos
        cos.withUnsafeMutableBufferPointer { c in
            sin.withUnsafeMutableBufferPointer { s in
                Kernels.ropeTables(
                    cos: c.baseAddress!, sin: s.baseAddress!, count: 16, headDim: hd, theta: 10000,
                    linearFactor: 2)
            }
        }
        y.withUnsafeMutableBufferPointer { yp in
            positions.withUnsafeBufferPointer { pp in
                cos.withUnsafeBufferPointer { c in
                    sin.withUnsafeBufferPointer { s in
                        Kernels.rope(
                            yp.baseAddress!, rows: 3, heads: heads, headDim: hd, rowStride: heads * hd,
                            positions: pp.baseAddress!, cos: c.baseAddress!, sin: s.baseAddress!, style: style)
                    }
                }
            }
        }
        // Plain complex rotation by angle pos/factor · θ^(−2i/hd).
        for (r, pos) in positions.enumerated() {
            for h in 0..<heads {
                for i in 0..<hd / 2 {
                    let angle = Double(pos) / 2 * pow(10000, -Double(2 * i) / Double(hd))
                    let (ia, ib) = style == .rotateHalf ? (i, i + hd / 2) : (2 * i, 2 * i + 1)
                    let base = r * heads * hd + h * hd
                    let a = Double(x[base + ia]), b = Double(x[base + ib])
                    #expect(abs(Double(y[base + ia]) - (a * Foundation.cos(angle) - b * Foundation.sin(angle))) < 1e-5)
                    #expect(abs(Double(y[base + ib]) - (b * Foundation.cos(angle) + a * Foundation.sin(angle))) < 1e-5)
                }
            }
        }
    }

    @Test func halfPrecisionConversions() {
        let values: [Float] = [0, 1, -2.5, 65504, 1e-3, -0.333]
        let f16 = values.map { Float16($0).bitPattern }
        let bf16 = values.map { UInt16($0.bitPattern >> 16) }
        var out = [Float](repeating: 0, count: values.count)
        f16.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer {
                Kernels.f16ToF32(src.baseAddress!, $0.baseAddress!, count: values.count)
            }
        }
        #expect(out == values.map { Float(Float16($0)) })
        bf16.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer {
                Kernels.bf16ToF32(src.baseAddress!, $0.baseAddress!, count: values.count)
            }
        }
        #expect(out == values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
    }
}

/// The optimised forward pass against the plain Swift reference, for shapes the PyTorch fixtures lack.
@Suite struct ForwardReferenceTests {
    @Test(arguments: [(ModelFamily.llada, 4, 4), (.dream, 6, 2), (.dream, 8, 1)])
    func forwardMatchesPlainReference(family: ModelFamily, heads: Int, kvHeads: Int) throws {
        let config = ModelConfig(
            family: family, architecture: "test", hiddenSize: 48, numLayers: 2, numHeads: heads,
            numKVHeads: kvHeads, headDim: 8, intermediateSize: 40, vocabSize: 50,
            ropeTheta: 10000, ropeLinearFactor: family == .dream ? 1 : 3,
            ropeStyle: kvHeads == 1 ? .interleaved : .rotateHalf, tiedEmbeddings: family == .llada)
        let engine = try Engine.random(config: config, seed: 5, std: 0.3, threads: 2)
        let tokens = (0..<37).map { ($0 * 7 + 3) % 50 }
        let got = try engine.forward(tokens).flatMap { $0 }
        let ref = ReferenceForward.logits(engine.model, tokens: tokens)
        #expect(Fixtures.maxAbsDiff(got, ref) < 1e-4)  // f32 against double: about 1.5e-5 here
    }
}

@Suite struct ParallelKernelTests {
    @Test func threadedSoftmaxAndSwigluEqualSingleThreaded() {
        var rng = SeededRNG(seed: 11)
        let rows = 64, n = 1500
        var a = (0..<(rows * n)).map { _ in Float(rng.unit() * 20 - 10) }
        var b = a
        a.withUnsafeMutableBufferPointer { Kernels.softmaxRows($0.baseAddress!, rows: rows, n: n, stride: n) }
        b.withUnsafeMutableBufferPointer {
            Kernels.softmaxRows($0.baseAddress!, rows: rows, n: n, stride: n, threads: 3)
        }
        #expect(a == b)
        var g1 = (0..<100_003).map { _ in Float(rng.unit() * 8 - 4) }
        var g2 = g1
        let u = (0..<100_003).map { _ in Float(rng.unit()) }
        g1.withUnsafeMutableBufferPointer { gp in
            u.withUnsafeBufferPointer { up in
                Kernels.swiglu(gp.baseAddress!, up.baseAddress!, count: u.count)
            }
        }
        g2.withUnsafeMutableBufferPointer { gp in
            u.withUnsafeBufferPointer { up in
                Kernels.swiglu(gp.baseAddress!, up.baseAddress!, count: u.count, threads: 3)
            }
        }
        #expect(g1 == g2)
    }
}

@Suite struct LogKernelTests {
    @Test func fastLogAccuracy() {
        var x: Float = 1e-10
        while x < 1e6 {
            let got = Kernels.logVec(FVec(repeating: x))[0]
            #expect(
                abs(Double(got) - Foundation.log(Double(x))) < 2e-6 * max(1, abs(Foundation.log(Double(x)))), "ln \(x)")
            x *= 1.37
        }
    }

    @Test(arguments: [3, 64, 1001])
    func negativeEntropy(n: Int) {
        var rng = SeededRNG(seed: UInt64(n))
        let p = Kernels.referenceSoftmax((0..<n).map { _ in Float(rng.unit() * 30 - 15) })
        let got = p.withUnsafeBufferPointer { Kernels.negativeEntropy($0.baseAddress!, n) }
        #expect(abs(Double(got) - Kernels.referenceNegativeEntropy(p)) < 1e-5)
    }
}
