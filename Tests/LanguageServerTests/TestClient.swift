import Foundation
import JSONRPC
import LanguageServer
import LanguageServerProtocol
import Logging
import SourceText
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Drives a real ``LanguageServer`` in-process over two pipes, with typed requests, raw bytes for bad-input tests,
/// and a record of everything the server sent that was not a response to a typed request.
final class TestClient: Sendable {
    private let client: Connection
    private let toServer: Int32
    private let received = Mutex(Received())
    private let exitCodes = Mutex<[Int32]>([])

    init() {
        var clientToServer: [Int32] = [0, 0]
        var serverToClient: [Int32] = [0, 0]
        precondition(pipe(&clientToServer) == 0 && pipe(&serverToClient) == 0)
        toServer = clientToServer[1]
        let serverConnection = Connection(
            inputFD: clientToServer[0], outputFD: serverToClient[1],
            maximumBodySize: 1 << 20)
        client = Connection(inputFD: serverToClient[0], outputFD: clientToServer[1])
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let server = LanguageServer(connection: serverConnection, logger: logger) { [self] code in
            self.exitCodes.withLock { $0.append(code) }
        }
        server.start()
        client.start { [self] incoming in
            self.record(incoming)
            // Accept the server's requests (progress tokens, edits) as an editor would.
            if case .message(.request(let id, _, _)) = incoming {
                if let body = try? MessageEncoder.response(id: id, result: JSONValue.null) { self.client.send(body) }
            }
        }
    }

    /// Closes the client's end of the input, as an editor that dies would.
    func closeInput() { close(toServer) }

    var exitCode: Int32? { exitCodes.withLock { $0.first } }

    func request<P: Encodable, R: Decodable & Sendable>(
        _ method: String, _ params: P,
        as type: R.Type = R.self
    ) async throws -> R {
        let raw = try await rawRequest(method, params)
        return try raw.result(as: R.self)
    }

    /// Sends a request and returns the error it must fail with.
    func requestError<P: Encodable>(_ method: String, _ params: P) async throws -> ResponseError {
        do {
            _ = try await rawRequest(method, params)
        } catch let error as ResponseError {
            return error
        }
        throw ResponseError.internalError("\(method) succeeded but was expected to fail")
    }

    private func rawRequest<P: Encodable>(_ method: String, _ params: P) async throws -> RawJSON {
        // Every request times out, so a server that fails to answer fails the test instead of hanging it.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RawJSON, any Error>) in
            let resumed = Atomic<Bool>(false)
            let resume: @Sendable (Result<RawJSON, any Error>) -> Void = { result in
                if !resumed.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume(with: result) }
            }
            client.request(method, params) { result in resume(result.mapError { $0 }) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 30) {
                resume(.failure(ResponseError.internalError("\(method): no answer within 30 s")))
            }
        }
    }

    func notify<P: Encodable>(_ method: String, _ params: P) { client.notify(method, params) }

    /// Writes bytes as they are, framing included.
    func sendRaw(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = write(toServer, $0.baseAddress, $0.count) }
    }

    /// Frames a body correctly and sends it.
    func sendRawBody(_ body: String) {
        sendRaw(Array("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
    }

    /// Everything the server sent, and the waiters for what it has not sent yet.
    private struct Received {
        var messages: [Connection.Incoming] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private struct Waiter {
        let predicate: @Sendable (Connection.Incoming) -> Bool
        let continuation: CheckedContinuation<Connection.Incoming, any Error>
    }

    /// Records a message and wakes the waiters it matches: a wait ends when the message arrives, not on a poll.
    private func record(_ incoming: Connection.Incoming) {
        let woken = received.withLock { received -> [Waiter] in
            received.messages.append(incoming)
            let matching = received.waiters.filter { $0.value.predicate(incoming) }
            for id in matching.keys { received.waiters[id] = nil }
            return Array(matching.values)
        }
        for waiter in woken { waiter.continuation.resume(returning: incoming) }
    }

    /// Waits until the server has sent something matching `predicate` (responses to raw requests, notifications),
    /// returning the first such message, sent before the call or after it. `timeout` only guards against a server
    /// that never sends it, so the test fails instead of hanging.
    func waitFor(timeout: Duration = .seconds(10), _ predicate: @escaping @Sendable (Connection.Incoming) -> Bool)
        async throws -> Connection.Incoming
    {
        try await withCheckedThrowingContinuation { continuation in
            // Whoever removes the waiter (a matching message or the timeout) is the one that resumes it.
            let id = received.withLock { received -> Int? in
                if let found = received.messages.first(where: predicate) {
                    continuation.resume(returning: found)
                    return nil
                }
                let id = received.nextWaiter
                received.nextWaiter += 1
                received.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                return id
            }
            guard let id else { return }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                let waiter = received.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.continuation.resume(
                    throwing: ResponseError.internalError("timed out waiting for a message from the server"))
            }
        }
    }

    /// Waits for a notification `method` whose parameters satisfy `predicate`, and returns those parameters.
    func waitForNotification<P: Decodable & Sendable>(
        _ method: String, as type: P.Type,
        timeout: Duration = .seconds(10),
        where predicate: @escaping @Sendable (P) -> Bool
    )
        async throws -> P
    {
        let message = try await waitFor(timeout: timeout) {
            guard case .message(.notification(method, let body)) = $0,
                let params = try? body.params(as: P.self)
            else { return false }
            return predicate(params)
        }
        guard case .message(.notification(_, let body)) = message else { preconditionFailure() }
        return try body.params(as: P.self)
    }

    /// Waits for the response to a raw request with id `id`.
    func waitForResponse(id: RequestID?) async throws -> Result<RawJSON, ResponseError> {
        let message = try await waitFor {
            if case .message(.response(let responseID, _)) = $0 { return responseID == id }
            return false
        }
        guard case .message(.response(_, let result)) = message else { preconditionFailure() }
        return result
    }

    func notifications(_ method: String) -> [RawJSON] {
        received.withLock { received in
            received.messages.compactMap {
                if case .message(.notification(method, let body)) = $0 { return body }
                return nil
            }
        }
    }

    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = exitCode { return code }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw ResponseError.internalError("server did not exit")
    }

    // MARK: - Conveniences

    @discardableResult
    func initialize(encodings: [String]? = ["utf-16"], workDoneProgress: Bool = false) async throws -> JSONValue {
        let params: JSONValue = .object([
            "processId": .null,
            "capabilities": .object([
                "general": .object(["positionEncodings": encodings.map { .array($0.map(JSONValue.string)) } ?? .null]),
                "window": .object(["workDoneProgress": .bool(workDoneProgress)]),
            ]),
            "workspaceFolders": .array([.object(["uri": .string("file:///workspace"), "name": .string("workspace")])]),
        ])
        let result: JSONValue = try await request("initialize", params)
        notify("initialized", Empty())
        return result
    }

    func open(_ uri: String, _ text: String, language: String = "swift", version: Int = 1) {
        notify(
            "textDocument/didOpen",
            JSONValue.object([
                "textDocument": .object([
                    "uri": .string(uri), "languageId": .string(language), "version": .number(Double(version)),
                    "text": .string(text),
                ])
            ]))
    }

    func state(_ uri: String) async throws -> (version: Int, text: String) {
        let result: JSONValue = try await request(
            "dlsp/documentState",
            JSONValue.object(["textDocument": .object(["uri": .string(uri)])]))
        return (Int(result["version"]?.numberValue ?? -1), result["text"]?.stringValue ?? "")
    }
}
