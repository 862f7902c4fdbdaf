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

        init(uri: DocumentURI, version: Int, kind: Kind, range: Swift.Range<Int>, name: String? = nil,
             newName: String? = nil, title: String? = nil) {
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
        if case .array(let names)? = properties { resolvesEdit = names.contains(.string("edit")) } else { resolvesEdit = false }
        var tagged = false
        if case .array(let values)? = codeAction?.tagSupport?["valueSet"] {
            tagged = values.contains(.number(Double(CodeActionTag.llmGenerated)))
        }
        return ActionClient(encoding: encoding, resolvesEdits: resolvesEdit && codeAction?.dataSupport == true,
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
        runOffQueue(document, reply: reply, what: "code actions") { flag -> [CodeAction] in
            var actions: [CodeAction] = []
            let tree = registry.flatMap { registry in
                Renamer(registry: registry).language(languageID: document.languageID, path: path)
                    .flatMap { try? Parser(language: $0) }?.parse(document.bytes)
            }
            if let registry, let tree, CodeActionKind.matches(CodeActionKind.quickFix, only: only) {
                for finding in RedundancyFinder(registry: registry).find(in: tree, path: path, touching: range) {
                    let data = ActionData(uri: document.uri, version: document.version, kind: .remove,
                                          range: finding.range, title: finding.title)
                    actions.append(CodeAction(
                        title: finding.title, kind: CodeActionKind.quickFix,
                        edit: client.resolvesEdits ? nil : workspaceEdit([finding.edit], document, client),
                        data: data.json))
                }
            }
            // The identifier the range lies on, if any: rename suggestions are for it.
            let renamer = registry.map(Renamer.init)
            let renameTarget = tree.flatMap { tree in (try? renamer?.target(in: tree, at: range.lowerBound)) ?? nil }
                .flatMap { $0.target.lowerBound <= range.lowerBound && range.upperBound <= $0.target.upperBound ? $0 : nil }
            guard invoked, CodeActionKind.matches(CodeActionKind.refactorRewrite, only: only),
                  renameTarget != nil || !range.isEmpty,
                  case .success(let service) = model.service(timeout: .now() + 10) else { return actions }
            let tags = client.showsLLMTag ? [CodeActionTag.llmGenerated] : nil
            if let renamer, let tree, let engine = (service.backend as? EmbeddedBackend)?.engine {
                if let target = renameTarget {
                    let started = ContinuousClock.now
                    var suggestionSettings = RenameSuggestionSettings()
                    suggestionSettings.contextTokens = min(settings.contextTokens, suggestionSettings.contextTokens)
                    let suggestions = try RenameSuggester(engine: engine, renamer: renamer)
                        .suggest(for: target, in: tree, path: path, settings: suggestionSettings, cancellation: flag)
                    logger.debug("rename suggestions for \(target.name): \(suggestions.map(\.name)) in \(ContinuousClock.now - started)")
                    // Only this document is renamed: say so when other files spell the name.
                    let scopeNote = otherFiles(mentioning: target, index: index, path: path).isEmpty
                        ? "" : " (this file only)"
                    for suggestion in suggestions {
                        let data = ActionData(uri: document.uri, version: document.version, kind: .rename,
                                              range: target.target, name: target.name, newName: suggestion.name)
                        actions.append(CodeAction(
                            title: "Rename `\(target.name)` → `\(suggestion.name)`\(scopeNote)",
                            kind: CodeActionKind.refactorRewrite,
                            edit: client.resolvesEdits ? nil : workspaceEdit(suggestion.edits, document, client),
                            data: data.json, tags: tags))
                    }
                }
            }
            if !range.isEmpty {
                let data = ActionData(uri: document.uri, version: document.version, kind: .rewrite, range: range)
                var action = CodeAction(title: "Regenerate the selection with the model",
                                        kind: CodeActionKind.refactorRewrite, data: data.json, tags: tags)
                if !client.resolvesEdits {
                    // A client that cannot resolve gets the edit now; without one, the action is not offered.
                    let rewriter = SelectionRewriter(backend: service.backend, registry: registry, index: index)
                    let request = SelectionRewriteRequest(path: path, languageID: document.languageID,
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
            throw .contentModified("\(data.uri) changed since the action was offered (version \(data.version), "
                                   + "now \(document.version))")
        }
        guard data.end <= document.bytes.count else { throw .invalidParams("the action's range is outside the document") }
        let client = actionClient
        let path = relativePath(document.uri)
        let settings = configuration.completion
        let registry = syntax.registry, index = syntax.index
        let model = self.model
        runOffQueue(document, reply: reply, what: "resolving the code action") { flag -> CodeAction in
            let edits: [ByteRangeEdit]
            switch data.kind {
            case .remove, .rename:
                guard let registry else { throw ResponseError.requestFailed("the grammars are not set up") }
                let renamer = Renamer(registry: registry)
                guard let language = renamer.language(languageID: document.languageID, path: path),
                      let tree = (try? Parser(language: language))?.parse(document.bytes) else {
                    throw ResponseError.requestFailed("no grammar for \(document.languageID)")
                }
                if data.kind == .rename {
                    let target = try renamer.target(in: tree, at: data.start)
                    guard target.name == data.name, let newName = data.newName else {
                        throw ResponseError.contentModified("the identifier is no longer `\(data.name ?? "")`")
                    }
                    edits = try renamer.edits(renaming: target, to: newName, in: tree)
                } else {
                    guard let finding = RedundancyFinder(registry: registry).find(in: tree, path: path, touching: data.range)
                        .first(where: { $0.range == data.range && $0.title == data.title }) else {
                        throw ResponseError.requestFailed("“\(data.title ?? "")” no longer applies")
                    }
                    edits = [finding.edit]
                }
            case .rewrite:
                switch model.service(timeout: .now() + 30) {
                case .failure(let reason): throw ResponseError.requestFailed("the model is unavailable: \(reason)")
                case .success(let service):
                    let rewriter = SelectionRewriter(backend: service.backend, registry: registry, index: index)
                    edits = [try rewriter.rewrite(SelectionRewriteRequest(path: path, languageID: document.languageID,
                                                                          text: document.bytes, selection: data.range),
                                                  settings: settings, cancellation: flag)]
                }
            }
            var resolved = action
            resolved.edit = workspaceEdit(edits, document, client)
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
                  let end = document.lspPosition(ofOffset: target.target.upperBound, encoding: encoding) else {
                throw ResponseError.internalError("the identifier's range is not a valid position")
            }
            return PrepareRenameResult(range: .init(start: start, end: end), placeholder: target.name)
        }
    }

    func rename(_ params: RenameParams, reply: Reply) throws(ResponseError) {
        let document = try document(params.textDocument.uri)
        let offset = try document.offset(of: params.position, encoding: encoding)
        let renamer = try renamer()
        let path = relativePath(document.uri)
        let client = actionClient
        let index = syntax.index
        runOffQueue(document, reply: reply, what: "rename") { [connection] _ -> WorkspaceEdit in
            guard let language = renamer.language(languageID: document.languageID, path: path),
                  let tree = (try? Parser(language: language))?.parse(document.bytes) else {
                throw RenameError.noGrammar(document.languageID)
            }
            let target = try renamer.target(in: tree, at: offset)
            let edit = workspaceEdit(try renamer.edits(renaming: target, to: params.newName, in: tree), document, client)
            let elsewhere = otherFiles(mentioning: target, index: index, path: path)
            if !elsewhere.isEmpty {
                // Renaming across files is not done; the user is told where else the name appears.
                let listed = elsewhere.prefix(3).joined(separator: ", ") + (elsewhere.count > 3 ? ", …" : "")
                connection.notify("window/showMessage", MessageParams(
                    type: .warning, message: "dlsp renamed `\(target.name)` in this file only; "
                        + "\(elsewhere.count) other file(s) mention it: \(listed)"))
            }
            return edit
        }
    }

    private func renamer() throws(ResponseError) -> Renamer {
        guard let registry = syntax.registry else {
            throw .requestFailed("renaming needs the grammars, which are not set up (\(syntax.unavailableReason ?? "unknown"))")
        }
        return Renamer(registry: registry)
    }

    // MARK: - Shared

    private func byteRange(_ range: LanguageServerProtocol.Range, in document: TextDocument) throws(ResponseError)
        -> Swift.Range<Int> {
        do {
            return try document.byteRange(of: ClosedRangeOfPositions(range), encoding: encoding)
        } catch {
            throw .invalidParams("\(document.uri): \(error)")
        }
    }

    /// Runs `body` off the message queue and answers once: `RequestCancelled` after `$/cancelRequest`,
    /// `ContentModified` when the document changed (or closed) while it ran, the result otherwise.
    private func runOffQueue<R: Encodable & Sendable>(
        _ document: TextDocument, reply: Reply, what: String,
        _ body: @escaping @Sendable (CancellationFlag) throws -> R
    ) {
        let flag = CancellationFlag()
        inFlight[reply.id] = (reply, flag)
        let uri = document.uri
        work.async { [self] in
            let result: Result<R, ResponseError>
            do {
                result = .success(try body(flag))
            } catch let error as ResponseError {
                result = .failure(error)
            } catch EngineError.cancelled {
                result = .failure(.requestCancelled)
            } catch let error as RenameError {
                if case .invalidName = error { result = .failure(.invalidParams(error.description)) }
                else { result = .failure(.requestFailed(error.description)) }
            } catch let error as SelectionRewriteError {
                result = .failure(.requestFailed(error.description))
            } catch {
                result = .failure(.requestFailed("\(what) failed: \(error)"))
            }
            queue.async { [self] in
                if case .success = result, documents[uri]?.version != document.version {
                    reply.finish(Result<R, ResponseError>.failure(
                        .contentModified("\(uri) changed while computing \(what)")))
                } else {
                    reply.finish(result)
                }
            }
        }
    }
}

/// The LSP edit for byte-range edits of one document version: versioned `documentChanges` when the client
/// supports them (so it refuses them for any other version), else `changes`.
private func workspaceEdit(_ edits: [ByteRangeEdit], _ document: TextDocument,
                           _ client: LanguageServer.ActionClient) -> WorkspaceEdit {
    let textEdits = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }.compactMap { edit -> LanguageServerProtocol.TextEdit? in
        guard let start = document.lspPosition(ofOffset: edit.range.lowerBound, encoding: client.encoding),
              let end = document.lspPosition(ofOffset: edit.range.upperBound, encoding: client.encoding) else { return nil }
        return LanguageServerProtocol.TextEdit(range: .init(start: start, end: end), newText: edit.newText)
    }
    if client.versionedEdits {
        return WorkspaceEdit(documentChanges: [TextDocumentEdit(
            textDocument: .init(uri: document.uri, version: document.version), edits: textEdits)])
    }
    return WorkspaceEdit(changes: [document.uri: textEdits])
}

/// Other workspace files that spell a file-level symbol's name (empty for locals, or without an index).
private func otherFiles(mentioning target: RenameTarget, index: WorkspaceIndex?, path: String) -> [String] {
    guard target.mayBeUsedInOtherFiles, let index else { return [] }
    return index.paths(mentioning: target.name).filter { $0 != path }
}
