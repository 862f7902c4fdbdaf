/// The request shapes a remote backend can speak.
public enum RemoteAPI: String, Sendable, CaseIterable, Codable {
    /// `POST /v1/fim/completions` with `prompt` and `suffix`: Mistral's Codestral, Inception's Mercury, and
    /// `dlsp serve`.
    case openAIFIM = "openai-fim"
    /// `POST /v1/completions` with `suffix`: OpenAI's legacy completions as vLLM, SGLang and `dlsp serve` serve
    /// them.
    case openAICompletions = "openai-completions"
    /// `POST /infill` of llama.cpp's server, with cross-file snippets as `input_extra`.
    case llamaCpp = "llama.cpp"
    /// `POST /api/generate` of Ollama, with `suffix` (the model's template places it).
    case ollama

    /// The path appended to the configured base URL.
    public var path: String {
        switch self {
        case .openAIFIM: return "/v1/fim/completions"
        case .openAICompletions: return "/v1/completions"
        case .llamaCpp: return "/infill"
        case .ollama: return "/api/generate"
        }
    }
}
