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
        // A header partly inside the kept text contributes only its lines above the cut.
        let chosenHeaders = headers.filter { $0.range.lowerBound < start }.map { header in
            lines.string(header.range.lowerBound..<max(header.range.lowerBound,
                                                       min(header.range.upperBound, start - 1)))
        }
        var result = ""
        for header in chosenHeaders where counter.count(result + header) + used <= budget {
            result += header + "\n"
        }
        return Prefix(text: result + lines.string(start..<end), start: start)
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
        guard let node = tree.node(at: offset) else { return [] }
        let lines = LineView(text: tree.text)
        var result: [(range: Range<Int>, text: String)] = []
        for ancestor in ([node] + node.ancestors).reversed() {
            guard let body = ancestor.child(field: "body") ?? ancestor.child(field: "declarations"),
                  body.startByte <= offset, offset <= body.endByte, body.startByte > ancestor.startByte
            else { continue }
            let start = lines.lineStart(before: ancestor.startByte)
            let opensWithBracket = body.startByte < tree.text.count && [UInt8(ascii: "{"), UInt8(ascii: "[")]
                .contains(tree.text[body.startByte])
            var end = opensWithBracket ? lines.lineEnd(after: body.startByte) : lines.lineStart(before: body.startByte)
            if !opensWithBracket, end > start { end -= 1 }
            guard end > start else { continue }
            result.append((start..<end, lines.string(start..<end)))
        }
        return result
    }
}
