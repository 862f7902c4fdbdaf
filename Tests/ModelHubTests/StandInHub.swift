import Foundation
import ModelHub
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for the Hugging Face Hub on loopback, serving the endpoints and headers its clients rely on:
///
/// - `GET /api/models/{repo}/revision/{revision}?blobs=true` → `sha` and `siblings` with `size`, `blobId` and, for
///   LFS files, `lfs` { `sha256`, `size`, `pointerSize` }; 404 with `X-Error-Code: RepoNotFound` or
///   `RevisionNotFound`; 401 when a token is required and missing.
/// - `GET /{repo}/resolve/{revision}/{path}` → small files directly with `ETag` (the git blob id); LFS files as a
///   302 to `/cdn/{sha256}` (on `cdnHost`) with `X-Linked-Etag`, `X-Linked-Size` and `X-Repo-Commit`, as the hub
///   sends them to its CDN. Both honour `Range: bytes=N-` with 206 and `Content-Range`.
///
/// It is a raw socket server, not a framework, so that it can misbehave exactly: close the connection after N
/// bytes of a body, send a shorter file than the metadata says, flip a byte, ignore `Range`.
final class StandInHub: @unchecked Sendable {
    struct Request: Sendable {
        var path: String
        /// Header names lower-cased.
        var headers: [String: String]
    }

    /// Misbehaviour on cue, keyed by file path inside the repository.
    struct Faults: Sendable {
        /// Close the connection after this many body bytes, for the next `times` downloads of the file.
        var drop: [String: (afterBytes: Int, times: Int)] = [:]
        /// Serve only the first N bytes, announced as the whole file (a truncated file on the server).
        var truncate: [String: Int] = [:]
        /// Flip one byte in the middle.
        var corrupt: Set<String> = []
        /// Answer every range request with the whole file (200).
        var ignoreRange = false
        /// Refuse requests without `Authorization: Bearer <token>`.
        var requiredToken: String?
    }

    struct Repo: Sendable {
        /// Commit → files (path → bytes).
        var commits: [String: [String: Data]]
        /// Branch or tag → commit.
        var refs: [String: String]
    }

    let port: Int
    private let listener: Int32
    private let repos: Mutex<[String: Repo]>
    private let faultState = Mutex(Faults())
    private let log = Mutex<[Request]>([])
    /// The host LFS downloads are redirected to (`localhost` sends them to another host than the API's).
    let cdnHost: String

    init(repos: [String: Repo], cdnHost: String = "127.0.0.1") throws {
        self.repos = Mutex(repos)
        self.cdnHost = cdnHost
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                Thread.detachNewThread { self.serve(connection) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var requests: [Request] { log.withLock { $0 } }
    func faults(_ change: (inout Faults) -> Void) { faultState.withLock { change(&$0) } }
    func setRepo(_ id: String, _ repo: Repo) { repos.withLock { $0[id] = repo } }

    /// Requests for a repository file (resolve or CDN), in order.
    func downloads(of path: String) -> [Request] {
        requests.filter {
            $0.path.contains("/resolve/") && $0.path.hasSuffix("/" + path)
                || $0.path.hasPrefix("/cdn/") && $0.path.contains("?file=\(path)&")
        }
    }

    // MARK: - Serving

    private struct Reply {
        var status: Int
        var headers: [(String, String)] = []
        var body = Data()
        /// Close after this many body bytes (the announced length stays the full one).
        var cutAfter: Int?
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return }
            received.append(contentsOf: buffer[0..<count])
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let request = Request(path: String(requestLine[1]), headers: headers)
        log.withLock { $0.append(request) }
        var reply = answer(request)
        reply.headers.append(("Connection", "close"))
        var text = "HTTP/1.1 \(reply.status) \(reply.status < 400 ? "OK" : "Error")\r\n"
        for (name, value) in reply.headers { text += "\(name): \(value)\r\n" }
        if !reply.headers.contains(where: { $0.0 == "Content-Length" }) {
            text += "Content-Length: \(reply.body.count)\r\n"
        }
        text += "\r\n"
        send(connection, Data(text.utf8))
        send(connection, reply.cutAfter.map { reply.body.prefix($0) } ?? reply.body)
    }

    private func send(_ connection: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(connection, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    private func answer(_ request: Request) -> Reply {
        let faults = faultState.withLock { $0 }
        if let token = faults.requiredToken, request.headers["authorization"] != "Bearer \(token)",
            !request.path.hasPrefix("/cdn/")
        {
            return Reply(status: 401, headers: [("X-Error-Message", "Invalid credentials in Authorization header")])
        }
        let pathOnly = String(request.path.split(separator: "?", maxSplits: 1).first ?? "")
        let parts = pathOnly.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if parts.count >= 6, parts[0] == "api", parts[1] == "models", parts[4] == "revision" {
            return metadata(repoID: parts[2] + "/" + parts[3], revision: parts[5...].joined(separator: "/"))
        }
        if parts.count >= 5, parts[2] == "resolve" {
            return resolve(
                repoID: parts[0] + "/" + parts[1], revision: parts[3], path: parts[4...].joined(separator: "/"),
                request: request, faults: faults)
        }
        if parts.count == 2, parts[0] == "cdn", let query = request.path.split(separator: "?").last,
            query.hasPrefix("file="), let commitEnd = query.range(of: "&commit=")
        {
            let path = String(query[query.index(query.startIndex, offsetBy: 5)..<commitEnd.lowerBound])
            let commit = String(query[commitEnd.upperBound...])
            guard let data = repos.withLock({ repos in repos.values.compactMap { $0.commits[commit]?[path] }.first })
            else { return Reply(status: 404) }
            return content(data, path: path, request: request, faults: faults, headers: [])
        }
        return Reply(status: 404, body: Data(#"{"error":"not found"}"#.utf8))
    }

    private func commit(repoID: String, revision: String) -> (Repo, String)? {
        guard let repo = repos.withLock({ $0[repoID] }) else { return nil }
        if repo.commits[revision] != nil { return (repo, revision) }
        return repo.refs[revision].map { (repo, $0) }
    }

    private func metadata(repoID: String, revision: String) -> Reply {
        guard repos.withLock({ $0[repoID] }) != nil else {
            return Reply(
                status: 404, headers: [("X-Error-Code", "RepoNotFound")],
                body: Data(#"{"error":"Repository not found"}"#.utf8))
        }
        guard let (repo, commit) = commit(repoID: repoID, revision: revision), let files = repo.commits[commit] else {
            return Reply(
                status: 404, headers: [("X-Error-Code", "RevisionNotFound")],
                body: Data(#"{"error":"Invalid rev id"}"#.utf8))
        }
        let siblings: [[String: Any]] = files.keys.sorted().map { path in
            let data = files[path]!
            var sibling: [String: Any] = ["rfilename": path, "blobId": Self.gitBlobID(data)]
            if Self.isLFS(path) {
                sibling["size"] = data.count
                sibling["lfs"] = ["sha256": Self.sha256(data), "size": data.count, "pointerSize": 134]
            } else {
                sibling["size"] = data.count
            }
            return sibling
        }
        let body = try! JSONSerialization.data(withJSONObject: [
            "id": repoID, "modelId": repoID, "sha": commit,
            "siblings": siblings,
        ])
        return Reply(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    private func resolve(repoID: String, revision: String, path: String, request: Request, faults: Faults) -> Reply {
        guard let (repo, commit) = commit(repoID: repoID, revision: revision), let data = repo.commits[commit]?[path]
        else {
            return Reply(status: 404, headers: [("X-Error-Code", "EntryNotFound")])
        }
        if Self.isLFS(path) {
            let location = "http://\(cdnHost):\(port)/cdn/\(Self.sha256(data))?file=\(path)&commit=\(commit)"
            return Reply(
                status: 302,
                headers: [
                    ("Location", location), ("X-Repo-Commit", commit),
                    ("X-Linked-Etag", "\"\(Self.sha256(data))\""),
                    ("X-Linked-Size", "\(data.count)"),
                    ("ETag", "\"\(Self.gitBlobID(data))\""),
                ])
        }
        return content(
            data, path: path, request: request, faults: faults,
            headers: [("X-Repo-Commit", commit), ("ETag", "\"\(Self.gitBlobID(data))\"")])
    }

    /// The file's bytes, honouring `Range` and applying the faults for it.
    private func content(
        _ original: Data, path: String, request: Request, faults: Faults,
        headers: [(String, String)]
    ) -> Reply {
        var data = original
        if faults.corrupt.contains(path) {
            let middle = data.startIndex + data.count / 2
            data[middle] ^= 0xFF
        }
        if let length = faults.truncate[path] { data = data.prefix(length) }
        var reply = Reply(
            status: 200,
            headers: headers + [
                ("Content-Type", "application/octet-stream"),
                ("Accept-Ranges", "bytes"),
            ])
        if let range = request.headers["range"], range.hasPrefix("bytes="), !faults.ignoreRange,
            let start = Int(range.dropFirst("bytes=".count).split(separator: "-").first ?? "")
        {
            guard start < data.count else {
                return Reply(status: 416, headers: [("Content-Range", "bytes */\(data.count)")])
            }
            reply.status = 206
            reply.headers.append(("Content-Range", "bytes \(start)-\(data.count - 1)/\(data.count)"))
            reply.body = data.suffix(from: data.startIndex + start)
        } else {
            reply.body = data
        }
        let cut = faultState.withLock { state -> Int? in
            guard let drop = state.drop[path], drop.times > 0 else { return nil }
            state.drop[path] = (drop.afterBytes, drop.times - 1)
            return drop.afterBytes
        }
        if let cut, cut < reply.body.count { reply.cutAfter = cut }
        return reply
    }

    // MARK: - The hub's hashes

    static func isLFS(_ path: String) -> Bool {
        path.hasSuffix(".safetensors") || path.hasSuffix(".gguf") || path.hasSuffix(".bin")
    }

    static func sha256(_ data: Data) -> String {
        var digest = SHA256Digest()
        digest.update(data)
        return digest.finalizeHex()
    }

    static func gitBlobID(_ data: Data) -> String {
        var digest = SHA1Digest.gitBlob(size: Int64(data.count))
        digest.update(data)
        return digest.finalizeHex()
    }
}
