import ArgumentParser
import Engine
import Features
import Foundation
import Syntax
import Tokenizer

/// `dlsp bench engine|tokenizer`: figures, not pass/fail; each run measures its own baseline (sgemm's GFLOP/s).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures.",
        subcommands: [
            EngineBench.self, TypingBench.self, KernelsBench.self, TokenizerBench.self, SyntaxBench.self,
            InfillBench.self,
            BenchServe.self,
        ])

    struct EngineBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "engine",
            abstract: "ms per denoising step and per fill (1,024 tokens of context, 32-token hole, 16 steps), "
                + "with and without the cache; full-forward GFLOP/s beside sgemm's; peak RSS.")
        @Option(
            help: ArgumentHelp(
                "A model (directory, .gguf or pulled ORG/NAME) to measure instead of the default model's shape "
                    + "with random weights."))
        var model: String?
        @Flag(help: "Skip the Open-dCoder-0.5B-shaped model (it takes minutes).") var small = false
        @Option(help: "Threads for OpenBLAS and the engine's kernels.") var threads = 2
        @Option(help: "Repeats per figure (the median is reported).") var repeats = 5
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let modelPath = try model.map { name -> String in
                switch ModelLocator.locate(explicit: name) {
                case .success(let path): return path
                case .failure(let error): throw ValidationError(error.description)
                }
            }
            let figures = try EngineBenchmark.standard(
                modelPath: modelPath, includeLarge: !small, threads: threads,
                repeats: repeats)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(figures), as: UTF8.self))
                return
            }
            for f in figures {
                print(
                    """
                    \(f.model): \(f.parameters / 1000) k parameters, \(f.threads) threads, \
                    context \(f.contextTokens), hole \(f.holeTokens), \(f.steps) steps
                      fill     cached p50 \(fmt(f.fillMsCached)) ms (best \(fmt(f.fillMsCachedBest)))\
                       uncached p50 \(fmt(f.fillMsUncached)) ms (best \(fmt(f.fillMsUncachedBest)))\
                       cache speed-up \(fmt(f.cacheSpeedup))×
                      typing   after a fill \(f.typedTokens) tokens shorter, reusing its K/V: \
                    p50 \(fmt(f.fillMsReused)) ms   speed-up over cached \(fmt(f.reuseSpeedup))×\
                       tokens agreeing with a fresh fill \(fmt(f.reuseAgreement * 100))%
                               first forward \(fmt(f.reusedFirstForwardMs)) ms + \
                    step forwards \(fmt(f.reusedStepForwardsMs)) ms + LM head \(fmt(f.reusedLogitsMs)) ms + \
                    sampling \(fmt(f.reusedSamplingMs)) ms
                      batch    two requests' hole rows stacked in one forward instead of two forwards: \
                    \(fmt(f.batchOfTwoGain))× throughput
                      step     cached \(fmt(f.stepMsCached)) ms   uncached \(fmt(f.stepMsUncached)) ms\
                       hole-only step \(fmt(f.partialStepMs)) ms
                      forward  full canvas \(fmt(f.fullForwardMs)) ms = \(fmt(f.fullForwardGFLOPs)) GFLOP/s\
                       sgemm \(fmt(f.sgemmGFLOPs)) GFLOP/s   ratio \(fmt(f.fractionOfSgemm * 100))%
                      kernels  \(f.kernels); the same through OpenBLAS alone: \
                    cached fill \(fmt(f.sgemmPathFillMsCached)) ms \
                    (\(fmt(f.sgemmPathFillMsCached / f.fillMsCached))×), \
                    typing \(fmt(f.sgemmPathFillMsReused)) ms (\(fmt(f.sgemmPathFillMsReused / f.fillMsReused))×), \
                    full forward \(fmt(f.sgemmPathFullForwardMs)) ms \
                    (\(fmt(f.sgemmPathFullForwardMs / f.fullForwardMs))×)
                      RSS      \(fmt(f.rssMiB)) MiB after the measurements, peak \(fmt(f.peakRSSMiB)) MiB
                    """)
            }
        }
    }

    struct TypingBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "typing",
            abstract: "What a user typing on one line waits for: ms per fill with one keystroke between fills "
                + "(p50, p95) and a cold fill, for the Open-dCoder-0.5B or CoDA-1.7B shape (random weights) as stored "
                + "in bf16 and quantised to 8 bits, or for a model of yours.")
        @Option(help: "A model to measure instead of a shape with random bf16 weights.")
        var model: String?
        @Option(help: "The shape measured without --model: open-dcoder (Qwen2.5-0.5B) or coda (Qwen3-1.7B, q/k norm).")
        var shape = "open-dcoder"
        @Option(help: "Weights as stored, 8-bit, or both (as-stored, q8, both).") var precision = "both"
        @Option(help: "Step counts to measure, comma-separated (fixed schedules: hole / steps tokens a step).")
        var steps = "16,8,4"
        @Option(help: "Tokens of context around the hole.") var context = 1024
        @Option(help: "Hole length in tokens (a single line).") var hole = 16
        @Option(help: "Keystrokes (typed fills) per figure.") var keystrokes = 12
        @Option(help: "Cold fills per figure (the median is reported).") var coldRepeats = 3
        @Option(help: "Threads for OpenBLAS and the engine's kernels.") var threads = 2
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let precisions: [WeightPrecision]
            switch precision {
            case "both": precisions = [.asStored, .q8]
            default:
                guard let p = WeightPrecision(rawValue: precision) else {
                    throw ValidationError("--precision must be as-stored, q8 or both")
                }
                precisions = [p]
            }
            let stepCounts = try steps.split(separator: ",").map { piece -> Int in
                guard let n = Int(piece), n > 0 else { throw ValidationError("'\(piece)' is not a step count") }
                return n
            }
            let shapes = [
                "open-dcoder": (EngineBenchmark.openDCoderShape(), "open-dcoder-0.5B-shape (random)"),
                "coda": (EngineBenchmark.codaShape(), "coda-1.7B-shape (random)"),
            ]
            guard let (shapeConfig, shapeName) = shapes[shape] else {
                throw ValidationError("--shape must be open-dcoder or coda")
            }
            var figures: [TypingBenchmark.Figures] = []
            for p in precisions {
                let engine: Engine
                let name: String
                if let model {
                    engine = try Model.load(model, precision: p)
                    name = model
                } else {
                    engine = try Engine.random(config: shapeConfig, bf16: true, threads: threads, precision: p)
                    name = shapeName
                }
                let window = min(context, engine.config.maxPositions - hole)
                for n in stepCounts {
                    let f = try TypingBenchmark.run(
                        engine: engine, name: name, context: window, hole: hole, steps: n,
                        keystrokes: keystrokes, coldRepeats: coldRepeats)
                    figures.append(f)
                    if !json {
                        print(
                            """
                            \(f.model), weights \(f.weights), kernels \(f.kernels), \(f.threads) threads: \
                            context \(f.contextTokens), hole \(f.holeTokens), \(f.steps) steps
                              typing  p50 \(fmt(f.typingMsP50)) ms   p95 \(fmt(f.typingMsP95)) ms\
                               (\(f.keystrokes) keystrokes)   cold \(fmt(f.coldMs)) ms
                                      first forward \(fmt(f.firstForwardMs)) + \
                            step forwards \(fmt(f.stepForwardsMs)) + LM head \(fmt(f.logitsMs)) + \
                            sampling \(fmt(f.samplingMs)) ms   RSS \(fmt(f.rssMiB)) MiB
                            """)
                    }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            }
        }
    }

    struct KernelsBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kernels",
            abstract: "GFLOP/s of the engine's C kernels beside OpenBLAS on a forward pass's shapes.")
        @Option(help: "Threads for OpenBLAS and the engine's kernels.") var threads = 2
        @Flag(
            help: ArgumentHelp(
                "Instead: the Open-dCoder-0.5B shape's products in every panel format (f32, bf16, "
                    + "8-bit) on every instruction set the CPU has.")) var panels = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            if panels {
                let rows = KernelBenchmark.panels(threads: threads)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(rows), as: UTF8.self))
                    return
                }
                print("panel products, Open-dCoder-0.5B shapes, \(threads) threads; fastest of the repeats")
                for r in rows {
                    let label = "\(r.product) × \(r.rows) rows".padding(toLength: 30, withPad: " ", startingAt: 0)
                    let how = "\(r.format) \(r.kernels)".padding(toLength: 18, withPad: " ", startingAt: 0)
                    print(
                        "  \(label) \(how) \(fmt(r.milliseconds)) ms   \(fmt(r.gflops)) GFLOP/s   "
                            + "weights \(fmt(r.weightGBs)) GB/s"
                    )
                }
                return
            }
            let rows = KernelBenchmark.run(threads: threads)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            print("kernels: \(KernelISA.active), \(threads) threads; GFLOP/s, fastest of the repeats")
            for r in rows {
                print(
                    "  \(r.name.padding(toLength: 44, withPad: " ", startingAt: 0)) kernel \(fmt(r.kernelGFLOPs))   "
                        + "sgemm \(fmt(r.sgemmGFLOPs))   \(fmt(r.kernelGFLOPs / r.sgemmGFLOPs))×"
                )
            }
        }
    }

    struct TokenizerBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokenizer", abstract: "Encode and decode throughput of a model's tokenizer.")
        @Option(help: "tokenizer.json (default: the embedded model's).") var tokenizer: String?
        @Option(help: "Bytes of sample code text.") var bytes = 2_000_000

        func run() throws {
            let path: String
            if let tokenizer {
                path = tokenizer
            } else {
                path = try Model.load(nil).source + "/tokenizer.json"
            }
            let loaded = try Tokenizer(contentsOf: path)
            print(TokenizerBenchmark.measure(loaded, text: TokenizerBenchmark.sampleText(byteCount: bytes)))
        }
    }
}

extension Bench {
    struct SyntaxBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "syntax",
            abstract: "Incremental reparse after a one-character edit, and context building over an indexed workspace.")
        @Argument(help: "A source file to measure on.") var file: String
        @Option(help: "A workspace folder to index first (default: the file's folder).") var workspace: String?

        func run() throws {
            let url = URL(fileURLWithPath: file).standardizedFileURL
            let registry = try LanguageRegistry(locations: try GrammarLocations.resolve())
            guard let language = registry.language(forPath: url.path) else {
                throw ValidationError("no grammar for \(file); run `dlsp grammars install`")
            }
            let text = Array(try Data(contentsOf: url))
            let root = URL(fileURLWithPath: workspace ?? url.deletingLastPathComponent().path)
            let index = WorkspaceIndex(registry: registry)
            let summary = index.index(roots: [root])
            print(
                "index      \(summary.files) files, \(summary.definitions) definitions, \(summary.bytes / 1024) KiB "
                    + "in \(String(format: "%.2f", summary.seconds)) s"
            )
            print("reparse    \(try SyntaxBenchmark.incrementalReparse(text: text, language: language))")
            let builder = ContextBuilder(registry: registry, index: index)
            let path = index.relativePath(for: url) ?? url.lastPathComponent
            let context = try SyntaxBenchmark.contextBuilding(
                text: text, path: path, language: language, builder: builder)
            print("context    \(context)")
        }
    }
}

private func fmt(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.1f", value) }
