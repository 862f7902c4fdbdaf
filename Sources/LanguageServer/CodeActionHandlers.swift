import Engine
import Features
import Foundation
import JSONRPC
import LanguageServerProtocol
import SourceText
import Syntax

// Code actions (remove redundant code, rename suggestions, regenerate a selection) and the deterministic rename.
// Listing and resolving both snapshot the document on the message queue and compute on a worker; every edit is
// computed for the snapshot's version and refused (`ContentModified`) when the document has moved on.
extension LanguageServer {
    /// What an action's `data` carries so that `codeAction/resolve` recomputes its edit for exactly the document
    /// version it was offered for.
    struct ActionData: Codable, Sendable {
        enum Kind: String, Codable, Sendable {
            case remove, rename, rewrite
            /// A statement the model judges redundant (`ModelDeletionSuggester`).
            case delete
        }

        var uri: DocumentURI
        var version: Int
        var kind: Kind
        /// Byte range: the finding's code (remove), the identifier (rename) or the selection (rewrite).
        var start: Int
        var end: Int
        /// The old name and the new one (rename); the finding's title (remove).
        var name: String?
        var newName: String?
        var title: String?

        var json: JSONValue {
            (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self))) ?? .null
        }

        init(
            uri: DocumentURI, version: Int, kind: Kind, range: Swift.Range<Int>, name: String? = nil,
            newName: String? = nil, title: String? = nil
        ) {
            self.uri = uri
            self.version = version
            self.kind = kind
            start = range.lowerBound
            end = range.upperBound
            self.name = name
            self.newName = newName
            self.title = title
        }

        init?(_ json: JSONValue?) {
            guard let json, let data = try? JSONEncoder().encode(json),
                let decoded = try? JSONDecoder().decode(ActionData.self, from: data), decoded.start <= decoded.end
            else { return nil }
            self = decoded
        }

        var range: Swift.Range<Int> { start..<end }
    }

    /// What the client can take, read once per request on the message queue.
    struct ActionClient: Sendable {
        var encoding: PositionEncoding
        /// `codeAction/resolve` may fill in `edit` (and `data` survives the round trip).
        var resolvesEdits: Bool
        /// The client shows `CodeActionTag.llmGenerated`.
        var showsLLMTag: Bool
        var versionedEdits: Bool
    }

    private var actionClient: ActionClient {
        let codeAction = capabilities?.textDocument?.codeAction
        let properties = codeAction?.resolveSupport?["properties"]
        let resolvesEdit: Bool
        if case .array(let names)? = properties {
            resolvesEdit = names.contains(.string("edit"))
        } else {
            resolvesEdit = false
        }
        var tagged = false
        if case .array(let values)? = codeAction?.tagSupport?["valueSet"] {
            tagged = values.contains(.number(Double(CodeActionTag.llmGenerated)))
        }
        return ActionClient(
            encoding: encoding, resolvesEdits: resolvesEdit && codeAction?.dataSupport == true,
            showsLLMTag: tagged,
            versionedEdits: capabilities?.workspace?.workspaceEdit?.documentChanges == true)
    }

    // MARK: - textDocument/codeAction

    func codeAction(_ params: CodeActionParams, reply: Reply) throws(ResponseError) {
        let document = try document(params.textDocument.uri)
        let range = try byteRange(params.range, in: document)
        let client = actionClient
        let path = relativePath(document.uri)
        let only = params.context.only
        // Model actions cost model time: computed when the user asks, not as the cursor moves (trigger kind 2).
        let invoked = params.context.triggerKind != 2
        let settings = configuration.completion
        let registry = syntax.registry, index = syntax.index
        let model = self.model
        let logger = self.logger
        let scope = workspaceSnapshot(excluding: document.uri)
        let kept = trees.snapshot(of: document)
        // Eager edits may reach other open files, which must then not change meanwhile either.
        runOffQueue(
            document, reply: reply, what: "code actions",
            alsoUnchanged: client.resolvesEdits ? [] : Array(scope.openByPath.values)
        ) {
            [connection] flag -> [CodeAction] in
            var actions: [CodeAction] = []
            let tree =
                kept?.tree
                ?? registry.flatMap { registry in
                    Renamer(registry: registry).language(languageID: document.languageID, path: path)
                        .flatMap { try? Parser(language: $0) }?.parse(document.bytes)
                }
            if let registry, let tree, CodeActionKind.matches(CodeActionKind.quickFix, only: only) {
                for finding in RedundancyFinder(registry: registry).find(in: tree, path: path, touching: range) {
                    let data = ActionData(
                        uri: document.uri, version: document.version, kind: .remove,
                        range: finding.range, title: finding.title)
                    actions.append(
                        CodeAction(
                            title: finding.title, kind: CodeActionKind.quickFix,
                            edit: client.resolvesEdits ? nil : workspaceEdit([finding.edit], document, client),
                            data: data.json))
                }
            }
            // The identifier the range lies on, if any: rename suggestions are for it.
            let renamer = registry.map(Renamer.init)
            let renameTarget = tree.flatMap { tree in (try? renamer?.target(in: tree, at: range.lowerBound)) ?? nil }
                .flatMap {
                    $0.target.lowerBound <= range.lowerBound && range.upperBound <= $0.target.upperBound ? $0 : nil
                }
            guard invoked, CodeActionKind.matches(CodeActionKind.refactorRewrite, only: only),
                renameTarget != nil || !range.isEmpty || tree != nil,
                case .success(let service) = model.service(timeout: .now() + 10)
            else { return actions }
            let tags = client.showsLLMTag ? [CodeActionTag.llmGenerated] : nil
            if let renamer, let tree, let engine = service.backend.localEngine {
                if let target = renameTarget {
                    let started = ContinuousClock.now
                    var suggestionSettings = RenameSuggestionSettings()
                    suggestionSettings.contextTokens = min(
                        settings.hole.contextTokens, suggestionSettings.contextTokens)
                    let suggestions = try RenameSuggester(engine: engine, renamer: renamer)
                        .suggest(for: target, in: tree, path: path, settings: suggestionSettings, cancellation: flag)
                    logger.debug(
                        """
                        rename suggestions for \(target.name): \(suggestions.map(\.name)) \
                        in \(ContinuousClock.now - started)
                        """
                    )
                    for suggestion in suggestions {
                        let data = ActionData(
                            uri: document.uri, version: document.version, kind: .rename,
                            range: target.target, name: target.name, newName: suggestion.name)
                        var edit: WorkspaceEdit?
                        if !client.resolvesEdits {
                            // Eager: the same edit resolve would give, other files included; a name another file
                            // already uses is not offered.
                            guard
                                let files = try? renameAcrossFiles(
                                    target, in: tree, document: document, path: path, to: suggestion.name,
                                    renamer: renamer, workspace: scope, connection: connection)
                            else { continue }
                            edit = workspaceEdit(files: files, client)
                        }
                        actions.append(
                            CodeAction(
                                title: "Rename `\(target.name)` → `\(suggestion.name)`",
                                kind: CodeActionKind.refactorRewrite,
                                edit: edit, data: data.json, tags: tags))
                    }
                }
                if range.isEmpty, var suggester = try? ModelDeletionSuggester(engine: engine) {
                    suggester.contextTokens = min(settings.hole.contextTokens, suggester.contextTokens)
                    let started = ContinuousClock.now
                    let deletions = try suggester.suggest(
                        in: tree, path: path, at: range.lowerBound, cancellation: flag)
                    logger.debug("model deletions: \(deletions.map(\.title)) in \(ContinuousClock.now - started)")
                    for deletion in deletions.prefix(2) {
                        let data = ActionData(
                            uri: document.uri, version: document.version, kind: .delete,
                            range: deletion.range, title: deletion.title)
                        actions.append(
                            CodeAction(
                                title: deletion.title, kind: CodeActionKind.refactorRewrite,
                                edit: client.resolvesEdits ? nil : workspaceEdit([deletion.edit], document, client),
                                data: data.json, tags: tags))
                    }
                }
            }
            if !range.isEmpty {
                let data = ActionData(uri: document.uri, version: document.version, kind: .rewrite, range: range)
                var action = CodeAction(
                    title: "Regenerate the selection with the model",
                    kind: CodeActionKind.refactorRewrite, data: data.json, tags: tags)
                if !client.resolvesEdits {
                    // A client that cannot resolve gets the edit now; without one, the action is not offered.
                    let rewriter = SelectionRewriter(backend: service.backend, registry: registry, index: index)
                    let request = SelectionRewriteRequest(
                        path: path, languageID: document.languageID,
                        text: document.bytes, selection: range)
                    guard let edit = try? rewriter.rewrite(request, settings: settings, cancellation: flag) else {
                        return actions
                    }
                    action.edit = workspaceEdit([edit], document, client)
                }
                actions.append(action)
            }
            return actions
        }
    }

    // MARK: - codeAction/resolve

    func resolveCodeAction(_ action: CodeAction, reply: Reply) throws(ResponseError) {
        guard let data = ActionData(action.data) else {
            throw .invalidParams("the code action carries no dlsp data to resolve it from")
        }
        let document = try document(data.uri)
        guard document.version == data.version else {
            throw .contentModified(
                "\(data.uri) changed since the action was offered (version \(data.version), "
                    + "now \(document.version))")
        }
        guard data.end <= document.bytes.count else {
            throw .invalidParams("the action's range is outside the document")
        }
        let client = actionClient
        let path = relativePath(document.uri)
        let settings = configuration.completion
        let registry = syntax.registry, index = syntax.index
        let model = self.model
        let scope = workspaceSnapshot(excluding: document.uri)
        let kept = trees.snapshot(of: document)
        runOffQueue(
            document, reply: reply, what: "resolving the code action",
            alsoUnchanged: data.kind == .rename ? Array(scope.openByPath.values) : []
        ) {
            [connection] flag -> CodeAction in
            var files: [(TextDocument, [ByteRangeEdit])] = []
            switch data.kind {
            case .remove, .rename:
                guard let registry else { throw ResponseError.requestFailed("the grammars are not set up") }
                let renamer = Renamer(registry: registry)
                guard let language = renamer.language(languageID: document.languageID, path: path),
                    let tree = kept?.tree ?? (try? Parser(language: language))?.parse(document.bytes)
                else {
                    throw ResponseError.requestFailed("no grammar for \(document.languageID)")
                }
                if data.kind == .rename {
                    let target = try renamer.target(in: tree, at: data.start)
                    guard target.name == data.name, let newName = data.newName else {
                        throw ResponseError.contentModified("the identifier is no longer `\(data.name ?? "")`")
                    }
                    files = try renameAcrossFiles(
                        target, in: tree, document: document, path: path, to: newName,
                        renamer: renamer, workspace: scope, connection: connection)
                } else {
                    guard
                        let finding = RedundancyFinder(registry: registry).find(
                            in: tree, path: path, touching: data.range
                        )
                        .first(where: { $0.range == data.range && $0.title == data.title })
                    else {
                        throw ResponseError.requestFailed("“\(data.title ?? "")” no longer applies")
                    }
                    files = [(document, [finding.edit])]
                }
            case .delete:
                files = [(document, [ModelDeletionSuggester.deletion(of: data.range, in: document.bytes)])]
            case .rewrite:
                switch model.service(timeout: .now() + 30) {
                case .failure(let reason): throw ResponseError.requestFailed("the model is unavailable: \(reason)")
                case .success(let service):
                    let rewriter = SelectionRewriter(backend: service.backend, registry: registry, index: index)
                    files = [
                        (
                            document,
                            [
                                try rewriter.rewrite(
                                    SelectionRewriteRequest(
                                        path: path, languageID: document.languageID,
                                        text: document.bytes, selection: data.range),
                                    settings: settings, cancellation: flag)
                            ]
                        )
                    ]
                }
            }
            var resolved = action
            resolved.edit = workspaceEdit(files: files, client)
            return resolved
        }
    }

    // MARK: - textDocument/prepareRename and textDocument/rename

    func prepareRename(_ params: TextDocumentPositionParams, reply: Reply) throws(ResponseError) {
        let document = try document(params.textDocument.uri)
        let offset = try document.offset(of: params.position, encoding: encoding)
        let renamer = try renamer()
        let path = relativePath(document.uri)
        let encoding = self.encoding
        runOffQueue(document, reply: reply, what: "prepareRename") { _ -> PrepareRenameResult in
            let target = try renamer.target(in: document.bytes, languageID: document.languageID, path: path, at: offset)
            guard let start = document.lspPosition(ofOffset: target.target.lowerBound, encoding: encoding),
                let end = document.lspPosition(ofOffset: target.target.upperBound, encoding: encoding)
            else {
                throw ResponseError.internalError("the identifier's range is not a valid position")
            }
            return PrepareRenameResult(range: .init(start: start, end: end), placeholder: target.name)
        }
    }

    /// Renames in the document and, for a top-level symbol, in the other workspace files that import it.
    func rename(_ params: RenameParams, reply: Reply) throws(ResponseError) {
        let document = try document(params.textDocument.uri)
        let offset = try document.offset(of: params.position, encoding: encoding)
        let renamer = try renamer()
        let path = relativePath(document.uri)
        let client = actionClient
        let scope = workspaceSnapshot(excluding: document.uri)
        let kept = trees.snapshot(of: document)
        runOffQueue(document, reply: reply, what: "rename", alsoUnchanged: Array(scope.openByPath.values)) {
            [connection] _ -> WorkspaceEdit in
            guard let language = renamer.language(languageID: document.languageID, path: path),
                let tree = kept.flatMap({ $0.tree.language.id == language.id ? $0.tree : nil })
                    ?? (try? Parser(language: language))?.parse(document.bytes)
            else {
                throw RenameError.noGrammar(document.languageID)
            }
            let target = try renamer.target(in: tree, at: offset)
            let files = try renameAcrossFiles(
                target, in: tree, document: document, path: path, to: params.newName,
                renamer: renamer, workspace: scope, connection: connection)
            return workspaceEdit(files: files, client)
        }
    }

    /// The open documents (by workspace-relative path) and folders a rename across files reads, taken on the queue.
    func workspaceSnapshot(excluding uri: DocumentURI) -> WorkspaceSnapshot {
        WorkspaceSnapshot(
            openByPath: Dictionary(
                documents.values.filter { $0.uri != uri }.map { (relativePath($0.uri), $0) },
                uniquingKeysWith: { first, _ in first }),
            roots: workspaceFolders.compactMap { URL(string: $0.uri) }.filter(\.isFileURL), index: syntax.index)
    }

    struct WorkspaceSnapshot: Sendable {
        var openByPath: [String: TextDocument]
        var roots: [URL]
        var index: WorkspaceIndex?
    }

    private func renamer() throws(ResponseError) -> Renamer {
        guard let registry = syntax.registry else {
            throw .requestFailed(
                "renaming needs the grammars, which are not set up (\(syntax.unavailableReason ?? "unknown"))")
        }
        return Renamer(registry: registry)
    }

    // MARK: - Shared

    private func byteRange(_ range: LanguageServerProtocol.Range, in document: TextDocument) throws(ResponseError)
        -> Swift.Range<Int>
    {
        do {
            return try document.byteRange(of: ClosedRangeOfPositions(range), encoding: encoding)
        } catch {
            throw .invalidParams("\(document.uri): \(error)")
        }
    }

    /// Runs `body` off the message queue and answers once: `RequestCancelled` after `$/cancelRequest`,
    /// `ContentModified` when the document changed (or closed) while it ran, the result otherwise.
    private func runOffQueue<R: Encodable & Sendable>(
        _ document: TextDocument, reply: Reply, what: String, alsoUnchanged: [TextDocument] = [],
        _ body: @escaping @Sendable (CancellationFlag) throws -> R
    ) {
        let flag = CancellationFlag()
        inFlight[reply.id] = (reply, flag)
        answerOffQueue(reply, documents: [document] + alsoUnchanged, what: what) { () -> Result<R, ResponseError> in
            do {
                return .success(try body(flag))
            } catch let error as ResponseError {
                return .failure(error)
            } catch EngineError.cancelled {
                return .failure(.requestCancelled)
            } catch let error as RenameError {
                if case .invalidName = error { return .failure(.invalidParams(error.description)) }
                return .failure(.requestFailed(error.description))
            } catch let error as SelectionRewriteError {
                return .failure(.requestFailed(error.description))
            } catch {
                return .failure(.requestFailed("\(what) failed: \(error)"))
            }
        }
    }
}

/// The LSP edit for byte-range edits of one document version: versioned `documentChanges` when the client
/// supports them (so it refuses them for any other version), else `changes`.
private func workspaceEdit(
    _ edits: [ByteRangeEdit], _ document: TextDocument,
    _ client: LanguageServer.ActionClient
) -> WorkspaceEdit {
    workspaceEdit(files: [(document, edits)], client)
}

/// The same for several documents; a document with a negative version (read from disk, not open) gets an
/// unversioned entry.
private func workspaceEdit(
    files: [(TextDocument, [ByteRangeEdit])],
    _ client: LanguageServer.ActionClient
) -> WorkspaceEdit {
    let converted = files.map { document, edits in (document, lspEdits(edits, document, client)) }
    if client.versionedEdits {
        return WorkspaceEdit(
            documentChanges: converted.map { document, edits in
                TextDocumentEdit(
                    textDocument: .init(uri: document.uri, version: document.version < 0 ? nil : document.version),
                    edits: edits)
            })
    }
    return WorkspaceEdit(changes: Dictionary(converted.map { ($0.0.uri, $0.1) }, uniquingKeysWith: +))
}

private func lspEdits(
    _ edits: [ByteRangeEdit], _ document: TextDocument,
    _ client: LanguageServer.ActionClient
) -> [LanguageServerProtocol.TextEdit] {
    let textEdits = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }.compactMap {
        edit -> LanguageServerProtocol.TextEdit? in
        guard let start = document.lspPosition(ofOffset: edit.range.lowerBound, encoding: client.encoding),
            let end = document.lspPosition(ofOffset: edit.range.upperBound, encoding: client.encoding)
        else { return nil }
        return LanguageServerProtocol.TextEdit(range: .init(start: start, end: end), newText: edit.newText)
    }
    return textEdits
}

/// Other workspace files that spell a file-level symbol's name (empty for locals, or without an index).
private func otherFiles(mentioning target: RenameTarget, index: WorkspaceIndex?, path: String) -> [String] {
    guard target.mayBeUsedInOtherFiles, let index else { return [] }
    return index.paths(mentioning: target.name).filter { $0 != path }
}

/// The edits of a rename: the document's, and for a top-level symbol those of the other workspace files that import
/// it (open ones at their editor version; others as on disk, unversioned). Files that mention the name but are not
/// judged to mean this symbol are left alone, and the user is told which.
private func renameAcrossFiles(
    _ target: RenameTarget, in tree: SyntaxTree, document: TextDocument, path: String,
    to newName: String, renamer: Renamer, workspace: LanguageServer.WorkspaceSnapshot,
    connection: Connection
) throws -> [(TextDocument, [ByteRangeEdit])] {
    var files = [(document, try renamer.edits(renaming: target, to: newName, in: tree))]
    var leftAlone: [String] = []
    for other in otherFiles(mentioning: target, index: workspace.index, path: path) {
        let file: TextDocument
        if let open = workspace.openByPath[other] {
            file = open
        } else if let url = workspace.roots.map({ $0.appendingPathComponent(other) })
            .first(where: { FileManager.default.fileExists(atPath: $0.path) }),
            let data = FileManager.default.contents(atPath: url.path)
        {
            file = TextDocument(
                uri: url.absoluteString, languageID: "", version: -1,
                text: String(decoding: data, as: UTF8.self))
        } else {
            leftAlone.append(other)
            continue
        }
        if let edits = try renamer.edits(
            in: WorkspaceFile(path: other, text: file.bytes), renaming: target,
            definedIn: path, to: newName)
        {
            files.append((file, edits))
        } else {
            leftAlone.append(other)
        }
    }
    if !leftAlone.isEmpty {
        let listed = leftAlone.prefix(3).joined(separator: ", ") + (leftAlone.count > 3 ? ", …" : "")
        connection.notify(
            "window/showMessage",
            MessageParams(
                type: .warning,
                message: "dlsp renamed `\(target.name)` in \(files.count) file(s); "
                    + "\(leftAlone.count) other file(s) mention the name but were left alone "
                    + "(not imported from \(path)): \(listed)"))
    }
    return files
}
