import Foundation
import CKernels
import Synchronization

/// The instruction set of the engine's C kernels (`CKernels`): AVX-512 with VNNI, or AVX2 with FMA, where the CPU
/// has it, otherwise portable C. Results agree to rounding; the choice only changes speed.
public enum KernelISA: Int32, Sendable, CustomStringConvertible, Comparable {
    case portable = 0
    case avx2FMA = 2
    /// AVX-512 F/BW/VL with VNNI (the 8-bit products' byte dot product); includes AVX2.
    case avx512 = 3

    public static func < (a: KernelISA, b: KernelISA) -> Bool { a.rawValue < b.rawValue }

    /// The best this CPU supports.
    public static var available: KernelISA { KernelISA(rawValue: dlsp_isa_available()) ?? .portable }
    /// The one in use.
    public static var active: KernelISA { KernelISA(rawValue: dlsp_isa_active()) ?? .portable }
    /// Chooses the instruction set (clamped to what the CPU supports); returns the one now in use. The
    /// `DLSP_KERNELS=portable` (or `avx2`) environment variable makes the engine start with that one.
    @discardableResult
    public static func select(_ isa: KernelISA) -> KernelISA {
        KernelISA(rawValue: dlsp_isa_select(isa.rawValue)) ?? .portable
    }

    public var description: String {
        switch self {
        case .avx512: "avx512+vnni"
        case .avx2FMA: "avx2+fma"
        case .portable: "portable"
        }
    }

    /// Applies `DLSP_KERNELS=portable|avx2` once per process (read when the first engine is made).
    static let environmentApplied: Void = {
        switch ProcessInfo.processInfo.environment["DLSP_KERNELS"] {
        case "portable":
            select(.portable)
            KernelRouting.current = .best(for: .portable)
        case "avx2":
            KernelRouting.current = .best(for: select(.avx2FMA))
        default: break
        }
    }()
}

/// Which kernels run a forward pass's matrix products and attention, by the number of rows computed.
///
/// With AVX2 the packed products and the fused attention beat OpenBLAS at every height on this engine's shapes
/// (`dlsp bench kernels`), and mixing the two costs more again: OpenBLAS's idle threads spin for a while after
/// each call and take cores from the engine's own. Without AVX2 the portable C loops lose to OpenBLAS's tuned
/// kernels (a typing fill of the default model with steps routed to them: about 800 ms against 130 ms through
/// OpenBLAS; the f16 panels are widened one value at a time there), so everything goes to OpenBLAS.
public struct KernelRouting: Sendable, Equatable {
    /// Products of at most this many activation rows use the packed weights; taller ones go to sgemm.
    public var packedMaxRows: Int
    /// Attention over at most this many query rows uses the fused kernel; taller attention goes to sgemm.
    public var fusedAttentionMaxRows: Int

    public init(packedMaxRows: Int, fusedAttentionMaxRows: Int) {
        self.packedMaxRows = packedMaxRows
        self.fusedAttentionMaxRows = fusedAttentionMaxRows
    }

    /// Everything through OpenBLAS (the baseline the benchmark compares against).
    public static let sgemmOnly = KernelRouting(packedMaxRows: 0, fusedAttentionMaxRows: 0)

    /// The fastest routing measured for an instruction set.
    public static func best(for isa: KernelISA) -> KernelRouting {
        switch isa {
        case .avx2FMA, .avx512: KernelRouting(packedMaxRows: .max, fusedAttentionMaxRows: .max)
        case .portable: .sgemmOnly
        }
    }

    /// The routing every forward pass uses (the benchmark switches it between measurements). Read on every
    /// product, so it lives in relaxed atomics: a switch during a fill changes which kernel runs the next product,
    /// never a result beyond rounding.
    public static var current: KernelRouting {
        get {
            KernelRouting(
                packedMaxRows: packedMaxRows.load(ordering: .relaxed),
                fusedAttentionMaxRows: fusedAttentionMaxRows.load(ordering: .relaxed))
        }
        set {
            packedMaxRows.store(newValue.packedMaxRows, ordering: .relaxed)
            fusedAttentionMaxRows.store(newValue.fusedAttentionMaxRows, ordering: .relaxed)
        }
    }
    private static let packedMaxRows = Atomic<Int>(KernelRouting.best(for: .available).packedMaxRows)
    private static let fusedAttentionMaxRows = Atomic<Int>(KernelRouting.best(for: .available).fusedAttentionMaxRows)
}

/// How packed weight panels store their elements.
public enum PanelFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// f32, and f16 / bf16 for checkpoints stored that way: exact, widened to f32 in registers.
    case f32, f16, bf16
    /// 8 bits per weight with a scale per 32 inputs (GGUF's Q8_0), multiplied against activations quantised the
    /// same way (`dlsp_gemm_q8`): a quarter of f32's bytes, and VNNI's byte dot products.
    case q8

    public var description: String { rawValue }
    var cFormat: Int32 {
        switch self {
        case .f32: Int32(DLSP_PANEL_F32)
        case .f16: Int32(DLSP_PANEL_F16)
        case .bf16: Int32(DLSP_PANEL_BF16)
        case .q8: -1
        }
    }
    /// Bytes per weight.
    var bytesPerElement: Double {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q8: Double(dlsp_packed_q8_bytes(16, 32)) / 512
        }
    }
}

/// A weight matrix (`rows` outputs × `cols` inputs) in the packed layout of `dlsp_gemm_panels`: panels of 16
/// outputs, input-major inside a panel, as f32, f16 or bf16 elements; or 8-bit panels (`dlsp_gemm_q8`).
struct PackedWeights: @unchecked Sendable {
    let data: UnsafeRawPointer
    let rows: Int
    let cols: Int
    let format: PanelFormat
    var panels: Int { (rows + 15) / 16 }
    var halves: Bool { format == .f16 }

    /// Elements the packed copy holds (rows rounded up to a whole panel).
    static func elements(rows: Int, cols: Int) -> Int { Int(dlsp_packed_floats(Int32(rows), Int32(cols))) }

    /// Bytes the packed copy takes.
    static func bytes(rows: Int, cols: Int, format: PanelFormat) -> Int {
        switch format {
        case .f32: 4 * elements(rows: rows, cols: cols)
        case .f16, .bf16: 2 * elements(rows: rows, cols: cols)
        case .q8: Int(dlsp_packed_q8_bytes(Int32(rows), Int32(cols)))
        }
    }

    /// Whether a matrix of `cols` inputs can be packed as `format` (8-bit panels need whole blocks of 32).
    static func supports(_ format: PanelFormat, cols: Int) -> Bool { format != .q8 || cols % 32 == 0 }

    /// Packs `w` into storage from `allocate` (a count of floats), as halves when `halves`.
    static func pack(
        _ w: UnsafePointer<Float>, rows: Int, cols: Int, halves: Bool = false,
        allocate: (Int) -> UnsafeMutablePointer<Float>
    ) -> PackedWeights {
        pack(w, rows: rows, cols: cols, format: halves ? .f16 : .f32, allocate: allocate)
    }

    /// Packs `w` into storage from `allocate` (a count of floats) in `format` (which `supports` the shape).
    static func pack(
        _ w: UnsafePointer<Float>, rows: Int, cols: Int, format: PanelFormat,
        allocate: (Int) -> UnsafeMutablePointer<Float>
    ) -> PackedWeights {
        precondition(supports(format, cols: cols), "\(format) panels need inputs in blocks of 32")
        let out = UnsafeMutableRawPointer(allocate((bytes(rows: rows, cols: cols, format: format) + 3) / 4))
        let (n, k) = (Int32(rows), Int32(cols))
        switch format {
        case .f32: dlsp_pack_weights(w, n, k, out.assumingMemoryBound(to: Float.self))
        case .f16: dlsp_pack_weights_f16(w, n, k, out.assumingMemoryBound(to: UInt16.self))
        case .bf16: dlsp_pack_weights_bf16(w, n, k, out.assumingMemoryBound(to: UInt16.self))
        case .q8: dlsp_pack_weights_q8(w, n, k, out.assumingMemoryBound(to: UInt8.self))
        }
        return PackedWeights(data: UnsafeRawPointer(out), rows: rows, cols: cols, format: format)
    }

    /// Packs Q8_0 rows (GGUF's blocks: an f16 scale and 32 signed bytes) as 8-bit panels, exactly.
    static func packQ8_0(
        _ blocks: UnsafeRawPointer, rows: Int, cols: Int,
        allocate: (Int) -> UnsafeMutablePointer<Float>
    ) -> PackedWeights {
        let out = UnsafeMutableRawPointer(allocate((bytes(rows: rows, cols: cols, format: .q8) + 3) / 4))
        dlsp_pack_q8_0(
            blocks.assumingMemoryBound(to: UInt8.self), Int32(rows), Int32(cols),
            out.assumingMemoryBound(to: UInt8.self))
        return PackedWeights(data: UnsafeRawPointer(out), rows: rows, cols: cols, format: .q8)
    }

    init(data: UnsafeRawPointer, rows: Int, cols: Int, halves: Bool = false) {
        self.init(data: data, rows: rows, cols: cols, format: halves ? .f16 : .f32)
    }

    init(data: UnsafeRawPointer, rows: Int, cols: Int, format: PanelFormat) {
        self.data = data
        self.rows = rows
        self.cols = cols
        self.format = format
    }

    /// W[row, col], read back from the packed layout.
    func element(_ row: Int, _ col: Int) -> Float {
        let i = (row / 16) * 16 * cols + col * 16 + row % 16
        switch format {
        case .f32: return data.load(fromByteOffset: 4 * i, as: Float.self)
        case .f16: return Float(Float16(bitPattern: data.load(fromByteOffset: 2 * i, as: UInt16.self)))
        case .bf16: return Float(bitPattern: UInt32(data.load(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
        case .q8: return dlsp_q8_element(data.assumingMemoryBound(to: UInt8.self), Int32(cols), Int32(row), Int32(col))
        }
    }

    /// Bytes of scratch `apply` needs for `m` rows (the quantised activations of 8-bit panels; 0 otherwise).
    static func scratchBytes(rows m: Int, cols: Int, format: PanelFormat) -> Int {
        format == .q8 ? Int(dlsp_q8_activation_bytes(Int32(m), Int32(cols))) : 0
    }

    private struct Job {
        var x: UnsafePointer<Float>, packed: UnsafeRawPointer, y: UnsafeMutablePointer<Float>
        var quantized: UnsafeRawPointer?
        var ldx, m, k, n, ldy, panels, parts: Int32
        var accumulate, format: Int32

        func run(_ p0: Int32, _ p1: Int32) {
            if let quantized {
                dlsp_gemm_q8(
                    quantized, m, k, packed.assumingMemoryBound(to: UInt8.self), n, y, ldy, p0, p1,
                    accumulate)
            } else {
                dlsp_gemm_panels(x, ldx, m, k, packed, format, n, y, ldy, p0, p1, accumulate)
            }
        }
    }

    /// y[i, 0..<rows] = x[i, 0..<cols] · Wᵀ (or y += that when `accumulate`) for i < m; output panels are split
    /// across `threads`. 8-bit panels quantise x first into `scratch` (`scratchBytes`; allocated for this call
    /// when nil).
    func apply(
        _ x: UnsafePointer<Float>, ldx: Int, m: Int, _ y: UnsafeMutablePointer<Float>, ldy: Int,
        accumulate: Bool = false, threads: Int, scratch: UnsafeMutableRawPointer? = nil
    ) {
        // Parts of fewer than four panels cost more to hand over than they save.
        let parts = max(1, min(threads, panels / 4, m * panels / 8))
        var job = Job(
            x: x, packed: data, y: y, quantized: nil, ldx: Int32(ldx), m: Int32(m), k: Int32(cols),
            n: Int32(rows), ldy: Int32(ldy), panels: Int32(panels), parts: Int32(parts),
            accumulate: accumulate ? 1 : 0, format: format.cFormat)
        var owned: UnsafeMutableRawPointer?
        defer { owned?.deallocate() }
        if format == .q8 {
            let buffer: UnsafeMutableRawPointer
            if let scratch {
                buffer = scratch
            } else {
                buffer = .allocate(byteCount: Self.scratchBytes(rows: m, cols: cols, format: .q8), alignment: 64)
                owned = buffer
            }
            dlsp_quantize_activations(x, Int32(ldx), Int32(m), Int32(cols), buffer)
            job.quantized = UnsafeRawPointer(buffer)
        }
        if parts == 1 {
            job.run(0, job.panels)
            return
        }
        ParallelPool.shared.run(parts: parts, threads: parts, job: &job) { ctx, i in
            let j = ctx.assumingMemoryBound(to: Job.self).pointee
            j.run(Int32(i) * j.panels / j.parts, Int32(i + 1) * j.panels / j.parts)
        }
    }
}

/// Attention fused with its softmax (`dlsp_attention_rows`), split over heads and blocks of query rows.
enum FusedAttention {
    /// Query rows per part: each part reads its head's keys and values once, so taller parts read less; the
    /// score rows of a part (rowsPerPart × n floats per thread) should stay in L2.
    static let rowsPerPart = 64

    private struct Job {
        var q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        var out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
        var rows, n, heads, group, headDim, qd, kvd, blocksPerHead, lanes, scratchPerLane: Int
        var scale: Float
    }

    /// att[r, h·hd ..< (h+1)·hd] = softmax(scale · q_h[r] · K_gᵀ) · V_g for every active row r and query head h
    /// (g = h / group), over the `n` cached keys. `scratch` holds `scratchFloats(capacity:headDim:)` floats.
    static func run(
        q: UnsafePointer<Float>, rows: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, n: Int,
        heads: Int, kvHeads: Int, headDim: Int, scale: Float, scratch: UnsafeMutablePointer<Float>,
        out: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let blocks = (rows + rowsPerPart - 1) / rowsPerPart
        let parts = heads * blocks
        let lanes = max(1, min(threads, parts, ParallelPool.shared.workers + 1))
        var job = Job(
            q: q, k: k, v: v, out: out, scratch: scratch, rows: rows, n: n, heads: heads,
            group: heads / kvHeads, headDim: headDim, qd: heads * headDim, kvd: kvHeads * headDim,
            blocksPerHead: blocks, lanes: lanes,
            scratchPerLane: Self.scratchFloatsPerLane(capacity: n, headDim: headDim), scale: scale)
        // One part per lane, each walking its share of (head, block) pairs with its own scratch.
        ParallelPool.shared.run(parts: lanes, threads: lanes, job: &job) { ctx, lane in
            let j = ctx.assumingMemoryBound(to: Job.self).pointee
            var t = lane
            while t < j.heads * j.blocksPerHead {
                let head = t / j.blocksPerHead, block = t % j.blocksPerHead
                let g = head / j.group
                let r0 = block * FusedAttention.rowsPerPart, r1 = Swift.min(j.rows, r0 + FusedAttention.rowsPerPart)
                dlsp_attention_rows(
                    j.q + head * j.headDim, Int32(j.qd), Int32(r0), Int32(r1),
                    j.k + g * j.headDim, j.v + g * j.headDim, Int32(j.kvd), Int32(j.n),
                    Int32(j.headDim), j.scale, j.scratch + lane * j.scratchPerLane,
                    j.out + head * j.headDim, Int32(j.qd))
                t += j.lanes
            }
        }
    }

    /// Scratch floats `run` needs for a canvas of `capacity` positions.
    static func scratchFloats(capacity: Int, headDim: Int) -> Int {
        (ParallelPool.shared.workers + 1) * scratchFloatsPerLane(capacity: capacity, headDim: headDim)
    }

    static func scratchFloatsPerLane(capacity: Int, headDim: Int) -> Int {
        Int(dlsp_attention_scratch_floats(Int32(rowsPerPart), Int32(capacity), Int32(headDim)))
    }
}
