import Engine
import Features
import JSONRPC
import Testing
@testable import LanguageServer

/// Settings that are more than one number: parsed whole or refused, never half-applied.
struct ConfigurationTests {
    /// `model.precision` takes the three names and refuses anything else, keeping the value it had.
    @Test func modelPrecisionTakesItsNamesOnly() {
        var configuration = Configuration()
        #expect(configuration.precision == .automatic)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("q8")])])).isEmpty)
        #expect(configuration.precision == .q8)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("as-stored")])])).isEmpty)
        #expect(configuration.precision == .asStored)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("int4")])])) == ["model.precision"])
        #expect(configuration.apply(.object(["model": .object(["precision": .number(8)])])) == ["model.precision"])
        #expect(configuration.precision == .asStored)
    }

    @Test func perLanguageFloorsReplaceTheTable() {
        var configuration = Configuration()
        #expect(configuration.completion.offer.minConfidenceByLanguage.isEmpty)
        #expect(configuration.completion.offer.minConfidence == 0.4)
        let unknown = configuration.apply(.object(["completion": .object([
            "minConfidence": .number(0.8),
            "minConfidenceByLanguage": .object(["swift": .number(0.7), "python": .number(0.9)]),
        ])]))
        #expect(unknown.isEmpty)
        #expect(configuration.completion.offer.minConfidenceByLanguage == ["swift": 0.7, "python": 0.9])
        #expect(configuration.completion.offer.minConfidence(forLanguage: "javascript") == 0.8)

        _ = configuration.apply(.object(["completion": .object(["minConfidenceByLanguage": .object([:])])]))
        #expect(configuration.completion.offer.minConfidence(forLanguage: "swift") == 0.8)

        let before = configuration.completion.offer.minConfidenceByLanguage
        let rejected = configuration.apply(.object(["completion": .object([
            "minConfidenceByLanguage": .object(["swift": .number(1.5)]),
        ])]))
        #expect(rejected == ["completion.minConfidenceByLanguage"])
        #expect(configuration.completion.offer.minConfidenceByLanguage == before)

        #expect(configuration.apply(.object(["completion": .object(["newLineMinConfidence": .number(0.3)])])).isEmpty)
        #expect(configuration.completion.offer.minConfidence(forLanguage: "swift", copiesLineOfFile: false) == 0.8)
        #expect(configuration.apply(.object(["completion": .object(["newLineMinConfidence": .number(2)])]))
            == ["completion.newLineMinConfidence"])
        #expect(configuration.completion.offer.newLineMinConfidence == 0.3)
        // The floor's earlier name still sets it.
        #expect(configuration.apply(.object(["completion": .object(["midLineMinConfidence": .number(0.95)])])).isEmpty)
        #expect(configuration.completion.offer.newLineMinConfidence == 0.95)

        #expect(configuration.completion.offer.fileLineSnapDistance == 0.3)
        #expect(configuration.apply(.object(["completion": .object(["fileLineSnapDistance": .number(0)])])).isEmpty)
        #expect(configuration.completion.offer.fileLineSnapDistance == 0)
        #expect(configuration.apply(.object(["completion": .object(["fileLineSnapDistance": .number(-1)])]))
            == ["completion.fileLineSnapDistance"])
        #expect(configuration.completion.offer.fileLineSnapDistance == 0)

        #expect(configuration.completion.offer.repeatedLineMinBits == 12)
        #expect(configuration.apply(.object(["completion": .object(["repeatedLineMinBits": .number(20)])])).isEmpty)
        #expect(configuration.completion.offer.repeatedLineMinBits == 20)
        #expect(configuration.completion.offer.rankFileLines && configuration.completion.offer.rankedLineMinProbability == 0.75)
        #expect(configuration.apply(.object(["completion": .object(["rankFileLines": .bool(false),
                                                                    "rankedLineMinProbability": .number(0.9)])])).isEmpty)
        #expect(!configuration.completion.offer.rankFileLines && configuration.completion.offer.rankedLineMinProbability == 0.9)
        #expect(configuration.apply(.object(["completion": .object(["rankedLineMinProbability": .number(2)])]))
            == ["completion.rankedLineMinProbability"])
        #expect(configuration.apply(.object(["completion": .object(["repeatedLineMinBits": .number(-1)])]))
            == ["completion.repeatedLineMinBits"])
        #expect(configuration.completion.offer.repeatedLineMinBits == 20)
    }
}

/// What a completion item's detail tells the user about a suggestion.
struct CompletionDetailTests {
    @Test func detailSaysHowSureAndWhatTheModelWrote() {
        var suggestion = Suggestion(text: "sum(xs)", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 41.6,
                                    confidence: 0.5, isUnsure: true)
        #expect(LanguageServer.detail(suggestion) == "dlsp · 42 ms · confidence 0.50 · unsure")
        suggestion.snappedFrom = "sums(xs)"
        #expect(LanguageServer.detail(suggestion)
            == "dlsp · 42 ms · confidence 0.50 · unsure · a line of the file; the model wrote sums(xs)")
        let repeated = Suggestion(text: "b = one()", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 0.4,
                                  repeatedLine: RepeatedLineEvidence(line: 41, linesAbove: 2, linesBelow: 1, bits: 18))
        #expect(LanguageServer.detail(repeated)
            == "dlsp · 0 ms · repeats line 42, found among the same lines as around the cursor")
        let ranked = Suggestion(text: "if row is None:", replaceStart: 0, fromTypeAheadCache: false, milliseconds: 1,
                                confidence: 0.91, rankedLine: RankedLineEvidence(line: 2, probability: 0.91, candidates: 8,
                                                                                 path: "users.py"))
        #expect(LanguageServer.detail(ranked)
            == "dlsp · 1 ms · confidence 0.91 · line 3 of users.py, whose surroundings look like the cursor's; the confidence is the ranker's")
        suggestion.fromTypeAheadCache = true
        #expect(LanguageServer.detail(suggestion) == "dlsp · continued")
    }
}
