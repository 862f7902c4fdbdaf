import Foundation

/// Scores what is shown: the typed word and the fill as the filters left it (almost always a prefix of the raw fill;
/// the tokens past it, a next line or a dropped closer, say nothing about this suggestion). It is the model's line
/// that `LineJudge`s weigh, and the confidence the floors judge, even if the line is snapped after.
public struct FillScore: FillFilter {
    public var name: String { "score" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let shown = candidate.fill.confidences(coveringBytes: site.typed.utf8.count + candidate.text.utf8.count) ?? []
        candidate.shownConfidences = shown
        candidate.confidence = SuggestionConfidence.score(shown)
        candidate.scoredLine = site.typed + candidate.text
        if let confidence = candidate.confidence {
            candidate.note("confidence \(String(format: "%.3f", confidence)) over \(shown.count) tokens")
        }
        return .keep
    }
}
