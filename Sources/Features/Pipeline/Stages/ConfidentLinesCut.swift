/// A multi-line fill is cut after its first line whose own tokens the model was unsure of
/// (`CompletionService.keepingConfidentLines`): a weak model often gets a `}` or a `return` right and then wanders.
public struct ConfidentLinesCut: FillFilter {
    public var name: String { "confident lines" }
    /// How sure the model must be of each line after the first for it to stay: lines it was more sure of than not.
    /// Kept apart from the as-you-type floors so that moving those does not change how many lines a fill keeps.
    public static let floor: Float = 0.5
    public init() {}

    public func apply(to candidate: inout FillCandidate, at site: CompletionSite) -> FilterVerdict {
        let confident = CompletionService.keepingConfidentLines(candidate.text, typedBytes: site.typed.utf8.count,
                                                                fill: candidate.fill, floor: Self.floor)
        if confident != candidate.text {
            candidate.text = confident
            candidate.changed("cut after the lines the model was sure of (each line's confidence ≥ \(Self.floor)): \(confident.debugDescription)")
        }
        return .keep
    }
}
