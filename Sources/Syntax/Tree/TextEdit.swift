/// A replacement of a byte range of UTF-8 text; an insertion has an empty range, a deletion empty replacement.
public struct TextEdit: Sendable, Hashable {
    public var range: Range<Int>
    public var replacement: [UInt8]

    public init(range: Range<Int>, replacement: [UInt8]) {
        self.range = range
        self.replacement = replacement
    }

    public init(range: Range<Int>, replacement: String) {
        self.init(range: range, replacement: Array(replacement.utf8))
    }

    /// `text` with this edit applied; the range is clamped to the text.
    public func applied(to text: [UInt8]) -> [UInt8] {
        let clamped = clampedRange(in: text)
        var result = text
        result.replaceSubrange(clamped, with: replacement)
        return result
    }

    func clampedRange(in text: [UInt8]) -> Range<Int> {
        let lower = max(0, min(range.lowerBound, text.count))
        let upper = max(lower, min(range.upperBound, text.count))
        return lower..<upper
    }
}
