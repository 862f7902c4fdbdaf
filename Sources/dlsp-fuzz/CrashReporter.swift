#if !DLSP_LIBFUZZER
    import Foundation
    #if canImport(Glibc)
        import Glibc
    #endif

    /// Keeps the input being run where a signal handler can reach it, so that a trap (Swift's runtime checks end in
    /// SIGILL/SIGTRAP), a segfault or an abort leaves the input behind; and watches the clock, so that an input that
    /// runs longer than a second is reported as a hang with its input, as libFuzzer's `-timeout=1` would.
    ///
    /// Everything the handler touches is preallocated: a signal handler may only call async-signal-safe functions.
    enum CrashReporter {
        nonisolated(unsafe) private static var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        nonisolated(unsafe) private static var length = 0
        nonisolated(unsafe) private static var artifactPath: UnsafeMutablePointer<CChar>?
        /// Monotonic start of the running input in nanoseconds; 0 when none is running.
        nonisolated(unsafe) private static var startedAt: UInt64 = 0
        nonisolated(unsafe) private static var slowest: UInt64 = 0
        static let hangNanoseconds: UInt64 = 1_000_000_000

        static var slowestMilliseconds: Double { Double(slowest) / 1e6 }

        static func install(artifact: String) {
            artifactPath = strdup(artifact)
            for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
                signal(sig) { sig in
                    CrashReporter.saveInput()
                    let note = "dlsp-fuzz: signal while running an input; input saved (see Fuzz/findings/)\n"
                    _ = note.withCString { write(2, $0, strlen($0)) }
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
            }
            let watchdog = Thread {
                while true {
                    usleep(100_000)
                    let start = startedAt
                    if start != 0 && now() &- start > hangNanoseconds {
                        saveInput()
                        let note = "dlsp-fuzz: an input ran longer than 1 s (hang); input saved (see Fuzz/findings/)\n"
                        _ = note.withCString { write(2, $0, strlen($0)) }
                        _exit(1)
                    }
                }
            }
            watchdog.start()
        }

        /// Called before each input: records it and the time; the previous input's time counts toward `slowest`.
        static func willRun(_ input: [UInt8]) {
            let time = now()
            if startedAt != 0 { slowest = max(slowest, time &- startedAt) }
            if input.count > buffer.count {
                startedAt = 0
                buffer.deallocate()
                buffer = .allocate(capacity: input.count)
            }
            _ = buffer.initialize(from: input)
            length = input.count
            startedAt = time
        }

        static func disarm() {
            if startedAt != 0 { slowest = max(slowest, now() &- startedAt) }
            startedAt = 0
        }

        private static func saveInput() {
            guard let path = artifactPath else { return }
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { return }
            _ = write(fd, buffer.baseAddress, length)
            close(fd)
        }

        private static func now() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
    }
#endif
