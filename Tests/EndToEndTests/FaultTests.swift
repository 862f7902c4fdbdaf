import Foundation
import JSONRPC
import Testing

/// Faults around a running server: it reports what broke, keeps serving what it can, and never loses the user's
/// text.
@Suite(.serialized) struct FaultTests {
    static let pythonText =
        "def mean(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total / len(xs)\n"

    func open(_ server: ServerProcess, options: String = "{}") throws {
        _ = try server.request("initialize", #"{"capabilities":{},"initializationOptions":\#(options)}"#)
        server.notify("initialized")
        let text = String(decoding: try JSONEncoder().encode(Self.pythonText), as: UTF8.self)
        server.notify(
            "textDocument/didOpen",
            #"{"textDocument":{"uri":"file:///tmp/ws/m.py","languageId":"python","version":1,"text":\#(text)}}"#)
    }

    func complete(_ server: ServerProcess) throws -> JSONValue {
        try server.request(
            "textDocument/completion",
            #"{"textDocument":{"uri":"file:///tmp/ws/m.py"},"position":{"line":3,"character":17}}"#
        ).response
    }

    func closeCleanly(_ server: ServerProcess) throws {
        let state = try server.request("dlsp/documentState", #"{"textDocument":{"uri":"file:///tmp/ws/m.py"}}"#)
        #expect(state.response["result"]?["text"] == .string(Self.pythonText), "the document text changed")
        _ = try server.request("shutdown", "null")
        server.notify("exit")
        #expect(try server.waitForExit() == 0)
    }

    /// A log file on a full disk (`/dev/full` fails every write with ENOSPC): said once on stderr, then the
    /// server goes on logging to stderr and answering.
    @Test func logFileOnAFullDisk() throws {
        let server = try ServerProcess(arguments: ["--log-file", "/dev/full"])
        try open(server)
        #expect(try complete(server)["result"] != nil)
        try closeCleanly(server)
        let log = server.stderrText()
        #expect(log.contains("cannot write the log file"))
        #expect(log.components(separatedBy: "cannot write the log file").count == 2, "reported more than once")
    }

    /// The model's files truncated and its config rewritten as garbage under a running server: completions keep
    /// coming from the model already loaded (its weights were copied out of the file when it loaded), and nothing
    /// the user typed is touched.
    ///
    /// Both the default model (f16, converted when loading) and an f32 checkpoint, whose tensors could be used in
    /// place from the file's memory map (where a truncated file would fault on the next read).
    @Test(arguments: ["Models/default", "Tests/Fixtures/engine/dream_tied"])
    func modelFilesDamagedWhileServing(model: String) throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("dlsp-fault-model-\(getpid())")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(model), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let server = try ServerProcess()
        try open(server, options: #"{"model":{"path":"\#(copy.path)"}}"#)
        let before = try complete(server)
        #expect(before["result"] != nil, "\(before)")

        let weights = copy.appendingPathComponent("model.safetensors")
        let handle = try FileHandle(forWritingTo: weights)
        try handle.truncate(atOffset: 100)
        try handle.close()
        try Data("{garbage".utf8).write(to: copy.appendingPathComponent("config.json"))

        let after = try complete(server)
        #expect(after["result"] != nil, "\(after)")
        try closeCleanly(server)
    }
}
