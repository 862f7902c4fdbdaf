/// Every completion setting a user can change (the editor's settings under `completion`, `--set` on the command
/// line), grouped by what it governs: how the model samples, the hole it fills, and what is offered.
public struct CompletionSettings: Sendable, Equatable {
    public var sampling = SamplingSettings()
    public var hole = HoleSettings()
    public var offer = OfferPolicy()

    public init() {}

    /// The one table of completion settings: the server's configuration, `dlsp complete --set`, `dlsp bench infill
    /// --set` and README's settings list are all read from it. A new setting is one property and one row here.
    public static var table: [SettingKey<CompletionSettings>] {
        [
            .integer("steps", \.sampling.steps, 1...256, "Denoising steps per fill, at most."),
            .optionalProbability(
                "threshold", \.sampling.confidenceThreshold,
                "Commit every position at least this sure each step; null: a fixed schedule of `steps` steps."),
            .number("temperature", \.sampling.temperature, 0...2, "Sampling temperature; 0 takes the likeliest token."),
            .number(
                "stopPenalty", \.sampling.stopPenalty, 0...20, "Logit penalty on ending the fill at each hole position."
            ),
            .optionalInteger(
                "blockLength", \.sampling.blockLength, 1...512,
                "Decode the hole in blocks of this many positions, left to right; null: the whole hole at once."),
            .boolean("cache", \.sampling.useCache, "Keep the keys and values of settled positions between steps."),
            .boolean(
                "reuseContext", \.sampling.reuseContext,
                "Reuse the previous fill's keys and values where the canvas begins the same way."),
            .integer("lineHoleTokens", \.hole.lineHoleTokens, 1...256, "Tokens of a rest-of-line hole."),
            .integer("blockHoleTokens", \.hole.blockHoleTokens, 1...512, "Tokens of a multi-line hole."),
            .integer("contextTokens", \.hole.contextTokens, 64...131_072, "Tokens the whole canvas may hold."),
            .integer(
                "lengthCandidates", \.hole.lengthCandidates, 1...3,
                "Hole lengths tried: 1 the planned one; 3 also half and twice it, the surest fill first."),
            .number(
                "minConfidence", \.offer.minConfidence, 0...1,
                "The as-you-type floor of a suggestion's confidence, for lines the file already has."),
            floorsByLanguage,
            .number(
                "newLineMinConfidence", formerNames: ["midLineMinConfidence"], \.offer.newLineMinConfidence, 0...1,
                "The as-you-type floor for a line the file does not have, where higher than the language's."),
            .number(
                "invokedMinConfidence", \.offer.invokedMinConfidence, 0...1,
                "The floor when the user asks; below the as-you-type floor a suggestion is marked unsure."),
            .number(
                "fileLineSnapDistance", \.offer.fileLineSnapDistance, 0...1,
                "Offer a fill this close to a line of the file as that line; 0 never snaps."),
            .number(
                "repeatedLineMinBits", \.offer.repeatedLineMinBits, 0...1_000,
                "Offer the line the file repeats between the cursor's neighbours on this much evidence; 0 never."),
            .boolean(
                "repeatedLinesFromOtherFiles", \.offer.repeatedLinesFromOtherFiles,
                "Look for repeated and ranked lines in the workspace's other files too."),
            .boolean(
                "rankFileLines", \.offer.rankFileLines,
                "Rank the file's lines against the model's fill and offer the one preferred to it."),
            .number(
                "rankedLineMinProbability", \.offer.rankedLineMinProbability, 0...1,
                "The as-you-type floor of a ranked line's probability."),
            .boolean(
                "excludeProseAndHeaders", \.offer.excludeProseAndHeaders,
                "Never offer a docstring's line, or the enclosing declaration's header, as a line of code."
            ),
        ]
    }

    /// `minConfidenceByLanguage`: replaces the whole table, so `{}` puts every language under `minConfidence`.
    private static var floorsByLanguage: SettingKey<CompletionSettings> {
        SettingKey(
            name: "minConfidenceByLanguage", valueDescription: "object: language → number 0…1",
            summary: "Languages whose as-you-type floor is their own instead of `minConfidence`.",
            apply: { settings, value in
                guard case .object(let members) = value else { return false }
                var table: [String: Float] = [:]
                for (language, floor) in members {
                    guard let number = floor.number, (0...1).contains(number) else { return false }
                    table[language] = Float(number)
                }
                settings.offer.minConfidenceByLanguage = table
                return true
            },
            read: { settings in
                "{"
                    + settings.offer.minConfidenceByLanguage.sorted { $0.key < $1.key }
                    .map { "\"\($0.key)\": \(SettingKey<CompletionSettings>.format($0.value))" }
                    .joined(separator: ", ") + "}"
            })
    }
}
