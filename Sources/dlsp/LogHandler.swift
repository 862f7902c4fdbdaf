import Foundation
import Logging
import Synchronization

/// Writes log lines to stderr and, when given, to a file. Never to stdout: stdout carries protocol only.
struct StderrAndFileLogHandler: LogHandler {
    let label: String
    let file: FileHandle?
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    /// Serialises writes, and remembers whether the log file has failed (reported once, then skipped).
    private static let fileFailed = Mutex<Bool>(false)

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
        // The throwing writes: Foundation's `write(_:)` traps when a write fails, and a full disk under the log
        // file or an editor that closed our stderr must not take the server down. A failed line is dropped.
        Self.fileFailed.withLock { fileFailed in
            try? FileHandle.standardError.write(contentsOf: data)
            guard let file, !fileFailed else { return }
            do { try file.write(contentsOf: data) } catch {
                fileFailed = true
                let note = "\(timestamp) error \(label): cannot write the log file (\(error)); logging to stderr only\n"
                try? FileHandle.standardError.write(contentsOf: Data(note.utf8))
            }
        }
    }
}
