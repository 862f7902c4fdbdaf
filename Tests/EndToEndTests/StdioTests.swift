import Foundation
import JSONRPC
import Testing

/// The real binary over real stdio, as an editor launches it.
@Suite(.serialized) struct StdioTests {
    @Test func handshakeEditCancelShutdownExit() throws {
        let server = try ServerProcess()
        let initialize = try server.request("initialize", #"{"processId":null,"capabilities":{"general":{"positionEncodings":["utf-8","utf-16"]}},"rootUri":"file:///tmp/ws"}"#)
        #expect(initialize.response["result"]?["capabilities"]?["positionEncoding"] == .string("utf-8"))
        server.notify("initialized")
        server.notify("textDocument/didOpen", #"{"textDocument":{"uri":"file:///tmp/ws/a.py","languageId":"python","version":1,"text":"def f():\n    return 1\n"}}"#)
        server.notify("textDocument/didChange", #"{"textDocument":{"uri":"file:///tmp/ws/a.py","version":2},"contentChanges":[{"range":{"start":{"line":1,"character":11},"end":{"line":1,"character":12}},"text":"42 # é"}]}"#)
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
