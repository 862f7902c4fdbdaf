import Features
import JSONRPC
import SourceText

// Requests whose work runs off the message queue (completions, code actions, rename) answer through one helper,
// so the rules for a document that changed meanwhile live in one place.
extension LanguageServer {
    /// Runs `body` on a worker thread and answers `reply` once, from the message queue: `ContentModified` when
    /// `body` succeeded but one of `documents` changed or closed meanwhile (its result would describe text the user
    /// no longer has), `body`'s result otherwise. `finished` runs on the message queue just before the answer
    /// (bookkeeping, such as forgetting the request as the document's latest).
    func answerOffQueue<R: Encodable & Sendable>(
        _ reply: Reply, documents snapshot: [TextDocument], what: String,
        finished: @escaping @Sendable () -> Void = {},
        _ body: @escaping @Sendable () -> Result<R, ResponseError>
    ) {
        work.async { [self] in
            let result = body()
            queue.async { [self] in
                finished()
                let changed = snapshot.contains { documents[$0.uri]?.version != $0.version }
                if case .success = result, changed, let first = snapshot.first {
                    reply.finish(
                        Result<R, ResponseError>.failure(
                            .contentModified("\(first.uri) changed while computing \(what)")))
                } else {
                    reply.finish(result)
                }
            }
        }
    }
}
