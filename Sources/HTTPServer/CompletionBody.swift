import Foundation

/// A completion request body (`/v1/completions` and `/v1/fim/completions` take the same fields), validated field
/// by field so every mistake gets an error naming the field. Package-visible for the fuzz targets.
package struct CompletionBody: Sendable {
    var model: String?
    var prompt: String
    var suffix: String
    package var maxTokens: Int
    package var temperature: Float?
    package var stop: [String]
    var stream: Bool
    package var n: Int
    var user: String?
    /// dlsp's extension: the file's path for the canvas header (a generic name when absent).
    var path: String?

    /// OpenAI's default `max_tokens` for completions.
    static let defaultMaxTokens = 16

    package init(json data: Data, maxTokensLimit: Int) throws(APIError) {
        let fields: [String: JSONField]
        do { fields = try JSONDecoder().decode([String: JSONField].self, from: data) } catch DecodingError.typeMismatch
        {
            throw .invalidRequest("The request body must be a JSON object", code: "invalid_json")
        } catch {
            throw .invalidRequest("The request body is not valid JSON", code: "invalid_json")
        }
        model = try Self.string(fields, "model")
        guard let promptField = fields["prompt"], promptField != .null else { throw .missingField("prompt") }
        guard case .string(let prompt) = promptField else { throw .wrongType("prompt", "a string") }
        self.prompt = prompt
        suffix = try Self.string(fields, "suffix") ?? ""
        maxTokens = try Self.integer(fields, "max_tokens", 1...maxTokensLimit) ?? Self.defaultMaxTokens
        switch fields["temperature"] {
        case nil, .null?: temperature = nil
        case .number(let number)? where number >= 0 && number <= 2: temperature = Float(number)
        default: throw .wrongType("temperature", "a number between 0 and 2")
        }
        switch fields["stop"] {
        case nil, .null?: stop = []
        case .string(let single)?: stop = [single]
        case .array(let list)?:
            let strings = list.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            guard strings.count == list.count, strings.count <= 4 else {
                throw .wrongType("stop", "a string or an array of at most 4 strings")
            }
            stop = strings
        default: throw .wrongType("stop", "a string or an array of at most 4 strings")
        }
        stop.removeAll(where: \.isEmpty)
        switch fields["stream"] {
        case nil, .null?: stream = false
        case .bool(let flag)?: stream = flag
        default: throw .wrongType("stream", "a boolean")
        }
        n = try Self.integer(fields, "n", 1...8) ?? 1
        user = try Self.string(fields, "user")
        path = try Self.string(fields, "path")
    }

    private static func string(_ fields: [String: JSONField], _ name: String) throws(APIError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let string)?: return string
        default: throw .wrongType(name, "a string")
        }
    }

    private static func integer(_ fields: [String: JSONField], _ name: String, _ range: ClosedRange<Int>)
        throws(APIError) -> Int?
    {
        switch fields[name] {
        case nil, .null?: return nil
        case .number(let number)?
        where number.rounded() == number && number >= Double(range.lowerBound)
            && number <= Double(range.upperBound):
            return Int(number)
        default: throw .wrongType(name, "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
    }
}

/// A body field's value as far as validation looks: scalars, keeping booleans and numbers apart (Foundation's
/// `JSONSerialization` bridges both to `NSNumber`, which would let `"stream": 1` pass as a boolean), and arrays of
/// them (`stop`). Anything nested deeper is `.nested` and never decoded further: building a full tree of a hostile
/// megabyte of nested objects took about 2 s of CPU per request (found by fuzzing), and no field needs one.
enum JSONField: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONField])
    case nested

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let scalar = try Self.scalar(container) { self = scalar; return }
        do { self = .array(try container.decode([Element].self).map(\.field)) } catch DecodingError.typeMismatch {
            self = .nested
        }
    }

    /// An array's element: a scalar, or `.nested` without looking inside.
    private struct Element: Decodable {
        let field: JSONField
        init(from decoder: any Decoder) throws {
            field = try JSONField.scalar(try decoder.singleValueContainer()) ?? .nested
        }
    }

    /// The scalar, or nil for an array or object. Only "not this type" is absorbed: a string that is not valid
    /// UTF-8 is an error of the whole body, as it was when the whole body was decoded.
    private static func scalar(_ container: any SingleValueDecodingContainer) throws -> JSONField? {
        if container.decodeNil() { return .null }
        if let bool = try? container.decode(Bool.self) { return .bool(bool) }
        if let number = try? container.decode(Double.self) { return .number(number) }
        do { return .string(try container.decode(String.self)) } catch DecodingError.typeMismatch { return nil }
    }
}
