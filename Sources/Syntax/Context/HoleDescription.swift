/// What kind of text belongs in a hole, how long it probably is, and where a fill must stop.
public struct HoleDescription: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The cursor ends a partly typed line: finish the line.
        case restOfLine
        /// Mid-line, with code after the cursor on the same line: an expression that fits before it.
        case expression
        /// Right after `(` with the `)` already there: the arguments or parameters.
        case argumentList
        /// Right after another opening bracket (`[`, `{`) whose closer follows on the line.
        case afterOpeningBracket
        /// A blank line among statements: one new statement.
        case statement
        /// An empty block (after `{` or a `:` header): the body, up to the closing brace or dedent.
        case blockBody
        /// Inside a string literal.
        case string
        /// Inside a comment.
        case comment
        /// A selected range the model rewrites.
        case selection
    }

    /// A rule that ends the fill.
    public enum Stop: Sendable, Equatable {
        /// The fill is one line: stop at the first newline.
        case endOfLine
        /// Stop before a non-blank line indented less than this many columns (tabs count 1).
        case dedent(below: Int)
        /// Stop before a line identical to this one (the next line of the suffix, with its indentation).
        case line(String)
    }

    public var kind: Kind
    /// The most likely length in tokens; the engine sizes the canvas's mask run from it.
    public var suggestedTokens: Int
    /// A hard ceiling in tokens.
    public var maxTokens: Int
    public var stops: [Stop]
    /// The text that follows the hole on its line (trimmed). A fill must not end with it, or it would appear twice.
    public var lineSuffix: String
    /// Indentation for new lines inside the hole.
    public var indentation: String

    public init(
        kind: Kind, suggestedTokens: Int, maxTokens: Int, stops: [Stop], lineSuffix: String, indentation: String
    ) {
        self.kind = kind
        self.suggestedTokens = suggestedTokens
        self.maxTokens = maxTokens
        self.stops = stops
        self.lineSuffix = lineSuffix
        self.indentation = indentation
    }

    /// Whether the fill must stay on one line.
    public var isSingleLine: Bool { stops.contains(.endOfLine) }

    /// Cuts `fill` where the stop rules say, and removes text that would repeat what follows the hole.
    public func trim(_ fill: String) -> String {
        var lines = fill.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if isSingleLine { lines = Array(lines.prefix(1)) }
        var kept: [String] = []
        for (number, line) in lines.enumerated() {
            // The first line continues the cursor's line, so only later lines can dedent or repeat.
            if number > 0 {
                var stop = false
                for rule in stops {
                    switch rule {
                    case .endOfLine:
                        break
                    case .dedent(let column):
                        let content = line.drop { $0 == " " || $0 == "\t" }
                        if !content.isEmpty, line.count - content.count < column { stop = true }
                    case .line(let suffixLine):
                        if !suffixLine.trimmingWhitespace.isEmpty, line == suffixLine { stop = true }
                    }
                }
                if stop { break }
            }
            kept.append(line)
        }
        var result = kept.joined(separator: "\n")
        if kept.count > 1 || !isSingleLine {
            while result.hasSuffix("\n") || result.hasSuffix(" ") || result.hasSuffix("\t") { result.removeLast() }
        }
        // Drop a repetition of the text after the cursor, e.g. a fill "a, b)" before an existing ")".
        let tail = lineSuffix.trimmingWhitespace
        if !tail.isEmpty {
            let body = result.trimmingTrailingWhitespace
            if body.hasSuffix(tail) { result = String(body.dropLast(tail.count)) }
        }
        return result
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).trimmingTrailingWhitespace
    }

    var trimmingTrailingWhitespace: String {
        var result = Substring(self)
        while let last = result.last, last == " " || last == "\t" || last == "\r" || last == "\n" {
            result = result.dropLast()
        }
        return String(result)
    }
}
