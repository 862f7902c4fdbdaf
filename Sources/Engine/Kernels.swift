import CKernels
import COpenBLAS
import Foundation

// The element-wise and row-wise kernels of the forward pass. Each optimised kernel has a plain `reference...`
// twin that the tests compare it against; the optimised ones work on contiguous rows with SIMD types so the
// compiler emits vector code, and never allocate.

/// Sets the number of threads OpenBLAS uses for matrix products (dlsp defaults to 2: the editor shares the machine).
public func setMatrixThreads(_ n: Int) {
    openblas_set_num_threads(Int32(max(1, n)))
}

/// The number of threads OpenBLAS currently uses.
public func matrixThreads() -> Int { Int(openblas_get_num_threads()) }

/// The vector width the kernels use. Four lanes is what baseline x86-64 (SSE2) executes natively; wider Swift
/// SIMD types spill to the stack there and were measured 3–4× slower.
typealias FVec = SIMD4<Float>
typealias UVec = SIMD4<UInt32>

enum Kernels {
    // MARK: RMSNorm

    /// y[i,:] = x[i,:] / sqrt(mean(x[i,:]²) + eps) * w, for `rows` rows of width `d` (y may alias x).
    static func rmsNorm(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        rows: Int, d: Int, eps: Float
    ) {
        for r in 0..<rows {
            let xr = x + r * d, yr = y + r * d
            var acc = FVec()
            var i = 0
            while i + FVec.scalarCount <= d {
                let v = UnsafeRawPointer(xr + i).loadUnaligned(as: FVec.self)
                acc += v * v
                i += FVec.scalarCount
            }
            var sum = acc.sum()
            while i < d { sum += xr[i] * xr[i]; i += 1 }
            let scale = 1 / (sum / Float(d) + eps).squareRoot()
            i = 0
            while i + FVec.scalarCount <= d {
                let v = UnsafeRawPointer(xr + i).loadUnaligned(as: FVec.self)
                let g = UnsafeRawPointer(w + i).loadUnaligned(as: FVec.self)
                UnsafeMutableRawPointer(yr + i).storeBytes(of: v * scale * g, as: FVec.self)
                i += FVec.scalarCount
            }
            while i < d { yr[i] = xr[i] * scale * w[i]; i += 1 }
        }
    }

    static func referenceRMSNorm(_ x: [Float], _ w: [Float], rows: Int, d: Int, eps: Float) -> [Float] {
        var y = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            var s: Double = 0
            for i in 0..<d { s += Double(x[r * d + i]) * Double(x[r * d + i]) }
            let scale = 1 / (s / Double(d) + Double(eps)).squareRoot()
            for i in 0..<d { y[r * d + i] = Float(Double(x[r * d + i]) * scale) * w[i] }
        }
        return y
    }

    // MARK: RoPE

    /// Fills cos/sin tables (`count` positions × headDim/2) the way Hugging Face computes them: inverse
    /// frequencies and angles in f32, the trigonometry of that f32 angle. Matching the rounding matters at
    /// 1e-4 parity.
    static func ropeTables(
        cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>, count: Int,
        headDim: Int, theta: Double, linearFactor: Double
    ) {
        let half = headDim / 2
        for p in 0..<count {
            for i in 0..<half {
                let invFreq = Float(1.0 / pow(theta, Double(2 * i) / Double(headDim))) / Float(linearFactor)
                let angle = Float(p) * invFreq
                cos[p * half + i] = Float(Foundation.cos(Double(angle)))
                sin[p * half + i] = Float(Foundation.sin(Double(angle)))
            }
        }
    }

    /// Rotates `heads` heads of each of `rows` rows in place; row r is at canvas position `positions[r]`.
    static func rope(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, headDim: Int, rowStride: Int,
        positions: UnsafePointer<Int32>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
        style: RopeStyle
    ) {
        let half = headDim / 2
        for r in 0..<rows {
            let c = cos + Int(positions[r]) * half, s = sin + Int(positions[r]) * half
            for h in 0..<heads {
                let v = x + r * rowStride + h * headDim
                switch style {
                case .rotateHalf:
                    // (a, b) = (x[i], x[i+half]) → (a·c − b·s, b·c + a·s)
                    for i in 0..<half {
                        let a = v[i], b = v[i + half]
                        v[i] = a * c[i] - b * s[i]
                        v[i + half] = b * c[i] + a * s[i]
                    }
                case .interleaved:
                    for i in 0..<half {
                        let a = v[2 * i], b = v[2 * i + 1]
                        v[2 * i] = a * c[i] - b * s[i]
                        v[2 * i + 1] = b * c[i] + a * s[i]
                    }
                }
            }
        }
    }

    // MARK: exp and softmax

    /// e^x per lane: Cody–Waite reduction to r ∈ [−ln2/2, ln2/2], a degree-6 polynomial, and the exponent
    /// put back through the float's bits. Relative error about 2e-7 over the range softmax uses. Rounding to an
    /// integer uses the 1.5·2²³ trick (the integer lands in the low mantissa bits) because Swift's generic
    /// float→int SIMD conversion is not vectorised.
    @inline(__always)
    static func expVec(_ x: FVec) -> FVec {
        let x = pointwiseMin(pointwiseMax(x, FVec(repeating: -87.0)), FVec(repeating: 88.0))
        let magic = FVec(repeating: 12_582_912.0)
        let t = x * 1.442695040888963 + magic
        let n = t - magic
        var r = x - n * 0.693145751953125
        r = r - n * 1.428606765330187e-06
        var p = FVec(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = unsafeBitCast(t, to: UVec.self) &- 0x4B40_0000
        let bits = (ni &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: FVec.self)
    }

    /// ln x per lane for positive normal x: x = m·2^e with m ∈ [1, 2), ln m = 2·atanh(s) with s = (m−1)/(m+1)
    /// ∈ [0, 1/3), summed to s¹³ (relative error below 1e-6). Integer ↔ float moves go through the float's bits
    /// (see `expVec`).
    @inline(__always)
    static func logVec(_ x: FVec) -> FVec {
        let bits = unsafeBitCast(x, to: UVec.self)
        let exponentBits = (bits &>> 23) & 0xff
        let e = unsafeBitCast(exponentBits | 0x4B00_0000, to: FVec.self) - (8_388_608 + 127)
        let m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: FVec.self)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = FVec(repeating: 1.0 / 13)
        p = p * s2 + 1.0 / 11
        p = p * s2 + 1.0 / 9
        p = p * s2 + 1.0 / 7
        p = p * s2 + 1.0 / 5
        p = p * s2 + 1.0 / 3
        p = p * s2 + 1
        return e * 0.6931471805599453 + 2 * s * p
    }

    /// Σ p·ln(p + 1e-10) over `n` probabilities: Dream's negative entropy (the 1e-10 as in its sampler).
    static func negativeEntropy(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = FVec()
        var i = 0
        while i + FVec.scalarCount <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: FVec.self)
            acc += v * logVec(v + 1e-10)
            i += FVec.scalarCount
        }
        var s = acc.sum()
        while i < n { s += p[i] * logVec(FVec(repeating: p[i] + 1e-10))[0]; i += 1 }
        return s
    }

    static func referenceNegativeEntropy(_ p: [Float]) -> Double {
        p.reduce(0.0) { $0 + Double($1) * Foundation.log(Double($1) + 1e-10) }
    }

    /// Scalar e^x with the same algorithm (for tails shorter than a vector).
    @inline(__always)
    static func exp1(_ x: Float) -> Float { expVec(FVec(repeating: x))[0] }

    /// e^x with the same algorithm as `expVec`, in scalar form.
    static func referenceExp(_ x: Float) -> Float { exp1(x) }

    /// How many parts `rows` rows of `width` elements are worth splitting into (1 when the hand-off would cost
    /// more than it saves).
    static func partCount(rows: Int, width: Int, threads: Int) -> Int {
        max(1, min(threads, rows, rows * width / 32_768))
    }

    private struct SoftmaxJob { var x: UnsafeMutablePointer<Float>; var rows, n, stride, per: Int }

    /// In-place softmax of each of `rows` rows of length `n` (row stride `stride`), rows split across threads.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, stride: Int, threads: Int) {
        let parts = partCount(rows: rows, width: n, threads: threads)
        if parts == 1 { softmaxRows(x, rows: rows, n: n, stride: stride); return }
        var job = SoftmaxJob(x: x, rows: rows, n: n, stride: stride, per: (rows + parts - 1) / parts)
        ParallelPool.shared.run(parts: parts, threads: parts, job: &job) { ctx, i in
            let j = ctx.assumingMemoryBound(to: SoftmaxJob.self).pointee
            let lo = i * j.per, hi = min(j.rows, lo + j.per)
            if lo < hi { Kernels.softmaxRows(j.x + lo * j.stride, rows: hi - lo, n: j.n, stride: j.stride) }
        }
    }

    /// In-place softmax of each of `rows` rows of length `n` (row stride `stride`), with the C kernel's vector exp.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, stride: Int) {
        dlsp_softmax_rows(x, Int32(rows), Int32(n), Int32(stride))
    }

    static func referenceSoftmax(_ x: [Float]) -> [Float] {
        let m = x.max() ?? 0
        let e = x.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    // MARK: SwiGLU

    private struct SwigluJob { var g: UnsafeMutablePointer<Float>; var u: UnsafePointer<Float>; var count, per: Int }

    /// `swiglu` split across threads.
    static func swiglu(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, count: Int, threads: Int) {
        let parts = partCount(rows: count / 1024, width: 1024, threads: threads)
        if parts == 1 { swiglu(g, u, count: count); return }
        // Parts are multiples of 16 elements so each starts on a vector boundary.
        var job = SwigluJob(g: g, u: u, count: count, per: ((count + parts - 1) / parts + 15) / 16 * 16)
        ParallelPool.shared.run(parts: parts, threads: parts, job: &job) { ctx, i in
            let j = ctx.assumingMemoryBound(to: SwigluJob.self).pointee
            let lo = i * j.per, hi = min(j.count, lo + j.per)
            if lo < hi { Kernels.swiglu(j.g + lo, j.u + lo, count: hi - lo) }
        }
    }

    /// g = silu(g) · u over `count` elements (in place in g), with the C kernel's vector exp.
    static func swiglu(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, count: Int) {
        dlsp_swiglu(g, u, Int32(count))
    }

    static func referenceSwiglu(_ g: [Float], _ u: [Float]) -> [Float] {
        zip(g, u).map { Float(Double($0) / (1 + Foundation.exp(-Double($0))) * Double($1)) }
    }

    // MARK: small vector ops

    /// y += x over `count` elements.
    static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + FVec.scalarCount <= count {
            let a = UnsafeRawPointer(y + i).loadUnaligned(as: FVec.self)
            let b = UnsafeRawPointer(x + i).loadUnaligned(as: FVec.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: a + b, as: FVec.self)
            i += FVec.scalarCount
        }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// Adds `bias` (length `n`) to each of `rows` rows.
    static func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows { add(y + r * n, bias, count: n) }
    }

    // MARK: conversions

    static func f16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        let s = src.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: s[i]))) }
    }

    static func bf16ToF32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        let s = src.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: s[i])) << 16) }
    }

    // MARK: matrix products

    /// C[m×n] = A[m×k] · B[n×k]ᵀ (every weight matrix is stored output-major, as PyTorch's Linear does).
    static func gemmNT(
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, 1, beta, c, 1)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// C[m×n] = A[m×k] · B[k×n].
    static func gemmNN(
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
            a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    static func referenceMatmulNT(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for t in 0..<k { s += Double(a[i * k + t]) * Double(b[j * k + t]) }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }
}
