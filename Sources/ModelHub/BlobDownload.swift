import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One file's download into `blobs/<hash>.incomplete`: resumes from the bytes already there, hashes everything it
/// writes, and moves the file into place only once its size and hash match the hub's.
final class BlobDownload {
    enum AttemptResult: Equatable {
        /// Every byte arrived (not yet checked: `finish` does that).
        case complete
        /// Worth another try, resuming from what is on disk.
        case retryable(String)
        /// The server refused with this status.
        case refused(status: Int, detail: String)
        /// Wrong in a way another try would not fix; the partial file must go.
        case failed(HubError)
    }

    let file: RepoFile
    let size: Int64
    let incompletePath: String
    private(set) var received: Int64 = 0
    private var digest: ContentDigest
    private var handle: FileHandle

    init(file: RepoFile, incomplete: String) throws {
        self.file = file
        self.size = file.size ?? 0
        self.incompletePath = incomplete
        digest = ContentDigest(file)
        let fileManager = FileManager.default
        if let existing = HubCache.size(of: incomplete), existing > size {
            try? fileManager.removeItem(atPath: incomplete)
        }
        if !fileManager.fileExists(atPath: incomplete) {
            guard fileManager.createFile(atPath: incomplete, contents: nil) else {
                throw HubError.io("cannot create \(incomplete)")
            }
        }
        guard let handle = FileHandle(forUpdatingAtPath: incomplete) else {
            throw HubError.io("cannot open \(incomplete)")
        }
        self.handle = handle
        do {
            // What earlier runs left is hashed again: only the bytes' digest, not their trust, carries over.
            received = Int64(try handle.seekToEnd())
            try digest.update(fileAt: incomplete, upTo: UInt64(received))
        } catch {
            throw HubError.io("cannot read \(incomplete): \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    /// One GET of the rest of the file (`Range: bytes=<received>-` when something is on disk already).
    func attempt(
        url: URL, headers: [String: String], token: String?, idleTimeout: TimeInterval,
        events: @escaping (PullEvent) -> Void
    ) -> AttemptResult {
        var headers = headers
        if received > 0 { headers["Range"] = "bytes=\(received)-" }
        var verdict: AttemptResult?
        var status = 0
        var errorBody = Data()
        var lastReported = received
        let path = file.path, size = size
        // The session keeps its delegate (and so these closures) a little beyond the transfer's end, so they escape.
        let outcome = HTTPTransfer.get(
            url, headers: headers, token: token, idleTimeout: idleTimeout,
            onHead: { response in
                status = response.statusCode
                switch status {
                case 206:
                    let range = Self.contentRange(response.header("Content-Range"))
                    if let total = range?.total, total != size {
                        verdict = .failed(.lengthMismatch(file: path, expected: size, announced: total))
                        return false
                    }
                    if range?.start != self.received {
                        // A range other than the one asked for: start over rather than splice bytes at a guess.
                        self.restart()
                        verdict = .retryable(
                            "the server answered a different range (\(response.header("Content-Range") ?? "none"))")
                        return false
                    }
                    return true
                case 200:
                    if self.received > 0 {
                        // The server ignored `Range` and sends the whole file: what is on disk is dropped.
                        self.restart()
                        events(.restarted(path: path))
                    }
                    let length = response.expectedContentLength
                    if length >= 0, length != size {
                        verdict = .failed(.lengthMismatch(file: path, expected: size, announced: length))
                        return false
                    }
                    return true
                case 416:
                    self.restart()
                    verdict = .retryable("the server could not serve the range asked for (HTTP 416)")
                    return false
                default:
                    return true
                }
            },
            onBody: { data in
                guard status == 200 || status == 206 else {
                    if errorBody.count < 64 << 10 { errorBody.append(data) }
                    return true
                }
                if self.received + Int64(data.count) > size {
                    verdict = .failed(
                        .sizeMismatch(file: path, expected: size, received: self.received + Int64(data.count)))
                    return false
                }
                do {
                    try self.handle.write(contentsOf: data)
                } catch {
                    verdict = .failed(.io("cannot write \(self.incompletePath): \(error.localizedDescription)"))
                    return false
                }
                self.digest.update(data)
                self.received += Int64(data.count)
                if self.received - lastReported >= 1 << 18 || self.received == size {
                    lastReported = self.received
                    events(.progress(path: path, received: self.received, size: size))
                }
                return true
            })
        if let verdict { return verdict }
        if let error = outcome.error { return .retryable(ModelPuller.describe(error)) }
        guard let response = outcome.response else { return .retryable("no response") }
        switch response.statusCode {
        case 200, 206:
            // A transfer that ended cleanly but short: the server believes the file is complete, so it is wrong.
            if received != size { return .failed(.sizeMismatch(file: path, expected: size, received: received)) }
            return .complete
        case 408, 429, 500...599:
            return .retryable("HTTP \(response.statusCode)")
        default:
            return .refused(status: response.statusCode, detail: ModelPuller.errorDetail(response, body: errorBody))
        }
    }

    /// Checks size and hash, then renames the file into `blob` (atomic within the blobs folder). A mismatch removes
    /// the partial file.
    func finish(into blob: String) throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw HubError.io("cannot write \(incompletePath): \(error.localizedDescription)")
        }
        guard received == size else {
            discard()
            throw HubError.sizeMismatch(file: file.path, expected: size, received: received)
        }
        let actual = digest.finalizeHex()
        guard actual == digest.expected else {
            discard()
            throw HubError.checksumMismatch(
                file: file.path, algorithm: file.checkDescription,
                expected: digest.expected, actual: actual)
        }
        guard rename(incompletePath, blob) == 0 else {
            throw HubError.io("cannot move \(incompletePath) to \(blob): errno \(errno)")
        }
    }

    /// Removes the partial file (its bytes are known to be wrong).
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: incompletePath)
    }

    private func restart() {
        _ = try? handle.truncate(atOffset: 0)
        received = 0
        digest = ContentDigest(file)
    }

    /// `bytes START-END/TOTAL` (TOTAL may be `*`).
    static func contentRange(_ header: String?) -> (start: Int64, total: Int64?)? {
        guard let header, header.hasPrefix("bytes ") else { return nil }
        let spec = header.dropFirst("bytes ".count)
        let halves = spec.split(separator: "/", maxSplits: 1)
        guard let bounds = halves.first?.split(separator: "-"), let start = bounds.first.flatMap({ Int64($0) })
        else { return nil }
        return (start, halves.count == 2 ? Int64(halves[1]) : nil)
    }
}

/// The hash a file is checked with: SHA-256 for LFS files, git's blob SHA-1 for the rest.
private enum ContentDigest {
    case sha256(SHA256Digest, expected: String)
    case gitBlob(SHA1Digest, expected: String)

    init(_ file: RepoFile) {
        if let sha256 = file.sha256 {
            self = .sha256(SHA256Digest(), expected: sha256)
        } else {
            self = .gitBlob(SHA1Digest.gitBlob(size: file.size ?? 0), expected: file.gitBlobID ?? "")
        }
    }

    var expected: String {
        switch self {
        case .sha256(_, let expected), .gitBlob(_, let expected): return expected
        }
    }

    mutating func update(_ data: Data) {
        switch self {
        case .sha256(var digest, let expected): digest.update(data); self = .sha256(digest, expected: expected)
        case .gitBlob(var digest, let expected): digest.update(data); self = .gitBlob(digest, expected: expected)
        }
    }

    mutating func update(fileAt path: String, upTo limit: UInt64) throws {
        switch self {
        case .sha256(var digest, let expected):
            try digest.update(fileAt: path, upTo: limit); self = .sha256(digest, expected: expected)
        case .gitBlob(var digest, let expected):
            try digest.update(fileAt: path, upTo: limit); self = .gitBlob(digest, expected: expected)
        }
    }

    mutating func finalizeHex() -> String {
        switch self {
        case .sha256(var digest, _): return digest.finalizeHex()
        case .gitBlob(var digest, _): return digest.finalizeHex()
        }
    }
}
