/// The normalizers this module implements: none, or Unicode NFC (what Qwen2's `tokenizer.json` asks for).
enum Normalization: Sendable, Equatable {
    case none
    case nfc

    func apply(_ text: String) -> String {
        switch self {
        case .none:
            return text
        case .nfc:
            // Scalars below U+0300 are all NFC_Quick_Check=Yes with combining class 0, so text made only of them
            // (all ASCII source code) is already NFC and skips the normalizer entirely.
            if text.utf8.allSatisfy({ $0 < 0xCC }) { return text }
            // The standard library's own normalizer (the one String comparison uses) is an order of magnitude
            // faster than Foundation's bridged one on Linux, and has a quick-check path for text already in NFC.
            return String(decoding: text._nfcCodeUnits, as: UTF8.self)
        }
    }
}
