import Syntax

/// The symbol a rename applies to: its name and every occurrence in its scope, in one document.
public struct RenameTarget: Sendable, Equatable {
    /// The current name.
    public var name: String
    /// The occurrence the cursor is on.
    public var target: Range<Int>
    /// Every occurrence (definitions included) in document order.
    public var occurrences: [Range<Int>]
    /// The byte range of the declaration (function, class, file) that holds the symbol's scope: a new name that
    /// already appears in it could change what some reference means.
    public var scope: Range<Int>
    /// dlsp language id (`"python"`).
    public var languageID: String
    /// True when the symbol is declared at file level or elsewhere, so other files may use it too (only this
    /// document is renamed).
    public var mayBeUsedInOtherFiles: Bool
}

/// Why a rename cannot be done, in words the user sees.
public enum RenameError: Error, Sendable, Equatable, CustomStringConvertible {
    case noGrammar(String)
    case notAnIdentifier
    case imported(String)
    case invalidName(String)
    case unchanged(String)
    case collision(String)
    case collisionInFile(String, String)
    case breaksSyntax(String)
    case changesMeaning(String)

    public var description: String {
        switch self {
        case .noGrammar(let language): return "renaming needs a grammar, and \(language) has none installed"
        case .notAnIdentifier: return "the cursor is not on a renameable identifier"
        case .imported(let name):
            return "`\(name)` is bound by an import; rename it where it is defined"
        case .invalidName(let reason): return "not a valid identifier: \(reason)"
        case .unchanged(let name): return "the new name is the same as the old one (`\(name)`)"
        case .collision(let name): return "`\(name)` is already used in this scope"
        case .collisionInFile(let name, let path): return "`\(name)` is already used in \(path)"
        case .breaksSyntax(let name): return "renaming to `\(name)` would introduce syntax errors"
        case .changesMeaning(let name):
            return "renaming to `\(name)` would change which declaration some reference means"
        }
    }
}

/// Deterministic renames on the syntax layer's reference finder (`ScopeResolver`): finds the symbol at a cursor,
/// checks a new name, and produces the edits that rename every occurrence and nothing else.
///
/// Used by `textDocument/prepareRename`, `textDocument/rename` and, for each name the model proposes, by the rename
/// suggestions, so all three accept exactly the same names.
public struct Renamer: Sendable {
    /// Grammars and their `locals.scm` queries.
    public let registry: LanguageRegistry

    public init(registry: LanguageRegistry) {
        self.registry = registry
    }

    /// The grammar for a document (LSP language id first, then the path's extension).
    public func language(languageID: String, path: String) -> Language? {
        registry.language(lspLanguageId: languageID) ?? registry.language(forPath: path)
    }

    /// The symbol at `offset`, or why there is none to rename.
    public func target(in text: [UInt8], languageID: String, path: String, at offset: Int) throws(RenameError)
        -> RenameTarget
    {
        guard let language = language(languageID: languageID, path: path), let parser = try? Parser(language: language)
        else { throw .noGrammar(languageID.isEmpty ? path : languageID) }
        return try target(in: parser.parse(text), at: offset)
    }

    /// The symbol at `offset` in a parsed document.
    public func target(in tree: SyntaxTree, at offset: Int) throws(RenameError) -> RenameTarget {
        guard let found = ScopeResolver.occurrences(at: offset, in: tree, registry: registry),
            !found.occurrences.isEmpty, found.occurrences.contains(found.target)
        else { throw .notAnIdentifier }
        // Names bound by an import belong to another module: renaming them here would break the import.
        for range in found.occurrences {
            if let node = tree.namedNode(covering: range),
                node.ancestors.contains(where: { $0.type.contains("import") })
            {
                throw .imported(found.name)
            }
        }
        let covering = tree.namedNode(
            covering: found.occurrences.first!.lowerBound..<found.occurrences.last!.upperBound)
        let scope = covering.flatMap(Self.enclosingDeclaration)?.byteRange ?? tree.root.byteRange
        return RenameTarget(
            name: found.name, target: found.target, occurrences: found.occurrences,
            scope: found.mayBeUsedInOtherFiles ? tree.root.byteRange : scope,
            languageID: tree.language.id, mayBeUsedInOtherFiles: found.mayBeUsedInOtherFiles)
    }

    /// The innermost node (itself included) that declares a scope of names: a function, class, closure or file.
    static func enclosingDeclaration(of node: SyntaxNode) -> SyntaxNode? {
        let scopeWords = [
            "function", "method", "class", "lambda", "closure", "struct", "impl", "module", "program",
            "source_file", "translation_unit", "init_declaration", "arrow_function",
        ]
        return ([node] + node.ancestors).first { candidate in scopeWords.contains { candidate.type.contains($0) } }
    }

    /// The edits that rename `target` to `newName` in `tree`'s text, after checking that the name is a valid,
    /// unreserved identifier, different from the old one, unused in the scope, that the file parses no worse, and
    /// that the renamed occurrences still resolve to exactly one symbol.
    public func edits(renaming target: RenameTarget, to newName: String, in tree: SyntaxTree) throws(RenameError)
        -> [ByteRangeEdit]
    {
        if let problem = IdentifierRules.problem(with: newName, languageID: target.languageID) {
            throw .invalidName(problem)
        }
        guard newName != target.name else { throw .unchanged(newName) }
        if Self.identifierTexts(in: tree, range: target.scope).contains(newName) { throw .collision(newName) }
        let edits = target.occurrences.map { ByteRangeEdit(range: $0, newText: newName) }
        let renamed = ByteRangeEdit.apply(edits, to: tree.text)
        guard let parser = try? Parser(language: tree.language) else { throw .noGrammar(target.languageID) }
        let after = parser.parse(renamed)
        guard after.errorNodes().count <= tree.errorNodes().count else { throw .breaksSyntax(newName) }
        // The renamed occurrences must still be one symbol, and no other identifier may have joined it.
        let shift = newName.utf8.count - target.name.utf8.count
        let expected = target.occurrences.enumerated().map { index, range in
            (range.lowerBound + index * shift)..<(range.lowerBound + index * shift + newName.utf8.count)
        }
        guard let check = ScopeResolver.occurrences(at: expected[0].lowerBound, in: after, registry: registry),
            check.occurrences == expected
        else { throw .changesMeaning(newName) }
        return edits
    }

    /// The texts of the identifier leaves inside `range`.
    static func identifierTexts(in tree: SyntaxTree, range: Range<Int>) -> Set<String> {
        var names = Set<String>()
        tree.root.walk { node in
            guard node.endByte > range.lowerBound, node.startByte < range.upperBound else { return false }
            if node.childCount == 0, node.isNamed, isIdentifierNodeType(node.type) {
                names.insert(node.text)
            }
            return true
        }
        return names
    }
}

/// Whether a grammar's node type names an identifier leaf (`identifier`, `simple_identifier`,
/// `property_identifier`, bash's `variable_name`, Ruby's `constant`).
func isIdentifierNodeType(_ type: String) -> Bool {
    type.contains("identifier") || type == "variable_name" || type == "constant" || type == "word"
}
