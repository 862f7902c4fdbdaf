/// The confidence floors (`OfferPolicy`). While the user types, a fill that completes the line into one the file
/// already has is held to the language's floor, any other to the higher floor for new lines: the model is right far
/// more often on the first kind. A snapped suggestion keeps the floor of the model's own line, a new one: snapped
/// lines are right far less often than the model's own lines of the file. When the user asks, only
/// `invokedMinConfidence` drops; what typing would not offer is marked unsure.
public struct OfferFloor: FillFilter {
    public var name: String { "offer floor" }
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        var typingFloor = site.newLineFloor
        // The file is searched only when the answer matters.
        if site.newLineFloor > site.languageFloor, candidate.snappedFrom == nil, let confidence = candidate.confidence,
            confidence >= site.languageFloor, confidence < site.newLineFloor,
            site.completesLineOfFile(site.typed + candidate.text)
        {
            typingFloor = site.languageFloor
            candidate.note(
                "completes the line into one the file already has: held to the language's floor \(site.languageFloor)")
        }
        guard let confidence = candidate.confidence else { return .keep }
        let floor = site.request.invoked ? site.settings.offer.invokedMinConfidence : typingFloor
        guard confidence >= floor else { return .drop(reason: "confidence below \(floor)") }
        if confidence < typingFloor { candidate.isUnsure = true }
        return .keep
    }
}
