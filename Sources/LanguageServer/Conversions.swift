import JSONRPC
import LanguageServerProtocol
import SourceText

// LSP's positions, ranges and edits as the core's plain values and back. The handlers build some LSP values of
// their own from these (CompletionHandlers' items, CodeActionHandlers' actions and workspace edits); the position
// and range conversions all live here.

extension LineColumn {
    init(_ position: Position) {
        self.init(line: position.line, column: position.character)
    }
}

extension Position {
    init(_ position: LineColumn) {
        self.init(line: position.line, character: position.column)
    }
}

extension ClosedRangeOfPositions {
    init(_ range: LanguageServerProtocol.Range) {
        self.init(start: LineColumn(range.start), end: LineColumn(range.end))
    }
}

extension TextChange {
    init(_ event: TextDocumentContentChangeEvent) {
        self.init(range: event.range.map(ClosedRangeOfPositions.init), text: event.text)
    }
}

extension TextDocument {
    /// The byte offset of an LSP position, or an `invalidParams` error that says what is wrong with it.
    func offset(of position: Position, encoding: PositionEncoding) throws(ResponseError) -> Int {
        do {
            return try offset(of: LineColumn(position), encoding: encoding)
        } catch {
            throw .invalidParams("\(uri): \(error)")
        }
    }

    /// The LSP position of a byte offset.
    func lspPosition(ofOffset offset: Int, encoding: PositionEncoding) -> Position? {
        (try? position(ofOffset: offset, encoding: encoding)).map(Position.init)
    }
}

extension PositionEncoding {
    /// Chooses the encoding from the client's offer: UTF-8 when offered (tree-sitter and the engine work in bytes),
    /// else UTF-16, the protocol's default that every client supports.
    static func negotiate(offered: [String]?) -> PositionEncoding {
        guard let offered else { return .utf16 }
        if offered.contains(PositionEncoding.utf8.rawValue) { return .utf8 }
        return .utf16
    }
}
