/// Splits a byte stream into `Content-Length` framed message bodies, as the base protocol of LSP defines them.
///
/// It accepts headers in any order, any letter case and `Content-Type`; it tolerates bare `\n` line ends. A header
/// block it cannot use (no or bad `Content-Length`, or a length over ``maximumBodySize``) is reported, and the
/// framer resynchronises on the next `Content-Length` header it finds, so one bad message never wedges the
/// connection. An oversized body is never buffered: it streams past while the framer looks for that header.
public struct MessageFramer: Sendable {
    /// What the framer found in the stream.
    public enum Event: Sendable, Equatable {
        case message([UInt8])
        case error(FramingError)
    }

    /// The largest body accepted; a header announcing a larger one is reported, and the framer resynchronises on
    /// the next `Content-Length` header.
    public let maximumBodySize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var resynchronising = false

    public init(maximumBodySize: Int = 64 << 20) {
        self.maximumBodySize = maximumBodySize
    }

    /// Bytes received but not yet part of a complete message.
    public var pendingByteCount: Int { buffer.count - readIndex }

    /// Adds bytes read from the stream.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message or error, or nil when more bytes are needed.
    public mutating func next() -> Event? {
        compactIfWorthIt()
        while true {
            if resynchronising {
                guard let start = Self.find(Self.contentLengthName, in: buffer, from: readIndex, caseInsensitive: true)
                else {
                    // Keep a tail that could be the start of the header name.
                    readIndex = max(readIndex, buffer.count - Self.contentLengthName.count)
                    return nil
                }
                readIndex = start
                resynchronising = false
            }
            guard let (headerEnd, bodyStart) = findHeaderEnd() else {
                if pendingByteCount > 64 * 1024 {
                    // No blank line in 64 KiB of "headers": this is not a header block.
                    readIndex = buffer.count
                    resynchronising = true
                    return .error(.headerTooLong)
                }
                return nil
            }
            let header = Array(buffer[readIndex..<headerEnd])
            switch Self.contentLength(in: header) {
            case .failure(let error):
                // Resynchronise from just after this block's first byte: a garbled block often holds the next
                // message's real header (the tail of a body that was shorter than its Content-Length said).
                readIndex += 1
                resynchronising = true
                return .error(error)
            case .success(let length):
                if length > maximumBodySize {
                    // Skipping `length` bytes would trust the one number already found wrong: a garbled or hostile
                    // length (99999999999) would swallow every later message. Resynchronise instead, from the end of
                    // this header block (the block itself was well formed, so no real header starts inside it).
                    // A real oversized body is JSON, whose strings cannot hold a raw line break, so text in it that
                    // looks like a header fails to parse as one and resynchronisation moves on to the real one.
                    readIndex = bodyStart
                    resynchronising = true
                    return .error(.bodyTooLarge(length: length, maximum: maximumBodySize))
                }
                guard buffer.count - bodyStart >= length else { return nil }
                let body = Array(buffer[bodyStart..<(bodyStart + length)])
                readIndex = bodyStart + length
                return .message(body)
            }
        }
    }

    private mutating func compactIfWorthIt() {
        if readIndex > 0, readIndex >= buffer.count / 2 || readIndex > 1 << 20 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    /// The end of the header block (exclusive, before the blank line) and the start of the body.
    private func findHeaderEnd() -> (Int, Int)? {
        var index = readIndex
        while index < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") {
                // "\n\n" or "\n\r\n" ends the block.
                if index + 1 < buffer.count, buffer[index + 1] == UInt8(ascii: "\n") { return (index, index + 2) }
                if index + 2 < buffer.count, buffer[index + 1] == UInt8(ascii: "\r"),
                    buffer[index + 2] == UInt8(ascii: "\n")
                {
                    return (index, index + 3)
                }
            }
            index += 1
        }
        return nil
    }

    private static let contentLengthName = Array("content-length".utf8)

    static func contentLength(in header: [UInt8]) -> Result<Int, FramingError> {
        let text = String(decoding: header, as: UTF8.self)
        var length: Int?
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: "\r ")
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                return .failure(.malformedHeader(String(line.prefix(80))))
            }
            let name = line[..<colon].trimmingCharacters(in: " \t").lowercased()
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(isHeaderTokenCharacter) else {
                return .failure(.malformedHeader(String(line.prefix(80))))
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if name == "content-length" {
                guard let parsed = Int(value), parsed >= 0 else {
                    return .failure(.invalidContentLength(String(value.prefix(40))))
                }
                length = parsed
            }
            // Content-Type and unknown headers are tolerated and ignored.
        }
        guard let length else { return .failure(.missingContentLength) }
        return .success(length)
    }

    /// RFC 9110 token characters: what a header name may contain.
    static func isHeaderTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "-", "!", "#", "$", "%", "&", "'", "*", "+", ".", "^", "_", "`", "|", "~":
            return true
        default: return false
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, caseInsensitive: Bool) -> Int? {
        guard needle.count <= haystack.count - start else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            var matched = true
            for offset in 0..<needle.count {
                var byte = haystack[index + offset]
                if caseInsensitive, byte >= 65, byte <= 90 { byte += 32 }
                if byte != needle[offset] { matched = false; break }
            }
            if matched { return index }
            index += 1
        }
        return nil
    }
}

/// What was wrong with a header block.
public enum FramingError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingContentLength
    case invalidContentLength(String)
    case malformedHeader(String)
    case headerTooLong
    case bodyTooLarge(length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .missingContentLength: return "header block without Content-Length"
        case .invalidContentLength(let value): return "invalid Content-Length '\(value)'"
        case .malformedHeader(let line): return "malformed header line '\(line)'"
        case .headerTooLong: return "header block longer than 64 KiB"
        case .bodyTooLarge(let length, let maximum):
            return "message body of \(length) bytes exceeds the \(maximum)-byte limit; "
                + "skipped to the next Content-Length header"
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)[...]
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
