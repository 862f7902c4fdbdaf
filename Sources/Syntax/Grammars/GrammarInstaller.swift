import Foundation

/// What happened to one language during ``GrammarInstaller/install(languages:force:progress:)``.
public struct GrammarInstallOutcome: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// Compiled now and loaded successfully with this ABI version.
        case built(abiVersion: Int)
        /// The library on disk was built from the same pinned sources and still loads.
        case upToDate(abiVersion: Int)
        /// Not usable; the language falls back to plain text.
        case failed(GrammarError)
    }

    public var language: String
    public var libraryPath: String
    public var status: Status

    public var succeeded: Bool {
        if case .failed = status { return false }
        return true
    }
}

/// Downloads the pinned grammar sdists with pip, checks their sha256, extracts them and compiles each grammar into
/// `<libraryDirectory>/<language>.so`.
///
/// Progress goes to the caller's callback, never to stdout. A grammar that fails to compile or load is reported in
/// its ``GrammarInstallOutcome``; only failures that affect every grammar (pip missing, a bad checksum) throw.
public struct GrammarInstaller: Sendable {
    public var manifest: GrammarManifest
    public var locations: GrammarLocations
    /// The C compiler; `CC` from the environment, else `cc`.
    public var compiler: String
    /// The Python interpreter whose pip downloads the sdists.
    public var python: String
    /// How many grammars compile at once.
    public var jobs: Int

    public init(
        manifest: GrammarManifest, locations: GrammarLocations,
        compiler: String = ProcessInfo.processInfo.environment["CC"] ?? "cc",
        python: String = ProcessInfo.processInfo.environment["DLSP_PYTHON"] ?? "python3",
        jobs: Int = 2
    ) {
        self.manifest = manifest
        self.locations = locations
        self.compiler = compiler
        self.python = python
        self.jobs = max(1, jobs)
    }

    /// Installs the given languages (all of the manifest's when `nil`).
    ///
    /// - Parameters:
    ///   - force: rebuild even when a library built from the same sources exists.
    ///   - progress: called with one human-readable line per step, possibly from several threads.
    /// - Returns: one outcome per requested language, in manifest order.
    public func install(
        languages requested: [String]? = nil, force: Bool = false,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [GrammarInstallOutcome] {
        let languages = try selectLanguages(requested)
        let fileManager = FileManager.default
        for directory in [
            locations.libraryDirectory, locations.downloadsDirectory, locations.sourcesDirectory,
            locations.includeDirectory.appendingPathComponent("tree_sitter"),
        ] {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        let pending = force ? languages : languages.filter { !isUpToDate($0) }
        var outcomes: [String: GrammarInstallOutcome] = [:]
        for language in languages where !pending.contains(language) {
            outcomes[language.id] = outcome(for: language, loadedAfterBuild: false)
        }
        if !pending.isEmpty {
            let packages = try packagesNeeded(by: pending)
            try download(packages, progress: progress)
            try extract(packages, fullyExtracted: Set(pending.map(\.package)), progress: progress)
            try installHeaders()
            let built = compile(pending, progress: progress)
            for (id, result) in built { outcomes[id] = result }
        }
        return languages.compactMap { outcomes[$0.id] }
    }

    /// The state of every language in the manifest: whether its library exists and loads, and its ABI version.
    public func list() -> [GrammarInstallOutcome] {
        manifest.languages.map { language in
            let path = locations.libraryURL(for: language.id).path
            switch GrammarLoader.load(language, from: locations.libraryURL(for: language.id)) {
            case .success(let loaded):
                return GrammarInstallOutcome(
                    language: language.id, libraryPath: path,
                    status: .upToDate(abiVersion: loaded.abiVersion))
            case .failure(let error):
                return GrammarInstallOutcome(language: language.id, libraryPath: path, status: .failed(error))
            }
        }
    }

    // MARK: - Steps

    private func selectLanguages(_ requested: [String]?) throws -> [GrammarManifest.Language] {
        guard let requested else { return manifest.languages }
        for id in requested where manifest.language(id: id) == nil { throw GrammarError.unknownLanguage(id) }
        return manifest.languages.filter { requested.contains($0.id) }
    }

    private func packagesNeeded(by languages: [GrammarManifest.Language]) throws -> [GrammarManifest.Package] {
        var names = [manifest.headers.package]
        for language in languages {
            names.append(language.package)
            names.append(contentsOf: (language.extraFiles ?? []).map(\.package))
        }
        var seen = Set<String>()
        return try names.filter { seen.insert($0).inserted }.map { name in
            guard let package = manifest.package(named: name) else {
                throw GrammarError.manifestUnreadable(
                    path: locations.manifestURL.path,
                    reason: "package \(name) is used but not listed")
            }
            return package
        }
    }

    /// One pip call for everything missing: each call pays pip's start-up and per-package metadata build.
    private func download(_ packages: [GrammarManifest.Package], progress: @escaping @Sendable (String) -> Void) throws
    {
        let missing = try packages.filter { package in
            let file = locations.downloadsDirectory.appendingPathComponent(package.sdist)
            guard FileManager.default.fileExists(atPath: file.path) else { return true }
            return try sha256(of: file) != package.sha256
        }
        if !missing.isEmpty {
            progress(
                "downloading \(missing.count) source package(s): "
                    + missing.map { "\($0.name)==\($0.version)" }.joined(separator: " "))
            // Naming the packages in --no-binary (not :all:) keeps pip's own build tools on wheels.
            try ExternalCommand(
                arguments: [
                    python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                    "--no-binary", missing.map(\.name).joined(separator: ","),
                    "-d", locations.downloadsDirectory.path,
                ] + missing.map { "\($0.name)==\($0.version)" }
            ).run { line in
                // pip prepares each sdist's metadata in turn, which takes seconds each: show which one.
                if line.hasPrefix("Collecting ") || line.hasPrefix("Saved ") { progress("  pip: \(line)") }
            }
        }
        for package in packages {
            let file = locations.downloadsDirectory.appendingPathComponent(package.sdist)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw GrammarError.commandFailed(
                    command: "pip download \(package.name)==\(package.version)",
                    status: 0, output: "\(package.sdist) was not downloaded")
            }
            let actual = try sha256(of: file)
            guard actual == package.sha256 else {
                try? FileManager.default.removeItem(at: file)
                throw GrammarError.checksumMismatch(file: package.sdist, expected: package.sha256, actual: actual)
            }
        }
        progress("verified sha256 of \(packages.count) source package(s)")
    }

    /// Grammar packages are unpacked whole; supporting packages (headers, the TypeScript scanner header) only for the
    /// files taken from them, which matters for the 51 MB language pack.
    private func extract(
        _ packages: [GrammarManifest.Package], fullyExtracted: Set<String>, progress: @Sendable (String) -> Void
    ) throws {
        var members: [String: [String]] = [
            manifest.headers.package: manifest.headers.files.map {
                "\(manifest.headers.directory)/\($0)"
            }
        ]
        for language in manifest.languages {
            for extra in language.extraFiles ?? [] { members[extra.package, default: []].append(extra.path) }
        }
        for package in packages {
            let archive = locations.downloadsDirectory.appendingPathComponent(package.sdist).path
            var arguments = ["tar", "-xzf", archive, "-C", locations.sourcesDirectory.path]
            if !fullyExtracted.contains(package.name) {
                var seen = Set<String>()
                arguments += (members[package.name] ?? []).filter { seen.insert($0).inserted }
            }
            progress("extracting \(package.sdist)")
            try ExternalCommand(arguments: arguments).run()
        }
        let fileManager = FileManager.default
        for language in manifest.languages {
            for extra in language.extraFiles ?? [] {
                let source = locations.sourcesDirectory.appendingPathComponent(extra.path)
                let destination = locations.sourcesDirectory.appendingPathComponent(extra.destination)
                guard fileManager.fileExists(atPath: source.path) else { continue }
                try fileManager.createDirectory(
                    at: destination.deletingLastPathComponent(),
                    withIntermediateDirectories: true)
                try? fileManager.removeItem(at: destination)
                try fileManager.copyItem(at: source, to: destination)
            }
        }
    }

    private func installHeaders() throws {
        let fileManager = FileManager.default
        let target = locations.includeDirectory.appendingPathComponent("tree_sitter")
        for file in manifest.headers.files {
            let source = locations.sourcesDirectory.appendingPathComponent(manifest.headers.directory)
                .appendingPathComponent(file)
            guard fileManager.fileExists(atPath: source.path) else {
                throw GrammarError.missingSourceFile(language: "headers", path: source.path)
            }
            let destination = target.appendingPathComponent(file)
            try? fileManager.removeItem(at: destination)
            try fileManager.copyItem(at: source, to: destination)
        }
    }

    /// Compiles `jobs` grammars at a time, largest first so the long ones do not end up running alone.
    private func compile(
        _ languages: [GrammarManifest.Language], progress: @escaping @Sendable (String) -> Void
    ) -> [String: GrammarInstallOutcome] {
        let ordered = languages.sorted { sourceSize(of: $0) > sourceSize(of: $1) }
        let results = LockedDictionary<String, GrammarInstallOutcome>()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        for language in ordered {
            queue.addOperation {
                let result = compileOne(language, progress: progress)
                results.set(language.id, result)
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        return results.snapshot()
    }

    private func compileOne(
        _ language: GrammarManifest.Language, progress: @Sendable (String) -> Void
    ) -> GrammarInstallOutcome {
        let library = locations.libraryURL(for: language.id)
        let sourceDirectory = locations.sourcesDirectory.appendingPathComponent(language.sourceDirectory)
        let sources = language.sources.map { sourceDirectory.appendingPathComponent($0) }
        if let missing = sources.first(where: { !FileManager.default.fileExists(atPath: $0.path) }) {
            return GrammarInstallOutcome(
                language: language.id, libraryPath: library.path,
                status: .failed(.missingSourceFile(language: language.id, path: missing.path)))
        }
        let started = Date()
        let temporary = library.appendingPathExtension("tmp")
        do {
            // The grammar's own src comes first: swift ships newer headers of its own that it must use.
            try ExternalCommand(
                arguments: [
                    compiler, "-O2", "-fPIC", "-shared", "-w",
                    "-I", sourceDirectory.path, "-I", locations.includeDirectory.path,
                ] + sources.map(\.path) + ["-o", temporary.path, "-ltree-sitter"]
            ).run()
            // Replace atomically so a running server never dlopens a half-written file.
            guard rename(temporary.path, library.path) == 0 else {
                throw GrammarError.libraryUnloadable(
                    language: language.id, path: library.path,
                    reason: "cannot move the compiled library into place: errno \(errno)")
            }
            try stamp(for: language).write(to: locations.stampURL(for: language.id), atomically: true, encoding: .utf8)
        } catch let error as GrammarError {
            try? FileManager.default.removeItem(at: temporary)
            return GrammarInstallOutcome(language: language.id, libraryPath: library.path, status: .failed(error))
        } catch {
            return GrammarInstallOutcome(
                language: language.id, libraryPath: library.path,
                status: .failed(.libraryUnloadable(language: language.id, path: library.path, reason: "\(error)")))
        }
        progress(String(format: "compiled %@ in %.1f s", language.id, Date().timeIntervalSince(started)))
        return outcome(for: language, loadedAfterBuild: true)
    }

    private func outcome(for language: GrammarManifest.Language, loadedAfterBuild: Bool) -> GrammarInstallOutcome {
        let library = locations.libraryURL(for: language.id)
        switch GrammarLoader.load(language, from: library) {
        case .success(let loaded):
            return GrammarInstallOutcome(
                language: language.id, libraryPath: library.path,
                status: loadedAfterBuild
                    ? .built(abiVersion: loaded.abiVersion)
                    : .upToDate(abiVersion: loaded.abiVersion))
        case .failure(let error):
            return GrammarInstallOutcome(language: language.id, libraryPath: library.path, status: .failed(error))
        }
    }

    // MARK: - Helpers

    private func stamp(for language: GrammarManifest.Language) -> String {
        let package = manifest.package(named: language.package)
        return [
            language.symbol, language.sourceDirectory, language.sources.joined(separator: ","),
            package?.sha256 ?? "", compiler,
        ].joined(separator: "\n")
    }

    private func isUpToDate(_ language: GrammarManifest.Language) -> Bool {
        guard FileManager.default.fileExists(atPath: locations.libraryURL(for: language.id).path),
            let recorded = try? String(contentsOf: locations.stampURL(for: language.id), encoding: .utf8)
        else { return false }
        return recorded == stamp(for: language)
    }

    private func sourceSize(of language: GrammarManifest.Language) -> Int {
        let path = locations.sourcesDirectory.appendingPathComponent(language.sourceDirectory)
            .appendingPathComponent("parser.c").path
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    private func sha256(of file: URL) throws -> String {
        let output: String
        do {
            output = try ExternalCommand(arguments: ["sha256sum", file.path]).run()
        } catch GrammarError.toolMissing {
            output = try ExternalCommand(arguments: ["shasum", "-a", "256", file.path]).run()
        }
        return String(output.prefix { !$0.isWhitespace }).lowercased()
    }
}

/// A dictionary written from several compile jobs.
private final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Key: Value] = [:]

    func set(_ key: Key, _ value: Value) {
        lock.lock(); defer { lock.unlock() }
        storage[key] = value
    }

    func snapshot() -> [Key: Value] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
