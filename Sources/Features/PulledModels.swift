import Engine
import Foundation
import ModelHub

/// The models in the hub cache, one row per snapshot, each with whether dlsp can load it (`dlsp model list`).
public enum PulledModels {
    /// One snapshot of a cached repository.
    public struct Row: Sendable, Equatable {
        /// `ORG/NAME`.
        public var repoID: String
        /// The revisions (`refs/`) that point at this commit, sorted; empty for a commit pulled by hash.
        public var revisions: [String]
        public var commit: String
        public var files: [String]
        /// The repository's blobs on disk (shared by its snapshots, so the same on each of its rows).
        public var bytesOnDisk: Int64
        /// Bytes of downloads a later pull resumes.
        public var bytesIncomplete: Int64
        /// What the engine sees in it, or why it cannot load it.
        public var loadability: Loadability
        /// The snapshot folder (what `--model ORG/NAME` loads).
        public var path: String

        /// The name that loads this snapshot: `ORG/NAME` for `main`, else pinned to a revision or the commit.
        public var name: String {
            if revisions.contains("main") { return repoID }
            return "\(repoID)@\(revisions.first ?? commit)"
        }
    }

    public enum Loadability: Sendable, Equatable, CustomStringConvertible {
        /// A config.json the engine reads: its family and architecture.
        case safetensors(family: String, architecture: String, parameters: Int)
        /// GGUF weights (their metadata is read when loaded).
        case gguf(file: String)
        case no(String)

        public var description: String {
            switch self {
            case .safetensors(let family, let architecture, let parameters):
                let size =
                    parameters >= 1_000_000_000
                    ? String(format: "%.1fB", Double(parameters) / 1e9)
                    : String(format: "%.0fM", Double(parameters) / 1e6)
                return "\(family) (\(architecture), \(size) parameters)"
            case .gguf(let file): return "gguf (\(file))"
            case .no(let reason): return "no: \(reason)"
            }
        }

        public var loads: Bool { if case .no = self { return false } else { return true } }
    }

    /// Every snapshot in `cache`, repositories sorted by id.
    public static func rows(in cache: HubCache) -> [Row] {
        cache.entries().flatMap { entry in
            entry.snapshots.map { snapshot in
                let folder = cache.snapshotFolder(entry.repoID, commit: snapshot.commit)
                return Row(
                    repoID: entry.repoID,
                    revisions: entry.refs.filter { $0.value == snapshot.commit }.map(\.key).sorted(),
                    commit: snapshot.commit, files: snapshot.files, bytesOnDisk: entry.bytesOnDisk,
                    bytesIncomplete: entry.bytesIncomplete,
                    loadability: loadability(of: folder, files: snapshot.files), path: folder.path)
            }
        }
    }

    /// Whether the engine can load the snapshot: its files are all present and its config.json is one it reads.
    /// The weights themselves are not opened (that is a load's work).
    public static func loadability(of folder: URL, files: [String]) -> Loadability {
        let missing = files.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        if !missing.isEmpty { return .no("missing \(missing.joined(separator: ", "))") }
        let safetensors = files.filter { $0.hasSuffix(".safetensors") }
        if files.contains("config.json") {
            guard !safetensors.isEmpty else {
                if let gguf = files.first(where: { $0.hasSuffix(".gguf") }) { return .gguf(file: gguf) }
                return .no("no weights (.safetensors or .gguf)")
            }
            guard files.contains("tokenizer.json") else { return .no("no tokenizer.json") }
            do {
                let config = try ModelConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
                return .safetensors(
                    family: config.family.rawValue, architecture: config.architecture,
                    parameters: config.parameterCount)
            } catch {
                return .no("\(error)")
            }
        }
        if let gguf = files.first(where: { $0.hasSuffix(".gguf") }) { return .gguf(file: gguf) }
        return .no("no config.json or .gguf")
    }

    /// The rows as an aligned table (the header first), sizes in decimal units.
    public static func table(_ rows: [Row]) -> String {
        let header = ["MODEL", "REVISION", "COMMIT", "SIZE", "LOADS"]
        var lines = [header]
        for row in rows {
            var size = formatBytes(row.bytesOnDisk)
            if row.bytesIncomplete > 0 { size += " (+\(formatBytes(row.bytesIncomplete)) partial)" }
            lines.append([
                row.name, row.revisions.isEmpty ? "-" : row.revisions.joined(separator: ","),
                String(row.commit.prefix(10)), size, row.loadability.description,
            ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `1.2 GB`, `340 MB`, `12 kB`, `512 B`.
    public static func formatBytes(_ bytes: Int64) -> String {
        let value = Double(bytes)
        switch value {
        case 1e9...: return String(format: "%.1f GB", value / 1e9)
        case 1e6...: return String(format: "%.0f MB", value / 1e6)
        case 1e3...: return String(format: "%.0f kB", value / 1e3)
        default: return "\(bytes) B"
        }
    }
}
