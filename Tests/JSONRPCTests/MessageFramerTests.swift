import Foundation
import Testing
@testable import JSONRPC

private func frame(_ body: String, headers: [String]? = nil) -> [UInt8] {
    let lines = headers ?? ["Content-Length: \(body.utf8.count)"]
    return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
}

extension Collection {
    fileprivate func chunks(of size: Int) -> [SubSequence] {
        stride(from: 0, to: count, by: size).map { offset in
            let start = index(startIndex, offsetBy: offset)
            return self[start..<(index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex)]
        }
    }
}

private func drain(_ framer: inout MessageFramer) -> [MessageFramer.Event] {
    var events: [MessageFramer.Event] = []
    while let event = framer.next() { events.append(event) }
    return events
}

struct MessageFramerTests {
    let one = #"{"jsonrpc":"2.0","method":"a"}"#
    let two = #"{"jsonrpc":"2.0","id":1,"method":"b","params":{"text":"é😀"}}"#

    @Test func byteByByte() {
        var framer = MessageFramer()
        var events: [MessageFramer.Event] = []
        for byte in frame(one) + frame(two) {
            framer.append([byte])
            events += drain(&framer)
        }
        #expect(events == [.message(Array(one.utf8)), .message(Array(two.utf8))])
        #expect(framer.pendingByteCount == 0)
    }

    @Test func severalMessagesInOneChunk() {
        var framer = MessageFramer()
        framer.append(frame(one) + frame(two) + frame(one))
        #expect(drain(&framer) == [.message(Array(one.utf8)), .message(Array(two.utf8)), .message(Array(one.utf8))])
    }

    @Test func headersInAnyOrderAndCase() {
        var framer = MessageFramer()
        framer.append(
            frame(
                one,
                headers: [
                    "Content-Type: application/vscode-jsonrpc; charset=utf-8",
                    "content-LENGTH:\(one.utf8.count)",
                ]))
        framer.append(Array("Content-Length: \(two.utf8.count)\n\n\(two)".utf8))  // bare newlines tolerated
        #expect(drain(&framer) == [.message(Array(one.utf8)), .message(Array(two.utf8))])
    }

    @Test func splitHeader() {
        var framer = MessageFramer()
        let bytes = frame(one)
        framer.append(bytes[0..<9])
        #expect(drain(&framer).isEmpty)
        framer.append(bytes[9..<17])
        #expect(drain(&framer).isEmpty)
        framer.append(bytes[17...])
        #expect(drain(&framer) == [.message(Array(one.utf8))])
    }

    @Test func missingAndInvalidContentLengthResynchronise() {
        var framer = MessageFramer()
        framer.append(frame("{}", headers: ["Content-Type: text/plain"]) + frame(one))
        framer.append(frame("{}", headers: ["Content-Length: twelve"]) + frame(two))
        framer.append(frame("{}", headers: ["Content-Length: -3"]) + frame(one))
        framer.append(frame("{}", headers: ["garbage without colon"]) + frame(two))
        #expect(
            drain(&framer) == [
                .error(.missingContentLength), .message(Array(one.utf8)),
                .error(.invalidContentLength("twelve")), .message(Array(two.utf8)),
                .error(.invalidContentLength("-3")), .message(Array(one.utf8)),
                .error(.malformedHeader("garbage without colon")), .message(Array(two.utf8)),
            ])
    }

    @Test func bodyShorterThanItsLengthRecoversAtTheNextHeader() {
        var framer = MessageFramer()
        // The first body claims 10 more bytes than it has, so it swallows the start of the next header.
        framer.append(frame(one, headers: ["Content-Length: \(one.utf8.count + 10)"]) + frame(two) + frame(one))
        let events = drain(&framer)
        #expect(events.first == .message(Array((one + "Content-Le").utf8)))
        #expect(events.last == .message(Array(one.utf8)))
        #expect(events.contains(.message(Array(two.utf8))) == false)
    }

    @Test func oversizedBodyIsSkippedWithoutBuffering() {
        var framer = MessageFramer(maximumBodySize: 100)
        let big = String(repeating: "x", count: 1000)
        framer.append(frame(big).prefix(200))
        #expect(drain(&framer) == [.error(.bodyTooLarge(length: 1000, maximum: 100))])
        for chunk in frame(big).dropFirst(200).chunks(of: 100) {
            framer.append(chunk)
            #expect(drain(&framer).isEmpty)
            // Only a tail that could begin the next header is kept.
            #expect(framer.pendingByteCount <= "Content-Length".utf8.count)
        }
        framer.append(frame(one))
        #expect(drain(&framer) == [.message(Array(one.utf8))])
        #expect(framer.pendingByteCount == 0)
    }

    @Test func absurdContentLengthResynchronisesOnTheNextHeader() {
        // A length far past the cap with no such body behind it: skipping that many bytes would swallow every
        // later message, so the framer reports it and takes the next header instead.
        let oversized = Array("Content-Length: 99999999999\r\n\r\n".utf8)
        var whole = MessageFramer()
        whole.append(oversized + frame(one) + frame(two))
        let expected: [MessageFramer.Event] = [
            .error(.bodyTooLarge(length: 99_999_999_999, maximum: 64 << 20)),
            .message(Array(one.utf8)), .message(Array(two.utf8)),
        ]
        #expect(drain(&whole) == expected)
        #expect(whole.pendingByteCount == 0)

        var byteByByte = MessageFramer()
        var events: [MessageFramer.Event] = []
        for byte in oversized + Array("some stray bytes".utf8) + frame(one) + frame(two) {
            byteByByte.append([byte])
            events += drain(&byteByByte)
        }
        #expect(events == expected)
    }

    @Test func oversizedBodyThatMentionsAHeaderStillReachesTheRealOne() {
        // JSON strings cannot hold a raw line break, so header-like text inside a real oversized body fails to
        // parse as a header and the framer moves on to the real next message.
        var framer = MessageFramer(maximumBodySize: 40)
        let body = #"{"jsonrpc":"2.0","method":"m","params":"Content-Length: 2\r\n\r\n{}"}"#
        framer.append(frame(body) + frame(one))
        let events = drain(&framer)
        #expect(events.first == .error(.bodyTooLarge(length: body.utf8.count, maximum: 40)))
        #expect(events.last == .message(Array(one.utf8)))
        #expect(events.filter { if case .message = $0 { true } else { false } }.count == 1)
    }

    @Test func headerBlockThatNeverEnds() {
        var framer = MessageFramer()
        framer.append([UInt8](repeating: UInt8(ascii: "a"), count: 70_000))
        #expect(drain(&framer) == [.error(.headerTooLong)])
        framer.append(frame(one))
        #expect(drain(&framer) == [.message(Array(one.utf8))])
    }
}

struct MessageParsingTests {
    @Test func requestNotificationResponse() throws {
        guard
            case .message(.request(.int(7), "m", let body), false) =
                Message.parse(Array(#"{"jsonrpc":"2.0","id":7,"method":"m","params":{"x":[1]}}"#.utf8))
        else {
            Issue.record("not a request"); return
        }
        struct P: Decodable { var x: [Int] }
        #expect(try body.params(as: P.self).x == [1])
        guard
            case .message(.notification("n", _), false) = Message.parse(Array(#"{"jsonrpc":"2.0","method":"n"}"#.utf8))
        else {
            Issue.record("not a notification"); return
        }
        guard
            case .message(.response(.string("a"), .failure(let error)), false) =
                Message.parse(Array(#"{"jsonrpc":"2.0","id":"a","error":{"code":-1,"message":"no"}}"#.utf8))
        else {
            Issue.record("not an error response"); return
        }
        #expect(error.code == -1)
    }

    @Test func badBodies() {
        guard case .invalid(nil, let parse) = Message.parse(Array("{not json".utf8)) else { Issue.record(); return }
        #expect(parse.code == -32700)
        guard case .invalid(nil, let shape) = Message.parse(Array("[1,2]".utf8)) else { Issue.record(); return }
        #expect(shape.code == -32600)
        guard case .invalid(nil, let neither) = Message.parse(Array(#"{"jsonrpc":"2.0"}"#.utf8)) else {
            Issue.record(); return
        }
        #expect(neither.code == -32600)
        guard case .invalid(nil, let badID) = Message.parse(Array(#"{"jsonrpc":"2.0","id":{},"method":"m"}"#.utf8))
        else {
            Issue.record(); return
        }
        #expect(badID.code == -32600)
    }

    @Test func invalidUTF8IsRepairedNotDropped() throws {
        var bytes = Array(#"{"jsonrpc":"2.0","method":"n","params":{"text":"a"#.utf8)
        bytes += [0xFF, 0xC3]
        bytes += Array(#"b"}}"#.utf8)
        guard case .message(.notification("n", let body), true) = Message.parse(bytes) else {
            Issue.record("not repaired"); return
        }
        struct P: Decodable { var text: String }
        #expect(try body.params(as: P.self).text == "a\u{FFFD}\u{FFFD}b")
    }

    @Test func wrongParamsShapeNamesTheField() {
        guard
            case .message(.request(_, _, let body), _) =
                Message.parse(Array(#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"x":"s"}}"#.utf8))
        else {
            Issue.record(); return
        }
        struct P: Decodable { var x: Int }
        #expect {
            try body.params(as: P.self)
        } throws: { error in
            guard let error = error as? ResponseError else { return false }
            return error.code == -32602 && error.message.contains("x")
        }
    }
}
