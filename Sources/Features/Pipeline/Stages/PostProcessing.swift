/// `FillPostProcessor`: the fill cut to the hole's extent, closers the document does not need dropped, and nothing
/// offered that is empty, only whitespace, or repeats what follows the cursor.
public struct PostProcessing: FillFilter {
    public var name: String { "post-processing" }
    private let processor = FillPostProcessor()
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let raw = candidate.text
        guard
            let cleaned = processor.process(
                raw, linePrefix: site.lines.linePrefix(upTo: site.request.cursor),
                lineSuffix: site.lineSuffix, followingLines: site.lines.followingLines(4),
                extent: site.hole.extent, missingClosers: site.missingClosers(for: raw))
        else {
            return .drop(
                reason: "empty, only whitespace, or repeating what follows, after trimming to \(raw.debugDescription)")
        }
        candidate.text = cleaned
        return .keep
    }
}
