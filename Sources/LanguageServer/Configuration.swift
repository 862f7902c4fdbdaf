import Features
import JSONRPC

/// The user's settings, from `initializationOptions` and `workspace/didChangeConfiguration` (under a `dlsp` key
/// or at the top level):
///
/// ```json
/// { "model": { "path": "/models/dream-coder", "threads": 2 },
///   "completion": { "enabled": true, "steps": 12, "threshold": 0.9, "lineHoleTokens": 16, "blockHoleTokens": 48,
///                   "contextTokens": 1024, "temperature": 0, "cache": true },
///   "inlineCompletion": { "enabled": true, "count": 3 } }
/// ```
struct Configuration: Sendable, Equatable {
    var modelPath: String?
    var threads = 2
    var completionEnabled = true
    var inlineCompletionEnabled = true
    var inlineCount = 3
    var completion = CompletionSettings()

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
                    case "temperature":
                        guard let number = value.numberValue, number >= 0, number <= 2 else { return false }
                        completion.temperature = Float(number)
                        return true
                    case "cache": return set(&completion.useCache, value)
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

    private func set(_ target: inout Bool, _ value: JSONValue) -> Bool {
        guard let bool = value.boolValue else { return false }
        target = bool
        return true
    }
}
