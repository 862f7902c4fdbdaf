import Foundation
import Syntax
import Testing

@Suite("Grammars: install, list, load")
struct GrammarTests {
    @Test("the manifest pins every language to a checksummed package")
    func manifestIsComplete() throws {
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        let ids = Set(manifest.languages.map(\.id))
        for required in [
            "python", "swift", "javascript", "typescript", "tsx", "go", "rust", "c", "cpp", "java",
            "json", "bash", "ruby",
        ] {
            #expect(ids.contains(required), "manifest lacks \(required)")
        }
        for language in manifest.languages {
            let package = try #require(manifest.package(named: language.package))
            #expect(package.sha256.count == 64)
            #expect(language.symbol == "tree_sitter_\(language.id)")
        }
        #expect(manifest.language(lspLanguageId: "typescriptreact")?.id == "tsx")
        #expect(manifest.language(forPath: "src/App.JSX")?.id == "javascript")
        #expect(manifest.language(forPath: "README") == nil)
    }

    @Test("install is idempotent and list reports ABI 14 for the installed grammars")
    func installAndList() throws {
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        let installer = GrammarInstaller(manifest: manifest, locations: TestGrammars.locations)
        let wanted = ["python", "swift", "javascript", "c"]
        let outcomes = try installer.install(languages: wanted)
        #expect(outcomes.map(\.language) == wanted)
        for outcome in outcomes {
            switch outcome.status {
            case .built(let abi), .upToDate(let abi): #expect(abi == 14)
            case .failed(let error): Issue.record("\(outcome.language): \(error)")
            }
        }
        let listed = Dictionary(uniqueKeysWithValues: installer.list().map { ($0.language, $0) })
        for id in wanted {
            #expect(listed[id]?.status == .upToDate(abiVersion: 14))
            #expect(listed[id]?.libraryPath.hasSuffix("/\(id).so") == true)
        }
    }

    @Test("a fresh install extracts, compiles and loads grammars (from already verified downloads)")
    func freshInstallIntoNewDirectory() throws {
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-grammars-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let locations = GrammarLocations(
            grammarsDirectory: TestGrammars.locations.grammarsDirectory,
            libraryDirectory: directory)
        // Reuse the downloads of the main install so the test does not need the network; the installer still
        // verifies their checksums.
        try FileManager.default.createDirectory(at: locations.downloadsDirectory, withIntermediateDirectories: true)
        for name in ["tree-sitter", "tree-sitter-c", "tree-sitter-json"] {
            let sdist = try #require(manifest.package(named: name)).sdist
            try FileManager.default.copyItem(
                at: TestGrammars.locations.downloadsDirectory.appendingPathComponent(sdist),
                to: locations.downloadsDirectory.appendingPathComponent(sdist))
        }
        let lines = LinesLog()
        let outcomes = try GrammarInstaller(manifest: manifest, locations: locations)
            .install(languages: ["json", "c"]) { lines.append($0) }
        #expect(outcomes.map(\.status) == [.built(abiVersion: 14), .built(abiVersion: 14)])
        #expect(lines.all.contains { $0.hasPrefix("verified sha256") })
        #expect(lines.all.contains { $0.hasPrefix("compiled json") })
        #expect(!lines.all.contains { $0.hasPrefix("downloading") })
        // Second run: nothing to rebuild.
        let again = try GrammarInstaller(manifest: manifest, locations: locations).install(languages: ["c"])
        #expect(again.map(\.status) == [.upToDate(abiVersion: 14)])
    }

    @Test("an unknown language is a clear error")
    func unknownLanguage() throws {
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        #expect(throws: GrammarError.unknownLanguage("cobol")) {
            try GrammarInstaller(manifest: manifest, locations: TestGrammars.locations).install(languages: ["cobol"])
        }
    }

    @Test("a broken library, a missing symbol and a wrong ABI are errors, and the language degrades to plain text")
    func brokenGrammars() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-broken-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let garbage = directory.appendingPathComponent("python.so")
        try Data("not an ELF file".utf8).write(to: garbage)
        guard
            case .failure(.libraryUnloadable(let id, _, let reason)) =
                GrammarLoader.load(id: "python", symbol: "tree_sitter_python", from: garbage)
        else {
            Issue.record("garbage library loaded"); return
        }
        #expect(id == "python")
        #expect(!reason.isEmpty)

        let real = TestGrammars.locations.libraryURL(for: "c")
        _ = try TestGrammars.language("c")
        #expect(
            GrammarLoader.load(id: "c", symbol: "tree_sitter_nothing", from: real)
                == .failure(.symbolMissing(language: "c", symbol: "tree_sitter_nothing", path: real.path)))

        // A library whose language reports ABI 15, as the newest PyPI grammars do.
        let source = directory.appendingPathComponent("abi15.c")
        try """
        #include <stdint.h>
        static const struct { uint32_t version; } language = { 15 };
        const void *tree_sitter_future(void) { return &language; }
        """.write(to: source, atomically: true, encoding: .utf8)
        let library = directory.appendingPathComponent("future.so")
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compile.arguments = ["cc", "-shared", "-fPIC", source.path, "-o", library.path]
        try compile.run()
        compile.waitUntilExit()
        #expect(compile.terminationStatus == 0)
        #expect(
            GrammarLoader.load(id: "future", symbol: "tree_sitter_future", from: library)
                == .failure(.incompatibleABI(language: "future", version: 15, supported: 13...14)))

        // Through the registry: nil plus one log line, no crash.
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        let log = LinesLog()
        let registry = LanguageRegistry(
            manifest: manifest,
            locations: GrammarLocations(
                grammarsDirectory: TestGrammars.locations.grammarsDirectory,
                libraryDirectory: directory),
            log: { log.append($0) })
        #expect(registry.language(forPath: "main.py") == nil)
        #expect(registry.language(lspLanguageId: "python") == nil)
        #expect(log.all.count == 1)
        #expect(log.all.first?.contains("python") == true)
        #expect(log.all.first?.contains("plain-text") == true)
        let context = ContextBuilder(registry: registry, index: nil)
            .build(ContextRequest(path: "main.py", text: Array("def f():\n    return 1\n".utf8), cursor: 9))
        #expect(context.languageID == nil)
        #expect(context.prefix == "def f():\n")
    }

    @Test(
        "every committed query file compiles against its grammar",
        arguments: [
            "python", "swift", "javascript", "typescript", "tsx", "go", "rust", "c", "cpp", "java", "bash", "ruby",
        ])
    func queriesCompile(languageID: String) throws {
        let language = try TestGrammars.language(languageID)
        let manifest = try GrammarManifest.load(from: TestGrammars.locations.manifestURL)
        let folder = try #require(manifest.language(id: languageID)).queryDirectory
        var compiled = 0
        for kind in QueryKind.allCases {
            let url = TestGrammars.locations.queriesDirectory.appendingPathComponent(folder)
                .appendingPathComponent("\(kind.rawValue).scm")
            guard let source = try? String(contentsOf: url, encoding: .utf8) else { continue }
            _ = try Query(language: language, source: source, name: "\(folder)/\(kind.rawValue).scm")
            compiled += 1
        }
        #expect(compiled >= 2, "\(languageID) should have at least definitions and imports queries")
    }
}

/// Collects log or progress lines from any thread.
final class LinesLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
