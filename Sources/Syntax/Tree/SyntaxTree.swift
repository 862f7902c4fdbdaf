import CTreeSitter

/// A row and a byte column, both zero-based; what tree-sitter calls a point. Rows are separated by `\n`.
public struct TextPoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var row: Int
    public var column: Int

    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }

    init(_ point: TSPoint) {
        row = Int(point.row)
        column = Int(point.column)
    }

    var raw: TSPoint { TSPoint(row: UInt32(row), column: UInt32(column)) }

    public static func < (lhs: TextPoint, rhs: TextPoint) -> Bool { (lhs.row, lhs.column) < (rhs.row, rhs.column) }
    public var description: String { "\(row):\(column)" }

    /// The point of byte `offset` in `text`.
    public static func of(offset: Int, in text: [UInt8]) -> TextPoint {
        var row = 0
        var lineStart = 0
        let end = min(offset, text.count)
        var index = 0
        while index < end {
            if text[index] == UInt8(ascii: "\n") {
                row += 1
                lineStart = index + 1
            }
            index += 1
        }
        return TextPoint(row: row, column: end - lineStart)
    }
}

/// An immutable syntax tree together with the exact UTF-8 text it was parsed from.
///
/// Not `Sendable`: tree-sitter trees must not be read from two threads at once. Use ``copy()`` (cheap: trees share
/// structure) to hand one to another thread.
public final class SyntaxTree {
    public let language: Language
    /// The UTF-8 text this tree describes; node offsets index into it.
    public let text: [UInt8]
    let pointer: OpaquePointer

    init(pointer: OpaquePointer, text: [UInt8], language: Language) {
        self.pointer = pointer
        self.text = text
        self.language = language
    }

    deinit { ts_tree_delete(pointer) }

    /// An independent tree (sharing structure internally) that another thread may use.
    public func copy() -> SyntaxTree {
        SyntaxTree(pointer: ts_tree_copy(pointer), text: text, language: language)
    }

    /// The root node; a tree always has one (an empty text gives an empty root).
    public var root: SyntaxNode { SyntaxNode(ts_tree_root_node(pointer), in: self)! }

    /// Whether any ERROR or MISSING node exists.
    public var hasError: Bool { ts_node_has_error(ts_tree_root_node(pointer)) }

    /// The S-expression of the whole tree, for tests and debugging.
    public var sExpression: String { root.sExpression }

    /// The smallest node (named or anonymous) that spans `offset`.
    public func node(at offset: Int) -> SyntaxNode? {
        let clamped = UInt32(max(0, min(offset, text.count)))
        return SyntaxNode(ts_node_descendant_for_byte_range(ts_tree_root_node(pointer), clamped, clamped), in: self)
    }

    /// The smallest named node spanning `range`.
    public func namedNode(covering range: Range<Int>) -> SyntaxNode? {
        let start = UInt32(max(0, min(range.lowerBound, text.count)))
        let end = UInt32(max(0, min(range.upperBound, text.count)))
        return SyntaxNode(ts_node_named_descendant_for_byte_range(ts_tree_root_node(pointer), start, end), in: self)
    }

    /// The ERROR and MISSING nodes, outermost first; subtrees free of errors are not visited.
    public func errorNodes() -> [SyntaxNode] {
        var result: [SyntaxNode] = []
        var stack = [root]
        while let node = stack.popLast() {
            if node.isError || node.isMissing {
                result.append(node)
                continue
            }
            guard node.hasError else { continue }
            stack.append(contentsOf: node.children.reversed())
        }
        return result
    }

    /// The text of a byte range, decoded leniently (a range cutting a UTF-8 sequence yields U+FFFD).
    public func string(in range: Range<Int>) -> String {
        let clamped = max(0, min(range.lowerBound, text.count))..<max(0, min(range.upperBound, text.count))
        return String(decoding: text[clamped], as: UTF8.self)
    }
}
