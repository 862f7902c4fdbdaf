import JSONRPC
import SourceText
import TestSupport

extension MarkedText {
    /// The LSP position of `⟨name⟩` in `encoding`, as a request's `position` carries it.
    func position(_ name: String, encoding: PositionEncoding = .utf16) -> JSONValue {
        let document = TextDocument(uri: "", languageID: "", version: 0, text: text)
        let position = try! document.position(ofOffset: offset(named: name), encoding: encoding)
        return .object(["line": .number(Double(position.line)), "character": .number(Double(position.column))])
    }
}
