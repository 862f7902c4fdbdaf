import Engine
import Foundation
import Testing

/// The committed default model, run by the Swift engine, against the PyTorch reference's outputs for the same
/// weights (`Models/default/reference.json`, written by `Training/export.py` / `reference_forward.make_fixture`).
struct DefaultModelParityTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            var name: String
            var ids: [Int]
            /// Position → the top (token id, logit) pairs, highest first.
            var logits_top: [String: [[Double]]]
            var greedy_final_ids: [Int]
        }
        var cases: [Case]
    }

    static func load() throws -> (Engine, Reference) {
        let engine = try Engine.load(directory: DefaultModelTests.modelPath)
        let data = try Data(contentsOf: URL(fileURLWithPath: DefaultModelTests.modelPath + "/reference.json"))
        return (engine, try JSONDecoder().decode(Reference.self, from: data))
    }

    @Test func logitsMatchThePyTorchReference() throws {
        let (engine, reference) = try Self.load()
        #expect(reference.cases.count >= 3)
        for testCase in reference.cases {
            let rows = testCase.logits_top.keys.compactMap(Int.init).sorted()
            let logits = try engine.forward(testCase.ids, rows: rows)
            for (row, position) in zip(logits, rows) {
                for pair in testCase.logits_top[String(position)] ?? [] {
                    let token = Int(pair[0])
                    // f16 weights computed in f32 on both sides; summation order differs.
                    #expect(
                        abs(Double(row[token]) - pair[1]) < 2e-3, "\(testCase.name) position \(position) token \(token)"
                    )
                }
            }
        }
    }

    @Test func greedyInfillMatchesThePyTorchReference() throws {
        let (engine, reference) = try Self.load()
        for testCase in reference.cases {
            let mask = engine.config.maskTokenID!
            guard let first = testCase.ids.firstIndex(of: mask), let last = testCase.ids.lastIndex(of: mask) else {
                Issue.record("\(testCase.name) has no hole"); continue
            }
            let length = last - first + 1
            var options = FillOptions()
            // The reference commits one position per step, most confident first, with the mask token banned.
            options.schedule = .evenSplit(steps: length)
            options.cache = .none
            options.trimAtEndOfText = false
            options.suppressMaskToken = true
            let result = try engine.fill(
                context: Array(testCase.ids[..<first]),
                suffix: Array(testCase.ids[(last + 1)...]), holeLength: length,
                options: options)
            #expect(result.holeTokens == Array(testCase.greedy_final_ids[first...last]), "\(testCase.name)")
        }
    }
}
