import Engine
import Syntax
import Tokenizer

/// Context from the syntax layer: a window cut on declaration boundaries, snippets of the definitions in play
/// from other files, a hole classified from the tree, and syntax-guided denoising for languages with a grammar.
public struct SyntaxContext: InfillContextProvider {
    public let builder: ContextBuilder

    public init(registry: LanguageRegistry, index: WorkspaceIndex?) {
        builder = ContextBuilder(registry: registry, index: index)
    }

    public var workspaceIndex: WorkspaceIndex? { builder.index }

    public func prepare(
        request: CompletionRequest, holeStart: Int, settings: CompletionSettings,
        tokenizer: Tokenizer?, maskTokenID: Int?
    ) -> (InfillContext, HolePlan) {
        // The kept tree is read here and then by the syntax guard, one after the other on this thread.
        let kept = request.tree?.tree
        let built = builder.build(
            ContextRequest(
                path: request.path, text: request.text,
                languageID: request.languageID.isEmpty ? nil : request.languageID,
                cursor: request.cursor,
                budget: ContextBudget(totalTokens: settings.hole.contextTokens)),
            tree: kept)
        // Token healing: the typed part of the word goes back into the hole (see CompletionService).
        let typedBytes = request.cursor - holeStart
        let prefixBytes = Array(built.prefix.utf8)
        let prefix = String(decoding: prefixBytes.dropLast(min(typedBytes, prefixBytes.count)), as: UTF8.self)
        let context = InfillContext(
            path: built.path, prefix: prefix, suffix: built.suffix,
            snippets: built.snippets.map { .init(path: $0.path, text: $0.text) })
        let hole = built.hole
        // Room for the re-generated typed word, then the syntax layer's estimate, within its ceiling.
        let tokens = min(max(hole.suggestedTokens, 4), max(4, hole.maxTokens)) + (typedBytes + 2) / 3
        var plan = HolePlan(tokens: tokens, extent: hole.isSingleLine ? .restOfLine : .lines)
        plan.trim = { hole.trim($0) }
        // A docstring's lines are excluded only where the cursor is in code. Comment lines stay candidates: a comment
        // is often the line to write in repetitive code (a doc comment like the one above the twin method), and
        // excluding them lost right lines on the held-out sets (`Training/JOURNAL.md`, "Silence on new code").
        let roles = built.lineRoles
        let inProse = hole.kind == .comment || hole.kind == .string
        plan.linesThatCannotBeTheLine = roles.headerLines.union(inProse ? [] : roles.stringLines)
        if let tokenizer, let maskTokenID,
            let language = builder.registry.language(lspLanguageId: request.languageID)
                ?? builder.registry.language(forPath: request.path),
            let guardian = SyntaxGuard(
                text: request.text, tree: kept.flatMap { $0.language.id == language.id ? $0 : nil },
                holeStart: holeStart, cursor: request.cursor, language: language,
                tokenizer: tokenizer, maskTokenID: maskTokenID)
        {
            plan.stepHook = { guardian.remask($0) }
            plan.validate = { guardian.keepsFileParsing(insertedText: $0) }
        }
        return (context, plan)
    }
}

/// Syntax-guided denoising: once the hole is fully committed, the candidate is parsed in place; tokens inside new
/// ERROR or MISSING nodes are masked again and denoised once more (at most `maxRounds` times).
///
/// Used by one request's denoising loop only, one step after another, hence `@unchecked Sendable`.
final class SyntaxGuard: @unchecked Sendable {
    private let document: ParsedDocument
    private let holeStart: Int
    private let tokenizer: Tokenizer
    private let maskTokenID: Int32
    private let stopTokens: Set<Int32>
    private let maxRounds = 2
    private var rounds = 0
    /// Whether the file (without the typed word) parsed with no errors at all before the fill.
    let fileWasClean: Bool

    /// `tree`, when given, describes `text`: the typed word is then removed by an incremental reparse of a copy
    /// instead of parsing the whole file again.
    init?(
        text: [UInt8], tree: SyntaxTree? = nil, holeStart: Int, cursor: Int, language: Language,
        tokenizer: Tokenizer, maskTokenID: Int
    ) {
        let document: ParsedDocument
        if let tree, tree.text == text, let kept = try? ParsedDocument(tree: tree.copy()) {
            if cursor > holeStart { kept.apply(TextEdit(range: holeStart..<cursor, replacement: [UInt8]())) }
            document = kept
        } else {
            let withoutHole = Array(text[..<holeStart]) + Array(text[cursor...])
            guard let parsed = try? ParsedDocument(text: withoutHole, language: language) else { return nil }
            document = parsed
        }
        self.document = document
        self.holeStart = holeStart
        self.tokenizer = tokenizer
        self.maskTokenID = Int32(maskTokenID)
        stopTokens = Set(["<|endoftext|>", "<|pad|>"].compactMap { tokenizer.tokenID(for: $0) }.map(Int32.init))
        fileWasClean = document.tree.errorNodes().isEmpty
    }

    func remask(_ state: StepState) -> [Int] {
        guard rounds < maxRounds else { return [] }
        let tokens = state.fillPositions.map { state.canvas[$0] }
        guard !tokens.contains(maskTokenID) else { return [] }  // judge complete candidates only
        // Byte span of each hole token in the decoded fill (up to the first end-of-text).
        var fill: [UInt8] = []
        var spans: [(position: Int, bytes: Range<Int>)] = []
        for (position, token) in zip(state.fillPositions, tokens) {
            if stopTokens.contains(token) { break }
            let bytes = tokenizer.bytes(for: Int(token)) ?? []
            spans.append((position, fill.count..<(fill.count + bytes.count)))
            fill += bytes
        }
        let check = document.check(replacing: holeStart..<holeStart, with: String(decoding: fill, as: UTF8.self))
        guard !check.introducesNoNewErrors else { return [] }
        rounds += 1
        let errors = check.errorsTouchingEdit.map { ($0.lowerBound - holeStart)..<($0.upperBound - holeStart) }
        var again = spans.filter { span in
            errors.contains { $0.overlaps(span.bytes) || ($0.isEmpty && span.bytes.contains($0.lowerBound)) }
        }.map(\.position)
        if again.isEmpty, let last = spans.last {
            // The error sits just after the fill (a missing closer, say): revise its end.
            again = spans.suffix(max(1, spans.count / 4)).map(\.position)
            _ = last
        }
        return again
    }

    /// False when a file that parsed cleanly would stop parsing with `insertedText` at the hole.
    func keepsFileParsing(insertedText: String) -> Bool {
        guard fileWasClean else { return true }
        let check = document.check(replacing: holeStart..<holeStart, with: insertedText)
        return check.errorsAfter == 0
    }
}
