import Foundation
import JSONRPC
import Testing

/// Real editors, headless, each loading its configuration from `EditorConfigs/` exactly as shipped: the editor
/// starts dlsp, opens a fixture file, asks for a completion and applies the offered item, applies a code action
/// (the quick fix for an unused import) and a rename; the test checks the buffer the editor ends with after each.
@Suite(.serialized) struct EditorTests {
    @Test func neovimWithTheShippedConfiguration() throws {
        let nvim = try Paths.tool("nvim", package: "neovim")
        let run = try EditorRun("nvim")
        defer { run.cleanUp() }
        let result = try run.run(
            nvim,
            [
                "--headless", "-i", "NONE", "-n",
                "-u", EditorRun.configs.appendingPathComponent("neovim/dlsp.lua").path,
                "-c", "luafile " + EditorRun.fixtures.appendingPathComponent("neovim.lua").path,
            ])
        #expect(result["client"] == .string("dlsp"))
        run.checkCompletion(result, editor: "Neovim")
        run.checkActionAndRename(result, editor: "Neovim")
        // The omni menu (what the configuration sets as omnifunc) inserts the same text as the item's edit.
        if let completion = result["completion"], completion != .null {
            #expect(completion["omnifuncWord"] == completion["item"]?["textEdit"]?["newText"])
        }
    }

    @Test func emacsEglotWithTheShippedConfiguration() throws {
        let emacs = try Paths.tool("emacs", package: "emacs-nox")
        // Emacs 28 has no built-in eglot: Debian's elpa-eglot provides it (loaded by the site start files).
        guard try emacsHasEglot(emacs) else {
            throw TestFailure("eglot is not installed; install the Debian package elpa-eglot (scripts/setup.sh does)")
        }
        let run = try EditorRun("eglot")
        defer { run.cleanUp() }
        let result = try run.run(
            emacs,
            [
                "--batch",
                "-l", EditorRun.configs.appendingPathComponent("emacs/dlsp-eglot.el").path,
                "-l", EditorRun.fixtures.appendingPathComponent("eglot.el").path,
            ])
        #expect(result["client"] == .string("dlsp"))
        run.checkCompletion(result, editor: "Emacs (eglot)")
        run.checkActionAndRename(result, editor: "Emacs (eglot)")
    }

    @Test func vimWithALEAndTheShippedConfiguration() throws {
        let vim = try Paths.tool("vim", package: "vim")
        guard FileManager.default.fileExists(atPath: "/usr/share/vim/vimfiles/pack/dist-bundle/opt/ale") else {
            throw TestFailure("ALE is not installed; install the Debian package vim-ale (scripts/setup.sh does)")
        }
        // `script` (util-linux) gives Vim a pseudo-terminal: ALE completes only in insert mode, which needs one.
        let script = try Paths.tool("script", package: "bsdutils")
        let run = try EditorRun("vim")
        defer { run.cleanUp() }
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = [
            vim.path, "-N", "-i", "NONE", "-u", EditorRun.configs.appendingPathComponent("vim/dlsp-ale.vim").path,
            "-S", EditorRun.fixtures.appendingPathComponent("vim-ale.vim").path, run.file.path,
        ]
        .map(quoted).joined(separator: " ")
        let result = try run.run(script, ["-qefc", command, "/dev/null"], environment: ["TERM": "xterm"])
        #expect(result["client"] == .string("dlsp"))
        run.checkCompletion(result, editor: "Vim (ALE)")
        run.checkActionAndRename(result, editor: "Vim (ALE)")
    }

    private func emacsHasEglot(_ emacs: URL) throws -> Bool {
        let process = Process()
        process.executableURL = emacs
        process.arguments = ["--batch", "--eval", "(kill-emacs (if (locate-library \"eglot\") 0 1))"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
