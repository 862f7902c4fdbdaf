import Foundation
import Testing
@testable import Tokenizer

/// Any text encodes without a crash, and byte-level BPE loses nothing: decoding gives back the (normalized) text.
@Suite struct RobustnessTests {
    static let awkwardTexts: [String] = [
        "", " ", "\u{301}", "\u{301}\u{301}\u{301}", "e\u{301}\u{302}\u{303}",
        "👩‍👩‍👧‍👦", "\u{200D}\u{200D}", "🏳️‍🌈🏴‍☠️", "漢字かなカナ한글",
        "\r\n\r\n\r", "\t \t \t",
        String(repeating: " ", count: 100_000), String(repeating: "\n", count: 10_000) + "x",
        String(repeating: "a", count: 5_000), String(repeating: "🚀", count: 2_000),
        "\u{0}\u{1}\u{7F}\u{85}\u{2028}\u{2029}\u{FEFF}", "\u{10FFFF}\u{E000}\u{FFFD}",
        "'s's's'S'LL'", "<|endoftext|", "<|<|mask|>|>", "<think><think>",
    ]

    @Test(arguments: Fixtures.names)
    func roundTripsAwkwardText(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let normalize = name == "qwen2-like"
        for text in Self.awkwardTexts {
            let expected = normalize ? text.precomposedStringWithCanonicalMapping : text
            for allowSpecial in [true, false] {
                let ids = tokenizer.encode(text, allowSpecial: allowSpecial)
                #expect(
                    tokenizer.decode(ids, skipSpecial: false) == expected,
                    "\(String(text.prefix(20)).escapedForDiagnostics)")
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func roundTripsRandomScalars(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        var generator = SplitMix(seed: 42)
        for _ in 0..<300 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(generator.next() % 40) {
                // Half ASCII, half anywhere in Unicode (surrogates excluded: they cannot be in a String).
                let value =
                    generator.next() % 2 == 0 ? UInt32(generator.next() % 128) : UInt32(generator.next() % 0x110000)
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let ids = tokenizer.encode(text)
            let expected = name == "qwen2-like" ? text.precomposedStringWithCanonicalMapping : text
            #expect(tokenizer.decode(ids, skipSpecial: false) == expected, "\(text.escapedForDiagnostics)")
        }
    }

    /// Found by fuzzing: the word cache was keyed by `String`, which compares canonically equivalent texts as
    /// equal, so a word encoded after its equivalent (precomposed after decomposed, U+0340 after U+0300) came back
    /// as the other's bytes.
    @Test func canonicallyEquivalentWordsKeepTheirOwnBytes() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2-like")
        let pairs = [("résumécafé", "re\u{301}sume\u{301}cafe\u{301}"), ("xx\u{300}yyyyyyy", "xx\u{340}yyyyyyy")]
        for (first, second) in pairs {
            for text in [first, second, first] {
                let decoded = tokenizer.decode(tokenizer.encode(text), skipSpecial: false)
                #expect(Array(decoded.unicodeScalars) == Array(text.unicodeScalars), "\(text.escapedForDiagnostics)")
            }
        }
    }

    @Test func unknownIDsAreSkippedWhenDecoding() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2-like")
        let hello = tokenizer.encode("hello")
        #expect(tokenizer.decode([-1] + hello + [tokenizer.idLimit, Int.max]) == "hello")
        var stream = tokenizer.makeStreamingDecoder()
        #expect(stream.push(-5) == "")
        #expect(stream.finish() == "")
    }

    @Test func cacheStaysBoundedAndDoesNotChangeResults() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let words = (0..<(Tokenizer.wordCacheCapacity + 500)).map { "word\($0)x" }.joined(separator: " ")
        let first = tokenizer.encode(words)
        #expect(tokenizer.cache.count <= 2 * Tokenizer.wordCacheCapacity)
        #expect(tokenizer.encode(words) == first)
    }

    @Test func concurrentEncodingAgrees() async throws {
        let tokenizer = try Fixtures.tokenizer("qwen2-like")
        let texts = try Fixtures.expected("qwen2-like").cases.map(\.text)
        let expected = texts.map { tokenizer.encode($0) }
        let results = await withTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<4 { group.addTask { texts.map { tokenizer.encode($0) } } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for result in results { #expect(result == expected) }
    }
}

/// A small deterministic generator, so that failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
