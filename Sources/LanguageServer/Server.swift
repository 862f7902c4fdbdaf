import Foundation
import JSONRPC
import LanguageServerProtocol
import Logging
import SourceText
import Features

/// dlsp's version, reported in `initialize` and `--version`.
public enum DLSPVersion {
    public static let current = "0.1.0"
}

/// The language server: lifecycle, document sync, dispatch and cancellation.
///
/// Threading: every message is handled on `queue`, a serial queue, in arrival order — so a `didChange` is always
/// applied before the request that follows it. Handlers only read and update state there and take snapshots; long
/// work (a completion) runs on other threads with its snapshot and a ``CancellationFlag``, so the reader and the
/// queue stay free for `$/cancelRequest` and the next edits. All mutable state below is touched on `queue` only,
/// which is why the class can be `@unchecked Sendable`.
public final class LanguageServer: @unchecked Sendable {
    let connection: Connection
    let logger: Logger
    let queue = DispatchQueue(label: "dlsp.server")
    let work = DispatchQueue(label: "dlsp.server.work", attributes: .concurrent)
    private let terminate: @Sendable (Int32) -> Void

    private enum Lifecycle { case uninitialized, running, shutDown }
    private var lifecycle = Lifecycle.uninitialized
    var encoding = PositionEncoding.utf16
    var capabilities: ClientCapabilities?
    var documents: [DocumentURI: TextDocument] = [:]
    /// The open documents' syntax trees, kept in step with `documents`.
    lazy var trees = OpenDocumentTrees(registry: syntax.registry) { [logger] in logger.warning("\($0)") }
    var workspaceFolders: [WorkspaceFolder] = []
    var inFlight: [RequestID: (reply: Reply, flag: CancellationFlag)] = [:]
    /// The newest completion request per document: a newer one supersedes it.
    var latestCompletion: [DocumentURI: RequestID] = [:]
    private var shownMessages: Set<String> = []
    var configuration = Configuration()
    let model = ModelHost()
    let syntax: SyntaxHost

    /// - Parameters:
    ///   - connection: the transport; the server starts reading when ``start()`` is called.
    ///   - terminate: called with the exit code on `exit` or when the input closes (the executable passes `exit`).
    public init(connection: Connection, logger: Logger, terminate: @escaping @Sendable (Int32) -> Void) {
        self.connection = connection
        self.logger = logger
        self.terminate = terminate
        syntax = SyntaxHost { [logger] in logger.warning("\($0)") }
    }

    public func start() {
        connection.start { [self] incoming in
            queue.async { self.handle(incoming) }
        }
    }

    // MARK: - Incoming

    private func handle(_ incoming: Connection.Incoming) {
        switch incoming {
        case .message(.request(let id, let method, let body)):
            handleRequest(id: id, method: method, body: body)
        case .message(.notification(let method, let body)):
            handleNotification(method: method, body: body)
        case .message(.response(let id, let result)):
            logger.warning("response to unknown request \(id.map(\.description) ?? "null") ignored: \(result)")
        case .invalid(let error):
            logger.warning("invalid message: \(error)")
        case .repairedInvalidUTF8:
            logger.warning("message body was not valid UTF-8; invalid bytes were replaced with U+FFFD")
            showOnce(
                .warning, "dlsp received text that is not valid UTF-8; the invalid bytes were replaced with U+FFFD.")
        case .framingError(let error):
            logger.error("framing: \(error)")
        case .closed:
            let code: Int32 = lifecycle == .shutDown ? 0 : 1
            if code != 0 { logger.warning("input closed without shutdown and exit") }
            terminate(code)
        }
    }

    private func handleRequest(id: RequestID, method: String, body: RawJSON) {
        let reply = Reply(id: id, method: method, connection: connection) { [self] in
            queue.async { self.inFlight.removeValue(forKey: id) }
        }
        switch lifecycle {
        case .uninitialized where method != "initialize":
            reply.fail(.serverNotInitialized(method))
            return
        case .running where method == "initialize":
            reply.fail(.invalidRequest("initialize was already received"))
            return
        case .shutDown:
            reply.fail(.invalidRequest("\(method) after shutdown"))
            return
        default:
            break
        }
        do throws(ResponseError) {
            switch method {
            case "initialize":
                reply.succeed(initialize(try body.params(as: InitializeParams.self)))
            case "shutdown":
                lifecycle = .shutDown
                for (_, request) in inFlight { request.flag.cancel(); request.reply.cancel() }
                reply.succeed(JSONValue.null)
            case "textDocument/completion":
                try completion(try body.params(as: CompletionParams.self), reply: reply)
            case "textDocument/inlineCompletion":
                try inlineCompletion(try body.params(as: InlineCompletionParams.self), reply: reply)
            case "textDocument/codeAction":
                try codeAction(try body.params(as: CodeActionParams.self), reply: reply)
            case "codeAction/resolve":
                try resolveCodeAction(try body.params(as: CodeAction.self), reply: reply)
            case "textDocument/prepareRename":
                try prepareRename(try body.params(as: TextDocumentPositionParams.self), reply: reply)
            case "textDocument/rename":
                try rename(try body.params(as: RenameParams.self), reply: reply)
            case "dlsp/documentState":
                reply.succeed(try documentState(try body.params(as: DocumentStateParams.self)))
            default:
                reply.fail(.methodNotFound(method))
            }
        } catch {
            reply.fail(error)
        }
    }

    private func handleNotification(method: String, body: RawJSON) {
        if method == "exit" {
            terminate(lifecycle == .shutDown ? 0 : 1)
            return
        }
        if lifecycle == .uninitialized {
            logger.warning("notification \(method) before initialize dropped")
            return
        }
        do throws(ResponseError) {
            switch method {
            case "initialized":
                logger.info("client initialized")
                loadModel()
                indexWorkspace()
            case "workspace/didChangeConfiguration":
                struct Params: Decodable { var settings: JSONValue? }
                applyConfiguration(try body.params(as: Params.self).settings)
            case "textDocument/didOpen":
                didOpen(try body.params(as: DidOpenTextDocumentParams.self))
            case "textDocument/didChange":
                didChange(try body.params(as: DidChangeTextDocumentParams.self))
            case "textDocument/didClose":
                let params = try body.params(as: DidCloseTextDocumentParams.self)
                latestCompletion.removeValue(forKey: params.textDocument.uri)
                reindex(uri: params.textDocument.uri, text: nil)
                trees.close(params.textDocument.uri)
                if documents.removeValue(forKey: params.textDocument.uri) == nil {
                    logger.warning("didClose for \(params.textDocument.uri), which is not open")
                }
            case "textDocument/didSave":
                didSave(try body.params(as: DidSaveTextDocumentParams.self))
            case "workspace/didChangeWatchedFiles":
                for change in try body.params(as: DidChangeWatchedFilesParams.self).changes {
                    // Open documents are kept by their editor's text, not the disk's.
                    guard documents[change.uri] == nil else { continue }
                    reindex(uri: change.uri, text: nil)
                }
            case "workspace/didChangeWorkspaceFolders":
                let params = try body.params(as: DidChangeWorkspaceFoldersParams.self)
                let removed = Set(params.event.removed.map(\.uri))
                workspaceFolders.removeAll { removed.contains($0.uri) }
                workspaceFolders += params.event.added
                logger.info("workspace folders: \(workspaceFolders.map(\.uri))")
            case "$/cancelRequest":
                let params = try body.params(as: CancelParams.self)
                if let request = inFlight.removeValue(forKey: params.id) {
                    request.flag.cancel()
                    request.reply.cancel()
                }
            default:
                // `$/` notifications may be ignored by the protocol; others are unknown to dlsp.
                if !method.hasPrefix("$/") { logger.debug("ignored notification \(method)") }
            }
        } catch {
            logger.warning("\(method): \(error.message)")
        }
    }

    // MARK: - Lifecycle

    private func initialize(_ params: InitializeParams) -> InitializeResult {
        capabilities = params.capabilities
        encoding = PositionEncoding.negotiate(offered: params.capabilities.general?.positionEncodings)
        if let folders = params.workspaceFolders {
            workspaceFolders = folders
        } else if let root = params.rootUri {
            workspaceFolders = [WorkspaceFolder(uri: root, name: URL(string: root)?.lastPathComponent ?? root)]
        }
        applyConfiguration(params.initializationOptions)
        lifecycle = .running
        logger.info(
            "initialize from \(params.clientInfo?.name ?? "unknown client"); position encoding \(encoding.rawValue)")
        return InitializeResult(
            capabilities: ServerCapabilities(
                positionEncoding: encoding.rawValue,
                textDocumentSync: TextDocumentSyncOptions(openClose: true, change: 2, save: .init(includeText: false)),
                completionProvider: configuration.completionEnabled
                    ? CompletionOptions(triggerCharacters: [".", "(", "[", ",", " "], resolveProvider: false) : nil,
                inlineCompletionProvider: configuration.inlineCompletionEnabled ? true : nil,
                codeActionProvider: CodeActionOptions(
                    codeActionKinds: [CodeActionKind.quickFix, CodeActionKind.refactorRewrite], resolveProvider: true),
                renameProvider: RenameOptions(prepareProvider: true),
                workspace: .init(workspaceFolders: .init(supported: true, changeNotifications: true))),
            serverInfo: .init(name: "dlsp", version: DLSPVersion.current))
    }

    // MARK: - Documents

    private func didOpen(_ params: DidOpenTextDocumentParams) {
        let item = params.textDocument
        if documents[item.uri] != nil { logger.warning("didOpen for \(item.uri), which is already open; replaced") }
        let document = TextDocument(uri: item.uri, languageID: item.languageId, version: item.version, text: item.text)
        documents[item.uri] = document
        trees.open(document, path: relativePath(item.uri))
        reportSyntaxAvailability(languageID: item.languageId)
    }

    private func didChange(_ params: DidChangeTextDocumentParams) {
        let uri = params.textDocument.uri
        guard var document = documents[uri] else {
            logger.warning("didChange for \(uri), which is not open; ignored")
            return
        }
        if params.textDocument.version <= document.version {
            logger.warning(
                "didChange for \(uri) goes from version \(document.version) to \(params.textDocument.version)")
        }
        do {
            let applied = try document.apply(
                params.contentChanges.map(TextChange.init),
                version: params.textDocument.version, encoding: encoding)
            documents[uri] = document
            trees.change(document, path: relativePath(uri), changes: applied)
            reindex(uri: uri, text: document.bytes)
        } catch {
            // The edit is refused whole, so the text stays a version the client really had.
            logger.error("didChange for \(uri) refused: \(error)")
            // The reason stays in the log: with it in the message, every refused edit was a new message, and a
            // client sending a stream of bad edits raised a popup per keystroke. Once per document is enough.
            showOnce(
                .error, "dlsp could not apply an edit to \(uri); reopen the file to resynchronise (the log says why).")
        }
    }

    private func didSave(_ params: DidSaveTextDocumentParams) {
        let uri = params.textDocument.uri
        guard let document = documents[uri] else { return }
        defer { reindex(uri: uri, text: documents[uri]?.bytes) }
        if let text = params.text, text != document.text {
            logger.warning("didSave text for \(uri) differs from the synchronised text; taking the saved text")
            let saved = TextDocument(uri: uri, languageID: document.languageID, version: document.version, text: text)
            documents[uri] = saved
            trees.open(saved, path: relativePath(uri))
        }
    }

    func document(_ uri: DocumentURI) throws(ResponseError) -> TextDocument {
        guard let document = documents[uri] else { throw .invalidParams("document \(uri) is not open") }
        return document
    }

    // MARK: - Requests

    /// `dlsp/documentState`: the text and version the server holds for a document. Editors never need it; tests
    /// and bug reports use it to check that synchronisation is exact.
    private func documentState(_ params: DocumentStateParams) throws(ResponseError) -> DocumentStateResult {
        let document = try document(params.textDocument.uri)
        let tree = trees.describe(document.uri)
        return DocumentStateResult(
            version: document.version, text: document.text, languageId: document.languageID,
            treeVersion: tree?.version, tree: tree?.sExpression)
    }

    // MARK: - Messages to the user

    /// Shows a message once per server lifetime: users are told when something is unavailable, not nagged.
    func showOnce(_ type: MessageType, _ message: String) {
        guard shownMessages.insert(message).inserted else { return }
        connection.notify("window/showMessage", MessageParams(type: type, message: message))
    }
}

/// Parameters of `dlsp/documentState`.
struct DocumentStateParams: Codable, Sendable {
    var textDocument: TextDocumentIdentifier
}

/// Result of `dlsp/documentState`.
struct DocumentStateResult: Codable, Sendable {
    var version: Int
    var text: String
    var languageId: String
    /// The version of the syntax tree the server keeps for the document (equal to `version` when current), and
    /// that tree's S-expression; both absent when its language has no grammar.
    var treeVersion: Int?
    var tree: String?
}
