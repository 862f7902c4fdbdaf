import Foundation
import JSONRPC
import LanguageServerProtocol
import Synchronization

/// Work-done progress for long work (loading the model, indexing), shown only when the client supports it.
final class ProgressReporter: Sendable {
    private let connection: Connection
    private let token: ProgressToken
    private let enabled: Bool

    /// `$/progress` must wait until the client has accepted the token; an end that comes first is held back.
    private struct State {
        var accepted: Bool?
        var pendingEnd: String??
    }
    private let state = Mutex(State())

    private static let counter = Atomic<Int>(0)

    init(connection: Connection, enabled: Bool) {
        self.connection = connection
        self.enabled = enabled
        token = .string("dlsp-progress-\(Self.counter.add(1, ordering: .relaxed).newValue)")
    }

    func begin(title: String) {
        guard enabled else { return }
        connection.request("window/workDoneProgress/create", WorkDoneProgressCreateParams(token: token)) {
            [self] result in
            var accepted = false
            if case .success = result { accepted = true }
            // Sent under the lock: an `end` on another thread must not reach the client before this `begin`.
            state.withLock { state in
                state.accepted = accepted
                guard accepted else { return }
                connection.notify("$/progress", ProgressParams(token: token, value: .begin(title: title)))
                if let message = state.pendingEnd {
                    connection.notify("$/progress", ProgressParams(token: token, value: .end(message: message)))
                }
            }
        }
    }

    func end(_ message: String?) {
        guard enabled else { return }
        state.withLock { state in
            switch state.accepted {
            case nil: state.pendingEnd = .some(message)
            case true?: connection.notify("$/progress", ProgressParams(token: token, value: .end(message: message)))
            case false?: break
            }
        }
    }
}
