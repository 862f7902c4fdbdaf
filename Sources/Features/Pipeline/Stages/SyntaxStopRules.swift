/// The syntax layer's stop rules for this hole (`HolePlan.trim`): where the fill must end given what surrounds the
/// cursor.
public struct SyntaxStopRules: FillFilter {
    public var name: String { "syntax stop rules" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        if let trim = site.hole.trim { candidate.text = trim(candidate.text) }
        return .keep
    }
}
