import Features
import Foundation
import ModelHub

#if canImport(Glibc)
    import Glibc
#endif

/// Shows a pull's progress on stderr: a redrawn bar when stderr is a terminal, otherwise a plain line now and then
/// (a log or CI output must not fill with carriage returns). stdout is left to the result.
final class PullProgress {
    private let interactive: Bool
    private let write: (String) -> Void
    private var lastDraw = ContinuousClock.now - .seconds(60)
    private var fileStart = ContinuousClock.now
    private var startOffset: Int64 = 0
    private var lastPlainShare = -1
    private var barShown = false
    private var fileCount = 0
    private var fileIndex = 0
    private var currentPath: String?

    init(
        interactive: Bool = isatty(STDERR_FILENO) == 1,
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.interactive = interactive
        self.write = write
    }

    func handle(_ event: PullEvent) {
        switch event {
        case .resolved(let commit, let selected, let skipped):
            fileCount = selected.count
            let total = selected.reduce(Int64(0)) { $0 + ($1.size ?? 0) }
            line("commit \(commit): \(selected.count) file(s), \(PulledModels.formatBytes(total))")
            if !skipped.isEmpty {
                let shown = skipped.prefix(12).joined(separator: ", ")
                line(
                    "skipped (not needed to load): \(shown)"
                        + "\(skipped.count > 12 ? " and \(skipped.count - 12) more" : "")"
                )
            }
        case .present(let path, let size):
            fileIndex += 1
            currentPath = path
            line("\(counter) \(path): already in the cache (\(PulledModels.formatBytes(size)))")
        case .started(let path, let size, let offset):
            // Retries start the same file again; only a new file advances the counter.
            if path != currentPath { fileIndex += 1 }
            currentPath = path
            fileStart = .now
            startOffset = offset
            lastPlainShare = -1
            if offset > 0 {
                line(
                    "\(counter) \(path): resuming at \(PulledModels.formatBytes(offset)) "
                        + "of \(PulledModels.formatBytes(size))"
                )
            }
        case .progress(let path, let received, let size):
            show(path: path, received: received, size: size)
        case .verified(let path, let size, let check):
            show(path: path, received: size, size: size, force: true)
            endBar()
            if !interactive { line("\(counter) \(path): \(PulledModels.formatBytes(size)), \(check) verified") }
        case .retrying(let path, let attempt, let of, let reason, let delay):
            endBar()
            line("\(path): \(reason); try \(attempt) of \(of) in \(delay)")
        case .restarted(let path):
            endBar()
            line("\(path): the server ignored the resume request; downloading from the start")
        case .waitingForLock(let path):
            line("\(path): waiting for another download of the same file to finish")
        }
    }

    private var counter: String { "[\(max(fileIndex, 1))/\(max(fileCount, 1))]" }

    private func show(path: String, received: Int64, size: Int64, force: Bool = false) {
        let now = ContinuousClock.now
        let elapsed = now - fileStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(received - startOffset) / seconds : 0
        if interactive {
            guard force || now - lastDraw >= .milliseconds(100) else { return }
            lastDraw = now
            let share = size > 0 ? Double(received) / Double(size) : 1
            let width = 28
            let filled = Int((share * Double(width)).rounded(.down))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var text =
                "\(counter) \(path) \(bar) \(String(format: "%3.0f%%", share * 100)) "
                + "\(PulledModels.formatBytes(received))/\(PulledModels.formatBytes(size))"
            if rate > 0 {
                text += "  \(PulledModels.formatBytes(Int64(rate)))/s"
                if received < size { text += "  \(Self.clock(Double(size - received) / rate)) left" }
            }
            write("\r\u{1B}[2K" + text)
            barShown = true
        } else {
            // A line for each tenth of a large file; small files only get their final line.
            guard size >= 50_000_000 else { return }
            let share = Int(Double(received) * 10 / Double(max(size, 1)))
            guard share > lastPlainShare, received < size else { return }
            lastPlainShare = share
            line(
                "\(counter) \(path): \(share * 10)% of \(PulledModels.formatBytes(size))"
                    + (rate > 0 ? " at \(PulledModels.formatBytes(Int64(rate)))/s" : ""))
        }
    }

    private func endBar() {
        if barShown { write("\n") }
        barShown = false
    }

    private func line(_ text: String) {
        endBar()
        write(text + "\n")
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        return total >= 3600
            ? "\(total / 3600)h\(String(format: "%02d", total / 60 % 60))m"
            : total >= 60 ? "\(total / 60)m\(String(format: "%02d", total % 60))s" : "\(total)s"
    }
}
