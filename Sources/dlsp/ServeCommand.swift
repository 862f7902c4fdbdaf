import ArgumentParser
import Dispatch
import Engine
import Features
import Foundation
import HTTPServer
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `dlsp serve`: the embedded engine behind an OpenAI-compatible HTTP API (FIM and completions with `suffix`).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve completions over HTTP: POST /v1/fim/completions and /v1/completions (OpenAI shape), "
            + "GET /v1/models, GET /health.")

    @Option(help: "Address to bind. Only loopback addresses unless --bind-any is given.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Model directory, .gguf file or pulled ORG/NAME (default: the embedded model).") var model: String?
    @Flag(help: "Allow binding a non-loopback address (0.0.0.0 when --host is not given). Use with --token-env.")
    var bindAny = false
    @Option(help: "Environment variable holding a bearer token every request must carry.") var tokenEnv: String?
    @Option(help: "The model name clients send and /v1/models lists.") var modelName = "dlsp"
    @Option(help: "Fills that run at once on the shared model.") var parallel = 1
    @Option(help: "Requests that may wait; more are answered 429.") var queue = 16
    @Option(help: "Compute threads for the model.") var threads = 2
    @Option(
        help: ArgumentHelp(
            "How the engine keeps the weights: auto (8 bits for models over 100 M parameters "
                + "on CPUs with AVX-512 VNNI), as-stored, q8.")) var precision = "auto"
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "dlsp.serve")
        var options = ServeOptions()
        options.host = try Self.bindAddress(host: host, hostGiven: host != "127.0.0.1", bindAny: bindAny)
        options.port = port
        options.modelName = modelName
        options.concurrentFills = max(1, parallel)
        options.queueCapacity = max(0, queue)
        if let tokenEnv {
            guard let token = ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
                throw ValidationError("the environment variable \(tokenEnv) named by --token-env is not set")
            }
            options.bearerToken = token
        } else if !Self.isLoopback(options.host) {
            logger.warning("serving on \(options.host) without a bearer token: anyone who can reach it can use it")
        }
        let path: String
        switch ModelLocator.locate(explicit: model) {
        case .success(let found): path = found
        case .failure(let error): throw ValidationError(error.description)
        }
        guard let weightPrecision = WeightPrecision(rawValue: precision) else {
            throw ValidationError("--precision must be auto, as-stored or q8")
        }
        let service = try CompletionService(
            engine: try Engine.load(
                directory: path, threads: threads,
                precision: weightPrecision))
        let server = CompletionServer(service: service, options: options, logger: logger)
        signal(SIGPIPE, SIG_IGN)
        let failure = Mutex<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let shownHost = options.host
        Task {
            do {
                try await server.run(stopOnSignals: true) { port in
                    logger.info("dlsp serve: model \(path), listening on http://\(shownHost):\(port)")
                }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            finished.signal()
        }
        finished.wait()
        if let message = failure.withLock({ $0 }) { throw ValidationError("serve stopped: \(message)") }
        logger.info("dlsp serve: stopped")
    }

    /// The address to bind: loopback unless `bindAny` allows a wider one.
    static func bindAddress(host: String, hostGiven: Bool, bindAny: Bool) throws -> String {
        if bindAny { return hostGiven ? host : "0.0.0.0" }
        guard isLoopback(host) else {
            throw ValidationError("\(host) is not a loopback address; pass --bind-any to serve beyond this machine")
        }
        return host
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// `dlsp bench serve`: a bounded load test of the serve mode on loopback.
struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test the serve mode on loopback: N concurrent clients for a fixed time; requests/s, p50/p95.")

    @Option(help: "Concurrent clients.") var clients = 4
    @Option(help: "Seconds to run.") var seconds = 10
    @Option(help: "A running server's loopback URL (default: start one in-process on a free port).") var url: String?
    @Option(help: "Model directory (for the in-process server).") var model: String?
    @Option(help: "Fills at once (in-process server).") var parallel = 1
    @Option(help: "Queue capacity (in-process server).") var queue = 16
    @Option(help: "max_tokens of each request.") var maxTokens = 16
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let prompts = [
            ("def add(a, b):\n    return ", "\n"),
            ("for (let i = 0; i < items.length; i++) {\n    ", "\n}\n"),
            ("func greet(name: String) -> String {\n    return ", "\n}\n"),
            ("import os\n\npath = os.path.", "\n"),
        ]
        let bodies = prompts.map { prompt, suffix in
            try! JSONSerialization.data(withJSONObject: ["prompt": prompt, "suffix": suffix, "max_tokens": maxTokens])
        }
        let report = Mutex<LoadTest.Report?>(nil)
        let failure = Mutex<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let target = url
        let (clients, seconds, parallel, queue, model) = (
            self.clients, self.seconds, self.parallel, self.queue, self.model
        )
        if let target, let host = URL(string: target)?.host, !Serve.isLoopback(host) {
            throw ValidationError("the load test only targets loopback addresses")
        }
        Task {
            do {
                var base = target
                var serverTask: Task<Void, any Error>?
                if base == nil {
                    let path = try ModelLocator.locate(explicit: model).get()
                    let service = try CompletionService(engine: try Engine.load(directory: path))
                    var options = ServeOptions()
                    options.port = 0
                    options.concurrentFills = parallel
                    options.queueCapacity = queue
                    // The load test stops its server by cancelling it, which HummingbirdCore logs as an error;
                    // failed requests are counted by the test itself, so the server's own log stays quiet.
                    var quiet = Logger(label: "dlsp.serve")
                    quiet.logLevel = .critical
                    let server = CompletionServer(service: service, options: options, logger: quiet)
                    let (ports, continuation) = AsyncStream<Int>.makeStream()
                    serverTask = Task { try await server.run { continuation.yield($0) } }
                    var iterator = ports.makeAsyncIterator()
                    base = "http://127.0.0.1:\(await iterator.next() ?? 0)"
                }
                let test = LoadTest(
                    url: URL(string: base! + "/v1/completions")!, clients: clients,
                    duration: .seconds(seconds), bodies: bodies)
                let result = await test.run()
                report.withLock { $0 = result }
                serverTask?.cancel()
                _ = await serverTask?.result
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            finished.signal()
        }
        finished.wait()
        if let message = failure.withLock({ $0 }) { throw ValidationError(message) }
        let result = report.withLock { $0 }!
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(
                String(
                    format: "%d clients, %.1f s: %d ok (%.2f req/s), p50 %.0f ms, p95 %.0f ms, max %.0f ms; "
                        + "%d refused (429), %d failed, %d malformed", result.clients, result.seconds,
                    result.succeeded, result.requestsPerSecond, result.p50Milliseconds, result.p95Milliseconds,
                    result.maxMilliseconds, result.refused, result.failed, result.malformed))
        }
    }
}
