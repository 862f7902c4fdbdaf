import Foundation
import Testing
@testable import Engine

/// Bad input gives an `EngineError` naming the file and the problem, never a crash.
@Suite struct LoadingErrorTests {
    func loadError(_ dir: URL) -> EngineError? {
        do { _ = try Engine.load(directory: dir.path); return nil } catch let e as EngineError { return e } catch {
            return nil
        }
    }

    func editConfig(_ dir: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test func missingDirectoryAndWeights() throws {
        #expect(loadError(URL(fileURLWithPath: "/nonexistent/model")) == .fileNotFound(path: "/nonexistent/model"))
        let dir = try Fixtures.copyModel("llada_tied")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        guard case .fileNotFound(let p)? = loadError(dir) else { Issue.record("expected fileNotFound"); return }
        #expect(p.hasSuffix("model.safetensors"))
    }

    @Test func truncatedSafetensors() throws {
        let dir = try Fixtures.copyModel("llada_tied")
        let url = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        guard case .corruptHeader(let p, let reason)? = loadError(dir) else { Issue.record("expected corruptHeader"); return }
        #expect(p == url.path && reason.contains("outside the data section"))
        try data.prefix(20).write(to: url)
        guard case .corruptHeader(_, let r2)? = loadError(dir) else { Issue.record("expected corruptHeader"); return }
        #expect(r2.contains("header length"))
        try Data([1, 2, 3]).write(to: url)
        guard case .corruptHeader(_, let r3)? = loadError(dir) else { Issue.record("expected corruptHeader"); return }
        #expect(r3.contains("shorter than"))
    }

    @Test func garbageHeaderAndBadOffsets() throws {
        let dir = try Fixtures.copyModel("llada_tied")
        let url = dir.appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        // Break the JSON.
        var broken = data
        broken[8] = UInt8(ascii: "x")
        try broken.write(to: url)
        guard case .corruptHeader(_, let r1)? = loadError(dir) else { Issue.record("expected corruptHeader"); return }
        #expect(r1.contains("JSON"))
        // Make one tensor claim a dtype it does not have (same length string: F32 -> I32).
        header = header.replacingOccurrences(of: "\"F32\"", with: "\"I32\"")
        data.replaceSubrange(8..<(8 + headerLength), with: Data(header.utf8))
        try data.write(to: url)
        guard case .unsupportedDType(_, _, let dt)? = loadError(dir) else { Issue.record("expected dtype error"); return }
        #expect(dt == "I32")
    }

    @Test func shapeDisagreesWithConfig() throws {
        let dir = try Fixtures.copyModel("llada_tied")
        try editConfig(dir) { $0["mlp_hidden_size"] = 81 }
        guard case .shapeMismatch(_, let tensor, let expected, let found)? = loadError(dir) else {
            Issue.record("expected shapeMismatch"); return
        }
        #expect(tensor.hasSuffix("ff_proj.weight") && expected == [81, 64] && found == [80, 64])
    }

    @Test func unsupportedArchitectureAndBadConfig() throws {
        let dir = try Fixtures.copyModel("dream_tied")
        try editConfig(dir) { $0["architectures"] = ["MambaForCausalLM"]; $0["model_type"] = "mamba" }
        #expect(loadError(dir) == .unsupportedArchitecture(path: dir.appendingPathComponent("config.json").path,
                                                           name: "MambaForCausalLM"))
        try "{not json".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        guard case .invalidConfig? = loadError(dir) else { Issue.record("expected invalidConfig"); return }
        let dir2 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir2) { $0["num_key_value_heads"] = 3 }
        guard case .invalidConfig(_, let reason)? = loadError(dir2) else { Issue.record("expected invalidConfig"); return }
        #expect(reason.contains("kv heads"))
        let dir3 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir3) { $0["rope_scaling"] = ["type": "yarn", "factor": 4] }
        guard case .invalidConfig(_, let r3)? = loadError(dir3) else { Issue.record("expected invalidConfig"); return }
        #expect(r3.contains("yarn"))
    }

    @Test func missingTensorAndMissingShard() throws {
        let dir = try Fixtures.copyModel("dream_untied")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        guard case .fileNotFound(let p)? = loadError(dir) else { Issue.record("expected fileNotFound"); return }
        #expect(p.hasSuffix("model-00002-of-00002.safetensors"))
        let dir2 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir2) { $0["tie_word_embeddings"] = false }
        #expect(loadError(dir2) == .missingTensor(name: "lm_head.weight",
                                                  searched: dir2.appendingPathComponent("model.safetensors").path))
    }

    @Test func tokenizerWithoutMaskToken() throws {
        let dir = try Fixtures.copyModel("llada_tied")
        try editConfig(dir) { $0.removeValue(forKey: "mask_token_id") }
        // Still loads: the tokenizer has <|mask|>.
        #expect(try Engine.load(directory: dir.path).config.maskTokenID == 1)
        let url = dir.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "<|mask|>", with: "<|mosk|>")
        try text.write(to: url, atomically: true, encoding: .utf8)
        guard case .tokenizer(let p, let reason)? = loadError(dir) else { Issue.record("expected tokenizer error"); return }
        #expect(p == url.path && reason.contains("mask"))
    }

    @Test func corruptGGUF() throws {
        let dir = try Fixtures.scratchDirectory("gguf")
        let src = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("dream_tied.gguf")))
        let url = dir.appendingPathComponent("m.gguf")
        func error() -> EngineError? {
            do { _ = try Engine.loadGGUF(path: url.path); return nil } catch let e as EngineError { return e } catch { return nil }
        }
        try src.prefix(src.count - 64).write(to: url)
        guard case .corruptHeader(_, let r1)? = error() else { Issue.record("expected corruptHeader"); return }
        #expect(r1.contains("beyond the end"))
        try src.prefix(200).write(to: url)
        guard case .corruptHeader(_, let r2)? = error() else { Issue.record("expected corruptHeader"); return }
        #expect(r2.contains("truncated"))
        var bad = src
        bad[0] = 0
        try bad.write(to: url)
        guard case .corruptHeader(_, let r3)? = error() else { Issue.record("expected corruptHeader"); return }
        #expect(r3.contains("magic"))
    }

    @Test func badRequests() throws {
        let engine = try Engine.load(directory: Fixtures.path("llada_tied"))
        #expect(throws: EngineError.self) { try engine.fill(context: [1, 2], suffix: [], holeLength: 0) }
        #expect(throws: EngineError.self) { try engine.fill(context: [100_000], suffix: [], holeLength: 4) }
        #expect(throws: EngineError.self) { try engine.forward([]) }
        #expect(throws: EngineError.self) { try engine.fill(context: [Int](repeating: 5, count: 300), suffix: [], holeLength: 4) }
    }
}
