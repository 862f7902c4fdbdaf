import Tokenizer

/// What the model is asked to fill: the text around the hole and the related snippets, in the order of the canvas
/// format (ARCHITECTURE.md, "The canvas").
public struct InfillContext: Sendable, Equatable {
    /// The current file's workspace-relative path, `/`-separated.
    public var path: String
    /// Text before the hole (already cut to a sensible length by the context builder).
    public var prefix: String
    /// Text after the hole.
    public var suffix: String
    /// Snippets from other files, least relevant first.
    public var snippets: [Snippet]

    public struct Snippet: Sendable, Equatable {
        public var path: String
        public var text: String
        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    public init(path: String, prefix: String, suffix: String, snippets: [Snippet] = []) {
        self.path = path
        self.prefix = prefix
        self.suffix = suffix
        self.snippets = snippets
    }
}

/// Turns an ``InfillContext`` into the engine's token canvas within a token budget: the prefix is cut at its
/// start, the suffix at its end, and snippets are dropped (least relevant first) before either is cut below its
/// share.
public struct CanvasAssembler: Sendable {
    public let tokenizer: Tokenizer
    public let fileSeparator: Int

    public init(tokenizer: Tokenizer, fileSeparator: Int) {
        self.tokenizer = tokenizer
        self.fileSeparator = fileSeparator
    }

    /// Token ids before the hole and after it, with `context.count + holeLength + suffix.count <= budget`.
    public func assemble(_ context: InfillContext, holeLength: Int, budget: Int) -> (context: [Int], suffix: [Int]) {
        let available = max(0, budget - holeLength)
        // Code nearest the hole matters most; a quarter of the room goes to the suffix, at most.
        let suffixShare = available / 4
        // Cut by bytes before tokenizing: about 4 bytes a token, with room to spare, so a long file costs nothing.
        var suffixTokens = tokenizer.encode(String(context.suffix.utf8Prefix(suffixShare * 6)), allowSpecial: false)
        if suffixTokens.count > suffixShare { suffixTokens.removeLast(suffixTokens.count - suffixShare) }

        let header = [fileSeparator] + tokenizer.encode(context.path + "\n", allowSpecial: false)
        // Snippets get up to a quarter of the room, most relevant (last) first, each whole or not at all; the
        // prefix gets everything else, including what the snippets leave unused.
        var snippetRoom = context.snippets.isEmpty ? 0 : available / 4
        var snippetTokens: [[Int]] = []
        for snippet in context.snippets.reversed() {
            let tokens = [fileSeparator] + tokenizer.encode("\(snippet.path)\n\(snippet.text)\n", allowSpecial: false)
            if tokens.count <= snippetRoom {
                snippetTokens.insert(tokens, at: 0)
                snippetRoom -= tokens.count
            }
        }
        let snippetCount = snippetTokens.reduce(0) { $0 + $1.count }
        let prefixRoom = max(0, available - suffixTokens.count - header.count - snippetCount)
        var prefixTokens = tokenizer.encode(String(context.prefix.utf8Suffix(prefixRoom * 6)), allowSpecial: false)
        if prefixTokens.count > prefixRoom { prefixTokens.removeFirst(prefixTokens.count - prefixRoom) }
        return (snippetTokens.flatMap { $0 } + header + prefixTokens, suffixTokens)
    }
}

extension String {
    /// At most `count` UTF-8 bytes from the start, cut on a character boundary.
    func utf8Prefix(_ count: Int) -> Substring {
        guard utf8.count > count else { return self[...] }
        var index = utf8.index(startIndex, offsetBy: count)
        while index > startIndex, !isCharacterBoundary(index) { index = utf8.index(before: index) }
        return self[..<index]
    }

    /// At most `count` UTF-8 bytes from the end, cut on a character boundary.
    func utf8Suffix(_ count: Int) -> Substring {
        guard utf8.count > count else { return self[...] }
        var index = utf8.index(endIndex, offsetBy: -count)
        while index < endIndex, !isCharacterBoundary(index) { index = utf8.index(after: index) }
        return self[index...]
    }

    private func isCharacterBoundary(_ index: Index) -> Bool {
        index == startIndex || index == endIndex || (utf8[index] & 0xC0) != 0x80
    }
}
