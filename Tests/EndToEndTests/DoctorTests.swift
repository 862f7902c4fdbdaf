import Foundation
import Testing

/// `dlsp doctor`, run as a user runs it: what it reports, the fixes it prints, and its exit code.
@Suite(.serialized) struct DoctorTests {
    struct Outcome {
        var code: Int32
        var output: String
    }

    func doctor(
        _ arguments: [String] = [], environment changes: [String: String] = [:],
        directory: URL = Paths.packageRoot
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = try Paths.dlsp
        process.arguments = ["doctor"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DLSP_MODEL")
        environment.removeValue(forKey: "DLSP_GRAMMAR_DIR")
        environment.removeValue(forKey: "DLSP_GRAMMARS_MANIFEST")
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(code: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    func line(_ output: String, startingWith name: String) -> String? {
        output.split(separator: "\n").map(String.init).first { $0.hasPrefix(name + " ") }
    }

    @Test func aWorkingInstallationPassesWithTheModelFillingAHole() throws {
        let binFolder = try Paths.dlsp.deletingLastPathComponent().path
        let outcome = try doctor(environment: ["PATH": binFolder + ":/usr/bin:/bin"])
        #expect(outcome.code == 0, "\(outcome.output)")
        let model = try #require(line(outcome.output, startingWith: "model"), "\(outcome.output)")
        #expect(model.contains(" ok "), "\(model)")
        #expect(model.contains("Models/default"))
        // The fill either offered text or said plainly that the model offered nothing (a warning, not an error).
        let fill = try #require(line(outcome.output, startingWith: "  fill"), "\(outcome.output)")
        #expect(fill.contains(" ok ") || fill.contains("offered nothing"), "\(fill)")
        let threads = try #require(line(outcome.output, startingWith: "threads"), "\(outcome.output)")
        #expect(threads.contains("OpenBLAS uses 2"), "\(threads)")
        #expect(line(outcome.output, startingWith: "  python")?.contains(" ok ") == true, "\(outcome.output)")
        #expect(line(outcome.output, startingWith: "PATH")?.contains("is this binary") == true, "\(outcome.output)")
        #expect(line(outcome.output, startingWith: "binary")?.contains(try Paths.dlsp.path) == true)
    }

    @Test func aMissingModelIsAnErrorWithAFix() throws {
        let outcome = try doctor(["--model", "/nonexistent/dlsp-model"])
        #expect(outcome.code == 1, "\(outcome.output)")
        let model = try #require(line(outcome.output, startingWith: "model"), "\(outcome.output)")
        #expect(model.contains("ERROR") && model.contains("/nonexistent/dlsp-model"), "\(model)")
        #expect(outcome.output.contains("fix: "))
        #expect(outcome.output.contains("1 error(s)"))
    }

    @Test func aBrokenModelIsAnErrorWithAFix() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{\"architectures\": [\"LLaDAModelLM\"]}".utf8).write(to: folder.appendingPathComponent("config.json"))
        let outcome = try doctor(["--model", folder.path])
        #expect(outcome.code == 1, "\(outcome.output)")
        #expect(line(outcome.output, startingWith: "model")?.contains("does not load") == true, "\(outcome.output)")
    }

    @Test func missingGrammarsAndDlspOffPathAreWarningsWithFixes() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let outcome = try doctor(environment: ["DLSP_GRAMMAR_DIR": empty.path, "PATH": "/usr/bin:/bin"])
        // Completions still work without grammars or PATH: warnings, exit code 0.
        #expect(outcome.code == 0, "\(outcome.output)")
        #expect(line(outcome.output, startingWith: "  python")?.contains("WARN") == true, "\(outcome.output)")
        #expect(outcome.output.contains("fix: dlsp grammars install"), "\(outcome.output)")
        #expect(line(outcome.output, startingWith: "PATH")?.contains("not on PATH") == true, "\(outcome.output)")
        #expect(outcome.output.contains("warning(s)"))
    }
}
