/// Hand-written seeds for the targets whose input is not a fixture file: one well-formed example of each kind of
/// input the reader meets, and a few of the malformed ones the unit tests name, so that mutation starts near every
/// branch.
enum SeedInputs {
    static func inputs(for target: FuzzTarget) -> [[UInt8]] {
        switch target {
        case .framer:
            let body = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
            return [
                [3] + bytes("Content-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                [1]
                    + bytes(
                        "content-length: 5\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}{}x"),
                [0]
                    + bytes(
                        "Content-Length: 300\r\n\r\n" + String(repeating: "x", count: 300) + "Content-Length: 2\n\n{}"),
                [2] + bytes("Content-Length: -1\r\n\r\nContent-Length: abc\r\n\r\ngarbageContent-Length: 2\r\n\r\n[]"),
            ]
        case .jsonrpc:
            return [
                #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"processId":null}}"#,
                #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","#
                    + #""languageId":"python","version":1,"text":"x = 1\n"}}}"#,
                #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","#
                    + #""version":2},"contentChanges":[{"range":{"start":{"line":0,"character":4},"#
                    + #""end":{"line":0,"character":5}},"text":"2"}]}}"#,
                #"{"jsonrpc":"2.0","id":"c1","method":"textDocument/completion","#
                    + #""params":{"textDocument":{"uri":"file:///a.py"},"position":{"line":0,"character":3},"#
                    + #""context":{"triggerKind":1}}}"#,
                #"{"jsonrpc":"2.0","id":7,"method":"textDocument/inlineCompletion","#
                    + #""params":{"textDocument":{"uri":"file:///a.py"},"position":{"line":0,"character":3},"#
                    + #""context":{"triggerKind":2}}}"#,
                #"{"jsonrpc":"2.0","id":8,"method":"textDocument/codeAction","#
                    + #""params":{"textDocument":{"uri":"file:///a.py"},"#
                    + #""range":{"start":{"line":0,"character":0},"end":{"line":1,"character":0}},"#
                    + #""context":{"diagnostics":[]}}}"#,
                #"{"jsonrpc":"2.0","id":3,"result":null}"#,
                #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#,
                #"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
                "[1,2", "\u{FFFD}\u{0}",
            ].map(bytes)
        case .textDocument:
            return [
                [1] + bytes("def f(x):\r\n    return x\n# é 😀\r") + [0] + [0, 4, 0, 8, 0, 3] + bytes("abc")
                    + [1, 0, 1, 200, 1, 2] + bytes("\r\n") + [2, 0, 0, 0, 0, 0],
                [0] + bytes("a\u{301}b🎉c\n\n") + [0] + [0, 2, 0, 3, 0, 0] + [3, 0, 250, 250, 0, 1] + bytes("z"),
                [2] + bytes("x") + [0] + [255, 0, 0, 0, 0, 0] + [0, 1, 0, 0, 0, 0],
            ]
        case .tokenizer:
            return [
                "def mean(xs):\n    return sum(xs) / len(xs)\n",
                "func f() -> Int { return 1 } // é\u{301} 漢字 👩‍👩‍👧‍👦\r\n\t",
                "<|mask|><|endoftext|>'s'LL <|file_sep|>",
            ].map(bytes) + [[0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF4, 0x90]]
        case .httpBody:
            return [
                #"{"model":"dlsp","prompt":"def f(","suffix":"):\n","#
                    + #""max_tokens":16,"temperature":0,"stop":["\n"],"n":2}"#,
                #"{"prompt":"x","stream":true,"user":"u","path":"a.py"}"#,
                #"{"prompt":null,"max_tokens":1e400,"n":-1,"stop":[1,2]}"#,
                #"[{"prompt":"x"}]"#,
            ].map(bytes)
        case .hubRevision:
            let commit = "0123456789abcdef0123456789abcdef01234567"
            return [
                #"{"sha":"\#(commit)","siblings":["#
                    + #"{"rfilename":"config.json","size":512,"blobId":"\#(String(repeating: "b", count: 40))"},"#
                    + #"{"rfilename":"model.safetensors","size":135,"#
                    + #""lfs":{"sha256":"\#(String(repeating: "d", count: 64))","size":988097824}}]}"#,
                #"{"sha":"\#(commit)","siblings":[{"rfilename":"a/../../b","size":1}]}"#,
                #"{"sha":"main","siblings":[]}"#,
                #"{"sha":"\#(commit)","siblings":[{"rfilename":"x","size":-1,"blobId":"zz"}]}"#,
            ].map(bytes)
        case .tokenizerFile, .safetensors, .gguf, .modelConfig:
            return []  // derived from the fixture files (FuzzResources.seeds)
        }
    }

    private static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
}
