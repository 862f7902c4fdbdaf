import Features
import Foundation

/// What every request shape carries besides the context: derived from the hole plan and the attempt.
public struct FillParameters: Sendable, Equatable {
    /// The hole's length in the local plan, sent as the remote's token limit.
    public var maxTokens: Int
    /// Stop sequences (a rest-of-line hole stops at the newline).
    public var stop: [String]
    public var temperature: Float
    public var seed: UInt64

    public init(maxTokens: Int, stop: [String], temperature: Float, seed: UInt64) {
        self.maxTokens = maxTokens
        self.stop = stop
        self.temperature = temperature
        self.seed = seed
    }
}

/// Request bodies and response parsing for each ``RemoteAPI``, following each server's public API documentation.
enum RequestCodec {
    static func body(_ api: RemoteAPI, context: InfillContext, model: String?, parameters p: FillParameters) throws
        -> Data
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let stop = p.stop.isEmpty ? nil : p.stop
        let temperature = Double(p.temperature)
        switch api {
        case .openAIFIM:
            return try encoder.encode(
                OpenAIFIMRequest(
                    model: model, prompt: CommentPreamble.render(context) + context.prefix, suffix: context.suffix,
                    max_tokens: p.maxTokens, stop: stop, temperature: temperature, stream: false))
        case .openAICompletions:
            return try encoder.encode(
                OpenAICompletionsRequest(
                    model: model, prompt: CommentPreamble.render(context) + context.prefix, suffix: context.suffix,
                    max_tokens: p.maxTokens, stop: stop, temperature: temperature, seed: p.seed, stream: false))
        case .llamaCpp:
            // llama.cpp places `input_extra` before the FIM prefix (as repo-level file blocks when the model has
            // the tokens for them), in the order given: least relevant first, as the context has them.
            return try encoder.encode(
                LlamaInfillRequest(
                    input_prefix: context.prefix, input_suffix: context.suffix,
                    input_extra: context.snippets.map { .init(filename: $0.path, text: $0.text) },
                    n_predict: p.maxTokens, stop: stop, temperature: temperature, seed: p.seed, cache_prompt: true,
                    stream: false))
        case .ollama:
            // `raw` stays false: in raw mode Ollama skips the model's template, and the template is what places
            // the suffix; raw would silently turn the fill into a plain continuation.
            return try encoder.encode(
                OllamaGenerateRequest(
                    model: model ?? "", prompt: CommentPreamble.render(context) + context.prefix,
                    suffix: context.suffix,
                    raw: false, stream: false,
                    options: .init(num_predict: p.maxTokens, temperature: temperature, stop: stop, seed: p.seed)))
        }
    }

    /// The fill text of a successful response.
    static func text(_ api: RemoteAPI, from data: Data) throws -> String {
        let decoder = JSONDecoder()
        do {
            switch api {
            case .openAIFIM, .openAICompletions:
                let response = try decoder.decode(OpenAIResponse.self, from: data)
                guard let choice = response.choices.first else {
                    throw RemoteBackendError.malformedResponse("no choices")
                }
                // Completions return `text`; Mistral's FIM endpoint returns a chat-style `message.content`.
                guard let text = choice.text ?? choice.message?.content else {
                    throw RemoteBackendError.malformedResponse("choice has neither text nor message.content")
                }
                return text
            case .llamaCpp:
                return try decoder.decode(LlamaInfillResponse.self, from: data).content
            case .ollama:
                return try decoder.decode(OllamaGenerateResponse.self, from: data).response
            }
        } catch let error as RemoteBackendError {
            throw error
        } catch {
            throw RemoteBackendError.malformedResponse("\(api.rawValue) response: \(Self.describe(error))")
        }
    }

    /// The human-readable message of an error body (`{"error": {"message": …}}`, `{"error": "…"}`), else the
    /// start of the body.
    static func errorMessage(from data: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String {
                return message
            }
            if let message = object["error"] as? String { return message }
            if let message = object["message"] as? String { return message }
        }
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: return "not JSON"
        default: return "\(error)"
        }
    }
}

// Wire formats. Property names are the servers' field names.

struct OpenAIFIMRequest: Encodable {
    var model: String?
    var prompt: String
    var suffix: String
    var max_tokens: Int
    var stop: [String]?
    var temperature: Double
    var stream: Bool
}

struct OpenAICompletionsRequest: Encodable {
    var model: String?
    var prompt: String
    var suffix: String
    var max_tokens: Int
    var stop: [String]?
    var temperature: Double
    var seed: UInt64
    var stream: Bool
}

struct LlamaInfillRequest: Encodable {
    struct Extra: Encodable {
        var filename: String
        var text: String
    }
    var input_prefix: String
    var input_suffix: String
    var input_extra: [Extra]
    var n_predict: Int
    var stop: [String]?
    var temperature: Double
    var seed: UInt64
    var cache_prompt: Bool
    var stream: Bool
}

struct OllamaGenerateRequest: Encodable {
    struct Options: Encodable {
        var num_predict: Int
        var temperature: Double
        var stop: [String]?
        var seed: UInt64
    }
    var model: String
    var prompt: String
    var suffix: String
    var raw: Bool
    var stream: Bool
    var options: Options
}

struct OpenAIResponse: Decodable {
    struct Choice: Decodable {
        struct Message: Decodable { var content: String? }
        var text: String?
        var message: Message?
    }
    var choices: [Choice]
}

struct LlamaInfillResponse: Decodable {
    var content: String
}

struct OllamaGenerateResponse: Decodable {
    var response: String
}
