import Features
import Foundation
import Synchronization
import Testing
@testable import ModelHub

/// `dlsp model pull` against a stand-in hub on loopback: the cache layout, pinned revisions, resuming, the size
/// and hash checks, a server that ignores `Range`, the token, and a repository that does not exist.
@Suite(.serialized) struct PullTests {
    static let commit = String(repeating: "a1", count: 20)
    static let pinnedCommit = String(repeating: "b2", count: 20)
    static let repoID = "acme/tiny-coder"

    /// The default model's own config and tokenizer (so the snapshot's config.json is one the engine reads), a
    /// weights file large enough to be cut mid-way, and files a pull must skip.
    static let files: [String: Data] = {
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Models/default")
        var generator = SystemRandomNumberGenerator()
        let weights = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return [
            "config.json": try! Data(contentsOf: models.appendingPathComponent("config.json")),
            "tokenizer.json": try! Data(contentsOf: models.appendingPathComponent("tokenizer.json")),
            "tokenizer_config.json": Data(#"{"model_max_length": 2048}"#.utf8),
            "model.safetensors": weights,
            "pytorch_model.bin": Data(repeating: 7, count: 1000),
            "onnx/model.onnx": Data(repeating: 8, count: 100),
            "README.md": Data("# tiny coder\n".utf8),
        ]
    }()

    static func hub(cdnHost: String = "127.0.0.1") throws -> StandInHub {
        var pinned = files
        pinned["config.json"] = files["config.json"]! + Data("\n".utf8)
        return try StandInHub(
            repos: [
                repoID: .init(
                    commits: [commit: files, pinnedCommit: pinned],
                    refs: ["main": commit, "v1": pinnedCommit])
            ],
            cdnHost: cdnHost)
    }

    /// A fresh cache folder, removed when the test ends.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)")
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// Records the pauses between retries instead of sleeping through them.
    final class Pauses: Sendable {
        let all = Mutex<[Duration]>([])
        var pause: @Sendable (Duration) -> Void { { delay in self.all.withLock { $0.append(delay) } } }
    }

    static func puller(
        _ hub: StandInHub, _ scratch: Scratch, token: String? = nil, attempts: Int = 3,
        pauses: Pauses = Pauses()
    ) -> ModelPuller {
        ModelPuller(
            settings: HubSettings(endpoint: hub.endpoint, cacheDirectory: scratch.url, token: token),
            retry: PullRetry(attempts: attempts, initialDelay: .milliseconds(10)), idleTimeout: 10,
            pause: pauses.pause)
    }

    static func events(_ run: (@escaping (PullEvent) -> Void) throws -> PullResult) throws -> (PullResult, [PullEvent])
    {
        let log = Mutex<[PullEvent]>([])
        let result = try run { event in log.withLock { $0.append(event) } }
        return (result, log.withLock { $0 })
    }

    static func error(_ body: () throws -> Void) -> HubError? {
        do { try body() } catch let error as HubError { return error } catch { return nil }
        return nil
    }

    static var repo: HubCache { HubCache(root: URL(fileURLWithPath: "/")) }

    func blobs(_ scratch: Scratch) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(
            atPath: HubCache(root: scratch.url).blobsFolder(Self.repoID).path)) ?? []).sorted()
    }

    // MARK: - Pulls that succeed

    @Test func pullsOnlyWhatLoadsIntoTheHubClientsLayout() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        let (result, events) = try Self.events {
            try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID), events: $0)
        }

        let cache = HubCache(root: scratch.url)
        #expect(result.commit == Self.commit)
        #expect(result.snapshot == cache.snapshotFolder(Self.repoID, commit: Self.commit))
        #expect(result.snapshot.path.hasSuffix("/models--acme--tiny-coder/snapshots/\(Self.commit)"))
        #expect(
            result.files.map(\.path).sorted() == [
                "config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json",
            ])
        #expect(result.skipped == ["README.md", "onnx/model.onnx", "pytorch_model.bin"])
        #expect(events.contains(.resolved(commit: Self.commit, selected: result.files, skipped: result.skipped)))

        // Each file is a relative link to a blob named by its hash, with the right bytes.
        for file in result.files {
            let link = result.snapshot.appendingPathComponent(file.path).path
            let expectedName =
                file.path == "model.safetensors"
                ? StandInHub.sha256(Self.files[file.path]!)
                : StandInHub.gitBlobID(Self.files[file.path]!)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "../../blobs/\(expectedName)")
            #expect(FileManager.default.contents(atPath: link) == Self.files[file.path])
        }
        #expect(
            try String(contentsOf: cache.repoFolder(Self.repoID).appendingPathComponent("refs/main"), encoding: .utf8)
                == Self.commit)
        #expect(!blobs(scratch).contains { $0.hasSuffix(".incomplete") })
        // Files are fetched at the resolved commit, uncompressed, and without a token nobody is sent one.
        let downloads = hub.requests.filter { $0.path.contains("/resolve/") }
        #expect(downloads.count == 4)
        #expect(downloads.allSatisfy { $0.path.contains("/resolve/\(Self.commit)/") })
        #expect(hub.requests.allSatisfy { $0.headers["authorization"] == nil })
        #expect(downloads.allSatisfy { $0.headers["accept-encoding"] == "identity" })
        #expect(hub.requests.first?.path == "/api/models/acme/tiny-coder/revision/main?blobs=true")
    }

    @Test func aSecondPullFindsEveryFileInTheCache() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID))
        let before = hub.requests.count
        let (again, events) = try Self.events {
            try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID), events: $0)
        }
        #expect(again.bytesDownloaded == 0)
        #expect(events.filter { if case .present = $0 { return true } else { return false } }.count == 4)
        #expect(hub.requests.count == before + 1, "only the metadata is asked for again")
    }

    @Test func pullsAPinnedRevisionWithoutMovingMain() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        let reference = try #require(ModelReference(parsing: "\(Self.repoID)@v1"))
        let result = try Self.puller(hub, scratch).pull(reference)
        #expect(result.commit == Self.pinnedCommit)
        #expect(hub.requests.first?.path == "/api/models/acme/tiny-coder/revision/v1?blobs=true")
        #expect(
            hub.requests.filter { $0.path.contains("/resolve/") }.allSatisfy {
                $0.path.contains("/resolve/\(Self.pinnedCommit)/")
            })
        let cache = HubCache(root: scratch.url)
        #expect(cache.commit(for: reference) == Self.pinnedCommit)
        #expect(cache.commit(for: ModelReference(repoID: Self.repoID)) == nil, "main was never pulled")
        #expect(
            FileManager.default.contents(atPath: result.snapshot.appendingPathComponent("config.json").path)
                == Self.files["config.json"]! + Data("\n".utf8))
        // Pinned by commit hash: resolved without any ref.
        let byCommit = ModelReference(repoID: Self.repoID, revision: Self.pinnedCommit)
        #expect(try cache.snapshot(for: byCommit).get() == result.snapshot)
    }

    // MARK: - Interrupted, truncated and corrupted downloads

    @Test func aDroppedConnectionResumesWithRangeOnTheNextRun() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.drop["model.safetensors"] = (afterBytes: 100_000, times: 1) }
        let reference = ModelReference(repoID: Self.repoID)
        let failure = Self.error { _ = try Self.puller(hub, scratch, attempts: 1).pull(reference) }
        guard case .transport = failure else {
            Issue.record("expected a transport error, got \(String(describing: failure))"); return
        }
        let sha = StandInHub.sha256(Self.files["model.safetensors"]!)
        let incomplete = HubCache(root: scratch.url).blobsFolder(Self.repoID).appendingPathComponent(
            sha + ".incomplete")
        #expect(HubCache.size(of: incomplete.path) == 100_000, "the bytes received are kept")
        #expect(
            !FileManager.default.fileExists(
                atPath: HubCache(root: scratch.url).snapshotFolder(Self.repoID, commit: Self.commit).path))
        #expect(HubCache(root: scratch.url).snapshot(for: reference) == .failure(.notPulled(reference)))

        let (result, events) = try Self.events { try Self.puller(hub, scratch).pull(reference, events: $0) }
        #expect(events.contains(.started(path: "model.safetensors", size: 300_000, offset: 100_000)))
        #expect(hub.downloads(of: "model.safetensors").last?.headers["range"] == "bytes=100000-")
        // The rest of the weights, and the tokenizer the first run never reached (it is larger, so it comes last);
        // the small files finished by the first run are not fetched again.
        #expect(result.bytesDownloaded == 200_000 + Int64(Self.files["tokenizer.json"]!.count))
        #expect(
            FileManager.default.contents(atPath: result.snapshot.appendingPathComponent("model.safetensors").path)
                == Self.files["model.safetensors"])
        #expect(!FileManager.default.fileExists(atPath: incomplete.path))
    }

    @Test func aDroppedConnectionIsRetriedWithinOneRun() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.drop["model.safetensors"] = (afterBytes: 50_000, times: 2) }
        let pauses = Pauses()
        let (result, events) = try Self.events {
            try Self.puller(hub, scratch, attempts: 3, pauses: pauses).pull(
                ModelReference(repoID: Self.repoID), events: $0)
        }
        #expect(
            FileManager.default.contents(atPath: result.snapshot.appendingPathComponent("model.safetensors").path)
                == Self.files["model.safetensors"])
        let ranges = hub.downloads(of: "model.safetensors").filter { $0.path.hasPrefix("/cdn/") }.map {
            $0.headers["range"]
        }
        #expect(ranges == [nil, "bytes=50000-", "bytes=100000-"])
        #expect(pauses.all.withLock { $0 } == [.milliseconds(10), .milliseconds(20)], "backoff doubles")
        #expect(events.filter { if case .retrying = $0 { return true } else { return false } }.count == 2)
    }

    @Test func aFileShorterThanTheMetadataSaysFailsAndLeavesNothing() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.truncate["model.safetensors"] = 123_456 }
        let failure = Self.error { _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID)) }
        #expect(failure == .lengthMismatch(file: "model.safetensors", expected: 300_000, announced: 123_456))
        #expect(failure?.description.contains("123456") == true)
        #expect(
            !blobs(scratch).contains {
                $0.hasSuffix(".incomplete") || $0 == StandInHub.sha256(Self.files["model.safetensors"]!)
            })
        #expect(
            !FileManager.default.fileExists(
                atPath: HubCache(root: scratch.url).repoFolder(Self.repoID)
                    .appendingPathComponent("snapshots").path))
    }

    @Test func aBodyCutShortEveryTimeNeverReachesTheSnapshot() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.drop["model.safetensors"] = (afterBytes: 1000, times: 100) }
        let failure = Self.error {
            _ = try Self.puller(hub, scratch, attempts: 3).pull(ModelReference(repoID: Self.repoID))
        }
        guard case .transport(_, let reason) = failure else {
            Issue.record("got \(String(describing: failure))"); return
        }
        #expect(reason.contains("after 3 tries"))
        #expect(reason.contains("resume from 3000 bytes"))
        #expect(
            !FileManager.default.fileExists(
                atPath: HubCache(root: scratch.url).repoFolder(Self.repoID)
                    .appendingPathComponent("snapshots").path))
        #expect(
            !FileManager.default.fileExists(
                atPath: HubCache(root: scratch.url).repoFolder(Self.repoID)
                    .appendingPathComponent("refs/main").path))
    }

    @Test func aCorruptedFileFailsItsSHA256AndIsRemoved() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.corrupt = ["model.safetensors"] }
        let failure = Self.error { _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID)) }
        guard case .checksumMismatch(let file, let algorithm, let expected, let actual) = failure else {
            Issue.record("got \(String(describing: failure))"); return
        }
        #expect(file == "model.safetensors" && algorithm == "sha256")
        #expect(expected == StandInHub.sha256(Self.files["model.safetensors"]!) && actual != expected)
        #expect(!blobs(scratch).contains { $0.hasPrefix(expected) }, "neither the blob nor its .incomplete is kept")
        #expect(
            !FileManager.default.fileExists(
                atPath: HubCache(root: scratch.url).repoFolder(Self.repoID)
                    .appendingPathComponent("snapshots").path))
    }

    @Test func aCorruptedSmallFileFailsItsGitBlobID() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.corrupt = ["config.json"] }
        let failure = Self.error { _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID)) }
        guard case .checksumMismatch(let file, let algorithm, _, _) = failure else {
            Issue.record("got \(String(describing: failure))"); return
        }
        #expect(file == "config.json" && algorithm == "git blob sha1")
        #expect(!blobs(scratch).contains(StandInHub.gitBlobID(Self.files["config.json"]!)))
    }

    @Test func aServerThatIgnoresRangeIsDownloadedFromTheStart() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.drop["model.safetensors"] = (afterBytes: 70_000, times: 1) }
        let reference = ModelReference(repoID: Self.repoID)
        _ = Self.error { _ = try Self.puller(hub, scratch, attempts: 1).pull(reference) }
        hub.faults { $0.ignoreRange = true }
        let (result, events) = try Self.events { try Self.puller(hub, scratch).pull(reference, events: $0) }
        #expect(hub.downloads(of: "model.safetensors").last?.headers["range"] == "bytes=70000-")
        #expect(events.contains(.restarted(path: "model.safetensors")))
        #expect(
            FileManager.default.contents(atPath: result.snapshot.appendingPathComponent("model.safetensors").path)
                == Self.files["model.safetensors"], "the 200's body replaced the partial file, not appended to it")
    }

    // MARK: - Token and errors

    @Test func theTokenGoesToTheHubButNotToItsCDN() throws {
        // LFS files redirect to `localhost`, another host than the API's 127.0.0.1, as the hub's CDN is.
        let hub = try Self.hub(cdnHost: "localhost"), scratch = Scratch()
        defer { hub.stop() }
        hub.faults { $0.requiredToken = "hf_secret" }
        let reference = ModelReference(repoID: Self.repoID)
        let refused = Self.error { _ = try Self.puller(hub, scratch).pull(reference) }
        guard case .accessDenied(_, 401, false, let detail) = refused else {
            Issue.record("got \(String(describing: refused))"); return
        }
        #expect(detail == "Invalid credentials in Authorization header")
        #expect(refused?.description.contains("HF_TOKEN") == true)

        let result = try Self.puller(hub, scratch, token: "hf_secret").pull(reference)
        #expect(
            FileManager.default.fileExists(atPath: result.snapshot.appendingPathComponent("model.safetensors").path))
        let hubRequests = hub.requests.filter { !$0.path.hasPrefix("/cdn/") }.dropFirst()
        #expect(!hubRequests.isEmpty && hubRequests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        let cdnRequests = hub.requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(!cdnRequests.isEmpty && cdnRequests.allSatisfy { $0.headers["authorization"] == nil })
        #expect(cdnRequests.allSatisfy { $0.headers["host"]?.hasPrefix("localhost") == true })
    }

    @Test func anUnknownRepositoryOrRevisionSaysSo() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        let missing = Self.error { _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: "acme/nope")) }
        #expect(missing == .repositoryNotFound(ModelReference(repoID: "acme/nope"), authenticated: false))
        #expect(
            missing?.description
                == "acme/nope at revision main was not found on the hub (a private repository needs HF_TOKEN)")
        let badRevision = ModelReference(repoID: Self.repoID, revision: "v9")
        #expect(
            Self.error { _ = try Self.puller(hub, scratch).pull(badRevision) }
                == .repositoryNotFound(badRevision, authenticated: false))
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("models--acme--nope").path))
    }

    @Test func severalGGUFFilesNeedAnInclude() throws {
        let ggufs: [String: Data] = [
            "tiny-f16.gguf": Data(repeating: 1, count: 2000),
            "tiny-Q8_0.gguf": Data(repeating: 2, count: 1000),
            "tokenizer.json": Self.files["tokenizer.json"]!,
        ]
        let hub = try StandInHub(repos: [
            "acme/tiny-gguf": .init(commits: [Self.commit: ggufs], refs: ["main": Self.commit])
        ])
        let scratch = Scratch()
        defer { hub.stop() }
        let reference = ModelReference(repoID: "acme/tiny-gguf")
        let ambiguous = Self.error { _ = try Self.puller(hub, scratch).pull(reference) }
        #expect(ambiguous == .ambiguousWeights(reference, choices: ["tiny-Q8_0.gguf", "tiny-f16.gguf"]))
        #expect(ambiguous?.description.contains("--include") == true)
        let result = try Self.puller(hub, scratch).pull(reference, include: ["*Q8_0.gguf"])
        #expect(result.files.map(\.path).sorted() == ["tiny-Q8_0.gguf", "tokenizer.json"])
        #expect(result.skipped == ["tiny-f16.gguf"])
        #expect(try HubCache(root: scratch.url).snapshot(for: reference).get() == result.snapshot)
    }

    @Test func offlineModeRefusesToDownload() throws {
        let scratch = Scratch()
        let settings = HubSettings(
            endpoint: URL(string: "http://127.0.0.1:9")!, cacheDirectory: scratch.url, offline: true)
        #expect(
            Self.error { _ = try ModelPuller(settings: settings).pull(ModelReference(repoID: Self.repoID)) } == .offline
        )
    }

    // MARK: - Listing and names

    @Test func listShowsEachSnapshotItsRevisionsSizeAndWhetherItLoads() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        _ = try Self.puller(hub, scratch).pull(ModelReference(repoID: Self.repoID))
        _ = try Self.puller(hub, scratch).pull(try #require(ModelReference(parsing: "\(Self.repoID)@v1")))
        // A model another tool pulled, which the engine cannot load (no config.json it reads).
        let foreign = HubCache(root: scratch.url).snapshotFolder("bert/base", commit: Self.commit)
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data(#"{"model_type": "bert"}"#.utf8).write(to: foreign.appendingPathComponent("config.json"))

        let rows = PulledModels.rows(in: HubCache(root: scratch.url))
        #expect(rows.map(\.name) == ["acme/tiny-coder", "acme/tiny-coder@v1", "bert/base@\(Self.commit)"])
        #expect(rows[0].revisions == ["main"] && rows[1].revisions == ["v1"] && rows[2].revisions.isEmpty)
        // Blobs shared by both snapshots count once: the weights, tokenizer files and two configs.
        let expected =
            Self.files.filter { ["model.safetensors", "tokenizer.json", "tokenizer_config.json"].contains($0.key) }
            .values.reduce(0) { $0 + $1.count } + 2 * Self.files["config.json"]!.count + 1
        #expect(rows[0].bytesOnDisk == Int64(expected))
        guard case .safetensors(let family, _, let parameters) = rows[0].loadability else {
            Issue.record("\(rows[0].loadability)"); return
        }
        #expect(family == "llada" && parameters > 1_000_000)
        #expect(!rows[2].loadability.loads)

        let table = PulledModels.table(rows).split(separator: "\n").map(String.init)
        #expect(table.count == 4)
        #expect(table[0].hasPrefix("MODEL"))
        #expect(table[1].hasPrefix("acme/tiny-coder ") && table[1].contains("main") && table[1].contains("llada"))
        #expect(table[1].contains(String(Self.commit.prefix(10))))
        #expect(table[3].contains("no: "))
    }

    @Test func pulledNamesResolveThroughModelLocator() throws {
        let hub = try Self.hub(), scratch = Scratch()
        defer { hub.stop() }
        let environment = ["HF_HUB_CACHE": scratch.url.path, "HOME": "/nonexistent"]
        let reference = ModelReference(repoID: Self.repoID)
        #expect(
            ModelLocator.locate(explicit: Self.repoID, environment: environment) == .failure(.notPulled(Self.repoID)))
        #expect(ModelLocatorError.notPulled(Self.repoID).description.contains("run `dlsp model pull acme/tiny-coder`"))

        let result = try Self.puller(hub, scratch).pull(reference)
        #expect(ModelLocator.locate(explicit: Self.repoID, environment: environment) == .success(result.snapshot.path))
        #expect(
            ModelLocator.locate(explicit: "\(Self.repoID)@main", environment: environment)
                == .success(result.snapshot.path))
        #expect(
            ModelLocator.locate(explicit: "\(Self.repoID)@v1", environment: environment)
                == .failure(.notPulled("\(Self.repoID)@v1")))
        // DLSP_MODEL takes names too; an existing path always wins over a name.
        #expect(
            ModelLocator.locate(environment: environment.merging(["DLSP_MODEL": Self.repoID]) { $1 })
                == .success(result.snapshot.path))
        #expect(ModelLocator.locate(explicit: scratch.url.path, environment: environment) == .success(scratch.url.path))
        #expect(
            ModelLocator.locate(explicit: "./not/here", environment: environment) == .failure(.missing("./not/here")))
    }
}
