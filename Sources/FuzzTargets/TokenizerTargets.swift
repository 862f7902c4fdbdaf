import Foundation
import Tokenizer

/// The tokenizer: what it does with any text, and what it does with any `tokenizer.json`.
enum TokenizerTargets {
    /// Byte-level BPE loses nothing: decoding the ids of a text gives the text back (after NFC for a tokenizer
    /// that normalizes), with and without special tokens recognised, and one id at a time through the streaming
    /// decoder as in one call. Every id is inside the vocabulary.
    static func roundTrip(_ input: [UInt8], resources: FuzzResources) throws(FuzzFinding) {
        let text = String(decoding: input, as: UTF8.self)
        for (tokenizer, normalizes) in [(resources.defaultTokenizer, false), (resources.normalizingTokenizer, true)] {
            let expected = normalizes ? text.precomposedStringWithCanonicalMapping : text
            for allowSpecial in [true, false] {
                let ids = tokenizer.encode(text, allowSpecial: allowSpecial)
                if let bad = ids.first(where: { $0 < 0 || $0 >= tokenizer.idLimit }) {
                    throw FuzzFinding("tokenizer: id \(bad) outside the vocabulary (\(tokenizer.idLimit))")
                }
                let decoded = tokenizer.decode(ids, skipSpecial: false)
                guard Array(decoded.unicodeScalars) == Array(expected.unicodeScalars) else {
                    throw FuzzFinding(
                        "tokenizer: decode(encode(text)) differs (allowSpecial \(allowSpecial), "
                            + "normalizing \(normalizes)): \(expected.debugDescription.prefix(200)) became "
                            + "\(decoded.debugDescription.prefix(200))")
                }
                var streaming = tokenizer.makeStreamingDecoder(skipSpecial: false)
                let streamed = ids.map { streaming.push($0) }.joined() + streaming.finish()
                guard Array(streamed.unicodeScalars) == Array(decoded.unicodeScalars) else {
                    throw FuzzFinding("tokenizer: the streaming decoder differs from decode")
                }
            }
        }
    }

    /// A `tokenizer.json`: it loads or reports an error; one that loads encodes and decodes without trapping and
    /// gives ids inside its vocabulary.
    static func tokenizerFile(_ input: [UInt8]) throws(FuzzFinding) {
        guard let tokenizer = try? Tokenizer(data: Data(input), name: "fuzz/tokenizer.json") else { return }
        let ids = tokenizer.encode("def mean(xs):\n    return sum(xs) / len(xs)  # 平均 🚀\r\n<|mask|>")
        if let bad = ids.first(where: { $0 < 0 || $0 >= tokenizer.idLimit }) {
            throw FuzzFinding("tokenizer-file: id \(bad) outside the vocabulary (\(tokenizer.idLimit))")
        }
        _ = tokenizer.decode(ids + [-1, 0, tokenizer.idLimit], skipSpecial: false)
    }
}
