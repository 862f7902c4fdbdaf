import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz input (seeds, what fuzzing kept, and every past finding as a regression) still runs clean,
/// and a short seeded mutation run of each target finds nothing. The long runs are `scripts/fuzz.sh`.
@Suite(.serialized) struct FuzzCorpusTests {
    static let root: URL = {
        guard let root = FuzzResources.findRoot(from: URL(fileURLWithPath: #filePath)) else {
            fatalError("the repository root is not above \(#filePath)")
        }
        return root
    }()
    static let resources: FuzzResources = {
        do { return try FuzzResources(root: root) } catch { fatalError("cannot load the fuzz fixtures: \(error)") }
    }()

    /// Mutants per target: the cheap readers get more; a model load writes and maps files each time, and an edit
    /// script replays hundreds of edits through the unoptimised debug build of `SourceText`.
    static func mutants(_ target: FuzzTarget) -> Int {
        switch target {
        case .safetensors, .gguf, .modelConfig, .tokenizerFile, .textDocument: return 300
        default: return 3_000
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func committedInputsRunClean(target: FuzzTarget) throws {
        let inputs = FuzzCorpus.load(target: target, root: Self.root)
        #expect(inputs.contains { $0.name.hasPrefix("corpus/") }, "no committed corpus for \(target.rawValue)")
        for input in inputs {
            do { try target.run(input.bytes, resources: Self.resources) } catch {
                Issue.record("\(target.rawValue) \(input.name): \(error)")
            }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func shortMutationRunFindsNothing(target: FuzzTarget) throws {
        var loop = MutationLoop(
            target: target, resources: Self.resources,
            corpus: FuzzCorpus.load(target: target, root: Self.root).map(\.bytes), seed: 20261204)
        do {
            let executed = try loop.run(count: Self.mutants(target))
            #expect(executed == Self.mutants(target))
        } catch {
            Issue.record("\(target.rawValue): \(error.finding) on input \(error.input)")
        }
    }

    /// The model-file seeds are the fixtures' real headers, so mutation starts from files the loader accepts.
    @Test func modelFileSeedsAreRealHeaders() throws {
        for target in [FuzzTarget.safetensors, .gguf, .modelConfig, .tokenizerFile] {
            let seeds = try Self.resources.seeds(for: target)
            #expect(!seeds.isEmpty && seeds.allSatisfy { $0.count > 64 }, "\(target.rawValue)")
        }
    }
}
