import CTreeSitter
import Foundation

/// A text predicate of a query pattern, checked against a match's captured text.
struct Predicate {
    enum Argument {
        case capture(String)
        case string(String)
    }

    enum Operator: String {
        case eq = "eq?", notEq = "not-eq?", match = "match?", notMatch = "not-match?"
        case anyOf = "any-of?", notAnyOf = "not-any-of?"
    }

    let op: Operator
    let arguments: [Argument]
    /// Compiled once for `#match?`; `nil` when the pattern is not a valid regular expression (then it never
    /// matches, which disables the pattern rather than over-matching).
    let regex: NSRegularExpression?

    /// Reads the predicate steps of `pattern`. Directives and predicates dlsp does not know (`#set!`, `#is?`) are
    /// ignored: they carry no condition on the text.
    static func parse(query: OpaquePointer, pattern: UInt32) -> [Predicate] {
        var count: UInt32 = 0
        guard let steps = ts_query_predicates_for_pattern(query, pattern, &count), count > 0 else { return [] }
        func string(_ id: UInt32) -> String {
            var length: UInt32 = 0
            let characters = ts_query_string_value_for_id(query, id, &length)!
            return String(decoding: UnsafeRawBufferPointer(start: characters, count: Int(length)), as: UTF8.self)
        }
        func captureName(_ id: UInt32) -> String {
            var length: UInt32 = 0
            let characters = ts_query_capture_name_for_id(query, id, &length)!
            return String(decoding: UnsafeRawBufferPointer(start: characters, count: Int(length)), as: UTF8.self)
        }
        var result: [Predicate] = []
        var current: [TSQueryPredicateStep] = []
        for index in 0..<Int(count) {
            let step = steps[index]
            if step.type == TSQueryPredicateStepTypeDone {
                if let first = current.first, first.type == TSQueryPredicateStepTypeString,
                    let op = Operator(rawValue: string(first.value_id))
                {
                    let arguments: [Argument] = current.dropFirst().map { step in
                        step.type == TSQueryPredicateStepTypeCapture
                            ? .capture(captureName(step.value_id)) : .string(string(step.value_id))
                    }
                    var regex: NSRegularExpression?
                    if op == .match || op == .notMatch, arguments.count == 2, case .string(let pattern) = arguments[1] {
                        regex = try? NSRegularExpression(pattern: pattern)
                    }
                    result.append(Predicate(op: op, arguments: arguments, regex: regex))
                }
                current = []
            } else {
                current.append(step)
            }
        }
        return result
    }

    func isSatisfied(by match: QueryMatch) -> Bool {
        guard case .capture(let name)? = arguments.first else { return true }
        // A predicate on a capture that did not participate (an optional part) does not constrain the match.
        guard let subject = match.node(name)?.text else { return true }
        let rest = arguments.dropFirst().map { argument -> String? in
            switch argument {
            case .string(let value): return value
            case .capture(let other): return match.node(other)?.text
            }
        }
        switch op {
        case .eq: return rest.first.flatMap { $0 } == subject
        case .notEq: return rest.first.flatMap { $0 } != subject
        case .anyOf: return rest.contains { $0 == subject }
        case .notAnyOf: return !rest.contains { $0 == subject }
        case .match, .notMatch:
            guard let regex else { return false }
            let found = regex.firstMatch(in: subject, range: NSRange(subject.startIndex..., in: subject)) != nil
            return op == .match ? found : !found
        }
    }
}
