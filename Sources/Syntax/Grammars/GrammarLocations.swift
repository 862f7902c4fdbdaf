import Foundation

/// Where the manifest and queries live (committed) and where compiled grammars go (a git-ignored cache).
public struct GrammarLocations: Sendable, Equatable {
    /// The folder holding `manifest.json` and `queries/<language>/*.scm`.
    public var grammarsDirectory: URL
    /// The folder holding the compiled `<language>.so` files and the `build/` work area.
    public var libraryDirectory: URL

    public init(grammarsDirectory: URL, libraryDirectory: URL) {
        self.grammarsDirectory = grammarsDirectory
        self.libraryDirectory = libraryDirectory
    }

    public var manifestURL: URL { grammarsDirectory.appendingPathComponent("manifest.json") }
    public var queriesDirectory: URL { grammarsDirectory.appendingPathComponent("queries") }
    /// Downloads, extracted sources and shared headers; safe to delete at any time.
    public var buildDirectory: URL { libraryDirectory.appendingPathComponent("build") }
    public var downloadsDirectory: URL { buildDirectory.appendingPathComponent("downloads") }
    public var sourcesDirectory: URL { buildDirectory.appendingPathComponent("sources") }
    public var includeDirectory: URL { buildDirectory.appendingPathComponent("include") }

    /// The compiled grammar library for a language id.
    public func libraryURL(for languageID: String) -> URL {
        libraryDirectory.appendingPathComponent("\(languageID).so")
    }

    /// Records which sources built a library, so an unchanged grammar is not rebuilt.
    func stampURL(for languageID: String) -> URL {
        libraryDirectory.appendingPathComponent("\(languageID).stamp")
    }

    /// The running executable's real path. `argv[0]` is only the name an editor typed (`dlsp`, found through
    /// PATH), which would search for the grammars next to the editor's working folder instead of the binary.
    public static func runningExecutablePath() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
    }

    /// Finds the grammar folders the usual way.
    ///
    /// - The manifest: `DLSP_GRAMMARS_MANIFEST` (the file or its folder), else the first `Grammars/manifest.json`
    ///   found walking up from the current directory, then from the executable's folder.
    /// - The libraries: `libraryDirectoryOverride`, else `DLSP_GRAMMAR_DIR`, else `.cache/grammars` next to the
    ///   `Grammars` folder.
    public static func resolve(
        libraryDirectoryOverride: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = GrammarLocations.runningExecutablePath()
    ) throws -> GrammarLocations {
        let grammars = try findGrammarsDirectory(
            environment: environment, currentDirectory: currentDirectory, executablePath: executablePath)
        let library: URL
        if let override = libraryDirectoryOverride, !override.isEmpty {
            library = URL(fileURLWithPath: override, isDirectory: true)
        } else if let fromEnvironment = environment["DLSP_GRAMMAR_DIR"], !fromEnvironment.isEmpty {
            library = URL(fileURLWithPath: fromEnvironment, isDirectory: true)
        } else {
            library = grammars.deletingLastPathComponent()
                .appendingPathComponent(".cache").appendingPathComponent("grammars")
        }
        return GrammarLocations(grammarsDirectory: grammars, libraryDirectory: library.standardizedFileURL)
    }

    private static func findGrammarsDirectory(
        environment: [String: String], currentDirectory: String, executablePath: String?
    ) throws -> URL {
        let fileManager = FileManager.default
        if let explicit = environment["DLSP_GRAMMARS_MANIFEST"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit)
            return url.lastPathComponent == "manifest.json" ? url.deletingLastPathComponent() : url
        }
        var starts = [URL(fileURLWithPath: currentDirectory, isDirectory: true)]
        if let executablePath {
            starts.append(URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        var searched: [String] = []
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                let candidate = directory.appendingPathComponent("Grammars")
                if fileManager.fileExists(atPath: candidate.appendingPathComponent("manifest.json").path) {
                    return candidate
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
            searched.append(start.path)
        }
        throw GrammarError.manifestNotFound(searched: searched)
    }
}
