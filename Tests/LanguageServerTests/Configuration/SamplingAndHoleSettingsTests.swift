import Testing
@testable import LanguageServer

/// The `completion` section's settings of how the model samples a fill and the hole it fills, and whether
/// completion answers at all.
struct SamplingAndHoleSettingsTests {
    @Test func completionCanBeTurnedOff() {
        expectSwitch("completion.enabled", \.completionEnabled, byDefault: true)
    }

    @Test func wholeNumbersTakeTheirRanges() {
        expectIntegerRange("completion.steps", \.completion.sampling.steps, 1...256)
        expectIntegerRange("completion.lineHoleTokens", \.completion.hole.lineHoleTokens, 1...256)
        expectIntegerRange("completion.blockHoleTokens", \.completion.hole.blockHoleTokens, 1...512)
        expectIntegerRange("completion.contextTokens", \.completion.hole.contextTokens, 64...131_072)
        expectIntegerRange("completion.lengthCandidates", \.completion.hole.lengthCandidates, 1...3)
    }

    @Test func temperatureAndStopPenaltyTakeTheirRanges() {
        expectNumberRange("completion.temperature", \.completion.sampling.temperature, 0...2)
        expectNumberRange("completion.stopPenalty", \.completion.sampling.stopPenalty, 0...20)
    }

    /// `completion.threshold` is a probability over 0, or null for a fixed schedule of `steps` steps.
    @Test func thresholdAcceptsNull() {
        var configuration = Configuration()
        #expect(configuration.completion.sampling.confidenceThreshold == 0.9)
        #expect(configuration.set("completion.threshold", .null).isEmpty)
        #expect(configuration.completion.sampling.confidenceThreshold == nil)
        #expect(configuration.set("completion.threshold", .number(1)).isEmpty)
        #expect(configuration.completion.sampling.confidenceThreshold == 1)
        #expect(configuration.set("completion.threshold", .number(0.5)).isEmpty)
        #expect(configuration.completion.sampling.confidenceThreshold == 0.5)
        for refused in [0, 1.5, -0.5] {
            #expect(
                configuration.set("completion.threshold", .number(refused)) == ["completion.threshold"],
                "threshold = \(refused)")
        }
        #expect(configuration.completion.sampling.confidenceThreshold == 0.5)
    }

    /// `completion.blockLength` is a block of 1 to 512 positions, or null for the whole hole at once.
    @Test func blockLengthAcceptsNullAndOneTo512() {
        var configuration = Configuration()
        #expect(configuration.completion.sampling.blockLength == nil)
        #expect(configuration.set("completion.blockLength", .number(1)).isEmpty)
        #expect(configuration.completion.sampling.blockLength == 1)
        #expect(configuration.set("completion.blockLength", .number(512)).isEmpty)
        #expect(configuration.completion.sampling.blockLength == 512)
        for refused in [0, 513, 8.5] {
            #expect(
                configuration.set("completion.blockLength", .number(refused)) == ["completion.blockLength"],
                "blockLength = \(refused)")
        }
        #expect(configuration.completion.sampling.blockLength == 512)
        #expect(configuration.set("completion.blockLength", .null).isEmpty)
        #expect(configuration.completion.sampling.blockLength == nil)
    }

    @Test func cachesCanBeTurnedOff() {
        expectSwitch("completion.cache", \.completion.sampling.useCache, byDefault: true)
        expectSwitch("completion.reuseContext", \.completion.sampling.reuseContext, byDefault: true)
    }
}
