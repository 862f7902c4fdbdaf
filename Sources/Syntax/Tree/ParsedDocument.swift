import CTreeSitter

/// How a candidate edit would change a document's syntax errors.
public struct ParseCheck: Sendable, Equatable {
    /// ERROR and MISSING nodes before the edit.
    public var errorsBefore: Int
    /// ERROR and MISSING nodes after the edit.
    public var errorsAfter: Int
    /// Byte ranges (in the edited text) of error nodes that touch the inserted text.
    public var errorsTouchingEdit: [Range<Int>]

    /// True when the edit adds no syntax errors: the document has no more ERROR/MISSING nodes than before. Text the
    /// user is still typing usually has an error at the cursor already; a completion that keeps or fixes it is
    /// fine, so errors touching the edit only matter through the count.
    public var introducesNoNewErrors: Bool { errorsAfter <= errorsBefore }
}

/// An open document: its text and a syntax tree kept current by incremental reparsing.
///
/// Not `Sendable` and not thread-safe (it owns a parser); keep each instance inside one actor or task.
public final class ParsedDocument {
    public let language: Language
    /// The current tree; each edit replaces it with a new immutable tree, so earlier trees and nodes stay valid.
    public private(set) var tree: SyntaxTree
    /// The editor's version of the text the tree describes, as passed to ``apply(_:version:)``.
    public private(set) var version: Int?
    private let parser: Parser

    public init(text: [UInt8], language: Language, version: Int? = nil) throws {
        self.language = language
        parser = try Parser(language: language)
        tree = parser.parse(text)
        self.version = version
    }

    /// Starts from an existing tree (for instance a ``TreeSnapshot``'s) instead of parsing: later edits reparse
    /// incrementally from it. The tree is used as it is, so it must not be read anywhere else meanwhile.
    public init(tree: SyntaxTree, version: Int? = nil) throws {
        language = tree.language
        parser = try Parser(language: tree.language)
        self.tree = tree
        self.version = version
    }

    public convenience init(text: String, language: Language, version: Int? = nil) throws {
        try self.init(text: Array(text.utf8), language: language, version: version)
    }

    /// The UTF-8 text the current tree describes.
    public var text: [UInt8] { tree.text }

    /// Applies one edit: tells tree-sitter which bytes moved (`ts_tree_edit`) and reparses reusing the old tree.
    public func apply(_ edit: TextEdit) {
        tree = reparsed(tree, applying: edit)
    }

    /// Applies edits in order; each edit's range refers to the text left by the previous one, as LSP's
    /// `contentChanges` do. `version` (the document version after the change) is recorded with the new tree.
    public func apply(_ edits: [TextEdit], version: Int? = nil) {
        for edit in edits { apply(edit) }
        if let version { self.version = version }
    }

    /// Replaces the whole text and parses it from scratch.
    public func replaceText(_ text: [UInt8], version: Int? = nil) {
        tree = parser.parse(text)
        if let version { self.version = version }
    }

    /// Whether replacing `range` by `replacement` would keep the document free of new syntax errors.
    /// The document itself is not changed.
    public func check(replacing range: Range<Int>, with replacement: String) -> ParseCheck {
        let edit = TextEdit(range: range, replacement: replacement)
        let candidate = reparsed(tree, applying: edit)
        let inserted =
            edit.clampedRange(in: text)
            .lowerBound..<(edit.clampedRange(in: text).lowerBound
            + edit.replacement.count)
        let touching = candidate.errorNodes().map(\.byteRange).filter { error in
            error.overlaps(inserted) || (error.isEmpty && inserted.contains(error.lowerBound))
                || (!inserted.isEmpty && error.lowerBound == inserted.upperBound && error.isEmpty)
        }
        return ParseCheck(
            errorsBefore: tree.errorNodes().count, errorsAfter: candidate.errorNodes().count,
            errorsTouchingEdit: touching)
    }

    private func reparsed(_ old: SyntaxTree, applying edit: TextEdit) -> SyntaxTree {
        let oldText = old.text
        let range = edit.clampedRange(in: oldText)
        let newText = edit.applied(to: oldText)
        let startPoint = TextPoint.of(offset: range.lowerBound, in: oldText)
        let oldEndPoint = TextPoint.of(offset: range.upperBound, in: oldText)
        let newEndPoint = Self.point(after: edit.replacement, from: startPoint)
        var inputEdit = TSInputEdit(
            start_byte: UInt32(range.lowerBound), old_end_byte: UInt32(range.upperBound),
            new_end_byte: UInt32(range.lowerBound + edit.replacement.count),
            start_point: startPoint.raw, old_end_point: oldEndPoint.raw, new_end_point: newEndPoint.raw)
        // Edit a copy: the old SyntaxTree is immutable and may still be in use by its nodes.
        let edited = ts_tree_copy(old.pointer)!
        defer { ts_tree_delete(edited) }
        ts_tree_edit(edited, &inputEdit)
        return parser.parse(newText, reusing: edited)
    }

    private static func point(after inserted: [UInt8], from start: TextPoint) -> TextPoint {
        var row = start.row
        var column = start.column
        for byte in inserted {
            if byte == UInt8(ascii: "\n") {
                row += 1
                column = 0
            } else {
                column += 1
            }
        }
        return TextPoint(row: row, column: column)
    }
}
