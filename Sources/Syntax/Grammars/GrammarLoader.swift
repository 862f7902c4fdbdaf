import CTreeSitter
import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loads compiled grammar libraries with `dlopen` and checks their ABI against the linked tree-sitter runtime.
public enum GrammarLoader {
    /// The grammar ABI versions this runtime accepts (13...14 for Debian's 0.20.7).
    public static let supportedABIVersions: ClosedRange<Int> =
        Int(TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION)...Int(TREE_SITTER_LANGUAGE_VERSION)

    /// Loads `language` from `library`.
    ///
    /// Libraries are never closed: a `TSLanguage` points into the library's static data, and trees, parsers and
    /// queries built from it may outlive any caller.
    public static func load(_ language: GrammarManifest.Language, from library: URL) -> Result<Language, GrammarError> {
        load(id: language.id, symbol: language.symbol, from: library)
    }

    /// Loads the language exported as `symbol` from the library at `library`.
    public static func load(id: String, symbol: String, from library: URL) -> Result<Language, GrammarError> {
        let path = library.path
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(.libraryMissing(language: id, path: path))
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return .failure(.libraryUnloadable(language: id, path: path, reason: reason))
        }
        guard let address = dlsym(handle, symbol) else {
            return .failure(.symbolMissing(language: id, symbol: symbol, path: path))
        }
        typealias LanguageFunction = @convention(c) () -> OpaquePointer?
        let function = unsafeBitCast(address, to: LanguageFunction.self)
        guard let pointer = function() else {
            return .failure(.libraryUnloadable(language: id, path: path, reason: "\(symbol)() returned NULL"))
        }
        let version = Int(ts_language_version(pointer))
        guard supportedABIVersions.contains(version) else {
            return .failure(.incompatibleABI(language: id, version: version, supported: supportedABIVersions))
        }
        return .success(Language(id: id, pointer: pointer))
    }
}
