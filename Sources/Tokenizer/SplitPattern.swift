/// A hand-written matcher for the pre-tokenizer regexes of the GPT-2 / Qwen2 / Llama-3 family.
///
/// These patterns are a top-level alternation of a few fixed shapes. Each shape is recognised from its exact source
/// text and matched by a small function whose result is what Oniguruma's backtracking (leftmost-first alternation,
/// greedy quantifiers) yields for it, worked out by hand. Anything else is rejected at load time instead of being
/// matched approximately: a tokenizer that silently splits differently from its training would be worse than none.
struct SplitPattern: Sendable {
    /// One alternative of the top-level alternation.
    enum Rule: Sendable, Equatable {
        /// Literal alternatives tried in order, such as `'s|'t|…` or `(?i:'s|'t|…)`.
        case literals([[Unicode.Scalar]], caseInsensitive: Bool)
        /// `\p{L}+`, optionally preceded by ` ?` or by `[^\r\n\p{L}\p{N}]?`.
        case letters(prefix: Prefix)
        /// `\p{N}` repeated from 1 to `maxCount` times (`\p{N}`, `\p{N}{1,3}`, `\p{N}+`), optionally after ` ?`.
        case numbers(prefix: Prefix, maxCount: Int)
        /// `[^\s\p{L}\p{N}]+`, optionally after ` ?`, optionally followed by `[\r\n]*`.
        case symbols(prefix: Prefix, trailingNewlines: Bool)
        /// `\s*[\r\n]+`.
        case whitespaceThroughNewline
        /// `\s+(?!\S)`.
        case whitespaceNotBeforeText
        /// `\s+`.
        case whitespace
    }

    /// What may precede the body of a rule.
    enum Prefix: Sendable, Equatable {
        case none
        /// ` ?`: one optional U+0020.
        case optionalSpace
        /// `[^\r\n\p{L}\p{N}]?`: one optional scalar that is not a newline, letter or number.
        case optionalNonWordNonNewline
    }

    let rules: [Rule]

    /// The pattern of the GPT-2 ByteLevel pre-tokenizer (`use_regex: true`).
    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Recognises `source`, or returns nil when it is outside the supported family.
    init?(source: String) {
        guard let alternatives = Self.topLevelAlternatives(of: source), !alternatives.isEmpty else { return nil }
        var rules: [Rule] = []
        for alternative in alternatives {
            guard let rule = Self.rule(for: alternative) else { return nil }
            // Consecutive case-sensitive literals form one rule, which keeps the matcher's loop short.
            if case let .literals(new, false) = rule, case let .literals(old, false)? = rules.last {
                rules[rules.count - 1] = .literals(old + new, caseInsensitive: false)
            } else {
                rules.append(rule)
            }
        }
        self.rules = rules
    }

    /// Splits `source` on `|` outside groups and brackets; nil when brackets or escapes are unbalanced.
    private static func topLevelAlternatives(of source: String) -> [String]? {
        var result: [String] = []
        var current = ""
        var depth = 0
        var inBracket = false
        var escaped = false
        for character in source {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if inBracket {
                if character == "]" { inBracket = false }
            } else if character == "[" {
                inBracket = true
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth < 0 { return nil }
            } else if character == "|" && depth == 0 {
                result.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        guard depth == 0, !inBracket, !escaped else { return nil }
        result.append(current)
        return result
    }

    private static func rule(for alternative: String) -> Rule? {
        switch alternative {
        case #"[^\r\n\p{L}\p{N}]?\p{L}+"#: return .letters(prefix: .optionalNonWordNonNewline)
        case #" ?\p{L}+"#: return .letters(prefix: .optionalSpace)
        case #"\p{L}+"#: return .letters(prefix: .none)
        case #" ?\p{N}+"#: return .numbers(prefix: .optionalSpace, maxCount: .max)
        case #"\p{N}+"#: return .numbers(prefix: .none, maxCount: .max)
        case #"\p{N}"#: return .numbers(prefix: .none, maxCount: 1)
        case #" ?[^\s\p{L}\p{N}]+[\r\n]*"#: return .symbols(prefix: .optionalSpace, trailingNewlines: true)
        case #" ?[^\s\p{L}\p{N}]+"#: return .symbols(prefix: .optionalSpace, trailingNewlines: false)
        case #"[^\s\p{L}\p{N}]+"#: return .symbols(prefix: .none, trailingNewlines: false)
        case #"\s*[\r\n]+"#: return .whitespaceThroughNewline
        case #"\s+(?!\S)"#: return .whitespaceNotBeforeText
        case #"\s+"#: return .whitespace
        default: break
        }
        if alternative.hasPrefix(#"\p{N}{1,"#), alternative.hasSuffix("}"),
           let count = Int(alternative.dropFirst(8).dropLast()), count >= 1 {
            return .numbers(prefix: .none, maxCount: count)
        }
        if alternative.hasPrefix("(?i:"), alternative.hasSuffix(")") {
            let inner = alternative.dropFirst(4).dropLast()
            let parts = inner.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.allSatisfy(isPlainLiteral) else { return nil }
            return .literals(parts.map { Array($0.unicodeScalars) }, caseInsensitive: true)
        }
        if isPlainLiteral(alternative) {
            return .literals([Array(alternative.unicodeScalars)], caseInsensitive: false)
        }
        return nil
    }

    /// A non-empty alternative made only of letters and the apostrophe: no regex syntax to interpret.
    private static func isPlainLiteral(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0 == "'" || ($0.isASCII && $0.properties.isAlphabetic) }
    }
}

extension SplitPattern {
    /// Calls `body` with each piece of `range` in order, as `Split(behavior: Isolated)` produces them: every match,
    /// and every non-empty stretch between matches.
    func forEachPiece(
        scalars: UnsafeBufferPointer<Unicode.Scalar>,
        classes: UnsafeBufferPointer<ScalarClass>,
        in range: Range<Int>,
        _ body: (Range<Int>) -> Void
    ) {
        var gapStart = range.lowerBound
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            if let matchEnd = match(at: position, end: end, scalars: scalars, classes: classes) {
                if gapStart < position { body(gapStart..<position) }
                body(position..<matchEnd)
                position = matchEnd
                gapStart = matchEnd
            } else {
                position += 1
            }
        }
        if gapStart < end { body(gapStart..<end) }
    }

    /// The end of the match that starts at `start`, or nil: the first rule that matches wins.
    @inline(__always)
    private func match(
        at start: Int, end: Int,
        scalars: UnsafeBufferPointer<Unicode.Scalar>,
        classes: UnsafeBufferPointer<ScalarClass>
    ) -> Int? {
        for rule in rules {
            if let matchEnd = Self.match(rule, at: start, end: end, scalars: scalars, classes: classes) {
                return matchEnd
            }
        }
        return nil
    }

    private static func match(
        _ rule: Rule, at start: Int, end: Int,
        scalars: UnsafeBufferPointer<Unicode.Scalar>,
        classes: UnsafeBufferPointer<ScalarClass>
    ) -> Int? {
        switch rule {
        case let .literals(literals, caseInsensitive):
            for literal in literals where literal.count <= end - start {
                var matches = true
                for (offset, expected) in literal.enumerated() {
                    let actual = scalars[start + offset]
                    if actual != expected && !(caseInsensitive && caselessEqual(actual, expected)) {
                        matches = false
                        break
                    }
                }
                if matches { return start + literal.count }
            }
            return nil

        case let .letters(prefix):
            let bodyStart = afterPrefix(prefix, at: start, end: end, classes: classes) { $0.contains(.letter) }
            guard bodyStart < end, classes[bodyStart].contains(.letter) else { return nil }
            return run(from: bodyStart, end: end, classes: classes) { $0.contains(.letter) }

        case let .numbers(prefix, maxCount):
            let bodyStart = afterPrefix(prefix, at: start, end: end, classes: classes) { $0.contains(.number) }
            guard bodyStart < end, classes[bodyStart].contains(.number) else { return nil }
            let limit = maxCount >= end - bodyStart ? end : bodyStart + maxCount
            return run(from: bodyStart, end: limit, classes: classes) { $0.contains(.number) }

        case let .symbols(prefix, trailingNewlines):
            let bodyStart = afterPrefix(prefix, at: start, end: end, classes: classes) { $0.isOther }
            guard bodyStart < end, classes[bodyStart].isOther else { return nil }
            let bodyEnd = run(from: bodyStart, end: end, classes: classes) { $0.isOther }
            return trailingNewlines ? run(from: bodyEnd, end: end, classes: classes) { $0.contains(.newline) } : bodyEnd

        case .whitespaceThroughNewline:
            // `\s*` takes the whole run, then gives back scalars until `[\r\n]+` can match: the match therefore ends
            // just after the last CR or LF of the run.
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            var last = runEnd - 1
            while last >= start && !classes[last].contains(.newline) { last -= 1 }
            return last >= start ? last + 1 : nil

        case .whitespaceNotBeforeText:
            // `\s+` takes the whole run; if text follows, it gives back one scalar so that the lookahead sees space.
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            if runEnd == start { return nil }
            if runEnd == end { return runEnd }
            return runEnd - 1 > start ? runEnd - 1 : nil

        case .whitespace:
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            return runEnd > start ? runEnd : nil
        }
    }

    /// Where the body starts: after the optional prefix scalar when taking it lets the body match (greedy `?` with
    /// backtracking), otherwise at `start`.
    @inline(__always)
    private static func afterPrefix(
        _ prefix: Prefix, at start: Int, end: Int,
        classes: UnsafeBufferPointer<ScalarClass>, body: (ScalarClass) -> Bool
    ) -> Int {
        guard start + 1 < end, body(classes[start + 1]) else { return start }
        switch prefix {
        case .none:
            return start
        case .optionalSpace:
            return classes[start].contains(.space) ? start + 1 : start
        case .optionalNonWordNonNewline:
            return classes[start].isDisjoint(with: [.newline, .letter, .number]) ? start + 1 : start
        }
    }

    @inline(__always)
    private static func run(
        from start: Int, end: Int, classes: UnsafeBufferPointer<ScalarClass>, _ member: (ScalarClass) -> Bool
    ) -> Int {
        var position = start
        while position < end && member(classes[position]) { position += 1 }
        return position
    }

    /// Case-insensitive equality as Oniguruma's `(?i:)` applies it to these literals: simple case folding, under
    /// which for example U+017F LATIN SMALL LETTER LONG S matches `s` (checked against the library).
    private static func caselessEqual(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        let ap = a.properties, bp = b.properties
        return ap.lowercaseMapping == bp.lowercaseMapping || ap.uppercaseMapping == bp.uppercaseMapping
    }
}
