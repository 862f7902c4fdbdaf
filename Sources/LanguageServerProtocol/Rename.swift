/// `textDocument/rename` parameters.
public struct RenameParams: Codable, Sendable {
    public var textDocument: TextDocumentIdentifier
    public var position: Position
    public var newName: String

    public init(textDocument: TextDocumentIdentifier, position: Position, newName: String) {
        self.textDocument = textDocument
        self.position = position
        self.newName = newName
    }
}

/// `textDocument/prepareRename` result: the identifier's range and its current name as the placeholder.
public struct PrepareRenameResult: Codable, Sendable, Equatable {
    public var range: Range
    public var placeholder: String

    public init(range: Range, placeholder: String) {
        self.range = range
        self.placeholder = placeholder
    }
}

/// `RenameOptions` in the server's capabilities.
public struct RenameOptions: Codable, Sendable {
    public var prepareProvider: Bool

    public init(prepareProvider: Bool) { self.prepareProvider = prepareProvider }
}
