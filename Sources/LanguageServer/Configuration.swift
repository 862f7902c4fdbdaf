import Engine
import Features
import JSONRPC
import RemoteBackends

/// The user's settings, from `initializationOptions` and `workspace/didChangeConfiguration` (under a `dlsp` key
/// or at the top level):
///
/// ```json
/// { "model": { "path": "/models/dream-coder", "threads": 2, "precision": "auto" | "as-stored" | "q8" },
///   "completion": { "enabled": true, "steps": 12, "threshold": 0.9, "lineHoleTokens": 16, "blockHoleTokens": 48,
///                   "contextTokens": 512, "temperature": 0, "cache": true, "reuseContext": true,
///                   "stopPenalty": 0, "minConfidence": 0.4, "minConfidenceByLanguage": { "c": 0.95 },
///                   "newLineMinConfidence": 0.94,
///                   "invokedMinConfidence": 0, "lengthCandidates": 1, "fileLineSnapDistance": 0.3,
///                   "repeatedLineMinBits": 12, "repeatedLinesFromOtherFiles": true, "rankFileLines": true,
///                   "rankedLineMinProbability": 0.75 },
///   "inlineCompletion": { "enabled": true, "count": 3 },
///   "backend": { "kind": "embedded" | "openai-fim" | "openai-completions" | "llama.cpp" | "ollama",
///                "url": "http://gpu-box:30000", "model": "…", "apiKeyEnv": "MY_API_KEY", "timeoutMs": 5000,
///                "retries": 2, "fallbackToEmbedded": true } }
/// ```
///
/// `model.path` is a directory, a `.gguf` file, or a name pulled with `dlsp model pull` (`ORG/NAME[@REVISION]`,
/// resolved in the hub cache by `ModelLocator`; the server never downloads).
struct Configuration: Sendable, Equatable {
    var modelPath: String?
    var threads = 2
    /// How the engine keeps the model's matrices (`WeightPrecision`): "auto" (8 bits for models over 100 M
    /// parameters on CPUs with AVX-512 VNNI), "as-stored", or "q8".
    var precision = WeightPrecision.automatic
    var completionEnabled = true
    var inlineCompletionEnabled = true
    /// Suggestions for an explicitly invoked inline completion, one attempt each (the planned hole length, half,
    /// twice, then other seeds). Two, not three: the third attempt, twice the hole, took the cold request's p95
    /// from about 190 to 430 ms and added 0.1 suggestions per request (`docs/latency.md`).
    var inlineCount = 2
    var completion = CompletionSettings()
    /// Which backend fills holes (docs/remote-backends.md); the key is read from the named variable, never stored.
    var backend = BackendConfiguration()

    /// Applies `options`; returns the option names it did not recognise (reported to the user once).
    mutating func apply(_ options: JSONValue?) -> [String] {
        guard var options else { return [] }
        if let nested = options["dlsp"] { options = nested }
        guard case .object(let members) = options else { return ["(settings must be an object)"] }
        var unknown: [String] = []
        for (key, value) in members {
            switch key {
            case "model":
                unknown += apply(value, prefix: "model") { key, value in
                    switch key {
                    case "path": modelPath = value.stringValue; return value.stringValue != nil || value == .null
                    case "threads": return set(&threads, value, 1...64)
                    case "precision":
                        guard let name = value.stringValue, let p = WeightPrecision(rawValue: name) else { return false }
                        precision = p
                        return true
                    default: return false
                    }
                }
            case "completion":
                unknown += apply(value, prefix: "completion") { key, value in
                    switch key {
                    case "enabled": return set(&completionEnabled, value)
                    case "steps": return set(&completion.steps, value, 1...256)
                    case "threshold":
                        if value == .null { completion.confidenceThreshold = nil; return true }
                        guard let number = value.numberValue, number > 0, number <= 1 else { return false }
                        completion.confidenceThreshold = Float(number)
                        return true
                    case "lineHoleTokens": return set(&completion.lineHoleTokens, value, 1...256)
                    case "blockHoleTokens": return set(&completion.blockHoleTokens, value, 1...512)
                    case "contextTokens": return set(&completion.contextTokens, value, 64...131_072)
                    case "temperature": return set(&completion.temperature, value, 0...2)
                    case "cache": return set(&completion.useCache, value)
                    case "reuseContext": return set(&completion.reuseContext, value)
                    case "stopPenalty": return set(&completion.stopPenalty, value, 0...20)
                    case "minConfidence": return set(&completion.minConfidence, value)
                    // `midLineMinConfidence` was this floor's name when it held only for the rest of a line.
                    case "newLineMinConfidence", "midLineMinConfidence":
                        return set(&completion.newLineMinConfidence, value)
                    case "minConfidenceByLanguage":
                        // Replaces the whole table: `{}` puts every language under `minConfidence`.
                        guard case .object(let members) = value else { return false }
                        var table: [String: Float] = [:]
                        for (language, value) in members {
                            var floor: Float = 0
                            guard set(&floor, value) else { return false }
                            table[language] = floor
                        }
                        completion.minConfidenceByLanguage = table
                        return true
                    case "invokedMinConfidence": return set(&completion.invokedMinConfidence, value)
                    case "lengthCandidates": return set(&completion.lengthCandidates, value, 1...3)
                    case "fileLineSnapDistance": return set(&completion.fileLineSnapDistance, value)
                    case "repeatedLinesFromOtherFiles": return set(&completion.repeatedLinesFromOtherFiles, value)
                    case "repeatedLineMinBits": return set(&completion.repeatedLineMinBits, value, 0...1_000)
                    case "rankFileLines": return set(&completion.rankFileLines, value)
                    case "rankedLineMinProbability": return set(&completion.rankedLineMinProbability, value, 0...1)
                    default: return false
                    }
                }
            case "inlineCompletion":
                unknown += apply(value, prefix: "inlineCompletion") { key, value in
                    switch key {
                    case "enabled": return set(&inlineCompletionEnabled, value)
                    case "count": return set(&inlineCount, value, 1...8)
                    default: return false
                    }
                }
            case "backend":
                unknown += apply(value, prefix: "backend") { key, value in
                    switch key {
                    case "kind":
                        guard let name = value.stringValue, let kind = BackendConfiguration.Kind(name) else {
                            return false
                        }
                        backend.kind = kind
                        return true
                    case "url": return setOptional(&backend.url, value)
                    case "model": return setOptional(&backend.model, value)
                    case "apiKeyEnv": return setOptional(&backend.apiKeyEnv, value)
                    case "timeoutMs": return set(&backend.timeoutMilliseconds, value, 50...600_000)
                    case "retries": return set(&backend.retries, value, 0...10)
                    case "fallbackToEmbedded": return set(&backend.fallbackToEmbedded, value)
                    default: return false
                    }
                }
            default:
                unknown.append(key)
            }
        }
        return unknown.sorted()
    }

    private func apply(_ value: JSONValue, prefix: String,
                       _ member: (String, JSONValue) -> Bool) -> [String] {
        guard case .object(let members) = value else { return [prefix] }
        return members.compactMap { key, value in member(key, value) ? nil : "\(prefix).\(key)" }
    }

    private func set(_ target: inout Int, _ value: JSONValue, _ range: ClosedRange<Int>) -> Bool {
        guard let number = value.numberValue, number.rounded() == number, range.contains(Int(number)) else {
            return false
        }
        target = Int(number)
        return true
    }

    /// A probability: a number in [0, 1].
    private func set(_ target: inout Float, _ value: JSONValue) -> Bool { set(&target, value, 0...1) }

    /// A number in `range`.
    private func set(_ target: inout Float, _ value: JSONValue, _ range: ClosedRange<Double>) -> Bool {
        guard let number = value.numberValue, range.contains(number) else { return false }
        target = Float(number)
        return true
    }

    private func setOptional(_ target: inout String?, _ value: JSONValue) -> Bool {
        if value == .null { target = nil; return true }
        guard let string = value.stringValue else { return false }
        target = string
        return true
    }

    private func set(_ target: inout Bool, _ value: JSONValue) -> Bool {
        guard let bool = value.boolValue else { return false }
        target = bool
        return true
    }
}
