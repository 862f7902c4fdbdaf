import Foundation
import Testing
@testable import Engine

/// CoDA (Salesforce CoDA-v0, a Qwen3 backbone): per-head q/k RMSNorm, explicit head_dim, no Q/K/V bias, Dream's
/// logit shift. Fixture `coda_tied` from make_coda_fixture.py (transformers' Qwen3 made non-causal).
@Suite struct CoDATests {
    @Test func configIsReadAsQwen3Layout() throws {
        let engine = try Engine.load(directory: Fixtures.path("coda_tied"))
        let c = engine.config
        #expect(c.family == .dream && c.architecture == "CoDALanguageModel")
        #expect(c.qkNorm && !c.attentionBias && c.shiftLogits && c.tiedEmbeddings)
        #expect(c.headDim == 16 && c.hiddenSize / c.numHeads == 12 && c.numKVHeads == 2)
        #expect(c.maskTokenID == 1 && c.eosTokenID == 0)
        #expect(engine.model.weights.layers.allSatisfy { $0.qNorm != nil && $0.kNorm != nil && $0.bq == nil })
        // Embedding, final norm, and per layer two norms, seven matrices, two head norms (no bias).
        #expect(
            c.parameterCount == 360 * 48 + 48 + 2 * (48 * 64 + 2 * 48 * 32 + 64 * 48 + 3 * 48 * 64 + 2 * 48 + 2 * 16))
    }

    @Test func logitsMatchReference() throws {
        let engine = try Engine.load(directory: Fixtures.path("coda_tied"))
        _ = try ReferenceParityTests.expectReferenceLogits(engine, "coda_tied")
    }

    /// The plain Swift reference applies the q/k norms the same way (it is the yardstick for other shapes).
    @Test func plainReferenceMatchesFixture() throws {
        let engine = try Engine.load(directory: Fixtures.path("coda_tied"))
        let V = engine.config.embeddingSize
        let ref = ReferenceForward.logits(engine.model, tokens: Fixtures.canvas)
        for (r, row) in Fixtures.logits("coda_tied") {
            #expect(Fixtures.maxAbsDiff(Array(ref[r * V..<(r + 1) * V]), row) < 1e-4, "row \(r)")
        }
    }

    /// forwardRows (a step that recomputes only the hole against the cache) normalises q and k like forwardAll.
    @Test func partialForwardEqualsFullForward() throws {
        let engine = try Engine.load(directory: Fixtures.path("coda_tied"))
        let canvas = Fixtures.canvas.map(Int32.init)
        let n = canvas.count, d = engine.config.hiddenSize, start = Fixtures.prefix.count
        let rows = Array((start - 1)..<(start + Fixtures.hole)).map(Int32.init)
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
            #expect(Fixtures.maxAbsDiff(a, Array(full[Int(p) * d..<(Int(p) + 1) * d])) < 1e-4, "row \(p)")
        }
    }

    @Test(arguments: ["maskgit_plus", "entropy"])
    func greedyFillMatchesReference(alg: String) throws {
        let engine = try Engine.load(directory: Fixtures.path("coda_tied"))
        let g = Fixtures.greedy("coda_tied", alg)
        var o = FillOptions(schedule: .timesteps(steps: g.steps, eps: 1e-3), cache: .none, trimAtEndOfText: false)
        o.confidence = alg == "entropy" ? .negativeEntropy : .maxProbability
        let r = try engine.fill(
            context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: Fixtures.hole, options: o)
        #expect(r.holeTokens == g.hole, "\(alg)")
        // And with the default options (dual cache, partial forwards) a fill runs to the end.
        let cached = try engine.fill(context: Fixtures.prefix, suffix: Fixtures.suffix, holeLength: Fixtures.hole)
        #expect(cached.holeTokens.count == Fixtures.hole && cached.partialForwards > 0)
        #expect(!cached.holeTokens.contains(engine.config.maskTokenID!))
    }

    /// Random q/k-normed models of other shapes against the plain reference, on every routing of this CPU.
    @Test(arguments: [(16, 4, 2), (32, 2, 1), (8, 6, 3)])
    func randomShapesMatchPlainReference(hd: Int, heads: Int, kvHeads: Int) throws {
        var config = ModelConfig(
            family: .dream, architecture: "test", hiddenSize: 40, numLayers: 2, numHeads: heads,
            numKVHeads: kvHeads, headDim: hd, intermediateSize: 56, vocabSize: 50,
            ropeTheta: 10000, tiedEmbeddings: true)
        config.qkNorm = true
        config.attentionBias = false
        let engine = try Engine.random(config: config, seed: 3, std: 0.3, threads: 2)
        let tokens = (0..<41).map { ($0 * 13 + 2) % 50 }
        let ref = ReferenceForward.logits(engine.model, tokens: tokens)
        let saved = KernelRouting.current
        defer { KernelRouting.current = saved }
        for routing in [saved, .sgemmOnly, KernelRouting(packedMaxRows: 8, fusedAttentionMaxRows: 8)] {
            KernelRouting.current = routing
            let got = try engine.forward(tokens).flatMap { $0 }
            let size = ref.map(abs).max()!
            #expect(Fixtures.maxAbsDiff(got, ref) < 4e-5 * max(1, size), "\(routing) hd=\(hd)")
        }
    }

    @Test func qwen3ConfigsAreRecognised() throws {
        func parse(_ json: [String: Any]) throws -> ModelConfig {
            try ModelConfig.parse(try JSONSerialization.data(withJSONObject: json), path: "config.json")
        }
        let qwen3: [String: Any] = [
            "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 64, "head_dim": 32,
            "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "intermediate_size": 96,
            "vocab_size": 300, "mask_token_id": 5,
        ]
        let q = try parse(qwen3)
        #expect(q.family == .dream && q.qkNorm && !q.attentionBias && q.headDim == 32 && q.shiftLogits)
        #expect(!q.tiedEmbeddings)  // Qwen3's own default
        var biased = qwen3
        biased["attention_bias"] = true
        #expect(try parse(biased).attentionBias)
        // A CoDA config that leaves out the defaults of CoDA's config class: tied, mask id 151669.
        let coda = try parse([
            "architectures": ["CoDALanguageModel"], "model_type": "CoDA", "hidden_size": 2048,
            "head_dim": 128, "num_attention_heads": 16, "num_key_value_heads": 8,
            "num_hidden_layers": 28, "intermediate_size": 6144, "vocab_size": 151936,
        ])
        #expect(coda.qkNorm && coda.tiedEmbeddings && coda.maskTokenID == 151669)
        #expect(coda.parameterCount == EngineBenchmark.codaShape().parameterCount)
        // About 1.7 B parameters (embeddings counted once), as CoDA-1.7B's name says.
        #expect(abs(Double(coda.parameterCount) / 1e9 - 1.72) < 0.02)
        // Qwen2 / Dream configs are unchanged: bias, no q/k norm.
        let dream = try parse([
            "architectures": ["DreamModel"], "hidden_size": 64, "num_attention_heads": 4,
            "num_hidden_layers": 2, "intermediate_size": 96, "vocab_size": 300,
        ])
        #expect(dream.attentionBias && !dream.qkNorm)
    }
}
