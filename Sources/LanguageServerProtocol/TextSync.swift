public struct DidOpenTextDocumentParams: Codable, Sendable {
    public var textDocument: TextDocumentItem
}

public struct TextDocumentContentChangeEvent: Codable, Sendable {
    public var range: Range?
    public var rangeLength: Int?
    public var text: String
}

public struct DidChangeTextDocumentParams: Codable, Sendable {
    public var textDocument: VersionedTextDocumentIdentifier
    public var contentChanges: [TextDocumentContentChangeEvent]
}

public struct DidCloseTextDocumentParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
}

public struct DidSaveTextDocumentParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var text: String?
}

public struct DidChangeWorkspaceFoldersParams: Codable, Sendable {
    public var event: WorkspaceFoldersChangeEvent
    public struct WorkspaceFoldersChangeEvent: Codable, Sendable {
        public var added: [WorkspaceFolder]
        public var removed: [WorkspaceFolder]
    }
}

public struct CancelParams: Codable, Sendable {
    public var id: RequestID
}
