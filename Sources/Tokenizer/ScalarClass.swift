/// The character classes that the supported split patterns test: `\p{L}`, `\p{N}`, `\s`, `[\r\n]` and the space.
///
/// Classifying each scalar once, up front, keeps the pattern matcher to integer tests in its inner loops.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// General category L (Lu, Ll, Lt, Lm, Lo): `\p{L}`.
    static let letter = ScalarClass(rawValue: 1 << 0)
    /// General category N (Nd, Nl, No): `\p{N}`.
    static let number = ScalarClass(rawValue: 1 << 1)
    /// The Unicode White_Space property, which is what Oniguruma's `\s` matches (checked against the library).
    static let whitespace = ScalarClass(rawValue: 1 << 2)
    /// CR or LF: `[\r\n]`.
    static let newline = ScalarClass(rawValue: 1 << 3)
    /// U+0020 exactly: the optional ` ` before a word.
    static let space = ScalarClass(rawValue: 1 << 4)

    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.value < 128 { return ascii[Int(scalar.value)] }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return isKnownToLibrary(properties) ? .letter : []
        case .decimalNumber, .letterNumber, .otherNumber:
            return isKnownToLibrary(properties) ? .number : []
        default:
            return properties.isWhitespace ? .whitespace : []
        }
    }

    /// The newest Unicode version whose letters and numbers the library's regex engine knows.
    ///
    /// The Swift runtime may know a newer Unicode than the Oniguruma inside `tokenizers`; a scalar assigned since
    /// is unassigned there (neither `\p{L}` nor `\p{N}`), so it is treated the same way here to keep ids identical.
    /// The fixture `unicode-classes.json` records the library's classes and the tests compare every scalar.
    static let libraryUnicodeVersion = (major: 16, minor: 0)

    private static func isKnownToLibrary(_ properties: Unicode.Scalar.Properties) -> Bool {
        guard let age = properties.age else { return false }
        return (age.major, age.minor) <= libraryUnicodeVersion
    }

    /// ASCII is most of source code, so it gets a table instead of property look-ups.
    private static let ascii: [ScalarClass] = (0..<128).map { value in
        switch value {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x0A, 0x0D: return [.whitespace, .newline]
        case 0x20: return [.whitespace, .space]
        case 0x09, 0x0B, 0x0C: return .whitespace
        default: return []
        }
    }
}
