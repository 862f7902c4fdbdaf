import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Which of a repository's files a pull downloads: what the engine loads, nothing else.
///
/// Always the top-level `config.json`, `tokenizer.json`, `tokenizer_config.json` and `generation_config.json` when
/// present. Then one set of weights: the safetensors (every shard and its index), or else a single GGUF file. A
/// repository with several sets (safetensors and GGUF, or GGUF in several quantisations) needs `--include` globs,
/// which then pick the weights (and may add any other file). PyTorch `.bin`/`.pt`, ONNX, `.h5`, `.msgpack`, images
/// and the rest are skipped and listed.
public struct FileSelection: Sendable, Equatable {
    public var selected: [String]
    public var skipped: [String]

    static let metadataFiles: Set<String> = [
        "config.json", "tokenizer.json", "tokenizer_config.json",
        "generation_config.json",
    ]

    /// Chooses among `files` (paths inside the repository). `include` holds shell globs (`*` also crosses `/`, as
    /// the hub's client's `allow_patterns` do).
    public static func choose(from files: [String], include: [String], reference: ModelReference) throws
        -> FileSelection
    {
        let metadata = files.filter { metadataFiles.contains($0) }
        let safetensors = files.filter {
            !$0.contains("/") && ($0.hasSuffix(".safetensors") || $0.hasSuffix(".safetensors.index.json"))
        }
        let ggufs = files.filter { !$0.contains("/") && $0.hasSuffix(".gguf") }
        var chosen: [String]
        if !include.isEmpty {
            let matched = files.filter { file in include.contains { matches(file, glob: $0) } }
            guard !matched.isEmpty else { throw HubError.includeMatchedNothing(patterns: include, files: files) }
            chosen = metadata + matched
        } else if !safetensors.isEmpty && ggufs.isEmpty {
            chosen = metadata + safetensors
        } else if safetensors.isEmpty && ggufs.count == 1 {
            chosen = metadata + ggufs
        } else if safetensors.isEmpty && ggufs.isEmpty {
            throw HubError.noModelFiles(reference, files: files)
        } else {
            throw HubError.ambiguousWeights(reference, choices: (safetensors.isEmpty ? [] : ["*.safetensors"]) + ggufs)
        }
        let hasWeights = chosen.contains { $0.hasSuffix(".safetensors") || $0.hasSuffix(".gguf") }
        guard hasWeights, chosen.contains("config.json") || chosen.contains(where: { $0.hasSuffix(".gguf") }) else {
            throw HubError.noModelFiles(reference, files: files)
        }
        var seen = Set<String>()
        chosen = chosen.filter { seen.insert($0).inserted }.sorted()
        return FileSelection(selected: chosen, skipped: files.filter { !seen.contains($0) }.sorted())
    }

    static func matches(_ path: String, glob: String) -> Bool {
        fnmatch(glob, path, 0) == 0
    }
}
