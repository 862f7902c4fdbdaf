/// Encode throughput, for `dlsp bench` and for anyone comparing tokenizer changes. It measures; it asserts nothing.
public enum TokenizerBenchmark {
    /// One measurement.
    public struct Result: Sendable, CustomStringConvertible {
        /// UTF-8 bytes encoded per pass.
        public let bytes: Int
        /// Tokens produced per pass.
        public let tokens: Int
        /// Encode throughput with the word cache emptied before the pass.
        public let coldMegabytesPerSecond: Double
        /// Best encode throughput over the repeated passes (the cache filled by the earlier ones).
        public let warmMegabytesPerSecond: Double
        /// Decode throughput of the ids, in megabytes of text per second (best pass).
        public let decodeMegabytesPerSecond: Double

        public var description: String {
            let format = { (value: Double) in "\((value * 10).rounded() / 10)" }
            return "\(bytes) bytes → \(tokens) tokens; encode \(format(coldMegabytesPerSecond)) MB/s cold, "
                + "\(format(warmMegabytesPerSecond)) MB/s warm; decode \(format(decodeMegabytesPerSecond)) MB/s"
        }
    }

    /// Encodes and decodes `text` with `tokenizer`: once with an empty cache, then `passes` more times.
    /// MB means 10⁶ bytes of UTF-8 input.
    public static func measure(_ tokenizer: Tokenizer, text: String, passes: Int = 5) -> Result {
        let bytes = text.utf8.count
        let clock = ContinuousClock()
        tokenizer.cache.removeAll()
        var ids: [Int] = []
        let cold = clock.measure { ids = tokenizer.encode(text) }
        var warm = Duration.seconds(1_000_000)
        var decode = Duration.seconds(1_000_000)
        for _ in 0..<max(1, passes) {
            warm = min(warm, clock.measure { ids = tokenizer.encode(text) })
            decode = min(decode, clock.measure { _ = tokenizer.decode(ids) })
        }
        func rate(_ duration: Duration) -> Double {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return seconds > 0 ? Double(bytes) / seconds / 1e6 : .infinity
        }
        return Result(
            bytes: bytes, tokens: ids.count, coldMegabytesPerSecond: rate(cold),
            warmMegabytesPerSecond: rate(warm), decodeMegabytesPerSecond: rate(decode))
    }

    /// Code-like text of about `byteCount` bytes (Swift, Python and C in turn, with comments in several scripts),
    /// generated so that identifiers vary as in a real workspace rather than repeating one snippet.
    public static func sampleText(byteCount: Int = 1_000_000) -> String {
        var text = ""
        text.reserveCapacity(byteCount + 512)
        var index = 0
        while text.utf8.count < byteCount {
            let name = "value\(index % 997)"
            switch index % 4 {
            case 0:
                text +=
                    "func compute\(index)(_ \(name): Int) -> Int {\n    // Sum the squares up to \(name).\n"
                    + "    return (0..<\(name)).reduce(0) { $0 + $1 * $1 }\n}\n\n"
            case 1:
                text +=
                    "def load_\(index)(path, \(name)=None):\n    \"\"\"Read the file; 読み込み.\"\"\"\n"
                    + "    with open(path, encoding=\"utf-8\") as handle:\n        return handle.read()[:\(index)]\n\n"
            case 2:
                text +=
                    "static int scale_\(index)(int \(name)) {\n\t/* Échelle: ×\(index % 10) */\n"
                    + "\treturn \(name) * \(index % 10) + 0x\(String(index, radix: 16));\n}\n\n"
            default:
                text += "const item\(index) = items.map((x) => x.\(name) ?? \"Привет, мир\"); // 🚀 done\n\n"
            }
            index += 1
        }
        return text
    }
}
