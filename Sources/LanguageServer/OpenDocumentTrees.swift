import Foundation
import LanguageServerProtocol
import SourceText
import Syntax

/// The syntax tree of every open document whose language has a grammar, kept current as edits arrive: each
/// `didChange` replays its byte edits with `ts_tree_edit` and reparses incrementally, so a request finds a tree
/// for exactly the text it sees without parsing the file again.
///
/// Confined to the server's message queue, like `LanguageServer.documents`; requests running elsewhere take a
/// ``TreeSnapshot`` (a copy) before they leave the queue.
final class OpenDocumentTrees {
    private var parsed: [DocumentURI: ParsedDocument] = [:]
    private let registry: LanguageRegistry?
    private let log: (String) -> Void

    init(registry: LanguageRegistry?, log: @escaping (String) -> Void) {
        self.registry = registry
        self.log = log
    }

    /// Parses a newly opened (or replaced) document; documents without a grammar get no tree.
    func open(_ document: TextDocument, path: String) {
        parsed[document.uri] = nil
        guard let registry,
            let language = registry.language(lspLanguageId: document.languageID)
                ?? registry.language(forPath: path)
        else { return }
        do {
            parsed[document.uri] = try ParsedDocument(
                text: document.bytes, language: language, version: document.version)
        } catch {
            log("syntax: cannot parse \(document.uri): \(error)")
        }
    }

    /// Replays `changes` (as `TextDocument.apply` reported them) on the kept tree. `document` is the text after
    /// them; should the replayed text ever differ from it, the document is parsed afresh and the mismatch logged.
    func change(_ document: TextDocument, path: String, changes: [AppliedTextChange]) {
        guard let kept = parsed[document.uri] else { return }
        for change in changes {
            if let range = change.range {
                kept.apply(TextEdit(range: range, replacement: change.replacement))
            } else {
                kept.replaceText(change.replacement)
            }
        }
        kept.apply([], version: document.version)
        if kept.text != document.bytes {
            log("syntax: the incremental tree of \(document.uri) drifted from its text; parsed afresh")
            kept.replaceText(document.bytes, version: document.version)
        }
    }

    func close(_ uri: DocumentURI) { parsed[uri] = nil }

    /// A copy of the tree of `document`, if one is kept for exactly its version and text.
    func snapshot(of document: TextDocument) -> TreeSnapshot? {
        guard let kept = parsed[document.uri], kept.version == document.version,
            kept.text.count == document.bytes.count
        else { return nil }
        return TreeSnapshot(copying: kept.tree)
    }

    /// The kept tree's version and S-expression (for `dlsp/documentState`).
    func describe(_ uri: DocumentURI) -> (version: Int?, sExpression: String)? {
        parsed[uri].map { ($0.version, $0.tree.sExpression) }
    }
}
