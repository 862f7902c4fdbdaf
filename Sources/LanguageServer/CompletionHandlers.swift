import Engine
import Features
import Foundation
import JSONRPC
import LanguageServerProtocol
import RemoteBackends
import SourceText

// Completion and inline completion: snapshot on the message queue, denoise on a worker, answer once.
extension LanguageServer {
    func completion(_ params: CompletionParams, reply: Reply) throws(ResponseError) {
        guard configuration.completionEnabled else {
            reply.succeed(CompletionList(isIncomplete: false, items: []))
            return
        }
        let snapshot = try snapshot(params.textDocument.uri, params.position)
        let supportsInsertReplace = capabilities?.textDocument?.completion?.completionItem?.insertReplaceSupport == true
        // Unsure suggestions are held back only when the client says the request comes from typing (a trigger
        // character, or typing on into an incomplete list); asked for with a key (Invoked), or with no context to
        // tell, they are shown too, marked as such in the item's detail. A menu entry the user may ignore costs
        // less than ghost text, which is why inline completions hold them back whenever not invoked.
        let invoked = params.context.map { $0.triggerKind == 1 } ?? true
        runCompletion(snapshot, count: 1, invoked: invoked, reply: reply) { [encoding] suggestions, document in
            let items = suggestions.compactMap { suggestion -> CompletionItem? in
                guard let start = document.lspPosition(ofOffset: suggestion.replaceStart, encoding: encoding),
                    let cursor = document.lspPosition(ofOffset: snapshot.cursor, encoding: encoding)
                else { return nil }
                let edit: CompletionTextEdit
                let insert = LanguageServerProtocol.Range(start: start, end: cursor)
                if supportsInsertReplace {
                    let wordEnd = document.lspPosition(ofOffset: snapshot.identifierEnd, encoding: encoding) ?? cursor
                    edit = .insertReplace(
                        .init(
                            newText: suggestion.text, insert: insert,
                            replace: .init(start: start, end: wordEnd)))
                } else {
                    edit = .textEdit(.init(range: insert, newText: suggestion.text))
                }
                let firstLine = suggestion.text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
                return CompletionItem(
                    label: String(firstLine.trimmingCharacters(in: .whitespaces).prefix(80)),
                    kind: 1,
                    detail: Self.detail(suggestion),
                    documentation: suggestion.text.contains("\n") ? suggestion.text : nil,
                    sortText: "0000", filterText: suggestion.text, preselect: true, textEdit: edit)
            }
            return CompletionList(isIncomplete: true, items: items)
        }
    }

    func inlineCompletion(_ params: InlineCompletionParams, reply: Reply) throws(ResponseError) {
        guard configuration.inlineCompletionEnabled else {
            reply.succeed(InlineCompletionList(items: []))
            return
        }
        let snapshot = try snapshot(params.textDocument.uri, params.position)
        // Invoked explicitly: several distinct items; triggered automatically: one.
        let invoked = params.context?.triggerKind == 1
        let count = invoked ? configuration.inlineCount : 1
        runCompletion(snapshot, count: count, invoked: invoked, reply: reply) { [encoding] suggestions, document in
            InlineCompletionList(
                items: suggestions.compactMap { suggestion in
                    guard let start = document.lspPosition(ofOffset: suggestion.replaceStart, encoding: encoding),
                        let cursor = document.lspPosition(ofOffset: snapshot.cursor, encoding: encoding)
                    else { return nil }
                    return InlineCompletionItem(
                        insertText: suggestion.text, filterText: nil,
                        range: .init(start: start, end: cursor))
                })
        }
    }

    /// The completion item's detail: where the suggestion came from, its time and the model's confidence, and
    /// "unsure" when it is below the as-you-type floor and shown only because the user asked; for a suggestion
    /// snapped to a line of the file, what the model wrote; for a line the file repeats or one the line ranker chose,
    /// which line.
    static func detail(_ suggestion: Suggestion) -> String {
        if suggestion.fromTypeAheadCache { return "dlsp · continued" }
        var parts = [String(format: "dlsp · %.0f ms", suggestion.milliseconds)]
        if let confidence = suggestion.confidence { parts.append(String(format: "confidence %.2f", confidence)) }
        if suggestion.isUnsure { parts.append("unsure") }
        if let draft = suggestion.snappedFrom { parts.append("a line of the file; the model wrote \(draft)") }
        if let repeated = suggestion.repeatedLine {
            parts.append(
                "repeats line \(repeated.line + 1)\(repeated.path.map { " of \($0)" } ?? ""), "
                    + "found among the same lines as around the cursor"
            )
        }
        if let ranked = suggestion.rankedLine {
            parts.append(
                "line \(ranked.line + 1)\(ranked.path.map { " of \($0)" } ?? ""), "
                    + "whose surroundings look like the cursor's; the confidence is the ranker's"
            )
        }
        return parts.joined(separator: " · ")
    }

    struct Snapshot: Sendable {
        var document: TextDocument
        var cursor: Int
        var identifierEnd: Int
        var path: String
    }

    private func snapshot(_ uri: DocumentURI, _ position: Position) throws(ResponseError) -> Snapshot {
        let document = try document(uri)
        let cursor = try document.offset(of: position, encoding: encoding)
        var end = cursor
        while end < document.bytes.count, isIdentifierByte(document.bytes[end]) { end += 1 }
        return Snapshot(document: document, cursor: cursor, identifierEnd: end, path: relativePath(uri))
    }

    /// The document's path relative to the workspace folder that holds it (what the model sees in headers).
    func relativePath(_ uri: DocumentURI) -> String {
        let path = URL(string: uri)?.path ?? uri
        for folder in workspaceFolders {
            let root = (URL(string: folder.uri)?.path ?? folder.uri)
            let prefix = root.hasSuffix("/") ? root : root + "/"
            if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        }
        return URL(fileURLWithPath: path).lastPathComponent
    }

    /// Runs a completion off the message queue. A newer completion for the same document supersedes this one
    /// (answered with an empty, incomplete list); `$/cancelRequest` stops the denoising between steps; a result
    /// for a document that changed meanwhile is answered `ContentModified`.
    private func runCompletion<R: Encodable & Sendable>(
        _ snapshot: Snapshot, count: Int, invoked: Bool, reply: Reply,
        render: @escaping @Sendable ([Suggestion], TextDocument) -> R
    ) {
        let uri = snapshot.document.uri
        let flag = CancellationFlag()
        if let older = latestCompletion[uri], let request = inFlight[older] {
            request.flag.cancel()
            request.reply.finish(
                Result<CompletionList, ResponseError>.success(CompletionList(isIncomplete: true, items: [])))
        }
        latestCompletion[uri] = reply.id
        inFlight[reply.id] = (reply, flag)
        let settings = configuration.completion
        let contextProvider = syntax.contextProvider
        let request = CompletionRequest(
            uri: uri, path: snapshot.path, languageID: snapshot.document.languageID,
            text: snapshot.document.bytes, cursor: snapshot.cursor, count: count,
            invoked: invoked, tree: trees.snapshot(of: snapshot.document))
        answerOffQueue(
            reply, documents: [snapshot.document], what: "the completion",
            finished: { [self] in
                if latestCompletion[uri] == reply.id { latestCompletion.removeValue(forKey: uri) }
            }
        ) { [self] in
            // Indexing the workspace pauses meanwhile: the user waits for this, not for the index.
            syntax.foregroundWork {
                complete(
                    request, contextProvider: contextProvider, settings: settings, flag: flag, render: render,
                    document: snapshot.document)
            }
        }
    }

    /// The completion itself, on a worker thread: waits for the model (30 s at most), fills, renders.
    private func complete<R: Encodable & Sendable>(
        _ request: CompletionRequest, contextProvider: any InfillContextProvider, settings: CompletionSettings,
        flag: CancellationFlag, render: @Sendable ([Suggestion], TextDocument) -> R, document: TextDocument
    ) -> Result<R, ResponseError> {
        switch model.service(timeout: .now() + 30) {
        case .failure(let reason):
            return .failure(.requestFailed("completion unavailable: \(reason)"))
        case .success(let service):
            do {
                let suggestions = try service.complete(
                    request, context: contextProvider, settings: settings,
                    cancellation: flag)
                if let s = service.backend.contextReuseStatistics {
                    logger.debug(
                        """
                        completion: \(suggestions.count) suggestions; \
                        context reuse so far: \(s.reusedFills) of \(s.fills) fills, \(s.reusedPositions) positions
                        """
                    )
                }
                return .success(render(suggestions, document))
            } catch EngineError.cancelled {
                return .failure(.requestCancelled)
            } catch {
                return .failure(.requestFailed("completion failed: \(error)"))
            }
        }
    }
}
