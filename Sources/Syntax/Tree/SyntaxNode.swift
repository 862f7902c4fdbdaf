import CTreeSitter
import Foundation

/// A node of a ``SyntaxTree``. Holds its tree alive, so it stays valid as long as it exists.
public struct SyntaxNode: CustomStringConvertible {
    let raw: TSNode
    public let tree: SyntaxTree

    init?(_ raw: TSNode, in tree: SyntaxTree) {
        guard !ts_node_is_null(raw) else { return nil }
        self.raw = raw
        self.tree = tree
    }

    /// The grammar's name for the node kind (`"function_definition"`, `"("`, `"ERROR"`).
    public var type: String { String(cString: ts_node_type(raw)) }
    public var isNamed: Bool { ts_node_is_named(raw) }
    public var isMissing: Bool { ts_node_is_missing(raw) }
    public var isError: Bool { type == "ERROR" }
    /// Whether this node or a descendant is an ERROR or MISSING node.
    public var hasError: Bool { ts_node_has_error(raw) }

    public var startByte: Int { Int(ts_node_start_byte(raw)) }
    public var endByte: Int { Int(ts_node_end_byte(raw)) }
    public var byteRange: Range<Int> { startByte..<endByte }
    public var startPoint: TextPoint { TextPoint(ts_node_start_point(raw)) }
    public var endPoint: TextPoint { TextPoint(ts_node_end_point(raw)) }

    /// The source text the node spans.
    public var text: String { tree.string(in: byteRange) }

    public var parent: SyntaxNode? { SyntaxNode(ts_node_parent(raw), in: tree) }

    /// The parent, grandparent, … up to the root.
    public var ancestors: [SyntaxNode] {
        var result: [SyntaxNode] = []
        var current = parent
        while let node = current {
            result.append(node)
            current = node.parent
        }
        return result
    }

    public var childCount: Int { Int(ts_node_child_count(raw)) }
    public var namedChildCount: Int { Int(ts_node_named_child_count(raw)) }

    public func child(_ index: Int) -> SyntaxNode? { SyntaxNode(ts_node_child(raw, UInt32(index)), in: tree) }

    public var children: [SyntaxNode] { (0..<childCount).compactMap { child($0) } }
    public var namedChildren: [SyntaxNode] {
        (0..<namedChildCount).compactMap { SyntaxNode(ts_node_named_child(raw, UInt32($0)), in: tree) }
    }

    /// The child in grammar field `name` (`"name"`, `"body"`, `"parameters"`).
    public func child(field name: String) -> SyntaxNode? {
        SyntaxNode(ts_node_child_by_field_name(raw, name, UInt32(name.utf8.count)), in: tree)
    }

    /// The field name under which child `index` hangs, if any.
    public func fieldName(ofChild index: Int) -> String? {
        ts_node_field_name_for_child(raw, UInt32(index)).map { String(cString: $0) }
    }

    public var nextSibling: SyntaxNode? { SyntaxNode(ts_node_next_sibling(raw), in: tree) }
    public var previousSibling: SyntaxNode? { SyntaxNode(ts_node_prev_sibling(raw), in: tree) }
    public var nextNamedSibling: SyntaxNode? { SyntaxNode(ts_node_next_named_sibling(raw), in: tree) }
    public var previousNamedSibling: SyntaxNode? { SyntaxNode(ts_node_prev_named_sibling(raw), in: tree) }

    /// The node's S-expression (named nodes only, as tree-sitter prints it).
    public var sExpression: String {
        guard let cString = ts_node_string(raw) else { return "" }
        defer { free(cString) }
        return String(cString: cString)
    }

    /// Visits this node and its descendants in document order; return `false` to skip a node's children.
    public func walk(_ visit: (SyntaxNode) -> Bool) {
        var cursor = ts_tree_cursor_new(raw)
        defer { ts_tree_cursor_delete(&cursor) }
        var descend = visit(self)
        while true {
            if descend, ts_tree_cursor_goto_first_child(&cursor) {
            } else {
                while !ts_tree_cursor_goto_next_sibling(&cursor) {
                    guard ts_tree_cursor_goto_parent(&cursor) else { return }
                    if ts_node_eq(ts_tree_cursor_current_node(&cursor), raw) { return }
                }
            }
            if ts_node_eq(ts_tree_cursor_current_node(&cursor), raw) { return }
            guard let node = SyntaxNode(ts_tree_cursor_current_node(&cursor), in: tree) else { return }
            descend = visit(node)
        }
    }

    public var description: String { "\(type)@\(startByte)..<\(endByte)" }

    /// Two nodes are the same when they are the same node of the same tree.
    public func isSame(as other: SyntaxNode) -> Bool { ts_node_eq(raw, other.raw) }
}
