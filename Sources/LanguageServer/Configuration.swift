import Engine
import Features
import JSONRPC
import RemoteBackends

/// The user's settings, from `initializationOptions` and `workspace/didChangeConfiguration` (under a `dlsp` key
/// or at the top level), in sections: `{ "model": { "path": "…" }, "completion": { "minConfidence": 0.5 }, … }`.
/// `table` lists every one; README's settings list is printed from it.
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

    /// Every setting the server reads, as one table (name, values, default, what it does): `apply` parses from it
    /// and README's settings list is printed from it (`dlsp settings`). The completion settings are
    /// `CompletionSettings.table`, under `completion`.
    static var table: [SettingKey<Configuration>] {
        [
            .optionalString(
                "model.path", \.modelPath,
                "A model directory, `.gguf` file or pulled `ORG/NAME[@REVISION]`; null: the embedded model."),
            .integer("model.threads", \.threads, 1...64, "Threads the engine computes with."),
            .choice(
                "model.precision", \.precision, WeightPrecision.allCases.map { ($0.rawValue, $0) },
                """
                How the engine keeps the weights: 8 bits for models over 100 M parameters on CPUs with AVX-512 VNNI \
                (auto), as stored, or 8 bits.
                """
            ),
            .boolean("completion.enabled", \.completionEnabled, "Answer completion requests."),
        ] + CompletionSettings.table.map { $0.lifted(into: \.completion, section: "completion") } + [
            .boolean("inlineCompletion.enabled", \.inlineCompletionEnabled, "Answer inline completion requests."),
            .integer(
                "inlineCompletion.count", \.inlineCount, 1...8,
                "Suggestions for an explicitly invoked inline completion, one model attempt each."),
            .choice(
                "backend.kind", \.backend.kind,
                BackendConfiguration.Kind.names.compactMap { name in BackendConfiguration.Kind(name).map { (name, $0) }
                },
                "Which backend fills holes (docs/remote-backends.md)."),
            .optionalString("backend.url", \.backend.url, "The remote backend's base URL."),
            .optionalString("backend.model", \.backend.model, "The model name sent to the remote backend."),
            .optionalString(
                "backend.apiKeyEnv", \.backend.apiKeyEnv,
                "The environment variable holding the remote backend's API key (the key is never stored)."),
            .integer(
                "backend.timeoutMs", \.backend.timeoutMilliseconds, 50...600_000,
                "Remote request timeout in milliseconds."),
            .integer(
                "backend.retries", \.backend.retries, 0...10, "Retries after a connection error or a 429/502/503/504."),
            .boolean(
                "backend.fallbackToEmbedded", \.backend.fallbackToEmbedded,
                "Fill with the embedded model while the remote backend is down."),
        ]
    }

    /// Applies `options`; returns the option names it did not recognise or whose value it refused (reported to the
    /// user once). A refused value leaves the setting as it was.
    mutating func apply(_ options: JSONValue?) -> [String] {
        guard var options else { return [] }
        if let nested = options["dlsp"] { options = nested }
        guard case .object(let sections) = options else { return ["(settings must be an object)"] }
        let table = Self.table
        var unknown: [String] = []
        for (section, value) in sections {
            guard table.contains(where: { $0.name.hasPrefix(section + ".") }), case .object(let members) = value else {
                unknown.append(section)
                continue
            }
            for (name, member) in members {
                guard let key = table.key(named: "\(section).\(name)"), let value = SettingValue(member),
                    key.apply(value, to: &self)
                else {
                    unknown.append("\(section).\(name)")
                    continue
                }
            }
        }
        return unknown.sorted()
    }
}

/// The server's settings list, as README shows it.
public enum ServerSettings {
    /// Every setting in a Markdown table, with its default.
    public static var markdown: String { Configuration.table.markdownTable(defaults: Configuration()) }
}

extension SettingValue {
    /// A JSON value as a setting's value; nil for arrays, which no setting takes.
    init?(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array: return nil
        case .object(let members):
            var converted: [String: SettingValue] = [:]
            for (key, member) in members {
                guard let value = SettingValue(member) else { return nil }
                converted[key] = value
            }
            self = .object(converted)
        }
    }
}
