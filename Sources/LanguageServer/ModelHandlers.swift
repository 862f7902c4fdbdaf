import Engine
import Features
import Foundation
import JSONRPC
import LanguageServerProtocol
import RemoteBackends

// Settings and the model: applying the user's configuration, loading the model once, switching backends, and
// saying what the remote backend's circuit breaker does.
extension LanguageServer {
    func applyConfiguration(_ options: JSONValue?) {
        let unknown = configuration.apply(options)
        if !unknown.isEmpty {
            logger.warning("unknown or invalid settings: \(unknown.joined(separator: ", "))")
            showOnce(.warning, "dlsp ignored unknown or invalid settings: \(unknown.joined(separator: ", "))")
        }
        switchBackendIfChanged()
    }

    /// Rebuilds the completion service when the backend settings differ from the loaded ones (a no-op until the
    /// first load has finished; `loadModel` calls it again then, so a change made while loading is not lost).
    func switchBackendIfChanged() {
        guard let loaded = model.backendConfiguration, loaded != configuration.backend else { return }
        model.reconfigure(
            path: configuration.modelPath, threads: configuration.threads,
            precision: configuration.precision, backend: configuration.backend,
            notice: { [self] event in backendNotice(event) }
        ) { [self] outcome in
            switch outcome {
            case .success(let name):
                logger.info("completions now come from \(name)")
                connection.notify(
                    "window/logMessage",
                    MessageParams(type: .info, message: "dlsp: completions now come from \(name)"))
            case .failure(let error):
                logger.error("backend change failed: \(error)")
                queue.async { self.showOnce(.error, "dlsp: the new backend settings cannot be used: \(error)") }
            }
        }
    }

    /// The remote backend's circuit breaker changed state: say so once, from the message queue.
    func backendNotice(_ event: FallbackEvent) {
        queue.async { [self] in
            switch event {
            case .primaryDown(let reason, let usingFallback):
                logger.warning("remote backend down: \(reason)")
                showOnce(
                    .warning,
                    usingFallback
                        ? "dlsp: the remote model is unreachable; "
                            + "completions come from the embedded model until it is back"
                        : "dlsp: the remote model is unreachable; completions are paused until it is back")
            case .primaryRecovered:
                logger.info("remote backend recovered")
                connection.notify(
                    "window/logMessage",
                    MessageParams(type: .info, message: "dlsp: the remote model is reachable again"))
            }
        }
    }

    /// Loads the model once, with work-done progress when the client shows it.
    func loadModel() {
        let progress = ProgressReporter(
            connection: connection,
            enabled: capabilities?.window?.workDoneProgress == true)
        progress.begin(title: "dlsp: loading the model")
        model.load(
            path: configuration.modelPath, threads: configuration.threads, precision: configuration.precision,
            backend: configuration.backend,
            notice: { [self] event in backendNotice(event) }
        ) { [self] outcome in
            switch outcome {
            case .success(let path):
                logger.info("model loaded from \(path)")
                connection.notify(
                    "window/logMessage", MessageParams(type: .info, message: "dlsp: model loaded from \(path)"))
                progress.end("model ready")
                queue.async { self.switchBackendIfChanged() }
            case .failure(let error):
                logger.error("model failed to load: \(error)")
                progress.end("model unavailable")
                queue.async {
                    self.showOnce(
                        .error, "dlsp: completions are unavailable because the model failed to load: \(error)")
                }
            }
        }
    }
}
