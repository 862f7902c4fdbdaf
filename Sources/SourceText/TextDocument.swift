/// One change to a document's text: replace `range` (or everything, when `range` is nil) with `text`.
public struct TextChange: Sendable, Equatable {
    public var range: ClosedRangeOfPositions?
    public var text: String

    public init(range: ClosedRangeOfPositions?, text: String) {
        self.range = range
        self.text = text
    }
}

/// A change as it was applied to the UTF-8 text: `range` (bytes of the text before this change; nil for the
/// whole text) replaced by `replacement`. Incremental parsers replay these.
public struct AppliedTextChange: Sendable, Equatable {
    public var range: Range<Int>?
    public var replacement: [UInt8]

    public init(range: Range<Int>?, replacement: [UInt8]) {
        self.range = range
        self.replacement = replacement
    }
}

/// A half-open range between two positions, as LSP ranges are (the end is exclusive).
public struct ClosedRangeOfPositions: Sendable, Equatable {
    public var start: LineColumn
    public var end: LineColumn

    public init(start: LineColumn, end: LineColumn) {
        self.start = start
        self.end = end
    }
}

/// Why a change could not be applied. The document is left as it was.
public enum TextChangeError: Error, Equatable, CustomStringConvertible {
    case position(PositionError)
    case reversedRange(ClosedRangeOfPositions)

    public var description: String {
        switch self {
        case .position(let error): return error.description
        case .reversedRange(let range): return "range end \(range.end) is before its start \(range.start)"
        }
    }
}

/// The text of one open document at one version, stored as UTF-8 bytes with a table of line starts.
///
/// Invariant: `bytes` is always valid UTF-8, so every byte offset that ``offset(of:encoding:)`` returns is a
/// character boundary, and ``text`` decodes without loss.
public struct TextDocument: Sendable, Equatable {
    public let uri: String
    public var languageID: String
    public private(set) var version: Int
    public private(set) var bytes: [UInt8]
    public private(set) var lines: LineTable

    public init(uri: String, languageID: String, version: Int, text: String) {
        self.uri = uri
        self.languageID = languageID
        self.version = version
        self.bytes = Array(text.utf8)
        self.lines = LineTable(bytes)
    }

    /// The whole text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The byte offset of a position (see ``LineTable`` for how out-of-range columns are treated).
    public func offset(of position: LineColumn, encoding: PositionEncoding) throws(PositionError) -> Int {
        try bytes.withUnsafeBufferPointer { buffer throws(PositionError) in
            try lines.offset(of: position, encoding: encoding, in: buffer)
        }
    }

    /// The position of a byte offset.
    public func position(ofOffset offset: Int, encoding: PositionEncoding) throws(PositionError) -> LineColumn {
        try bytes.withUnsafeBufferPointer { buffer throws(PositionError) in
            try lines.position(ofOffset: offset, encoding: encoding, in: buffer)
        }
    }

    /// The byte range of a position range.
    public func byteRange(
        of range: ClosedRangeOfPositions,
        encoding: PositionEncoding
    ) throws(TextChangeError) -> Range<Int> {
        do {
            let start = try offset(of: range.start, encoding: encoding)
            let end = try offset(of: range.end, encoding: encoding)
            guard start <= end else { throw TextChangeError.reversedRange(range) }
            return start..<end
        } catch let error as PositionError {
            throw .position(error)
        } catch let error as TextChangeError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    /// Applies `changes` in order and sets the new version. All or nothing: if any change is invalid, the document
    /// is unchanged and the error says which.
    /// Returns the changes as byte edits, in order, each relative to the text the previous one left.
    @discardableResult
    public mutating func apply(
        _ changes: [TextChange], version newVersion: Int,
        encoding: PositionEncoding
    ) throws(TextChangeError) -> [AppliedTextChange] {
        var copy = self
        var applied: [AppliedTextChange] = []
        for change in changes {
            applied.append(try copy.apply(change, encoding: encoding))
        }
        copy.version = newVersion
        self = copy
        return applied
    }

    private mutating func apply(_ change: TextChange, encoding: PositionEncoding) throws(TextChangeError)
        -> AppliedTextChange
    {
        guard let range = change.range else {
            bytes = Array(change.text.utf8)
            lines = LineTable(bytes)
            return AppliedTextChange(range: nil, replacement: bytes)
        }
        let byteRange = try byteRange(of: range, encoding: encoding)
        let replacement = Array(change.text.utf8)
        bytes.replaceSubrange(byteRange, with: replacement)
        // Rebuilding the table is linear, like the splice itself; documents are edited a few times a second.
        lines = LineTable(bytes)
        return AppliedTextChange(range: byteRange, replacement: replacement)
    }

    /// The text of a byte range.
    public func text(in range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}
