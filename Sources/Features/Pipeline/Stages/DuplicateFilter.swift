/// Each suggestion once: a fill the same as an earlier suggestion (a line source's or an earlier attempt's) is
/// dropped.
public struct DuplicateFilter: FillFilter {
    public var name: String { "duplicate" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        site.offeredTexts.insert(candidate.text).inserted ? .keep : .drop(reason: "same as an earlier suggestion")
    }
}
