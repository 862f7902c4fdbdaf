import Foundation
import FuzzTargets
import Testing

/// `scripts/fuzz.sh` refuses a target it does not know before it builds anything, and the targets it offers are
/// exactly ``FuzzTarget``'s cases: a target added to the registry cannot be missing from the script, nor a removed
/// one linger in it.
struct FuzzScriptTests {
    @Test func unknownTargetIsRefusedAtOnceWithTheRegistrysTargets() throws {
        let root = FuzzCorpusTests.root
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/fuzz.sh")
        process.arguments = ["nosuchtarget", "1"]
        process.currentDirectoryURL = root
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        // A script that builds before it looks at the target would take minutes: stop it rather than wait.
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { process.terminate() } }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - started

        #expect(process.terminationStatus == 2, "\(text)")
        #expect(elapsed < .seconds(5), "took \(elapsed): it did more than read its arguments")
        #expect(text.contains("unknown target 'nosuchtarget'"), "\(text)")
        #expect(!text.contains("==>"), "it started building or fuzzing: \(text)")
        #expect(!text.contains("FINDING"), "\(text)")

        let listLine = text.split(separator: "\n").first { $0.hasPrefix("targets: ") }
        let listed = try #require(listLine, "no list of targets in: \(text)")
            .dropFirst("targets: ".count)
            .replacingOccurrences(of: "(or all)", with: "")
            .split(separator: " ").map(String.init)
        #expect(listed.sorted() == FuzzTarget.allCases.map(\.rawValue).sorted())
    }
}
