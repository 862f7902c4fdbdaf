/// Builds the model's context for a hole: prefix, suffix, snippets from other files and a hole description,
/// following the canvas format of ARCHITECTURE.md. Deterministic for equal inputs and index contents.
///
/// Works without a grammar (plain text: line-based cuts, word-based snippet lookup) and without an index (no
/// snippets).
public struct ContextBuilder: Sendable {
    public let registry: LanguageRegistry
    public let index: WorkspaceIndex?

    public init(registry: LanguageRegistry, index: WorkspaceIndex?) {
        self.registry = registry
        self.index = index
    }

    /// Builds the context. Pass the document's current `tree` when there is one (it must describe exactly
    /// `request.text`); otherwise the text is parsed here when its language has a grammar.
    public func build(_ request: ContextRequest, tree givenTree: SyntaxTree? = nil) -> CompletionContext {
        let text = request.text
        let lower = max(0, min(request.hole.lowerBound, text.count))
        let hole = lower..<max(lower, min(request.hole.upperBound, text.count))
        let language = givenTree?.language ?? resolveLanguage(request)
        let tree = givenTree ?? language.flatMap { try? Parser(language: $0) }?.parse(text)
        let counter = request.budget.tokenCounter
        let holeDescription = HoleClassifier.classify(
            text: text, hole: hole, tree: tree, languageID: language?.id,
            tokenCounter: counter)

        let total = max(0, request.budget.totalTokens)
        let prefixBudget = Int(Double(total) * request.budget.prefixShare)
        let suffixBudget = Int(Double(total) * request.budget.suffixShare)
        let snippetBudget = max(0, total - prefixBudget - suffixBudget)

        let suffix = WindowCutter.suffix(text: text, start: hole.upperBound, budget: suffixBudget, counter: counter)
        // Snippets are chosen against a first cut of the window, then the prefix takes what they left.
        let draftPrefix = WindowCutter.prefix(
            text: text, end: hole.lowerBound, budget: prefixBudget, tree: tree,
            counter: counter)
        var snippets: [ContextSnippet] = []
        if let index {
            // The index's entry for this file is at most one edit behind, which is fine for telling local names
            // and imports apart; extracting afresh costs a full query pass over the file.
            let currentFile =
                index.symbols(inFile: request.path)
                ?? tree.map { SymbolExtractor.extract(from: $0, path: request.path, registry: registry) }
            snippets = SnippetCollector(index: index, counter: counter).collect(
                path: request.path, text: text, hole: hole, tree: tree, currentFile: currentFile,
                windowText: draftPrefix.text + suffix.text, budget: snippetBudget,
                maxFiles: request.budget.maxSnippetFiles)
        }
        let snippetCost = snippets.reduce(0) { $0 + counter.count($1.text) + counter.count($1.path) + 2 }
        let prefix = WindowCutter.prefix(
            text: text, end: hole.lowerBound,
            budget: prefixBudget + max(0, snippetBudget - snippetCost), tree: tree,
            counter: counter)
        return CompletionContext(
            path: request.path, prefix: prefix.text, suffix: suffix.text, snippets: snippets,
            hole: holeDescription, languageID: language?.id, prefixStart: prefix.start,
            suffixEnd: suffix.end, lineRoles: tree.map { LineRoles.find(in: $0, at: hole.lowerBound) } ?? LineRoles())
    }

    private func resolveLanguage(_ request: ContextRequest) -> Language? {
        if let id = request.languageID {
            return registry.language(lspLanguageId: id)
        }
        return registry.language(forPath: request.path)
    }
}
