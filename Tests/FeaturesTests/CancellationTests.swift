import Engine
import Foundation
import Synchronization
import TestSupport
import Testing
import Tokenizer
@testable import Features

/// Counts how often a context is built, around the plain-text provider.
final class CountingContext: InfillContextProvider {
    let built = Mutex(0)

    func prepare(
        request: CompletionRequest, holeStart: Int, settings: CompletionSettings, tokenizer: Tokenizer?,
        maskTokenID: Int?
    ) -> (InfillContext, HolePlan) {
        built.withLock { $0 += 1 }
        return PlainTextContext().prepare(
            request: request, holeStart: holeStart, settings: settings,
            tokenizer: tokenizer, maskTokenID: maskTokenID)
    }
}

@Suite("A cancelled request costs nothing")
struct CompletionCancellationTests {
    let marked = "total = ‸"

    /// In a burst of keystrokes most requests are superseded or cancelled before a worker takes them; they must
    /// stop before building their context, or the workers spend their time on answers nobody reads.
    @Test func cancelledBeforeItStartsBuildsNoContextAndFillsNothing() throws {
        let backend = ScriptedBackend(fills: [scored([("1", 0.97)])])
        let context = CountingContext()
        let flag = CancellationFlag()
        flag.cancel()
        #expect(throws: EngineError.cancelled) {
            try CompletionCheck.complete(marked, backend: backend, context: context, cancellation: flag)
        }
        #expect(context.built.withLock { $0 } == 0)
        #expect(backend.callCount == 0)
    }

    @Test func notCancelledBuildsItsContextOnce() throws {
        let backend = ScriptedBackend(fills: [scored([("1", 0.97)])])
        let context = CountingContext()
        let suggestions = try CompletionCheck.complete(marked, backend: backend, context: context)
        #expect(context.built.withLock { $0 } == 1)
        #expect(suggestions.map(\.text) == ["1"])
    }
}
