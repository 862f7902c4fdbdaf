/// `CodeActionKind` values dlsp offers.
public enum CodeActionKind {
    public static let quickFix = "quickfix"
    public static let refactorRewrite = "refactor.rewrite"

    /// Whether an action of `kind` passes a client's `only` filter (a kind matches itself and its sub-kinds).
    public static func matches(_ kind: String, only: [String]?) -> Bool {
        guard let only, !only.isEmpty else { return true }
        return only.contains { kind == $0 || kind.hasPrefix($0 + ".") }
    }
}

/// `CodeActionTag` (LSP 3.18).
public enum CodeActionTag {
    /// The action's edit was produced by a language model.
    public static let llmGenerated = 1
}

/// `textDocument/codeAction` parameters.
public struct CodeActionParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var range: Range
    public var context: CodeActionContext

    public init(textDocument: TextDocumentIdentifier, range: Range, context: CodeActionContext) {
        self.textDocument = textDocument
        self.range = range
        self.context = context
    }
}

/// `CodeActionContext`: why the client asks.
public struct CodeActionContext: Codable, Sendable {
    /// The client's diagnostics for the range (dlsp reports none, so it reads none).
    public var diagnostics: [JSONValue]
    /// Only actions of these kinds (and their sub-kinds) are wanted.
    public var only: [String]?
    /// 1 = invoked by the user, 2 = automatic (as the cursor moves).
    public var triggerKind: Int?

    public init(diagnostics: [JSONValue] = [], only: [String]? = nil, triggerKind: Int? = nil) {
        self.diagnostics = diagnostics
        self.only = only
        self.triggerKind = triggerKind
    }
}

/// `CodeAction`: a title, a kind, and either an edit or `data` to compute it from on `codeAction/resolve`.
public struct CodeAction: Codable, Sendable {
    public var title: String
    public var kind: String?
    public var diagnostics: [JSONValue]?
    public var isPreferred: Bool?
    public var disabled: Disabled?
    public var edit: WorkspaceEdit?
    /// Kept by the client between `textDocument/codeAction` and `codeAction/resolve`.
    public var data: JSONValue?
    /// LSP 3.18 `CodeActionTag` values, sent only to clients that list them in `tagSupport.valueSet`.
    public var tags: [Int]?

    public struct Disabled: Codable, Sendable {
        public var reason: String
        public init(reason: String) { self.reason = reason }
    }

    public init(
        title: String, kind: String?, isPreferred: Bool? = nil, edit: WorkspaceEdit? = nil,
        data: JSONValue? = nil, tags: [Int]? = nil
    ) {
        self.title = title
        self.kind = kind
        self.isPreferred = isPreferred
        self.edit = edit
        self.data = data
        self.tags = tags
    }
}

/// `WorkspaceEdit`: versioned `documentChanges` for clients that support them, else `changes`.
public struct WorkspaceEdit: Codable, Sendable, Equatable {
    public var changes: [DocumentURI: [TextEdit]]?
    public var documentChanges: [TextDocumentEdit]?

    public init(changes: [DocumentURI: [TextEdit]]? = nil, documentChanges: [TextDocumentEdit]? = nil) {
        self.changes = changes
        self.documentChanges = documentChanges
    }
}

/// `TextDocumentEdit`: edits that apply to one version of one document only.
public struct TextDocumentEdit: Codable, Sendable, Equatable {
    public var textDocument: OptionalVersionedTextDocumentIdentifier
    public var edits: [TextEdit]

    public init(textDocument: OptionalVersionedTextDocumentIdentifier, edits: [TextEdit]) {
        self.textDocument = textDocument
        self.edits = edits
    }
}

/// `CodeActionOptions` in the server's capabilities.
public struct CodeActionOptions: Codable, Sendable {
    public var codeActionKinds: [String]
    public var resolveProvider: Bool

    public init(codeActionKinds: [String], resolveProvider: Bool) {
        self.codeActionKinds = codeActionKinds
        self.resolveProvider = resolveProvider
    }
}
