import Foundation
import JSONRPC
import Testing

/// A real editor run headless against the built `dlsp`, loading a configuration from `EditorConfigs/` exactly as
/// shipped. The editor-side driver script (under `Fixtures/editors/`) writes what happened as JSON.
struct EditorRun {
    /// Positions (0-based line and UTF-16 character; the fixture is ASCII) where a completion is asked for, in
    /// order, until dlsp offers an item: first the call the file ends in the middle of (`print(volume(`, where a
    /// user stopped typing), then the body `volume` still lacks (after `return `), then line ends where the model
    /// may continue the code, then every position after `(`, `= ` and `, ` (Vim's driver completes at line ends
    /// only). Which one a given model fills varies (a small model rightly leaves most of a finished file alone);
    /// that one is filled and applied exactly does not.
    static let completionPositions = [
        (24, 13), (21, 11), (7, 29), (12, 30), (13, 35), (17, 21), (3, 24), (0, 9), (3, 9), (3, 16), (4, 25), (7, 14),
        (7, 21), (8, 31), (8, 16), (11, 28), (11, 13), (11, 20), (12, 11), (12, 16), (12, 23), (13, 11), (13, 21),
        (13, 28), (14, 27), (17, 6), (17, 15), (17, 18), (20, 33), (20, 11), (20, 18), (20, 26),
    ]
    /// The quick fix asked for on line 0 (`import os`, unused) and the rename of `area`'s parameter `width`.
    static let actionLine = 0
    static let actionTitle = "Remove unused import `os`"
    static let renameAt = (2, 9)  // `width` in `def area(width, height):` once the import line is gone
    static let renameTo = "side"
    static var positionsVariable: String { completionPositions.map { "\($0.0):\($0.1)" }.joined(separator: ";") }

    let scratch: URL
    let file: URL
    let resultFile: URL
    let original: String

    static let fixtures = Paths.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/editors")
    static let configs = Paths.packageRoot.appendingPathComponent("EditorConfigs")

    /// Copies the fixture workspace to a fresh folder (outside any git repository, so it is its own root).
    init(_ name: String) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-\(name)-\(UUID().uuidString)")
        let workspace = scratch.appendingPathComponent("workspace")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("workspace"), to: workspace)
        file = workspace.appendingPathComponent("shapes.py")
        resultFile = scratch.appendingPathComponent("result.json")
        original = try String(contentsOf: file, encoding: .utf8)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: scratch) }

    /// The environment the driver and the configuration read: the binary (the configurations default to `dlsp` on
    /// PATH), the file, the positions, where the result goes, and editor state kept inside the scratch folder.
    func environment() throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DLSP_BIN"] = try Paths.dlsp.path
        environment["DLSP_FILE"] = file.path
        environment["DLSP_POSITIONS"] = Self.positionsVariable
        environment["DLSP_RESULT"] = resultFile.path
        environment["DLSP_TIMEOUT_MS"] = "120000"
        environment["DLSP_ACTION_LINE"] = "\(Self.actionLine)"
        environment["DLSP_ACTION_TITLE"] = Self.actionTitle
        environment["DLSP_RENAME_AT"] = "\(Self.renameAt.0):\(Self.renameAt.1)"
        environment["DLSP_RENAME_TO"] = Self.renameTo
        environment["HOME"] = scratch.path
        environment["XDG_STATE_HOME"] = scratch.path
        environment["XDG_DATA_HOME"] = scratch.path
        environment["XDG_CONFIG_HOME"] = scratch.path
        environment["XDG_CACHE_HOME"] = scratch.path
        return environment
    }

    /// Runs the editor to completion (or kills it at `timeout` seconds) and returns the driver's JSON.
    func run(
        _ executable: URL, _ arguments: [String], environment extra: [String: String] = [:],
        timeout: Double = 400
    ) throws -> JSONValue {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = try environment().merging(extra) { $1 }
        process.currentDirectoryURL = scratch
        let log = scratch.appendingPathComponent("editor.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            usleep(500_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        guard let data = try? Data(contentsOf: resultFile) else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestFailure(
                "\(executable.lastPathComponent) wrote no result "
                    + "(exit \(process.isRunning ? "killed" : "\(process.terminationStatus)")); "
                    + "its output:\n\(output.suffix(3000))"
            )
        }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Checks a driver's completion report: the editor's buffer after applying the item equals the original with
    /// the item's text edit applied. Fails clearly when dlsp offered nothing at any position.
    func checkCompletion(_ result: JSONValue, editor: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            result["status"] == .string("ok"), "\(editor): \(result["error"]?.stringValue ?? "no status")",
            sourceLocation: sourceLocation)
        guard let completion = result["completion"], completion != .null else {
            Issue.record(
                """
                dlsp offered no completion item to \(editor) at any of the marked positions \
                \(Self.positionsVariable) of shapes.py (items per position: \(Self.summary(result["steps"]))). \
                The model dlsp loaded (Models/default unless DLSP_MODEL is set) produced nothing there; \
                the editor round trip of a completion is not proven by this run.
                """, sourceLocation: sourceLocation)
            return
        }
        guard let edit = completion["item"]?["textEdit"], let newText = edit["newText"]?.stringValue,
            let range = edit["range"] ?? edit["insert"],
            let expected = Self.apply(newText, range: range, to: original)
        else {
            Issue.record(
                "\(editor): the offered item has no usable textEdit: \(completion)", sourceLocation: sourceLocation)
            return
        }
        #expect(
            result["afterCompletion"]?.stringValue == expected,
            "\(editor) applied the item \(newText.debugDescription) differently", sourceLocation: sourceLocation)
    }

    /// Checks the code action and the rename the driver applied after the completion: the unused import's line is
    /// gone, then `width` is `side` in `area` (its definition line and body) and nowhere else.
    func checkActionAndRename(_ result: JSONValue, editor: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let base = result["afterCompletion"]?.stringValue ?? original
        #expect(
            result["actionsOffered"]?.arrayContains(.string(Self.actionTitle)) == true,
            """
            \(editor) was not offered “\(Self.actionTitle)”: \
            \(result["actionsOffered"].map { "\($0)" } ?? "nothing")
            """,
            sourceLocation: sourceLocation)
        let expectedAfterAction = base.hasPrefix("import os\n") ? String(base.dropFirst("import os\n".count)) : "?"
        #expect(
            result["afterAction"]?.stringValue == expectedAfterAction,
            "\(editor) did not end with the import removed", sourceLocation: sourceLocation)
        var lines = expectedAfterAction.components(separatedBy: "\n")
        if let definition = lines.firstIndex(where: { $0.hasPrefix("def area(") }) {
            for index in definition...(definition + 1) {
                lines[index] = lines[index].replacingOccurrences(of: "width", with: Self.renameTo)
            }
        }
        let expectedAfterRename = lines.joined(separator: "\n")
        #expect(
            result["afterRename"]?.stringValue == expectedAfterRename,
            "\(editor) did not end with `width` renamed in `area` only", sourceLocation: sourceLocation)
    }

    /// "7:29 0, 12:30 0" from the driver's steps.
    static func summary(_ steps: JSONValue?) -> String {
        guard case .array(let steps)? = steps, !steps.isEmpty else { return "no request answered" }
        return steps.map { step in
            let at = "\(Int(step["line"]?.numberValue ?? -1)):\(Int(step["character"]?.numberValue ?? -1))"
            if let error = step["error"]?.stringValue { return "\(at) error \(error)" }
            return "\(at) \(Int(step["count"]?.numberValue ?? 0))"
        }.joined(separator: ", ")
    }

    /// Applies one LSP edit (0-based lines, UTF-16 characters) to a text.
    static func apply(_ newText: String, range: JSONValue, to text: String) -> String? {
        func offset(_ position: JSONValue?) -> String.Index? {
            guard let line = position?["line"]?.numberValue, let character = position?["character"]?.numberValue
            else { return nil }
            var index = text.startIndex
            for _ in 0..<Int(line) {
                guard let newline = text[index...].firstIndex(of: "\n") else { return nil }
                index = text.index(after: newline)
            }
            return text.utf16.index(index, offsetBy: Int(character), limitedBy: text.endIndex)
        }
        guard let start = offset(range["start"]), let end = offset(range["end"]), start <= end else { return nil }
        return String(text[..<start]) + newText + String(text[end...])
    }
}

extension JSONValue {
    func arrayContains(_ element: JSONValue) -> Bool {
        if case .array(let elements) = self { return elements.contains(element) }
        return false
    }
}
