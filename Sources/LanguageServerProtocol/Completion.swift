public struct CompletionParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var position: Position
    public var context: CompletionContext?

    public struct CompletionContext: Codable, Sendable {
        /// 1 invoked, 2 trigger character, 3 incomplete re-trigger.
        public var triggerKind: Int
        public var triggerCharacter: String?
    }
}

public struct CompletionList: Codable, Sendable {
    public var isIncomplete: Bool
    public var items: [CompletionItem]
    public init(isIncomplete: Bool, items: [CompletionItem]) {
        self.isIncomplete = isIncomplete
        self.items = items
    }
}

public struct CompletionItem: Codable, Sendable {
    public var label: String
    public var kind: Int?
    public var detail: String?
    public var documentation: String?
    public var sortText: String?
    public var filterText: String?
    public var preselect: Bool?
    public var textEdit: CompletionTextEdit?
    /// 1 = plain text (never a snippet: the model's text is inserted as it is).
    public var insertTextFormat: Int?
    public init(
        label: String, kind: Int? = nil, detail: String? = nil, documentation: String? = nil,
        sortText: String? = nil, filterText: String? = nil, preselect: Bool? = nil,
        textEdit: CompletionTextEdit? = nil
    ) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.documentation = documentation
        self.sortText = sortText
        self.filterText = filterText
        self.preselect = preselect
        self.textEdit = textEdit
        self.insertTextFormat = 1
    }
}

/// `InsertReplaceEdit`: the client chooses between inserting at the cursor and replacing the word under it.
public struct InsertReplaceEdit: Codable, Sendable, Hashable {
    public var newText: String
    public var insert: Range
    public var replace: Range
    public init(newText: String, insert: Range, replace: Range) {
        self.newText = newText
        self.insert = insert
        self.replace = replace
    }
}

/// A completion item's edit: a plain `TextEdit` or an `InsertReplaceEdit`.
public enum CompletionTextEdit: Codable, Sendable, Hashable {
    case textEdit(TextEdit)
    case insertReplace(InsertReplaceEdit)

    public init(from decoder: any Decoder) throws {
        if let edit = try? InsertReplaceEdit(from: decoder) {
            self = .insertReplace(edit)
        } else {
            self = .textEdit(try TextEdit(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .textEdit(let edit): try edit.encode(to: encoder)
        case .insertReplace(let edit): try edit.encode(to: encoder)
        }
    }
}

/// `textDocument/inlineCompletion` parameters (LSP 3.18).
public struct InlineCompletionParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var position: Position
    public var context: Context?

    public struct Context: Codable, Sendable {
        /// 1 invoked, 2 automatic.
        public var triggerKind: Int
    }
}

public struct InlineCompletionItem: Codable, Sendable {
    public var insertText: String
    public var filterText: String?
    public var range: Range?
    public init(insertText: String, filterText: String?, range: Range?) {
        self.insertText = insertText
        self.filterText = filterText
        self.range = range
    }
}

public struct InlineCompletionList: Codable, Sendable {
    public var items: [InlineCompletionItem]
    public init(items: [InlineCompletionItem]) { self.items = items }
}
