import CTreeSitter

/// A loaded tree-sitter grammar.
///
/// `@unchecked Sendable`: a `TSLanguage` is immutable static data inside a library that is never unloaded.
public struct Language: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// dlsp's id for the language (`"python"`, `"tsx"`), as in the grammar manifest.
    public let id: String
    let pointer: OpaquePointer

    init(id: String, pointer: OpaquePointer) {
        self.id = id
        self.pointer = pointer
    }

    /// The grammar's ABI version (`ts_language_version`).
    public var abiVersion: Int { Int(ts_language_version(pointer)) }

    /// How many node kinds the grammar defines.
    public var symbolCount: Int { Int(ts_language_symbol_count(pointer)) }

    public var description: String { "\(id) (ABI \(abiVersion))" }

    public static func == (lhs: Language, rhs: Language) -> Bool { lhs.pointer == rhs.pointer }
    public func hash(into hasher: inout Hasher) { hasher.combine(pointer) }
}
