import Engine
import Features

/// The completion path on a marked text, with every heuristic that decides what is offered off unless the test
/// turns it on: a test starts from `settings` and sets only what it exercises.
///
/// ```swift
/// var settings = CompletionCheck.settings
/// settings.offer.minConfidence = 0.5           // the floor this test is about
/// let offered = try CompletionCheck.complete("total += ‸\n", backend: ScriptedBackend(fills: [fill]),
///                                            settings: settings)
/// ```
public enum CompletionCheck {
    /// The shipped sampling and hole settings, and no offer heuristics: no confidence floor (typing or invoked, per
    /// language or for new lines), no snapping to the file's lines, no repeated lines (in the file or in others),
    /// no line ranker. What the pipeline does whatever the settings (post-processing, the parse guard, the
    /// degenerate-repetition and confident-lines cuts, the bare-comment-marker filter, the order) still runs.
    public static var settings: CompletionSettings {
        var settings = CompletionSettings()
        settings.offer.minConfidence = 0
        settings.offer.minConfidenceByLanguage = [:]
        settings.offer.newLineMinConfidence = 0
        settings.offer.invokedMinConfidence = 0
        settings.offer.fileLineSnapDistance = 0
        settings.offer.repeatedLineMinBits = 0
        settings.offer.repeatedLinesFromOtherFiles = false
        settings.offer.rankFileLines = false
        return settings
    }

    /// The suggestions a fresh `CompletionService` over `backend` offers at the `‸` of `marked` (see `MarkedText`),
    /// asked for as the user types unless `invoked`.
    public static func complete(
        _ marked: String, backend: any FillBackend,
        settings: CompletionSettings = CompletionCheck.settings, invoked: Bool = false,
        count: Int = 1, languageID: String = "python", path: String = "m.py",
        context: any InfillContextProvider = PlainTextContext(),
        cancellation: CancellationFlag = CancellationFlag(),
        trace: ((StageEvent) -> Void)? = nil
    ) throws -> [Suggestion] {
        let text = MarkedText(marked)
        let request = CompletionRequest(
            uri: "file:///" + path, path: path, languageID: languageID, text: text.bytes,
            cursor: text.cursor, count: count, invoked: invoked)
        return try CompletionService(backend: backend).complete(
            request, context: context, settings: settings,
            cancellation: cancellation, trace: trace)
    }
}
