import Foundation

/// A byte-level BPE tokenizer (the Qwen2 / GPT-2 family) loaded from a Hugging Face `tokenizer.json`, encoding and
/// decoding exactly as the `tokenizers` library does.
///
/// Encoding runs the library's pipeline: added tokens are cut out of the raw text (then, for tokens marked
/// `normalized`, out of the NFC text), the rest is NFC-normalized, split by the pre-tokenizer's patterns, spelled
/// in GPT-2's byte alphabet and merged by rank. The post-processor is ignored: callers build their own sequences.
///
/// A `Tokenizer` is immutable apart from an internal bounded word cache, and safe to share between tasks.
///
/// Supported: model `BPE` (merges as `"a b"` or `["a", "b"]`, `ignore_merges`, `unk_token`/`fuse_unk`); normalizer
/// none, `NFC`, or a `Sequence` of those; pre-tokenizer `ByteLevel` (`add_prefix_space`, `use_regex`) alone or after
/// `Split` steps (`Regex` pattern of the GPT-2 / Qwen2 / Llama-3 family, `Isolated`, not inverted); decoder
/// `ByteLevel`; added tokens with `special`, `normalized`, `lstrip`, `rstrip` and `single_word`.
/// Rejected at load time with a `TokenizerError`: other models (WordPiece, Unigram, WordLevel), BPE with
/// `byte_fallback`, `dropout`, `continuing_subword_prefix` or `end_of_word_suffix`, other normalizers and
/// pre-tokenizers, `Split` with a string pattern or another behaviour, other regexes, other decoders.
/// Not provided: offsets, truncation, padding, the post-processor's template (callers build their own sequences).
public final class Tokenizer: Sendable {
    /// The file it was loaded from (or the name given with the data), for messages.
    public let source: String
    /// The `added_tokens` of the file, in file order.
    public let addedTokens: [AddedToken]
    /// The number of distinct tokens, added tokens included (the library's `get_vocab_size(true)`).
    public let vocabularySize: Int
    /// One more than the largest token id: the smallest embedding table that covers every id.
    public let idLimit: Int

    let model: BPEModel
    let normalization: Normalization
    let splits: [SplitPattern]
    let byteLevelSplit: SplitPattern?
    let addPrefixSpace: Bool
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    /// For each id, the bytes it decodes to; nil for ids that name no token.
    let tokenBytes: [[UInt8]?]
    /// For each id, whether decoding with `skipSpecial` drops it.
    let specialIDs: [Bool]
    /// Token string (byte-level spelling for vocabulary tokens, content for added tokens) to id.
    let tokenIDs: [String: Int]
    /// The inverse of `tokenIDs`, indexed by id; nil for ids that name no token.
    let tokenStrings: [String?]
    let cache: BPECache

    /// Loads the `tokenizer.json` at `path`.
    /// - Throws: `TokenizerError` naming the file and the problem.
    public convenience init(contentsOf path: String) throws(TokenizerError) {
        try self.init(file: TokenizerFile(path: path), source: path)
    }

    /// Loads a `tokenizer.json` held in memory; `name` stands for the file in errors.
    /// - Throws: `TokenizerError` naming `name` and the problem.
    public convenience init(data: Data, name: String) throws(TokenizerError) {
        try self.init(file: TokenizerFile(data: data, path: name), source: name)
    }

    /// The number of words the encoder remembers before it starts over.
    public static let wordCacheCapacity = 10_000

    private init(file: TokenizerFile, source: String) throws(TokenizerError) {
        self.source = source
        model = file.model
        normalization = file.normalization
        splits = file.splits
        byteLevelSplit = file.useByteLevelRegex ? SplitPattern(source: SplitPattern.gpt2Source)! : nil
        addPrefixSpace = file.addPrefixSpace
        addedTokens = file.addedTokens
        cache = BPECache(capacity: Self.wordCacheCapacity)

        rawMatcher = AddedTokenMatcher(file.addedTokens.filter { !$0.isNormalized }.map { ($0.content, $0) })
        let normalization = file.normalization
        normalizedMatcher = AddedTokenMatcher(
            file.addedTokens.filter(\.isNormalized).map { (normalization.apply($0.content), $0) })

        var ids: [String: Int] = [:]
        ids.reserveCapacity(file.model.vocabulary.count + file.addedTokens.count)
        for (token, id) in file.model.vocabulary { ids[token] = Int(id) }
        for token in file.addedTokens { ids[token.content] = token.id }
        tokenIDs = ids
        vocabularySize = ids.count
        let limit = (ids.values.max() ?? -1) + 1
        // Tables below are indexed by id: ids far beyond the number of tokens would make a corrupt file allocate
        // gigabytes (an id of 2 billion did, found by fuzzing). Real vocabularies are dense; a reserved range of
        // unused ids is allowed.
        guard limit <= 2 * ids.count + 65_536 else {
            throw .inconsistentModel(path: source, reason: "ids go up to \(limit - 1) for only \(ids.count) tokens")
        }
        idLimit = limit

        // The ByteLevel decoder reads each token's string; an added token shadows a vocabulary token with its id.
        var bytes = [[UInt8]?](repeating: nil, count: limit)
        for (token, id) in file.model.vocabulary { bytes[Int(id)] = ByteLevelAlphabet.bytes(spelledBy: token) }
        var tokenStrings = [String?](repeating: nil, count: limit)
        for (token, id) in file.model.vocabulary { tokenStrings[Int(id)] = token }
        for token in file.addedTokens {
            bytes[token.id] = ByteLevelAlphabet.bytes(spelledBy: token.content)
            tokenStrings[token.id] = token.content
        }
        tokenBytes = bytes
        // The library decides "special" by the token's string, so a vocabulary token spelled like one counts too.
        let specialContents = Set(file.addedTokens.filter(\.isSpecial).map(\.content))
        specialIDs = tokenStrings.map { $0.map(specialContents.contains) ?? false }
        self.tokenStrings = tokenStrings
    }

    // MARK: Look-ups

    /// The id of a token by its string: an added token's content (`<|mask|>`, `<|endoftext|>`, `<|file_sep|>`,
    /// `<|fim_prefix|>` …) or a vocabulary entry in its byte-level spelling. Nil when there is none.
    public func tokenID(for token: String) -> Int? {
        tokenIDs[token]
    }

    /// The string of a token (an added token's content, or the byte-level spelling), or nil for an unknown id.
    public func token(for id: Int) -> String? {
        id >= 0 && id < tokenStrings.count ? tokenStrings[id] : nil
    }

    /// Whether `id` is a special token (skipped by `decode(_:skipSpecial:)` when asked).
    public func isSpecial(_ id: Int) -> Bool {
        id >= 0 && id < specialIDs.count && specialIDs[id]
    }

    /// The special tokens by content.
    public var specialTokenIDs: [String: Int] {
        Dictionary(addedTokens.filter(\.isSpecial).map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    /// The bytes that `id` decodes to, or nil for an id that names no token.
    public func bytes(for id: Int) -> [UInt8]? {
        id >= 0 && id < tokenBytes.count ? tokenBytes[id] : nil
    }

    // MARK: Encoding

    /// The ids of `text`.
    /// - Parameter allowSpecial: when true (the library's default) special tokens written in the text become their
    ///   ids; when false they are tokenized as the plain text they are spelled with (the library's
    ///   `encode_special_tokens`). Non-special added tokens are recognised either way.
    public func encode(_ text: String, allowSpecial: Bool = true) -> [Int] {
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 1)
        var raw = text
        raw.withUTF8 { rawBytes in
            for segment in rawMatcher.split(rawBytes, skipSpecial: !allowSpecial) {
                switch segment {
                case let .token(id):
                    output.append(id)
                case let .text(range):
                    let piece = String(decoding: UnsafeBufferPointer(rebasing: rawBytes[range]), as: UTF8.self)
                    encodeNormalizing(piece, allowSpecial: allowSpecial, into: &output)
                }
            }
        }
        return output.map(Int.init)
    }

    private func encodeNormalizing(_ text: String, allowSpecial: Bool, into output: inout [Int32]) {
        var normalized = normalization.apply(text)
        if normalizedMatcher.isEmpty {
            encodePlain(normalized, into: &output)
            return
        }
        normalized.withUTF8 { bytes in
            for segment in normalizedMatcher.split(bytes, skipSpecial: !allowSpecial) {
                switch segment {
                case let .token(id):
                    output.append(id)
                case let .text(range):
                    encodePlain(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self), into: &output)
                }
            }
        }
    }

    /// Pre-tokenizes and merges text that holds no added token.
    private func encodePlain(_ text: String, into output: inout [Int32]) {
        if text.isEmpty { return }
        let text = PreparedText(text)
        var pieces = [0..<text.scalars.count]
        text.withBuffers { scalars, classes, _, _ in
            for pattern in splits {
                var next: [Range<Int>] = []
                next.reserveCapacity(pieces.count * 2)
                for piece in pieces {
                    pattern.forEachPiece(scalars: scalars, classes: classes, in: piece) { next.append($0) }
                }
                pieces = next
            }
        }
        for piece in pieces {
            if addPrefixSpace && text.scalars[piece.lowerBound] != " " {
                let prefixed = PreparedText(" " + String(String.UnicodeScalarView(text.scalars[piece])))
                encodeByteLevel(prefixed, piece: 0..<prefixed.scalars.count, into: &output)
            } else {
                encodeByteLevel(text, piece: piece, into: &output)
            }
        }
    }

    /// The ByteLevel step: its own GPT-2 split when `use_regex` is on, then BPE on each word's bytes.
    private func encodeByteLevel(_ text: PreparedText, piece: Range<Int>, into output: inout [Int32]) {
        text.withBuffers { scalars, classes, offsets, bytes in
            if let byteLevelSplit {
                byteLevelSplit.forEachPiece(scalars: scalars, classes: classes, in: piece) { word in
                    encodeWord(
                        UnsafeBufferPointer(rebasing: bytes[offsets[word.lowerBound]..<offsets[word.upperBound]]),
                        into: &output)
                }
            } else {
                encodeWord(
                    UnsafeBufferPointer(rebasing: bytes[offsets[piece.lowerBound]..<offsets[piece.upperBound]]),
                    into: &output)
            }
        }
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if word.count == 1, case let id = model.byteTokenIDs[Int(word[0])], id >= 0 {
            output.append(id)
            return
        }
        if let key = BPECache.shortKey(word) {
            if let ids = cache.ids(forShortKey: key) {
                output.append(contentsOf: ids)
            } else {
                let ids = merged(word)
                cache.remember(ids, forShortKey: key)
                output.append(contentsOf: ids)
            }
        } else if word.count < BPECache.maximumWordLength {
            let key = Array(word)
            if let ids = cache.ids(for: key) {
                output.append(contentsOf: ids)
            } else {
                let ids = merged(word)
                cache.remember(ids, for: key)
                output.append(contentsOf: ids)
            }
        } else {
            model.tokenize(word, into: &output)
        }
    }

    private func merged(_ word: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var ids: [Int32] = []
        model.tokenize(word, into: &ids)
        return ids
    }

    // MARK: Decoding

    /// The text of `ids`, as the library's ByteLevel decoder produces it: the tokens' bytes concatenated and read as
    /// UTF-8, each invalid sequence replaced by U+FFFD. Ids that name no token are skipped.
    /// - Parameter skipSpecial: drop special tokens (the library's default, `skip_special_tokens=True`).
    public func decode(_ ids: some Sequence<Int>, skipSpecial: Bool = true) -> String {
        var text: [UInt8] = []
        for id in ids {
            guard let tokenBytes = bytes(for: id), !(skipSpecial && specialIDs[id]) else { continue }
            text.append(contentsOf: tokenBytes)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A decoder for ids that arrive one at a time, which never splits a character.
    public func makeStreamingDecoder(skipSpecial: Bool = true) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecial: skipSpecial)
    }
}
