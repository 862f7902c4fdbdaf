import Engine
import Foundation
import JSONRPC
import LanguageServerProtocol

/// The protocol readers: framing and JSON-RPC messages, the first code every editor's bytes reach.
enum ProtocolTargets {
    /// Framing is a streaming parser, so its answer must not depend on how the stream was cut into reads: the
    /// input is fed once whole and once in random chunks, and both must give the same messages and errors. The
    /// first byte picks the body size limit, so that oversized bodies (reported, then resynchronised past) occur too.
    ///
    /// Inputs are cut at 16 KiB: past 64 KiB without a blank line the framer gives up on a header block as it
    /// arrives, which legitimately depends on the chunking.
    static func framer(_ input: [UInt8]) throws(FuzzFinding) {
        guard let first = input.first else { return }
        let limits = [16, 256, 4096, 64 << 20]
        let limit = limits[Int(first) % limits.count]
        let stream = Array(input.dropFirst().prefix(16 << 10))

        var whole = MessageFramer(maximumBodySize: limit)
        whole.append(stream)
        let expected = drain(&whole)

        var chunked = MessageFramer(maximumBodySize: limit)
        var random = SeededRNG(seed: fnv1a(input))
        var events: [MessageFramer.Event] = []
        var index = 0
        while index < stream.count {
            let size = 1 + Int(random.next() % 64)
            chunked.append(stream[index..<min(stream.count, index + size)])
            index += size
            events += drain(&chunked)
        }
        guard events == expected else {
            throw FuzzFinding("framer: chunked reads gave \(events.count) events, one read gave \(expected.count)")
        }
        for case .message(let body) in expected where body.count > limit {
            throw FuzzFinding("framer: a \(body.count)-byte body passed the \(limit)-byte limit")
        }
    }

    private static func drain(_ framer: inout MessageFramer) -> [MessageFramer.Event] {
        var events: [MessageFramer.Event] = []
        while let event = framer.next() { events.append(event) }
        return events
    }

    /// A message body: the envelope, then, for requests and notifications, every parameter type the server
    /// decodes. An id the parser accepted must survive the round trip through a response.
    static func jsonrpc(_ input: [UInt8]) throws(FuzzFinding) {
        switch Message.parse(input) {
        case .invalid:
            return
        case .message(.request(let id, _, let body), _):
            decodeParameters(body)
            let response = MessageEncoder.response(id: id, error: .invalidRequest("echo"))
            guard case .message(.response(let echoed, _), _) = Message.parse(Array(response)), echoed == id else {
                throw FuzzFinding("jsonrpc: request id \(id) did not survive a response round trip")
            }
        case .message(.notification(_, let body), _):
            decodeParameters(body)
        case .message(.response, _):
            return
        }
    }

    private static func decodeParameters(_ body: RawJSON) {
        _ = try? body.params(as: InitializeParams.self)
        _ = try? body.params(as: DidOpenTextDocumentParams.self)
        _ = try? body.params(as: DidChangeTextDocumentParams.self)
        _ = try? body.params(as: CompletionParams.self)
        _ = try? body.params(as: InlineCompletionParams.self)
        _ = try? body.params(as: CodeActionParams.self)
    }
}

/// FNV-1a: a stable hash of an input, so that the random choices a target makes are the same on every replay.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}
