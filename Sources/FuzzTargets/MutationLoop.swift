import Engine
import Foundation

/// The committed inputs of a target: its corpus (`Fuzz/corpus/TARGET`, seeds and what fuzzing found worth
/// keeping) and its regressions (`Fuzz/regressions/TARGET`, inputs that once crashed or broke an invariant).
public enum FuzzCorpus {
    public static func directory(_ kind: String, target: FuzzTarget, root: URL) -> URL {
        root.appendingPathComponent("Fuzz").appendingPathComponent(kind).appendingPathComponent(target.rawValue)
    }

    /// Every file of the target's corpus and regressions, in name order (so replays are reproducible).
    public static func load(target: FuzzTarget, root: URL) -> [(name: String, bytes: [UInt8])] {
        ["corpus", "regressions"].flatMap { kind -> [(name: String, bytes: [UInt8])] in
            let dir = directory(kind, target: target, root: root)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
            return names.compactMap { name in
                (try? Data(contentsOf: dir.appendingPathComponent(name))).map { ("\(kind)/\(name)", Array($0)) }
            }
        }
    }
}

/// A seeded mutation loop over a target: replay the corpus, then mutate corpus entries at random until a count
/// or a deadline. The same seed gives the same inputs.
public struct MutationLoop {
    public let target: FuzzTarget
    public let resources: FuzzResources
    public private(set) var corpus: [[UInt8]]
    private var mutator: Mutator
    private var random: SeededRNG

    public init(
        target: FuzzTarget, resources: FuzzResources, corpus: [[UInt8]], seed: UInt64,
        maximumLength: Int = 8192
    ) {
        self.target = target
        self.resources = resources
        self.corpus = corpus.isEmpty ? [[]] : corpus
        mutator = Mutator(seed: seed, maximumLength: maximumLength)
        random = SeededRNG(seed: seed ^ 0x5DEE_CE66)
    }

    /// The next input: a mutant of a random corpus entry.
    public mutating func nextInput() -> [UInt8] {
        let base = corpus[Int(random.next() % UInt64(corpus.count))]
        let other = corpus[Int(random.next() % UInt64(corpus.count))]
        return mutator.mutate(base, other: other)
    }

    /// Runs `count` mutants (or until `deadline`), calling `willRun` before each so a driver can keep the input
    /// for a crash report. Returns the number run; the first finding is thrown with its input.
    public mutating func run(
        count: Int, deadline: Date = .distantFuture,
        willRun: ([UInt8]) -> Void = { _ in }
    ) throws(FuzzFailure) -> Int {
        var executed = 0
        while executed < count {
            if executed % 64 == 0 && Date() >= deadline { break }
            let input = nextInput()
            willRun(input)
            do { try target.run(input, resources: resources) } catch {
                throw FuzzFailure(finding: error, input: input)
            }
            executed += 1
        }
        return executed
    }
}

/// A finding and the input that produced it.
public struct FuzzFailure: Error, CustomStringConvertible {
    public let finding: FuzzFinding
    public let input: [UInt8]
    public var description: String { "\(finding) (input of \(input.count) bytes)" }
}
