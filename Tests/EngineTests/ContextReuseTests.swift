import Foundation
import Testing
@testable import Engine

/// Keys and values kept from one fill for the next (`ContextReuse`).
@Suite struct ContextReuseTests {
    /// The first position each fixture family computes itself: the hole, or the row before it when shifted.
    static func firstActive(_ engine: Engine, contextCount: Int) -> Int {
        contextCount - (engine.config.shiftLogits ? 1 : 0)
    }

    /// A one-step fill decides everything from its first forward. Asked twice for the same canvas, the second
    /// fill's kept positions hold exactly what a full forward would compute, so the answer is the same as an
    /// unshared fill's, while only the hole and the suffix are recomputed.
    @Test(arguments: ["dream_tied", "llada_tied"])
    func repeatedCanvasReusesTheContextAndAnswersTheSame(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let reuse = ContextReuse()
        var o = FillOptions(schedule: .timesteps(steps: 1), cache: .dual(), trimAtEndOfText: false)
        let alone = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        o.contextReuse = reuse
        let first = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        let second = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(first.reusedPositions == 0)
        #expect(second.reusedPositions == Self.firstActive(engine, contextCount: Fixtures.prefix.count))
        #expect(second.holeTokens == alone.holeTokens && first.holeTokens == alone.holeTokens)
        #expect(reuse.statistics.fills == 2 && reuse.statistics.reusedFills == 1)
    }

    /// Typing: the next canvas has two more prefix tokens; the kept positions stop where the canvases differ.
    @Test(arguments: ["dream_tied", "llada_tied"])
    func typedTokensKeepTheCommonPrefix(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        var o = FillOptions(schedule: .timesteps(steps: 4), cache: .dual())
        o.contextReuse = ContextReuse()
        let before = Array(Fixtures.prefix.dropLast(2))
        _ = try engine.fill(context: before, suffix: Fixtures.suffix, holeLength: 6, options: o)
        let after = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 6, options: o)
        #expect(after.reusedPositions == Self.firstActive(engine, contextCount: before.count))
        #expect(after.holeTokens.count == 6 && after.fullForwards == 1)
        // Editing near the start leaves almost nothing to keep.
        var edited = Fixtures.prefix
        edited[1] = edited[1] == 5 ? 6 : 5
        let early = try engine.fill(context: edited, suffix: Fixtures.suffix, holeLength: 6, options: o)
        #expect(early.reusedPositions == 1)
    }

    @Test func chainLimitForcesAFullForwardAndExactModeNeverReuses() throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        let reuse = ContextReuse(maxChain: 1)
        var o = FillOptions(schedule: .timesteps(steps: 2), cache: .dual())
        o.contextReuse = reuse
        let reused = try (0..<4).map { _ in
            try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 4, options: o)
                .reusedPositions
        }
        #expect(reused.map { $0 > 0 } == [false, true, false, true])
        o.cache = .none
        let exact = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 4, options: o)
        #expect(exact.reusedPositions == 0 && exact.partialForwards == 0)
        // A canvas larger than the kept buffers gets its own workspace.
        o.cache = .dual()
        let long = Fixtures.prefix + Fixtures.prefix + Fixtures.prefix + Fixtures.prefix
        let grown = try engine.fill(context: long, suffix: Fixtures.suffix, holeLength: 4, options: o)
        #expect(grown.reusedPositions == 0)
    }
}

/// Finding what a new canvas shares with the kept one, and moving keys along the canvas.
@Suite struct ContextReusePlanTests {
    static func tokens(_ range: Range<Int>) -> [Int32] { range.map { Int32(100 + $0 * 7 % 97) } }

    @Test func slidWindowIsFoundAfterTheCommonStart() {
        // Kept: header H (10 tokens) + prefix P (60), hole (4), suffix S (20). New: H + P without its first 5
        // tokens + 3 typed ones, a hole of 4, S again (now one position to the left).
        let header = Self.tokens(0..<10).map { $0 + 1000 }, prefix = Self.tokens(0..<60)
        let suffix = Self.tokens(60..<80).map { $0 + 2000 }
        let kept = header + prefix + [1, 1, 1, 1] + suffix
        let valid = [0..<70, 74..<94]
        let context = header + Array(prefix.dropFirst(5)) + [7, 8, 9]
        let canvas = context + [1, 1, 1, 1] + suffix
        let plan = ContextReuse.plan(
            kept: kept, valid: valid, canvas: canvas,
            allowed: [0..<context.count, (context.count + 4)..<canvas.count])
        #expect(plan.common == 10)
        #expect(
            plan.moves == [
                ContextReuse.Move(from: 15, to: 10, count: 55), ContextReuse.Move(from: 74, to: 72, count: 20),
            ])
        #expect(plan.reused == 85)
        #expect(plan.rowsToCompute(canvas.count) == (65..<72).map(Int32.init))
        // A shared run too short to be worth moving: only the common start.
        let other = ContextReuse.plan(
            kept: kept, valid: valid, canvas: header + [1, 2, 3] + Array(prefix.suffix(6)),
            allowed: [0..<19])
        #expect(other.common == 10 && other.moves.isEmpty)
        // Kept positions outside the valid ranges (the kept hole) are never used.
        let early = ContextReuse.plan(kept: kept, valid: [0..<12], canvas: canvas, allowed: [0..<context.count])
        #expect(early.common == 10 && early.moves.isEmpty)
    }

    /// Two runs whose destination and source overlap are ordered so that neither reads what the other wrote; two
    /// runs that swap places cannot both move, and the longer one does.
    @Test func movesAreOrderedSoNoneReadsAnOverwrittenRun() {
        let a = Self.tokens(0..<30), b = Self.tokens(30..<60).map { $0 + 500 }
        let junk = { (n: Int) in [Int32](repeating: 9, count: n) }
        // Kept: a at 0..<30, b at 30..<60. New: a at 20..<50 (over b's old place), b at 60..<90.
        let plan = ContextReuse.plan(
            kept: a + b, valid: [0..<60], canvas: junk(20) + a + junk(10) + b,
            allowed: [0..<50, 60..<90])
        #expect(
            plan.moves == [
                ContextReuse.Move(from: 30, to: 60, count: 30), ContextReuse.Move(from: 0, to: 20, count: 30),
            ])
        // Swapped: b at 0..<30 and a at 35..<65, each over the other's old place.
        let swapped = ContextReuse.plan(
            kept: a + junk(10) + b, valid: [0..<70], canvas: b + junk(5) + a,
            allowed: [0..<30, 35..<65])
        #expect(swapped.moves.count == 1 && swapped.reused == 30)
    }

    /// Layer 0's keys and values depend on nothing but each token and its position, so moving a run computed at
    /// offset 0 to offset 3 must give exactly what a forward pass computes for the run at offset 3.
    @Test(arguments: ["dream_tied", "llada_tied"])
    func movedKeysEqualKeysComputedAtTheNewPosition(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let run = Fixtures.prefix.map(Int32.init)
        let shifted = [Int32(5), 6, 7] + run
        let c = engine.config
        let kvd = c.numKVHeads * c.headDim
        let a = Workspace(config: c, capacity: shifted.count, logitCapacity: 1)
        shifted.withUnsafeBufferPointer { engine.model.forwardAll(a, tokens: $0.baseAddress!, count: shifted.count) }
        let b = Workspace(config: c, capacity: shifted.count, logitCapacity: 1)
        run.withUnsafeBufferPointer { engine.model.forwardAll(b, tokens: $0.baseAddress!, count: run.count) }
        engine.model.moveCache(b, from: 0, to: 3, count: run.count)
        let k0 = Array(UnsafeBufferPointer(start: a.kCache[0] + 3 * kvd, count: run.count * kvd))
        let k1 = Array(UnsafeBufferPointer(start: b.kCache[0] + 3 * kvd, count: run.count * kvd))
        let v0 = Array(UnsafeBufferPointer(start: a.vCache[0] + 3 * kvd, count: run.count * kvd))
        let v1 = Array(UnsafeBufferPointer(start: b.vCache[0] + 3 * kvd, count: run.count * kvd))
        #expect(Fixtures.maxAbsDiff(k0, k1) < 1e-4)
        #expect(Fixtures.maxAbsDiff(v0, v1) == 0)
    }

    /// Typing where the prefix window slides: the fill keeps the slid run and computes the rest.
    @Test func slidingPrefixIsReusedByAFill() throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        let body = (0..<80).map { 3 + ($0 * 37) % 300 }
        var o = FillOptions(schedule: .timesteps(steps: 3), cache: .dual())
        o.contextReuse = ContextReuse()
        _ = try engine.fill(context: [2] + body, suffix: Fixtures.suffix, holeLength: 6, options: o)
        let slid = try engine.fill(
            context: [2] + Array(body.dropFirst(4)) + [11, 12], suffix: Fixtures.suffix,
            holeLength: 6, options: o)
        #expect(slid.reusedPositions == 1 + 76)
        #expect(slid.holeTokens.count == 6 && slid.fullForwards == 1)
    }
}
