import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Timings of the syntax layer's hot paths on real files, for `dlsp bench syntax` and the project's figures.
public enum SyntaxBenchmark {
    /// Percentiles of repeated measurements, in milliseconds: wall-clock time, and the thread's CPU time, which
    /// stays meaningful on a machine crowded with other work.
    public struct Timing: Sendable, CustomStringConvertible {
        public var samples: Int
        public var p50: Double
        public var p90: Double
        public var max: Double
        public var cpuP50: Double
        public var cpuP90: Double

        init(wall: [Double], cpu: [Double]) {
            let sorted = wall.sorted()
            let sortedCPU = cpu.sorted()
            samples = sorted.count
            p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            p90 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
            max = sorted.last ?? 0
            cpuP50 = sortedCPU.isEmpty ? 0 : sortedCPU[sortedCPU.count / 2]
            cpuP90 = sortedCPU.isEmpty ? 0 : sortedCPU[min(sortedCPU.count - 1, sortedCPU.count * 9 / 10)]
        }

        public var description: String {
            String(
                format: "wall p50 %.3f ms, p90 %.3f ms, max %.3f ms; cpu p50 %.3f ms, p90 %.3f ms (%d samples)",
                p50, p90, self.max, cpuP50, cpuP90, samples)
        }
    }

    /// Measures `body` in wall-clock and thread CPU milliseconds.
    private static func measure(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        var cpuStart = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpuStart)
        let started = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        var cpuEnd = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpuEnd)
        let cpu = Double(cpuEnd.tv_sec - cpuStart.tv_sec) * 1e3 + Double(cpuEnd.tv_nsec - cpuStart.tv_nsec) / 1e6
        return (wall, cpu)
    }

    /// Incremental reparse after a one-character insertion at `iterations` evenly spread offsets (each followed by
    /// its undo, which is not timed).
    public static func incrementalReparse(text: [UInt8], language: Language, iterations: Int = 200) throws -> Timing {
        let document = try ParsedDocument(text: text, language: language)
        var wall: [Double] = []
        var cpu: [Double] = []
        for step in 0..<iterations {
            let offset = lineStart(in: document.text, near: document.text.count * step / max(iterations, 1))
            let timing = measure { document.apply(TextEdit(range: offset..<offset, replacement: " ")) }
            wall.append(timing.wall)
            cpu.append(timing.cpu)
            document.apply(TextEdit(range: offset..<(offset + 1), replacement: []))
        }
        return Timing(wall: wall, cpu: cpu)
    }

    /// Building the context (with the given index) at `iterations` cursor positions spread over the file, reusing
    /// the document's tree as the server does.
    public static func contextBuilding(
        text: [UInt8], path: String, language: Language, builder: ContextBuilder,
        iterations: Int = 100
    ) throws -> Timing {
        let tree = try Parser(language: language).parse(text)
        // As in the server: the open document is in the index, updated on each change.
        builder.index?.update(path: path, tree: tree)
        var wall: [Double] = []
        var cpu: [Double] = []
        for step in 0..<iterations {
            let cursor = lineEnd(in: text, near: text.count * step / max(iterations, 1))
            let timing = measure {
                _ = builder.build(ContextRequest(path: path, text: text, cursor: cursor), tree: tree)
            }
            wall.append(timing.wall)
            cpu.append(timing.cpu)
        }
        return Timing(wall: wall, cpu: cpu)
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
