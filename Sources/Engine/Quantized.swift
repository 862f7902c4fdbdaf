import Dispatch

/// The Q8_0 format (GGUF): blocks of 32 weights, each block an f16 scale followed by 32 signed bytes;
/// weight = scale · byte. A row of `k` weights is `k/32` blocks of 34 bytes.
enum Q8_0 {
    static let blockSize = 32
    static let blockBytes = 34

    /// y[m×n] = x[m×k] · Wᵀ for W (n rows of k) in Q8_0, working from the quantised bytes directly: each block
    /// is widened once per tile of 4 activation rows and used against all of them, so the weights stream through
    /// the cache once per tile and never exist as a dequantised matrix. Output rows are split across `threads`.
    static func matmul(
        _ x: UnsafePointer<Float>, m: Int, k: Int, weights: UnsafeRawPointer, n: Int,
        _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false, threads: Int
    ) {
        let chunks = max(1, min(threads, n / 64))
        var job = Job(x: x, y: y, w: weights, m: m, k: k, n: n, per: (n + chunks - 1) / chunks, accumulate: accumulate)
        ParallelPool.shared.run(parts: chunks, threads: chunks, job: &job) { ctx, c in
            ctx.assumingMemoryBound(to: Job.self).pointee.run(part: c)
        }
    }

    /// The arguments of one `matmul`, and the work of one part of it (a range of output rows).
    private struct Job {
        let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, w: UnsafeRawPointer
        let m: Int, k: Int, n: Int, per: Int
        let accumulate: Bool

        @inline(__always)
        func store(_ value: Float, row: Int, col: Int) {
            let out = y + row * n + col
            out.pointee = accumulate ? out.pointee + value : value
        }

        func run(part: Int) {
            let blocks = k / blockSize
            let rowBytes = blocks * blockBytes
            let j0 = part * per, j1 = Swift.min(n, j0 + per)
            guard j0 < j1 else { return }
            var i0 = 0
            while i0 < m {
                let rows = Swift.min(4, m - i0)
                for j in j0..<j1 {
                    let wrow = w + j * rowBytes
                    // Four-lane accumulators (what baseline x86-64 holds in one register), one per activation row.
                    var a0 = FVec(), a1 = FVec(), a2 = FVec(), a3 = FVec()
                    for b in 0..<blocks {
                        let blk = wrow + b * blockBytes
                        let scale = Float(Float16(bitPattern: UInt16(littleEndian: blk.loadUnaligned(as: UInt16.self))))
                        let xb = UnsafeRawPointer(x + i0 * k + b * blockSize)
                        let rowBytesX = k * 4
                        for c in 0..<(blockSize / 4) {
                            let wv = FVec(blk.loadUnaligned(fromByteOffset: 2 + 4 * c, as: SIMD4<Int8>.self)) * scale
                            let off = 16 * c
                            a0 += wv * xb.loadUnaligned(fromByteOffset: off, as: FVec.self)
                            if rows > 1 { a1 += wv * xb.loadUnaligned(fromByteOffset: off + rowBytesX, as: FVec.self) }
                            if rows > 2 {
                                a2 += wv * xb.loadUnaligned(fromByteOffset: off + 2 * rowBytesX, as: FVec.self)
                            }
                            if rows > 3 {
                                a3 += wv * xb.loadUnaligned(fromByteOffset: off + 3 * rowBytesX, as: FVec.self)
                            }
                        }
                    }
                    store(a0.sum(), row: i0, col: j)
                    if rows > 1 { store(a1.sum(), row: i0 + 1, col: j) }
                    if rows > 2 { store(a2.sum(), row: i0 + 2, col: j) }
                    if rows > 3 { store(a3.sum(), row: i0 + 3, col: j) }
                }
                i0 += 4
            }
        }
    }

    /// Quantises `rows` rows of `k` floats to Q8_0 (scale = max|w|/127, as llama.cpp's reference quantiser).
    static func quantize(_ w: [Float], rows: Int, k: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * k / blockSize * blockBytes)
        var o = 0
        for r in 0..<rows {
            for b in 0..<(k / blockSize) {
                let base = r * k + b * blockSize
                var amax: Float = 0
                for i in 0..<blockSize { amax = max(amax, abs(w[base + i])) }
                let d = amax / 127
                let inv: Float = d == 0 ? 0 : 1 / d
                let bits = Float16(d).bitPattern
                out[o] = UInt8(bits & 0xff); out[o + 1] = UInt8(bits >> 8)
                for i in 0..<blockSize {
                    out[o + 2 + i] = UInt8(bitPattern: Int8((w[base + i] * inv).rounded()))
                }
                o += blockBytes
            }
        }
        return out
    }

    /// Widens Q8_0 rows back to floats (used for embedding lookups and by tests).
    static func dequantizeRow(_ src: UnsafeRawPointer, k: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(k / blockSize) {
            let blk = src + b * blockBytes
            let scale = Float(Float16(bitPattern: UInt16(littleEndian: blk.loadUnaligned(as: UInt16.self))))
            for i in 0..<blockSize {
                dst[b * blockSize + i] = Float(blk.load(fromByteOffset: 2 + i, as: Int8.self)) * scale
            }
        }
    }

    /// Plain triple loop over the dequantised weights, in double precision: what `matmul` must agree with.
    static func referenceMatmul(_ x: [Float], m: Int, k: Int, weights: [UInt8], n: Int) -> [Float] {
        var wf = [Float](repeating: 0, count: n * k)
        weights.withUnsafeBytes { raw in
            wf.withUnsafeMutableBufferPointer { dst in
                for j in 0..<n {
                    dequantizeRow(
                        raw.baseAddress! + j * (k / blockSize) * blockBytes, k: k,
                        into: dst.baseAddress! + j * k)
                }
            }
        }
        return Kernels.referenceMatmulNT(x, wf, m: m, n: n, k: k)
    }
}

extension Q8_0 {
    /// Times `matmul` against sgemm on the same shape (milliseconds, best of `repeats`): the check that the
    /// quantised kernel is a real kernel and not a slow fallback.
    static func timeAgainstSgemm(m: Int, k: Int, n: Int, repeats: Int = 3) -> (q8Ms: Double, sgemmMs: Double) {
        var rng = SeededRNG(seed: 1)
        let x = (0..<(m * k)).map { _ in Float(rng.unit() - 0.5) }
        let w = (0..<(n * k)).map { _ in Float(rng.unit() - 0.5) }
        let q = quantize(w, rows: n, k: k)
        var y = [Float](repeating: 0, count: m * n)
        func best(_ body: () -> Void) -> Double { EngineBenchmark.fastestSeconds(repeats, body) * 1e3 }
        let tq = best {
            x.withUnsafeBufferPointer { xp in
                q.withUnsafeBytes { qp in
                    y.withUnsafeMutableBufferPointer { yp in
                        matmul(xp.baseAddress!, m: m, k: k, weights: qp.baseAddress!, n: n, yp.baseAddress!, threads: 2)
                    }
                }
            }
        }
        let ts = best {
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        Kernels.gemmNT(
                            xp.baseAddress!, lda: k, wp.baseAddress!, ldb: k, yp.baseAddress!, ldc: n, m: m, n: n, k: k)
                    }
                }
            }
        }
        return (tq, ts)
    }
}
