import Foundation

/// The parts of a Hugging Face `tokenizer.json` that encoding and decoding depend on, read and checked.
struct TokenizerFile {
    var model: BPEModel
    var addedTokens: [AddedToken]
    var normalization: Normalization
    var splits: [SplitPattern]
    var addPrefixSpace: Bool
    var useByteLevelRegex: Bool

    /// Reads and validates the file at `path`.
    init(path: String) throws(TokenizerError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw .unreadableFile(path: path, reason: reason)
        }
        try self.init(data: data, path: path)
    }

    /// Reads and validates `data`; `path` only names the source in errors.
    init(data: Data, path: String) throws(TokenizerError) {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.invalidJSON(path: path, reason: "the top level is not an object")
            }
            root = object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .invalidJSON(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        let reader = Reader(path: path)

        normalization = try reader.normalization(root["normalizer"])
        (splits, addPrefixSpace, useByteLevelRegex) = try reader.preTokenizer(root["pre_tokenizer"])
        try reader.checkDecoder(root["decoder"])
        model = try reader.model(root["model"])
        addedTokens = try reader.addedTokens(root["added_tokens"], vocabulary: model.vocabulary)
    }
}

/// Field-by-field reading with errors that say where the problem is.
private struct Reader {
    let path: String

    func invalid(_ reason: String) -> TokenizerError { .invalidJSON(path: path, reason: reason) }

    func object(_ value: Any?, _ name: String) throws(TokenizerError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw invalid("'\(name)' is missing or not an object") }
        return object
    }

    func type(of object: [String: Any], _ name: String) throws(TokenizerError) -> String {
        guard let type = object["type"] as? String else { throw invalid("'\(name)' has no 'type'") }
        return type
    }

    func bool(_ object: [String: Any], _ key: String, default fallback: Bool) -> Bool {
        (object[key] as? Bool) ?? fallback
    }

    func normalization(_ value: Any?) throws(TokenizerError) -> Normalization {
        guard let value, !(value is NSNull) else { return .none }
        let object = try object(value, "normalizer")
        switch try type(of: object, "normalizer") {
        case "NFC":
            return .nfc
        case "Sequence":
            guard let steps = object["normalizers"] as? [Any] else { throw invalid("normalizer Sequence has no list") }
            var result = Normalization.none
            for step in steps {
                let inner = try normalization(step)
                if inner == .nfc { result = .nfc }
            }
            return result
        case let other:
            throw .unsupportedNormalizer(path: path, type: other)
        }
    }

    func preTokenizer(_ value: Any?) throws(TokenizerError) -> ([SplitPattern], Bool, Bool) {
        guard let value, !(value is NSNull) else {
            throw .unsupportedPreTokenizer(path: path, reason: "none given; byte-level BPE needs ByteLevel")
        }
        let object = try object(value, "pre_tokenizer")
        var steps: [[String: Any]]
        if try type(of: object, "pre_tokenizer") == "Sequence" {
            guard let list = object["pretokenizers"] as? [[String: Any]] else {
                throw invalid("pre_tokenizer Sequence has no 'pretokenizers' list")
            }
            steps = list
        } else {
            steps = [object]
        }
        guard let last = steps.popLast(), try type(of: last, "pre_tokenizer") == "ByteLevel" else {
            throw .unsupportedPreTokenizer(path: path, reason: "the last step must be ByteLevel")
        }
        var splits: [SplitPattern] = []
        for step in steps {
            let stepType = try type(of: step, "pre_tokenizer")
            guard stepType == "Split" else {
                throw .unsupportedPreTokenizer(path: path, reason: "step '\(stepType)' (only Split before ByteLevel)")
            }
            let behavior = step["behavior"] as? String ?? "?"
            guard behavior == "Isolated" else {
                throw .unsupportedPreTokenizer(path: path, reason: "Split behavior '\(behavior)' (only Isolated)")
            }
            guard !bool(step, "invert", default: false) else {
                throw .unsupportedPreTokenizer(path: path, reason: "Split with invert: true")
            }
            guard let pattern = step["pattern"] as? [String: Any], let source = pattern["Regex"] as? String else {
                throw .unsupportedPreTokenizer(path: path, reason: "Split needs a {\"Regex\": …} pattern")
            }
            guard let compiled = SplitPattern(source: source) else {
                throw .unsupportedPattern(path: path, pattern: source)
            }
            splits.append(compiled)
        }
        return (splits, bool(last, "add_prefix_space", default: true), bool(last, "use_regex", default: true))
    }

    func checkDecoder(_ value: Any?) throws(TokenizerError) {
        guard let value, !(value is NSNull) else { throw .unsupportedDecoder(path: path, type: "none") }
        let decoderType = try type(of: try object(value, "decoder"), "decoder")
        guard decoderType == "ByteLevel" else { throw .unsupportedDecoder(path: path, type: decoderType) }
    }

    func model(_ value: Any?) throws(TokenizerError) -> BPEModel {
        let object = try object(value, "model")
        let modelType = object["type"] as? String ?? "BPE"
        guard modelType == "BPE" else { throw .unsupportedModel(path: path, type: modelType) }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = object[key] as? String, !affix.isEmpty {
                throw .unsupportedModel(path: path, type: "BPE with \(key)")
            }
        }
        if bool(object, "byte_fallback", default: false) {
            throw .unsupportedModel(path: path, type: "BPE with byte_fallback")
        }
        if let dropout = object["dropout"] as? Double, dropout > 0 {
            throw .unsupportedModel(path: path, type: "BPE with dropout")
        }
        guard let rawVocabulary = object["vocab"] as? [String: Any] else { throw invalid("'model.vocab' is missing") }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(rawVocabulary.count)
        for (token, rawID) in rawVocabulary {
            guard let id = rawID as? Int, id >= 0, id <= Int(Int32.max) else {
                throw invalid("vocab entry '\(token)' has no valid id")
            }
            vocabulary[token] = Int32(id)
        }
        guard let rawMerges = object["merges"] as? [Any] else { throw invalid("'model.merges' is missing") }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(rawMerges.count)
        for (rank, rawMerge) in rawMerges.enumerated() {
            let left: Substring, right: Substring
            if let line = rawMerge as? String {
                // The older form "a b": byte-level tokens never contain U+0020, so the one space separates them.
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw invalid("merge \(rank) '\(line)' is not two tokens") }
                (left, right) = (parts[0], parts[1])
            } else if let pair = rawMerge as? [String], pair.count == 2 {
                (left, right) = (Substring(pair[0]), Substring(pair[1]))
            } else {
                throw invalid("merge \(rank) is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard let leftID = vocabulary[String(left)], let rightID = vocabulary[String(right)] else {
                throw .inconsistentModel(path: path, reason: "merge \(rank) uses a token missing from the vocabulary")
            }
            guard let mergedID = vocabulary[String(left + right)] else {
                throw .inconsistentModel(
                    path: path, reason: "merge \(rank) makes '\(left + right)', not in the vocabulary")
            }
            merges[BPEModel.pairKey(leftID, rightID)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: mergedID))
        }
        let byteTokenIDs = (0..<256).map { byte in
            vocabulary[String(ByteLevelAlphabet.scalarForByte[byte])] ?? -1
        }
        var unknownID: Int32?
        if let unknown = object["unk_token"] as? String {
            guard let id = vocabulary[unknown] else {
                throw .inconsistentModel(path: path, reason: "unk_token '\(unknown)' is not in the vocabulary")
            }
            unknownID = id
        }
        return BPEModel(
            vocabulary: vocabulary, merges: merges, byteTokenIDs: byteTokenIDs, unknownID: unknownID,
            fuseUnknown: bool(object, "fuse_unk", default: false),
            ignoreMerges: bool(object, "ignore_merges", default: false))
    }

    func addedTokens(_ value: Any?, vocabulary: [String: Int32]) throws(TokenizerError) -> [AddedToken] {
        guard let value, !(value is NSNull) else { return [] }
        guard let list = value as? [[String: Any]] else { throw invalid("'added_tokens' is not a list of objects") }
        var result: [AddedToken] = []
        for entry in list {
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else {
                throw invalid("an added token has no 'content' or 'id'")
            }
            guard id >= 0, id <= Int(Int32.max) else { throw invalid("added token '\(content)' has id \(id)") }
            let special = bool(entry, "special", default: false)
            // The library keeps the vocabulary's id when the content is already a vocabulary token.
            result.append(
                AddedToken(
                    content: content, id: vocabulary[content].map(Int.init) ?? id, isSpecial: special,
                    stripsLeft: bool(entry, "lstrip", default: false),
                    stripsRight: bool(entry, "rstrip", default: false),
                    isSingleWord: bool(entry, "single_word", default: false),
                    isNormalized: bool(entry, "normalized", default: !special)))
        }
        return result
    }
}
