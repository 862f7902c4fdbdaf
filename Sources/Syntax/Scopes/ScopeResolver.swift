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
    public static func occurrences(at offset: Int, in tree: SyntaxTree, registry: LanguageRegistry) -> SymbolOccurrences? {
        if let query = registry.query(.locals, for: tree.language) {
            return resolveWithScopes(offset: offset, tree: tree, query: query)
        }
        return sameNameOccurrences(offset: offset, tree: tree)
    }

    private struct Binding {
        var node: SyntaxNode
        var scope: Int?
    }

    static func resolveWithScopes(offset: Int, tree: SyntaxTree, query: Query) -> SymbolOccurrences? {
        var scopes: [Range<Int>] = []
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
        // Scopes from outermost to innermost, so the last one containing a node is its innermost.
        scopes = Array(Set(scopes)).sorted { ($0.lowerBound, -$0.count) < ($1.lowerBound, -$1.count) }
        func scopesContaining(_ range: Range<Int>) -> [Int] {
            scopes.indices.filter { scopes[$0].lowerBound <= range.lowerBound && range.upperBound <= scopes[$0].upperBound }
                .sorted { scopes[$0].count > scopes[$1].count || (scopes[$0].count == scopes[$1].count && $0 < $1) }
        }

        var declaredScope: [Range<Int>: Int?] = [:]
        var table: [Int?: [String: [Range<Int>]]] = [:]
        for definition in definitions where !members.contains(definition.node.byteRange) {
            let chain = scopesContaining(definition.node.byteRange)
            let scope: Int? = definition.parent ? (chain.count >= 2 ? chain[chain.count - 2] : nil) : chain.last
            guard declaredScope[definition.node.byteRange] == nil else { continue }
            declaredScope[definition.node.byteRange] = .some(scope)
            table[scope, default: [:]][definition.node.text, default: []].append(definition.node.byteRange)
        }
        func resolve(_ node: SyntaxNode) -> Int?? {
            if let declared = declaredScope[node.byteRange] { return .some(declared) }
            for scope in scopesContaining(node.byteRange).reversed() where table[scope]?[node.text] != nil {
                return .some(scope)
            }
            if table[nil]?[node.text] != nil { return .some(nil) }
            return .none  // declared nowhere in this file
        }

        let candidates = (definitions.map(\.node) + references).filter { !members.contains($0.byteRange) }
        guard let target = candidates
            .filter({ $0.startByte <= offset && offset <= $0.endByte })
            .min(by: { ($0.byteRange.count, $0.startByte) < ($1.byteRange.count, $1.startByte) })
        else { return nil }
        let name = target.text
        let targetScope = resolve(target)
        var seen = Set<Range<Int>>()
        var occurrences: [Range<Int>] = []
        for node in candidates where node.text == name && seen.insert(node.byteRange).inserted {
            if resolve(node) == targetScope { occurrences.append(node.byteRange) }
        }
        occurrences.sort { $0.lowerBound < $1.lowerBound }
        let declared = occurrences.filter { declaredScope[$0] != nil }
        let outermost: Int? = scopes.isEmpty ? nil : 0
        let isFileLevel: Bool
        switch targetScope {
        case .none: isFileLevel = true
        case .some(let scope): isFileLevel = scope == nil || scope == outermost
        }
        return SymbolOccurrences(name: name, target: target.byteRange, definitions: declared, occurrences: occurrences,
                                 mayBeUsedInOtherFiles: isFileLevel, method: .scopes)
    }

    static func sameNameOccurrences(offset: Int, tree: SyntaxTree) -> SymbolOccurrences? {
        var candidates: [SyntaxNode] = []
        if let node = tree.node(at: offset) { candidates.append(node) }
        if offset > 0, let node = tree.node(at: offset - 1) { candidates.append(node) }
        guard let target = candidates.first(where: {
            $0.childCount == 0 && $0.isNamed && SnippetCollector.isIdentifierType($0.type)
        }) else { return nil }
        let name = target.text
        let type = target.type
        var occurrences: [Range<Int>] = []
        tree.root.walk { node in
            if node.childCount == 0, node.type == type, node.text == name { occurrences.append(node.byteRange) }
            return true
        }
        return SymbolOccurrences(name: name, target: target.byteRange, definitions: [], occurrences: occurrences,
                                 mayBeUsedInOtherFiles: true, method: .sameName)
    }
}
