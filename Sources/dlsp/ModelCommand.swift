import ArgumentParser
import Engine
import Features
import Foundation
import LanguageServer
import ModelHub

/// `dlsp model info|forward|pull|list|quantize`: inspect a model, check it against a reference implementation, pull
/// one from the Hugging Face Hub and list those pulled, write one in 8 bits.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a model directory or GGUF file; pull models from the Hugging Face Hub; write 8-bit weights.",
        subcommands: [Info.self, Forward.self, Pull.self, List.self, Quantize.self])

    static func load(_ path: String?, precision: WeightPrecision = .automatic) throws -> Engine {
        switch ModelLocator.locate(explicit: path) {
        case .success(let found): return try Engine.load(directory: found, precision: precision)
        case .failure(let error): throw ValidationError(error.description)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Architecture, parameter count, dtypes, tokenizer, special token ids, context length.")
        @Argument(help: "Model directory, .gguf file or pulled ORG/NAME (default: the embedded model).") var path:
            String?
        @Option(help: "auto, as-stored or q8: how the engine would keep the weights (shown as panels).")
        var precision = "auto"
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let weightPrecision = WeightPrecision(rawValue: precision) else {
                throw ValidationError("--precision must be auto, as-stored or q8")
            }
            let engine = try Model.load(path, precision: weightPrecision)
            let c = engine.config
            let info: [String: Any] = [
                "source": engine.source, "family": c.family.rawValue, "architecture": c.architecture,
                // Within the Dream family, Qwen2 (Q/K/V bias) and Qwen3 (CoDA: per-head q/k RMSNorm) blocks.
                "layout": c.qkNorm ? "qwen3 (q/k norm)" : c.family == .dream ? "qwen2" : "llada",
                "parameters": c.parameterCount, "layers": c.numLayers, "hidden": c.hiddenSize,
                "heads": c.numHeads, "kvHeads": c.numKVHeads, "headDim": c.headDim, "ffn": c.intermediateSize,
                "vocab": c.vocabSize, "tiedEmbeddings": c.tiedEmbeddings, "shiftLogits": c.shiftLogits,
                "qkNorm": c.qkNorm, "attentionBias": c.attentionBias, "ropeTheta": c.ropeTheta,
                "contextLength": c.maxPositions, "dtypes": engine.dtypeSummary, "panels": engine.panelSummary,
                "tokenizer": engine.tokenizer.map { "\($0.vocabularySize) entries" } ?? "none",
                "maskTokenID": c.maskTokenID ?? -1, "eosTokenID": c.eosTokenID ?? -1, "padTokenID": c.padTokenID ?? -1,
                "fileSeparatorTokenID": c.fileSepTokenID ?? -1,
            ]
            if json {
                let data = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for key in info.keys.sorted() {
                    print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(info[key]!)")
                }
            }
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Logits for a token sequence (mask ids allowed): the parity check against a reference.")
        @Argument(help: "Model directory, .gguf file or pulled ORG/NAME (default: the embedded model).") var path:
            String?
        @Option(help: "Comma-separated token ids.") var ids: String
        @Option(help: "Print only the K most likely tokens per position (0 = every logit).") var top = 5
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let engine = try Model.load(path)
            let tokens = try ids.split(separator: ",").map { piece -> Int in
                guard let id = Int(piece.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("'\(piece)' is not a token id")
                }
                return id
            }
            guard !tokens.isEmpty else { throw ValidationError("--ids is empty") }
            let logits = try engine.forward(tokens)
            var rows: [[String: Any]] = []
            for (position, row) in logits.enumerated() {
                if top > 0 {
                    let best = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
                    rows.append([
                        "position": position,
                        "top": best.map {
                            ["id": $0, "logit": Double(row[$0]), "token": engine.tokenizer?.token(for: $0) ?? ""]
                        },
                    ])
                } else {
                    rows.append(["position": position, "logits": row.map(Double.init)])
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["logits": rows], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for row in rows {
                if let best = row["top"] as? [[String: Any]] {
                    let shown = best.map {
                        "\($0["id"]!) \(String(format: "%.4f", $0["logit"] as! Double)) "
                            + "\(String(reflecting: $0["token"]!))"
                    }
                    print("\(row["position"]!): " + shown.joined(separator: " | "))
                } else {
                    let logits = (row["logits"] as! [Double]).map { String(format: "%.6f", $0) }
                    print("\(row["position"]!): \(logits.joined(separator: " "))")
                }
            }
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model from the Hugging Face Hub into its cache (HF_HOME / HF_HUB_CACHE).",
            discussion: """
                Fetches only what dlsp loads (config.json, the tokenizer files, safetensors or one GGUF), \
                resumes interrupted downloads, and checks every file's size and hash against the hub's. \
                Progress goes to stderr; stdout gets only the snapshot's path. HF_ENDPOINT, HF_TOKEN and \
                HF_HUB_OFFLINE are honoured as by the hub's own client. The name then works wherever a \
                model path does (--model ORG/NAME, settings model.path).
                """)
        @Argument(help: "ORG/NAME or ORG/NAME@REVISION (a branch, tag or commit).") var name: String
        @Option(
            name: .customLong("include"), parsing: .singleValue,
            help: "A glob of files to take as weights (repeatable), e.g. '*Q8_0.gguf' when a repository has several.")
        var include: [String] = []
        @Option(help: "Tries per transfer before giving up (a later pull resumes).") var attempts = 5

        func run() throws {
            guard let reference = ModelReference(parsing: name) else {
                throw ValidationError("'\(name)' is not a hub name: expected ORG/NAME or ORG/NAME@REVISION")
            }
            let settings = HubSettings.from()
            let puller = ModelPuller(
                settings: settings, retry: PullRetry(attempts: attempts),
                userAgent: "dlsp/\(DLSPVersion.current)")
            let progress = PullProgress()
            let result: PullResult
            do {
                result = try puller.pull(reference, include: include, events: progress.handle)
            } catch let error as HubError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
            let loads = PulledModels.loadability(of: result.snapshot, files: result.files.map(\.path))
            FileHandle.standardError.write(
                Data(
                    ("\(reference) \(result.commit.prefix(10)): "
                        + "\(PulledModels.formatBytes(result.bytesDownloaded)) downloaded; loads as \(loads)\n").utf8))
            print(result.snapshot.path)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The models in the Hugging Face Hub cache, their revisions, size and whether dlsp loads them.")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let cache = HubCache(root: HubSettings.cacheDirectory())
            let rows = PulledModels.rows(in: cache)
            if json {
                let objects: [[String: Any]] = rows.map {
                    [
                        "name": $0.name, "repoId": $0.repoID, "revisions": $0.revisions, "commit": $0.commit,
                        "path": $0.path, "files": $0.files, "bytesOnDisk": $0.bytesOnDisk,
                        "bytesIncomplete": $0.bytesIncomplete, "loads": $0.loadability.loads,
                        "loadability": $0.loadability.description,
                    ]
                }
                let data = try JSONSerialization.data(
                    withJSONObject: ["cache": cache.root.path, "models": objects],
                    options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            guard !rows.isEmpty else {
                FileHandle.standardError.write(
                    Data("no models in \(cache.root.path); pull one with `dlsp model pull ORG/NAME`\n".utf8))
                return
            }
            print(PulledModels.table(rows))
        }
    }

    struct Quantize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a model's matrices as 8-bit weights (GGUF Q8_0) into a directory dlsp loads.",
            discussion: """
                IN is a model directory (safetensors in f32, f16 or bf16, sharded or not; Dream or LLaDA family) \
                or a GGUF file. OUT receives \(ModelQuantizer.modelFileName) and a copy of IN's tokenizer.json; \
                use it as --model OUT or model.path. What was done goes to stderr; stdout gets OUT's path.
                """)
        @Argument(help: "Model directory or .gguf file.") var input: String
        @Argument(help: "Output directory (must not exist unless --force).") var output: String
        @Flag(help: "Replace OUT if it exists.") var force = false

        func run() throws {
            // An EngineError names the file and the problem; ArgumentParser prints it without the usage text.
            let report = try ModelQuantizer.quantize(input: input, output: output, force: force)
            func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
            var lines = [
                "quantised \(report.q8Tensors) matrices to Q8_0, \(report.f16Tensors) to F16 (rows not whole blocks "
                    + "of 32), \(report.f32Tensors) vectors kept in F32",
                "weights \(mib(report.inputBytes)) -> \(report.modelFile) \(mib(report.outputBytes)) "
                    + String(
                        format: "(%.0f%%) in %.1f s",
                        100 * Double(report.outputBytes) / Double(max(report.inputBytes, 1)),
                        report.seconds),
                report.tokenizerCopied
                    ? "copied tokenizer.json"
                    : "no tokenizer.json beside the input: OUT has none (add one before completing with it)",
            ]
            if !report.skippedTensors.isEmpty {
                lines.append("not written (unused by the engine): " + report.skippedTensors.joined(separator: ", "))
            }
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            print(report.outputDirectory)
        }
    }
}
