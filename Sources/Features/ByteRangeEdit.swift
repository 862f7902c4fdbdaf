/// A replacement of a byte range of a document's UTF-8 text: the plain value every code action produces. The server
/// turns it into an LSP `TextEdit`; ranges never overlap within one action and refer to the text it was computed on.
public struct ByteRangeEdit: Sendable, Hashable {
    /// The bytes replaced (empty for an insertion).
    public var range: Range<Int>
    /// What replaces them (empty for a deletion).
    public var newText: String

    public init(range: Range<Int>, newText: String) {
        self.range = range
        self.newText = newText
    }

    /// `text` with `edits` applied (ranges refer to `text`; applied back to front so earlier ranges stay valid).
    public static func apply(_ edits: [ByteRangeEdit], to text: [UInt8]) -> [UInt8] {
        var result = text
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            result.replaceSubrange(edit.range, with: Array(edit.newText.utf8))
        }
        return result
    }
}
