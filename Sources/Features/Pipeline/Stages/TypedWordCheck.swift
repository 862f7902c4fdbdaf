/// A fill must start with the word the user has half typed (token healing re-generates it whole); what follows it
/// is what the suggestion adds.
public struct TypedWordCheck: FillFilter {
    public var name: String { "typed word" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        guard candidate.text.hasPrefix(site.typed) else {
            return .drop(reason: "it does not start with the typed word \(site.typed.debugDescription)")
        }
        candidate.text.removeFirst(site.typed.count)
        return .keep
    }
}
