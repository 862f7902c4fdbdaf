import Synchronization

/// Serves the rest of the last suggestion while the user types it, without another model call.
///
/// When a fill was shown at byte offset `anchor` and the user has since typed its first characters, the document
/// now holds `prefix + typed` where the fill was; the rest of the fill is still the model's answer for the new
/// cursor. The entry is keyed by the text before the anchor (its last few hundred bytes), not by version numbers,
/// which change on every keystroke.
public final class TypeAheadCache: Sendable {
    private struct Entry: Sendable {
        var uri: String
        var anchor: Int
        var contextBeforeAnchor: [UInt8]
        var fill: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let contextLength = 256

    public init() {}

    /// Remembers a fill shown at `anchor` in `document` (UTF-8 bytes).
    public func remember(uri: String, document: [UInt8], anchor: Int, fill: String) {
        let start = max(0, anchor - contextLength)
        let entry = Entry(
            uri: uri, anchor: anchor, contextBeforeAnchor: Array(document[start..<anchor]),
            fill: Array(fill.utf8))
        entries.withLock { $0[uri] = entry }
    }

    /// The rest of a remembered fill if the user typed a prefix of it up to `cursor`, else nil.
    public func lookup(uri: String, document: [UInt8], cursor: Int) -> String? {
        guard let entry = entries.withLock({ $0[uri] }) else { return nil }
        let typed = cursor - entry.anchor
        guard typed > 0, typed < entry.fill.count, cursor <= document.count else { return nil }
        let start = entry.anchor - entry.contextBeforeAnchor.count
        guard start >= 0, document[start..<entry.anchor].elementsEqual(entry.contextBeforeAnchor),
            document[entry.anchor..<cursor].elementsEqual(entry.fill[0..<typed])
        else { return nil }
        let rest = entry.fill[typed...]
        // Never split a UTF-8 sequence: the cursor must sit on a character boundary of the fill.
        if let first = rest.first, first & 0xC0 == 0x80 { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    /// Forgets the entry of a closed document.
    public func forget(uri: String) {
        _ = entries.withLock { $0.removeValue(forKey: uri) }
    }
}
