import Foundation
import Testing
@testable import Engine

/// DreamOn-style expand/delete. The fixtures are random models without an expand token, so each test makes the
/// token the model is most sure of (at the start) play that role: the first step must then expand or delete.
@Suite struct VariableLengthTests {
    /// The token committed first by a one-per-step greedy fill of `length` masks (mask id excluded).
    static func firstCommit(_ engine: Engine, length: Int) throws -> Int {
        let mask = engine.config.maskTokenID!
        let canvas = Fixtures.prefix + [Int](repeating: mask, count: length) + Fixtures.suffix
        let positions = (Fixtures.prefix.count..<(Fixtures.prefix.count + length)).map { $0 }
        let rows = positions.map { engine.config.shiftLogits ? $0 - 1 : $0 }
        var best: (p: Float, token: Int) = (-1, 0)
        for logits in try engine.forward(canvas, rows: rows) {
            var l = logits
            l[mask] = -.infinity
            let m = l.max()!
            let sum = l.reduce(0) { $0 + exp($1 - m) }
            let token = l.firstIndex(of: m)!
            if 1 / sum > best.p { best = (1 / sum, token) }
        }
        return best.token
    }

    @Test(arguments: ["dream_tied", "llada_tied"])
    func expandGrowsTheHoleWithinItsBudget(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let expand = try Self.firstCommit(engine, length: 4)
        var o = FillOptions(trimAtEndOfText: false)
        o.variableLength = VariableLength(
            expandTokenID: expand, deleteTokenID: engine.config.maskTokenID!, maxLength: 7)
        let r = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 4, options: o)
        #expect(r.expansions >= 1)
        #expect(r.holeTokens.count == 4 + r.expansions - r.deletions)
        #expect(r.holeTokens.count <= 7)
        #expect(!r.holeTokens.contains(expand) && !r.holeTokens.contains(engine.config.maskTokenID!))
        // Every step commits a token, expands or deletes, each with a full forward.
        #expect(r.fullForwards == r.steps && r.steps == r.holeTokens.count + r.expansions + r.deletions)
    }

    @Test(arguments: ["dream_tied", "llada_tied"])
    func deleteShrinksTheHole(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let delete = try Self.firstCommit(engine, length: 6)
        var o = FillOptions(trimAtEndOfText: false)
        // Expanding is impossible here: the hole starts at its maximum length.
        o.variableLength = VariableLength(
            expandTokenID: engine.config.maskTokenID!, deleteTokenID: delete, maxLength: 6)
        let r = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 6, options: o)
        #expect(r.deletions >= 1 && r.expansions == 0)
        #expect(r.holeTokens.count == 6 - r.deletions)
        #expect(!r.holeTokens.contains(delete))
    }

    @Test func expandTokenComesFromTheConfig() throws {
        var json = ModelConfigTests.llada
        json["expand_token_id"] = 7
        #expect(try ModelConfigTests.parse(json).expandTokenID == 7)
        #expect(try ModelConfigTests.parse(ModelConfigTests.llada).expandTokenID == nil)
    }
}
