@_exported import JSONRPC

/// `Position`: a zero-based line and a character offset counted in the negotiated position encoding.
public struct Position: Codable, Sendable, Hashable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }
}

/// `Range`: start inclusive, end exclusive.
public struct Range: Codable, Sendable, Hashable {
    public var start: Position
    public var end: Position
    public init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }
}

public typealias DocumentURI = String

public struct TextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: DocumentURI
    public init(uri: DocumentURI) { self.uri = uri }
}

public struct VersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: DocumentURI
    public var version: Int
    public init(uri: DocumentURI, version: Int) {
        self.uri = uri
        self.version = version
    }
}

/// `OptionalVersionedTextDocumentIdentifier`, used in `documentChanges`.
public struct OptionalVersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    public var uri: DocumentURI
    public var version: Int?
    public init(uri: DocumentURI, version: Int?) {
        self.uri = uri
        self.version = version
    }
}

public struct TextDocumentItem: Codable, Sendable, Hashable {
    public var uri: DocumentURI
    public var languageId: String
    public var version: Int
    public var text: String
}

public struct TextDocumentPositionParams: Codable, Sendable, Hashable {
    public var textDocument: TextDocumentIdentifier
    public var position: Position
    public init(textDocument: TextDocumentIdentifier, position: Position) {
        self.textDocument = textDocument
        self.position = position
    }
}

public struct TextEdit: Codable, Sendable, Hashable {
    public var range: Range
    public var newText: String
    public init(range: Range, newText: String) {
        self.range = range
        self.newText = newText
    }
}

public struct WorkspaceFolder: Codable, Sendable, Hashable {
    public var uri: DocumentURI
    public var name: String
    public init(uri: DocumentURI, name: String) {
        self.uri = uri
        self.name = name
    }
}

/// A progress token: an integer or a string.
public typealias ProgressToken = RequestID
