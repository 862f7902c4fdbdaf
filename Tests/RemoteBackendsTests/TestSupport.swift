import Dispatch
import Engine
import Features
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Hummingbird
import Synchronization

/// A Hummingbird server on a free loopback port, stopped by cancelling its task.
final class LoopbackServer: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    static func start(_ configure: @Sendable (Router<BasicRequestContext>) -> Void) async throws -> LoopbackServer {
        let router = Router()
        configure(router)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return LoopbackServer(port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// Runs blocking work (the backends' synchronous HTTP) on a Dispatch thread, off the cooperative pool that the
/// in-process servers need.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A plain HTTP exchange for checking server responses byte for byte.
func exchange(_ url: URL, method: String = "POST", body: Data? = nil, headers: [String: String] = [:]) async throws
    -> (status: Int, headers: [String: String], body: Data)
{
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    if body != nil, headers["Content-Type"] == nil {
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http.allHeaderFields {
        if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
    }
    return (http.statusCode, fields, data)
}

func jsonObject(_ data: Data) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
}

func jsonData(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }

/// Records what a fake server received.
final class Recorder: Sendable {
    private let bodies = Mutex<[Data]>([])
    private let headers = Mutex<[[String: String]]>([])
    private init(_ unused: Void) {}
    convenience init() { self.init(()) }

    func record(_ request: Request, body: ByteBuffer) {
        let data = Data(body.readableBytesView)
        var fields: [String: String] = [:]
        for field in request.headers { fields[field.name.canonicalName] = field.value }
        bodies.withLock { $0.append(data) }
        headers.withLock { $0.append(fields) }
    }

    var count: Int { bodies.withLock { $0.count } }
    var lastBody: [String: Any] { jsonObject(bodies.withLock { $0.last ?? Data() }) }
    var lastHeaders: [String: String] { headers.withLock { $0.last ?? [:] } }
}

/// The pauses a backend took between retries (instead of sleeping).
final class PauseLog: Sendable {
    let durations = Mutex<[Duration]>([])
    var all: [Duration] { durations.withLock { $0 } }
    var pause: @Sendable (Duration, CancellationFlag) throws -> Void {
        { [self] duration, _ in self.durations.withLock { $0.append(duration) } }
    }
}

/// The default model shipped in the repository.
enum DefaultModel {
    static var path: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Models/default")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path) {
                return candidate.path
            }
        }
        return "Models/default"
    }
}

/// The timeout of endpoints in tests about what a request and its answer carry, not about timing. The server's
/// default (5 s) is a user's patience; a loaded 2-core machine running the model's tests beside these can hold a
/// loopback answer back longer than that, and these tests would then fail on scheduling, not on behaviour.
let contentTestTimeout: Duration = .seconds(60)

let someContext = InfillContext(
    path: "Sources/App/main.swift", prefix: "func add(_ a: Int, _ b: Int) -> Int {\n    return ",
    suffix: "\n}\n", snippets: [.init(path: "Sources/App/Util.swift", text: "func twice(_ x: Int) -> Int { x * 2 }")])
