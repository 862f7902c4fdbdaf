/// A fill that starts repeating a line or a short unit over and over is the mark of one the model could not decide
/// (`FillPostProcessor.cutAtDegenerateRepetition`): it is cut before the repetition, or dropped when nothing is left.
public struct DegenerateRepetitionCut: FillFilter {
    public var name: String { "degenerate repetition" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let typed = site.typed
        guard let (kept, unit) = FillPostProcessor.cutAtDegenerateRepetition(typed + candidate.text) else {
            return .keep
        }
        // `kept` ends in its last non-blank character, so anything past the typed word is worth offering.
        guard kept.utf8.count > typed.utf8.count else {
            return .drop(reason: "\(unit.debugDescription) repeated, the mark of a fill the model could not decide")
        }
        candidate.text = String(kept.utf8.dropFirst(typed.utf8.count)) ?? ""
        candidate.changed(
            "cut before the line repeating \(unit.debugDescription), the mark of a fill the model could not decide: "
                + candidate.text.debugDescription
        )
        return .keep
    }
}
