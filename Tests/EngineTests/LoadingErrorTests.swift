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
        guard case .corruptHeader(let p, let reason)? = loadError(dir) else {
            Issue.record("expected corruptHeader"); return
        }
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
        guard case .unsupportedDType(_, _, let dt)? = loadError(dir) else {
            Issue.record("expected dtype error"); return
        }
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
        try editConfig(dir) {
            $0["architectures"] = ["MambaForCausalLM"]; $0["model_type"] = "mamba"
        }
        #expect(
            loadError(dir)
                == .unsupportedArchitecture(
                    path: dir.appendingPathComponent("config.json").path,
                    name: "MambaForCausalLM"))
        try "{not json".write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        guard case .invalidConfig? = loadError(dir) else { Issue.record("expected invalidConfig"); return }
        let dir2 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir2) { $0["num_key_value_heads"] = 3 }
        guard case .invalidConfig(_, let reason)? = loadError(dir2) else {
            Issue.record("expected invalidConfig"); return
        }
        #expect(reason.contains("kv heads"))
        let dir3 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir3) { $0["rope_scaling"] = ["type": "yarn", "factor": 4] }
        guard case .invalidConfig(_, let r3)? = loadError(dir3) else { Issue.record("expected invalidConfig"); return }
        #expect(r3.contains("yarn"))
    }

    /// Found by fuzzing: dimensions far beyond any model overflowed the parameter count and trapped; a number
    /// that is not an integer (1e300) trapped where an integer was read. Both are now configuration errors.
    @Test func hugeOrNonIntegerDimensionsAreConfigErrors() throws {
        let edits: [(String, Any, String)] = [
            ("num_hidden_layers", 1 << 40, "layers"), ("intermediate_size", 1 << 40, "ffn size"),
            ("num_attention_heads", 1 << 62, "not an integer"),
            ("max_position_embeddings", 1 << 30, "max positions"), ("hidden_size", 1e300, "hidden_size"),
            ("vocab_size", 2.5, "vocab_size"),
        ]
        for (key, value, mention) in edits {
            let dir = try Fixtures.copyModel("dream_tied")
            try editConfig(dir) { $0[key] = value }
            guard case .invalidConfig(_, let reason)? = loadError(dir) else {
                Issue.record("\(key) = \(value): expected invalidConfig"); continue
            }
            #expect(reason.contains(mention), "\(reason)")
        }
        let llada = try Fixtures.copyModel("llada_tied")
        try editConfig(llada) {
            $0.removeValue(forKey: "mlp_hidden_size"); $0["mlp_ratio"] = 1e308
        }
        guard case .invalidConfig(_, let reason)? = loadError(llada) else {
            Issue.record("expected invalidConfig"); return
        }
        #expect(reason.contains("mlp_ratio"))
    }

    /// Safetensors shapes and offsets that are not exact integers, or whose product overflows, are corrupt headers.
    @Test func safetensorsShapesThatCannotBeSizes() throws {
        for (shape, offsets) in [
            ("[1e300, 2]", "[0, 8]"), ("[4294967296, 4294967296, 4294967296]", "[0, 8]"),
            ("[2, 2]", "[0, 1e20]"),
        ] {
            let dir = try Fixtures.copyModel("dream_tied")
            let header = #"{"model.norm.weight":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#
            var file = Data(withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) })
            file.append(Data(header.utf8))
            file.append(Data(count: 64))
            try file.write(to: dir.appendingPathComponent("model.safetensors"))
            guard case .corruptHeader? = loadError(dir) else {
                Issue.record("\(shape) \(offsets): expected corruptHeader"); continue
            }
        }
    }

    @Test func missingTensorAndMissingShard() throws {
        let dir = try Fixtures.copyModel("dream_untied")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        guard case .fileNotFound(let p)? = loadError(dir) else { Issue.record("expected fileNotFound"); return }
        #expect(p.hasSuffix("model-00002-of-00002.safetensors"))
        let dir2 = try Fixtures.copyModel("dream_tied")
        try editConfig(dir2) { $0["tie_word_embeddings"] = false }
        #expect(
            loadError(dir2)
                == .missingTensor(
                    name: "lm_head.weight",
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
        guard case .tokenizer(let p, let reason)? = loadError(dir) else {
            Issue.record("expected tokenizer error"); return
        }
        #expect(p == url.path && reason.contains("mask"))
    }

    @Test func corruptGGUF() throws {
        let dir = try Fixtures.scratchDirectory("gguf")
        let src = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("dream_tied.gguf")))
        let url = dir.appendingPathComponent("m.gguf")
        func error() -> EngineError? {
            do { _ = try Engine.loadGGUF(path: url.path); return nil } catch let e as EngineError { return e } catch {
                return nil
            }
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
        #expect(throws: EngineError.self) {
            try engine.fill(context: [Int](repeating: 5, count: 300), suffix: [], holeLength: 4)
        }
    }
}
