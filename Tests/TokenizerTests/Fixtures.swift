import Foundation
@testable import Tokenizer

/// The fixtures written by `Tests/Fixtures/tokenizer/make_fixtures.py` with the `tokenizers` library.
enum Fixtures {
    /// The fixture tokenizers, by file stem.
    static let names = ["qwen2-like", "gpt2-like"]

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")

    static func tokenizerPath(_ name: String) -> String {
        directory.appendingPathComponent("\(name).tokenizer.json").path
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(contentsOf: tokenizerPath(name))
    }

    static func tokenizerJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: tokenizerPath(name)))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func expected(_ name: String) throws -> Expected {
        let url = directory.appendingPathComponent("\(name).expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    /// What the library produced.
    struct Expected: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let idsSpecialAsText: [Int]
            let decoded: String
            let decodedSkipSpecial: String

            enum CodingKeys: String, CodingKey {
                case text, ids, decoded
                case idsSpecialAsText = "ids_special_as_text"
                case decodedSkipSpecial = "decoded_skip_special"
            }
        }

        struct DecodeCase: Decodable {
            let ids: [Int]
            let decoded: String
            let decodedSkipSpecial: String

            enum CodingKeys: String, CodingKey {
                case ids, decoded
                case decodedSkipSpecial = "decoded_skip_special"
            }
        }

        let library: String
        let vocabSize: Int
        let addedTokens: [String: Int]
        let cases: [Case]
        let decodeCases: [DecodeCase]

        enum CodingKeys: String, CodingKey {
            case library, cases
            case vocabSize = "vocab_size"
            case addedTokens = "added_tokens"
            case decodeCases = "decode_cases"
        }
    }
}

extension String {
    /// Scalars written out, so that a failing comparison shows invisible characters.
    var escapedForDiagnostics: String {
        unicodeScalars.map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}"
        }
        .joined()
    }
}
