import Foundation

/// The bidirectional transformer: the same blocks as Qwen2 / LLaMA, run without a causal mask. It keeps the K/V
/// of every canvas position in the workspace so that a step can recompute only some rows (the hole) against the
/// cached rest (see `DenoiseCache`).
struct Transformer: @unchecked Sendable {
    let config: ModelConfig
    let weights: TransformerWeights
    /// Threads for the engine's own parallel kernels (the Q8_0 matmul); OpenBLAS has its own setting.
    let threads: Int

    /// Runs every canvas position (`tokens[0..<n]`) through all layers and refreshes the K/V caches.
    /// Afterwards row r of `ws.x` holds position r's final (pre-norm) hidden state; or, when `outputRows` (sorted
    /// canvas positions) is given, row j holds position outputRows[j]'s: the last layer then computes only the
    /// keys and values of the other rows, which is all later steps need of them (exact, and about 1/L cheaper).
    func forwardAll(
        _ ws: Workspace, tokens: UnsafePointer<Int32>, count n: Int,
        outputRows: UnsafeBufferPointer<Int32>? = nil
    ) {
        for r in 0..<n { ws.positions[r] = Int32(r); ws.compact[r] = Int32(r) }
        run(ws, tokens: tokens, active: n, keyCount: n, finalRows: outputRows)
        ws.cacheValid = true
    }

    /// Recomputes only the rows at canvas positions `rows` (sorted, distinct), attending to cached K/V for every
    /// other position of the `n`-position canvas; requires a prior `forwardAll` over the same canvas length.
    /// Afterwards active row j (position rows[j]) is row j of `ws.x`; or, with `outputRows` (a sorted subset of
    /// `rows`), row j holds position outputRows[j]'s, the last layer computing only K/V for the others.
    func forwardRows(
        _ ws: Workspace, tokens: UnsafePointer<Int32>, count n: Int, rows: UnsafeBufferPointer<Int32>,
        outputRows: UnsafeBufferPointer<Int32>? = nil
    ) {
        precondition(ws.cacheValid, "forwardRows needs a cache filled by forwardAll")
        for r in 0..<n { ws.compact[r] = -1 }
        for (j, p) in rows.enumerated() { ws.positions[j] = p; ws.compact[Int(p)] = Int32(j) }
        run(ws, tokens: tokens, active: rows.count, keyCount: n, finalRows: outputRows)
    }

    private func run(
        _ ws: Workspace, tokens: UnsafePointer<Int32>, active: Int, keyCount n: Int,
        finalRows: UnsafeBufferPointer<Int32>? = nil
    ) {
        var a = active
        let c = config
        let d = c.hiddenSize, hd = c.headDim, nh = c.numHeads, nkv = c.numKVHeads
        let qd = nh * hd, kvd = nkv * hd, ffn = c.intermediateSize
        let scale = 1 / Float(hd).squareRoot()
        let scratch = weights.hasEightBitPanels ? ws.quantizedActivations : nil
        // Embedding gather.
        for j in 0..<a {
            let tok = Int(tokens[Int(ws.positions[j])])
            weights.embeddingRow(tok, into: ws.x + j * d, d: d)
        }
        for (l, w) in weights.layers.enumerated() {
            Kernels.rmsNorm(ws.x, w.attnNorm, ws.h, rows: a, d: d, eps: c.rmsNormEps)
            w.wk.apply(ws.h, m: a, ws.kNew, threads: threads, scratch: scratch)
            w.wv.apply(ws.h, m: a, ws.vNew, threads: threads, scratch: scratch)
            if let b = w.bk { Kernels.addBias(ws.kNew, b, rows: a, n: kvd) }
            if let b = w.bv { Kernels.addBias(ws.vNew, b, rows: a, n: kvd) }
            // Qwen3 (CoDA): each key head normalised over its own head_dim, before RoPE. In place: a row of
            // `kvd` floats is `nkv` heads of `hd`.
            if let g = w.kNorm { Kernels.rmsNorm(ws.kNew, g, ws.kNew, rows: a * nkv, d: hd, eps: c.rmsNormEps) }
            Kernels.rope(
                ws.kNew, rows: a, heads: nkv, headDim: hd, rowStride: kvd, positions: ws.positions,
                cos: ws.ropeCos, sin: ws.ropeSin, style: c.ropeStyle)
            let kc = ws.kCache[l], vc = ws.vCache[l]
            for j in 0..<a {
                let p = Int(ws.positions[j])
                (kc + p * kvd).update(from: ws.kNew + j * kvd, count: kvd)
                (vc + p * kvd).update(from: ws.vNew + j * kvd, count: kvd)
            }
            if l == weights.layers.count - 1, let keep = finalRows, keep.count < a {
                // Last layer: every row's K/V is stored; only the rows whose outputs are wanted go on. Active rows
                // are in increasing position order and `keep` is a sorted subset, so moving row src to slot
                // j ≤ src never overwrites a row still to be moved.
                for (j, p) in keep.enumerated() {
                    let src = Int(ws.compact[Int(p)])
                    precondition(src >= j, "outputRows must be sorted active positions")
                    if j != src {
                        (ws.x + j * d).update(from: ws.x + src * d, count: d)
                        (ws.h + j * d).update(from: ws.h + src * d, count: d)
                    }
                }
                for r in 0..<a { ws.compact[Int(ws.positions[r])] = -1 }
                for (j, p) in keep.enumerated() {
                    ws.positions[j] = p
                    ws.compact[Int(p)] = Int32(j)
                }
                a = keep.count
            }
            w.wq.apply(ws.h, m: a, ws.q, threads: threads, scratch: scratch)
            if let b = w.bq { Kernels.addBias(ws.q, b, rows: a, n: qd) }
            if let g = w.qNorm { Kernels.rmsNorm(ws.q, g, ws.q, rows: a * nh, d: hd, eps: c.rmsNormEps) }
            Kernels.rope(
                ws.q, rows: a, heads: nh, headDim: hd, rowStride: qd, positions: ws.positions,
                cos: ws.ropeCos, sin: ws.ropeSin, style: c.ropeStyle)
            // Attention: the fused kernel (scores, softmax and values per block of keys) or sgemm, as routed.
            if a <= KernelRouting.current.fusedAttentionMaxRows {
                FusedAttention.run(
                    q: ws.q, rows: a, k: kc, v: vc, n: n, heads: nh, kvHeads: nkv, headDim: hd,
                    scale: scale, scratch: ws.attentionScratch, out: ws.att, threads: threads)
            } else {
                Self.attentionBySgemm(ws, config: c, layer: l, rows: a, keyCount: n, threads: threads)
            }
            w.wo.apply(ws.att, m: a, ws.x, accumulate: true, threads: threads, scratch: scratch)
            Kernels.rmsNorm(ws.x, w.ffnNorm, ws.h, rows: a, d: d, eps: c.rmsNormEps)
            w.gate.apply(ws.h, m: a, ws.gate, threads: threads, scratch: scratch)
            w.up.apply(ws.h, m: a, ws.up, threads: threads, scratch: scratch)
            Kernels.swiglu(ws.gate, ws.up, count: a * ffn, threads: threads)
            w.down.apply(ws.gate, m: a, ws.x, accumulate: true, threads: threads, scratch: scratch)
        }
    }

    /// Attention through sgemm: per head, scores = Q·Kᵀ, softmax, then scores·V.
    static func attentionBySgemm(
        _ ws: Workspace, config c: ModelConfig, layer l: Int, rows a: Int, keyCount n: Int,
        threads: Int
    ) {
        let hd = c.headDim, nh = c.numHeads, nkv = c.numKVHeads
        let qd = nh * hd, kvd = nkv * hd, group = nh / nkv
        let scale = 1 / Float(hd).squareRoot()
        let kc = ws.kCache[l], vc = ws.vCache[l]
        // Heads sharing a K/V head (GQA) are stacked into one taller product so that sgemm sees
        // group·rows query rows instead of `rows` (a partial step has few rows); queries go in chunks so the
        // score matrix stays small.
        if group == 1 {
            for head in 0..<nh {
                var q0 = 0
                while q0 < a {
                    let rows = min(ws.queryChunk, a - q0)
                    Kernels.gemmNT(
                        ws.q + q0 * qd + head * hd, lda: qd, kc + head * hd, ldb: kvd, ws.scores,
                        ldc: n, m: rows, n: n, k: hd, alpha: scale)
                    Kernels.softmaxRows(ws.scores, rows: rows, n: n, stride: n, threads: threads)
                    Kernels.gemmNN(
                        ws.scores, lda: n, vc + head * hd, ldb: kvd, ws.att + q0 * qd + head * hd,
                        ldc: qd, m: rows, n: hd, k: n)
                    q0 += rows
                }
            }
        } else {
            let stacked = group * a
            for g in 0..<nkv {
                var v0 = 0
                while v0 < stacked {
                    let rows = min(ws.queryChunk, stacked - v0)
                    for v in v0..<(v0 + rows) {
                        let head = g * group + v / a, r = v % a
                        (ws.qStack + (v - v0) * hd).update(from: ws.q + r * qd + head * hd, count: hd)
                    }
                    Kernels.gemmNT(
                        ws.qStack, lda: hd, kc + g * hd, ldb: kvd, ws.scores, ldc: n,
                        m: rows, n: n, k: hd, alpha: scale)
                    Kernels.softmaxRows(ws.scores, rows: rows, n: n, stride: n, threads: threads)
                    Kernels.gemmNN(
                        ws.scores, lda: n, vc + g * hd, ldb: kvd, ws.oStack, ldc: hd,
                        m: rows, n: hd, k: n)
                    for v in v0..<(v0 + rows) {
                        let head = g * group + v / a, r = v % a
                        (ws.att + r * qd + head * hd).update(from: ws.oStack + (v - v0) * hd, count: hd)
                    }
                    v0 += rows
                }
            }
        }
    }

    /// Moves the cached keys and values of `count` positions from `from` to `to` in every layer, rotating the keys
    /// by `to − from` positions (RoPE: R(p + δ) = R(δ)·R(p)), so that a run of tokens that slid along the canvas
    /// keeps what was computed for it. Not part of a denoising step (it allocates its small tables).
    func moveCache(_ ws: Workspace, from: Int, to: Int, count: Int) {
        guard count > 0, from != to else { return }
        let c = config
        let kvd = c.numKVHeads * c.headDim, half = c.headDim / 2
        let delta = Double(to - from)
        var cos = [Float](repeating: 0, count: half), sin = [Float](repeating: 0, count: half)
        for i in 0..<half {
            let angle = delta * (1.0 / pow(c.ropeTheta, Double(2 * i) / Double(c.headDim))) / c.ropeLinearFactor
            cos[i] = Float(Foundation.cos(angle))
            sin[i] = Float(Foundation.sin(angle))
        }
        let zero: [Int32] = [0]
        // Overlapping ranges: copy in the order that never overwrites a row still to be read.
        let order = to < from ? Array(0..<count) : Array((0..<count).reversed())
        for l in 0..<c.numLayers {
            let kc = ws.kCache[l], vc = ws.vCache[l]
            for i in order {
                (kc + (to + i) * kvd).update(from: kc + (from + i) * kvd, count: kvd)
                (vc + (to + i) * kvd).update(from: vc + (from + i) * kvd, count: kvd)
                Kernels.rope(
                    kc + (to + i) * kvd, rows: 1, heads: c.numKVHeads, headDim: c.headDim, rowStride: kvd,
                    positions: zero, cos: cos, sin: sin, style: c.ropeStyle)
            }
        }
    }

    /// Canvas row whose hidden state predicts position `p`: p itself, or p−1 for shifted (Dream-family) models,
    /// with position 0 predicted from row 0 as Dream's `cat([logits[:, :1], logits[:, :-1]])` does.
    func sourceRow(for p: Int) -> Int { config.shiftLogits ? max(p - 1, 0) : p }

    /// Logits for canvas positions `positions` (after the shift) into `ws.logits`, row i for positions[i].
    /// Every source row must be active in the last forward.
    /// With `shifted` false, positions are taken as rows as they are (for scoring a whole sequence).
    func logits(_ ws: Workspace, positions: UnsafeBufferPointer<Int32>, shifted: Bool = true) {
        let d = config.hiddenSize
        precondition(positions.count <= ws.logitCapacity)
        for (i, p) in positions.enumerated() {
            let j = Int(ws.compact[shifted ? sourceRow(for: Int(p)) : Int(p)])
            precondition(j >= 0, "logits asked for a row the last forward did not compute")
            (ws.logitRows + i * d).update(from: ws.x + j * d, count: d)
        }
        Kernels.rmsNorm(
            ws.logitRows, weights.finalNorm, ws.logitRows, rows: positions.count, d: d,
            eps: config.rmsNormEps)
        weights.head.apply(
            ws.logitRows, m: positions.count, ws.logits, threads: threads,
            scratch: weights.hasEightBitPanels ? ws.quantizedActivations : nil)
    }
}
