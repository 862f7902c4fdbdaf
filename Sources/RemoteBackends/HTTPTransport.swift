import Engine
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Synchronization

/// One HTTP exchange, as plain values.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// The whole exchange must finish within this long.
    public var timeout: Duration

    public init(
        method: String = "POST", url: URL, headers: [String: String] = [:], body: Data? = nil,
        timeout: Duration
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A server's answer. Header names are lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends HTTP requests synchronously: fills run on worker threads, and the backend protocol is synchronous.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and waits for the answer. Throws ``RemoteBackendError`` for transport failures and
    /// `EngineError.cancelled` when `cancellation` is set meanwhile (the request is aborted, not left running).
    func send(_ request: HTTPRequest, cancellation: CancellationFlag) throws -> HTTPResponse
}

/// Foundation's `URLSession` (libcurl on Linux). Chosen over AsyncHTTPClient to keep the dependency set to the one
/// server package: requests here are few, small and plain HTTP/1.1, which `URLSession` handles well.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    /// How often a waiting request looks at its cancellation flag.
    private let pollInterval: DispatchTimeInterval = .milliseconds(10)

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        // No cookies, no cache: every fill is a fresh, self-contained request.
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    public func send(_ request: HTTPRequest, cancellation: CancellationFlag) throws -> HTTPResponse {
        if cancellation.isCancelled { throw EngineError.cancelled }
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        let seconds = Double(request.timeout.components.seconds) + Double(request.timeout.components.attoseconds) / 1e18
        // libcurl takes whole seconds (a fraction rounds to "no time at all"); the precise deadline is enforced below.
        urlRequest.timeoutInterval = max(1, (seconds + 1).rounded(.up))
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }

        let outcome = Mutex<Result<HTTPResponse, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { data, response, error in
            let result: Result<HTTPResponse, any Error>
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (name, value) in http.allHeaderFields {
                    if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
                }
                result = .success(HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data()))
            } else {
                result = .failure(RemoteBackendError.malformedResponse("not an HTTP response"))
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        task.resume()
        let deadline = DispatchTime.now() + .nanoseconds(Int(min(seconds, 3600) * 1e9))
        let timeoutMs = Int(seconds * 1000)
        // Wait in short slices so an editor's cancellation (or the deadline) aborts the request promptly.
        while finished.wait(timeout: .now() + pollInterval) == .timedOut {
            if cancellation.isCancelled {
                task.cancel()
                throw EngineError.cancelled
            }
            if DispatchTime.now() >= deadline {
                task.cancel()
                throw RemoteBackendError.timeout(milliseconds: timeoutMs)
            }
        }
        switch outcome.withLock({ $0 })! {
        case .success(let response): return response
        case .failure(let error as RemoteBackendError): throw error
        case .failure(let error as URLError):
            switch error.code {
            case .timedOut: throw RemoteBackendError.timeout(milliseconds: timeoutMs)
            case .cancelled:
                throw cancellation.isCancelled
                    ? EngineError.cancelled
                    : RemoteBackendError.connection("request cancelled")
            default: throw RemoteBackendError.connection(error.localizedDescription)
            }
        case .failure(let error): throw RemoteBackendError.connection("\(error)")
        }
    }
}
