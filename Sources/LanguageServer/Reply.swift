import Foundation
import JSONRPC
import Synchronization
import Features

/// The one answer a request gets. Every request dlsp receives is answered exactly once: a second answer is a bug
/// (asserted in debug builds, dropped in release), and a reply dropped without an answer sends an internal error
/// rather than leaving the client waiting forever.
final class Reply: Sendable {
    let id: RequestID
    let method: String
    private let connection: Connection
    private let answered = Mutex(false)
    private let onAnswer: @Sendable () -> Void

    init(id: RequestID, method: String, connection: Connection, onAnswer: @escaping @Sendable () -> Void = {}) {
        self.id = id
        self.method = method
        self.connection = connection
        self.onAnswer = onAnswer
    }

    /// Whether an answer has been sent (the request may have been cancelled meanwhile).
    var isAnswered: Bool { answered.withLock { $0 } }

    func succeed<R: Encodable>(_ result: R) {
        do {
            let body = try MessageEncoder.response(id: id, result: result)
            send(body, duplicateIsBug: true)
        } catch {
            fail(.internalError("could not encode the result of \(method): \(error)"))
        }
    }

    func fail(_ error: ResponseError) {
        send(MessageEncoder.response(id: id, error: error), duplicateIsBug: true)
    }

    /// Answers with `RequestCancelled` unless an answer already went out; the late real answer is then dropped.
    func cancel() {
        send(MessageEncoder.response(id: id, error: .requestCancelled), duplicateIsBug: false)
    }

    /// Sends the answer produced after a cancellation could have raced it: dropped if the request was cancelled.
    func finish(_ result: Result<some Encodable, ResponseError>) {
        let alreadyAnswered = answered.withLock { $0 }
        if alreadyAnswered { return }
        switch result {
        case .success(let value): succeedIfUnanswered(value)
        case .failure(let error): send(MessageEncoder.response(id: id, error: error), duplicateIsBug: false)
        }
    }

    private func succeedIfUnanswered<R: Encodable>(_ result: R) {
        guard let body = try? MessageEncoder.response(id: id, result: result) else {
            send(
                MessageEncoder.response(id: id, error: .internalError("could not encode the result of \(method)")),
                duplicateIsBug: false)
            return
        }
        send(body, duplicateIsBug: false)
    }

    private func send(_ body: Data, duplicateIsBug: Bool) {
        let first = answered.withLock { answered in
            defer { answered = true }
            return !answered
        }
        guard first else {
            assert(!duplicateIsBug, "request \(id) (\(method)) answered twice")
            return
        }
        connection.send(body)
        onAnswer()
    }

    deinit {
        let wasAnswered = answered.withLock { $0 }
        if !wasAnswered {
            assertionFailure("request \(id) (\(method)) was never answered")
            connection.send(MessageEncoder.response(id: id, error: .internalError("\(method) produced no answer")))
        }
    }
}
