import Foundation
import Testing

/// Neovim as the client: incremental sync done by a real editor must leave the server with the editor's text.
@Suite(.serialized) struct NeovimTests {
    @Test func serverHoldsNeovimsBufferAfterIncrementalEdits() throws {
        let nvim = try Paths.tool("nvim", package: "neovim")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-nvim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fixtures = Paths.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures")
        let file = scratch.appendingPathComponent("greeting.py")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("workspace/greeting.py"), to: file)
        let verdict = scratch.appendingPathComponent("verdict.txt")

        let process = Process()
        process.executableURL = nvim
        process.arguments = [
            "--headless", "-u", "NONE", "-i", "NONE", "-n",
            "-c", "luafile " + fixtures.appendingPathComponent("neovim/sync.lua").path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["DLSP_BIN"] = try Paths.dlsp.path
        environment["DLSP_FILE"] = file.path
        environment["DLSP_RESULT"] = verdict.path
        environment["DLSP_LOG"] = scratch.appendingPathComponent("dlsp.log").path
        environment["XDG_STATE_HOME"] = scratch.path
        environment["XDG_DATA_HOME"] = scratch.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(180)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }

        let text = (try? String(contentsOf: verdict, encoding: .utf8)) ?? "no verdict written"
        #expect(text.hasPrefix("OK"), "\(text)")
        #expect(text.contains("def salute(name):"))
        #expect(text.contains("😀"))
        #expect(text.contains("👩‍👩‍👧"))
    }
}
