import Foundation
import Testing
@testable import Tokenizer

/// Files that cannot be used give a `TokenizerError` naming the file and the problem, never a crash.
@Suite struct ErrorTests {
    /// The Qwen2-like fixture with `edit` applied, loaded under the name "edited.json".
    private func load(_ edit: (inout [String: Any]) -> Void) throws -> Tokenizer {
        var json = try Fixtures.tokenizerJSON("qwen2-like")
        edit(&json)
        return try Tokenizer(data: JSONSerialization.data(withJSONObject: json), name: "edited.json")
    }

    private func loadError(_ edit: (inout [String: Any]) -> Void) -> TokenizerError? {
        do {
            _ = try load(edit)
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            return nil
        }
    }

    @Test func missingFile() {
        #expect(throws: TokenizerError.unreadableFile(path: "/nonexistent/tokenizer.json", reason: "no such file")) {
            try Tokenizer(contentsOf: "/nonexistent/tokenizer.json")
        }
    }

    @Test func invalidJSON() throws {
        let error = #expect(throws: TokenizerError.self) {
            try Tokenizer(data: Data("{\"model\": [1, 2".utf8), name: "broken.json")
        }
        guard case let .invalidJSON(path, _)? = error else {
            Issue.record("wrong error \(String(describing: error))"); return
        }
        #expect(path == "broken.json")
        #expect(error!.description.hasPrefix("broken.json: "))
        #expect(throws: TokenizerError.self) { try Tokenizer(data: Data("[]".utf8), name: "list.json") }
        #expect(throws: TokenizerError.self) { try Tokenizer(data: Data(), name: "empty.json") }
    }

    @Test(arguments: ["WordPiece", "Unigram", "WordLevel"])
    func unsupportedModel(type: String) {
        let error = loadError { json in
            var model = json["model"] as! [String: Any]
            model["type"] = type
            json["model"] = model
        }
        #expect(error == .unsupportedModel(path: "edited.json", type: type))
    }

    @Test func unsupportedPreTokenizer() {
        let error = loadError { json in
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"]
        }
        guard case .unsupportedPreTokenizer(path: "edited.json", _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
    }

    @Test func unsupportedPattern() {
        let error = loadError { json in
            var sequence = json["pre_tokenizer"] as! [String: Any]
            var steps = sequence["pretokenizers"] as! [[String: Any]]
            steps[0]["pattern"] = ["Regex": #"\w+|[^\w\s]+"#]
            sequence["pretokenizers"] = steps
            json["pre_tokenizer"] = sequence
        }
        #expect(error == .unsupportedPattern(path: "edited.json", pattern: #"\w+|[^\w\s]+"#))
        #expect(error?.description.contains("edited.json") == true)
    }

    @Test func unsupportedNormalizerAndDecoder() {
        #expect(
            loadError { $0["normalizer"] = ["type": "Lowercase"] }
                == .unsupportedNormalizer(path: "edited.json", type: "Lowercase"))
        #expect(
            loadError { $0["decoder"] = ["type": "WordPiece"] }
                == .unsupportedDecoder(path: "edited.json", type: "WordPiece"))
    }

    @Test func mergeOutsideTheVocabulary() {
        let error = loadError { json in
            var model = json["model"] as! [String: Any]
            model["merges"] = [["q", "zz"]]
            json["model"] = model
        }
        guard case .inconsistentModel(path: "edited.json", _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
    }

    /// Found by fuzzing: an id of two billion made loading allocate tables of two billion entries; an added token
    /// id beyond Int32 trapped when encoding. Both are errors now.
    @Test func idsFarBeyondTheVocabulary() {
        let sparse = loadError { json in
            var model = json["model"] as! [String: Any]
            var vocab = model["vocab"] as! [String: Any]
            vocab["far"] = 2_000_000_000
            model["vocab"] = vocab
            json["model"] = model
        }
        guard case .inconsistentModel(path: "edited.json", let reason)? = sparse else {
            Issue.record("wrong error \(String(describing: sparse))")
            return
        }
        #expect(reason.contains("2000000000"))
        let added = loadError { json in
            json["added_tokens"] = [["id": 1 << 40, "content": "<|huge|>", "special": true]]
        }
        guard case .invalidJSON(path: "edited.json", let reason2)? = added else {
            Issue.record("wrong error \(String(describing: added))")
            return
        }
        #expect(reason2.contains("<|huge|>"))
    }
}
