import Foundation

/// A repository at one commit, as the hub's API describes it.
public struct RepoRevision: Sendable, Equatable {
    /// The full commit hash the revision resolved to.
    public var commit: String
    public var files: [RepoFile]
}

/// One file of a repository, with what the download is checked against.
public struct RepoFile: Sendable, Equatable {
    /// The path inside the repository (`rfilename`).
    public var path: String
    /// The file's size in bytes (the LFS object's, not its pointer's); nil when the hub did not say.
    public var size: Int64?
    /// The LFS object's SHA-256 (large files).
    public var sha256: String?
    /// The git blob id, SHA-1 over `"blob <size>\0"` and the content (small files kept in git itself).
    public var gitBlobID: String?

    public init(path: String, size: Int64?, sha256: String?, gitBlobID: String?) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.gitBlobID = gitBlobID
    }

    /// The name of its blob in the cache: the hub's ETag for the file, which is the SHA-256 for an LFS file and the
    /// git blob id otherwise (the names `huggingface_hub` gives them too).
    public var blobName: String? { sha256 ?? gitBlobID }

    /// How the download is checked, in words.
    public var checkDescription: String { sha256 != nil ? "sha256" : "git blob sha1" }
}

extension RepoRevision {
    /// Reads `GET /api/models/{repo}/revision/{revision}?blobs=true`: `sha` and `siblings`, each with `rfilename`,
    /// `size`, `blobId` and, for LFS files, `lfs` { `sha256`, `size` }.
    package static func parseRevision(_ data: Data) throws -> RepoRevision {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HubError.malformedMetadata("not a JSON object")
        }
        guard let commit = object["sha"] as? String, ModelReference.isCommitHash(commit) else {
            throw HubError.malformedMetadata("no commit hash (`sha`)")
        }
        guard let siblings = object["siblings"] as? [[String: Any]] else {
            throw HubError.malformedMetadata("no file list (`siblings`)")
        }
        var files: [RepoFile] = []
        for sibling in siblings {
            guard let path = sibling["rfilename"] as? String, !path.isEmpty,
                !path.hasPrefix("/"), !path.split(separator: "/").contains("..")
            else {
                throw HubError.malformedMetadata("a file without a usable name")
            }
            let lfs = sibling["lfs"] as? [String: Any]
            let sha256 = (lfs?["sha256"] as? String).map { $0.lowercased() }
            let blobID = (sibling["blobId"] as? String).map { $0.lowercased() }
            let size = (lfs?["size"] as? NSNumber ?? sibling["size"] as? NSNumber)?.int64Value
            if let size, size < 0 {
                throw HubError.malformedMetadata("\(path): size \(size) is negative")
            }
            if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
                throw HubError.malformedMetadata("\(path): sha256 \(sha256) is not 64 hex digits")
            }
            if let blobID, blobID.count != 40 || !blobID.allSatisfy(\.isHexDigit) {
                throw HubError.malformedMetadata("\(path): blobId \(blobID) is not 40 hex digits")
            }
            files.append(RepoFile(path: path, size: size, sha256: sha256, gitBlobID: blobID))
        }
        return RepoRevision(commit: commit, files: files)
    }
}
