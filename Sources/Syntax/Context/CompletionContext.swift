/// A block of related code from another file, shown to the model before the current file.
public struct ContextSnippet: Sendable, Equatable {
    /// Workspace-relative path of the file it comes from.
    public var path: String
    /// The definitions' text (several definitions of one file are separated by a blank line).
    public var text: String
    /// The symbols it defines, for logs and tests.
    public var symbols: [String]
    /// Relevance; higher is more relevant.
    public var score: Double

    public init(path: String, text: String, symbols: [String], score: Double) {
        self.path = path
        self.text = text
        self.symbols = symbols
        self.score = score
    }
}

/// Everything the model sees for one hole, as plain values. Render it with ``canvas(maskCount:)``.
public struct CompletionContext: Sendable, Equatable {
    public static let fileSeparator = "<|file_sep|>"
    public static let mask = "<|mask|>"

    /// Workspace-relative path of the current file.
    public var path: String
    /// The text before the hole (possibly headed by the enclosing declarations' header lines when cut).
    public var prefix: String
    /// The text after the hole, starting exactly at the hole's end.
    public var suffix: String
    /// Snippets in canvas order: least relevant first, most relevant last (nearest the current file).
    public var snippets: [ContextSnippet]
    public var hole: HoleDescription
    /// dlsp language id, or `nil` for plain text.
    public var languageID: String?
    /// Byte offsets in the document where the kept prefix starts and the kept suffix ends.
    public var prefixStart: Int
    public var suffixEnd: Int
    /// The lines around the hole that are prose or the enclosing declarations' headers (empty without a tree).
    public var lineRoles: LineRoles

    public init(
        path: String, prefix: String, suffix: String, snippets: [ContextSnippet], hole: HoleDescription,
        languageID: String?, prefixStart: Int, suffixEnd: Int, lineRoles: LineRoles = LineRoles()
    ) {
        self.lineRoles = lineRoles
        self.path = path
        self.prefix = prefix
        self.suffix = suffix
        self.snippets = snippets
        self.hole = hole
        self.languageID = languageID
        self.prefixStart = prefixStart
        self.suffixEnd = suffixEnd
    }

    /// The canvas in ARCHITECTURE.md's format, with `maskCount` mask tokens for the hole.
    public func canvas(maskCount: Int) -> String {
        var result = ""
        for snippet in snippets {
            result += Self.fileSeparator + snippet.path + "\n" + snippet.text + "\n"
        }
        result += Self.fileSeparator + path + "\n" + prefix
        result += String(repeating: Self.mask, count: max(0, maskCount))
        result += suffix
        return result
    }
}
