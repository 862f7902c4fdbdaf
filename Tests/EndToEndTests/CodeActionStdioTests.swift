import Foundation
import JSONRPC
import Testing

/// Code actions and renames through the real binary over stdio, with the embedded default model.
@Suite(.serialized) struct CodeActionStdioTests {
    static let capabilities =
        #"{"general":{"positionEncodings":["utf-16"]},"workspace":{"workspaceEdit":{"documentChanges":true}},"#
        + #""textDocument":{"codeAction":{"dataSupport":true,"resolveSupport":{"properties":["edit"]},"#
        + #""tagSupport":{"valueSet":[1]}}}}"#
    static let text =
        "def total(items):\n    tmp = 0\n    for item in items:\n        tmp = tmp + item\n    return tmp\n\n\n"
        + "def other():\n    tmp = 1\n    return tmp\n"
    /// Where `tmp` stands inside `total` (line, character): the rename must touch these and nothing else.
    static let occurrences: Set<[Int]> = [[1, 4], [3, 8], [3, 14], [4, 11]]

    static func edits(_ edit: JSONValue?, version: Int) throws -> [JSONValue] {
        guard case .array(let changes)? = edit?["documentChanges"], changes.count == 1,
            changes[0]["textDocument"]?["version"] == .number(Double(version)),
            case .array(let edits)? = changes[0]["edits"]
        else {
            throw TestFailure("expected one versioned document edit, got \(String(describing: edit))")
        }
        return edits
    }

    static func starts(_ edits: [JSONValue]) -> Set<[Int]> {
        Set(
            edits.compactMap { edit in
                guard let line = edit["range"]?["start"]?["line"]?.numberValue,
                    let character = edit["range"]?["start"]?["character"]?.numberValue
                else { return nil }
                return [Int(line), Int(character)]
            })
    }

    @Test func renameCodeActionAndRenameOverStdio() throws {
        let server = try ServerProcess()
        let initialize = try server.request(
            "initialize", #"{"processId":null,"capabilities":\#(Self.capabilities),"rootUri":"file:///tmp/ws"}"#)
        #expect(initialize.response["result"]?["capabilities"]?["renameProvider"]?["prepareProvider"] == .bool(true))
        server.notify("initialized")
        let uri = "file:///tmp/ws/calc.py"
        let encodedText = String(decoding: try JSONEncoder().encode(Self.text), as: UTF8.self)
        server.notify(
            "textDocument/didOpen",
            #"{"textDocument":{"uri":"\#(uri)","languageId":"python","version":1,"text":\#(encodedText)}}"#)

        // The model's rename suggestions at `return tmp` in `total`.
        let listed = try server.request(
            "textDocument/codeAction",
            #"{"textDocument":{"uri":"\#(uri)"},"#
                + #""range":{"start":{"line":4,"character":12},"end":{"line":4,"character":12}},"#
                + #""context":{"diagnostics":[],"only":["refactor.rewrite"],"triggerKind":1}}"#
        )
        guard case .array(let actions)? = listed.response["result"] else {
            throw TestFailure("codeAction failed: \(listed.response)")
        }
        for action in actions {
            guard let title = action["title"]?.stringValue, title.hasPrefix("Rename `tmp` → `") else {
                Issue.record("unexpected action \(action)"); continue
            }
            #expect(action["tags"] == .array([.number(1)]))
            let name = String(title.dropFirst("Rename `tmp` → `".count).dropLast())
            let body = String(decoding: try JSONEncoder().encode(action), as: UTF8.self)
            let resolved = try server.request("codeAction/resolve", body)
            let edits = try Self.edits(resolved.response["result"]?["edit"], version: 1)
            #expect(Self.starts(edits) == Self.occurrences)
            #expect(edits.allSatisfy { $0["newText"] == .string(name) })
        }
        print("rename actions over stdio: \(actions.compactMap { $0["title"]?.stringValue })")

        // The deterministic rename on the same reference finder.
        let renamed = try server.request(
            "textDocument/rename",
            #"{"textDocument":{"uri":"\#(uri)"},"position":{"line":4,"character":12},"newName":"acc"}"#)
        let edits = try Self.edits(renamed.response["result"], version: 1)
        #expect(Self.starts(edits) == Self.occurrences)
        #expect(edits.allSatisfy { $0["newText"] == .string("acc") })

        _ = try server.request("shutdown", "null")
        server.notify("exit")
        #expect(try server.waitForExit() == 0)
    }
}
