/// Counts tokens the way the model will; the default estimate (one token per 3 bytes of code) keeps this module
/// free of a tokenizer dependency, and the server can pass the real tokenizer's count.
public struct TokenCounter: Sendable {
    public let count: @Sendable (String) -> Int

    public init(_ count: @escaping @Sendable (String) -> Int) {
        self.count = count
    }

    /// About 3 UTF-8 bytes per token, which BPE vocabularies trained on code reach or beat.
    public static let estimate = TokenCounter { ($0.utf8.count + 2) / 3 }
}

/// How many tokens the context around a hole may use (the hole's own mask tokens are not included).
public struct ContextBudget: Sendable {
    public var totalTokens: Int
    /// Share of `totalTokens` for text before the hole; it also receives whatever the snippets leave unused.
    public var prefixShare: Double
    /// Share for text after the hole. The rest goes to snippets from other files.
    public var suffixShare: Double
    /// At most this many snippet blocks (files).
    public var maxSnippetFiles: Int
    public var tokenCounter: TokenCounter

    public init(
        totalTokens: Int = 1536, prefixShare: Double = 0.55, suffixShare: Double = 0.2,
        maxSnippetFiles: Int = 6, tokenCounter: TokenCounter = .estimate
    ) {
        self.totalTokens = totalTokens
        self.prefixShare = prefixShare
        self.suffixShare = suffixShare
        self.maxSnippetFiles = maxSnippetFiles
        self.tokenCounter = tokenCounter
    }
}

/// A request for the model's context around one hole.
public struct ContextRequest: Sendable {
    /// Workspace-relative path of the document, `/`-separated; printed in the canvas.
    public var path: String
    /// The document's UTF-8 text.
    public var text: [UInt8]
    /// dlsp language id or LSP `languageId`; `nil` means judge by the path's extension.
    public var languageID: String?
    /// The hole: an empty range at the cursor, or a selected range whose text the model rewrites.
    public var hole: Range<Int>
    public var budget: ContextBudget

    public init(
        path: String, text: [UInt8], languageID: String? = nil, hole: Range<Int>,
        budget: ContextBudget = ContextBudget()
    ) {
        self.path = path
        self.text = text
        self.languageID = languageID
        self.hole = hole
        self.budget = budget
    }

    /// A request for a cursor (an empty hole).
    public init(
        path: String, text: [UInt8], languageID: String? = nil, cursor: Int,
        budget: ContextBudget = ContextBudget()
    ) {
        self.init(path: path, text: text, languageID: languageID, hole: cursor..<cursor, budget: budget)
    }
}
