import Foundation

/// The whole forward pass written plainly (scalar loops, double accumulators, one position at a time), the
/// reference the optimised `Transformer` is tested against for shapes the PyTorch fixtures do not cover
/// (plain multi-head attention, larger head counts).
enum ReferenceForward {
    /// Logits of every position (row i from hidden state i), row-major.
    static func logits(_ model: Transformer, tokens: [Int]) -> [Float] {
        let c = model.config, w = model.weights
        let d = c.hiddenSize, hd = c.headDim, nh = c.numHeads, nkv = c.numKVHeads, f = c.intermediateSize
        let n = tokens.count, V = c.embeddingSize
        func linear(_ x: [Double], _ m: WeightMatrix, _ bias: UnsafePointer<Float>?) -> [Double] {
            (0..<m.rows).map { j in
                var s = bias.map { Double($0[j]) } ?? 0
                for i in 0..<m.cols { s += Double(m.element(j, i)) * x[i] }
                return s
            }
        }
        func norm(_ x: [Double], _ g: UnsafePointer<Float>) -> [Double] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let r = 1 / (ms + Double(c.rmsNormEps)).squareRoot()
            return x.indices.map { x[$0] * r * Double(g[$0]) }
        }
        // Qwen3's per-head RMSNorm of q and k (`qkNorm`): each head's slice normalised over head_dim.
        func headNorm(_ v: [Double], heads: Int, _ g: UnsafePointer<Float>?) -> [Double] {
            guard let g else { return v }
            return (0..<heads).flatMap { h in norm(Array(v[h * hd..<(h + 1) * hd]), g) }
        }
        func rope(_ v: inout [Double], heads: Int, pos: Int) {
            for h in 0..<heads {
                for i in 0..<hd / 2 {
                    let angle = Double(pos) / c.ropeLinearFactor * pow(c.ropeTheta, -Double(2 * i) / Double(hd))
                    let (ia, ib) =
                        c.ropeStyle == .rotateHalf
                        ? (h * hd + i, h * hd + i + hd / 2)
                        : (h * hd + 2 * i, h * hd + 2 * i + 1)
                    let a = v[ia], b = v[ib]
                    v[ia] = a * cos(angle) - b * sin(angle)
                    v[ib] = b * cos(angle) + a * sin(angle)
                }
            }
        }
        var x = tokens.map { t in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { row.deallocate() }
            w.embeddingRow(t, into: row, d: d)
            return (0..<d).map { Double(row[$0]) }
        }
        for L in w.layers {
            let h = x.map { norm($0, L.attnNorm) }
            var q = h.map { headNorm(linear($0, L.wq, L.bq), heads: nh, L.qNorm) }
            var k = h.map { headNorm(linear($0, L.wk, L.bk), heads: nkv, L.kNorm) }
            let v = h.map { linear($0, L.wv, L.bv) }
            for p in 0..<n { rope(&q[p], heads: nh, pos: p); rope(&k[p], heads: nkv, pos: p) }
            for p in 0..<n {
                var att = [Double](repeating: 0, count: nh * hd)
                for head in 0..<nh {
                    let g = head / (nh / nkv)
                    var s = (0..<n).map { t in
                        (0..<hd).reduce(0.0) { $0 + q[p][head * hd + $1] * k[t][g * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = s.max()!
                    s = s.map { exp($0 - m) }
                    let z = s.reduce(0, +)
                    for t in 0..<n { for i in 0..<hd { att[head * hd + i] += s[t] / z * v[t][g * hd + i] } }
                }
                let o = linear(att, L.wo, nil)
                for i in 0..<d { x[p][i] += o[i] }
            }
            for p in 0..<n {
                let h2 = norm(x[p], L.ffnNorm)
                let gate = linear(h2, L.gate, nil), up = linear(h2, L.up, nil)
                let act = (0..<f).map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = linear(act, L.down, nil)
                for i in 0..<d { x[p][i] += down[i] }
            }
        }
        var out = [Float](repeating: 0, count: n * V)
        for p in 0..<n {
            let l = linear(norm(x[p], w.finalNorm), w.head, nil)
            for j in 0..<V { out[p * V + j] = Float(l[j]) }
        }
        return out
    }
}
