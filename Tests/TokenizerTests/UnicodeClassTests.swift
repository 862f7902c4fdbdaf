import Foundation
import Testing
@testable import Tokenizer

/// `\p{L}`, `\p{N}` and `\s` must mean for the matcher exactly what they mean for the library's regex engine, on
/// every scalar: a single disagreement would split some text differently.
@Suite struct UnicodeClassTests {
    struct Classes: Decodable {
        let letter: [[UInt32]]
        let number: [[UInt32]]
        let whitespace: [[UInt32]]
    }

    @Test func everyScalarIsClassifiedAsTheLibraryDoes() throws {
        let url = Fixtures.directory.appendingPathComponent("unicode-classes.json")
        let classes = try JSONDecoder().decode(Classes.self, from: Data(contentsOf: url))
        for (name, ranges, member) in [
            ("letter", classes.letter, ScalarClass.letter),
            ("number", classes.number, ScalarClass.number),
            ("whitespace", classes.whitespace, ScalarClass.whitespace),
        ] {
            var expected = [Bool](repeating: false, count: 0x110000)
            for range in ranges { for value in range[0]...range[1] { expected[Int(value)] = true } }
            var mismatches: [String] = []
            // The fixture leaves out U+0000 and "#", which it uses as separators.
            for value in UInt32(1)..<0x110000 where value != 0x23 {
                guard let scalar = Unicode.Scalar(value) else { continue }
                if ScalarClass.of(scalar).contains(member) != expected[Int(value)] {
                    mismatches.append(String(value, radix: 16))
                }
            }
            #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(20)) (\(mismatches.count) in all)")
        }
    }
}
