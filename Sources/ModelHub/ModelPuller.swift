import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// What a pull reports while it runs (for a progress display; the pull itself never prints).
public enum PullEvent: Sendable, Equatable {
    /// The revision's commit, the files to download and those skipped.
    case resolved(commit: String, selected: [RepoFile], skipped: [String])
    /// A file already in the cache (its blob exists with the right size).
    case present(path: String, size: Int64)
    /// A download begins, or resumes from `offset` bytes already on disk.
    case started(path: String, size: Int64, offset: Int64)
    /// `received` of `size` bytes are on disk.
    case progress(path: String, received: Int64, size: Int64)
    /// A file was received whole and its size and hash checked.
    case verified(path: String, size: Int64, check: String)
    /// The transfer failed and is tried again after `delay`, resuming from what is on disk.
    case retrying(path: String, attempt: Int, of: Int, reason: String, delay: Duration)
    /// The server ignored the range asked for and sent the whole file: the download restarts from zero.
    case restarted(path: String)
    /// Another process holds the file's lock (a pull of the same model, or the hub's Python client).
    case waitingForLock(path: String)
}

/// How transfers are retried within one pull.
public struct PullRetry: Sendable, Equatable {
    /// Tries per request, the first included.
    public var attempts: Int
    /// The pause before the first retry; each later pause doubles, up to `maximumDelay`.
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 5, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(30)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, attempt) where delay < maximumDelay { delay *= 2 }
        return min(delay, maximumDelay)
    }
}

/// What a finished pull produced.
public struct PullResult: Sendable, Equatable {
    /// `snapshots/<commit>`: the folder `--model` and `model.path` load.
    public var snapshot: URL
    public var commit: String
    public var files: [RepoFile]
    public var skipped: [String]
    /// Bytes downloaded by this pull (resumed bytes from earlier runs not counted).
    public var bytesDownloaded: Int64
}

/// Pulls a model's files from the Hugging Face Hub into the shared cache.
///
/// Every file is written to `blobs/<hash>.incomplete`, hashed as it arrives, checked against the size and hash the
/// hub's API gives, and renamed into `blobs/<hash>` only when both match; a mismatch removes the partial file. The
/// snapshot's links and the revision's ref are written only once every file is in place, so a failed pull never
/// leaves a half or corrupt snapshot behind. A transfer that breaks is retried with backoff, resuming with
/// `Range: bytes=N-` from what is on disk, and a later pull resumes the same way.
public struct ModelPuller: Sendable {
    public var settings: HubSettings
    public var retry: PullRetry
    public var userAgent: String
    /// The longest a transfer may go without receiving a byte.
    public var idleTimeout: TimeInterval
    /// Waits between retries (tests replace it to record the delays).
    public var pause: @Sendable (Duration) -> Void

    public init(
        settings: HubSettings, retry: PullRetry = PullRetry(), userAgent: String = "dlsp",
        idleTimeout: TimeInterval = 60,
        pause: @escaping @Sendable (Duration) -> Void = {
            Thread.sleep(forTimeInterval: Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18)
        }
    ) {
        self.settings = settings
        self.retry = retry
        self.userAgent = userAgent
        self.idleTimeout = idleTimeout
        self.pause = pause
    }

    public var cache: HubCache { HubCache(root: settings.cacheDirectory) }

    /// Pulls `reference` (only the files `FileSelection` chooses, or those `include` names) and returns its snapshot.
    public func pull(
        _ reference: ModelReference, include: [String] = [],
        events: @escaping (PullEvent) -> Void = { _ in }
    ) throws -> PullResult {
        if settings.offline { throw HubError.offline }
        let revision = try fetchRevision(reference)
        let selection = try FileSelection.choose(
            from: revision.files.map(\.path), include: include,
            reference: reference)
        let byPath = Dictionary(revision.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let files = selection.selected.compactMap { byPath[$0] }.sorted {
            ($0.size ?? 0, $0.path) < ($1.size ?? 0, $1.path)
        }
        for file in files where file.blobName == nil || file.size == nil {
            throw HubError.unverifiable(file: file.path)
        }
        events(.resolved(commit: revision.commit, selected: files, skipped: selection.skipped))

        let blobs = cache.blobsFolder(reference.repoID)
        do {
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        } catch {
            throw HubError.io("cannot create \(blobs.path): \(error.localizedDescription)")
        }
        var downloaded: Int64 = 0
        for file in files {
            downloaded += try fetchBlob(file, reference: reference, commit: revision.commit, events: events)
        }
        do {
            for file in files {
                try cache.link(reference.repoID, commit: revision.commit, path: file.path, blob: file.blobName!)
            }
            try cache.writeRef(reference, commit: revision.commit)
        } catch {
            throw HubError.io("cannot write the snapshot of \(reference.repoID): \(error.localizedDescription)")
        }
        return PullResult(
            snapshot: cache.snapshotFolder(reference.repoID, commit: revision.commit),
            commit: revision.commit, files: files, skipped: selection.skipped,
            bytesDownloaded: downloaded)
    }

    // MARK: - Metadata

    /// `GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true`.
    public func fetchRevision(_ reference: ModelReference) throws -> RepoRevision {
        let url = URL(
            string: settings.endpoint.absoluteString + "/api/models/\(reference.repoID)/revision/"
                + Self.escape(reference.revision, keepingSlashes: false) + "?blobs=true")!
        var attempt = 0
        while true {
            attempt += 1
            var body = Data()
            let outcome = HTTPTransfer.get(
                url, headers: baseHeaders, token: settings.token, idleTimeout: idleTimeout,
                onHead: { _ in true },
                onBody: {
                    body.append($0); return body.count < 64 << 20
                })
            let failure: String
            if let response = outcome.response, outcome.error == nil {
                switch response.statusCode {
                case 200: return try RepoRevision.parseRevision(body)
                case 429, 500...599: failure = "HTTP \(response.statusCode)"
                default: throw metadataError(response, body: body, reference: reference, url: url)
                }
            } else {
                failure = outcome.error.map(Self.describe) ?? "no response"
            }
            guard attempt < retry.attempts else { throw HubError.transport(url: url.absoluteString, reason: failure) }
            pause(retry.delay(afterAttempt: attempt))
        }
    }

    private func metadataError(_ response: HTTPURLResponse, body: Data, reference: ModelReference, url: URL) -> HubError
    {
        let authenticated = settings.token != nil
        let detail = Self.errorDetail(response, body: body)
        switch (response.statusCode, response.header("X-Error-Code")) {
        case (_, "RepoNotFound"?), (_, "RevisionNotFound"?), (404, _):
            return .repositoryNotFound(reference, authenticated: authenticated)
        case (_, "GatedRepo"?), (401, _), (403, _):
            return .accessDenied(reference, status: response.statusCode, authenticated: authenticated, detail: detail)
        default:
            return .http(status: response.statusCode, url: url.absoluteString, detail: detail)
        }
    }

    // MARK: - Files

    private var baseHeaders: [String: String] {
        // Identity encoding: byte counts and ranges must be the file's own, never a compressed stream's.
        ["User-Agent": userAgent, "Accept-Encoding": "identity"]
    }

    /// `{endpoint}/{repo}/resolve/{commit}/{path}`: resolving by commit keeps every file of one pull at one commit
    /// even if the branch moves meanwhile.
    func downloadURL(_ file: RepoFile, reference: ModelReference, commit: String) -> URL {
        URL(
            string: settings.endpoint.absoluteString + "/\(reference.repoID)/resolve/\(commit)/"
                + Self.escape(file.path, keepingSlashes: true))!
    }

    /// Brings one file's blob into the cache; returns the bytes downloaded.
    private func fetchBlob(
        _ file: RepoFile, reference: ModelReference, commit: String,
        events: @escaping (PullEvent) -> Void
    ) throws -> Int64 {
        let blobName = file.blobName!, size = file.size!
        let blob = cache.blobsFolder(reference.repoID).appendingPathComponent(blobName)
        if HubCache.size(of: blob.path) == size {
            events(.present(path: file.path, size: size))
            return 0
        }
        let lock = try FileLock(path: cache.lockFile(reference.repoID, blob: blobName).path) {
            events(.waitingForLock(path: file.path))
        }
        defer { lock.release() }
        // Another process may have finished it while this one waited for the lock.
        if HubCache.size(of: blob.path) == size {
            events(.present(path: file.path, size: size))
            return 0
        }
        let download = try BlobDownload(file: file, incomplete: blob.path + ".incomplete")
        let url = downloadURL(file, reference: reference, commit: commit)
        var attempt = 0
        var downloaded: Int64 = 0
        while true {
            attempt += 1
            events(.started(path: file.path, size: size, offset: download.received))
            let before = download.received
            let result = download.attempt(
                url: url, headers: baseHeaders, token: settings.token,
                idleTimeout: idleTimeout, events: events)
            downloaded += max(0, download.received - before)
            switch result {
            case .complete:
                try download.finish(into: blob.path)
                events(.verified(path: file.path, size: size, check: file.checkDescription))
                return downloaded
            case .failed(let error):
                download.discard()
                throw error
            case .refused(let status, let detail):
                let authenticated = settings.token != nil
                switch status {
                case 401, 403:
                    throw HubError.accessDenied(reference, status: status, authenticated: authenticated, detail: detail)
                default:
                    throw HubError.http(status: status, url: url.absoluteString, detail: detail)
                }
            case .retryable(let reason):
                guard attempt < retry.attempts else {
                    throw HubError.transport(
                        url: url.absoluteString,
                        reason: reason + " (after \(attempt) tries; "
                            + "run the pull again to resume from \(download.received) bytes)")
                }
                let delay = retry.delay(afterAttempt: attempt)
                events(
                    .retrying(path: file.path, attempt: attempt + 1, of: retry.attempts, reason: reason, delay: delay))
                pause(delay)
            }
        }
    }

    // MARK: - Helpers

    static func escape(_ text: String, keepingSlashes: Bool) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        if keepingSlashes { allowed.insert("/") }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? URLError { return "\(error.localizedDescription) (URLError \(error.code.rawValue))" }
        return "\(error)"
    }

    /// The hub's `X-Error-Message`, else a JSON body's `error`, else the start of the body.
    static func errorDetail(_ response: HTTPURLResponse, body: Data) -> String {
        if let message = response.header("X-Error-Message"), !message.isEmpty { return message }
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let message = object["error"] as? String
        {
            return message
        }
        return String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// An exclusive `flock` on the hub's per-blob lock file (the lock `huggingface_hub` takes for the same blob).
final class FileLock {
    private var descriptor: Int32

    init(path: String, onWait: () -> Void) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw HubError.io("cannot open the lock file \(path): errno \(errno)") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            onWait()
            guard flock(descriptor, LOCK_EX) == 0 else {
                close(descriptor)
                throw HubError.io("cannot lock \(path): errno \(errno)")
            }
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
