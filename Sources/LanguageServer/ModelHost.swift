import Engine
import Features
import Foundation
import RemoteBackends
import Synchronization

/// The one loaded model, shared by every document: loaded once, off the message queue, and waited for by the
/// first requests that need it.
final class ModelHost: Sendable {
    enum State: Sendable {
        case notStarted
        case loading
        case ready(CompletionService)
        case failed(String)
    }

    private let state = Mutex<State>(.notStarted)
    private let loaded = DispatchGroup()

    init() { loaded.enter() }

    /// The backend configuration the current service was built with.
    private let loadedBackend = Mutex<BackendConfiguration?>(nil)

    var backendConfiguration: BackendConfiguration? { loadedBackend.withLock { $0 } }

    /// Starts loading on a background thread; `done` gets the outcome (for progress and messages). With a remote
    /// `backend`, the service fills through it (behind the circuit breaker, whose events go to `notice`) and the
    /// embedded model is loaded only if the remote fails and the configuration allows falling back to it.
    func load(
        path explicitPath: String?, threads: Int, precision: WeightPrecision = .automatic,
        backend: BackendConfiguration = BackendConfiguration(),
        notice: @escaping @Sendable (FallbackEvent) -> Void = { _ in },
        done: @escaping @Sendable (Result<String, Error>) -> Void
    ) {
        guard case .remote = backend.kind else {
            loadedBackend.withLock { $0 = backend }
            return loadEmbedded(path: explicitPath, threads: threads, precision: precision, done: done)
        }
        let shouldStart = state.withLock { state -> Bool in
            guard case .notStarted = state else { return false }
            state = .loading
            return true
        }
        guard shouldStart else { return }
        loadedBackend.withLock { $0 = backend }
        DispatchQueue.global().async { [self] in
            let outcome: Result<String, Error>
            do {
                let fill = try backend.makeBackend(
                    embedded: {
                        let path = try ModelLocator.locate(explicit: explicitPath).get()
                        return try EmbeddedBackend(
                            engine: try SharedEngines.load(
                                directory: path, threads: threads,
                                precision: precision))
                    }, onEvent: notice)
                state.withLock { $0 = .ready(CompletionService(backend: fill)) }
                outcome = .success(fill.name)
            } catch {
                state.withLock { $0 = .failed("\(error)") }
                outcome = .failure(error)
            }
            loaded.leave()
            done(outcome)
        }
    }

    private func loadEmbedded(
        path explicitPath: String?, threads: Int, precision: WeightPrecision,
        done: @escaping @Sendable (Result<String, Error>) -> Void
    ) {
        let shouldStart = state.withLock { state -> Bool in
            guard case .notStarted = state else { return false }
            state = .loading
            return true
        }
        guard shouldStart else { return }
        DispatchQueue.global().async { [self] in
            let outcome: Result<String, Error>
            switch ModelLocator.locate(explicit: explicitPath) {
            case .failure(let error):
                state.withLock { $0 = .failed(error.description) }
                outcome = .failure(error)
            case .success(let path):
                do {
                    let service = try CompletionService(
                        engine: try SharedEngines.load(
                            directory: path, threads: threads,
                            precision: precision))
                    state.withLock { $0 = .ready(service) }
                    outcome = .success(path)
                } catch {
                    state.withLock { $0 = .failed("\(path): \(error)") }
                    outcome = .failure(error)
                }
            }
            loaded.leave()
            done(outcome)
        }
    }

    /// Switches a loaded host to another backend (a `workspace/didChangeConfiguration`): the new service is built
    /// off the message queue and replaces the old one, which requests in flight keep using. On failure the old
    /// service stays. Does nothing before the first load has finished (that load's outcome is checked by the
    /// caller) or when `backend` is already in use.
    func reconfigure(
        path explicitPath: String?, threads: Int, precision: WeightPrecision = .automatic,
        backend: BackendConfiguration,
        notice: @escaping @Sendable (FallbackEvent) -> Void,
        done: @escaping @Sendable (Result<String, Error>) -> Void
    ) {
        let shouldSwitch = state.withLock { state -> Bool in
            guard case .ready = state else { return false }
            return loadedBackend.withLock { loaded in
                guard loaded != backend else { return false }
                loaded = backend
                return true
            }
        }
        guard shouldSwitch else { return }
        DispatchQueue.global().async { [self] in
            do {
                let fill = try backend.makeBackend(
                    embedded: {
                        let path = try ModelLocator.locate(explicit: explicitPath).get()
                        return try EmbeddedBackend(
                            engine: try SharedEngines.load(
                                directory: path, threads: threads,
                                precision: precision))
                    }, onEvent: notice)
                state.withLock { $0 = .ready(CompletionService(backend: fill)) }
                done(.success(fill.name))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// The service once loaded; waits up to `timeout` for a load in progress.
    func service(timeout: DispatchTime) -> Result<CompletionService, UnavailableModel> {
        if case .notStarted = state.withLock({ $0 }) { return .failure(.init(reason: "the model is not loaded")) }
        _ = loaded.wait(timeout: timeout)
        switch state.withLock({ $0 }) {
        case .ready(let service): return .success(service)
        case .failed(let reason): return .failure(.init(reason: reason))
        case .loading, .notStarted: return .failure(.init(reason: "the model is still loading"))
        }
    }
}

/// Why no model is available.
struct UnavailableModel: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Loaded engines by model path and precision, shared by every server in the process: weights are immutable, so
/// one copy serves all (an editor runs one server per process; tests run many).
enum SharedEngines {
    private static let engines = Mutex<[String: Engine]>([:])

    static func load(directory: String, threads: Int, precision: WeightPrecision = .automatic) throws -> Engine {
        let key = "\(precision.rawValue) \(directory)"
        if let engine = engines.withLock({ $0[key] }) { return engine }
        let engine = try Engine.load(directory: directory, threads: threads, precision: precision)
        return engines.withLock { engines in
            if let first = engines[key] { return first }
            engines[key] = engine
            return engine
        }
    }
}
