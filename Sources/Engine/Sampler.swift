import Dispatch

/// Timings of one denoising run, in milliseconds.
public struct DenoiseTimings: Sendable, Equatable {
    /// Whole-canvas forwards (the first step of a cached run, refreshes, every step without cache).
    public var fullForwardMs: Double = 0
    /// Hole-only forwards against the cache.
    public var partialForwardMs: Double = 0
    /// LM head over the rows asked for.
    public var logitsMs: Double = 0
    /// Softmax, filtering, choosing and committing.
    public var samplingMs: Double = 0
    public var totalMs: Double = 0
}

/// What one denoising run produced.
struct DenoiseOutcome {
    var canvas: [Int32]
    /// Per slot: the committed token and the confidence it was committed with.
    var slotTokens: [Int32]
    var slotConfidence: [Float]
    var steps: Int
    var fullForwards: Int
    var partialForwards: Int
    /// Leading canvas positions whose K/V came from a previous fill (`ContextReuse`) instead of a full forward.
    var reusedPositions: Int
    var timings: DenoiseTimings
}

/// The masked-diffusion sampler. A *slot* is a set of canvas positions that must receive the same token (one
/// position for an ordinary hole; one position per occurrence for tied spans); a slot's distribution is the
/// normalised sum of its members' log-probabilities, so tied occurrences are decided jointly.
/// All buffers live in the workspace or are sized before the loop; the loop does not allocate (the optional step
/// hook's own arrays aside).
struct Denoiser {
    let model: Transformer
    let ws: Workspace

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// `reuse`: the workspace's K/V caches already hold every position of this canvas except `rows` (kept from an
    /// earlier fill, `positions` of them); the first forward then computes only `rows`, which must include every
    /// row the steps compute.
    func run(
        canvas initial: [Int32], slots unsorted: [[Int]], options o: FillOptions,
        reuse: (rows: [Int32], positions: Int)? = nil
    ) throws -> DenoiseOutcome {
        let c = model.config
        guard let maskID = c.maskTokenID.map(Int32.init) else {
            throw EngineError.invalidRequest("the model has no mask token id")
        }
        let n = initial.count
        guard n <= ws.capacity else { throw EngineError.invalidRequest("canvas longer than the workspace") }
        let V = c.embeddingSize
        let start = Self.now()
        var timings = DenoiseTimings()

        // Slots in canvas order; every member masked at the start.
        let slots = unsorted.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        var canvas = initial
        var slotOf = [Int](repeating: -1, count: n)
        for (s, members) in slots.enumerated() { for p in members { slotOf[p] = s; canvas[p] = maskID } }
        let fillPositions = slots.flatMap { $0 }.sorted()
        let stopIDs = (c.eosTokenID, c.padTokenID)
        // Rows a cached step recomputes: the fill positions and, for shifted models, the row before each.
        var active = Set(fillPositions)
        if c.shiftLogits { for p in fillPositions where p > 0 { active.insert(p - 1) } }
        let activeRows = active.sorted().map(Int32.init)
        let maxMembers = fillPositions.count
        guard maxMembers <= ws.logitCapacity else { throw EngineError.invalidRequest("hole larger than workspace") }

        var masked = [Bool](repeating: true, count: slots.count)
        var slotTokens = [Int32](repeating: maskID, count: slots.count)
        var slotConf = [Float](repeating: 0, count: slots.count)
        var stepConf = [Float](repeating: -.infinity, count: slots.count)
        var stepToken = [Int32](repeating: 0, count: slots.count)
        var rowOfSlot = [Int](repeating: 0, count: slots.count)
        var logitPositions = [Int32](repeating: 0, count: maxMembers)
        // The rows whose outputs a step needs (sources of still-masked positions), in canvas order; the last layer
        // skips the rest. Tied spans interleave, so sources are marked and then collected in `activeRows` order.
        var outputRows = [Int32](repeating: 0, count: activeRows.count)
        var needed = [Bool](repeating: false, count: n)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: V)
        defer { scratch.deallocate() }
        var rng = SeededRNG(seed: o.seed)

        let blockLength = max(1, o.blockLength ?? slots.count)
        let blocks = (slots.count + blockLength - 1) / blockLength
        let budget = max(1, o.schedule.stepBudget / blocks)
        var steps = 0, fullForwards = 0, partialForwards = 0, sinceRefresh = 0
        var hookEnabled = o.stepHook != nil
        let stepLimit = o.schedule.stepBudget + o.maxExtraSteps
        var reused = 0
        var reuseRows: [Int32] = []
        if case .dual = o.cache, let r = reuse, r.positions > 0, Set(activeRows).isSubset(of: r.rows) {
            reused = r.positions
            reuseRows = r.rows
        }
        ws.cacheValid = reused > 0
        var reusePending = reused > 0

        for b in 0..<blocks {
            let s0 = b * blockLength, s1 = min(slots.count, s0 + blockLength)
            let initialMasked = (s0..<s1).reduce(0) { $0 + (masked[$1] ? 1 : 0) }
            var j = 0
            while true {
                var remaining = 0
                for s in s0..<s1 where masked[s] { remaining += 1 }
                if remaining == 0 { break }
                if o.isCancelled?() == true || o.cancellation?.isCancelled == true { throw EngineError.cancelled }
                // How many to commit (−1: decided by the threshold after scoring).
                var k: Int
                switch o.schedule {
                case .timesteps(_, let eps):
                    if j < budget - 1 {
                        let t = 1 - Double(j) / Double(budget) * (1 - eps)
                        let s = 1 - Double(j + 1) / Double(budget) * (1 - eps)
                        k = Int(Double(remaining) * (1 - s / t))
                    } else {
                        k = remaining
                    }
                case .evenSplit:
                    if j < budget {
                        k = initialMasked / budget + (j < initialMasked % budget ? 1 : 0)
                    } else {
                        k = remaining
                    }
                case .threshold:
                    k = j < budget ? -1 : remaining
                }
                k = min(k, remaining)
                if !hookEnabled && steps >= stepLimit { k = remaining }
                if k == 0 { j += 1; continue }  // the reference runs a forward here but commits nothing

                // Forward.
                let f0 = Self.now()
                var full = true
                switch o.cache {
                case .none: full = true
                case .dual(let every): full = !ws.cacheValid || (every > 0 && sinceRefresh >= every)
                }
                for s in s0..<s1 where masked[s] { for p in slots[s] { needed[model.sourceRow(for: p)] = true } }
                var outputCount = 0
                for r in activeRows where needed[Int(r)] {
                    outputRows[outputCount] = r
                    outputCount += 1
                    needed[Int(r)] = false
                }
                canvas.withUnsafeBufferPointer { cv in
                    outputRows.withUnsafeBufferPointer { out in
                        let wanted = UnsafeBufferPointer(rebasing: out[0..<outputCount])
                        if reusePending {
                            // The kept positions stay; only the others are computed.
                            reuseRows.withUnsafeBufferPointer { rows in
                                model.forwardRows(ws, tokens: cv.baseAddress!, count: n, rows: rows, outputRows: wanted)
                            }
                        } else if full {
                            model.forwardAll(ws, tokens: cv.baseAddress!, count: n, outputRows: wanted)
                        } else {
                            activeRows.withUnsafeBufferPointer { rows in
                                model.forwardRows(ws, tokens: cv.baseAddress!, count: n, rows: rows, outputRows: wanted)
                            }
                        }
                    }
                }
                let f1 = Self.now()
                if reusePending { full = true; reusePending = false }
                if full {
                    fullForwards += 1; sinceRefresh = 1; timings.fullForwardMs += Double(f1 - f0) / 1e6
                } else {
                    partialForwards += 1; sinceRefresh += 1; timings.partialForwardMs += Double(f1 - f0) / 1e6
                }

                // Logits for every member of every masked slot of this block.
                var rowsUsed = 0
                for s in s0..<s1 where masked[s] {
                    rowOfSlot[s] = rowsUsed
                    for p in slots[s] { logitPositions[rowsUsed] = Int32(p); rowsUsed += 1 }
                }
                logitPositions.withUnsafeBufferPointer { lp in
                    model.logits(ws, positions: UnsafeBufferPointer(rebasing: lp[0..<rowsUsed]))
                }
                let f2 = Self.now()
                timings.logitsMs += Double(f2 - f1) / 1e6

                // Score each masked slot.
                for s in s0..<s1 {
                    stepConf[s] = -.infinity
                    guard masked[s] else { continue }
                    let banned = BannedTokens(
                        mask: o.suppressMaskToken ? Int(maskID) : nil,
                        stops: s < o.minimumFillTokens ? stopIDs : (nil, nil),
                        stopPenalty: o.stopPenalty, penalized: stopIDs)
                    let (tok, conf) = score(
                        rows: rowOfSlot[s], members: slots[s].count, scratch: scratch,
                        vocab: V, options: o, banned: banned, rng: &rng)
                    stepToken[s] = tok
                    stepConf[s] = conf
                }
                func commit(_ s: Int) {
                    masked[s] = false
                    slotTokens[s] = stepToken[s]
                    slotConf[s] = stepConf[s]
                    for p in slots[s] { canvas[p] = stepToken[s] }
                }
                // Choose which to commit: top-k by confidence (ties to the earlier position), or the threshold.
                var committed = 0
                if k < 0, case .threshold(let tau, _) = o.schedule {
                    var best = -1
                    for s in s0..<s1 where masked[s] && (best < 0 || stepConf[s] > stepConf[best]) { best = s }
                    for s in s0..<s1 where masked[s] && (s == best || stepConf[s] >= tau) {
                        commit(s); committed += 1
                    }
                } else {
                    while committed < k {
                        var best = -1
                        for s in s0..<s1 where masked[s] && (best < 0 || stepConf[s] > stepConf[best]) { best = s }
                        commit(best); committed += 1
                    }
                }
                timings.samplingMs += Double(Self.now() - f2) / 1e6
                steps += 1
                j += 1

                if hookEnabled, let hook = o.stepHook {
                    if steps >= stepLimit {
                        hookEnabled = false
                    } else {
                        let again = hook(
                            StepState(
                                step: steps, canvas: canvas, fillPositions: fillPositions,
                                maskTokenID: maskID))
                        for p in again where p >= 0 && p < n && slotOf[p] >= 0 {
                            let s = slotOf[p]
                            masked[s] = true
                            for q in slots[s] { canvas[q] = maskID }
                        }
                    }
                }
            }
        }
        timings.totalMs = Double(Self.now() - start) / 1e6
        return DenoiseOutcome(
            canvas: canvas, slotTokens: slotTokens, slotConfidence: slotConf, steps: steps,
            fullForwards: fullForwards, partialForwards: partialForwards, reusedPositions: reused,
            timings: timings)
    }

    /// Chooses a token for one slot whose member logit rows start at `rows`, and scores its confidence.
    /// Token ids a slot may not take this step (no heap: a fixed handful).
    struct BannedTokens {
        var mask: Int?
        var stops: (Int?, Int?)
        /// Subtracted from the end-of-text and pad logits (`FillOptions.stopPenalty`) where they are allowed.
        var stopPenalty: Float = 0
        var penalized: (Int?, Int?) = (nil, nil)
    }

    private func score(
        rows r0: Int, members: Int, scratch: UnsafeMutablePointer<Float>, vocab V: Int,
        options o: FillOptions, banned: BannedTokens, rng: inout SeededRNG
    ) -> (Int32, Float) {
        // Slot logits: a member's own row, or the sum of the members' log-softmax rows.
        let p = scratch
        if members == 1 {
            p.update(from: ws.logits + r0 * V, count: V)
        } else {
            p.initialize(repeating: 0, count: V)
            for m in 0..<members {
                let row = ws.logits + (r0 + m) * V
                let lse = logSumExp(row, V)
                for i in 0..<V { p[i] += row[i] - lse }
            }
        }
        if let id = banned.mask, id >= 0, id < V { p[id] = -.infinity }
        if let id = banned.stops.0, id >= 0, id < V { p[id] = -.infinity }
        if let id = banned.stops.1, id >= 0, id < V { p[id] = -.infinity }
        if banned.stopPenalty != 0 {
            if let id = banned.penalized.0, id >= 0, id < V { p[id] -= banned.stopPenalty }
            if let id = banned.penalized.1, id >= 0, id < V, id != banned.penalized.0 { p[id] -= banned.stopPenalty }
        }
        if o.temperature > 0 {
            let inv = 1 / o.temperature
            for i in 0..<V { p[i] *= inv }
        }
        // Probabilities (in place), then Dream's filters: top-p, then top-k.
        Kernels.softmaxRows(p, rows: 1, n: V, stride: V)
        var filtered = false
        if o.topP < 1 {
            let tau = massThreshold(p, V, mass: o.topP)
            for i in 0..<V where p[i] < tau { p[i] = 0 }
            filtered = true
        }
        if o.topK > 0 && o.topK < V {
            let tau = rankThreshold(p, V, k: o.topK)
            for i in 0..<V where p[i] < tau { p[i] = 0 }
            filtered = true
        }
        if filtered {
            var s: Double = 0
            for i in 0..<V { s += Double(p[i]) }
            let inv = Float(1 / s)
            for i in 0..<V { p[i] *= inv }
        }
        var best = 0, second = -1
        for i in 1..<V where p[i] > p[best] { best = i }
        var token = best
        if o.temperature > 0 {
            let u = rng.unit()
            var acc: Double = 0
            token = -1
            for i in 0..<V {
                acc += Double(p[i])
                if u < acc { token = i; break }
            }
            if token < 0 { token = best }
        }
        let conf: Float
        switch o.confidence {
        case .maxProbability: conf = p[token]
        case .margin:
            for i in 0..<V where i != best && (second < 0 || p[i] > p[second]) { second = i }
            conf = p[best] - (second >= 0 ? p[second] : 0)
        case .negativeEntropy:
            conf = Kernels.negativeEntropy(p, V)
        }
        return (Int32(token), conf)
    }

    private func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s: Double = 0
        for i in 0..<n { s += Double(Kernels.exp1(x[i] - m)) }
        return m + Float(Foundation_log(s))
    }

    /// The largest τ with Σ_{p ≥ τ} p ≥ mass: keeping p ≥ τ keeps the smallest top set reaching `mass`
    /// (the token that crosses it included), found by bisection instead of a sort.
    private func massThreshold(_ p: UnsafePointer<Float>, _ n: Int, mass: Float) -> Float {
        var lo: Float = 0, hi: Float = 1
        for _ in 0..<40 {
            let mid = (lo + hi) / 2
            var s: Float = 0
            for i in 0..<n where p[i] >= mid { s += p[i] }
            if s >= mass { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// The largest τ with at least k probabilities ≥ τ (the k-th largest value).
    private func rankThreshold(_ p: UnsafePointer<Float>, _ n: Int, k: Int) -> Float {
        var lo: Float = 0, hi: Float = 1
        for _ in 0..<40 {
            let mid = (lo + hi) / 2
            var count = 0
            for i in 0..<n where p[i] >= mid { count += 1 }
            if count >= k { lo = mid } else { hi = mid }
        }
        return lo
    }
}
