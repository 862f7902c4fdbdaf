import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP GET run to completion on a `URLSession`, with the body handed over piece by piece as it arrives, so a
/// large file goes straight to disk and a dropped connection leaves exactly the bytes received.
///
/// Synchronous: a pull is a command-line job that does one thing at a time, and the callers read more plainly as
/// straight-line code. Redirects are followed (the hub sends large files to its CDN), but the bearer token goes only
/// to the endpoint's own host, as the hub's Python client does: a CDN must never see it.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What the transfer ended with.
    struct Outcome {
        var response: HTTPURLResponse?
        /// The transport error, if the connection failed (the body may have been partly delivered).
        var error: (any Error)?
        /// Set when a callback asked to stop; the transfer was cancelled on purpose.
        var stopped: Bool
    }

    /// Decides from the response head whether to take the body (`true`) or stop now.
    typealias HeadHandler = (HTTPURLResponse) -> Bool
    /// Takes a piece of the body; `false` stops the transfer.
    typealias BodyHandler = (Data) -> Bool

    private let originalHeaders: [String: String]
    private let authorizedHost: String?
    private let onHead: HeadHandler
    private let onBody: BodyHandler
    private let finished = DispatchSemaphore(value: 0)
    // Written only on the session's serial delegate queue, read after `finished` is signalled.
    private var outcome = Outcome(response: nil, error: nil, stopped: false)

    private init(
        headers: [String: String], authorizedHost: String?, onHead: @escaping HeadHandler,
        onBody: @escaping BodyHandler
    ) {
        self.originalHeaders = headers
        self.authorizedHost = authorizedHost
        self.onHead = onHead
        self.onBody = onBody
    }

    /// Sends a GET to `url` and waits for the transfer to end. `token` is sent as a bearer token to `url`'s host
    /// (and to redirects on that host only).
    static func get(
        _ url: URL, headers: [String: String], token: String?, idleTimeout: TimeInterval,
        onHead: @escaping HeadHandler, onBody: @escaping BodyHandler
    ) -> Outcome {
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let transfer = HTTPTransfer(
            headers: headers, authorizedHost: token == nil ? nil : url.host,
            onHead: onHead, onBody: onBody)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // An idle limit, not a total one: a 15 GB shard takes as long as it takes while bytes keep coming.
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: queue)
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let task = session.dataTask(with: request)
        task.resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()
        return transfer.outcome
    }

    // MARK: URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            return
        }
        outcome.response = http
        if onHead(http) {
            completionHandler(.allow)
        } else {
            outcome.stopped = true
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard !outcome.stopped else { return }
        if !onBody(data) {
            outcome.stopped = true
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error, !outcome.stopped { outcome.error = error }
        finished.signal()
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        var next = request
        for (name, value) in originalHeaders where name != "Authorization" {
            next.setValue(value, forHTTPHeaderField: name)
        }
        if let authorizedHost, request.url?.host == authorizedHost {
            next.setValue(originalHeaders["Authorization"], forHTTPHeaderField: "Authorization")
        } else {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }
}

extension HTTPURLResponse {
    /// A header by name, case-insensitively.
    func header(_ name: String) -> String? { value(forHTTPHeaderField: name) }
}
