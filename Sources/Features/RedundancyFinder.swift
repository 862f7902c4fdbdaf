import Syntax

/// Code that can be deleted without changing what the program does, found from the syntax tree.
public struct RedundantCode: Sendable, Equatable {
    /// What makes the code redundant.
    public enum Kind: String, Sendable, Equatable {
        case unusedImport
        case unusedVariable
        case unreachable
        case duplicate
    }

    /// What makes it redundant.
    public var kind: Kind
    /// What the action says, precisely ("Remove unused import `os`").
    public var title: String
    /// The code the finding is about; an editor range touching it gets the action.
    public var range: Range<Int>
    /// The deletion (whole lines when the code stands on lines of its own).
    public var edit: ByteRangeEdit
}

/// Finds redundant code with the syntax layer: unused imports (Python, JavaScript, TypeScript), unused local
/// variables (the value is kept as a bare evaluation when it does something), statements after a
/// `return`/`throw`/`break`/`continue` in the same block, and a statement that repeats the one before it when
/// repeating it changes nothing.
///
/// Conservative by design: when it cannot tell that deleting is safe (a value with a call in it, a name that
/// other files may import, a hoisted declaration after a `return`), it offers nothing.
public struct RedundancyFinder: Sendable {
    /// Grammars and their `imports.scm` / `locals.scm` queries.
    public let registry: LanguageRegistry

    public init(registry: LanguageRegistry) {
        self.registry = registry
    }

    /// The findings whose code touches `range` (all of them when `range` is nil), in document order.
    /// `path` is the document's path (an `__init__.py` re-exports what it imports, so its imports are left alone).
    public func find(in tree: SyntaxTree, path: String, touching range: Range<Int>? = nil) -> [RedundantCode] {
        func touches(_ code: Range<Int>) -> Bool {
            guard let range else { return true }
            return code.lowerBound <= range.upperBound && range.lowerBound <= code.upperBound
        }
        var found: [RedundantCode] = []
        found += unusedImports(tree, path: path).filter { touches($0.range) }
        found += unusedVariables(tree, touching: range)
        found += unreachable(tree).filter { touches($0.range) }
        found += duplicates(tree).filter { touches($0.range) }
        return found.sorted { ($0.range.lowerBound, $0.kind.rawValue) < ($1.range.lowerBound, $1.kind.rawValue) }
    }

    // MARK: - Unused imports

    func unusedImports(_ tree: SyntaxTree, path: String) -> [RedundantCode] {
        let language = tree.language.id
        guard ["python", "javascript", "typescript", "tsx"].contains(language),
            !path.hasSuffix("__init__.py"), let query = registry.query(.imports, for: tree.language)
        else { return [] }
        // Per import statement: the names it binds (none for a side-effect import, which is never reported), or nil
        // when it must be left alone.
        var bound: [Range<Int>: (statement: SyntaxNode, names: [String]?)] = [:]
        // The node of each imported name (not module or alias), for removing one name of several.
        var nameNodes: [Range<Int>: [(name: String, node: SyntaxNode)]] = [:]
        for match in query.matches(in: tree.root) {
            guard let statement = match.node("import") else { continue }
            var entry = bound[statement.byteRange] ?? (statement, [])
            let module = match.node("import.module")?.text ?? ""
            let name: String?
            if let alias = match.node("import.alias") {
                name = alias.text
            } else if let imported = match.node("import.name") {
                name = imported.text
            } else if language == "python", statement.type == "import_statement", !module.isEmpty {
                name = String(module.split(separator: ".").first ?? "")  // `import a.b` binds `a`
            } else {
                name = nil
            }
            // A `__future__` import changes the compiler, and a wildcard binds names no one can see here.
            if module == "__future__" || statement.hasError || (language == "python" && statement.text.contains("*")) {
                entry.names = nil
            } else if let name, entry.names != nil, !entry.names!.contains(name) {
                entry.names!.append(name)
                if let node = match.node("import.alias") ?? match.node("import.name") {
                    nameNodes[statement.byteRange, default: []].append((name, node))
                }
            }
            bound[statement.byteRange] = entry
        }
        let imports = bound.values.map(\.statement.byteRange)
        var used = Set<String>()
        tree.root.walk { node in
            if imports.contains(where: { $0.lowerBound <= node.startByte && node.endByte <= $0.upperBound }) {
                return false
            }
            if node.childCount == 0, node.isNamed, isIdentifierNodeType(node.type) { used.insert(node.text) }
            return true
        }
        var partial: [RedundantCode] = []
        for (statement, names) in bound.values {
            guard let names, names.contains(where: used.contains),
                let nodes = nameNodes[statement.byteRange]
            else { continue }
            for (name, node) in nodes where !used.contains(name) {
                guard let range = Self.listItemDeletion(node) else { continue }
                partial.append(
                    RedundantCode(
                        kind: .unusedImport, title: "Remove unused name `\(name)` from the import",
                        range: node.byteRange, edit: ByteRangeEdit(range: range, newText: "")))
            }
        }
        return partial
            + bound.values.compactMap { statement, names in
                guard let names, !names.isEmpty, names.allSatisfy({ !used.contains($0) }) else { return nil }
                let list = names.map { "`\($0)`" }.joined(separator: ", ")
                return RedundantCode(
                    kind: .unusedImport,
                    title: names.count == 1 ? "Remove unused import \(list)" : "Remove unused imports \(list)",
                    range: statement.byteRange,
                    edit: ByteRangeEdit(
                        range: Self.deletionRange(statement.byteRange, in: tree.text),
                        newText: ""))
            }
    }

    // MARK: - Unused local variables

    func unusedVariables(_ tree: SyntaxTree, touching range: Range<Int>?) -> [RedundantCode] {
        guard let query = registry.query(.locals, for: tree.language) else { return [] }
        var result: [RedundantCode] = []
        var seen = Set<Range<Int>>()
        // Matches are looked for on the whole lines of the range: an empty range (a cursor) at the start of a
        // statement would otherwise intersect nothing.
        let lines = range.map { range -> Range<Int> in
            let text = tree.text
            var start = min(range.lowerBound, text.count)
            while start > 0, text[start - 1] != 0x0A { start -= 1 }
            var end = min(range.upperBound, text.count)
            while end < text.count, text[end] != 0x0A { end += 1 }
            return start..<end
        }
        for match in query.matches(in: tree.root, byteRange: lines) {
            for capture in match.captures where capture.name == "local.definition" {
                let name = capture.node
                guard seen.insert(name.byteRange).inserted,
                    let (statement, value) = Self.simpleDeclaration(of: name, language: tree.language.id),
                    range.map({
                        statement.byteRange.lowerBound <= $0.upperBound
                            && $0.lowerBound <= statement.byteRange.upperBound
                    }) ?? true,
                    !statement.hasError,
                    let scope = Renamer.enclosingDeclaration(of: statement), Self.isFunctionLike(scope.type),
                    let occurrences = ScopeResolver.occurrences(at: name.startByte, in: tree, registry: registry),
                    occurrences.occurrences == [name.byteRange], !occurrences.mayBeUsedInOtherFiles
                else { continue }
                if let value, !Self.hasNoSideEffects(value) {
                    // The value does something (a call, an await): the variable goes, the evaluation stays.
                    guard let kept = Self.evaluationOnly(value, statement: statement, language: tree.language.id)
                    else { continue }
                    result.append(
                        RedundantCode(
                            kind: .unusedVariable, title: "Remove unused variable `\(name.text)`, keeping its value",
                            range: statement.byteRange, edit: ByteRangeEdit(range: statement.byteRange, newText: kept)))
                    continue
                }
                result.append(
                    RedundantCode(
                        kind: .unusedVariable, title: "Remove unused variable `\(name.text)`",
                        range: statement.byteRange,
                        edit: ByteRangeEdit(range: Self.deletionRange(statement.byteRange, in: tree.text), newText: ""))
                )
            }
        }
        return result
    }

    /// The statement that declares exactly `name` and nothing else (`x = 1`, `let x = 1`, `const x = 1;`), and
    /// its value; nil for parameters, patterns, several declarators and other forms.
    static func simpleDeclaration(of name: SyntaxNode, language: String) -> (SyntaxNode, SyntaxNode?)? {
        guard let parent = name.parent, let grand = parent.parent else { return nil }
        switch language {
        case "python":
            guard parent.type == "assignment", parent.child(field: "left")?.isSame(as: name) == true,
                grand.type == "expression_statement", grand.namedChildCount == 1
            else { return nil }
            return (grand, parent.child(field: "right"))
        case "javascript", "typescript", "tsx":
            guard parent.type == "variable_declarator", parent.child(field: "name")?.isSame(as: name) == true,
                grand.type == "lexical_declaration" || grand.type == "variable_declaration",
                grand.namedChildren.filter({ $0.type == "variable_declarator" }).count == 1
            else { return nil }
            return (grand, parent.child(field: "value"))
        case "swift":
            guard parent.type == "pattern", parent.namedChildCount == 1, grand.type == "property_declaration",
                grand.namedChildren.filter({ $0.type == "pattern" }).count == 1
            else { return nil }
            return (grand, grand.child(field: "value"))
        default:
            return nil
        }
    }

    /// The statement that evaluates `value` and discards it, in place of `statement`: `f()` (Python),
    /// `f();` (JavaScript, TypeScript), `_ = f()` (Swift, which warns about unused results otherwise).
    static func evaluationOnly(_ value: SyntaxNode, statement: SyntaxNode, language: String) -> String? {
        switch language {
        case "python": return value.text
        case "javascript", "typescript", "tsx": return value.text + (statement.text.hasSuffix(";") ? ";" : "")
        case "swift": return "_ = " + value.text
        default: return nil
        }
    }

    static func isFunctionLike(_ type: String) -> Bool {
        ["function", "method", "lambda", "closure", "init_declaration", "arrow"].contains { type.contains($0) }
    }

    /// Whether evaluating `node` can do nothing but produce a value: no call, await, yield, assignment, update,
    /// `new`, `delete`, `throw`, `try` or macro anywhere inside.
    static func hasNoSideEffects(_ node: SyntaxNode) -> Bool {
        let effects = [
            "call", "await", "yield", "new_expression", "assignment", "update", "augmented", "delete",
            "throw", "try", "macro", "named_expression", "ERROR",
        ]
        var clean = true
        node.walk { child in
            if effects.contains(where: { child.type.contains($0) }) || child.isMissing { clean = false }
            return clean
        }
        return clean
    }

    // MARK: - Unreachable statements

    static let terminators: Set<String> = [
        "return_statement", "raise_statement", "throw_statement",
        "break_statement", "continue_statement", "control_transfer_statement",
    ]

    func unreachable(_ tree: SyntaxTree) -> [RedundantCode] {
        var result: [RedundantCode] = []
        tree.root.walk { node in
            guard Self.terminators.contains(node.type), !node.hasError else { return true }
            var dead: [SyntaxNode] = []
            var sibling = node.nextNamedSibling
            while let current = sibling {
                let type = current.type
                // Comments are not code; declarations may be hoisted or referenced earlier; labels and cases are
                // jump targets; preprocessor lines are not statements.
                let stop = ["label", "case", "default", "preproc", "directive"].contains { type.contains($0) }
                if stop || current.hasError { break }
                let skip = type.contains("comment") || type.contains("function") || type.contains("class")
                if !skip { dead.append(current) }
                sibling = current.nextNamedSibling
            }
            guard let first = dead.first, let last = dead.last else { return true }
            let keyword =
                node.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" || $0 == "(" })
                .first.map(String.init) ?? node.type
            let title =
                dead.count == 1
                ? "Remove unreachable statement `\(Self.excerpt(first.text))` after `\(keyword)`"
                : "Remove \(dead.count) unreachable statements after `\(keyword)`"
            let code = first.startByte..<last.endByte
            result.append(
                RedundantCode(
                    kind: .unreachable, title: title, range: code,
                    edit: ByteRangeEdit(
                        range: Self.deletionRange(code, in: tree.text),
                        newText: "")))
            return true
        }
        return result
    }

    // MARK: - Duplicated consecutive statements

    func duplicates(_ tree: SyntaxTree) -> [RedundantCode] {
        var result: [RedundantCode] = []
        tree.root.walk { node in
            let type = node.type
            guard
                ["block", "module", "program", "statements", "source_file", "body"].contains(where: {
                    type.contains($0)
                })
            else { return true }
            let statements = node.namedChildren.filter { !$0.type.contains("comment") }
            for (earlier, later) in zip(statements, statements.dropFirst())
            where earlier.text == later.text && !later.hasError && Self.isIdempotent(later) {
                result.append(
                    RedundantCode(
                        kind: .duplicate, title: "Remove duplicated statement `\(Self.excerpt(later.text))`",
                        range: later.byteRange,
                        edit: ByteRangeEdit(range: Self.deletionRange(later.byteRange, in: tree.text), newText: "")))
            }
            return true
        }
        return result
    }

    /// Whether running `statement` a second time right after the first changes nothing: an import, or an
    /// assignment/declaration whose value has no side effects and does not read what it assigns, or an expression
    /// with no side effects.
    static func isIdempotent(_ statement: SyntaxNode) -> Bool {
        if statement.type.contains("import") { return true }
        let assignmentTypes: Set<String> = [
            "assignment", "assignment_expression", "variable_declarator",
            "property_declaration",
        ]
        var candidates = [statement] + statement.namedChildren
        candidates += statement.namedChildren.flatMap(\.namedChildren)
        if let assignment = candidates.first(where: { assignmentTypes.contains($0.type) }) {
            // Some grammars (Swift) give `x += 1` the same node type as `x = 1`.
            let compound: Set<String> = [
                "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**=", "//=",
                "@=", "&&=", "||=", "??=", ">>>=",
            ]
            if assignment.children.contains(where: { compound.contains($0.text) }) { return false }
            let target =
                assignment.child(field: "left") ?? assignment.child(field: "name")
                ?? assignment.child(field: "target")
            let value =
                assignment.child(field: "right") ?? assignment.child(field: "value")
                ?? assignment.child(field: "result")
            guard let target else { return false }
            guard let value else { return true }
            let written = identifierTexts(target)
            return hasNoSideEffects(value) && identifierTexts(value).isDisjoint(with: written)
                && hasNoSideEffects(target)
        }
        return hasNoSideEffects(statement) && !["function", "class", "struct"].contains { statement.type.contains($0) }
    }

    static func identifierTexts(_ node: SyntaxNode) -> Set<String> {
        var names = Set<String>()
        node.walk { child in
            if child.childCount == 0, child.isNamed, isIdentifierNodeType(child.type) { names.insert(child.text) }
            return true
        }
        return names
    }

    // MARK: - Helpers

    /// The first line of `text`, at most 40 characters.
    static func excerpt(_ text: String) -> String {
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? text
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > 40 ? String(trimmed.prefix(39)) + "…" : trimmed
    }

    /// `code` widened to whole lines (with their newline) when only blanks share its first and last lines;
    /// otherwise `code` plus the blanks (and a `;`) after it, so no empty line or stray separator is left.
    /// The bytes to delete to take one imported name out of a comma-separated list (`from m import a, b`,
    /// `import { a, b } from "m"`), comma included; nil when the name is not in such a list.
    static func listItemDeletion(_ name: SyntaxNode) -> Range<Int>? {
        // The list item: the name itself, or the clause around it (`a as b`, an import specifier).
        var item = name
        if let parent = item.parent, ["aliased_import", "import_specifier"].contains(parent.type) { item = parent }
        guard let list = item.parent, ["import_from_statement", "named_imports"].contains(list.type) else { return nil }
        if let comma = item.nextSibling, comma.type == "," {
            // Up to the next item, or over a trailing comma.
            if let next = comma.nextNamedSibling, next.parent?.isSame(as: list) == true,
                next.type != "comment"
            {
                return item.startByte..<next.startByte
            }
            return item.startByte..<comma.endByte
        }
        if let comma = item.previousSibling, comma.type == ",", let previous = comma.previousNamedSibling,
            previous.startByte > (list.child(field: "module_name")?.endByte ?? -1)
        {
            return previous.endByte..<item.endByte
        }
        return nil
    }

    static func deletionRange(_ code: Range<Int>, in text: [UInt8]) -> Range<Int> {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var start = code.lowerBound
        while start > 0, isBlank(text[start - 1]) { start -= 1 }
        let startsLine = start == 0 || text[start - 1] == 0x0A
        var end = code.upperBound
        while end < text.count, isBlank(text[end]) || text[end] == UInt8(ascii: ";") || text[end] == 0x0D { end += 1 }
        let endsLine = end == text.count || text[end] == 0x0A
        if startsLine && endsLine { return start..<min(text.count, end + 1) }
        return code.lowerBound..<end
    }
}
