/// Every occurrence of one symbol in one file, as the rename features need them.
public struct SymbolOccurrences: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable {
        /// Resolved through the language's `locals.scm`: shadowing respected.
        case scopes
        /// The language has no locals query: every identifier of the same name and node type in the file.
        case sameName
    }

    public var name: String
    /// The byte range of the identifier the request pointed at.
    public var target: Range<Int>
    /// Where the symbol is declared in this file (empty when it is declared elsewhere).
    public var definitions: [Range<Int>]
    /// All occurrences, definitions included, in document order.
    public var occurrences: [Range<Int>]
    /// True when the symbol is declared at file level or not in this file at all, so other files may use it too.
    public var mayBeUsedInOtherFiles: Bool
    public var method: Method
}

/// Resolves the identifier at an offset to its scope and finds its other occurrences.
public enum ScopeResolver {
    /// The occurrences of the identifier at `offset` (touching it from either side), or `nil` when no identifier is
    /// there.
    public static func occurrences(at offset: Int, in tree: SyntaxTree, registry: LanguageRegistry)
        -> SymbolOccurrences?
    {
        if let query = registry.query(.locals, for: tree.language) {
            return resolveWithScopes(offset: offset, tree: tree, query: query)
        }
        return sameNameOccurrences(offset: offset, tree: tree)
    }

    /// The occurrences in `tree` of a file-level or imported symbol called `name`: those that do not resolve to a
    /// local declaration. With ``WorkspaceIndex/paths(mentioning:)`` this extends a rename of a top-level symbol to
    /// the other files of the workspace. Attribute and member names (`obj.name`) are not included.
    public static func fileLevelOccurrences(
        of name: String, in tree: SyntaxTree,
        registry: LanguageRegistry
    ) -> [Range<Int>] {
        guard let query = registry.query(.locals, for: tree.language) else {
            var result: [Range<Int>] = []
            tree.root.walk { node in
                if node.childCount == 0, node.isNamed, SnippetCollector.isIdentifierType(node.type), node.text == name {
                    result.append(node.byteRange)
                }
                return true
            }
            return result
        }
        let model = ScopeModel(tree: tree, query: query)
        return model.candidates.filter { $0.text == name }.filter { model.isFileLevel(model.resolve($0)) }
            .map(\.byteRange).uniqueSorted()
    }

    static func resolveWithScopes(offset: Int, tree: SyntaxTree, query: Query) -> SymbolOccurrences? {
        let model = ScopeModel(tree: tree, query: query)
        guard
            let target = model.candidates
                .filter({ $0.startByte <= offset && offset <= $0.endByte })
                .min(by: { ($0.byteRange.count, $0.startByte) < ($1.byteRange.count, $1.startByte) })
        else { return nil }
        let name = target.text
        let targetScope = model.resolve(target)
        let occurrences = model.candidates.filter { $0.text == name && model.resolve($0) == targetScope }
            .map(\.byteRange).uniqueSorted()
        let declared = occurrences.filter { model.declaredScope[$0] != nil }
        return SymbolOccurrences(
            name: name, target: target.byteRange, definitions: declared, occurrences: occurrences,
            mayBeUsedInOtherFiles: model.isFileLevel(targetScope), method: .scopes)
    }

    static func sameNameOccurrences(offset: Int, tree: SyntaxTree) -> SymbolOccurrences? {
        var candidates: [SyntaxNode] = []
        if let node = tree.node(at: offset) { candidates.append(node) }
        if offset > 0, let node = tree.node(at: offset - 1) { candidates.append(node) }
        guard
            let target = candidates.first(where: {
                $0.childCount == 0 && $0.isNamed && SnippetCollector.isIdentifierType($0.type)
            })
        else { return nil }
        let name = target.text
        let type = target.type
        var occurrences: [Range<Int>] = []
        tree.root.walk { node in
            if node.childCount == 0, node.type == type, node.text == name { occurrences.append(node.byteRange) }
            return true
        }
        return SymbolOccurrences(
            name: name, target: target.byteRange, definitions: [], occurrences: occurrences,
            mayBeUsedInOtherFiles: true, method: .sameName)
    }
}

/// The scopes, declarations and references of one tree, from its `locals.scm` captures.
private struct ScopeModel {
    /// Scope ranges, outermost first.
    var scopes: [Range<Int>] = []
    /// The scope each declaration belongs to (`nil`: outside every scope).
    var declaredScope: [Range<Int>: Int?] = [:]
    /// Names declared in each scope.
    var table: [Int?: Set<String>] = [:]
    /// Declarations and references, members excluded.
    var candidates: [SyntaxNode] = []

    init(tree: SyntaxTree, query: Query) {
        var definitions: [(node: SyntaxNode, parent: Bool)] = []
        var references: [SyntaxNode] = []
        var members = Set<Range<Int>>()
        for match in query.matches(in: tree.root) {
            for capture in match.captures {
                switch capture.name {
                case "local.scope": scopes.append(capture.node.byteRange)
                case "local.definition": definitions.append((capture.node, false))
                case "local.definition.parent": definitions.append((capture.node, true))
                case "local.reference": references.append(capture.node)
                case "local.member": members.insert(capture.node.byteRange)
                default: break
                }
            }
        }
        scopes = Array(Set(scopes)).sorted { ($0.lowerBound, -$0.count) < ($1.lowerBound, -$1.count) }
        for definition in definitions where !members.contains(definition.node.byteRange) {
            guard declaredScope[definition.node.byteRange] == nil else { continue }
            let chain = scopesContaining(definition.node.byteRange)
            // A function's own name belongs to the scope around the function.
            let scope: Int? = definition.parent ? (chain.count >= 2 ? chain[chain.count - 2] : nil) : chain.last
            declaredScope[definition.node.byteRange] = .some(scope)
            table[scope, default: []].insert(definition.node.text)
        }
        var seen = Set<Range<Int>>()
        candidates = (definitions.map(\.node) + references).filter {
            !members.contains($0.byteRange) && seen.insert($0.byteRange).inserted
        }
    }

    /// Scopes containing `range`, outermost first.
    func scopesContaining(_ range: Range<Int>) -> [Int] {
        scopes.indices.filter { scopes[$0].lowerBound <= range.lowerBound && range.upperBound <= scopes[$0].upperBound }
            .sorted { scopes[$0].count > scopes[$1].count || (scopes[$0].count == scopes[$1].count && $0 < $1) }
    }

    /// The scope declaring the name at `node`: `.some(scope)`, `.some(nil)` for a declaration outside all scopes,
    /// or `nil` when the file does not declare it.
    func resolve(_ node: SyntaxNode) -> Int?? {
        if let declared = declaredScope[node.byteRange] { return .some(declared) }
        let name = node.text
        for scope in scopesContaining(node.byteRange).reversed() where table[scope]?.contains(name) == true {
            return .some(scope)
        }
        if table[nil]?.contains(name) == true { return .some(nil) }
        return .none
    }

    /// Whether a resolution is the file's top level (or undeclared here, hence imported or global).
    func isFileLevel(_ resolution: Int??) -> Bool {
        switch resolution {
        case .none: return true
        case .some(let scope): return scope == nil || scope == (scopes.isEmpty ? nil : 0)
        }
    }
}

extension Array where Element == Range<Int> {
    func uniqueSorted() -> [Range<Int>] {
        Array(Set(self)).sorted { $0.lowerBound < $1.lowerBound }
    }
}
