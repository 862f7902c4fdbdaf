import Syntax

/// Blanks at either end of a line: spaces, tabs and carriage returns (the `\r` of a CRLF line end), the same bytes
/// `LineFingerprints` ignores, so that lines compared here and in the workspace index agree. The one set of trimming
/// helpers completion uses, for bytes and for text.
extension ArraySlice where Element == UInt8 {
    /// Without blanks at either end.
    public var trimmingBlanks: ArraySlice<UInt8> { LineFingerprints.trimmed(self) }

    /// Without leading blanks.
    public var trimmingLeadingBlanks: ArraySlice<UInt8> { drop(while: LineFingerprints.isBlank) }

    /// Without trailing blanks.
    public var trimmingTrailingBlanks: ArraySlice<UInt8> {
        guard let last = lastIndex(where: { !LineFingerprints.isBlank($0) }) else { return self[endIndex..<endIndex] }
        return self[...last]
    }
}

extension StringProtocol {
    /// Without leading blanks.
    var trimmingLeadingBlanks: Substring { Substring(self).drop { $0 == " " || $0 == "\t" || $0 == "\r" } }

    /// Without blanks at either end.
    var trimmingBlanks: String {
        String(decoding: Array(utf8)[...].trimmingBlanks, as: UTF8.self)
    }
}

extension String {
    /// The text up to its first line break: what is judged of a suggestion as a single line.
    var firstLine: String { split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "" }
}
