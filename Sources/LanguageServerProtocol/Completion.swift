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
    public var textEdit: TextEdit?
    public init(label: String, kind: Int? = nil, detail: String? = nil, documentation: String? = nil,
                sortText: String? = nil, filterText: String? = nil, preselect: Bool? = nil, textEdit: TextEdit? = nil) {
        self.label = label
        self.kind = kind
        self.detail = detail
        self.documentation = documentation
        self.sortText = sortText
        self.filterText = filterText
        self.preselect = preselect
        self.textEdit = textEdit
    }
}
