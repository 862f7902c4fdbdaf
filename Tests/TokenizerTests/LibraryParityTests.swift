import Foundation
import Testing
@testable import Tokenizer

/// Ids and decodings must be exactly the `tokenizers` library's, on every fixture string.
@Suite struct LibraryParityTests {
    @Test(arguments: Fixtures.names)
    func encodesLikeTheLibrary(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let expected = try Fixtures.expected(name)
        for testCase in expected.cases {
            let ids = tokenizer.encode(testCase.text)
            #expect(ids == testCase.ids, "\(name): \(testCase.text.escapedForDiagnostics)")
        }
    }

    @Test(arguments: Fixtures.names)
    func encodesSpecialTokensAsTextWhenNotAllowed(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for testCase in try Fixtures.expected(name).cases {
            let ids = tokenizer.encode(testCase.text, allowSpecial: false)
            #expect(ids == testCase.idsSpecialAsText, "\(name): \(testCase.text.escapedForDiagnostics)")
        }
    }

    @Test(arguments: Fixtures.names)
    func decodesLikeTheLibrary(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let expected = try Fixtures.expected(name)
        for testCase in expected.cases {
            #expect(
                tokenizer.decode(testCase.ids, skipSpecial: false) == testCase.decoded,
                "\(name): \(testCase.text.escapedForDiagnostics)")
            #expect(
                tokenizer.decode(testCase.ids, skipSpecial: true) == testCase.decodedSkipSpecial,
                "\(name): \(testCase.text.escapedForDiagnostics)")
        }
        // Arbitrary id sequences, many of which cut characters apart or form invalid UTF-8.
        for testCase in expected.decodeCases {
            #expect(tokenizer.decode(testCase.ids, skipSpecial: false) == testCase.decoded, "\(name): \(testCase.ids)")
            #expect(
                tokenizer.decode(testCase.ids, skipSpecial: true) == testCase.decodedSkipSpecial,
                "\(name): \(testCase.ids)")
        }
    }

    @Test(arguments: Fixtures.names)
    func streamingDecodeEqualsFullDecode(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let expected = try Fixtures.expected(name)
        let sequences =
            expected.cases.map { ($0.ids, $0.decoded, $0.decodedSkipSpecial) }
            + expected.decodeCases.map { ($0.ids, $0.decoded, $0.decodedSkipSpecial) }
        for (ids, decoded, decodedSkipSpecial) in sequences {
            for (skip, full) in [(false, decoded), (true, decodedSkipSpecial)] {
                var stream = tokenizer.makeStreamingDecoder(skipSpecial: skip)
                var text = ""
                for id in ids {
                    let piece = stream.push(id)
                    // Nothing emitted may end inside a character.
                    #expect(!piece.unicodeScalars.contains("\u{FFFD}") || full.unicodeScalars.contains("\u{FFFD}"))
                    text += piece
                }
                text += stream.finish()
                #expect(text == full, "\(name): \(ids)")
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func vocabularyAndAddedTokensMatch(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let expected = try Fixtures.expected(name)
        #expect(tokenizer.vocabularySize == expected.vocabSize)
        for (content, id) in expected.addedTokens {
            #expect(tokenizer.tokenID(for: content) == id, "\(content)")
            #expect(tokenizer.token(for: id) == content)
        }
    }

    @Test func bothMergeFormsLoadToTheSameModel() throws {
        // The GPT-2 fixture stores merges as "a b" strings, the Qwen2 one as ["a", "b"] pairs; convert each to the
        // other form and check the ids do not change.
        for name in Fixtures.names {
            var json = try Fixtures.tokenizerJSON(name)
            var model = json["model"] as! [String: Any]
            let merges = model["merges"] as! [Any]
            model["merges"] = merges.map { merge -> Any in
                if let line = merge as? String { return line.split(separator: " ").map(String.init) }
                return (merge as! [String]).joined(separator: " ")
            }
            json["model"] = model
            let converted = try Tokenizer(data: JSONSerialization.data(withJSONObject: json), name: name)
            let original = try Fixtures.tokenizer(name)
            for testCase in try Fixtures.expected(name).cases {
                #expect(converted.encode(testCase.text) == original.encode(testCase.text))
            }
        }
    }
}
