import Foundation

/// The hub's cache on disk, laid out as `huggingface_hub` lays it out so that models pulled by either tool serve
/// both:
///
/// ```
/// <cache>/models--ORG--NAME/
///     blobs/<sha256 or git blob id>          the files' bytes, named by their hash
///     blobs/<hash>.incomplete                a download in progress (resumed from its length)
///     snapshots/<commit>/<path> -> ../../blobs/<hash>
///     refs/<revision>                        the commit a branch or tag pointed at when last pulled
/// ```
public struct HubCache: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// `models--ORG--NAME`.
    public static func folderName(repoID: String) -> String {
        "models--" + repoID.replacingOccurrences(of: "/", with: "--")
    }

    public func repoFolder(_ repoID: String) -> URL { root.appendingPathComponent(Self.folderName(repoID: repoID)) }
    public func blobsFolder(_ repoID: String) -> URL { repoFolder(repoID).appendingPathComponent("blobs") }
    public func snapshotFolder(_ repoID: String, commit: String) -> URL {
        repoFolder(repoID).appendingPathComponent("snapshots").appendingPathComponent(commit)
    }
    /// Where `huggingface_hub` takes its per-blob file locks; taking the same ones keeps two tools (or two pulls)
    /// from writing one `.incomplete` file at once.
    public func lockFile(_ repoID: String, blob: String) -> URL {
        root.appendingPathComponent(".locks").appendingPathComponent(Self.folderName(repoID: repoID))
            .appendingPathComponent(blob + ".lock")
    }

    /// The commit `revision` points at in the cache: itself when it is a commit hash, else the content of
    /// `refs/<revision>`.
    public func commit(for reference: ModelReference) -> String? {
        if reference.revisionIsCommit { return reference.revision }
        let ref = repoFolder(reference.repoID).appendingPathComponent("refs").appendingPathComponent(reference.revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }

    /// The folder a pulled model loads from, or why there is none.
    public func snapshot(for reference: ModelReference) -> Result<URL, HubError> {
        guard let commit = commit(for: reference) else { return .failure(.notPulled(reference)) }
        let folder = snapshotFolder(reference.repoID, commit: commit)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path),
            names.contains("config.json") || names.contains(where: { $0.hasSuffix(".gguf") })
        else {
            return .failure(.notPulled(reference))
        }
        return .success(folder)
    }

    /// Records that `revision` points at `commit`. A commit hash needs no ref (the hub's client writes none either).
    func writeRef(_ reference: ModelReference, commit: String) throws {
        guard reference.revision != commit else { return }
        let ref = repoFolder(reference.repoID).appendingPathComponent("refs").appendingPathComponent(reference.revision)
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: ref, options: .atomic)
    }

    /// Points `snapshots/<commit>/<path>` at its blob with a relative link (the cache stays valid when moved),
    /// replacing whatever was there.
    func link(_ repoID: String, commit: String, path: String, blob: String) throws {
        let link = snapshotFolder(repoID, commit: commit).appendingPathComponent(path)
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/" + blob
        if (try? fileManager.destinationOfSymbolicLink(atPath: link.path)) == target { return }
        if (try? fileManager.attributesOfItem(atPath: link.path)) != nil { try fileManager.removeItem(at: link) }
        try fileManager.createSymbolicLink(atPath: link.path, withDestinationPath: target)
    }

    // MARK: - Listing

    /// One cached model repository.
    public struct Entry: Sendable, Equatable {
        public var repoID: String
        /// Revision → commit, from `refs/`.
        public var refs: [String: String]
        /// Every snapshot, by commit.
        public var snapshots: [Snapshot]
        /// Bytes of the finished blobs (each counted once, however many snapshots share it).
        public var bytesOnDisk: Int64
        /// Bytes in `.incomplete` files: downloads a later pull resumes.
        public var bytesIncomplete: Int64
    }

    /// A commit's files: paths inside the repository, sorted.
    public struct Snapshot: Sendable, Equatable {
        public var commit: String
        public var files: [String]
    }

    /// Every model repository in the cache, sorted by id. Datasets and spaces share the cache and are left out.
    public func entries() -> [Entry] {
        let fileManager = FileManager.default
        guard let folders = try? fileManager.contentsOfDirectory(atPath: root.path) else { return [] }
        var entries: [Entry] = []
        for folder in folders.sorted() where folder.hasPrefix("models--") {
            let parts = folder.dropFirst("models--".count).components(separatedBy: "--")
            let repoID = parts.joined(separator: "/")
            let base = root.appendingPathComponent(folder)
            var refs: [String: String] = [:]
            let refsFolder = base.appendingPathComponent("refs")
            for ref in Self.files(under: refsFolder) {
                if let text = try? String(contentsOf: refsFolder.appendingPathComponent(ref), encoding: .utf8) {
                    refs[ref] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            let snapshotsFolder = base.appendingPathComponent("snapshots")
            let commits = ((try? fileManager.contentsOfDirectory(atPath: snapshotsFolder.path)) ?? []).sorted()
            let snapshots = commits.map { commit in
                Snapshot(commit: commit, files: Self.files(under: snapshotsFolder.appendingPathComponent(commit)))
            }
            var complete: Int64 = 0, incomplete: Int64 = 0
            let blobs = base.appendingPathComponent("blobs")
            for blob in (try? fileManager.contentsOfDirectory(atPath: blobs.path)) ?? [] {
                let size = Self.size(of: blobs.appendingPathComponent(blob).path) ?? 0
                if blob.hasSuffix(".incomplete") { incomplete += size } else { complete += size }
            }
            entries.append(
                Entry(
                    repoID: repoID, refs: refs, snapshots: snapshots, bytesOnDisk: complete,
                    bytesIncomplete: incomplete))
        }
        return entries
    }

    /// Paths of the files (or links) under `folder`, relative to it, sorted.
    static func files(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found: [String] = []
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = folder.appendingPathComponent(path).path
            // A dangling link (its blob deleted) still counts: it is listed, and a load reports it missing.
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), isDirectory.boolValue {
                continue
            }
            found.append(path)
        }
        return found.sorted()
    }

    static func size(of path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size].flatMap { ($0 as? NSNumber)?.int64Value }
    }
}
