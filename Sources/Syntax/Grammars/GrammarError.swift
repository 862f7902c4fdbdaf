/// Why a grammar could not be installed or loaded. Every case names the language or file involved so the message
/// can go straight into a log line or a CLI error.
public enum GrammarError: Error, Equatable, CustomStringConvertible, Sendable {
    case manifestUnreadable(path: String, reason: String)
    case manifestNotFound(searched: [String])
    case unknownLanguage(String)
    case toolMissing(tool: String, hint: String)
    case commandFailed(command: String, status: Int32, output: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case missingSourceFile(language: String, path: String)
    case libraryMissing(language: String, path: String)
    case libraryUnloadable(language: String, path: String, reason: String)
    case symbolMissing(language: String, symbol: String, path: String)
    case incompatibleABI(language: String, version: Int, supported: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .manifestUnreadable(let path, let reason):
            return "cannot read grammar manifest \(path): \(reason)"
        case .manifestNotFound(let searched):
            return
                "no Grammars/manifest.json found (looked in: \(searched.joined(separator: ", "))); "
                + "set DLSP_GRAMMARS_MANIFEST"
        case .unknownLanguage(let id):
            return "no grammar named '\(id)' in the manifest"
        case .toolMissing(let tool, let hint):
            return "'\(tool)' is not available: \(hint)"
        case .commandFailed(let command, let status, let output):
            return "'\(command)' failed with status \(status): \(output)"
        case .checksumMismatch(let file, let expected, let actual):
            return "checksum mismatch for \(file): expected sha256 \(expected), got \(actual)"
        case .missingSourceFile(let language, let path):
            return "grammar '\(language)': source file \(path) is missing from the downloaded package"
        case .libraryMissing(let language, let path):
            return "grammar '\(language)' is not installed (no \(path)); run `dlsp grammars install`"
        case .libraryUnloadable(let language, let path, let reason):
            return "grammar '\(language)' at \(path) cannot be loaded: \(reason)"
        case .symbolMissing(let language, let symbol, let path):
            return "grammar '\(language)' at \(path) does not export \(symbol)"
        case .incompatibleABI(let language, let version, let supported):
            return
                "grammar '\(language)' has ABI version \(version); "
                + "this tree-sitter runtime loads \(supported.lowerBound)...\(supported.upperBound)"
        }
    }
}
