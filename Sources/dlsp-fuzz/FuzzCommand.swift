#if !DLSP_LIBFUZZER
    import Foundation
    import FuzzTargets

    /// `dlsp-fuzz`: the fuzz targets without libFuzzer (any build, any toolchain).
    ///
    ///     dlsp-fuzz run TARGET [--seconds S] [--runs N] [--seed X]  seeded mutation loop from the committed corpus
    ///     dlsp-fuzz replay TARGET FILE...                            run inputs once (a crash reproducer, say)
    ///     dlsp-fuzz seed [TARGET...]                                 (re)write Fuzz/corpus/TARGET/seed-* from fixtures
    ///     dlsp-fuzz list                                             the targets
    ///
    /// A finding or a crash leaves its input in `Fuzz/findings/` (not committed: a fixed one moves to
    /// `Fuzz/regressions/`); an input that runs longer than a second is reported as a hang. libFuzzer builds of this
    /// executable (`scripts/fuzz.sh`) have no `main` of their own and take libFuzzer's options instead.
    @main
    struct FuzzCommand {
        static func main() {
            var arguments = Array(CommandLine.arguments.dropFirst())
            guard !arguments.isEmpty else { usage() }
            let command = arguments.removeFirst()
            guard
                let root = FuzzResources.findRoot(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            else { fail("run dlsp-fuzz inside the dlsp repository (it reads Tests/Fixtures and Fuzz/)") }
            switch command {
            case "list":
                FuzzTarget.allCases.forEach { print($0.rawValue) }
            case "seed":
                let targets = arguments.isEmpty ? FuzzTarget.allCases : arguments.map(target)
                let resources = loadResources(root)
                for target in targets { writeSeeds(target, resources: resources, root: root) }
            case "replay":
                guard !arguments.isEmpty else { usage() }
                let target = target(arguments.removeFirst())
                let resources = loadResources(root)
                for path in arguments {
                    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
                    do { try target.run(Array(data), resources: resources) } catch {
                        fail("\(path): \(error)")
                    }
                    print("\(path): ok")
                }
            case "run":
                guard !arguments.isEmpty else { usage() }
                let target = target(arguments.removeFirst())
                var seconds = 10.0, runs = Int.max, seed: UInt64 = 1
                while !arguments.isEmpty {
                    let flag = arguments.removeFirst()
                    guard let value = arguments.first else { usage() }
                    arguments.removeFirst()
                    switch flag {
                    case "--seconds": seconds = Double(value) ?? seconds
                    case "--runs": runs = Int(value) ?? runs
                    case "--seed": seed = UInt64(value) ?? seed
                    default: usage()
                    }
                }
                runLoop(target, root: root, seconds: seconds, runs: runs, seed: seed)
            default:
                usage()
            }
        }

        static func runLoop(_ target: FuzzTarget, root: URL, seconds: Double, runs: Int, seed: UInt64) {
            let resources = loadResources(root)
            let committed = FuzzCorpus.load(target: target, root: root)
            let findings = root.appendingPathComponent("Fuzz/findings")
            try? FileManager.default.createDirectory(at: findings, withIntermediateDirectories: true)
            CrashReporter.install(artifact: findings.appendingPathComponent("crash-\(target.rawValue)").path)
            let started = Date()
            for entry in committed {
                CrashReporter.willRun(entry.bytes)
                do { try target.run(entry.bytes, resources: resources) } catch {
                    fail("\(target.rawValue): committed input \(entry.name) fails: \(error)")
                }
            }
            var loop = MutationLoop(target: target, resources: resources, corpus: committed.map(\.bytes), seed: seed)
            do {
                let executed = try loop.run(
                    count: max(0, runs - committed.count),
                    deadline: started.addingTimeInterval(seconds),
                    willRun: CrashReporter.willRun)
                CrashReporter.disarm()
                let elapsed = Date().timeIntervalSince(started)
                let total = executed + committed.count
                print(
                    "\(target.rawValue): \(total) executions in \(String(format: "%.1f", elapsed)) s "
                        + "(\(Int(Double(total) / max(elapsed, 1e-9))) exec/s), \(committed.count) committed inputs, "
                        + "0 findings, slowest input \(String(format: "%.1f", CrashReporter.slowestMilliseconds)) ms, "
                        + "seed \(seed)")
            } catch {
                CrashReporter.disarm()
                let path = findings.appendingPathComponent("finding-\(target.rawValue)-\(seed)").path
                let saved = FileManager.default.createFile(atPath: path, contents: Data(error.input))
                fail(
                    "\(target.rawValue): \(error.finding); "
                        + (saved ? "input saved to \(path)" : "could not save the input to \(path)"))
            }
        }

        static func writeSeeds(_ target: FuzzTarget, resources: FuzzResources, root: URL) {
            let dir = FuzzCorpus.directory("corpus", target: target, root: root)
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for (i, seed) in try resources.seeds(for: target).enumerated() {
                    try Data(seed).write(to: dir.appendingPathComponent("seed-\(i)"))
                }
            } catch {
                fail("cannot write the seeds of \(target.rawValue): \(error)")
            }
        }

        static func loadResources(_ root: URL) -> FuzzResources {
            do { return try FuzzResources(root: root) } catch { fail("cannot load the fuzz fixtures: \(error)") }
        }

        static func target(_ name: String) -> FuzzTarget {
            guard let target = FuzzTarget(rawValue: name) else {
                fail(
                    "unknown target '\(name)'; targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return target
        }

        static func usage() -> Never {
            fail(
                "usage: dlsp-fuzz run TARGET [--seconds S] [--runs N] [--seed X] | replay TARGET FILE... | "
                    + "seed [TARGET...] | list")
        }

        static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data(("dlsp-fuzz: " + message + "\n").utf8))
            exit(1)
        }
    }
#endif
