import Foundation
import ModelHub

/// Finds the model to load: the one named, or the embedded default model with no configuration.
///
/// Order: an explicit path (flag or `initializationOptions.model.path`), `DLSP_MODEL`, then `Models/default` found
/// walking up from the executable's folder (a build inside the repository), then `share/dlsp/models/default`
/// beside an installed binary (`<prefix>/bin/dlsp` → `<prefix>/share/dlsp/models/default`).
///
/// An explicit value or `DLSP_MODEL` that is not an existing path but reads as `ORG/NAME[@REVISION]` names a model
/// pulled with `dlsp model pull`: it resolves to its snapshot in the hub cache (`HF_HUB_CACHE` / `HF_HOME`).
/// Nothing is ever downloaded here; a name not in the cache is an error that says how to pull it.
public enum ModelLocator {
    public static func locate(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = executablePath()
    ) -> Result<String, ModelLocatorError> {
        if let explicit, !explicit.isEmpty { return check(explicit, environment: environment) }
        if let fromEnvironment = environment["DLSP_MODEL"], !fromEnvironment.isEmpty {
            return check(fromEnvironment, environment: environment)
        }
        let executableFolder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        var searched: [String] = []
        var folder = executableFolder
        while true {
            let candidate = folder.appendingPathComponent("Models/default")
            searched.append(candidate.path)
            if isModelDirectory(candidate.path) { return .success(candidate.path) }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        let installed = executableFolder.deletingLastPathComponent().appendingPathComponent("share/dlsp/models/default")
        searched.append(installed.path)
        if isModelDirectory(installed.path) { return .success(installed.path) }
        return .failure(.notFound(searched: searched))
    }

    private static func check(_ path: String, environment: [String: String]) -> Result<String, ModelLocatorError> {
        if FileManager.default.fileExists(atPath: path) { return .success(path) }
        guard let reference = ModelReference(parsing: path) else { return .failure(.missing(path)) }
        let cache = HubCache(root: HubSettings.cacheDirectory(environment: environment))
        switch cache.snapshot(for: reference) {
        case .success(let snapshot): return .success(snapshot.path)
        case .failure: return .failure(.notPulled(path))
        }
    }

    private static func isModelDirectory(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/config.json")
    }

    /// The running executable's path (Linux: `/proc/self/exe`).
    public static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

public enum ModelLocatorError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    /// Neither a path nor a model in the hub cache.
    case notPulled(String)
    case notFound(searched: [String])

    public var description: String {
        switch self {
        case .missing(let path): return "no model at \(path)"
        case .notPulled(let name):
            return "no model at \(name), and \(name) is not pulled: run `dlsp model pull \(name)`"
        case .notFound(let searched):
            return "the default model was not found (looked in \(searched.joined(separator: ", "))); "
                + "pass --model PATH or set DLSP_MODEL"
        }
    }
}
