import Foundation
import JSONRPC

#if canImport(Glibc)
    import Glibc
#endif

/// Paths the end-to-end tests need: the built `dlsp` next to the test bundle, and the package root.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `dlsp` binary of the same build as the running tests (SwiftPM puts both in one folder).
    static var dlsp: URL {
        get throws {
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
            // On Linux the test runner may live inside `<name>.xctest/`; the binary sits beside that.
            while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("dlsp").path),
                folder.path != "/"
            {
                folder.deleteLastPathComponent()
            }
            let binary = folder.appendingPathComponent("dlsp")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw TestFailure("the dlsp binary was not built next to the tests (run `swift build` first)")
            }
            return binary
        }
    }

    /// An executable on PATH, or a failure that says what to install.
    static func tool(_ name: String, package: String) throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestFailure("\(name) is not installed; install the Debian package \(package) (scripts/setup.sh does)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `dlsp` child process spoken to over its real stdin and stdout.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var framer = MessageFramer()
    private var nextID = 1

    init(arguments: [String] = []) throws {
        process.executableURL = try Paths.dlsp
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    func send(_ body: String) {
        input.fileHandleForWriting.write(Data("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
    }

    func closeInput() { try? input.fileHandleForWriting.close() }

    /// Sends a request and reads messages until its response arrives (notifications before it are returned too).
    func request(_ method: String, _ params: String = "{}") throws -> (response: JSONValue, before: [JSONValue]) {
        let id = nextID
        nextID += 1
        send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        var before: [JSONValue] = []
        while true {
            let message = try readMessage()
            if message["id"] == .number(Double(id)) { return (message, before) }
            before.append(message)
        }
    }

    func notify(_ method: String, _ params: String = "{}") {
        send(#"{"jsonrpc":"2.0","method":"\#(method)","params":\#(params)}"#)
    }

    /// Reads the next framed message from the server's stdout; fails if stdout ever carries anything else.
    func readMessage() throws -> JSONValue {
        while true {
            if let event = framer.next() {
                guard case .message(let body) = event else {
                    throw TestFailure("stdout carried something that is not protocol: \(event)")
                }
                return try JSONDecoder().decode(JSONValue.self, from: Data(body))
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestFailure("dlsp closed stdout") }
            framer.append(chunk)
        }
    }

    /// Waits for the process to end (up to `timeout` seconds) and returns its exit code.
    func waitForExit(timeout: Double = 10) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw TestFailure("dlsp did not exit within \(timeout) s")
            }
            usleep(10_000)
        }
        return process.terminationStatus
    }

    /// Everything the server wrote to stderr (its log).
    func stderrText() -> String {
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}
