import Foundation
import JSONRPC
import Testing

/// The real binary over real stdio, as an editor launches it.
@Suite(.serialized) struct StdioTests {
    @Test func handshakeEditCancelShutdownExit() throws {
        let server = try ServerProcess()
        let initialize = try server.request(
            "initialize",
            #"{"processId":null,"capabilities":{"general":{"positionEncodings":["utf-8","utf-16"]}},"#
                + #""rootUri":"file:///tmp/ws"}"#
        )
        #expect(initialize.response["result"]?["capabilities"]?["positionEncoding"] == .string("utf-8"))
        server.notify("initialized")
        server.notify(
            "textDocument/didOpen",
            #"{"textDocument":{"uri":"file:///tmp/ws/a.py","languageId":"python","version":1,"#
                + #""text":"def f():\n    return 1\n"}}"#
        )
        server.notify(
            "textDocument/didChange",
            #"{"textDocument":{"uri":"file:///tmp/ws/a.py","version":2},"#
                + #""contentChanges":[{"range":{"start":{"line":1,"character":11},"end":{"line":1,"character":12}},"#
                + #""text":"42 # é"}]}"#
        )
        server.notify("$/cancelRequest", #"{"id":999}"#)
        let state = try server.request("dlsp/documentState", #"{"textDocument":{"uri":"file:///tmp/ws/a.py"}}"#)
        #expect(state.response["result"]?["text"] == .string("def f():\n    return 42 # é\n"))
        #expect(state.response["result"]?["version"] == .number(2))
        server.notify("textDocument/didClose", #"{"textDocument":{"uri":"file:///tmp/ws/a.py"}}"#)
        let shutdown = try server.request("shutdown", "null")
        #expect(shutdown.response["result"] == .null)
        server.notify("exit")
        #expect(try server.waitForExit() == 0)
    }

    /// The embedded model completes an unfinished call in a Swift and in a Python file, and the file with the
    /// item applied parses: the server's own kept tree of the edited document has no ERROR or MISSING node.
    @Test(arguments: [
        (
            "swift", "calc.swift", "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n\nlet total = add(\n",
            4, 16
        ),
        ("python", "calc.py", "def add(a, b):\n    return a + b\n\n\ntotal = add(\n", 4, 12),
    ])
    func completionOfAnUnfinishedCallLeavesTheFileParsing(
        language: String, file: String, text: String, line: Int,
        character: Int
    ) throws {
        let server = try ServerProcess()
        _ = try server.request("initialize", #"{"capabilities":{}}"#)
        server.notify("initialized")
        let uri = "file:///tmp/ws/\(file)"
        func quoted(_ s: String) -> String {
            String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
        }
        server.notify(
            "textDocument/didOpen",
            #"{"textDocument":{"uri":"\#(uri)","languageId":"\#(language)","version":1,"text":\#(quoted(text))}}"#)
        let completion = try server.request(
            "textDocument/completion",
            #"{"textDocument":{"uri":"\#(uri)"},"position":{"line":\#(line),"character":\#(character)}}"#)
        guard case .array(let items)? = completion.response["result"]?["items"], let item = items.first,
            let newText = item["textEdit"]?["newText"]?.stringValue,
            let start = item["textEdit"]?["range"]?["start"]?["character"]?.numberValue,
            let end = item["textEdit"]?["range"]?["end"]?["character"]?.numberValue
        else {
            throw TestFailure("no completion item for \(file): \(completion.response)")
        }
        // The text is ASCII, so characters are bytes; the edit is on `line`.
        var lines = text.components(separatedBy: "\n")
        let row = Array(lines[line].utf8)
        lines[line] = String(decoding: row[..<Int(start)] + Array(newText.utf8) + row[Int(end)...], as: UTF8.self)
        let edited = lines.joined(separator: "\n")
        server.notify(
            "textDocument/didChange",
            #"{"textDocument":{"uri":"\#(uri)","version":2},"contentChanges":[{"text":\#(quoted(edited))}]}"#)
        let state = try server.request("dlsp/documentState", #"{"textDocument":{"uri":"\#(uri)"}}"#)
        #expect(state.response["result"]?["treeVersion"] == .number(2))
        let tree = state.response["result"]?["tree"]?.stringValue ?? "(no tree)"
        #expect(
            !tree.contains("ERROR") && !tree.contains("MISSING") && tree != "(no tree)",
            "\(file) with \(newText.debugDescription) applied does not parse: \(tree)")
        server.notify("exit")
        _ = try server.waitForExit()
    }

    @Test func closingStdinWithoutExitEndsWithCodeOne() throws {
        let server = try ServerProcess()
        _ = try server.request("initialize", #"{"capabilities":{}}"#)
        server.closeInput()
        #expect(try server.waitForExit() == 1)
        #expect(server.stderrText().contains("input closed without shutdown and exit"))
    }

    @Test func garbageOnStdinNeverReachesStdoutAsAnythingButProtocol() throws {
        let server = try ServerProcess(arguments: ["--log-level", "debug"])
        server.send("{this is not json")
        let parseError = try server.readMessage()
        #expect(parseError["error"]?["code"] == .number(-32700))
        let initialize = try server.request("initialize", #"{"capabilities":{}}"#)
        #expect(initialize.response["result"]?["serverInfo"]?["name"] == .string("dlsp"))
        server.notify("exit")
        #expect(try server.waitForExit() == 1)
    }

    @Test func versionAndHelp() throws {
        let version = Process()
        version.executableURL = try Paths.dlsp
        version.arguments = ["--version"]
        let pipe = Pipe()
        version.standardOutput = pipe
        try version.run()
        version.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
