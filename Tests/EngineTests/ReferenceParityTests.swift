import Foundation
import Testing
@testable import Engine

/// The engine against the PyTorch / transformers reference (fixtures from make_fixtures.py).
@Suite struct ReferenceParityTests {
    static let safetensorsModels = ["dream_tied", "dream_untied", "dream_bf16", "llada_tied", "llada_f16"]

    @Test(arguments: safetensorsModels)
    func logitsMatchReference(name: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let expected = Fixtures.logits(name)
        let rows = expected.keys.sorted()
        let got = try engine.forward(Fixtures.canvas, rows: rows)
        for (i, r) in rows.enumerated() {
            let diff = Fixtures.maxAbsDiff(got[i], expected[r]!)
            #expect(diff < 1e-4, "\(name) row \(r): max |Δ| = \(diff)")
        }
    }

    @Test func configFamiliesAndShift() throws {
        let dream = try Engine.load(directory: Fixtures.path("dream_untied"))
        #expect(dream.config.family == .dream && dream.config.shiftLogits && !dream.config.tiedEmbeddings)
        #expect(dream.config.ropeLinearFactor == 2)
        #expect(dream.config.numKVHeads == 2 && dream.config.headDim == 16)
        let llada = try Engine.load(directory: Fixtures.path("llada_tied"))
        #expect(llada.config.family == .llada && !llada.config.shiftLogits && llada.config.tiedEmbeddings)
        #expect(llada.config.embeddingSize == llada.config.vocabSize + 24)
        #expect(llada.config.fileSepTokenID == 2 && llada.config.maskTokenID == 1)
        #expect(try Engine.load(directory: Fixtures.path("llada_f16")).dtypeSummary.contains("F16"))
        #expect(try Engine.load(directory: Fixtures.path("dream_bf16")).dtypeSummary.contains("BF16"))
    }

    @Test(arguments: [
        ("dream_tied", "maskgit_plus"), ("dream_tied", "entropy"), ("dream_untied", "maskgit_plus"),
        ("dream_untied", "entropy"), ("dream_untied", "topk_margin"), ("dream_bf16", "maskgit_plus"),
        ("dream_bf16", "entropy"), ("dream_bf16", "topk_margin"),
    ])
    func dreamGreedyDenoisingMatchesReference(name: String, alg: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let g = Fixtures.greedy(name, alg)
        var o = FillOptions(schedule: .timesteps(steps: g.steps, eps: 1e-3), cache: .none, trimAtEndOfText: false)
        o.confidence = [
            "maskgit_plus": .maxProbability, "entropy": .negativeEntropy,
            "topk_margin": .margin,
        ][alg]!
        let r = try engine.fill(
            context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: Fixtures.hole, options: o)
        #expect(r.holeTokens == g.hole, "\(name)/\(alg)")
    }

    @Test(arguments: [
        ("llada_tied", "low_confidence_block4"), ("llada_tied", "low_confidence"),
        ("llada_f16", "low_confidence_block4"), ("llada_f16", "low_confidence"),
    ])
    func lladaGreedyDenoisingMatchesReference(name: String, alg: String) throws {
        let engine = try Engine.load(directory: Fixtures.path(name))
        let g = Fixtures.greedy(name, alg)
        let o = FillOptions(
            schedule: .evenSplit(steps: g.steps), blockLength: g.block, cache: .none,
            trimAtEndOfText: false)
        let r = try engine.fill(
            context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: Fixtures.hole, options: o)
        #expect(r.holeTokens == g.hole, "\(name)/\(alg)")
        #expect(r.steps == g.steps)
    }

    /// The engine's logits on the fixture canvas against `expected.json`'s for `name`, within 1e-4; returns the
    /// rows compared and the engine's logits for them.
    static func expectReferenceLogits(_ engine: Engine, _ name: String) throws -> ([Int], [[Float]]) {
        let expected = Fixtures.logits(name)
        let rows = expected.keys.sorted()
        let got = try engine.forward(Fixtures.canvas, rows: rows)
        for (i, r) in rows.enumerated() {
            let diff = Fixtures.maxAbsDiff(got[i], expected[r]!)
            #expect(diff < 1e-4, "\(name) row \(r): max |Δ| = \(diff)")
        }
        return (rows, got)
    }

    @Test func ggufMatchesDequantisedReference() throws {
        let engine = try Engine.loadGGUF(path: Fixtures.path("dream_tied.gguf"), precision: .asStored)
        #expect(engine.config.family == .dream && engine.config.shiftLogits && engine.config.tiedEmbeddings)
        #expect(engine.config.maskTokenID == 1)
        #expect(engine.dtypeSummary.contains("Q8_0") && engine.dtypeSummary.contains("F16"))
        let (rows, got) = try Self.expectReferenceLogits(engine, "dream_tied_gguf")
        // And near the unquantised safetensors copy: Q8_0 costs a few percent of the logit range on these
        // deliberately large random weights.
        let st = try Engine.load(directory: Fixtures.path("dream_tied")).forward(Fixtures.canvas, rows: rows)
        for i in rows.indices {
            let range = st[i].max()! - st[i].min()!
            #expect(Fixtures.maxAbsDiff(got[i], st[i]) < 0.05 * range)
        }
    }

    /// llama.cpp's LLaDA layout: q/k rows permuted into interleaved rotary pairs, no logit shift, the tokenizer
    /// from `tokenizer.json` beside the file (written by make_llada_gguf.py from `llada_tied`).
    @Test func lladaGGUFMatchesDequantisedReference() throws {
        let engine = try Engine.loadGGUF(
            path: Fixtures.path("llada_tied.gguf"),
            tokenizerPath: Fixtures.directory.appendingPathComponent("tokenizer.json").path,
            precision: .asStored)
        #expect(engine.config.family == .llada && !engine.config.shiftLogits && engine.config.tiedEmbeddings)
        #expect(engine.config.ropeStyle == .interleaved && engine.config.numKVHeads == 2)
        #expect(engine.config.maskTokenID == 1 && engine.config.eosTokenID == 0 && engine.config.padTokenID == 0)
        #expect(engine.dtypeSummary.contains("Q8_0") && engine.dtypeSummary.contains("F16"))
        _ = try Self.expectReferenceLogits(engine, "llada_tied_gguf")
        // A fill runs on it like on any other model.
        let fill = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: 4)
        #expect(fill.holeTokens.count == 4)
    }

    @Test func tokenizerFromModelDirectoryMatchesReference() throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        let tok = try #require(engine.tokenizer)
        for case let item as [String: Any] in Fixtures.expected["tokenization"] as! [Any] {
            let text = item["text"] as! String
            let ids = (item["ids"] as! [NSNumber]).map(\.intValue)
            #expect(tok.encode(text) == ids, "\(text.debugDescription)")
        }
        #expect(tok.encode("<|file_sep|>a.py\ndef add(a, b):\n    return") == Fixtures.prefix)
    }
}
