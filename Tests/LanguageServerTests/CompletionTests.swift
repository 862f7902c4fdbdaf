import Foundation
import JSONRPC
import LanguageServerProtocol
import SourceText
import TestSupport
import Testing

private func completionParams(_ uri: String, _ position: JSONValue) -> JSONValue {
    .object(["textDocument": .object(["uri": .string(uri)]), "position": position])
}

/// Completion through the in-process server with the embedded default model.
struct CompletionTests {
    @Test func completionItemsCarryAnEditAtTheCursor() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/calc.py"
        let marked = MarkedText("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return ⟨cursor⟩\n")
        client.open(uri, marked.text, language: "python")
        let result: CompletionList = try await client.request(
            "textDocument/completion",
            completionParams(uri, marked.position("cursor")))
        #expect(result.isIncomplete)
        // Asked for explicitly, the server shows even an unsure fill: an empty list would leave the checks below
        // nothing to check.
        #expect(!result.items.isEmpty)
        for item in result.items {
            guard case .textEdit(let edit) = item.textEdit else {
                Issue.record("expected a TextEdit for a client without insertReplaceSupport"); continue
            }
            #expect(edit.range.start == edit.range.end)  // nothing typed yet: a pure insertion
            #expect(edit.range.start == Position(line: 5, character: 11))
            #expect(!edit.newText.contains("\n"))  // code before the cursor: rest of the line
            #expect(item.insertTextFormat == 1)
        }
    }

    @Test func cancelledRequestIsAnsweredRequestCancelled() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/c.swift"
        client.open(uri, "let x = \n")
        client.sendRawBody(
            #"{"jsonrpc":"2.0","id":501,"method":"textDocument/completion","#
                + #""params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":0,"character":8}}}"#
        )
        client.notify("$/cancelRequest", JSONValue.object(["id": .number(501)]))
        guard case .failure(let error) = try await client.waitForResponse(id: .int(501)) else {
            Issue.record("the cancelled request succeeded"); return
        }
        #expect(error.code == -32800)
        // The server serves the next request normally.
        #expect(try await client.state(uri).text == "let x = \n")
    }

    @Test func newerCompletionSupersedesTheOlder() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/s.swift"
        client.open(uri, "let x = \nlet y = \n")
        client.sendRawBody(
            #"{"jsonrpc":"2.0","id":601,"method":"textDocument/completion","#
                + #""params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":0,"character":8}}}"#
        )
        client.sendRawBody(
            #"{"jsonrpc":"2.0","id":602,"method":"textDocument/completion","#
                + #""params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":1,"character":8}}}"#
        )
        guard case .success(let older) = try await client.waitForResponse(id: .int(601)) else {
            Issue.record("the superseded request failed"); return
        }
        let list = try older.result(as: CompletionList.self)
        #expect(list.isIncomplete && list.items.isEmpty)
        guard case .success = try await client.waitForResponse(id: .int(602)) else {
            Issue.record("the newer request failed"); return
        }
    }

    @Test func missingModelIsReportedNotInvented() async throws {
        let client = TestClient()
        let _: JSONValue = try await client.request(
            "initialize",
            JSONValue.object([
                "capabilities": .object([:]),
                "initializationOptions": .object([
                    "model": .object(["path": .string("/nonexistent/model")]),
                    "bogus": .bool(true),
                ]),
            ]))
        client.notify("initialized", Empty())
        let uri = "file:///workspace/m.py"
        client.open(uri, "x = \n", language: "python")
        let error = try await client.requestError(
            "textDocument/completion",
            completionParams(
                uri,
                .object([
                    "line": .number(0), "character": .number(4),
                ])))
        #expect(error.code == -32803)
        #expect(error.message.contains("/nonexistent/model"))
        let messages = client.notifications("window/showMessage").compactMap {
            (try? $0.params(as: MessageParams.self))?.message
        }
        #expect(messages.contains { $0.contains("bogus") })
        #expect(messages.contains { $0.contains("failed to load") })
    }
}
