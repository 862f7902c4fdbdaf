/// What is offered, and when: the confidence floors, snapping to the file's lines, the lines the file repeats and the
/// line ranker. None of it changes what the model fills, only which suggestions reach the user.
///
/// Why each default is what it is, with the command that measured it: `docs/calibration.md`.
public struct OfferPolicy: Sendable, Equatable {
    /// Suggestions the model is less sure of than this (`Suggestion.confidence`) are not offered while the user
    /// types. It holds for a suggestion that completes the line into one the file already has; a line the file does
    /// not have is held to `newLineMinConfidence` as well, since the model is almost never right on those.
    /// Repeated lines (`repeatedLineMinBits`) are offered on their own evidence, whatever this floor.
    public var minConfidence: Float = 0.4
    /// Languages (LSP language identifiers) whose as-you-type floor is their own instead of `minConfidence`: where
    /// the model's confidence is better calibrated a lower floor offers more at the same precision, where it is worse
    /// a higher one keeps the precision.
    public var minConfidenceByLanguage: [String: Float] = [:]
    /// The as-you-type floor for a suggestion whose line the file does not already have, if higher than the
    /// language's (`LineView.fileHasLine`): the model's new lines are almost never right.
    public var newLineMinConfidence: Float = 0.94
    /// The floor for suggestions the user asked for (`CompletionRequest.invoked`); below the as-you-type floor they
    /// are marked unsure.
    public var invokedMinConfidence: Float = 0
    /// A single-line fill at most this far from a line of the file that fits the cursor's line (1 − the share of
    /// their characters in common, `FileLineSnap`) is offered as that line, with the fill's own confidence and the
    /// floor of a new line; 0 never snaps.
    public var fileLineSnapDistance: Float = 0.3
    /// Where the non-blank lines just above and below the cursor also surround another line of the file, at the
    /// cursor's indentation (failing that, where the lines on one side of the cursor are those on the same side of
    /// another line), that line is offered as it is, without asking the model, when the shared lines carry at least
    /// this much evidence (`RepeatedLineEvidence.bits`: each shared line counts log2 of how rare it is in the file)
    /// and every place that shares as much holds the same line; 0 never offers one.
    public var repeatedLineMinBits: Float = 12
    /// Also look for the line in the workspace's other files when the cursor's file has none: a line that sits, in
    /// another file, between the same two non-blank lines as the cursor, every such place holding the same line
    /// (`RepeatedLine.acrossFiles`). It also lets `LineRanker` rank other files' lines next to the cursor's
    /// neighbours (`rankFileLines`).
    public var repeatedLinesFromOtherFiles = true
    /// Rank the file's lines as the cursor's line (`LineRanker`) after the model's fill, and offer the one the
    /// ranker prefers to that fill. Only where nothing follows the cursor on its line and no repeated line was found.
    public var rankFileLines = true
    /// The as-you-type floor of a ranked line's probability (`RankedLineEvidence.probability`); below it, typing
    /// offers nothing there (the ranker judged the model's fill less likely still), an invocation marks it unsure.
    public var rankedLineMinProbability: Float = 0.75
    /// Never offer, as the line at a cursor in code, a line of the file inside a string (a docstring's lines, its
    /// examples' output) or the header of a declaration around the cursor (`LineRoles`): not as a repeated line, a
    /// ranked line or a snap, and not when the model's fill copies one (it is then marked unsure, and held back while
    /// typing). Comment lines stay candidates: in repetitive code a comment is often the line to write.
    public var excludeProseAndHeaders = true

    public init() {}

    /// The as-you-type floor for a document of `languageID`.
    public func minConfidence(forLanguage languageID: String) -> Float {
        minConfidenceByLanguage[languageID] ?? minConfidence
    }

    /// The as-you-type floor for a suggestion in a document of `languageID` that completes the line into one the
    /// file already has (`copiesLineOfFile`) or not.
    public func minConfidence(forLanguage languageID: String, copiesLineOfFile: Bool) -> Float {
        copiesLineOfFile
            ? minConfidence(forLanguage: languageID)
            : max(minConfidence(forLanguage: languageID), newLineMinConfidence)
    }
}
