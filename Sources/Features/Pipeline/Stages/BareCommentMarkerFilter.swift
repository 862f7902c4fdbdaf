/// A bare comment marker (`//`, `#`) says nothing (`FillPostProcessor.isBareCommentMarker`): held back while the
/// user types whatever its confidence, shown as unsure when asked for.
public struct BareCommentMarkerFilter: FillFilter {
    public var name: String { "bare comment marker" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        guard FillPostProcessor.isBareCommentMarker(site.typed + candidate.text) else { return .keep }
        if !site.request.invoked { return .drop(reason: "only a comment marker, \(candidate.text.debugDescription)") }
        candidate.isUnsure = true
        return .keep
    }
}
