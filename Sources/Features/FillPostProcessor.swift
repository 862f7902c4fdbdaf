import Foundation

/// The safety net between the model's raw fill and what the user sees: the fill must not repeat what follows the
/// cursor, must not close brackets the line never opened (and closes those it left open when nothing continues the
/// line), must stay inside the cursor's indentation scope, must say something, and must not be one unit repeated.
///
/// Every rule here is a pure function of strings, so each is tested on its own.
public struct FillPostProcessor: Sendable {
    /// Where the fill must stop, from the syntax layer's hole description.
    public enum Extent: Sendable, Equatable {
        /// The rest of the current line: the fill never contains a newline.
        case restOfLine
        /// One or more whole lines or a block: the fill may span lines but not leave the cursor's scope.
        case lines
    }

    public init() {}

    /// The cleaned fill, or nil when nothing worth offering is left.
    ///
    /// - Parameters:
    ///   - fill: the model's text for the hole.
    ///   - linePrefix: the current line's text before the cursor.
    ///   - lineSuffix: the current line's text after the cursor.
    ///   - followingLines: the document's lines after the current one (a few suffice).
    ///   - missingClosers: brackets open before the cursor's line that nothing in the document closes, innermost
    ///     last (`bracketsLeftOpen(in:lineStart:)`): a fill may close them once its own line's brackets are closed.
    public func process(
        _ fill: String, linePrefix: String, lineSuffix: String, followingLines: [Substring],
        extent: Extent, missingClosers: [Character] = []
    ) -> String? {
        var text = fill.replacingOccurrences(of: "\r\n", with: "\n")
        if extent == .restOfLine, let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) }
        text = Self.cutAtScopeExit(text, linePrefix: linePrefix)
        text = Self.dropLinesRepeatingTheNextLines(text, followingLines: followingLines)
        text = Self.dropOverlapWithSuffix(text, linePrefix: linePrefix, lineSuffix: lineSuffix)
        text = Self.balanceClosers(text, linePrefix: linePrefix, missingClosers: missingClosers)
        text = Self.trimTrailingWhitespace(text)
        if extent == .restOfLine {
            text = Self.closeOpenBrackets(
                text, linePrefix: linePrefix, lineSuffix: lineSuffix,
                followingLines: followingLines)
        }
        guard text.contains(where: { !$0.isWhitespace }) else { return nil }
        // A fill that only re-types what already follows the cursor adds nothing.
        let rest = lineSuffix.trimmingLeadingBlanks
        if !rest.isEmpty, rest.hasPrefix(text.trimmingLeadingBlanks) { return nil }
        return text
    }

    /// Removes the end of the fill that repeats the start of the text after the cursor: with `)` after the cursor,
    /// `f(x))` becomes `f(x)`, but `print(` + `sum(a, b)` + `)` keeps its closer, because the line needs it.
    ///
    /// A run of three or more characters with letters or digits in it is duplication outright. Closers, quotes
    /// and separators are dropped only as far as needed for the line to close no more than it did before the fill.
    static func dropOverlapWithSuffix(_ fill: String, linePrefix: String, lineSuffix: String) -> String {
        guard !lineSuffix.isEmpty, !fill.isEmpty else { return fill }
        let fillCharacters = Array(fill)
        let suffixCharacters = Array(lineSuffix)
        var overlap = 0
        for length in stride(from: min(fillCharacters.count, suffixCharacters.count), through: 1, by: -1)
        where Array(fillCharacters.suffix(length)) == Array(suffixCharacters.prefix(length)) {
            overlap = length
            break
        }
        guard overlap > 0 else { return fill }
        let repeated = fillCharacters.suffix(overlap)
        if overlap >= 3, repeated.contains(where: { $0.isLetter || $0.isNumber }) {
            return String(fillCharacters.dropLast(overlap))
        }
        guard repeated.allSatisfy({ Self.closers.contains($0) || "\"'`;,:".contains($0) }) else { return fill }
        let baseline = Self.excessClosers(linePrefix + lineSuffix)
        for dropped in 0...overlap {
            let candidate = String(fillCharacters.dropLast(dropped))
            if Self.excessClosers(linePrefix + candidate + lineSuffix) <= baseline { return candidate }
        }
        return fill
    }

    /// Closers that match no opener on the line, plus one for a string left open, plus doubled separators.
    static func excessClosers(_ line: String) -> Int {
        var stack: [Character] = []
        var quote: Character?
        var excess = 0
        var previous: Character = " "
        for character in line {
            defer { previous = character }
            if let open = quote {
                if character == open, previous != "\\" { quote = nil }
                continue
            }
            if "\"'`".contains(character) {
                quote = character
            } else if Self.openers.contains(character) {
                stack.append(character)
            } else if let opener = Self.openerOf[character] {
                if stack.last == opener { stack.removeLast() } else { excess += 1 }
            } else if ";,".contains(character), previous == character {
                excess += 1
            }
        }
        return excess + (quote == nil ? 0 : 1)
    }

    /// Appends the closers of brackets left open on the line when the fill ends the line and nothing after it
    /// continues the expression: `total = add(` + `a, b` becomes `a, b)`, so that accepting the suggestion does not
    /// leave the file broken. Left alone when text follows the cursor, when the fill ends in a separator or an
    /// operator (the expression goes on), inside a string, and when the next non-blank line is indented deeper
    /// than this one (a call or literal continued over several lines).
    static func closeOpenBrackets(
        _ fill: String, linePrefix: String, lineSuffix: String,
        followingLines: [Substring]
    ) -> String {
        guard lineSuffix.allSatisfy(\.isWhitespace), let last = fill.last(where: { !$0.isWhitespace }),
            !",;:=+-*/%&|<>.\\([{".contains(last)
        else { return fill }
        let indentation = { (line: Substring) in line.prefix { $0 == " " || $0 == "\t" }.count }
        if let next = followingLines.first(where: { $0.contains { !$0.isWhitespace } }),
            indentation(next) > indentation(Substring(linePrefix))
        {
            return fill
        }
        var stack: [Character] = []
        var quote: Character?
        for character in linePrefix + fill { Self.track(character, stack: &stack, quote: &quote) }
        guard quote == nil, !stack.isEmpty else { return fill }
        return fill + String(stack.reversed().compactMap { Self.closerOf[$0] })
    }

    /// Cuts the fill before the first closing bracket that matches nothing opened in the fill or earlier on the
    /// line: such a closer belongs to text after the cursor. The exception is a bracket the document never closes
    /// (`missingClosers`, innermost last): the `}` of a block whose end the user has not typed yet is what the line
    /// needs, and it is offered once every bracket opened on the line is closed.
    static func balanceClosers(_ fill: String, linePrefix: String, missingClosers: [Character] = []) -> String {
        var stack: [Character] = []
        var missing = missingClosers
        var quote: Character?
        for character in linePrefix { Self.track(character, stack: &stack, quote: &quote) }
        var index = fill.startIndex
        while index < fill.endIndex {
            let character = fill[index]
            if quote == nil, let opener = Self.openerOf[character] {
                if stack.last == opener {
                    stack.removeLast()
                } else if stack.isEmpty, missing.last == opener {
                    missing.removeLast()
                } else {
                    return String(fill[..<index])
                }
            } else {
                Self.track(character, stack: &stack, quote: &quote)
            }
            if character == "\n" { quote = nil }
            index = fill.index(after: index)
        }
        return fill
    }

    /// The brackets open where the cursor's line starts (at `lineStart`) that nothing from there to the end of the
    /// document closes, innermost last: the closers the document is missing, as when the user is about to type a
    /// block's `}`. One pass over the bytes; strings (`"`, `'`, `` ` ``, a backslash escaping) and `//` and
    /// `/* */` comments are skipped, a rough lexer for every language, so a bracket in a `#` comment still counts.
    public static func bracketsLeftOpen(in text: [UInt8], lineStart: Int) -> [Character] {
        var open: [UInt8] = []  // brackets open at lineStart, innermost last
        var later: [UInt8] = []  // brackets opened after lineStart
        var quote: UInt8?
        var lineComment = false
        var blockComment = false
        var index = 0
        let (slash, star, newline, backslash) = (
            UInt8(ascii: "/"), UInt8(ascii: "*"), UInt8(ascii: "\n"),
            UInt8(ascii: "\\")
        )
        while index < text.count {
            let byte = text[index]
            defer { index += 1 }
            if byte == newline {
                lineComment = false
                if quote != UInt8(ascii: "`") { quote = nil }
                continue
            }
            if lineComment { continue }
            if blockComment {
                if byte == star, index + 1 < text.count, text[index + 1] == slash { blockComment = false; index += 1 }
                continue
            }
            if let open = quote {
                if byte == backslash { index += 1 } else if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
                quote = byte
            case slash where index + 1 < text.count && text[index + 1] == slash:
                lineComment = true
            case slash where index + 1 < text.count && text[index + 1] == star:
                blockComment = true
                index += 1
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                if index < lineStart { open.append(byte) } else { later.append(byte) }
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                let opener = byte == UInt8(ascii: ")") ? UInt8(ascii: "(") : byte - 2  // `[` `]`, `{` `}` are 2 apart
                if let last = later.last {
                    if last == opener { later.removeLast() }
                } else if open.last == opener {
                    open.removeLast()
                }
            default:
                break
            }
        }
        return open.map { Character(Unicode.Scalar($0)) }
    }

    private static func track(_ character: Character, stack: inout [Character], quote: inout Character?) {
        if let open = quote {
            if character == open { quote = nil }
            return
        }
        if "\"'`".contains(character) {
            quote = character
        } else if Self.openers.contains(character) {
            stack.append(character)
        } else if let opener = Self.openerOf[character], stack.last == opener {
            stack.removeLast()
        }
    }

    /// For multi-line fills: stops at the first line indented less than the cursor's line (the fill would leave
    /// the block it was asked to complete), unless that line only closes the block.
    static func cutAtScopeExit(_ fill: String, linePrefix: String) -> String {
        guard fill.contains("\n") else { return fill }
        let scopeIndent = linePrefix.prefix(while: { $0 == " " || $0 == "\t" }).count
        var lines = fill.split(separator: "\n", omittingEmptySubsequences: false)
        var kept = [lines.removeFirst()]
        for line in lines {
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" }).count
            let content = line.dropFirst(indent)
            if !content.isEmpty, indent < scopeIndent {
                break
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    /// Drops trailing lines of the fill that are the document's next lines again (the most common way a model
    /// "continues" into text that already exists).
    static func dropLinesRepeatingTheNextLines(_ fill: String, followingLines: [Substring]) -> String {
        var lines = fill.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1 else { return fill }
        let next = followingLines.map { $0.trimmingBlanks }.filter { !$0.isEmpty }
        guard let firstNext = next.first else { return fill }
        // Find the first fill line (after the first) that starts repeating the following lines.
        for start in 1..<lines.count {
            let candidate = lines[start...].map { $0.trimmingBlanks }.filter { !$0.isEmpty }
            guard let first = candidate.first, first == firstNext else { continue }
            if zip(candidate, next).allSatisfy(==) {
                lines.removeSubrange(start...)
                return lines.joined(separator: "\n")
            }
        }
        return fill
    }

    static func trimTrailingWhitespace(_ fill: String) -> String {
        var text = Substring(fill)
        while let last = text.last, last == " " || last == "\t" || last == "\n" { text = text.dropLast() }
        return String(text)
    }

    /// Comment openers and continuations that say nothing by themselves. `*/` is not among them: closing a
    /// comment is structure, and on held-out holes it was right more often than not.
    static let bareCommentMarkers: Set<Substring> = ["#", "//", "///", "//!", "/*", "/**", "*", "--"]

    /// Whether every non-blank line of `text` is only a comment marker (`#`, `///`, ` *`): a suggestion with no
    /// content. Why it is not offered while typing: the model is very sure of such lines (a doc comment goes on),
    /// they were wrong nine times in ten on held-out holes (the real line had words after the marker), and they
    /// made up most of what the highest confidence floors offered; editors continue comment markers themselves.
    public static func isBareCommentMarker(_ text: String) -> Bool {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return !lines.isEmpty && lines.allSatisfy { bareCommentMarkers.contains(Substring($0)) }
    }

    /// A unit repeated at least four times in a row on one line of the fill — `the the the the`, `((((((`,
    /// `#  #  #  #`, `_to_to_to_to` — or nil. That is how a weak model fails when it decodes many positions at once
    /// (each position picks the same likely token), and such a fill is never what the user wanted; it is returned
    /// so that `dlsp complete --explain` can say what was seen.
    ///
    /// Repetition that real code has is let through: closers and banners (`)))`, `-----`, `====`), hexadecimal and
    /// other digits (`0xffffffff`), argument lists (`0, 0, 0, 0`, `NULL, NULL, NULL, NULL`), and up to five
    /// openers (`((((x) << 16)`). Measured on 2.6 M non-blank lines of Python, C headers and Swift, 0.008% of real
    /// lines trip it; on held-out holes it removes about half of the default model's wrong single-line fills and
    /// none of its right ones (`Training/JOURNAL.md`).
    public static func degenerateRepetition(_ fill: String) -> String? {
        cutAtDegenerateRepetition(fill)?.unit
    }

    /// The fill cut before its first line with a degenerate repetition (`degenerateRepetition`), trailing
    /// whitespace trimmed, and the unit repeated; nil when no line has one. The lines before it are kept: a model
    /// that closes a block right and then loses its way (`}` and a line of `= = = =`) still offered the `}`.
    /// `kept` is empty when the first line is the degenerate one.
    public static func cutAtDegenerateRepetition(_ fill: String) -> (kept: String, unit: String)? {
        var kept: [Substring] = []
        for line in fill.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8.drop { $0 == 0x20 || $0 == 0x09 })
            if let unit = repeatedUnit(bytes, times: 4) {
                return (trimTrailingWhitespace(kept.joined(separator: "\n")), String(decoding: unit, as: UTF8.self))
            }
            kept.append(line)
        }
        return nil
    }

    /// The first unit of 1–24 bytes repeated `times` or more in a row in `text` that counts as noise.
    static func repeatedUnit(_ text: [UInt8], times: Int) -> ArraySlice<UInt8>? {
        let n = text.count
        for period in 1...24 where period * times <= n {
            for start in 0...(n - period * times) {
                let unit = text[start..<start + period]
                var repeats = 1
                while start + (repeats + 1) * period <= n,
                    text[(start + repeats * period)..<(start + (repeats + 1) * period)].elementsEqual(unit)
                {
                    repeats += 1
                }
                if repeats >= times, isNoise(unit, repeats: repeats) { return unit }
            }
        }
        return nil
    }

    private static func isNoise(_ unit: ArraySlice<UInt8>, repeats: Int) -> Bool {
        if unit.count == 1 {
            switch unit.first! {
            case UInt8(ascii: "_"), UInt8(ascii: ";"), UInt8(ascii: ","): return true
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): return repeats >= 6
            default: return false
            }
        }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        func isAlphanumeric(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        func isHex(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) || b == 0x78 || b == 0x58
        }
        if unit.contains(UInt8(ascii: ",")) || unit.allSatisfy(isHex) { return false }
        return unit.contains(where: isAlphanumeric) || (unit.contains(where: isSpace) && unit.contains { !isSpace($0) })
    }

    static let openers: Set<Character> = ["(", "[", "{"]
    static let closers: Set<Character> = [")", "]", "}"]
    static let openerOf: [Character: Character] = [")": "(", "]": "[", "}": "{"]
    static let closerOf: [Character: Character] = ["(": ")", "[": "]", "{": "}"]
}
