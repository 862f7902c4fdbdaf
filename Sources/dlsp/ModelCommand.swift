import ArgumentParser
import Engine
import Features
import Foundation

/// `dlsp model info|forward|quantize`: inspect a model, check it against a reference implementation, write it in
/// 8 bits.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a model directory or GGUF file, or write it as 8-bit weights.",
        subcommands: [Info.self, Forward.self, Quantize.self])

    static func load(_ path: String?, precision: WeightPrecision = .asStored) throws -> Engine {
        switch ModelLocator.locate(explicit: path) {
        case .success(let found): return try Engine.load(directory: found, precision: precision)
        case .failure(let error): throw ValidationError(error.description)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Architecture, parameter count, dtypes, tokenizer, special token ids, context length.")
        @Argument(help: "Model directory or .gguf file (default: the embedded model).") var path: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let engine = try Model.load(path)
            let c = engine.config
            let info: [String: Any] = [
                "source": engine.source, "family": c.family.rawValue, "architecture": c.architecture,
                "parameters": c.parameterCount, "layers": c.numLayers, "hidden": c.hiddenSize,
                "heads": c.numHeads, "kvHeads": c.numKVHeads, "headDim": c.headDim, "ffn": c.intermediateSize,
                "vocab": c.vocabSize, "tiedEmbeddings": c.tiedEmbeddings, "shiftLogits": c.shiftLogits,
                "ropeTheta": c.ropeTheta, "contextLength": c.maxPositions, "dtypes": engine.dtypeSummary,
                "tokenizer": engine.tokenizer.map { "\($0.vocabularySize) entries" } ?? "none",
                "maskTokenID": c.maskTokenID ?? -1, "eosTokenID": c.eosTokenID ?? -1, "padTokenID": c.padTokenID ?? -1,
                "fileSeparatorTokenID": c.fileSepTokenID ?? -1,
            ]
            if json {
                let data = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for key in info.keys.sorted() { print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(info[key]!)") }
            }
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Logits for a token sequence (mask ids allowed): the parity check against a reference.")
        @Argument(help: "Model directory or .gguf file (default: the embedded model).") var path: String?
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
                    rows.append(["position": position, "top": best.map {
                        ["id": $0, "logit": Double(row[$0]), "token": engine.tokenizer?.token(for: $0) ?? ""]
                    }])
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
                    let shown = best.map { "\($0["id"]!) \(String(format: "%.4f", $0["logit"] as! Double)) \(String(reflecting: $0["token"]!))" }
                    print("\(row["position"]!): " + shown.joined(separator: " | "))
                } else {
                    print("\(row["position"]!): \((row["logits"] as! [Double]).map { String(format: "%.6f", $0) }.joined(separator: " "))")
                }
            }
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
                    + String(format: "(%.0f%%) in %.1f s", 100 * Double(report.outputBytes) / Double(max(report.inputBytes, 1)),
                             report.seconds),
                report.tokenizerCopied ? "copied tokenizer.json"
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
