import CTreeSitter

/// A tree-sitter parser for one language. Not thread-safe: use one per task or document.
public final class Parser {
    public let language: Language
    private let pointer: OpaquePointer

    /// Fails only when the runtime rejects the language, which ``GrammarLoader`` already checks.
    public init(language: Language) throws {
        guard let parser = ts_parser_new() else {
            throw GrammarError.libraryUnloadable(language: language.id, path: "", reason: "ts_parser_new failed")
        }
        guard ts_parser_set_language(parser, language.pointer) else {
            ts_parser_delete(parser)
            throw GrammarError.incompatibleABI(
                language: language.id, version: language.abiVersion,
                supported: GrammarLoader.supportedABIVersions)
        }
        self.pointer = parser
        self.language = language
    }

    deinit { ts_parser_delete(pointer) }

    /// Parses `text` from scratch.
    public func parse(_ text: [UInt8]) -> SyntaxTree {
        parse(text, reusing: nil)
    }

    /// Parses `text` from scratch.
    public func parse(_ text: String) -> SyntaxTree {
        parse(Array(text.utf8), reusing: nil)
    }

    /// Parses `text`, reusing the unchanged parts of `oldTree`, which must already carry the matching
    /// `ts_tree_edit`s.
    func parse(_ text: [UInt8], reusing oldTree: OpaquePointer?) -> SyntaxTree {
        let tree = text.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            // An empty array may have no storage at all; tree-sitter still needs a valid pointer.
            guard let base = buffer.baseAddress, !buffer.isEmpty else {
                return ts_parser_parse_string(pointer, oldTree, "", 0)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { characters in
                ts_parser_parse_string(pointer, oldTree, characters, UInt32(buffer.count))
            }
        }
        // ts_parser_parse_string returns NULL only on timeout or cancellation, neither of which dlsp sets.
        return SyntaxTree(pointer: tree!, text: text, language: language)
    }
}
