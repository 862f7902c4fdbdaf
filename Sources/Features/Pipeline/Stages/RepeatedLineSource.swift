import Foundation

/// The line the file repeats at the cursor (`RepeatedLine`), or failing that one that another file of the workspace
/// has between the same two lines (`RepeatedLine.acrossFiles`), offered as it is when the shared lines carry enough
/// evidence (`OfferPolicy.repeatedLineMinBits`) and it keeps a parsing file parsing.
public struct RepeatedLineSource: LineSource {
    public var name: String { "repeated line" }
    public init() {}

    public func line(at site: CompletionSite) -> Suggestion? {
        let offer = site.settings.offer
        guard offer.repeatedLineMinBits > 0 else { return nil }
        let started = ContinuousClock.now
        let finder = RepeatedLine(minimumBits: Double(offer.repeatedLineMinBits))
        let request = site.request, typed = site.typed
        guard
            let (rest, evidence) = finder.find(
                before: site.linePrefix, after: site.lineSuffix, typed: typed,
                lines: site.lines, excluding: site.excludedLines)
                ?? (offer.repeatedLinesFromOtherFiles ? site.workspaceIndex : nil).flatMap({
                    finder.acrossFiles(
                        index: $0, path: request.path, before: site.linePrefix, after: site.lineSuffix,
                        typed: typed, lines: site.lines)
                })
        else { return nil }
        let text = typed + rest
        let described =
            "line \(evidence.line + 1)" + (evidence.path.map { " of \($0)" } ?? "")
            + " has the same \(evidence.linesAbove) line(s) above it and \(evidence.linesBelow) below as the cursor"
            + " (\(String(format: "%.1f", evidence.bits)) bits)"
        guard site.hole.validate?(text) ?? true else {
            site.trace(
                name, .dropped,
                "\(described), but the file parsed before and would not with it: \(text.debugDescription)")
            return nil
        }
        site.trace(name, .offered, "\(described): offered as it is, \(text.debugDescription)")
        return Suggestion(
            text: text, replaceStart: site.wordStart, fromTypeAheadCache: false,
            milliseconds: (ContinuousClock.now - started).milliseconds, repeatedLine: evidence)
    }
}
