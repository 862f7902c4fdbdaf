import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON-RPC connection over two file descriptors: a reader thread that frames and parses incoming messages, and a
/// locked writer. It matches responses to the requests this side sent; everything else goes to the handler.
///
/// The handler is called on the reader thread, one message at a time, in arrival order. It must return quickly
/// (queue work elsewhere) so the connection keeps reading — that is what lets `$/cancelRequest` overtake a long
/// request.
public final class Connection: Sendable {
    /// What the reader delivers to the handler.
    public enum Incoming: Sendable {
        case message(Message)
        /// A message that could not be used; the connection has already answered it if it was a request.
        case invalid(ResponseError)
        /// The body was not valid UTF-8 and was repaired; the message itself follows as `.message`.
        case repairedInvalidUTF8
        /// A framing problem; the stream was resynchronised.
        case framingError(FramingError)
        /// The input reached end of file.
        case closed
    }

    private let inputFD: Int32
    private let outputFD: Int32
    private let writeLock = Mutex<Void>(())
    private let state = Mutex(State())
    private let maximumBodySize: Int

    private struct State {
        var nextRequestID = 1
        var pending: [RequestID: @Sendable (Result<RawJSON, ResponseError>) -> Void] = [:]
        var closed = false
    }

    public init(inputFD: Int32, outputFD: Int32, maximumBodySize: Int = 64 << 20) {
        self.inputFD = inputFD
        self.outputFD = outputFD
        self.maximumBodySize = maximumBodySize
    }

    /// Starts the reader thread. `handler` gets every incoming message that is not a response to our own request.
    public func start(handler: @escaping @Sendable (Incoming) -> Void) {
        let thread = Thread { [self] in
            self.readLoop(handler: handler)
        }
        thread.name = "dlsp.jsonrpc.reader"
        thread.start()
    }

    private func readLoop(handler: @Sendable (Incoming) -> Void) {
        var framer = MessageFramer(maximumBodySize: maximumBodySize)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(inputFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                break
            }
            if count == 0 { break }
            framer.append(chunk[0..<count])
            while let event = framer.next() {
                switch event {
                case .message(let body):
                    dispatch(body, handler: handler)
                case .error(let error):
                    handler(.framingError(error))
                    if case .bodyTooLarge = error {
                        // The id is unknown (the body is never read), so the answer carries id null.
                        send(MessageEncoder.response(id: nil, error: .invalidRequest(error.description)))
                    }
                }
            }
        }
        failPendingRequests()
        handler(.closed)
    }

    private func dispatch(_ body: [UInt8], handler: @Sendable (Incoming) -> Void) {
        switch Message.parse(body) {
        case .invalid(let id, let error):
            send(MessageEncoder.response(id: id, error: error))
            handler(.invalid(error))
        case .message(let message, let repaired):
            if repaired { handler(.repairedInvalidUTF8) }
            if case .response(let id?, let result) = message {
                let callback = state.withLock { $0.pending.removeValue(forKey: id) }
                if let callback {
                    callback(result)
                    return
                }
            }
            handler(.message(message))
        }
    }

    private func failPendingRequests() {
        let callbacks = state.withLock { state in
            state.closed = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for callback in callbacks { callback(.failure(.requestFailed("connection closed"))) }
    }

    /// Writes one framed message. Safe from any thread; messages never interleave.
    public func send(_ body: Data) {
        var framed = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        framed.append(body)
        writeLock.withLock { _ in
            framed.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(outputFD, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return  // The peer is gone; the reader will see end of file.
                    }
                    offset += written
                }
            }
        }
    }

    /// Sends a notification.
    public func notify<P: Encodable>(_ method: String, _ params: P) {
        guard let body = try? MessageEncoder.notification(method: method, params: params) else { return }
        send(body)
    }

    /// Sends a request to the peer; `completion` gets its result (or an error when the connection closes first).
    public func request<P: Encodable>(
        _ method: String, _ params: P,
        completion: @escaping @Sendable (Result<RawJSON, ResponseError>) -> Void
    ) {
        let id: RequestID? = state.withLock { state in
            guard !state.closed else { return nil }
            let id = RequestID.string("dlsp-\(state.nextRequestID)")
            state.nextRequestID += 1
            state.pending[id] = completion
            return id
        }
        guard let id else {
            completion(.failure(.requestFailed("connection closed")))
            return
        }
        do {
            send(try MessageEncoder.request(id: id, method: method, params: params))
        } catch {
            let callback = state.withLock { $0.pending.removeValue(forKey: id) }
            callback?(.failure(.internalError("could not encode \(method): \(error)")))
        }
    }
}
