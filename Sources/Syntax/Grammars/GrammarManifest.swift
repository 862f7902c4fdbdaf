import Foundation

/// The contents of `Grammars/manifest.json`: which grammars dlsp supports, where their sources come from, and how
/// to build them.
///
/// Grammar sources are never committed; the manifest pins the exact sdists (name, version, sha256) that the
/// ``GrammarInstaller`` downloads and compiles at setup time.
public struct GrammarManifest: Sendable, Codable, Equatable {
    /// One pinned source distribution.
    public struct Package: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        /// The file name pip saves the sdist under.
        public var sdist: String
        /// Lower-case hex sha256 of the sdist; a mismatch aborts the install.
        public var sha256: String
    }

    /// Where the shared `tree_sitter/*.h` headers come from (the grammar sdists lack them).
    public struct Headers: Sendable, Codable, Equatable {
        public var package: String
        /// Folder inside the extracted package that holds `files`.
        public var directory: String
        public var files: [String]
    }

    /// A file taken from another package and placed into a grammar's source tree before compiling.
    public struct ExtraFile: Sendable, Codable, Equatable {
        public var package: String
        /// Path inside that package's sdist.
        public var path: String
        /// Path relative to the extracted sources folder.
        public var destination: String
    }

    /// One language: how editors name it, which files it covers and how to build its grammar.
    public struct Language: Sendable, Codable, Equatable {
        /// dlsp's own name for the language; also the stem of the compiled library and the query folder.
        public var id: String
        /// LSP `languageId`s that map to this grammar.
        public var languageIds: [String]
        /// File extensions without the dot, compared case-insensitively.
        public var extensions: [String]
        /// The ``Package/name`` providing `parser.c`.
        public var package: String
        /// The exported C function returning the `TSLanguage *`.
        public var symbol: String
        /// Folder (relative to the extracted sources) holding `sources`.
        public var sourceDirectory: String
        /// C files to compile, relative to `sourceDirectory`.
        public var sources: [String]
        public var extraFiles: [ExtraFile]?
        /// The `Grammars/queries/` folder to use when it is not `id` (tsx shares typescript's queries).
        public var queries: String?

        /// The query folder name for this language.
        public var queryDirectory: String { queries ?? id }
    }

    public var formatVersion: Int
    public var packages: [Package]
    public var headers: Headers
    public var languages: [Language]

    /// Reads and decodes a manifest file.
    public static func load(from url: URL) throws -> GrammarManifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw GrammarError.manifestUnreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(GrammarManifest.self, from: data)
        } catch {
            throw GrammarError.manifestUnreadable(path: url.path, reason: "\(error)")
        }
    }

    /// The pinned package called `name`, if the manifest lists it.
    public func package(named name: String) -> Package? {
        packages.first { $0.name == name }
    }

    /// The language with dlsp id `id`.
    public func language(id: String) -> Language? {
        languages.first { $0.id == id }
    }

    /// The language an editor's `languageId` refers to (`"typescriptreact"` → tsx).
    public func language(lspLanguageId: String) -> Language? {
        languages.first { $0.languageIds.contains(lspLanguageId) } ?? language(id: lspLanguageId)
    }

    /// The language for a file path, judged by its extension.
    public func language(forPath path: String) -> Language? {
        let ext = (path as NSString).pathExtension.lowercased()
        guard !ext.isEmpty else { return nil }
        return languages.first { $0.extensions.contains(ext) }
    }
}
