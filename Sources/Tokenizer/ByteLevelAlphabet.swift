/// GPT-2's reversible mapping between bytes and printable Unicode scalars.
///
/// Byte-level BPE vocabularies never contain raw bytes: each byte is spelled as one printable scalar, so that a
/// vocabulary entry is a readable string. Printable Latin-1 bytes map to themselves; the other 68 bytes (controls,
/// space, DEL, NBSP, soft hyphen) map in byte order to U+0100 and up. The table is fixed by the file format.
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the scalar that spells byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte spelled by `scalar`, or nil when the scalar is not part of the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            return isPrintable(UInt8(value)) ? UInt8(value) : nil
        }
        return value < 256 + 68 ? byteForExtendedScalar[Int(value - 256)] : nil
    }

    /// The bytes that a token string spells, as the ByteLevel decoder reads it: when every scalar belongs to the
    /// alphabet, the spelled bytes; otherwise (an added token such as a literal multi-byte string) its own UTF-8.
    static func bytes(spelledBy token: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return Array(token.utf8) }
            result.append(byte)
        }
        return result
    }

    /// The token string that spells `bytes`.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes behind U+0100 ..< U+0144, in order.
    private static let byteForExtendedScalar: [UInt8] = (0..<256).map(UInt8.init).filter { !isPrintable($0) }
}
