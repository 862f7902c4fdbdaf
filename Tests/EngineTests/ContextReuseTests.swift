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
            try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 4, options: o).reusedPositions
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
