import Features
import Foundation
import JSONRPC
import LanguageServerProtocol
import Synchronization
import Syntax

/// The syntax layer as the server uses it: the grammar registry (found beside the binary or through
/// `DLSP_GRAMMARS_MANIFEST`), the workspace index built in the background, and the context provider the
/// completion path asks.
final class SyntaxHost: Sendable {
    let registry: LanguageRegistry?
    let index: WorkspaceIndex?
    /// Why there is no registry, when there is none.
    let unavailableReason: String?
    /// Index updates run here, one after another, so an older text never lands after a newer one.
    private let updates = DispatchQueue(label: "dlsp.server.index")
    /// The newest text waiting per path (nil: read it from disk). A burst of keystrokes parses the file once, not
    /// once per keystroke.
    private let pending = Mutex<[String: [UInt8]?]>([:])
    /// Requests someone is waiting for that are running now; the workspace index pauses while there are any.
    private let foreground = Atomic<Int>(0)

    /// Runs `body` as work someone waits for: indexing the workspace pauses until it returns.
    func foregroundWork<T>(_ body: () throws -> T) rethrows -> T {
        foreground.add(1, ordering: .sequentiallyConsistent)
        defer { foreground.subtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }

    /// Schedules an index update of `path`; a later call before it runs replaces its text.
    func scheduleUpdate(path: String, text: [UInt8]?) {
        guard let index else { return }
        let alreadyQueued = pending.withLock { pending in
            defer { pending[path] = .some(text) }
            return pending[path] != nil
        }
        if alreadyQueued { return }
        updates.async { [self] in
            guard let latest = pending.withLock({ $0.removeValue(forKey: path) }) else { return }
            index.update(path: path, text: latest)
        }
    }

    init(log: @escaping @Sendable (String) -> Void) {
        do {
            let registry = try LanguageRegistry(locations: try GrammarLocations.resolve(), log: log)
            self.registry = registry
            index = WorkspaceIndex(registry: registry)
            unavailableReason = nil
        } catch {
            registry = nil
            index = nil
            unavailableReason = "\(error)"
        }
    }

    /// Whether any `foregroundWork` is running.
    var isForegroundBusy: Bool { foreground.load(ordering: .relaxed) > 0 }

    /// Syntax-aware context when grammars are set up, else plain text.
    var contextProvider: any InfillContextProvider {
        registry.map { SyntaxContext(registry: $0, index: index) } ?? PlainTextContext()
    }

    /// Why files of this LSP language get plain-text context, or nil when they get a syntax tree.
    func plainTextReason(lspLanguageID: String) -> String? {
        guard let registry else { return unavailableReason.map { "the grammars are not set up (\($0))" } }
        guard let entry = registry.manifest.language(lspLanguageId: lspLanguageID) else { return nil }
        if case .failure(let error) = registry.load(id: entry.id) { return "\(error)" }
        return nil
    }
}

extension LanguageServer {
    /// Indexes the workspace folders in the background, with work-done progress.
    func indexWorkspace() {
        guard let index = syntax.index else { return }
        let roots = workspaceFolders.compactMap { URL(string: $0.uri) }.filter(\.isFileURL)
        guard !roots.isEmpty else { return }
        let progress = ProgressReporter(
            connection: connection,
            enabled: capabilities?.window?.workDoneProgress == true)
        progress.begin(title: "dlsp: indexing the workspace")
        work.async { [logger, syntax] in
            // On a large workspace this takes seconds of both cores; a completion asked meanwhile goes first.
            let summary = index.index(roots: roots, pauseWhile: { syntax.isForegroundBusy })
            logger.info(
                """
                indexed \(summary.files) files, \(summary.definitions) definitions \
                in \(String(format: "%.1f", summary.seconds)) s
                """
            )
            progress.end("\(summary.files) files, \(summary.definitions) definitions")
        }
    }

    /// Keeps the index current with a file's new text (edited, saved, changed on disk, or closed).
    func reindex(uri: DocumentURI, text: [UInt8]?) {
        guard let index = syntax.index, let url = URL(string: uri), url.isFileURL,
            let path = index.relativePath(for: url)
        else { return }
        syntax.scheduleUpdate(path: path, text: text)
    }

    /// Tells the user once per language when its files get plain-text context only.
    func reportSyntaxAvailability(languageID: String) {
        if let reason = syntax.plainTextReason(lspLanguageID: languageID) {
            logger.warning("syntax: \(languageID) files get plain-text context: \(reason)")
            showOnce(
                .info,
                "dlsp: \(languageID) files get plain-text context only: \(reason). Run `dlsp grammars install` to fix.")
        }
    }
}

/// `workspace/didChangeWatchedFiles` parameters.
struct DidChangeWatchedFilesParams: Codable, Sendable {
    var changes: [FileEvent]
    struct FileEvent: Codable, Sendable {
        var uri: DocumentURI
        /// 1 created, 2 changed, 3 deleted.
        var type: Int
    }
}
