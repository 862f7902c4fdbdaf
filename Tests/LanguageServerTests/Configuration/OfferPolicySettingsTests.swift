import Testing
@testable import LanguageServer

/// The `completion` section's settings of what is offered: the confidence floors, snapping to the file's lines,
/// repeated lines and the line ranker (`OfferPolicy`).
struct OfferPolicySettingsTests {
    @Test func floorsAreProbabilities() {
        expectNumberRange("completion.minConfidence", \.completion.offer.minConfidence, 0...1)
        expectNumberRange("completion.newLineMinConfidence", \.completion.offer.newLineMinConfidence, 0...1)
        expectNumberRange("completion.invokedMinConfidence", \.completion.offer.invokedMinConfidence, 0...1)
    }

    @Test func perLanguageFloorsReplaceTheTable() {
        var configuration = Configuration()
        #expect(configuration.completion.offer.minConfidenceByLanguage.isEmpty)
        #expect(configuration.completion.offer.minConfidence == 0.4)
        let unknown = configuration.apply(
            .object([
                "completion": .object([
                    "minConfidence": .number(0.8),
                    "minConfidenceByLanguage": .object(["swift": .number(0.7), "python": .number(0.9)]),
                ])
            ]))
        #expect(unknown.isEmpty)
        #expect(configuration.completion.offer.minConfidenceByLanguage == ["swift": 0.7, "python": 0.9])
        #expect(configuration.completion.offer.minConfidence(forLanguage: "javascript") == 0.8)

        _ = configuration.apply(.object(["completion": .object(["minConfidenceByLanguage": .object([:])])]))
        #expect(configuration.completion.offer.minConfidence(forLanguage: "swift") == 0.8)

        let before = configuration.completion.offer.minConfidenceByLanguage
        let rejected = configuration.apply(
            .object([
                "completion": .object([
                    "minConfidenceByLanguage": .object(["swift": .number(1.5)])
                ])
            ]))
        #expect(rejected == ["completion.minConfidenceByLanguage"])
        #expect(configuration.completion.offer.minConfidenceByLanguage == before)
    }

    @Test func newLineFloorAndItsEarlierName() {
        var configuration = Configuration()
        #expect(configuration.set("completion.minConfidence", .number(0.8)).isEmpty)
        #expect(configuration.apply(.object(["completion": .object(["newLineMinConfidence": .number(0.3)])])).isEmpty)
        // Under the language's floor, a new line is held to the language's floor.
        #expect(configuration.completion.offer.minConfidence(forLanguage: "swift", copiesLineOfFile: false) == 0.8)
        #expect(
            configuration.apply(.object(["completion": .object(["newLineMinConfidence": .number(2)])]))
                == ["completion.newLineMinConfidence"])
        #expect(configuration.completion.offer.newLineMinConfidence == 0.3)
        // The floor's earlier name still sets it.
        #expect(configuration.apply(.object(["completion": .object(["midLineMinConfidence": .number(0.95)])])).isEmpty)
        #expect(configuration.completion.offer.newLineMinConfidence == 0.95)
    }

    @Test func snapDistance() {
        var configuration = Configuration()
        #expect(configuration.completion.offer.fileLineSnapDistance == 0.3)
        #expect(configuration.apply(.object(["completion": .object(["fileLineSnapDistance": .number(0)])])).isEmpty)
        #expect(configuration.completion.offer.fileLineSnapDistance == 0)
        #expect(
            configuration.apply(.object(["completion": .object(["fileLineSnapDistance": .number(-1)])]))
                == ["completion.fileLineSnapDistance"])
        #expect(configuration.completion.offer.fileLineSnapDistance == 0)
        expectNumberRange("completion.fileLineSnapDistance", \.completion.offer.fileLineSnapDistance, 0...1)
    }

    @Test func repeatedLines() {
        var configuration = Configuration()
        #expect(configuration.completion.offer.repeatedLineMinBits == 12)
        #expect(configuration.apply(.object(["completion": .object(["repeatedLineMinBits": .number(20)])])).isEmpty)
        #expect(configuration.completion.offer.repeatedLineMinBits == 20)
        #expect(
            configuration.apply(.object(["completion": .object(["repeatedLineMinBits": .number(-1)])]))
                == ["completion.repeatedLineMinBits"])
        #expect(configuration.completion.offer.repeatedLineMinBits == 20)
        expectNumberRange("completion.repeatedLineMinBits", \.completion.offer.repeatedLineMinBits, 0...1_000)
        expectSwitch(
            "completion.repeatedLinesFromOtherFiles", \.completion.offer.repeatedLinesFromOtherFiles,
            byDefault: true)
    }

    @Test func lineRanker() {
        var configuration = Configuration()
        #expect(
            configuration.completion.offer.rankFileLines
                && configuration.completion.offer.rankedLineMinProbability == 0.75)
        #expect(
            configuration.apply(
                .object([
                    "completion": .object([
                        "rankFileLines": .bool(false),
                        "rankedLineMinProbability": .number(0.9),
                    ])
                ])
            ).isEmpty)
        #expect(
            !configuration.completion.offer.rankFileLines
                && configuration.completion.offer.rankedLineMinProbability == 0.9)
        #expect(
            configuration.apply(.object(["completion": .object(["rankedLineMinProbability": .number(2)])]))
                == ["completion.rankedLineMinProbability"])
        #expect(configuration.completion.offer.rankedLineMinProbability == 0.9)
        expectSwitch("completion.rankFileLines", \.completion.offer.rankFileLines, byDefault: true)
    }
}
