/// Cuts the prefix and suffix to their token budgets at line boundaries, keeping the headers of the declarations
/// that enclose the hole when their beginning falls outside the kept prefix.
enum WindowCutter {
    struct Prefix {
        var text: String
        /// Where the contiguous kept text starts in the document.
        var start: Int
    }

    static func prefix(text: [UInt8], end: Int, budget: Int, tree: SyntaxTree?, counter: TokenCounter) -> Prefix {
        let lines = LineView(text: text)
        let whole = lines.string(0..<end)
        if counter.count(whole) <= budget { return Prefix(text: whole, start: 0) }

        let headers = tree.map { enclosingHeaders(in: $0, at: end) } ?? []
        // Walk back line by line from the hole; the partial line before the hole is always kept.
        var start = lines.lineStart(before: end)
        var used = counter.count(lines.string(start..<end))
        while start > 0 {
            let previousStart = lines.lineStart(before: start - 1)
            let lineCost = counter.count(lines.string(previousStart..<start))
            // Headers above the cut are paid for before any more lines.
            let needed = headers.filter { $0.range.lowerBound < previousStart }
            let headerCost = needed.reduce(0) { $0 + counter.count($1.text) + 1 }
            if used + lineCost + headerCost > budget { break }
            used += lineCost
            start = previousStart
        }
        if let tree { start = syntaxBoundary(from: start, before: lines.lineStart(before: end), in: tree) }
        // A header partly inside the kept text contributes only its lines above the cut.
        let chosenHeaders = headers.filter { $0.range.lowerBound < start }.map { header in
            lines.string(
                header.range
                    .lowerBound..<max(
                        header.range.lowerBound,
                        min(header.range.upperBound, start - 1)))
        }
        var result = ""
        for header in chosenHeaders where counter.count(result + header) + used <= budget {
            result += header + "\n"
        }
        return Prefix(text: result + lines.string(start..<end), start: start)
    }

    /// The first line start at or after `start` (within a few lines, before `limit`) where a statement or
    /// declaration begins, so the kept prefix does not open in the middle of a multi-line expression, string or
    /// comment. Falls back to `start`.
    static func syntaxBoundary(from start: Int, before limit: Int, in tree: SyntaxTree) -> Int {
        let lines = LineView(text: tree.text)
        var candidate = start
        for _ in 0..<12 where candidate < limit {
            var first = candidate
            while first < tree.text.count,
                tree.text[first] == UInt8(ascii: " ") || tree.text[first] == UInt8(ascii: "\t")
            {
                first += 1
            }
            if first < tree.text.count, tree.text[first] != UInt8(ascii: "\n"), var node = tree.node(at: first) {
                while let parent = node.parent, parent.startByte == first { node = parent }
                let insideLiteral = node.ancestors.contains { ancestor in
                    let type = ancestor.type
                    return ancestor.startByte < first && (type.contains("string") || type.contains("comment"))
                }
                if node.startByte == first, node.isNamed, !node.isError, !insideLiteral,
                    let parent = node.parent, parent.parent == nil || isStatementContainer(parent.type)
                {
                    return candidate
                }
            }
            candidate = lines.lineEnd(after: candidate) + 1
        }
        return start
    }

    /// Node kinds whose children are statements or declarations, across the supported grammars.
    static func isStatementContainer(_ type: String) -> Bool {
        ["block", "body", "statement", "program", "module", "source_file", "translation_unit", "declaration_list"]
            .contains { type.contains($0) }
    }

    static func suffix(text: [UInt8], start: Int, budget: Int, counter: TokenCounter) -> (text: String, end: Int) {
        let lines = LineView(text: text)
        let whole = lines.string(start..<text.count)
        if counter.count(whole) <= budget { return (whole, text.count) }
        var end = lines.lineEnd(after: start)
        var used = counter.count(lines.string(start..<end))
        if used > budget {
            // Even the rest of the hole's line is too long: keep as much of it as fits.
            var cut = start
            while cut < end, counter.count(lines.string(start..<cut + 1)) <= budget { cut += 1 }
            return (lines.string(start..<cut), cut)
        }
        while end < text.count {
            let nextEnd = lines.lineEnd(after: end + 1)
            let cost = counter.count(lines.string(end..<nextEnd))
            if used + cost > budget { break }
            used += cost
            end = nextEnd
        }
        return (lines.string(start..<end), end)
    }

    /// Header lines of each ancestor that has a `body` containing `offset`, outermost first: from the start of the
    /// declaration's line to the line where its body opens (`{` on the same line is included; an indented Python
    /// block starts on the next line).
    static func enclosingHeaders(in tree: SyntaxTree, at offset: Int) -> [(range: Range<Int>, text: String)] {
        // Probe at the last visible character before the hole: an indented blank line after a Python block's last
        // statement is outside the block node but belongs to it.
        var probe = min(offset, tree.text.count)
        while probe > 0,
            [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
                .contains(tree.text[probe - 1])
        { probe -= 1 }
        let offset = max(0, probe - 1) < offset ? max(0, probe - 1) : offset
        guard let node = tree.node(at: offset) else { return [] }
        let lines = LineView(text: tree.text)
        var result: [(range: Range<Int>, text: String)] = []
        for ancestor in ([node] + node.ancestors).reversed() {
            guard let body = ancestor.child(field: "body") ?? ancestor.child(field: "declarations"),
                body.startByte <= offset, offset <= body.endByte, body.startByte > ancestor.startByte
            else { continue }
            let start = lines.lineStart(before: ancestor.startByte)
            let opensWithBracket =
                body.startByte < tree.text.count
                && [UInt8(ascii: "{"), UInt8(ascii: "[")]
                    .contains(tree.text[body.startByte])
            var end = opensWithBracket ? lines.lineEnd(after: body.startByte) : lines.lineStart(before: body.startByte)
            if !opensWithBracket, end > start { end -= 1 }
            guard end > start else { continue }
            result.append((start..<end, lines.string(start..<end)))
        }
        return result
    }
}
