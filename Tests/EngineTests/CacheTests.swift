import Foundation
import Testing
@testable import Engine

/// The dual cache: exact when nothing changed, close to the exact sampler when the hole fills in.
@Suite struct CacheTests {
    /// Recomputing only the hole rows against a cache built from the same canvas reproduces the full forward.
    @Test(arguments: ["dream_tied", "llada_tied"])
    func partialForwardEqualsFullForwardOnUnchangedCanvas(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let canvas = Fixtures.canvas.map(Int32.init)
        let n = canvas.count, d = engine.config.hiddenSize
        let start = Fixtures.prefix.count
        var rows = Array(start..<(start + Fixtures.hole)).map(Int32.init)
        if engine.config.shiftLogits { rows.insert(Int32(start - 1), at: 0) }
        let ws = Workspace(config: engine.config, capacity: n, logitCapacity: n)
        canvas.withUnsafeBufferPointer { engine.model.forwardAll(ws, tokens: $0.baseAddress!, count: n) }
        let full = Array(UnsafeBufferPointer(start: ws.x, count: n * d))
        canvas.withUnsafeBufferPointer { cv in
            rows.withUnsafeBufferPointer { rp in
                engine.model.forwardRows(ws, tokens: cv.baseAddress!, count: n, rows: rp)
            }
        }
        for (j, p) in rows.enumerated() {
            let a = Array(UnsafeBufferPointer(start: ws.x + j * d, count: d))
            let b = Array(full[Int(p) * d..<(Int(p) + 1) * d])
            #expect(Fixtures.maxAbsDiff(a, b) < 1e-4, "row \(p)")
        }
    }

    @Test func cachedFillUsesPartialForwardsAndAgreesWithExact() throws {
        let engine = try Engine.load(directory: Fixtures.path("dream_untied"))
        var o = FillOptions(schedule: .timesteps(steps: 8), cache: .dual())
        let cached = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(cached.fullForwards == 1 && cached.partialForwards == cached.steps - 1)
        o.cache = .dual(refreshEvery: 2)
        let refreshed = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(refreshed.fullForwards == (refreshed.steps + 1) / 2)
        o.cache = .none
        let exact = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(exact.partialForwards == 0 && exact.fullForwards == exact.steps)
        let holes = (0..<6).map { i in
            HoleSpec(context: Array(Fixtures.prefix.prefix(8 + i)), suffix: Fixtures.suffix, length: 6)
        }
        let agreement = try engine.measureCacheAgreement(
            holes: holes, options: FillOptions(schedule: .timesteps(steps: 6)))
        #expect(agreement.holes == 6)
        // On these random weights the approximate cache does change some tokens (so the next check means something).
        #expect(agreement.tokenAgreement > 0 && agreement.tokenAgreement < 1)
        // Refreshing every step makes the cached sampler the exact one: full agreement.
        let refreshEveryStep = try engine.measureCacheAgreement(
            holes: holes, options: FillOptions(schedule: .timesteps(steps: 6), cache: .dual(refreshEvery: 1)))
        #expect(refreshEveryStep.tokenAgreement == 1 && refreshEveryStep.exactHoles == 1)
    }

    @Test func singleStepFillIsExactWithCache() throws {
        // One step: the whole hole is decided from the first (full) forward, identical in both modes.
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        var o = FillOptions(schedule: .timesteps(steps: 1), cache: .dual(), trimAtEndOfText: false)
        let a = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        o.cache = .none
        let b = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 8, options: o)
        #expect(a.holeTokens == b.holeTokens)
    }
}

@Suite struct ConcurrencyTests {
    /// One engine, several threads at once: each request has its own workspace, so results equal the serial ones.
    @Test func concurrentFillsMatchSerial() async throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        let o = FillOptions(schedule: .timesteps(steps: 4), trimAtEndOfText: false)
        let serial = try (0..<4).map { i in
            try engine.fill(
                context: Array(Fixtures.prefix.dropFirst(i)), suffix: Fixtures.suffix, holeLength: 6,
                options: o
            ).holeTokens
        }
        let parallel = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for i in 0..<4 {
                group.addTask {
                    (
                        i,
                        try engine.fill(
                            context: Array(Fixtures.prefix.dropFirst(i)), suffix: Fixtures.suffix,
                            holeLength: 6, options: o
                        ).holeTokens
                    )
                }
            }
            var out = [[Int]](repeating: [], count: 4)
            for try await (i, t) in group { out[i] = t }
            return out
        }
        #expect(parallel == serial)
    }

    @Test func modelInfo() throws {
        let info = try Engine.load(directory: Fixtures.path("llada_tied")).info
        #expect(info.family == "llada" && info.layers == 2 && info.maskTokenID == 1 && info.fileSepTokenID == 2)
        #expect(info.tokenizer.hasPrefix("tokenizer.json"))
        #expect(info.parameters > 0 && info.dtypes.hasPrefix("F32×"))
    }
}
