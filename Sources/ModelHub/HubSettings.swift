import Foundation

/// Where the hub is, where its cache lives and which token to send, read from the environment the way the hub's
/// own Python client (`huggingface_hub`) reads it, so both share one cache and one login.
public struct HubSettings: Sendable, Equatable {
    /// `HF_ENDPOINT`, default `https://huggingface.co`.
    public var endpoint: URL
    /// `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), default `$HF_HOME/hub`; `HF_HOME` defaults to
    /// `$XDG_CACHE_HOME/huggingface`, then `~/.cache/huggingface`.
    public var cacheDirectory: URL
    /// `HF_TOKEN` (or the older `HUGGING_FACE_HUB_TOKEN`), else the token `huggingface-cli login` saved in
    /// `HF_TOKEN_PATH` (default `$HF_HOME/token`).
    public var token: String?
    /// `HF_HUB_OFFLINE=1`: nothing may be downloaded.
    public var offline: Bool

    public init(endpoint: URL, cacheDirectory: URL, token: String? = nil, offline: Bool = false) {
        self.endpoint = endpoint
        self.cacheDirectory = cacheDirectory
        self.token = token
        self.offline = offline
    }

    public static let defaultEndpoint = URL(string: "https://huggingface.co")!

    /// The settings `environment` describes. The token file is read only when no variable names a token.
    public static func from(environment: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        let paths = Paths(environment)
        let value = paths.value
        var endpoint = defaultEndpoint
        if let text = value("HF_ENDPOINT"), let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
            url.scheme != nil
        {
            endpoint = url
        }
        var token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")
        if token == nil {
            let tokenFile = value("HF_TOKEN_PATH").map(paths.expand) ?? paths.hfHome.appendingPathComponent("token")
            token = (try? String(contentsOf: tokenFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if token?.isEmpty == true { token = nil }
        }
        let offline = ["1", "on", "yes", "true"].contains(value("HF_HUB_OFFLINE")?.lowercased() ?? "")
        return HubSettings(endpoint: endpoint, cacheDirectory: paths.cache, token: token, offline: offline)
    }

    /// Only the cache folder (what resolving a pulled name needs; no token file is read).
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        Paths(environment).cache
    }

    /// `HF_HOME` and the hub cache from the environment, `~` expanded as the hub's client expands it.
    private struct Paths {
        let environment: [String: String]
        let home: String
        let hfHome: URL
        let cache: URL

        init(_ environment: [String: String]) {
            self.environment = environment
            home = Self.value("HOME", in: environment) ?? NSHomeDirectory()
            let home = home
            hfHome =
                Self.value("HF_HOME", in: environment).map { Self.expand($0, home: home) }
                ?? Self.value("XDG_CACHE_HOME", in: environment).map {
                    Self.expand($0, home: home).appendingPathComponent("huggingface")
                }
                ?? URL(fileURLWithPath: home).appendingPathComponent(".cache/huggingface")
            cache =
                ((Self.value("HF_HUB_CACHE", in: environment) ?? Self.value("HUGGINGFACE_HUB_CACHE", in: environment))
                .map { Self.expand($0, home: home) } ?? hfHome.appendingPathComponent("hub")).standardizedFileURL
        }

        func value(_ name: String) -> String? { Self.value(name, in: environment) }
        func expand(_ path: String) -> URL { Self.expand(path, home: home) }

        static func value(_ name: String, in environment: [String: String]) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
            else { return nil }
            return text
        }

        static func expand(_ path: String, home: String) -> URL {
            if path == "~" { return URL(fileURLWithPath: home) }
            if path.hasPrefix("~/") { return URL(fileURLWithPath: home + path.dropFirst()) }
            return URL(fileURLWithPath: path)
        }
    }
}
