/// A fill that copies a line of prose (a docstring's line) or the header of a declaration around the
/// cursor, where the cursor is in code, is not a line of code (`LineRoles`, `OfferPolicy.excludeProseAndHeaders`):
/// held back while the user types, shown as unsure when asked for. Copying a code line that happens to read the
/// same is still fine: only a fill that matches prose or headers and no other line is caught.
public struct ProseCopyFilter: FillFilter {
    public var name: String { "prose copy" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let excluded = site.excludedLines
        guard !excluded.isEmpty else { return .keep }
        let copies = site.lines.lines(equalTo: site.linePrefix + site.typed + candidate.text)
        guard !copies.isEmpty, copies.allSatisfy(excluded.contains) else { return .keep }
        let described = "it copies line \(copies[0] + 1), prose or the header of the declaration around the cursor"
        if !site.request.invoked { return .drop(reason: described) }
        candidate.isUnsure = true
        candidate.note(described + ": unsure")
        return .keep
    }
}
