/// A syntax tree handed from the thread that keeps it to one other thread (a request's worker).
///
/// Tree-sitter trees must not be read from two threads at once; a snapshot therefore always holds its own
/// ``SyntaxTree/copy()`` (cheap: copies share structure), and whoever receives it is its only reader.
public struct TreeSnapshot: @unchecked Sendable {
    /// The copied tree; its ``SyntaxTree/text`` is the text it describes.
    public let tree: SyntaxTree

    /// Copies `tree`, which may go on being used by its owner.
    public init(copying tree: SyntaxTree) {
        self.tree = tree.copy()
    }
}
