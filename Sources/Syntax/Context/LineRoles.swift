import SourceText

/// Lines of a document that cannot be the line a user writes at a cursor in code: lines of prose, whose text lies
/// inside one comment or string (a docstring's lines, its examples' output, a block comment), and the header lines of
/// the declarations that enclose the cursor (a function's own signature is never a line of its body).
///
/// Why: on new code, where the file repeats nothing, the lines that completion copied from the file were mostly
/// these (a docstring's `True`, the function's own `def`), and they are never right in code.
public struct LineRoles: Sendable, Equatable {
    /// 0-based numbers of the prose lines within `window` lines of the cursor: those inside a comment, and those
    /// inside a string (a docstring).
    public var commentLines: Set<Int>
    public var stringLines: Set<Int>
    /// 0-based numbers of the lines of the enclosing declarations' headers.
    public var headerLines: Set<Int>
    /// Every prose line.
    public var proseLines: Set<Int> { commentLines.union(stringLines) }

    /// How many lines on each side of the cursor are examined for prose: as far as completion ranks the file's lines.
    public static let window = 2_000

    public init(commentLines: Set<Int> = [], stringLines: Set<Int> = [], headerLines: Set<Int> = []) {
        self.commentLines = commentLines
        self.stringLines = stringLines
        self.headerLines = headerLines
    }

    /// The roles of the lines around `offset` in `tree`.
    public static func find(in tree: SyntaxTree, at offset: Int) -> LineRoles {
        let text = tree.text
        let lines = LineTable(text)
        let cursorLine = lines.line(containing: min(offset, text.count))
        let firstLine = max(0, cursorLine - window), lastLine = min(lines.lineCount - 1, cursorLine + window)
        let windowStart = lines.lineStarts[firstLine]
        let windowEnd = lastLine + 1 < lines.lineCount ? lines.lineStarts[lastLine + 1] : text.count
        var comments = Set<Int>(), strings = Set<Int>()
        tree.root.walk { node in
            guard node.endByte > windowStart, node.startByte < windowEnd else { return false }
            let type = node.type
            let isComment = type.contains("comment")
            guard isComment || type.contains("string") else { return true }
            // Every line whose non-blank text lies inside this node.
            let first = max(firstLine, lines.line(containing: node.startByte))
            let last = min(lastLine, lines.line(containing: max(node.startByte, node.endByte - 1)))
            for line in first...max(first, last) {
                let content = lines.contentRange(ofLine: line, in: text)
                guard let start = content.first(where: { !isBlank(text[$0]) }),
                    let end = content.last(where: { !isBlank(text[$0]) })
                else { continue }
                if node.startByte <= start, end < node.endByte {
                    if isComment { comments.insert(line) } else { strings.insert(line) }
                }
            }
            return false
        }
        var headers = Set<Int>()
        for header in WindowCutter.enclosingHeaders(in: tree, at: offset) where !header.range.isEmpty {
            let first = lines.line(containing: header.range.lowerBound)
            let last = lines.line(containing: header.range.upperBound - 1)
            headers.formUnion(first...max(first, last))
        }
        headers.remove(cursorLine)
        return LineRoles(commentLines: comments, stringLines: strings, headerLines: headers)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
