import Foundation
import JSONRPC
import LanguageServerProtocol
import SourceText
import TestSupport
import Testing

private func range(_ start: JSONValue, _ end: JSONValue) -> JSONValue {
    .object(["start": start, "end": end])
}

private func change(_ uri: String, version: Int, _ changes: [JSONValue]) -> JSONValue {
    .object([
        "textDocument": .object(["uri": .string(uri), "version": .number(Double(version))]),
        "contentChanges": .array(changes),
    ])
}

private func pos(_ line: Int, _ character: Int) -> JSONValue {
    .object(["line": .number(Double(line)), "character": .number(Double(character))])
}

struct LifecycleTests {
    @Test func requestsBeforeInitializeAreRefused() async throws {
        let client = TestClient()
        let error = try await client.requestError("textDocument/completion", Empty())
        #expect(error.code == -32002)
        try await client.initialize()
        let again = try await client.requestError("initialize", JSONValue.object(["capabilities": .object([:])]))
        #expect(again.code == -32600)
    }

    @Test func negotiatesUTF8WhenOfferedElseUTF16() async throws {
        let utf8 = try await TestClient().initialize(encodings: ["utf-16", "utf-8"])
        #expect(utf8["capabilities"]?["positionEncoding"]?.stringValue == "utf-8")
        let utf16 = try await TestClient().initialize(encodings: nil)
        #expect(utf16["capabilities"]?["positionEncoding"]?.stringValue == "utf-16")
        #expect(utf16["serverInfo"]?["name"]?.stringValue == "dlsp")
    }

    @Test func shutdownThenExitIsCodeZero() async throws {
        let client = TestClient()
        try await client.initialize()
        let result: JSONValue = try await client.request("shutdown", JSONValue.null)
        #expect(result == .null)
        let after = try await client.requestError("dlsp/documentState", JSONValue.object([:]))
        #expect(after.code == -32600)
        client.notify("exit", JSONValue.null)
        #expect(try await client.waitForExit() == 0)
    }

    @Test func exitWithoutShutdownIsCodeOne() async throws {
        let client = TestClient()
        try await client.initialize()
        client.notify("exit", JSONValue.null)
        #expect(try await client.waitForExit() == 1)
    }

    @Test func modelLoadingReportsWorkDoneProgress() async throws {
        let client = TestClient()
        try await client.initialize(workDoneProgress: true)
        let end = try await client.waitFor {
            guard case .message(.notification("$/progress", let body)) = $0,
                let params = try? body.params(as: ProgressParams.self)
            else { return false }
            return params.value.kind == "end" && params.value.message == "model ready"
        }
        _ = end
        let kinds = client.notifications("$/progress").compactMap { try? $0.params(as: ProgressParams.self).value.kind }
        #expect(kinds.contains("begin"))
        #expect(client.notifications("window/logMessage").count >= 1)
    }

    @Test func noProgressForClientsWithoutSupport() async throws {
        let client = TestClient()
        try await client.initialize(workDoneProgress: false)
        _ = try await client.waitFor {
            if case .message(.notification("window/logMessage", _)) = $0 { return true }
            return false
        }
        let creates = try? await client.waitFor(timeout: .milliseconds(200)) {
            if case .message(.request(_, "window/workDoneProgress/create", _)) = $0 { return true }
            return false
        }
        #expect(creates == nil)
        #expect(client.notifications("$/progress").isEmpty)
    }

    @Test func inputClosingWithoutExitEndsTheServer() async throws {
        let client = TestClient()
        try await client.initialize()
        client.closeInput()
        #expect(try await client.waitForExit() == 1)
    }
}

struct DocumentSyncTests {
    @Test func incrementalEditsInUTF16() async throws {
        let client = TestClient()
        try await client.initialize(encodings: ["utf-16"])
        let uri = "file:///workspace/a.swift"
        let marked = MarkedText("let ⟨a⟩😀⟨b⟩ = \"漢字 e\u{301}⟨c⟩\"\r\nprint(x)⟨end⟩")
        client.open(uri, marked.text)
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 2,
                [
                    .object(["range": range(marked.position("a"), marked.position("b")), "text": .string("smile")])
                ]))
        // Positions in the second change refer to the text after the first.
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 3,
                [
                    .object(["range": range(pos(0, 18), pos(0, 18)), "text": .string("!")]),
                    .object(["range": range(pos(1, 6), pos(1, 7)), "text": .string("👩‍👩‍👧")]),
                ]))
        let state = try await client.state(uri)
        #expect(state.version == 3)
        #expect(state.text == "let smile = \"漢字 e\u{301}!\"\r\nprint(👩‍👩‍👧)")
    }

    /// The server keeps each open document's syntax tree current by incremental reparsing: after a series of
    /// edits its tree is the one a fresh parse of the final text gives, at the document's version.
    @Test func keptSyntaxTreeFollowsIncrementalEdits() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/tree.py"
        client.open(uri, "def f(a):\n    return a\n", language: "python")
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 2,
                [
                    .object(["range": range(pos(1, 12), pos(1, 12)), "text": .string(" + 1")]),
                    .object(["range": range(pos(2, 0), pos(2, 0)), "text": .string("\nclass C:\n    x = [1,\n")]),
                ]))
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 3,
                [
                    .object(["range": range(pos(5, 0), pos(5, 0)), "text": .string("         2]\n")]),
                    .object(["range": range(pos(0, 4), pos(0, 5)), "text": .string("g😀")]),
                ]))
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 4,
                [
                    .object(["range": range(pos(0, 4), pos(0, 7)), "text": .string("go")])
                ]))
        let final = "def go(a):\n    return a + 1\n\nclass C:\n    x = [1,\n         2]\n"
        client.open("file:///workspace/fresh.py", final, language: "python")
        func tree(_ uri: String) async throws -> (version: Int?, text: String?, tree: String?) {
            let r: JSONValue = try await client.request(
                "dlsp/documentState",
                JSONValue.object(["textDocument": .object(["uri": .string(uri)])]))
            return (r["treeVersion"]?.numberValue.map { Int($0) }, r["text"]?.stringValue, r["tree"]?.stringValue)
        }
        let kept = try await tree(uri), fresh = try await tree("file:///workspace/fresh.py")
        #expect(kept.text == final)
        #expect(kept.version == 4)
        #expect(kept.tree != nil && kept.tree == fresh.tree)
        #expect(kept.tree?.contains("class_definition") == true && kept.tree?.contains("ERROR") == false)
        // A language without a grammar gets no tree, and the document still works.
        client.open("file:///workspace/notes.txt", "just words\n", language: "plaintext")
        let plain = try await tree("file:///workspace/notes.txt")
        #expect(plain.tree == nil && plain.text == "just words\n")
    }

    @Test func incrementalEditsInUTF8AndFullChanges() async throws {
        let client = TestClient()
        try await client.initialize(encodings: ["utf-8"])
        let uri = "file:///workspace/b.py"
        client.open(uri, "é = 1\n", language: "python")
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 2,
                [
                    .object(["range": range(pos(0, 2), pos(0, 2)), "text": .string("x")])
                ]))
        #expect(try await client.state(uri).text == "éx = 1\n")
        client.notify("textDocument/didChange", change(uri, version: 3, [.object(["text": .string("new\n")])]))
        #expect(try await client.state(uri) == (3, "new\n"))
        client.notify("textDocument/didClose", JSONValue.object(["textDocument": .object(["uri": .string(uri)])]))
        let closed = try await client.requestError(
            "dlsp/documentState",
            JSONValue.object(["textDocument": .object(["uri": .string(uri)])]))
        #expect(closed.code == -32602)
    }

    @Test func invalidEditIsRefusedAndReported() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/c.swift"
        client.open(uri, "one\ntwo\n")
        client.notify(
            "textDocument/didChange",
            change(
                uri, version: 2,
                [
                    .object(["range": range(pos(0, 0), pos(0, 1)), "text": .string("O")]),
                    .object(["range": range(pos(7, 0), pos(8, 0)), "text": .string("lost?")]),
                ]))
        #expect(try await client.state(uri) == (1, "one\ntwo\n"))
        _ = try await client.waitFor {
            if case .message(.notification("window/showMessage", _)) = $0 { return true }
            return false
        }
        // Edits to documents that were never opened are ignored; the server goes on.
        client.notify("textDocument/didChange", change("file:///never", version: 2, [.object(["text": .string("x")])]))
        #expect(try await client.state(uri).text == "one\ntwo\n")
    }

    /// A client that keeps sending edits the server must refuse is told once per document, not once per edit
    /// (each refusal has its own reason, which goes to the log).
    @Test func refusedEditsAreReportedOncePerDocument() async throws {
        let client = TestClient()
        try await client.initialize()
        let first = "file:///workspace/e.swift", second = "file:///workspace/f.swift"
        client.open(first, "one\n")
        client.open(second, "two\n")
        for (version, line) in [(2, 5), (3, 9), (4, 40)] {
            client.notify(
                "textDocument/didChange",
                change(
                    first, version: version,
                    [
                        .object(["range": range(pos(line, 0), pos(line, 0)), "text": .string("x")])
                    ]))
        }
        client.notify(
            "textDocument/didChange",
            change(
                second, version: 2,
                [
                    .object(["range": range(pos(7, 0), pos(7, 0)), "text": .string("y")])
                ]))
        #expect(try await client.state(first) == (1, "one\n"))
        #expect(try await client.state(second) == (1, "two\n"))
        let messages = client.notifications("window/showMessage").compactMap {
            (try? $0.params(as: MessageParams.self))?.message
        }
        #expect(messages.filter { $0.contains(first) }.count == 1)
        #expect(messages.filter { $0.contains(second) }.count == 1)
    }

    @Test func completionPositionOutOfRange() async throws {
        let client = TestClient()
        try await client.initialize()
        let uri = "file:///workspace/d.swift"
        client.open(uri, "a\n")
        let params = JSONValue.object(["textDocument": .object(["uri": .string(uri)]), "position": pos(5, 0)])
        let error = try await client.requestError("textDocument/completion", params)
        #expect(error.code == -32602)
        #expect(error.message.contains("past the end"))
    }
}

/// Every bad input gets its precise answer, and the next normal request still succeeds.
struct BadInputTests {
    private func expectStillUsable(_ client: TestClient) async throws {
        let uri = "file:///workspace/ok.swift"
        client.open(uri, "fine")
        #expect(try await client.state(uri).text == "fine")
    }

    @Test func invalidJSON() async throws {
        let client = TestClient()
        try await client.initialize()
        // The id cannot be read from invalid JSON, so the parse error answers with id null.
        client.sendRawBody("{\"jsonrpc\": \"2.0\", \"id\": 41, \"method\": ")
        guard case .failure(let error) = try await client.waitForResponse(id: nil) else {
            Issue.record("parse error not reported"); return
        }
        #expect(error.code == -32700)
        try await expectStillUsable(client)
    }

    @Test func messageWithoutMethodOrResult() async throws {
        let client = TestClient()
        try await client.initialize()
        client.sendRawBody(#"{"jsonrpc":"2.0","id":77}"#)
        guard case .failure(let error) = try await client.waitForResponse(id: .int(77)) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == -32600)
        try await expectStillUsable(client)
    }

    @Test func wrongShapesAndUnknownMethods() async throws {
        let client = TestClient()
        try await client.initialize()
        client.sendRawBody(#"{"jsonrpc":"2.0","id":1001,"method":"no/such/method"}"#)
        guard case .failure(let unknown) = try await client.waitForResponse(id: .int(1001)) else {
            Issue.record("unknown method succeeded"); return
        }
        #expect(unknown.code == -32601)
        client.sendRawBody(
            #"{"jsonrpc":"2.0","id":1002,"method":"textDocument/completion","params":{"position":"top"}}"#)
        guard case .failure(let shape) = try await client.waitForResponse(id: .int(1002)) else {
            Issue.record("bad params accepted"); return
        }
        #expect(shape.code == -32602)
        client.sendRawBody(#"{"jsonrpc":"2.0","method":"$/unknownNotification","params":{}}"#)
        client.sendRawBody(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":7}}"#)
        try await expectStillUsable(client)
    }

    @Test func framingErrors() async throws {
        let client = TestClient()
        try await client.initialize()
        client.sendRaw(Array("Content-Type: application/json\r\n\r\n{}".utf8))  // no Content-Length
        try await expectStillUsable(client)
        // Over the cap (1 MiB in this client): answered with an error, skipped as it streams, never buffered.
        let huge = #"{"jsonrpc":"2.0","id":5,"method":"m","params":""# + String(repeating: "x", count: 2 << 20) + #""}"#
        client.sendRawBody(huge)
        guard case .failure(let error) = try await client.waitForResponse(id: nil) else {
            Issue.record("oversized body not reported"); return
        }
        #expect(error.message.contains("exceeds"))
        let uri = "file:///workspace/after.swift"
        client.open(uri, "after")
        #expect(try await client.state(uri).text == "after")
    }

    @Test func absurdContentLengthDoesNotSwallowLaterRequests() async throws {
        let client = TestClient()
        try await client.initialize()
        // A length far over the cap with no body behind it: answered like any oversized body, and the server takes
        // the next header instead of waiting for 99999999999 bytes that never come.
        client.sendRaw(Array("Content-Length: 99999999999\r\n\r\n".utf8))
        guard case .failure(let error) = try await client.waitForResponse(id: nil) else {
            Issue.record("oversized length not reported"); return
        }
        #expect(error.message.contains("exceeds"))
        let result: JSONValue = try await client.request("shutdown", JSONValue.null)
        #expect(result == .null)
    }

    @Test func contentLengthLargerThanBody() async throws {
        let client = TestClient()
        try await client.initialize()
        let body = #"{"jsonrpc":"2.0","method":"initialized"}"#
        client.sendRaw(Array("Content-Length: \(body.utf8.count + 25)\r\n\r\n\(body)".utf8))
        // The short body swallows the start of the next message; the server answers a parse error, resynchronises
        // on the following header, and carries on.
        client.sendRawBody(#"{"jsonrpc":"2.0","method":"initialized"}"#)
        try await expectStillUsable(client)
    }

    @Test func invalidUTF8InDocumentText() async throws {
        let client = TestClient()
        try await client.initialize()
        var body = Array(
            (#"{"jsonrpc":"2.0","method":"textDocument/didOpen","#
                + #""params":{"textDocument":{"uri":"file:///u","languageId":"c","version":1,"text":"ok"#)
                .utf8)
        body += [0xC3, 0x28, 0xFF]
        body += Array(#" end"}}}"#.utf8)
        client.sendRaw(Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        #expect(try await client.state("file:///u").text == "ok\u{FFFD}(\u{FFFD} end")
        let utf8Messages = client.notifications("window/showMessage").filter {
            (try? $0.params(as: MessageParams.self))?.message.contains("UTF-8") == true
        }
        #expect(utf8Messages.count == 1)
    }

    @Test func cancellingAnUnknownRequestIsHarmless() async throws {
        let client = TestClient()
        try await client.initialize()
        client.notify("$/cancelRequest", JSONValue.object(["id": .number(12345)]))
        try await expectStillUsable(client)
    }
}
