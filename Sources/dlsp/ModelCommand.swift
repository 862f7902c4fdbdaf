import ArgumentParser
import Engine
import Features
import Foundation

/// `dlsp model info|forward`: inspect a model and check it against a reference implementation.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a model directory or GGUF file.", subcommands: [Info.self, Forward.self])

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
                // Within the Dream family, Qwen2 (Q/K/V bias) and Qwen3 (CoDA: per-head q/k RMSNorm) blocks.
                "layout": c.qkNorm ? "qwen3 (q/k norm)" : c.family == .dream ? "qwen2" : "llada",
                "parameters": c.parameterCount, "layers": c.numLayers, "hidden": c.hiddenSize,
                "heads": c.numHeads, "kvHeads": c.numKVHeads, "headDim": c.headDim, "ffn": c.intermediateSize,
                "vocab": c.vocabSize, "tiedEmbeddings": c.tiedEmbeddings, "shiftLogits": c.shiftLogits,
                "qkNorm": c.qkNorm, "attentionBias": c.attentionBias, "ropeTheta": c.ropeTheta,
                "contextLength": c.maxPositions, "dtypes": engine.dtypeSummary,
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
}
