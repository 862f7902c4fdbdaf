import Features
import Testing
@testable import LanguageServer

/// What a completion item's detail tells the user about a suggestion.
struct CompletionDetailTests {
    @Test func detailSaysHowSureAndWhatTheModelWrote() {
        var suggestion = Suggestion(
            text: "sum(xs)", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 41.6,
            confidence: 0.5, isUnsure: true)
        #expect(LanguageServer.detail(suggestion) == "dlsp · 42 ms · confidence 0.50 · unsure")
        suggestion.snappedFrom = "sums(xs)"
        #expect(
            LanguageServer.detail(suggestion)
                == "dlsp · 42 ms · confidence 0.50 · unsure · a line of the file; the model wrote sums(xs)")
        let repeated = Suggestion(
            text: "b = one()", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 0.4,
            repeatedLine: RepeatedLineEvidence(line: 41, linesAbove: 2, linesBelow: 1, bits: 18))
        #expect(
            LanguageServer.detail(repeated)
                == "dlsp · 0 ms · repeats line 42, found among the same lines as around the cursor")
        let ranked = Suggestion(
            text: "if row is None:", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 1,
            confidence: 0.91,
            rankedLine: RankedLineEvidence(
                line: 2, probability: 0.91, candidates: 8,
                path: "users.py"))
        #expect(
            LanguageServer.detail(ranked)
                == "dlsp · 1 ms · confidence 0.91 · line 3 of users.py, "
                + "whose surroundings look like the cursor's; the confidence is the ranker's"
        )
        suggestion.fromTypeAheadCache = true
        #expect(LanguageServer.detail(suggestion) == "dlsp · continued")
    }
}
