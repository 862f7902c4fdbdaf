import Foundation
import Syntax

/// The line of the file `LineRanker` prefers to the model's fill, when nothing follows the cursor on its line and the
/// line keeps a parsing file parsing (`OfferPolicy.rankFileLines`, `rankedLineMinProbability`).
public struct RankedLineJudge: LineJudge {
    public var name: String { "ranked line" }
    public init() {}

    public func line(at site: CompletionSite, modelLine: ModelLine?) -> Suggestion? {
        let offer = site.settings.offer
        guard offer.rankFileLines, site.lineSuffix.utf8.allSatisfy(LineFingerprints.isBlank) else { return nil }
        let started = ContinuousClock.now
        let index = offer.repeatedLinesFromOtherFiles ? site.workspaceIndex : nil
        let (before, candidates) = Self.candidates(
            lines: site.lines, linePrefix: site.linePrefix, typed: site.typed, modelLine: modelLine,
            otherFiles: index.map { LineRanker.OtherFiles(index: $0, path: site.request.path) },
            excluding: site.excludedLines)
        guard let (chosen, probability) = LineRanker().choose(candidates) else {
            site.trace(name, "ranking \(candidates.count) lines of the file: the model's fill is likelier than any")
            return nil
        }
        let text = String(decoding: chosen.text.utf8.dropFirst(before.utf8.count), as: UTF8.self)
        let p = String(format: "%.2f", probability)
        guard text.hasPrefix(site.typed), site.hole.validate?(text) ?? true else {
            site.trace(
                name, .dropped,
                "ranking \(candidates.count) lines of the file: line \(chosen.line + 1) (p = \(p)), "
                    + "but the file parsed before and would not with it")
            return nil
        }
        let place = "line \(chosen.line + 1)" + (chosen.path.map { " of \($0)" } ?? "")
        site.trace(
            name, .offered,
            "ranking \(candidates.count) lines: \(place) is likelier than the model's fill (p = \(p)): "
                + text.debugDescription)
        return Suggestion(
            text: text, replaceStart: site.wordStart, fromTypeAheadCache: false,
            milliseconds: (ContinuousClock.now - started).milliseconds,
            confidence: probability, tokenConfidences: [probability],
            isUnsure: probability < offer.rankedLineMinProbability,
            rankedLine: RankedLineEvidence(
                line: chosen.line, probability: probability,
                candidates: candidates.count, path: chosen.path))
    }

    /// What `LineRanker` ranks at a cursor: the lines of the file that begin with the cursor line's text before the
    /// typed word (`before`, without its indentation) and the typed word, described against the model's line.
    static func candidates(
        lines: DocumentLines, linePrefix: String, typed: String, modelLine: ModelLine?,
        otherFiles: LineRanker.OtherFiles? = nil, excluding: Set<Int> = []
    )
        -> (before: String, candidates: [LineRanker.Candidate])
    {
        let before = String(linePrefix.trimmingLeadingBlanks)
        let modelFill = modelLine.map { (before + $0.text.firstLine).trimmingBlanks }
        return (
            before,
            LineRanker.candidates(
                lines: lines, head: before + typed, modelFill: modelFill,
                modelConfidence: modelLine?.confidence, otherFiles: otherFiles, excluding: excluding)
        )
    }
}
