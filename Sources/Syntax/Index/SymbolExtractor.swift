/// Turns a syntax tree into ``FileSymbols`` using the language's `definitions.scm` and `imports.scm`.
public enum SymbolExtractor {
    /// Longest definition shown in full; longer ones are outlined.
    static let fullSnippetLimit = 1200

    /// Extracts definitions and imports. Languages without query files yield empty lists.
    public static func extract(from tree: SyntaxTree, path: String, registry: LanguageRegistry) -> FileSymbols {
        let definitions =
            registry.query(.definitions, for: tree.language).map { definitionsIn(tree, query: $0, path: path) } ?? []
        let imports = registry.query(.imports, for: tree.language).map { importsIn(tree, query: $0) } ?? []
        var identifiers = Set<String>()
        tree.root.walk { node in
            if node.childCount == 0, node.isNamed, SnippetCollector.isIdentifierType(node.type) {
                identifiers.insert(node.text)
            }
            return true
        }
        return FileSymbols(
            path: path, languageID: tree.language.id, definitions: definitions, imports: imports,
            identifiers: identifiers)
    }

    private struct RawDefinition {
        var node: SyntaxNode
        /// Cached: reading ranges through the C API in the nesting pass would dominate the run time.
        var range: Range<Int>
        var name: String
        var nameRange: Range<Int>
        var body: SyntaxNode?
        var kind: SymbolKind
        var explicitContainer: String?
        var pattern: Int
    }

    static func definitionsIn(_ tree: SyntaxTree, query: Query, path: String) -> [SymbolDefinition] {
        // When several patterns capture the same node, the earliest pattern wins (constant before variable).
        var byRange: [Range<Int>: RawDefinition] = [:]
        for match in query.matches(in: tree.root) {
            guard let capture = match.capture(withPrefix: "definition."),
                let kind = SymbolKind(rawValue: String(capture.name.dropFirst("definition.".count))),
                let name = match.node("name")
            else { continue }
            let range = capture.node.byteRange
            if let existing = byRange[range], existing.pattern <= match.patternIndex { continue }
            // A query may leave the body uncaptured when capturing it makes the query slow to compile (Swift's
            // functions); the grammar's `body` field then finds it.
            byRange[range] = RawDefinition(
                node: capture.node, range: range, name: name.text, nameRange: name.byteRange,
                body: match.node("body") ?? capture.node.child(field: "body"),
                kind: kind, explicitContainer: match.node("container")?.text,
                pattern: match.patternIndex)
        }
        // Outer definitions sort before the ones they contain, so one stack of open definitions gives each its
        // enclosing definitions in a single pass.
        let raws = byRange.values.sorted {
            ($0.range.lowerBound, -$0.range.upperBound) < ($1.range.lowerBound, -$1.range.upperBound)
        }
        var open: [RawDefinition] = []
        var result: [SymbolDefinition] = []
        for raw in raws {
            while let last = open.last,
                last.range.upperBound < raw.range.upperBound || last.range.upperBound <= raw.range.lowerBound
            {
                open.removeLast()
            }
            defer { open.append(raw) }
            var kind = raw.kind
            var container = raw.explicitContainer
            if let enclosing = open.last {
                if enclosing.kind.isFunctionLike, kind == .variable || kind == .constant || kind == .property {
                    // A binding inside a function body is a local, not a workspace symbol; but a property assigned
                    // on self inside a method belongs to the method's type.
                    guard kind == .property, let owner = open.last(where: { $0.kind.isTypeLike }) else { continue }
                    container = owner.name
                } else if enclosing.kind.isTypeLike {
                    if kind == .function { kind = .method }
                    if kind == .variable { kind = .property }
                    container = container ?? enclosing.name
                } else if enclosing.kind.isFunctionLike, kind.isFunctionLike {
                    continue  // nested functions are locals too
                }
            }
            let signature = signatureText(of: raw.node, body: raw.body, in: tree)
            result.append(
                SymbolDefinition(
                    name: raw.name, kind: kind, path: path, container: container?.trimmingPointerMarks,
                    signature: signature, snippet: "", range: raw.range, nameRange: raw.nameRange,
                    start: raw.node.startPoint, end: raw.node.endPoint))
        }
        for index in result.indices {
            result[index].snippet = snippetText(for: result[index], members: result, in: tree)
        }
        return result
    }

    static func importsIn(_ tree: SyntaxTree, query: Query) -> [ImportReference] {
        var byStatement: [Range<Int>: ImportReference] = [:]
        var order: [Range<Int>] = []
        for match in query.matches(in: tree.root) {
            guard let statement = match.node("import"), let module = match.node("import.module") else { continue }
            let key = statement.byteRange
            if byStatement[key] == nil {
                byStatement[key] = ImportReference(
                    module: module.text.strippingQuotes, names: [], alias: nil,
                    range: key)
                order.append(key)
            }
            for capture in match.captures where capture.name == "import.name" {
                if !byStatement[key]!.names.contains(capture.node.text) {
                    byStatement[key]!.names.append(capture.node.text)
                }
            }
            if let alias = match.node("import.alias") { byStatement[key]!.alias = alias.text }
        }
        return order.compactMap { byStatement[$0] }
    }

    /// The text before the body, or the first three lines when there is no body; whitespace runs collapsed so a
    /// multi-line parameter list reads as one line.
    static func signatureText(of node: SyntaxNode, body: SyntaxNode?, in tree: SyntaxTree) -> String {
        var end = node.endByte
        if let body, body.startByte > node.startByte { end = body.startByte }
        var text = tree.string(in: node.startByte..<end)
        if body == nil {
            text = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).prefix(3)
                .joined(separator: "\n")
        }
        let collapsed = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
            .joined(separator: " ")
        return String(collapsed.prefix(400))
    }

    /// Nodes that wrap a definition and belong in its snippet.
    static let wrapperTypes: Set<String> = ["export_statement", "decorated_definition"]

    /// The definition's text from the start of its line, or an outline when it is long.
    static func snippetText(for definition: SymbolDefinition, members: [SymbolDefinition], in tree: SyntaxTree)
        -> String
    {
        // `export function f`, `@decorator def f`: the wrapper belongs to what the model should see.
        var first = definition.range.lowerBound
        if var node = tree.namedNode(covering: definition.range) {
            while let parent = node.parent, Self.wrapperTypes.contains(parent.type),
                parent.endByte == definition.range.upperBound
            {
                first = parent.startByte
                node = parent
            }
        }
        let lineStart = tree.lineStart(before: first)
        let indentation = tree.string(in: lineStart..<first)
        let isIndentation = indentation.allSatisfy { $0 == " " || $0 == "\t" }
        let start = isIndentation ? lineStart : first
        if definition.range.upperBound - start <= fullSnippetLimit {
            return tree.string(in: start..<definition.range.upperBound)
        }
        let prefix = isIndentation ? indentation : ""
        let wrapper = tree.string(in: first..<definition.range.lowerBound)
        guard definition.kind.isTypeLike else { return prefix + wrapper + definition.signature }
        // A long type: its header and each direct member's signature, indented one level deeper.
        let inner = members.filter {
            $0.range.lowerBound > definition.range.lowerBound && $0.range.upperBound <= definition.range.upperBound
                && $0.container == definition.name
        }
        var lines = [prefix + wrapper + definition.signature]
        for member in inner.prefix(40) { lines.append(prefix + "    " + member.signature) }
        return lines.joined(separator: "\n")
    }
}

extension SyntaxTree {
    /// The offset where the line containing `offset` starts.
    func lineStart(before offset: Int) -> Int {
        var index = min(offset, text.count)
        while index > 0, text[index - 1] != UInt8(ascii: "\n") { index -= 1 }
        return index
    }

    /// The offset of the `\n` ending the line containing `offset` (or the end of the text).
    func lineEnd(after offset: Int) -> Int {
        var index = max(0, min(offset, text.count))
        while index < text.count, text[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }
}

extension String {
    var strippingQuotes: String {
        var text = Substring(self)
        while let first = text.first, "\"'`<".contains(first) { text = text.dropFirst() }
        while let last = text.last, "\"'`>".contains(last) { text = text.dropLast() }
        return String(text)
    }

    var trimmingPointerMarks: String {
        String(self.drop { $0 == "*" || $0 == "&" || $0 == " " })
    }
}
