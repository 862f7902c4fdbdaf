/// Why a `tokenizer.json` could not be loaded.
///
/// Every case names the file, so that the server can log and show one clear line and carry on without completions.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist or could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid JSON, or a required field is missing or has the wrong type.
    case invalidJSON(path: String, reason: String)
    /// The model section is not a byte-level BPE (for example WordPiece, Unigram or WordLevel).
    case unsupportedModel(path: String, type: String)
    /// The normalizer is not one this module implements (only none and NFC are).
    case unsupportedNormalizer(path: String, type: String)
    /// The pre-tokenizer is not `ByteLevel`, or a `Sequence` of `Split` steps ending in `ByteLevel`.
    case unsupportedPreTokenizer(path: String, reason: String)
    /// A `Split` regex outside the Qwen2 / GPT-2 / Llama-3 family that the hand-written matcher understands.
    case unsupportedPattern(path: String, pattern: String)
    /// The decoder is not `ByteLevel`.
    case unsupportedDecoder(path: String, type: String)
    /// The vocabulary or the merges are inconsistent (a merge names a token that is not in the vocabulary).
    case inconsistentModel(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            "\(path): cannot read tokenizer file: \(reason)"
        case let .invalidJSON(path, reason):
            "\(path): invalid tokenizer JSON: \(reason)"
        case let .unsupportedModel(path, type):
            "\(path): unsupported tokenizer model type '\(type)' (only byte-level BPE is supported)"
        case let .unsupportedNormalizer(path, type):
            "\(path): unsupported normalizer '\(type)' (only none and NFC are supported)"
        case let .unsupportedPreTokenizer(path, reason):
            "\(path): unsupported pre-tokenizer: \(reason)"
        case let .unsupportedPattern(path, pattern):
            "\(path): unsupported Split pattern \(pattern) (supported: the GPT-2, Qwen2 and Llama-3 families)"
        case let .unsupportedDecoder(path, type):
            "\(path): unsupported decoder '\(type)' (only ByteLevel is supported)"
        case let .inconsistentModel(path, reason):
            "\(path): inconsistent BPE model: \(reason)"
        }
    }
}
