import Foundation

/// Runs a setup tool (pip, tar, cc) and collects its output, turning failures into ``GrammarError`` values.
struct ExternalCommand {
    var arguments: [String]
    var workingDirectory: URL?

    /// Runs the command through `/usr/bin/env`, so tools are found on `PATH` like a shell would.
    /// - Parameter onLine: receives each output line as it arrives (slow steps such as pip report progress).
    /// - Returns: the combined stdout and stderr.
    @discardableResult
    func run(onLine: ((String) -> Void)? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw GrammarError.toolMissing(tool: arguments.first ?? "?", hint: "\(error.localizedDescription)")
        }
        // Read before waiting: a full pipe would otherwise block the child forever.
        var data = Data()
        var pendingLine = Data()
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
            guard let onLine else { continue }
            pendingLine.append(chunk)
            while let newline = pendingLine.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pendingLine[pendingLine.startIndex..<newline], as: UTF8.self)
                pendingLine.removeSubrange(pendingLine.startIndex...newline)
                if !line.trimmingCharacters(in: .whitespaces).isEmpty { onLine(line) }
            }
        }
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw GrammarError.toolMissing(tool: arguments.first ?? "?", hint: "not found on PATH")
            }
            throw GrammarError.commandFailed(
                command: arguments.joined(separator: " "), status: process.terminationStatus,
                output: String(output.suffix(4000)))
        }
        return output
    }
}
