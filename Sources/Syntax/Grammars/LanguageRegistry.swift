import Foundation
import Synchronization

/// The project's own query files, one per purpose, under `Grammars/queries/<language>/<kind>.scm`.
public enum QueryKind: String, CaseIterable, Sendable {
    /// `@definition.<kind>` around a definition, with its name as `@name`.
    case definitions
    /// `@import` around an import, with `@import.module` / `@import.name` parts.
    case imports
    /// `@local.scope`, `@local.definition`, `@local.reference` for scope resolution.
    case locals
}

/// Maps editor language ids and file paths to loaded grammars and their compiled queries.
///
/// Loads each grammar once, on first use. A grammar that is missing or broken is logged once through `log` and its
/// language is then treated as plain text (`nil` results), so callers never crash on it.
public final class LanguageRegistry: Sendable {
    public let manifest: GrammarManifest
    public let locations: GrammarLocations
    private let log: @Sendable (String) -> Void
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var languages: [String: Result<Language, GrammarError>] = [:]
        var queries: [String: Query?] = [:]
        /// One lock per query being compiled, so that a second caller waits for the first compile instead of
        /// running its own: the indexer and the first completion in a file otherwise compile the same queries at
        /// once, each taking the core the other needs.
        var compileLocks: [String: NSLock] = [:]
    }

    public init(
        manifest: GrammarManifest, locations: GrammarLocations,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.manifest = manifest
        self.locations = locations
        self.log = log
    }

    /// Reads the manifest found at `locations`.
    public convenience init(locations: GrammarLocations, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.init(manifest: try GrammarManifest.load(from: locations.manifestURL), locations: locations, log: log)
    }

    /// The grammar with dlsp id `id`, or why it is unavailable.
    public func load(id: String) -> Result<Language, GrammarError> {
        if let cached = state.withLock({ $0.languages[id] }) { return cached }
        let result: Result<Language, GrammarError>
        if let entry = manifest.language(id: id) {
            result = GrammarLoader.load(entry, from: locations.libraryURL(for: id))
        } else {
            result = .failure(.unknownLanguage(id))
        }
        let first = state.withLock { state -> Bool in
            guard state.languages[id] == nil else { return false }
            state.languages[id] = result
            return true
        }
        if first, case .failure(let error) = result {
            log("syntax: \(error); \(id) files get plain-text context")
        }
        return state.withLock { $0.languages[id]! }
    }

    /// The grammar with dlsp id `id`, or `nil` (logged once) when unavailable.
    public func language(id: String) -> Language? {
        try? load(id: id).get()
    }

    /// The grammar for an LSP `languageId`; `nil` for languages dlsp has no grammar for.
    public func language(lspLanguageId: String) -> Language? {
        manifest.language(lspLanguageId: lspLanguageId).flatMap { language(id: $0.id) }
    }

    /// The grammar for a file, judged by its extension.
    public func language(forPath path: String) -> Language? {
        manifest.language(forPath: path).flatMap { language(id: $0.id) }
    }

    /// The compiled query of `kind` for `language`, or `nil` if the language has no such file or it does not
    /// compile (logged once).
    public func query(_ kind: QueryKind, for language: Language) -> Query? {
        let key = "\(language.id)/\(kind.rawValue)"
        if let cached = state.withLock({ $0.queries[key] }) { return cached }
        let compileLock = state.withLock { state in
            if let existing = state.compileLocks[key] { return existing }
            let created = NSLock()
            state.compileLocks[key] = created
            return created
        }
        compileLock.lock()
        defer { compileLock.unlock() }
        if let cached = state.withLock({ $0.queries[key] }) { return cached }
        let folder = manifest.language(id: language.id)?.queryDirectory ?? language.id
        let url = locations.queriesDirectory.appendingPathComponent(folder)
            .appendingPathComponent("\(kind.rawValue).scm")
        var query: Query?
        if let source = try? String(contentsOf: url, encoding: .utf8) {
            do {
                query = try Query(language: language, source: source, name: "\(language.id)/\(kind.rawValue).scm")
            } catch {
                log("syntax: \(error)")
            }
        }
        state.withLock { $0.queries[key] = .some(query) }
        return query
    }
}
