import Engine
import Foundation
import Tokenizer

/// What the targets read besides their input: the repository's model fixtures and default tokenizer, and a private
/// scratch directory where model-file targets write the files they then load.
///
/// Loaded once per process, so that an execution costs the reader's work, not the fixtures'.
public final class FuzzResources: @unchecked Sendable {
    // Sendable: every stored property is set in init and never changed; the scratch directory belongs to this
    // process alone (targets run one input at a time).
    /// The repository root (the directory that holds `Tests/Fixtures` and `Models/default`).
    public let root: URL
    /// Where model-file targets write the files they load.
    public let scratch: URL
    /// The default model's tokenizer (byte-level BPE, no normalizer).
    let defaultTokenizer: Tokenizer
    /// A Qwen2-like tokenizer fixture, whose NFC normalizer the round trip must account for.
    let normalizingTokenizer: Tokenizer
    /// A small Dream model: its config, its safetensors header and the tensor data after it.
    let safetensorsConfig: Data
    let safetensorsHeader: Data
    let safetensorsData: Data
    /// A small Dream GGUF: the tensor data after its header.
    let ggufData: Data

    /// The model fixture every model-file target starts from.
    static let modelFixture = "Tests/Fixtures/engine/dream_tied"
    static let ggufFixture = "Tests/Fixtures/engine/dream_tied.gguf"

    public init(root: URL) throws {
        self.root = root
        func file(_ path: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(path)) }
        defaultTokenizer = try Tokenizer(contentsOf: root.appendingPathComponent("Models/default/tokenizer.json").path)
        normalizingTokenizer = try Tokenizer(
            contentsOf: root.appendingPathComponent("Tests/Fixtures/tokenizer/qwen2-like.tokenizer.json").path)
        safetensorsConfig = try file(Self.modelFixture + "/config.json")
        let weights = try file(Self.modelFixture + "/model.safetensors")
        let headerLength = Self.safetensorsHeaderLength(weights)
        safetensorsHeader = weights.prefix(headerLength)
        safetensorsData = weights.dropFirst(headerLength)
        let gguf = try file(Self.ggufFixture)
        ggufData = gguf.dropFirst(try Engine.ggufDataStart(path: root.appendingPathComponent(Self.ggufFixture).path))
        // Memory-backed where the system has it: a model load per input writes its files, and on a disk the
        // block layer, not the reader, would set the pace.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        scratch =
            base
            .appendingPathComponent("dlsp-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// Finds the repository root from a directory inside it (the current directory, usually).
    public static func findRoot(from start: URL) -> URL? {
        var dir = start.standardizedFileURL
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(modelFixture).path) { return dir }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// The 8-byte length and the JSON header of a safetensors file.
    static func safetensorsHeaderLength(_ file: Data) -> Int {
        let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return 8 + length
    }

    /// The seed inputs of a target, derived from the fixtures (what `dlsp-fuzz seed` writes to `Fuzz/corpus`).
    public func seeds(for target: FuzzTarget) throws -> [[UInt8]] {
        func file(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: root.appendingPathComponent(path))) }
        switch target {
        case .safetensors:
            return try ["dream_tied", "llada_f16", "dream_bf16"].map { name in
                let weights = try file("Tests/Fixtures/engine/\(name)/model.safetensors")
                return Array(weights.prefix(Self.safetensorsHeaderLength(Data(weights))))
            }
        case .gguf:
            let path = root.appendingPathComponent(Self.ggufFixture).path
            return [Array(try file(Self.ggufFixture).prefix(try Engine.ggufDataStart(path: path)))]
        case .modelConfig:
            return try ["dream_tied", "llada_f16"].map { try file("Tests/Fixtures/engine/\($0)/config.json") }
        case .tokenizerFile:
            return [try file("Tests/Fixtures/engine/tokenizer.json")]
        default:
            return SeedInputs.inputs(for: target)
        }
    }
}
