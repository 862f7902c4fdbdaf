import Engine
import Foundation

/// The model readers, on files a user brings: a mutated header in front of a real model's tensor data (so that
/// wrong offsets, overlapping tensors, huge or negative dimensions and truncations all point into real bytes), and
/// a mutated `config.json` beside real weights. Loading either succeeds or throws; a model that loads runs one
/// forward pass, which reads every tensor the header described (under the address sanitizer, an out-of-bounds
/// read there is a finding).
enum ModelFileTargets {
    static func safetensors(_ input: [UInt8], resources: FuzzResources) throws(FuzzFinding) {
        let dir = resources.scratch.appendingPathComponent("safetensors")
        write(
            dir,
            [
                "config.json": resources.safetensorsConfig,
                "model.safetensors": Data(input) + resources.safetensorsData,
            ])
        loadAndRun { try Engine.load(directory: dir.path, threads: 1) }
    }

    static func gguf(_ input: [UInt8], resources: FuzzResources) throws(FuzzFinding) {
        let dir = resources.scratch.appendingPathComponent("gguf")
        write(dir, ["model.gguf": Data(input) + resources.ggufData])
        loadAndRun { try Engine.loadGGUF(path: dir.appendingPathComponent("model.gguf").path, threads: 1) }
    }

    static func config(_ input: [UInt8], resources: FuzzResources) throws(FuzzFinding) {
        let dir = resources.scratch.appendingPathComponent("config")
        write(
            dir,
            [
                "config.json": Data(input),
                "model.safetensors": resources.safetensorsHeader + resources.safetensorsData,
            ])
        loadAndRun { try Engine.load(directory: dir.path, threads: 1) }
    }

    private static func write(_ dir: URL, _ files: [String: Data]) {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, data) in files {
            // A scratch directory that cannot be written is the harness's failure, not the reader's.
            // Not atomic: a temporary file and a rename per input would double the writes.
            do { try data.write(to: dir.appendingPathComponent(name), options: []) } catch {
                fatalError("cannot write the fuzz scratch file \(name): \(error)")
            }
        }
    }

    private static func loadAndRun(_ load: () throws -> Engine) {
        guard let engine = try? load() else { return }
        let vocab = engine.config.vocabSize
        _ = try? engine.forward([0, 1, min(2, vocab - 1), vocab - 1], rows: [3])
    }
}
