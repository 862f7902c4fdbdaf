import CTreeSitter
import Foundation

/// A compiled tree-sitter query whose text predicates (`#eq?`, `#match?`, `#any-of?` and their `not-` forms) are
/// applied here, because the C runtime returns matches without checking them.
///
/// `@unchecked Sendable`: a `TSQuery` is not modified after creation and each execution uses its own cursor.
public final class Query: @unchecked Sendable {
    /// Why a query did not compile.
    public struct CompileError: Error, CustomStringConvertible, Sendable, Equatable {
        public var language: String
        public var name: String
        /// Byte offset into the query source.
        public var offset: Int
        public var kind: String
        public var description: String { "query \(language)/\(name): \(kind) at byte \(offset)" }
    }

    public let language: Language
    public let name: String
    private let pointer: OpaquePointer
    private let captureNames: [String]
    private let predicates: [[Predicate]]

    /// Compiles `source` for `language`; `name` only labels errors.
    public init(language: Language, source: String, name: String = "inline") throws {
        var errorOffset: UInt32 = 0
        var errorType = TSQueryErrorNone
        let compiled = source.withCString { characters in
            ts_query_new(language.pointer, characters, UInt32(source.utf8.count), &errorOffset, &errorType)
        }
        guard let compiled else {
            throw CompileError(
                language: language.id, name: name, offset: Int(errorOffset),
                kind: Self.describe(errorType))
        }
        self.pointer = compiled
        self.language = language
        self.name = name
        let captureCount = ts_query_capture_count(compiled)
        captureNames = (0..<captureCount).map { index in
            var length: UInt32 = 0
            let characters = ts_query_capture_name_for_id(compiled, index, &length)!
            return String(decoding: UnsafeRawBufferPointer(start: characters, count: Int(length)), as: UTF8.self)
        }
        predicates = (0..<ts_query_pattern_count(compiled)).map { Predicate.parse(query: compiled, pattern: $0) }
    }

    deinit { ts_query_delete(pointer) }

    /// The capture names in the query, without `@`.
    public var captures: [String] { captureNames }

    /// All matches under `node` (optionally limited to nodes intersecting `byteRange`) that satisfy their
    /// predicates, in the order tree-sitter reports them.
    public func matches(in node: SyntaxNode, byteRange: Range<Int>? = nil) -> [QueryMatch] {
        guard let cursor = ts_query_cursor_new() else { return [] }
        defer { ts_query_cursor_delete(cursor) }
        if let byteRange {
            ts_query_cursor_set_byte_range(
                cursor, UInt32(max(0, byteRange.lowerBound)),
                UInt32(max(0, byteRange.upperBound)))
        }
        ts_query_cursor_exec(cursor, pointer, node.raw)
        var result: [QueryMatch] = []
        var match = TSQueryMatch()
        while ts_query_cursor_next_match(cursor, &match) {
            var captures: [QueryCapture] = []
            captures.reserveCapacity(Int(match.capture_count))
            for index in 0..<Int(match.capture_count) {
                let capture = match.captures[index]
                guard let captured = SyntaxNode(capture.node, in: node.tree) else { continue }
                captures.append(QueryCapture(name: captureNames[Int(capture.index)], node: captured))
            }
            let candidate = QueryMatch(patternIndex: Int(match.pattern_index), captures: captures)
            if predicates[candidate.patternIndex].allSatisfy({ $0.isSatisfied(by: candidate) }) {
                result.append(candidate)
            }
        }
        return result
    }

    private static func describe(_ error: TSQueryError) -> String {
        switch error {
        case TSQueryErrorSyntax: return "syntax error"
        case TSQueryErrorNodeType: return "unknown node type"
        case TSQueryErrorField: return "unknown field"
        case TSQueryErrorCapture: return "unknown capture"
        case TSQueryErrorStructure: return "impossible pattern structure"
        case TSQueryErrorLanguage: return "language mismatch"
        default: return "error"
        }
    }
}

/// One captured node of a match.
public struct QueryCapture {
    /// The capture name without `@`.
    public let name: String
    public let node: SyntaxNode
}

/// One match of one pattern.
public struct QueryMatch {
    public let patternIndex: Int
    public let captures: [QueryCapture]

    /// The first node captured as `name`.
    public func node(_ name: String) -> SyntaxNode? {
        captures.first { $0.name == name }?.node
    }

    /// The first capture whose name starts with `prefix` (for `@definition.function` given `definition.`).
    public func capture(withPrefix prefix: String) -> QueryCapture? {
        captures.first { $0.name.hasPrefix(prefix) }
    }
}
