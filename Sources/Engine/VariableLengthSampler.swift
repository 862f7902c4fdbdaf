import Dispatch

/// DreamOn-style variable-length infilling: the hole grows or shrinks while it is denoised, for models trained
/// with an expand token (arXiv 2602.01326; DreamOn's `batch_generate_with_expand_as_token`).
public struct VariableLength: Sendable, Equatable {
    /// Committing this token at a position replaces it by two masks: the hole grows by one.
    public var expandTokenID: Int
    /// Committing this token at a position removes the position: the hole shrinks by one (DreamOn uses its
    /// end-of-text token).
    public var deleteTokenID: Int
    /// The hole never grows beyond this many positions (the expand token is banned once it is reached).
    public var maxLength: Int

    public init(expandTokenID: Int, deleteTokenID: Int, maxLength: Int) {
        self.expandTokenID = expandTokenID
        self.deleteTokenID = deleteTokenID
        self.maxLength = maxLength
    }
}

/// The variable-length loop. Every step runs the whole canvas (positions move whenever the hole changes length, so
/// no cache survives a step), scores every masked position, and commits the single most confident one; an expand
/// becomes two masks, a delete removes its position. Each step either fills a mask, removes one, or adds one while
/// below `maxLength`, so the loop ends.
struct VariableLengthDenoiser {
    let model: Transformer

    struct Outcome {
        var hole: [Int32]
        var steps: Int
        var expansions: Int
        var deletions: Int
        var milliseconds: Double
    }

    func run(context: [Int32], suffix: [Int32], initialLength: Int, rule: VariableLength, options o: FillOptions)
        throws -> Outcome
    {
        let c = model.config
        guard let mask = c.maskTokenID.map(Int32.init) else {
            throw EngineError.invalidRequest("the model has no mask token id")
        }
        let V = c.embeddingSize
        for id in [rule.expandTokenID, rule.deleteTokenID] where id < 0 || id >= V {
            throw EngineError.invalidRequest("token id \(id) outside the vocabulary (\(V))")
        }
        let maxLength = max(rule.maxLength, initialLength, 1)
        let capacity = context.count + maxLength + suffix.count
        guard capacity <= c.maxPositions else {
            throw EngineError.invalidRequest(
                "canvas of up to \(capacity) tokens exceeds the model's \(c.maxPositions) positions")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let ws = Workspace(config: c, capacity: capacity, logitCapacity: maxLength)
        var hole = [Int32](repeating: mask, count: max(1, initialLength))
        hole.reserveCapacity(maxLength + 1)  // grows in place: the loop does not allocate
        var canvas = [Int32](repeating: 0, count: capacity)
        var rows = [Int32](repeating: 0, count: maxLength)
        var positions = [Int32](repeating: 0, count: maxLength)
        var rng = SeededRNG(seed: o.seed)
        var steps = 0, expansions = 0, deletions = 0
        // Generous: every position can be expanded once and committed once.
        let stepLimit = 4 * maxLength + 16
        while hole.contains(mask) && steps < stepLimit {
            if o.isCancelled?() == true || o.cancellation?.isCancelled == true { throw EngineError.cancelled }
            let n = context.count + hole.count + suffix.count
            for (i, t) in context.enumerated() { canvas[i] = t }
            for (i, t) in hole.enumerated() { canvas[context.count + i] = t }
            for (i, t) in suffix.enumerated() { canvas[context.count + hole.count + i] = t }
            // The masked positions and the rows that predict them (the row before, for shifted models).
            var count = 0
            for (i, t) in hole.enumerated() where t == mask {
                positions[count] = Int32(context.count + i)
                count += 1
            }
            // Positions increase, so their source rows do too; only neighbours can coincide.
            var rowCount = 0
            for j in 0..<count {
                let r = Int32(model.sourceRow(for: Int(positions[j])))
                if rowCount == 0 || rows[rowCount - 1] != r { rows[rowCount] = r; rowCount += 1 }
            }
            canvas.withUnsafeBufferPointer { cv in
                rows.withUnsafeBufferPointer { rp in
                    model.forwardAll(
                        ws, tokens: cv.baseAddress!, count: n,
                        outputRows: UnsafeBufferPointer(rebasing: rp[0..<rowCount]))
                }
            }
            positions.withUnsafeBufferPointer { pp in
                model.logits(ws, positions: UnsafeBufferPointer(rebasing: pp[0..<count]))
            }
            // The most confident masked position.
            let canExpand = hole.count < maxLength
            var bestPosition = -1, bestToken: Int32 = 0, bestConfidence = -Float.infinity
            for j in 0..<count {
                let row = ws.logits + j * V
                row[Int(mask)] = -.infinity
                if !canExpand { row[rule.expandTokenID] = -.infinity }
                if o.temperature > 0 { for i in 0..<V { row[i] /= o.temperature } }
                Kernels.softmaxRows(row, rows: 1, n: V, stride: V)
                var token = 0
                for i in 1..<V where row[i] > row[token] { token = i }
                let confidence = row[token]
                if o.temperature > 0 {
                    let u = rng.unit()
                    var acc = 0.0
                    for i in 0..<V {
                        acc += Double(row[i])
                        if acc >= u { token = i; break }
                    }
                }
                if confidence > bestConfidence {
                    bestConfidence = confidence
                    bestPosition = Int(positions[j]) - context.count
                    bestToken = Int32(token)
                }
            }
            steps += 1
            if Int(bestToken) == rule.expandTokenID {
                hole.replaceSubrange(bestPosition...bestPosition, with: [mask, mask])
                expansions += 1
            } else if Int(bestToken) == rule.deleteTokenID {
                hole.remove(at: bestPosition)
                deletions += 1
            } else {
                hole[bestPosition] = bestToken
            }
        }
        // Past the step limit (never reached by the rules above), whatever is still masked is dropped.
        hole.removeAll { $0 == mask }
        return Outcome(
            hole: hole, steps: steps, expansions: expansions, deletions: deletions,
            milliseconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
}
