import Foundation
import Synchronization
import Testing
@testable import Engine

/// Sampler behaviour beyond greedy parity: seeds, schedules, blocks, tied spans, hooks, cancellation, trimming.
@Suite struct SamplerTests {
    let engine: Engine
    init() throws { engine = try Engine.load(directory: Fixtures.path("dream_untied")) }

    func fill(_ o: FillOptions, hole: Int = 8) throws -> FillResult {
        try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: hole, options: o)
    }

    @Test func seededSamplingIsDeterministic() throws {
        var o = FillOptions(temperature: 1.5, topK: 50, topP: 0.95, seed: 7, trimAtEndOfText: false)
        let a = try fill(o), b = try fill(o)
        // The draws are the same; the probabilities agree to rounding: they were seen to differ in their last bits
        // between two calls on a loaded two-core machine (cause not found; the draws were equal).
        #expect(a.holeTokens == b.holeTokens && a.confidences.count == b.confidences.count)
        #expect(zip(a.confidences, b.confidences).allSatisfy { abs($0 - $1) < 1e-4 })
        // Different seeds give different draws somewhere among a few tries.
        var differs = false
        for s in 8..<14 where !differs {
            o.seed = UInt64(s)
            differs = try fill(o).holeTokens != a.holeTokens
        }
        #expect(differs)
    }

    @Test func topKOneIsGreedy() throws {
        // One step, so the commit order (which top-k's renormalised confidences change) does not matter.
        let greedy = try fill(FillOptions(schedule: .timesteps(steps: 1), trimAtEndOfText: false))
        let k1 = try fill(
            FillOptions(
                temperature: 2, topK: 1, seed: 3, schedule: .timesteps(steps: 1),
                trimAtEndOfText: false))
        #expect(k1.confidences.allSatisfy { abs($0 - 1) < 1e-6 })
        #expect(greedy.holeTokens == k1.holeTokens)
    }

    @Test func thresholdCommitsAtLeastOnePerStep() throws {
        let never = try fill(FillOptions(schedule: .threshold(1.1, maxSteps: 100)))
        #expect(never.steps == 8)  // nothing reaches 1.1: exactly one per step
        let always = try fill(FillOptions(schedule: .threshold(0, maxSteps: 100)))
        #expect(always.steps == 1)  // everything reaches 0 at once
        let capped = try fill(FillOptions(schedule: .threshold(1.1, maxSteps: 3)))
        #expect(capped.steps == 4 && !capped.holeTokens.contains(engine.config.maskTokenID!))
    }

    @Test func timestepScheduleMatchesDreamCounts() throws {
        // 8 masks, 4 steps, eps 1e-3: Dream commits int(8·(1−s/t)) = 1, then 2 of 7, then 2 of 5, then the rest.
        let seen = Mutex<[Int]>([])
        var o = FillOptions(schedule: .timesteps(steps: 4), cache: .none)
        o.stepHook = { state in
            let masked = state.fillPositions.filter { state.canvas[$0] == state.maskTokenID }.count
            seen.withLock { $0.append(masked) }
            return []
        }
        _ = try fill(o)
        #expect(seen.withLock { $0 } == [7, 5, 3, 0])
    }

    @Test func blocksDecodeLeftToRight() throws {
        let snapshots = Mutex<[[Bool]]>([])
        var o = FillOptions(schedule: .evenSplit(steps: 4), blockLength: 4)
        o.stepHook = { state in
            snapshots.withLock { $0.append(state.fillPositions.map { state.canvas[$0] == state.maskTokenID }) }
            return []
        }
        let r = try fill(o)
        #expect(r.steps == 4)
        let s = snapshots.withLock { $0 }
        // After two steps the first block is complete and the second untouched.
        #expect(s[1] == [false, false, false, false, true, true, true, true])
        #expect(s[0][4...].allSatisfy { $0 })
    }

    @Test func stepHookCanRemask() throws {
        // LLaDA's even split commits a fixed 2 per step over 4 steps; one position re-masked after the first step
        // costs one extra step, and the hook sees it masked again.
        let calls = Mutex(0)
        let remasked = Mutex(-1)
        var o = FillOptions(schedule: .evenSplit(steps: 4))
        o.stepHook = { state in
            let n = calls.withLock {
                $0 += 1; return $0
            }
            if n == 1 {
                let p = state.fillPositions.first { state.canvas[$0] != state.maskTokenID }!
                remasked.withLock { $0 = p }
                return [p]
            }
            return []
        }
        let r = try fill(o)
        #expect(r.steps == 5 && calls.withLock { $0 } == 5)
        #expect(remasked.withLock { $0 } >= Fixtures.prefix.count)
        #expect(!r.holeTokens.contains(engine.config.maskTokenID!))
        // A hook that always re-masks everything still terminates after the extra-step allowance.
        var o2 = FillOptions(schedule: .timesteps(steps: 4))
        o2.maxExtraSteps = 3
        o2.stepHook = { $0.fillPositions }
        let r2 = try fill(o2)
        #expect(r2.steps <= 4 + 3 + 1 && !r2.holeTokens.contains(engine.config.maskTokenID!))
    }

    @Test func cancellationBetweenSteps() throws {
        let flag = CancellationFlag()
        var o = FillOptions(schedule: .timesteps(steps: 8))
        o.cancellation = flag
        o.stepHook = { _ in
            flag.cancel(); return []
        }
        #expect(throws: EngineError.cancelled) { try fill(o) }
        var o2 = FillOptions()
        o2.isCancelled = { true }
        #expect(throws: EngineError.cancelled) { try fill(o2) }
    }

    @Test func trimmingAtFirstEndOfText() {
        #expect(Engine.trimmedLength([5, 6, 0, 0], stops: [0]) == 2)
        #expect(Engine.trimmedLength([0, 6], stops: [0]) == 0)
        #expect(Engine.trimmedLength([5, 6], stops: [0]) == 2)
    }

    @Test func tiedSpansDecodeIdenticallyFromSummedLogProbs() throws {
        let mask = engine.config.maskTokenID!
        var canvas = Fixtures.prefix + [mask, mask] + [10, 67] + [mask, mask] + Fixtures.suffix
        let a = Fixtures.prefix.count, b = a + 4
        let groups = [[a..<(a + 2), b..<(b + 2)]]
        // One step: everything is decided from the first forward, so we can recompute the choice by hand.
        let r = try engine.decideTiedSpans(
            canvas: canvas, groups: groups,
            options: FillOptions(schedule: .timesteps(steps: 1), cache: .none))
        #expect(r.tokens.count == 1 && r.tokens[0].count == 2)
        #expect(Array(r.canvas[a..<(a + 2)]) == r.tokens[0] && Array(r.canvas[b..<(b + 2)]) == r.tokens[0])
        let logits = try engine.forward(canvas)
        func logSoftmax(_ row: [Float]) -> [Double] {
            let m = row.max()!
            let lse = Double(m) + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) })
            return row.map { Double($0) - lse }
        }
        for i in 0..<2 {
            // Shifted model: position p is predicted by row p−1.
            let x = logSoftmax(logits[a + i - 1]), y = logSoftmax(logits[b + i - 1])
            let sum = zip(x, y).map { $0 + $1 }
            #expect(r.tokens[0][i] == sum.indices.max { sum[$0] < sum[$1] }!)
        }
        // Multi-step with the cache: still identical across the spans.
        canvas = r.canvas
        let r2 = try engine.decideTiedSpans(
            canvas: Fixtures.prefix + [mask, mask, mask] + Fixtures.suffix
                + [mask, mask, mask],
            groups: [[a..<(a + 3), (a + 3 + Fixtures.suffix.count)..<(a + 6 + Fixtures.suffix.count)]],
            options: FillOptions(schedule: .timesteps(steps: 3)))
        #expect(r2.tokens[0].count == 3 && !r2.tokens[0].contains(mask))
        #expect(throws: EngineError.self) {
            try engine.decideTiedSpans(canvas: canvas, groups: [[a..<(a + 2), b..<(b + 3)]])
        }
    }
}

/// `stopPenalty` pushes end-of-text and pad down at every fill position.
@Suite struct StopPenaltyTests {
    @Test func aLargePenaltyKeepsEndOfTextOutOfTheHole() throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        let eos = engine.config.eosTokenID!
        var o = FillOptions(schedule: .timesteps(steps: 8), trimAtEndOfText: false)
        // Make ending the likeliest answer first, so the penalty has something to overturn.
        var plain = o
        plain.stopPenalty = -50
        let eager = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: plain)
        #expect(eager.holeTokens.allSatisfy { $0 == eos })
        o.stopPenalty = 50
        let penalized = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(!penalized.holeTokens.contains(eos))
        o.stopPenalty = 0
        let neutral = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(neutral.holeTokens != eager.holeTokens)
    }
}
