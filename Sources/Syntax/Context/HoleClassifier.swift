/// Decides a hole's ``HoleDescription`` from the text around it and, when available, the syntax tree.
enum HoleClassifier {
    /// Languages whose blocks are delimited by indentation after a `:` header.
    static let indentationBlockLanguages: Set<String> = ["python"]

    static func classify(
        text: [UInt8], hole: Range<Int>, tree: SyntaxTree?, languageID: String?,
        tokenCounter: TokenCounter
    ) -> HoleDescription {
        let lines = LineView(text: text)
        let lineStart = lines.lineStart(before: hole.lowerBound)
        let lineEnd = lines.lineEnd(after: hole.upperBound)
        let before = lines.string(lineStart..<hole.lowerBound)
        let after = lines.string(hole.upperBound..<lineEnd)
        let indentation = String(before.prefix { $0 == " " || $0 == "\t" })
        let nextLine = lines.nextNonBlankLine(after: lineEnd)
        let previousLine = lines.previousNonBlankLine(before: lineStart)
        let usesIndentation = languageID.map(indentationBlockLanguages.contains) ?? false
        let unit = lines.indentationUnit

        func make(
            _ kind: HoleDescription.Kind, _ suggested: Int, _ stops: [HoleDescription.Stop],
            indentation: String = indentation
        ) -> HoleDescription {
            HoleDescription(
                kind: kind, suggestedTokens: suggested, maxTokens: max(suggested * 2, 16), stops: stops,
                lineSuffix: after, indentation: indentation)
        }

        if !hole.isEmpty {
            let selected = tokenCounter.count(lines.string(hole))
            var stops: [HoleDescription.Stop] = []
            if let nextLine { stops.append(.line(nextLine)) }
            return make(.selection, max(8, selected + selected / 4 + 4), stops)
        }
        if let tree, let literal = enclosingLiteral(in: tree, at: hole.lowerBound) {
            return make(literal, literal == .comment ? 24 : 12, [.endOfLine])
        }

        let trimmedBefore = before.trimmingTrailingWhitespace
        let trimmedAfter = after.trimmingWhitespace
        if !trimmedAfter.isEmpty {
            let pairs: [Character: Character] = ["(": ")", "[": "]", "{": "}"]
            if let opener = trimmedBefore.last, let closer = pairs[opener], trimmedAfter.first == closer {
                return make(opener == "(" ? .argumentList : .afterOpeningBracket, 16, [.endOfLine])
            }
            if let tree, isInsideArgumentList(tree: tree, offset: hole.lowerBound) {
                return make(.argumentList, 16, [.endOfLine])
            }
            return make(.expression, 12, [.endOfLine])
        }

        let columns = { (line: String) in line.prefix { $0 == " " || $0 == "\t" }.count }
        let opensBlock = { (line: String) -> Bool in
            let trimmed = line.trimmingTrailingWhitespace
            return trimmed.hasSuffix("{") || (usesIndentation && trimmed.hasSuffix(":"))
                || trimmed.hasSuffix(" do") || trimmed.hasSuffix(" then")
        }
        let blockStops = { (column: Int) -> [HoleDescription.Stop] in
            var stops: [HoleDescription.Stop] = [.dedent(below: column)]
            if let nextLine { stops.append(.line(nextLine)) }
            return stops
        }
        // A function's body is sized like the file's other function bodies; a branch or loop body (`elif x:`,
        // `for … {`) is usually a line or two, and a function-sized hole there cost a cold request a second of
        // denoising for a worse fill.
        let functionBodyTokens = typicalBodyTokens(in: tree, tokenCounter: tokenCounter)
        let bodyTokens = { (header: String) -> Int in
            isControlFlowHeader(header) ? min(functionBodyTokens, 32) : functionBodyTokens
        }

        if trimmedBefore.isEmpty {
            // A blank line: an empty block gets a body, otherwise one statement. Editors strip trailing blanks, so
            // the cursor may sit at column 0 of a line that belongs to an indented block: the neighbouring lines
            // tell the real indentation.
            let previousIndentation = previousLine.map { String($0.prefix { $0 == " " || $0 == "\t" }) } ?? ""
            if let previousLine, opensBlock(previousLine),
                nextLine.map({ columns($0) <= columns(previousLine) }) ?? true
            {
                // Anything indented deeper than the header is inside the body, whatever step the model uses.
                let inner = before.count > previousIndentation.count ? before : previousIndentation + unit
                return make(
                    .blockBody, bodyTokens(previousLine), blockStops(columns(previousLine) + 1),
                    indentation: inner)
            }
            let nextIndentation = nextLine.map { String($0.prefix { $0 == " " || $0 == "\t" }) } ?? ""
            var effective = before
            if effective.isEmpty {
                effective = previousLine.map(opensBlock) == true ? previousIndentation + unit : previousIndentation
                if nextIndentation.count > effective.count { effective = nextIndentation }
            }
            return make(.statement, 32, blockStops(effective.count), indentation: effective)
        }
        if opensBlock(before) {
            let inner = indentation + unit
            return make(.blockBody, bodyTokens(before), blockStops(columns(before) + 1), indentation: inner)
        }
        // The rest of a line is about as long as the lines around it, less what is already typed.
        let typical = lines.typicalLineLength(around: lineStart)
        let remaining = max(0, typical - before.utf8.count)
        return make(.restOfLine, min(48, max(8, remaining / 3 + 4)), [.endOfLine])
    }

    /// Keywords that open a branch, loop or handler rather than a declaration, in the languages dlsp knows.
    static let controlFlowKeywords: Set<Substring> = [
        "if", "elif", "else", "for", "while", "do", "switch", "case", "default", "try", "except", "finally",
        "catch", "with", "guard", "repeat", "defer", "match", "loop", "select", "unless", "until", "when",
    ]

    /// Whether a line that opens a block is a control-flow header (`elif x:`, `} else {`, `for (…) {`), whose body
    /// is short, rather than a function, type or other declaration.
    static func isControlFlowHeader(_ line: String) -> Bool {
        var trimmed = Substring(line).drop { $0 == " " || $0 == "\t" || $0 == "}" }
        if trimmed.hasPrefix("async ") { trimmed = trimmed.dropFirst(6).drop { $0 == " " } }
        let word = trimmed.prefix { $0.isLetter }
        return controlFlowKeywords.contains(word)
    }

    /// `.comment` or `.string` when the offset is strictly inside such a node.
    static func enclosingLiteral(in tree: SyntaxTree, at offset: Int) -> HoleDescription.Kind? {
        var candidates: [SyntaxNode] = []
        if let node = tree.node(at: offset) { candidates.append(node) }
        if offset > 0, let node = tree.node(at: offset - 1) { candidates.append(node) }
        for start in candidates {
            // The node itself or its parent: a string's content node sits directly under the literal, while code
            // inside an interpolation is deeper and must not count as string text.
            for node in [start] + (start.parent.map { [$0] } ?? []) {
                let type = node.type.lowercased()
                guard node.startByte < offset else { continue }
                // A line comment ends at the newline, so the end itself still belongs to it.
                if type.contains("comment"), offset <= node.endByte { return .comment }
                if type.contains("string") || type.contains("heredoc"), offset < node.endByte { return .string }
            }
        }
        return nil
    }

    /// Whether the offset sits between the parentheses of a call's arguments (or a declaration's parameters).
    static func isInsideArgumentList(tree: SyntaxTree, offset: Int) -> Bool {
        guard let node = tree.node(at: offset) else { return false }
        for candidate in [node] + node.ancestors.prefix(4) {
            let type = candidate.type
            let isList =
                type == "argument_list" || type == "arguments" || type == "value_arguments"
                || type == "parameters" || type == "formal_parameters" || type == "parameter_list"
            if isList, candidate.startByte < offset, offset < candidate.endByte { return true }
        }
        return false
    }

    /// The median size of the function bodies already in the file, so a new body is sized like its siblings.
    static func typicalBodyTokens(in tree: SyntaxTree?, tokenCounter: TokenCounter) -> Int {
        guard let tree else { return 96 }
        var sizes: [Int] = []
        tree.root.walk { node in
            if sizes.count >= 64 { return false }
            if let body = node.child(field: "body"), node.type.contains("function") || node.type.contains("method") {
                sizes.append(tokenCounter.count(body.text))
                return false
            }
            return true
        }
        guard !sizes.isEmpty else { return 96 }
        let median = sizes.sorted()[sizes.count / 2]
        return min(256, max(32, median))
    }
}

/// Line-oriented reading of a UTF-8 buffer.
struct LineView {
    let text: [UInt8]

    func string(_ range: Range<Int>) -> String {
        let lower = max(0, min(range.lowerBound, text.count))
        let upper = max(lower, min(range.upperBound, text.count))
        return String(decoding: text[lower..<upper], as: UTF8.self)
    }

    func lineStart(before offset: Int) -> Int {
        var index = max(0, min(offset, text.count))
        while index > 0, text[index - 1] != UInt8(ascii: "\n") { index -= 1 }
        return index
    }

    func lineEnd(after offset: Int) -> Int {
        var index = max(0, min(offset, text.count))
        while index < text.count, text[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }

    /// The first line after the newline at `lineEnd` that has non-blank content, with its indentation.
    func nextNonBlankLine(after lineEnd: Int) -> String? {
        var start = lineEnd + 1
        while start <= text.count {
            let end = self.lineEnd(after: start)
            let line = string(start..<end)
            if !line.trimmingWhitespace.isEmpty { return line.trimmingTrailingWhitespace }
            if end >= text.count { return nil }
            start = end + 1
        }
        return nil
    }

    /// The last non-blank line ending before `lineStart`.
    func previousNonBlankLine(before lineStart: Int) -> String? {
        var end = lineStart - 1
        while end >= 0 {
            let start = self.lineStart(before: end)
            let line = string(start..<end)
            if !line.trimmingWhitespace.isEmpty { return line }
            if start == 0 { return nil }
            end = start - 1
        }
        return nil
    }

    /// The median byte length of the non-blank lines within 40 lines of `offset`, its own line excluded (60 when
    /// there are none).
    func typicalLineLength(around offset: Int) -> Int {
        let ownLine = lineStart(before: offset)
        var lengths: [Int] = []
        var start = lineStart(before: offset)
        for _ in 0..<40 where start > 0 { start = lineStart(before: start - 1) }
        var position = start
        while position < text.count, lengths.count < 80 {
            let end = lineEnd(after: position)
            let length = end - position
            if position != ownLine,
                text[position..<end].contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
            {
                lengths.append(length)
            }
            position = end + 1
        }
        guard !lengths.isEmpty else { return 60 }
        return lengths.sorted()[lengths.count / 2]
    }

    /// The file's indentation step: a tab when lines start with tabs, else the smallest space indentation (4 if
    /// none).
    var indentationUnit: String {
        var smallest = Int.max
        var lineStart = true
        var spaces = 0
        for byte in text.prefix(32_768) {
            if lineStart {
                if byte == UInt8(ascii: "\t") { return "\t" }
                if byte == UInt8(ascii: " ") { spaces += 1; continue }
                if byte != UInt8(ascii: "\n"), spaces > 0 { smallest = min(smallest, spaces) }
                lineStart = false
            }
            if byte == UInt8(ascii: "\n") { lineStart = true; spaces = 0 }
        }
        return String(repeating: " ", count: smallest == Int.max ? 4 : smallest)
    }
}
