/// The unit in which a position's column counts characters of a line.
///
/// LSP clients and servers negotiate one of these at `initialize`. dlsp prefers UTF-8 because tree-sitter and the
/// engine work in bytes; UTF-16 is the protocol's default and what most editors still send.
public enum PositionEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16 = "utf-16"
    case utf32 = "utf-32"

    /// How many columns one Unicode scalar occupies in this encoding.
    @inlinable
    func width(of scalar: Unicode.Scalar) -> Int {
        switch self {
        case .utf8: return UTF8.width(scalar)
        case .utf16: return UTF16.width(scalar)
        case .utf32: return 1
        }
    }
}

/// A zero-based line and a column counted in a ``PositionEncoding``'s units.
public struct LineColumn: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: LineColumn, rhs: LineColumn) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}
