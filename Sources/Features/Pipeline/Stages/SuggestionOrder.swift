/// The order of the model's suggestions. When several hole lengths were tried, the model's own signal picks among
/// them: the surest `count` first (unscored ones keep their place, last). Then, when there are several, those that
/// complete the line into one the file already has come first, in their order: the model is right far more often
/// when its line is one of the file's (`DocumentLines.fileHasLine`).
public struct SuggestionOrder: Sendable {
    public var name: String { "order" }
    public init() {}

    public func order(_ suggestions: [Suggestion], at site: CompletionSite) -> [Suggestion] {
        var suggestions = suggestions
        if site.settings.hole.lengthCandidates > 1 {
            suggestions = suggestions.enumerated().sorted { a, b in
                let (x, y) = (a.element.confidence ?? -1, b.element.confidence ?? -1)
                return x != y ? x > y : a.offset < b.offset
            }.map(\.element)
            suggestions = Array(suggestions.prefix(max(1, site.request.count)))
        }
        guard suggestions.count > 1 else { return suggestions }
        let copies = suggestions.map { site.completesLineOfFile($0.snappedFrom ?? $0.text) }
        site.trace(name, "suggestions that complete the line into one of the file's first: \(copies)")
        return zip(suggestions, copies).filter(\.1).map(\.0) + zip(suggestions, copies).filter { !$0.1 }.map(\.0)
    }
}
