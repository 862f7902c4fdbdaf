/// A test's text with its markers taken out, and where they were, as UTF-8 byte offsets into what is left.
///
/// - `‸` marks the cursor; a second `‸` ends a selection that starts at the first.
/// - `⟨name⟩` marks a named position (`⟨cursor⟩` is the cursor as well, where the text has no `‸`).
/// - `⟦…⟧` wraps a range (an occurrence an edit must touch).
///
/// ```swift
/// let marked = MarkedText("x = ‸old‸\n")       // cursor 4, selectionEnd 7
/// let named = MarkedText("let ⟨a⟩x⟨b⟩ = 1")   // offset(named: "a") == 4, offset(named: "b") == 5
/// ```
public struct MarkedText: Sendable, Equatable {
    /// A named position, `⟨name⟩`.
    public struct Marker: Sendable, Equatable {
        public let name: String
        public let offset: Int
    }

    /// The text without its markers.
    public let text: String
    /// `text` as UTF-8.
    public let bytes: [UInt8]
    /// The named positions in the order they appear.
    public let markers: [Marker]
    /// The `⟦…⟧` ranges in the order they open.
    public let wrapped: [Range<Int>]
    private let caret: Int?
    /// Where the selection that starts at the cursor ends: the second `‸`; nil with one or none.
    public let selectionEnd: Int?

    public init(_ marked: String) {
        var bytes: [UInt8] = []
        var markers: [Marker] = []
        var carets: [Int] = []
        var wrapped: [Range<Int>] = []
        var openWraps: [Int] = []
        var name: String?
        for character in marked {
            if name != nil, character != "⟩" {
                name!.append(character)
                continue
            }
            switch character {
            case "‸": carets.append(bytes.count)
            case "⟨": name = ""
            case "⟩":
                precondition(name != nil, "a ⟩ without its ⟨ in \(marked.debugDescription)")
                markers.append(Marker(name: name!, offset: bytes.count))
                name = nil
            case "⟦": openWraps.append(bytes.count)
            case "⟧":
                precondition(!openWraps.isEmpty, "a ⟧ without its ⟦ in \(marked.debugDescription)")
                wrapped.append(openWraps.removeLast()..<bytes.count)
            default: bytes += Array(String(character).utf8)
            }
        }
        precondition(name == nil, "a ⟨ without its ⟩ in \(marked.debugDescription)")
        precondition(openWraps.isEmpty, "a ⟦ without its ⟧ in \(marked.debugDescription)")
        precondition(
            carets.count <= 2, "at most two ‸, a cursor and a selection's end, in \(marked.debugDescription)")
        self.bytes = bytes
        text = String(decoding: bytes, as: UTF8.self)
        self.markers = markers
        self.wrapped = wrapped.sorted { $0.lowerBound < $1.lowerBound }
        caret = carets.first
        selectionEnd = carets.count == 2 ? carets[1] : nil
    }

    /// The cursor: the first `‸`, or failing that `⟨cursor⟩`. Asking a text with neither stops the test.
    public var cursor: Int {
        guard let offset = caret ?? markers.first(where: { $0.name == "cursor" })?.offset else {
            preconditionFailure("the text has no cursor: mark it with ‸ or ⟨cursor⟩")
        }
        return offset
    }

    /// The selection from the cursor to the second `‸`; empty at the cursor with one `‸`.
    public var selection: Range<Int> { cursor..<(selectionEnd ?? cursor) }

    /// The offset of the first `⟨name⟩`. A name the text does not have stops the test.
    public func offset(named name: String) -> Int {
        guard let marker = markers.first(where: { $0.name == name }) else {
            preconditionFailure("no marker ⟨\(name)⟩; the text has \(markers.map(\.name))")
        }
        return marker.offset
    }
}
