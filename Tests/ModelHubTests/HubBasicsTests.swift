import Foundation
import Testing
@testable import ModelHub

/// The pieces under a pull: digests, names, the environment, which files are chosen, and the metadata reader.
struct HubBasicsTests {
    @Test func digestsMatchPublishedVectors() throws {
        func sha256(_ data: Data) -> String { var d = SHA256Digest(); d.update(data); return d.finalizeHex() }
        func sha1(_ data: Data) -> String { var d = SHA1Digest(); d.update(data); return d.finalizeHex() }
        #expect(sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha1(Data("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(sha256(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(sha1(million) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        // Fed in uneven pieces, across block boundaries, the digest is the same.
        var pieces = SHA256Digest()
        var offset = 0
        for size in [1, 63, 64, 65, 127, 999_680] { pieces.update(million[offset..<offset + size]); offset += size }
        #expect(pieces.finalizeHex() == sha256(million))
        // `git hash-object` of "hello\n".
        var blob = SHA1Digest.gitBlob(size: 6)
        blob.update(Data("hello\n".utf8))
        #expect(blob.finalizeHex() == "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    @Test func namesAreTheHubsAndPathsAreNot() {
        #expect(
            ModelReference(parsing: "fredzzp/open-dcoder-0.5B") == ModelReference(repoID: "fredzzp/open-dcoder-0.5B"))
        let pinned = ModelReference(parsing: "GSAI-ML/LLaDA-8B-Instruct@refs/pr/3")
        #expect(pinned?.repoID == "GSAI-ML/LLaDA-8B-Instruct" && pinned?.revision == "refs/pr/3")
        #expect(pinned?.description == "GSAI-ML/LLaDA-8B-Instruct@refs/pr/3")
        #expect(ModelReference(parsing: "a/b")?.revision == "main")
        for notAName in [
            "gpt2", "/models/dream", "./models/x", "../a/b", "a/b/c", "a//b", "a/b@", "a--b/c",
            "a/b..c", "-a/b", "a/b.", "a b/c", "a/b@../x", "Models/default/", "",
        ] {
            #expect(ModelReference(parsing: notAName) == nil, "\(notAName)")
        }
        #expect(ModelReference(repoID: "a/b", revision: String(repeating: "0f", count: 20)).revisionIsCommit)
        #expect(!ModelReference(repoID: "a/b", revision: "main").revisionIsCommit)
    }

    @Test func theEnvironmentIsReadAsTheHubsClientReadsIt() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let plain = HubSettings.from(environment: ["HOME": home.path])
        #expect(plain.endpoint.absoluteString == "https://huggingface.co")
        #expect(plain.cacheDirectory.path == home.path + "/.cache/huggingface/hub")
        #expect(plain.token == nil && !plain.offline)

        #expect(
            HubSettings.from(environment: ["HOME": home.path, "XDG_CACHE_HOME": "/x"]).cacheDirectory.path
                == "/x/huggingface/hub")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HF_HOME": "~/hf"]).cacheDirectory.path
                == home.path + "/hf/hub")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HF_HOME": "/hf", "HF_HUB_CACHE": "/c"]).cacheDirectory
                .path
                == "/c")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HUGGINGFACE_HUB_CACHE": "/old"]).cacheDirectory.path
                == "/old")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HF_ENDPOINT": "https://hf-mirror.com/"]).endpoint
                .absoluteString == "https://hf-mirror.com")
        #expect(HubSettings.from(environment: ["HOME": home.path, "HF_HUB_OFFLINE": "1"]).offline)

        // The token: HF_TOKEN, then the older variable, then the file `huggingface-cli login` writes.
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".cache/huggingface"),
            withIntermediateDirectories: true)
        try Data("hf_saved\n".utf8).write(to: home.appendingPathComponent(".cache/huggingface/token"))
        #expect(HubSettings.from(environment: ["HOME": home.path]).token == "hf_saved")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HUGGING_FACE_HUB_TOKEN": "hf_old"]).token == "hf_old")
        #expect(
            HubSettings.from(environment: ["HOME": home.path, "HF_TOKEN": "hf_new", "HUGGING_FACE_HUB_TOKEN": "hf_old"])
                .token == "hf_new")
        #expect(HubSettings.from(environment: ["HOME": home.path, "HF_TOKEN_PATH": "/nonexistent"]).token == nil)
    }

    @Test func onlyTheFilesTheEngineLoadsAreChosen() throws {
        let reference = ModelReference(repoID: "a/b")
        let sharded = [
            "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
            "model.safetensors.index.json", "pytorch_model.bin", "onnx/model.onnx", "flax_model.msgpack",
            "vocab.json", "README.md",
        ]
        let chosen = try FileSelection.choose(from: sharded, include: [], reference: reference)
        #expect(
            chosen.selected == [
                "config.json", "generation_config.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json",
                "tokenizer.json", "tokenizer_config.json",
            ])
        #expect(
            chosen.skipped == ["README.md", "flax_model.msgpack", "onnx/model.onnx", "pytorch_model.bin", "vocab.json"])

        #expect(throws: HubError.noModelFiles(reference, files: ["config.json", "pytorch_model.bin"])) {
            try FileSelection.choose(from: ["config.json", "pytorch_model.bin"], include: [], reference: reference)
        }
        #expect(throws: HubError.ambiguousWeights(reference, choices: ["*.safetensors", "m.gguf"])) {
            try FileSelection.choose(
                from: ["config.json", "m.safetensors", "m.gguf"], include: [], reference: reference)
        }
        #expect(throws: HubError.includeMatchedNothing(patterns: ["*.xyz"], files: ["m.gguf"])) {
            try FileSelection.choose(from: ["m.gguf"], include: ["*.xyz"], reference: reference)
        }
    }

    @Test func revisionMetadataIsReadAndChecked() throws {
        let json = #"""
            {"id":"a/b","sha":"0123456789abcdef0123456789abcdef01234567","siblings":[
              {"rfilename":"config.json","size":12,"blobId":"ce013625030ba8dba906f756967f9e9ca394464a"},
              {"rfilename":"model.safetensors","size":9,"blobId":"ffffffffffffffffffffffffffffffffffffffff",
               "lfs":{"sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",\#
            "size":100,"pointerSize":130}}]}
            """#
        let revision = try RepoRevision.parseRevision(Data(json.utf8))
        #expect(revision.commit == "0123456789abcdef0123456789abcdef01234567")
        #expect(
            revision.files[0]
                == RepoFile(
                    path: "config.json", size: 12, sha256: nil,
                    gitBlobID: "ce013625030ba8dba906f756967f9e9ca394464a"))
        // An LFS file's size is the object's, not the pointer's, and its blob is named by its sha256.
        #expect(revision.files[1].size == 100)
        #expect(revision.files[1].blobName == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(throws: HubError.self) { try RepoRevision.parseRevision(Data(#"{"sha":"main","siblings":[]}"#.utf8)) }
        #expect(throws: HubError.self) {
            try RepoRevision.parseRevision(
                Data(#"{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"../x"}]}"#.utf8))
        }
        // A negative size could not be checked against a download (found writing the hub-revision fuzz target).
        #expect(throws: HubError.self) {
            try RepoRevision.parseRevision(
                Data(
                    #"{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"x.gguf","size":-1}]}"#
                        .utf8))
        }
    }
}
