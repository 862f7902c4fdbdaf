import Foundation
import Logging
import Synchronization

/// Writes log lines to stderr and, when given, to a file. Never to stdout: stdout carries protocol only.
struct StderrAndFileLogHandler: LogHandler {
    let label: String
    let file: FileHandle?
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    private static let lock = Mutex<Void>(())

    init(label: String, file: FileHandle?) {
        self.label = label
        self.file = file
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let timestamp = Date().formatted(.iso8601.time(includingFractionalSeconds: true))
        let line = "\(timestamp) \(event.level) \(label): \(event.message)\n"
        let data = Data(line.utf8)
        Self.lock.withLock { _ in
            FileHandle.standardError.write(data)
            file?.write(data)
        }
    }
}
