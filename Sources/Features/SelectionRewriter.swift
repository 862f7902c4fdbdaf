import Engine
import Syntax
import Tokenizer

/// A request to regenerate a selected range of a document.
public struct SelectionRewriteRequest: Sendable {
    /// Workspace-relative path, `/`-separated (shown to the model in the file header).
    public var path: String
    /// LSP language id (empty when unknown: the path's extension decides).
    public var languageID: String
    /// The document's UTF-8 text.
    public var text: [UInt8]
    /// The selected byte range; the model rewrites it with the rest of the file as context.
    public var selection: Range<Int>

    public init(path: String, languageID: String, text: [UInt8], selection: Range<Int>) {
        self.path = path
        self.languageID = languageID
        self.text = text
        self.selection = selection
    }
}

/// Why no rewrite is offered.
public enum SelectionRewriteError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptySelection
    case nothingAcceptable(tries: Int)

    public var description: String {
        switch self {
        case .emptySelection: return "select the code to regenerate first"
        case .nothingAcceptable(let tries):
            return "the model proposed nothing that differs from the selection and keeps the file parsing "
                + "(\(tries) tries)"
        }
    }
}

/// Fill / regenerate a selection: the selected range becomes the hole (the syntax layer's selection hole), the
/// rest of the file (and related snippets from the workspace) the context, and the backend denoises it. Works with
/// any ``FillBackend``; with a local one, syntax-guided re-masking applies as it does for completions.
public struct SelectionRewriter: Sendable {
    /// Whatever fills the hole: the embedded engine or a remote model.
    public let backend: any FillBackend
    /// Grammars for the context and the parse check (nil: plain text).
    public let registry: LanguageRegistry?
    /// Snippets from other files (nil: none).
    public let index: WorkspaceIndex?

    public init(backend: any FillBackend, registry: LanguageRegistry?, index: WorkspaceIndex?) {
        self.backend = backend
        self.registry = registry
        self.index = index
    }

    /// The replacement for the selection: the first try (greedy, then other hole lengths and seeds) whose text
    /// differs from the selection and keeps a file that parsed cleanly parsing.
    public func rewrite(
        _ request: SelectionRewriteRequest, settings: CompletionSettings,
        cancellation: CancellationFlag
    ) throws -> ByteRangeEdit {
        let selection = request.selection.clamped(to: 0..<request.text.count)
        guard !selection.isEmpty else { throw SelectionRewriteError.emptySelection }
        let original = String(decoding: request.text[selection], as: UTF8.self)
        let context = infillContext(request, selection: selection, settings: settings)
        let language = registry.flatMap {
            $0.language(lspLanguageId: request.languageID) ?? $0.language(forPath: request.path)
        }
        var plan = HolePlan(tokens: 0, extent: .lines)
        var guardian: SyntaxGuard?
        var document: ParsedDocument?
        if let language {
            if backend.supportsStepHook, let tokenizer = backend.tokenizer, let mask = backend.maskTokenID {
                guardian = SyntaxGuard(
                    text: request.text, holeStart: selection.lowerBound,
                    cursor: selection.upperBound, language: language, tokenizer: tokenizer,
                    maskTokenID: mask)
            }
            document = try? ParsedDocument(text: request.text, language: language)
        }
        if let guardian { plan.stepHook = { guardian.remask($0) } }
        // Judged against the file as it is, selection included: a file that parses must still parse; one that
        // does not must get no new errors.
        let fileWasClean = document?.tree.errorNodes().isEmpty ?? true
        func keepsParsing(_ text: String) -> Bool {
            guard let document else { return true }
            let check = document.check(replacing: selection, with: text)
            return fileWasClean ? check.errorsAfter == 0 : check.introducesNoNewErrors
        }
        let lineStart = request.text[..<selection.lowerBound].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let startsLine = request.text[lineStart..<selection.lowerBound].allSatisfy { $0 == 0x20 || $0 == 0x09 }
        // Blanks before the selection on its line belong to its first line's indentation.
        let lead = startsLine ? String(decoding: request.text[lineStart..<selection.lowerBound], as: UTF8.self) : ""
        let lineIndentation = request.text[lineStart...].prefix { $0 == 0x20 || $0 == 0x09 }.count
        let indentation = min(Self.minimumIndentation(lead + original, firstLineCounts: startsLine), lineIndentation)
        let tokens = backend.tokenizer?.encode(original, allowSpecial: false).count ?? (original.utf8.count + 2) / 3
        let ceiling = max(8, min(256, settings.hole.contextTokens / 2))
        // The selection's own length first (the model pads a shorter rewrite), then more room, then other seeds.
        let attempts = [
            FillAttempt(holeTokens: tokens + 2, temperature: settings.sampling.temperature, seed: 0),
            FillAttempt(holeTokens: tokens + tokens / 2 + 4, temperature: settings.sampling.temperature, seed: 0),
            FillAttempt(holeTokens: tokens + 2, temperature: max(settings.sampling.temperature, 0.7), seed: 1),
            FillAttempt(
                holeTokens: tokens + tokens / 2 + 4, temperature: max(settings.sampling.temperature, 0.7), seed: 2),
        ].map {
            FillAttempt(
                holeTokens: min(ceiling, max(4, $0.holeTokens)), temperature: $0.temperature, seed: $0.seed,
                canvasTokens: settings.hole.contextTokens)
        }
        let keepsNewline = original.hasSuffix("\n")
        for attempt in attempts {
            if cancellation.isCancelled { throw EngineError.cancelled }
            var text = try backend.fill(
                context, hole: plan, attempt: attempt, sampling: settings.sampling,
                cancellation: cancellation)
            // The line structure around the selection stays as it was: a selection of whole lines stays whole lines.
            if keepsNewline, !text.hasSuffix("\n") { text += "\n" }
            if !keepsNewline, text.hasSuffix("\n") { text = String(text.dropLast()) }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text != original,
                Self.minimumIndentation(lead + text, firstLineCounts: startsLine) >= indentation,
                keepsParsing(text)
            else { continue }
            return ByteRangeEdit(range: selection, newText: text)
        }
        throw SelectionRewriteError.nothingAcceptable(tries: attempts.count)
    }

    /// The smallest indentation (spaces and tabs) of the non-blank lines of `text`; the first line only counts when
    /// the text starts a line. A rewrite may not dedent below the selection, or it would leave its block.
    static func minimumIndentation(_ text: String, firstLineCounts: Bool) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(firstLineCounts ? 0 : 1)
        return lines.filter { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.prefix { $0 == " " || $0 == "\t" }.count }.min() ?? Int.max
    }

    /// The context around the selection: the syntax layer's window and snippets when there is a registry, else the
    /// plain text around it.
    func infillContext(
        _ request: SelectionRewriteRequest, selection: Range<Int>,
        settings: CompletionSettings
    ) -> InfillContext {
        guard let registry else {
            let window = 16 * 1024
            return InfillContext(
                path: request.path,
                prefix: String(
                    decoding: request.text[max(0, selection.lowerBound - window)..<selection.lowerBound],
                    as: UTF8.self),
                suffix: String(
                    decoding: request.text[
                        selection
                            .upperBound..<min(
                                request.text.count,
                                selection.upperBound + window)],
                    as: UTF8.self))
        }
        let built = ContextBuilder(registry: registry, index: index).build(
            ContextRequest(
                path: request.path, text: request.text,
                languageID: request.languageID.isEmpty ? nil : request.languageID,
                hole: selection, budget: ContextBudget(totalTokens: settings.hole.contextTokens)))
        return InfillContext(
            path: built.path, prefix: built.prefix, suffix: built.suffix,
            snippets: built.snippets.map { .init(path: $0.path, text: $0.text) })
    }
}
