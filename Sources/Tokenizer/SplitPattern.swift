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
    /// `rules` flattened for matching (see `CompiledRule`).
    private let compiled: [CompiledRule]
    /// The literals of `.literals` rules: each one's positions in `literalScalars`.
    private let literalSpans: [Range<Int>]
    /// `foldWidth` accepted scalar values per literal position, padded with an impossible value.
    private let literalScalars: [UInt32]

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
        (compiled, literalSpans, literalScalars) = Self.compile(rules)
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
            let count = Int(alternative.dropFirst(8).dropLast()), count >= 1
        {
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
        compiled.withUnsafeBufferPointer { rules in
            literalSpans.withUnsafeBufferPointer { spans in
                literalScalars.withUnsafeBufferPointer { literals in
                    let input = Input(scalars: scalars, classes: classes, spans: spans, literals: literals)
                    var gapStart = range.lowerBound
                    var position = range.lowerBound
                    let end = range.upperBound
                    while position < end {
                        var matchEnd = -1
                        for rule in rules {
                            matchEnd = Self.match(rule, at: position, end: end, input)
                            if matchEnd >= 0 { break }
                        }
                        if matchEnd >= 0 {
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
            }
        }
    }

    /// What the matching functions read, gathered so that they take one argument for it.
    private struct Input {
        let scalars: UnsafeBufferPointer<Unicode.Scalar>
        let classes: UnsafeBufferPointer<ScalarClass>
        let spans: UnsafeBufferPointer<Range<Int>>
        let literals: UnsafeBufferPointer<UInt32>
    }

    /// A rule flattened into plain values, so that the matching loop touches no reference-counted storage.
    struct CompiledRule: Sendable {
        enum Kind: UInt8, Sendable {
            case literals, letters, numbers, symbols, whitespaceThroughNewline, whitespaceNotBeforeText, whitespace
        }

        var kind: Kind
        var prefix: Prefix = .none
        var maxCount = Int.max
        var trailingNewlines = false
        /// For `.literals`: which entries of `literalSpans` are its alternatives, in order.
        var literalAlternatives: Range<Int> = 0..<0
    }

    /// How many scalar values each literal position may accept (see `caseVariants`).
    static let foldWidth = 3

    private static func compile(_ rules: [Rule]) -> ([CompiledRule], [Range<Int>], [UInt32]) {
        var compiled: [CompiledRule] = []
        var spans: [Range<Int>] = []
        var literals: [UInt32] = []
        for rule in rules {
            switch rule {
            case let .literals(alternatives, caseInsensitive):
                let first = spans.count
                for literal in alternatives {
                    let start = literals.count / foldWidth
                    for scalar in literal {
                        let accepted = caseInsensitive ? caseVariants(of: scalar) : [scalar.value]
                        literals += accepted + Array(repeating: UInt32.max, count: foldWidth - accepted.count)
                    }
                    spans.append(start..<(start + literal.count))
                }
                compiled.append(CompiledRule(kind: .literals, literalAlternatives: first..<spans.count))
            case let .letters(prefix):
                compiled.append(CompiledRule(kind: .letters, prefix: prefix))
            case let .numbers(prefix, maxCount):
                compiled.append(CompiledRule(kind: .numbers, prefix: prefix, maxCount: maxCount))
            case let .symbols(prefix, trailingNewlines):
                compiled.append(CompiledRule(kind: .symbols, prefix: prefix, trailingNewlines: trailingNewlines))
            case .whitespaceThroughNewline:
                compiled.append(CompiledRule(kind: .whitespaceThroughNewline))
            case .whitespaceNotBeforeText:
                compiled.append(CompiledRule(kind: .whitespaceNotBeforeText))
            case .whitespace:
                compiled.append(CompiledRule(kind: .whitespace))
            }
        }
        return (compiled, spans, literals)
    }

    /// The scalars that Oniguruma's `(?i:)` matches for an ASCII literal scalar (checked against the library for
    /// U+017F): both cases, and the two non-ASCII scalars whose simple case folding is an ASCII letter, U+017F LATIN
    /// SMALL LETTER LONG S (for s) and U+212A KELVIN SIGN (for k).
    private static func caseVariants(of scalar: Unicode.Scalar) -> [UInt32] {
        guard scalar.isASCII, scalar.properties.isAlphabetic else { return [scalar.value] }
        let lower = scalar.value | 0x20, upper = scalar.value & ~0x20
        switch lower {
        case UInt32(UInt8(ascii: "s")): return [lower, upper, 0x17F]
        case UInt32(UInt8(ascii: "k")): return [lower, upper, 0x212A]
        default: return [lower, upper]
        }
    }

    /// The end of the match of `rule` at `start`, or -1.
    @inline(__always)
    private static func match(_ rule: CompiledRule, at start: Int, end: Int, _ input: Input) -> Int {
        let classes = input.classes
        let notOther: ScalarClass = [.letter, .number, .whitespace]
        switch rule.kind {
        case .literals:
            // Alternatives in order; the first that matches wins (leftmost-first alternation).
            for alternative in rule.literalAlternatives {
                let span = input.spans[alternative]
                if span.count > end - start { continue }
                var matches = true
                for offset in 0..<span.count {
                    let value = input.scalars[start + offset].value
                    let base = (span.lowerBound + offset) * foldWidth
                    if value != input.literals[base] && value != input.literals[base + 1]
                        && value != input.literals[base + 2]
                    {
                        matches = false
                        break
                    }
                }
                if matches { return start + span.count }
            }
            return -1

        case .letters:
            let bodyStart = afterPrefix(rule.prefix, at: start, end: end, classes: classes) { $0.contains(.letter) }
            guard bodyStart < end, classes[bodyStart].contains(.letter) else { return -1 }
            return run(from: bodyStart, end: end, classes: classes) { $0.contains(.letter) }

        case .numbers:
            let bodyStart = afterPrefix(rule.prefix, at: start, end: end, classes: classes) { $0.contains(.number) }
            guard bodyStart < end, classes[bodyStart].contains(.number) else { return -1 }
            let limit = rule.maxCount >= end - bodyStart ? end : bodyStart + rule.maxCount
            return run(from: bodyStart, end: limit, classes: classes) { $0.contains(.number) }

        case .symbols:
            let bodyStart = afterPrefix(rule.prefix, at: start, end: end, classes: classes) {
                $0.isDisjoint(with: notOther)
            }
            guard bodyStart < end, classes[bodyStart].isDisjoint(with: notOther) else { return -1 }
            let bodyEnd = run(from: bodyStart, end: end, classes: classes) { $0.isDisjoint(with: notOther) }
            guard rule.trailingNewlines else { return bodyEnd }
            return run(from: bodyEnd, end: end, classes: classes) { $0.contains(.newline) }

        case .whitespaceThroughNewline:
            // `\s*` takes the whole run, then gives back scalars until `[\r\n]+` can match: the match therefore
            // ends just after the last CR or LF of the run.
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            var last = runEnd - 1
            while last >= start && !classes[last].contains(.newline) { last -= 1 }
            return last >= start ? last + 1 : -1

        case .whitespaceNotBeforeText:
            // `\s+` takes the whole run; if text follows, it gives back one scalar so that the lookahead sees space.
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            if runEnd == start { return -1 }
            if runEnd == end { return runEnd }
            return runEnd - 1 > start ? runEnd - 1 : -1

        case .whitespace:
            let runEnd = run(from: start, end: end, classes: classes) { $0.contains(.whitespace) }
            return runEnd > start ? runEnd : -1
        }
    }

    /// Where the body starts: after the optional prefix scalar when taking it lets the body match (greedy `?` with
    /// backtracking), otherwise at `start`.
    @inline(__always)
    private static func afterPrefix(
        _ prefix: Prefix, at start: Int, end: Int,
        classes: UnsafeBufferPointer<ScalarClass>, body: (ScalarClass) -> Bool
    ) -> Int {
        guard prefix != .none, start + 1 < end, body(classes[start + 1]) else { return start }
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
}
