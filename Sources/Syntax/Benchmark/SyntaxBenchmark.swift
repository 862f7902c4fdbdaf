import Foundation

/// Timings of the syntax layer's hot paths on real files, for `dlsp bench syntax` and the project's figures.
public enum SyntaxBenchmark {
    /// Percentiles of repeated measurements, in milliseconds.
    public struct Timing: Sendable, CustomStringConvertible {
        public var samples: Int
        public var p50: Double
        public var p90: Double
        public var max: Double

        init(_ milliseconds: [Double]) {
            let sorted = milliseconds.sorted()
            samples = sorted.count
            p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            p90 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
            max = sorted.last ?? 0
        }

        public var description: String {
            String(format: "p50 %.3f ms, p90 %.3f ms, max %.3f ms (%d samples)", p50, p90, self.max, samples)
        }
    }

    /// Incremental reparse after a one-character insertion at `iterations` evenly spread offsets (each followed by
    /// its undo, which is not timed).
    public static func incrementalReparse(text: [UInt8], language: Language, iterations: Int = 200) throws -> Timing {
        let document = try ParsedDocument(text: text, language: language)
        var timings: [Double] = []
        for step in 0..<iterations {
            let offset = lineStart(in: document.text, near: document.text.count * step / max(iterations, 1))
            let started = DispatchTime.now().uptimeNanoseconds
            document.apply(TextEdit(range: offset..<offset, replacement: " "))
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            document.apply(TextEdit(range: offset..<(offset + 1), replacement: []))
        }
        return Timing(timings)
    }

    /// Building the context (with the given index) at `iterations` cursor positions spread over the file, reusing
    /// the document's tree as the server does.
    public static func contextBuilding(text: [UInt8], path: String, language: Language, builder: ContextBuilder,
                                       iterations: Int = 100) throws -> Timing {
        let tree = try Parser(language: language).parse(text)
        // As in the server: the open document is in the index, updated on each change.
        builder.index?.update(path: path, tree: tree)
        var timings: [Double] = []
        for step in 0..<iterations {
            let cursor = lineEnd(in: text, near: text.count * step / max(iterations, 1))
            let started = DispatchTime.now().uptimeNanoseconds
            _ = builder.build(ContextRequest(path: path, text: text, cursor: cursor), tree: tree)
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        return Timing(timings)
    }

    private static func lineStart(in text: [UInt8], near offset: Int) -> Int {
        var index = max(0, min(offset, text.count))
        while index > 0, text[index - 1] != UInt8(ascii: "\n") { index -= 1 }
        return index
    }

    private static func lineEnd(in text: [UInt8], near offset: Int) -> Int {
        var index = max(0, min(offset, text.count))
        while index < text.count, text[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }
}
