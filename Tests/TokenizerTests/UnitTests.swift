import Testing
@testable import Tokenizer

@Suite struct ByteLevelAlphabetTests {
    @Test func mappingIsABijectionOntoPrintableScalars() {
        let scalars = ByteLevelAlphabet.scalarForByte
        #expect(Set(scalars).count == 256)
        #expect(scalars[Int(UInt8(ascii: " "))] == "Ġ")
        #expect(scalars[Int(UInt8(ascii: "\n"))] == "Ċ")
        #expect(scalars[Int(UInt8(ascii: "A"))] == "A")
        for byte in 0..<256 {
            #expect(ByteLevelAlphabet.byte(for: scalars[byte]) == UInt8(byte))
        }
        #expect(ByteLevelAlphabet.byte(for: "中") == nil)
        // A token outside the alphabet (an added token) decodes to its own UTF-8.
        #expect(ByteLevelAlphabet.bytes(spelledBy: "ĠhiĊ") == Array(" hi\n".utf8))
        #expect(ByteLevelAlphabet.bytes(spelledBy: "中 ") == Array("中 ".utf8))
    }
}

@Suite struct SplitPatternTests {
    static let qwen2 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
        + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let llama3 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
        + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#

    private func pieces(_ source: String, _ text: String) -> [String] {
        let pattern = SplitPattern(source: source)!
        let prepared = PreparedText(text)
        var result: [String] = []
        prepared.withBuffers { scalars, classes, _, _ in
            pattern.forEachPiece(scalars: scalars, classes: classes, in: 0..<scalars.count) { range in
                result.append(String(String.UnicodeScalarView(prepared.scalars[range])))
            }
        }
        return result
    }

    @Test func recognisesTheSupportedFamilies() {
        #expect(SplitPattern(source: SplitPattern.gpt2Source) != nil)
        #expect(SplitPattern(source: Self.qwen2) != nil)
        #expect(SplitPattern(source: Self.llama3) != nil)
        #expect(SplitPattern(source: #"\w+"#) == nil)
        #expect(SplitPattern(source: #"(?i:'s|\d)"#) == nil)
        #expect(SplitPattern(source: "(unbalanced") == nil)
        #expect(SplitPattern(source: "") == nil)
    }

    @Test func qwen2Pieces() {
        #expect(
            pieces(Self.qwen2, "Hello world123!!\n\n  x") == ["Hello", " world", "1", "2", "3", "!!\n\n", " ", " x"])
        #expect(pieces(Self.qwen2, "I'LL don't") == ["I", "'LL", " don", "'t"])
        #expect(pieces(Self.qwen2, "a  \n\t b   ") == ["a", "  \n", "\t", " b", "   "])
        #expect(pieces(Self.qwen2, "(x)") == ["(x", ")"])
    }

    @Test func gpt2Pieces() {
        #expect(
            pieces(SplitPattern.gpt2Source, "Hello world123!!\n\n  x") == [
                "Hello", " world", "123", "!!", "\n\n ", " x",
            ])
        #expect(pieces(SplitPattern.gpt2Source, "I'LL don't") == ["I", "'", "LL", " don", "'t"])
    }

    @Test func llama3GroupsDigitsByThree() {
        #expect(pieces(Self.llama3, "1234567") == ["123", "456", "7"])
    }
}

@Suite struct StreamingDecoderTests {
    @Test func holdsBackIncompleteCharacters() {
        #expect(StreamingDecoder.startOfIncompleteSuffix(Array("a".utf8)) == 1)
        #expect(StreamingDecoder.startOfIncompleteSuffix([0x61, 0xF0, 0x9F, 0x98]) == 1)
        #expect(StreamingDecoder.startOfIncompleteSuffix([0x61, 0xF0, 0x9F, 0x98, 0x80]) == 5)
        #expect(StreamingDecoder.startOfIncompleteSuffix([0xE2, 0x82]) == 0)
        // Never valid: emitted at once (as U+FFFD), not held.
        #expect(StreamingDecoder.startOfIncompleteSuffix([0xED, 0xA0]) == 2)
        #expect(StreamingDecoder.startOfIncompleteSuffix([0xF5]) == 1)
        #expect(StreamingDecoder.startOfIncompleteSuffix([0x80, 0x80, 0x80]) == 3)
    }

    @Test func emitsEmojiOnlyWhenComplete() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let text = "ok 👩‍💻 中文 é"
        let ids = tokenizer.encode(text)
        var stream = tokenizer.makeStreamingDecoder()
        var pieces: [String] = []
        for id in ids { pieces.append(stream.push(id)) }
        pieces.append(stream.finish())
        #expect(pieces.joined() == text)
        #expect(!pieces.joined().contains("\u{FFFD}"))
        #expect(stream.pendingByteCount == 0)
    }

    @Test func skipsSpecialTokensWhenAsked() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let ids = tokenizer.encode("a<|endoftext|>b")
        var skipping = tokenizer.makeStreamingDecoder(skipSpecial: true)
        var keeping = tokenizer.makeStreamingDecoder(skipSpecial: false)
        #expect(skipping.push(contentsOf: ids) + skipping.finish() == "ab")
        #expect(keeping.push(contentsOf: ids) + keeping.finish() == "a<|endoftext|>b")
    }
}

@Suite struct SpecialTokenTests {
    @Test func specialTokensByName() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let mask = try #require(tokenizer.tokenID(for: "<|mask|>"))
        let end = try #require(tokenizer.tokenID(for: "<|endoftext|>"))
        #expect(tokenizer.isSpecial(mask) && tokenizer.isSpecial(end))
        #expect(tokenizer.specialTokenIDs["<|file_sep|>"] == tokenizer.tokenID(for: "<|file_sep|>"))
        #expect(tokenizer.specialTokenIDs["<think>"] == nil)
        #expect(tokenizer.tokenID(for: "<|nonexistent|>") == nil)
        #expect(tokenizer.encode("x<|mask|>y") == tokenizer.encode("x") + [mask] + tokenizer.encode("y"))
        #expect(!tokenizer.encode("<|mask|>", allowSpecial: false).contains(mask))
        #expect(tokenizer.idLimit == tokenizer.vocabularySize)
    }

    @Test func benchmarkReportsFigures() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let text = TokenizerBenchmark.sampleText(byteCount: 20_000)
        let result = TokenizerBenchmark.measure(tokenizer, text: text, passes: 2)
        #expect(result.bytes == text.utf8.count)
        #expect(result.tokens == tokenizer.encode(text).count)
        #expect(result.warmMegabytesPerSecond > 0 && result.coldMegabytesPerSecond > 0)
        // Figures only (a debug build's are far below a release build's); nothing here asserts a speed.
        print("tokenizer benchmark, qwen2-like fixture: \(result)")
        #expect(tokenizer.decode(tokenizer.encode(text)) == text.precomposedStringWithCanonicalMapping)
    }
}
