import Foundation

/// Finds the embedded default model with no configuration.
///
/// Order: an explicit path (flag or `initializationOptions.model.path`), `DLSP_MODEL`, then `Models/default` found
/// walking up from the executable's folder (a build inside the repository), then `share/dlsp/models/default`
/// beside an installed binary (`<prefix>/bin/dlsp` → `<prefix>/share/dlsp/models/default`).
public enum ModelLocator {
    public static func locate(explicit: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              executablePath: String = executablePath()) -> Result<String, ModelLocatorError> {
        if let explicit, !explicit.isEmpty { return check(explicit) }
        if let fromEnvironment = environment["DLSP_MODEL"], !fromEnvironment.isEmpty { return check(fromEnvironment) }
        let executableFolder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
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

    private static func check(_ path: String) -> Result<String, ModelLocatorError> {
        FileManager.default.fileExists(atPath: path) ? .success(path) : .failure(.missing(path))
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
    case notFound(searched: [String])

    public var description: String {
        switch self {
        case .missing(let path): return "no model at \(path)"
        case .notFound(let searched):
            return "the default model was not found (looked in \(searched.joined(separator: ", "))); "
                + "pass --model PATH or set DLSP_MODEL"
        }
    }
}
