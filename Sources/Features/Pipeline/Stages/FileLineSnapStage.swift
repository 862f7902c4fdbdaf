/// A single-line fill that is nearly a line of the file becomes that line (`FileLineSnap`,
/// `OfferPolicy.fileLineSnapDistance`), keeping the model's confidence and the floor of a new line.
public struct FileLineSnapStage: FillFilter {
    public var name: String { "file line snap" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let distance = site.settings.offer.fileLineSnapDistance
        // While typing, a snapped line is held to the new-line floor like the fill it replaces, so a fill under that
        // floor is dropped either way: the file is searched only when the snap could be shown.
        guard distance > 0, site.request.invoked || (candidate.confidence ?? 1) >= site.newLineFloor else {
            return .keep
        }
        let typed = site.typed
        guard
            let snapped = FileLineSnap(maxDistance: Double(distance))
                .snap(
                    typed + candidate.text, before: site.linePrefix, after: site.lineSuffix, typed: typed,
                    lines: site.lines, excluding: site.excludedLines),
            site.hole.validate?(snapped) ?? true
        else { return .keep }
        candidate.changed("snapped to the file's line that differs least from it: \(snapped.debugDescription)")
        candidate.snappedFrom = typed + candidate.text
        candidate.text = String(decoding: snapped.utf8.dropFirst(typed.utf8.count), as: UTF8.self)
        return .keep
    }
}
