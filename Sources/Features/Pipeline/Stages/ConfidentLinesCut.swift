/// A multi-line fill is cut after its first line whose own tokens the model was unsure of
/// (`Self.keepingConfidentLines`): a weak model often gets a `}` or a `return` right and then wanders.
public struct ConfidentLinesCut: FillFilter {
    public var name: String { "confident lines" }
    /// How sure the model must be of each line after the first for it to stay: lines it was more sure of than not.
    /// Kept apart from the as-you-type floors so that moving those does not change how many lines a fill keeps.
    public static let floor: Float = 0.5
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let confident = Self.keepingConfidentLines(
            candidate.text, typedBytes: site.typed.utf8.count,
            fill: candidate.fill, floor: Self.floor)
        if confident != candidate.text {
            candidate.text = confident
            candidate.changed(
                "cut after the lines the model was sure of (each line's confidence ≥ \(Self.floor)): "
                    + confident.debugDescription
            )
        }
        return .keep
    }

    /// A multi-line fill up to its first line (after the first) that the model was unsure of: that line's own
    /// tokens score below `floor` (`SuggestionConfidence`). A weak model often gets a line right, a `}` or a
    /// `return`, and then wanders; the lines after that point are noise however sure the first one was. The first
    /// line is always kept (the suggestion's own score judges it). Unchanged without confidences (remote backends).
    static func keepingConfidentLines(_ cleaned: String, typedBytes: Int, fill: ScoredFill, floor: Float) -> String {
        let lines = cleaned.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1, floor > 0 else { return cleaned }
        var keptBytes = typedBytes + lines[0].utf8.count
        guard var scoredTokens = fill.confidences(coveringBytes: keptBytes)?.count else { return cleaned }
        var kept = 1
        for line in lines.dropFirst() {
            let end = keptBytes + 1 + line.utf8.count
            guard let covering = fill.confidences(coveringBytes: end) else { break }
            if let score = SuggestionConfidence.score(Array(covering.dropFirst(scoredTokens))), score < floor { break }
            kept += 1
            keptBytes = end
            scoredTokens = covering.count
        }
        return kept == lines.count
            ? cleaned
            : FillPostProcessor.trimTrailingWhitespace(lines.prefix(kept).joined(separator: "\n"))
    }
}
