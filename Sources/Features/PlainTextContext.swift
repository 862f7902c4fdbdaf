import Tokenizer

/// Context for languages without a grammar: the text before and after the cursor, no snippets, and a hole shaped
/// by the cursor's line alone (rest of line when text follows the cursor, else a few lines).
public struct PlainTextContext: InfillContextProvider {
    /// How much text each side of the hole is kept before the canvas budget cuts it further.
    public var windowBytes = 16 * 1024

    public init() {}

    public func prepare(
        request: CompletionRequest, holeStart: Int, settings: CompletionSettings,
        tokenizer: Tokenizer?, maskTokenID: Int?
    ) -> (InfillContext, HolePlan) {
        let prefixStart = max(0, holeStart - windowBytes)
        let suffixEnd = min(request.text.count, request.cursor + windowBytes)
        let context = InfillContext(
            path: request.path,
            prefix: String(decoding: request.text[prefixStart..<holeStart], as: UTF8.self),
            suffix: String(decoding: request.text[request.cursor..<suffixEnd], as: UTF8.self))
        let lines = DocumentLines(text: request.text, cursor: request.cursor)
        if lines.lineSuffix(from: request.cursor).contains(where: { !$0.isWhitespace })
            || !lines.linePrefix(upTo: request.cursor).allSatisfy(\.isWhitespace)
        {
            return (context, HolePlan(tokens: settings.hole.lineHoleTokens, extent: .restOfLine))
        }
        return (context, HolePlan(tokens: settings.hole.blockHoleTokens, extent: .lines))
    }
}
