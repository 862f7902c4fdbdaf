import Foundation
import JSONRPC
import LanguageServerProtocol
import SourceText
import TestSupport
import Testing

/// Initializes with the capabilities code actions look at.
private func initializeForActions(
    _ client: TestClient, resolve: Bool = true, tags: Bool = true,
    documentChanges: Bool = true, root: String = "file:///workspace",
    workDoneProgress: Bool = false
) async throws -> JSONValue {
    var codeAction: [String: JSONValue] = [:]
    if resolve {
        codeAction["dataSupport"] = .bool(true)
        codeAction["resolveSupport"] = .object(["properties": .array([.string("edit")])])
    }
    if tags { codeAction["tagSupport"] = .object(["valueSet": .array([.number(1)])]) }
    let result: JSONValue = try await client.request(
        "initialize",
        JSONValue.object([
            "processId": .null,
            "capabilities": .object([
                "general": .object(["positionEncodings": .array([.string("utf-16")])]),
                "workspace": .object(["workspaceEdit": .object(["documentChanges": .bool(documentChanges)])]),
                "textDocument": .object(["codeAction": .object(codeAction)]),
                "window": .object(["workDoneProgress": .bool(workDoneProgress)]),
            ]),
            "workspaceFolders": .array([.object(["uri": .string(root), "name": .string("workspace")])]),
        ]))
    client.notify("initialized", Empty())
    return result
}

private func codeActionParams(
    _ uri: String, _ start: JSONValue, _ end: JSONValue, triggerKind: Int = 1,
    only: [String]? = nil
) -> JSONValue {
    var context: [String: JSONValue] = ["diagnostics": .array([]), "triggerKind": .number(Double(triggerKind))]
    if let only { context["only"] = .array(only.map(JSONValue.string)) }
    return .object([
        "textDocument": .object(["uri": .string(uri)]),
        "range": .object(["start": start, "end": end]), "context": .object(context),
    ])
}

private func positionParams(_ uri: String, _ position: JSONValue, newName: String? = nil) -> JSONValue {
    var members: [String: JSONValue] = ["textDocument": .object(["uri": .string(uri)]), "position": position]
    if let newName { members["newName"] = .string(newName) }
    return .object(members)
}

/// `text` with LSP edits (UTF-16 positions) applied, as an editor applies them.
private func applying(_ edits: [LanguageServerProtocol.TextEdit], to text: String) throws -> String {
    var document = TextDocument(uri: "", languageID: "", version: 0, text: text)
    let changes = edits.sorted {
        ($0.range.start.line, $0.range.start.character) > ($1.range.start.line, $1.range.start.character)
    }
    .map {
        TextChange(
            range: ClosedRangeOfPositions(
                start: LineColumn(line: $0.range.start.line, column: $0.range.start.character),
                end: LineColumn(line: $0.range.end.line, column: $0.range.end.character)),
            text: $0.newText)
    }
    try document.apply(changes, version: 1, encoding: .utf16)
    return document.text
}

/// The single versioned document edit of a workspace edit.
private func documentEdit(_ edit: WorkspaceEdit?, uri: String, version: Int) throws -> [LanguageServerProtocol.TextEdit]
{
    let changes = try #require(edit?.documentChanges)
    #expect(changes.count == 1)
    let change = try #require(changes.first)
    #expect(change.textDocument.uri == uri)
    #expect(change.textDocument.version == version)
    #expect(edit?.changes == nil)
    return change.edits
}

private let source = MarkedText(
    """
    import os


    def total(items):
        tmp = 0
        for item in items:
            tmp = tmp + item
        return t⟨cursor⟩mp


    def other():
        ⟨unused⟩unused = 42
        tmp = os.sep
        return tmp

    """)

private let renamedInTotal = """
    import os


    def total(items):
        acc = 0
        for item in items:
            acc = acc + item
        return acc


    def other():
        unused = 42
        tmp = os.sep
        return tmp

    """

/// Code actions and renames through the in-process server with the embedded default model.
@Suite("Code actions through the server")
struct CodeActionTests {
    static let uri = "file:///workspace/calc.py"

    @Test func capabilitiesAdvertiseCodeActionsAndRename() async throws {
        let client = TestClient()
        let result = try await initializeForActions(client)
        let capabilities = try #require(result["capabilities"])
        #expect(capabilities["codeActionProvider"]?["resolveProvider"] == .bool(true))
        #expect(
            capabilities["codeActionProvider"]?["codeActionKinds"]
                == .array([.string("quickfix"), .string("refactor.rewrite")]))
        #expect(capabilities["renameProvider"]?["prepareProvider"] == .bool(true))
    }

    @Test func prepareRenameAndRenameWithVersionedDocumentChanges() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let prepared: PrepareRenameResult = try await client.request(
            "textDocument/prepareRename",
            positionParams(Self.uri, source.position("cursor")))
        #expect(prepared.placeholder == "tmp")
        #expect(prepared.range == .init(start: .init(line: 7, character: 11), end: .init(line: 7, character: 14)))

        let edit: WorkspaceEdit = try await client.request(
            "textDocument/rename",
            positionParams(Self.uri, source.position("cursor"), newName: "acc"))
        let edits = try documentEdit(edit, uri: Self.uri, version: 1)
        #expect(edits.count == 4)
        #expect(try applying(edits, to: source.text) == renamedInTotal)
    }

    @Test func renameErrorsSayWhatIsWrong() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let onKeyword = try await client.requestError(
            "textDocument/prepareRename",
            positionParams(
                Self.uri, .object(["line": .number(3), "character": .number(1)])))
        #expect(onKeyword.code == -32803)
        #expect(onKeyword.message.contains("not on a renameable identifier"))
        let invalid = try await client.requestError(
            "textDocument/rename",
            positionParams(Self.uri, source.position("cursor"), newName: "1x"))
        #expect(invalid.code == -32602)
        #expect(invalid.message.contains("not a valid identifier"))
        let taken = try await client.requestError(
            "textDocument/rename",
            positionParams(Self.uri, source.position("cursor"), newName: "items"))
        #expect(taken.code == -32803)
        #expect(taken.message.contains("already used"))
        let keyword = try await client.requestError(
            "textDocument/rename",
            positionParams(Self.uri, source.position("cursor"), newName: "while"))
        #expect(keyword.message.contains("reserved"))
    }

    @Test func renameSuggestionsAreListedTaggedAndResolved() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let cursor = source.position("cursor")
        let actions: [CodeAction] = try await client.request(
            "textDocument/codeAction", codeActionParams(Self.uri, cursor, cursor, only: ["refactor.rewrite"]))
        #expect(actions.allSatisfy { $0.kind == "refactor.rewrite" })
        let renames = actions.filter { $0.title.hasPrefix("Rename `tmp` → `") }
        // At a cursor the model may also judge a statement redundant; each such action deletes one statement.
        let deletions = actions.filter {
            $0.title.hasPrefix("Remove `") && $0.title.contains("the model expects nothing there")
        }
        #expect(renames.count + deletions.count == actions.count)
        for action in deletions {
            #expect(action.tags == [1] && action.edit == nil)
            let resolved: CodeAction = try await client.request("codeAction/resolve", action)
            let edits = try documentEdit(resolved.edit, uri: Self.uri, version: 1)
            #expect(edits.count == 1 && edits.allSatisfy { $0.newText.isEmpty })
        }
        for action in renames {
            #expect(action.tags == [1])
            #expect(action.edit == nil)  // computed on resolve
            let name = String(action.title.dropFirst("Rename `tmp` → `".count).dropLast())
            let resolved: CodeAction = try await client.request("codeAction/resolve", action)
            let edits = try documentEdit(resolved.edit, uri: Self.uri, version: 1)
            #expect(edits.count == 4)
            #expect(edits.allSatisfy { $0.newText == name })
            #expect(try applying(edits, to: source.text) == renamedInTotal.replacingOccurrences(of: "acc", with: name))
        }
        if renames.isEmpty {
            // The model's names were all filtered out; the deterministic rename of the same symbol still works.
            let edit: WorkspaceEdit = try await client.request(
                "textDocument/rename", positionParams(Self.uri, cursor, newName: "acc"))
            #expect(try applying(try documentEdit(edit, uri: Self.uri, version: 1), to: source.text) == renamedInTotal)
        }
    }

    @Test func quickFixResolvesToAVersionedDeletion() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let at = source.position("unused")
        // An automatic request (the cursor moved): syntax actions only, no model time.
        let actions: [CodeAction] = try await client.request(
            "textDocument/codeAction",
            codeActionParams(Self.uri, at, at, triggerKind: 2))
        #expect(actions.map(\.title) == ["Remove unused variable `unused`"])
        let action = try #require(actions.first)
        #expect(action.kind == "quickfix")
        #expect(action.tags == nil)  // not from the model
        #expect(action.edit == nil)
        let resolved: CodeAction = try await client.request("codeAction/resolve", action)
        let edits = try documentEdit(resolved.edit, uri: Self.uri, version: 1)
        #expect(
            try applying(edits, to: source.text) == source.text.replacingOccurrences(of: "    unused = 42\n", with: ""))
    }

    /// A model deletion resolves, like every action, from its data alone: the statement's whole lines go.
    @Test func modelDeletionResolvesToTheStatementsLines() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let statement = "unused = 42"
        let start = try #require(Array(source.text.utf8).firstRange(of: Array(statement.utf8))).lowerBound
        let action = CodeAction(
            title: "Remove `\(statement)` (the model expects nothing there: 80%)",
            kind: "refactor.rewrite",
            data: .object([
                "uri": .string(Self.uri), "version": .number(1), "kind": .string("delete"),
                "start": .number(Double(start)), "end": .number(Double(start + statement.utf8.count)),
                "title": .string("Remove `\(statement)`"),
            ]))
        let resolved: CodeAction = try await client.request("codeAction/resolve", action)
        let edits = try documentEdit(resolved.edit, uri: Self.uri, version: 1)
        #expect(
            try applying(edits, to: source.text) == source.text.replacingOccurrences(of: "    unused = 42\n", with: ""))
    }

    @Test func staleActionIsRefusedAfterAnEdit() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        client.open(Self.uri, source.text, language: "python")
        let at = source.position("unused")
        let actions: [CodeAction] = try await client.request(
            "textDocument/codeAction",
            codeActionParams(Self.uri, at, at, triggerKind: 2))
        let action = try #require(actions.first)
        client.notify(
            "textDocument/didChange",
            JSONValue.object([
                "textDocument": .object(["uri": .string(Self.uri), "version": .number(2)]),
                "contentChanges": .array([
                    .object([
                        "range": .object([
                            "start": .object(["line": .number(0), "character": .number(0)]),
                            "end": .object(["line": .number(0), "character": .number(0)]),
                        ]),
                        "text": .string("# edited\n"),
                    ])
                ]),
            ]))
        let error = try await client.requestError("codeAction/resolve", action)
        #expect(error.code == -32801)
        // Asked again, the action is offered for the new version and resolves against it.
        let moved = JSONValue.object(["line": .number(12), "character": .number(4)])
        let fresh: [CodeAction] = try await client.request(
            "textDocument/codeAction",
            codeActionParams(Self.uri, moved, moved, triggerKind: 2))
        let resolved: CodeAction = try await client.request("codeAction/resolve", try #require(fresh.first))
        _ = try documentEdit(resolved.edit, uri: Self.uri, version: 2)
    }

    @Test func clientWithoutResolveOrTagsGetsEagerEditsAsChanges() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client, resolve: false, tags: false, documentChanges: false)
        client.open(Self.uri, source.text, language: "python")
        let cursor = source.position("cursor")
        let at = source.position("unused")
        let fixes: [CodeAction] = try await client.request(
            "textDocument/codeAction",
            codeActionParams(Self.uri, at, at, triggerKind: 2))
        let fix = try #require(fixes.first)
        let changes = try #require(fix.edit?.changes?[Self.uri])
        #expect(fix.edit?.documentChanges == nil)
        #expect(
            try applying(changes, to: source.text)
                == source.text.replacingOccurrences(of: "    unused = 42\n", with: ""))
        let renames: [CodeAction] = try await client.request(
            "textDocument/codeAction", codeActionParams(Self.uri, cursor, cursor, only: ["refactor"]))
        for action in renames {
            #expect(action.tags == nil)
            let edits = try #require(action.edit?.changes?[Self.uri])
            #expect(edits.count == 4)
        }
    }

    @Test func selectionRegenerationIsOfferedAndConfinedToTheSelection() async throws {
        let client = TestClient()
        _ = try await initializeForActions(client)
        let marked = MarkedText(
            "def add(a, b):\n    return a + b\n\n\n"
                + "def mul(a, b):\n⟨start⟩    return a * b\n⟨end⟩\n\nprint(mul(2, 3))\n"
        )
        client.open(Self.uri, marked.text, language: "python")
        let actions: [CodeAction] = try await client.request(
            "textDocument/codeAction",
            codeActionParams(
                Self.uri, marked.position("start"), marked.position("end"),
                only: ["refactor.rewrite"]))
        let action = try #require(actions.first { $0.title == "Regenerate the selection with the model" })
        #expect(action.tags == [1])
        do {
            let resolved: CodeAction = try await client.request("codeAction/resolve", action)
            let edits = try documentEdit(resolved.edit, uri: Self.uri, version: 1)
            #expect(edits.count == 1)
            let range = try #require(edits.first?.range)
            #expect(range.start == Position(line: 5, character: 0) && range.end == Position(line: 6, character: 0))
        } catch let error as ResponseError {
            // A weak model may propose nothing that parses; that is said, not papered over.
            #expect(error.code == -32803 && error.message.contains("proposed nothing"))
        }
    }

    @Test func renamingATopLevelSymbolReachesTheFilesThatImportIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-rename-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let util = "def helper(value):\n    return value * 2\n"
        let main = "from util import helper\n\nprint(helper(3))\n"
        // Its own `helper`: the same name, another symbol.
        let other = "def helper():\n    return 0\n\nhelper()\n"
        try util.write(to: folder.appendingPathComponent("util.py"), atomically: true, encoding: .utf8)
        try main.write(to: folder.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        try other.write(to: folder.appendingPathComponent("other.py"), atomically: true, encoding: .utf8)
        let client = TestClient()
        // The workspace is indexed in the background, and the server says when it is done with work-done
        // progress, which it sends only to a client that declares support.
        _ = try await initializeForActions(client, root: folder.absoluteString, workDoneProgress: true)
        let uri = folder.appendingPathComponent("util.py").absoluteString
        let mainURI = folder.appendingPathComponent("main.py").absoluteString
        client.open(uri, util, language: "python")
        let position = JSONValue.object(["line": .number(0), "character": .number(6)])
        // Loading the model reports progress too: the indexing is the one begun under its title.
        let indexing = try await client.waitForNotification(
            "$/progress", as: ProgressParams.self,
            timeout: .seconds(60)
        ) {
            $0.value.kind == "begin" && $0.value.title == "dlsp: indexing the workspace"
        }.token
        _ = try await client.waitForNotification("$/progress", as: ProgressParams.self, timeout: .seconds(60)) {
            $0.token == indexing && $0.value.kind == "end"
        }
        let renamed: WorkspaceEdit = try await client.request(
            "textDocument/rename",
            positionParams(uri, position, newName: "double"))
        let changes = try #require(renamed.documentChanges)
        #expect(changes.map(\.textDocument.uri) == [uri, mainURI])
        let own = try #require(changes.first { $0.textDocument.uri == uri })
        #expect(own.textDocument.version == 1)
        #expect(try applying(own.edits, to: util) == util.replacingOccurrences(of: "helper", with: "double"))
        // main.py is not open: its edit is unversioned, and renames the import with the call.
        let imported = try #require(changes.first { $0.textDocument.uri == mainURI })
        #expect(imported.textDocument.version == nil)
        #expect(try applying(imported.edits, to: main) == main.replacingOccurrences(of: "helper", with: "double"))
        let message = client.notifications("window/showMessage").compactMap { try? $0.params(as: MessageParams.self) }
            .first { $0.message.contains("other.py") }
        #expect(message?.message.contains("left alone") == true)
        #expect(message?.type == 2)

        // Open in the editor, main.py is edited at its version; a name it already uses is refused.
        client.open(mainURI, main, language: "python", version: 7)
        let edit: WorkspaceEdit = try await client.request(
            "textDocument/rename",
            positionParams(uri, position, newName: "double"))
        #expect(edit.documentChanges?.first { $0.textDocument.uri == mainURI }?.textDocument.version == 7)
        let taken = try await client.requestError(
            "textDocument/rename", positionParams(uri, position, newName: "print"))
        #expect(taken.message.contains("main.py"))

        // The model's names resolve the same way: both files, each at its version.
        let actions: [CodeAction] = try await client.request(
            "textDocument/codeAction", codeActionParams(uri, position, position, only: ["refactor.rewrite"]))
        for action in actions {
            let resolved: CodeAction = try await client.request("codeAction/resolve", action)
            let documents = try #require(resolved.edit?.documentChanges)
            #expect(documents.map(\.textDocument.uri) == [uri, mainURI])
            #expect(documents.map(\.textDocument.version) == [1, 7])
            #expect(documents.map(\.edits.count) == [1, 2])
        }
    }
}
