import Foundation

/// One decoded JSON-RPC 2.0 message. Parameters and results stay as raw JSON until a handler that knows their type
/// decodes them, so this layer knows no method names.
public enum Message: Sendable {
    case request(id: RequestID, method: String, body: RawJSON)
    case notification(method: String, body: RawJSON)
    /// A response; `id` is nil when the peer could not read our request's id (its answer to a parse error).
    case response(id: RequestID?, result: Result<RawJSON, ResponseError>)

    /// Parses a message body. A body that is not valid UTF-8 is repaired (invalid bytes become U+FFFD) and
    /// `repairedInvalidUTF8` is set, so a document with one bad byte is not lost whole.
    public static func parse(_ bytes: [UInt8]) -> ParseOutcome {
        var data = Data(bytes)
        var repaired = false
        if String(validating: bytes, as: UTF8.self) == nil {
            data = Data(String(decoding: bytes, as: UTF8.self).utf8)
            repaired = true
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                return .invalid(id: nil, .parseError("invalid JSON: \(context.debugDescription)"))
            }
            return .invalid(id: nil, .invalidRequest("not a JSON-RPC message: \(Self.describe(error))"))
        } catch {
            return .invalid(id: nil, .parseError("invalid JSON: \(error)"))
        }
        let raw = RawJSON(data: data)
        if let method = envelope.method {
            if let id = envelope.id {
                return .message(.request(id: id, method: method, body: raw), repairedInvalidUTF8: repaired)
            }
            if envelope.hasID {
                return .invalid(id: nil, .invalidRequest("request id must be an integer or a string"))
            }
            return .message(.notification(method: method, body: raw), repairedInvalidUTF8: repaired)
        }
        // A response is never answered, even a malformed one: two peers answering each other's bad responses with
        // errors would loop forever.
        if let error = envelope.error {
            return .message(.response(id: envelope.id, result: .failure(error)), repairedInvalidUTF8: repaired)
        }
        if envelope.hasResult {
            return .message(.response(id: envelope.id, result: .success(raw)), repairedInvalidUTF8: repaired)
        }
        return .invalid(id: envelope.id, .invalidRequest("message has neither a method nor a result"))
    }

    /// The outcome of ``parse(_:)``.
    public enum ParseOutcome: Sendable {
        case message(Message, repairedInvalidUTF8: Bool)
        /// The body could not be used; `id` is set when the request's id could still be read.
        case invalid(id: RequestID?, ResponseError)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context),
            .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private struct Envelope: Decodable {
        var id: RequestID?
        var hasID: Bool
        var method: String?
        var error: ResponseError?
        var hasResult: Bool

        enum CodingKeys: String, CodingKey { case jsonrpc, id, method, error, result }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            hasID = container.contains(.id) && !((try? container.decodeNil(forKey: .id)) ?? false)
            id = try? container.decodeIfPresent(RequestID.self, forKey: .id)
            method = try container.decodeIfPresent(String.self, forKey: .method)
            error = try container.decodeIfPresent(ResponseError.self, forKey: .error)
            hasResult = container.contains(.result)
        }
    }
}

/// The raw bytes of a whole message, kept so typed parameters or results can be decoded from it once their type is
/// known.
public struct RawJSON: Sendable {
    public let data: Data

    public init(data: Data) { self.data = data }

    /// Decodes the message's `params` as `T`. Absent params decode as `T` from `null` or `{}`; wrong shapes throw
    /// `invalidParams` naming the offending field.
    public func params<T: Decodable>(as type: T.Type) throws(ResponseError) -> T {
        try member(T.self, key: .params)
    }

    /// Decodes the message's `result` as `T`.
    public func result<T: Decodable>(as type: T.Type) throws(ResponseError) -> T {
        try member(T.self, key: .result)
    }

    private func member<T: Decodable>(_ type: T.Type, key: MemberKey) throws(ResponseError) -> T {
        do {
            let box = try JSONDecoder().decode(MemberBox<T>.self, from: data)
            if let value = box.value { return value }
            // Absent or null: a type whose members are all optional still decodes, from an empty object.
            if let empty = try? JSONDecoder().decode(T.self, from: Data("{}".utf8)) { return empty }
            throw ResponseError.invalidParams("missing \(key.rawValue)")
        } catch let error as DecodingError {
            throw ResponseError.invalidParams("invalid \(key.rawValue): \(Message.describe(error))")
        } catch let error as ResponseError {
            throw error
        } catch {
            throw ResponseError.invalidParams("invalid \(key.rawValue): \(error)")
        }
    }

    enum MemberKey: String, CodingKey { case params, result }

    private struct MemberBox<T: Decodable>: Decodable {
        var value: T?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: MemberKey.self)
            let key: MemberKey = container.contains(.params) ? .params : .result
            guard container.contains(key) else { return }
            if try container.decodeNil(forKey: key) {
                // `null` is a value for types that accept it (JSONValue); for others it means "absent".
                value = try? container.decode(T.self, forKey: key)
            } else {
                value = try container.decode(T.self, forKey: key)
            }
        }
    }
}

/// Encodes outgoing messages.
public enum MessageEncoder {
    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public static func request<P: Encodable>(id: RequestID, method: String, params: P) throws -> Data {
        try encoder().encode(Outgoing(id: id, method: method, params: params, result: Never?.none, error: nil))
    }

    public static func notification<P: Encodable>(method: String, params: P) throws -> Data {
        try encoder().encode(Outgoing<P, Never>(id: nil, method: method, params: params, result: nil, error: nil))
    }

    public static func response<R: Encodable>(id: RequestID?, result: R) throws -> Data {
        try encoder().encode(
            Outgoing<Never, R>(
                id: id, method: nil, params: nil, result: result, error: nil,
                writeNullID: id == nil))
    }

    public static func response(id: RequestID?, error: ResponseError) -> Data {
        // A ResponseError always encodes; the fallback only guards against an encoder failure we cannot cause.
        (try? encoder().encode(
            Outgoing<Never, Never>(
                id: id, method: nil, params: nil, result: nil, error: error,
                writeNullID: true)))
            ?? Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"encoding failed"}}"#.utf8)
    }

    private struct Outgoing<P: Encodable, R: Encodable>: Encodable {
        var id: RequestID?
        var method: String?
        var params: P?
        var result: R?
        var error: ResponseError?
        var writeNullID = false

        enum CodingKeys: String, CodingKey { case jsonrpc, id, method, params, result, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("2.0", forKey: .jsonrpc)
            if let id {
                try container.encode(id, forKey: .id)
            } else if writeNullID {
                try container.encodeNil(forKey: .id)
            }
            try container.encodeIfPresent(method, forKey: .method)
            try container.encodeIfPresent(params, forKey: .params)
            if let error {
                try container.encode(error, forKey: .error)
            } else if method == nil {
                // A successful response must carry "result", null included.
                if let result {
                    try container.encode(result, forKey: .result)
                } else {
                    try container.encodeNil(forKey: .result)
                }
            }
        }
    }
}
