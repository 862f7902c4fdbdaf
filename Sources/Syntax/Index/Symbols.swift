/// What a definition defines, as the `@definition.<kind>` captures of `definitions.scm` name it.
public enum SymbolKind: String, Sendable, Hashable, CaseIterable {
    case function, method, type, `extension`, module, property, variable, constant

    /// Kinds that own members (methods and properties nested in them).
    public var isTypeLike: Bool { self == .type || self == .extension || self == .module }
    /// Kinds with a body of statements.
    public var isFunctionLike: Bool { self == .function || self == .method }
}

/// A definition found in a file: enough to show it to the model and to jump to it.
public struct SymbolDefinition: Sendable, Hashable {
    public var name: String
    public var kind: SymbolKind
    /// Workspace-relative path with `/` separators.
    public var path: String
    /// The owning type, module or impl, if any.
    public var container: String?
    /// The declaration's header: everything before its body (`func f(a: Int) -> Int`, `def f(a):`), or its first
    /// lines when it has no body.
    public var signature: String
    /// What the model is shown for this definition: the full text when short; for long types an outline of the
    /// header and member signatures; for long functions the signature. Starts at the line's indentation.
    public var snippet: String
    /// The whole definition, in bytes of its file.
    public var range: Range<Int>
    public var nameRange: Range<Int>
    public var start: TextPoint
    public var end: TextPoint
}

/// One import statement.
public struct ImportReference: Sendable, Hashable {
    /// The module path as written (quotes stripped): `os.path`, `./util`, `Foundation`, `stdio.h`.
    public var module: String
    /// Names imported from it (`from m import a, b`, `import { a } from "m"`), possibly empty.
    public var names: [String]
    /// A local alias (`import numpy as np`).
    public var alias: String?
    public var range: Range<Int>

    public init(module: String, names: [String], alias: String?, range: Range<Int>) {
        self.module = module
        self.names = names
        self.alias = alias
        self.range = range
    }
}

/// Everything the index knows about one file.
public struct FileSymbols: Sendable, Hashable {
    public var path: String
    /// dlsp language id, or `nil` when no grammar covers the file.
    public var languageID: String?
    public var definitions: [SymbolDefinition]
    public var imports: [ImportReference]
    /// Every identifier spelled in the file, so a rename can find the files that may refer to a symbol.
    public var identifiers: Set<String>

    public init(
        path: String, languageID: String?, definitions: [SymbolDefinition], imports: [ImportReference],
        identifiers: Set<String> = []
    ) {
        self.path = path
        self.languageID = languageID
        self.definitions = definitions
        self.imports = imports
        self.identifiers = identifiers
    }
}
