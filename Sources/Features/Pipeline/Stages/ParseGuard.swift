/// A file that parsed before the fill must parse with it (`HolePlan.validate`).
public struct ParseGuard: FillFilter {
    public var name: String { "parse guard" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        guard site.hole.validate?(site.typed + candidate.text) ?? true else {
            return .drop(reason: "the file parsed before and would not with \(candidate.text.debugDescription)")
        }
        return .keep
    }
}
