import Foundation
import Testing
@testable import Tokenizer

/// Configurations that the trained fixtures do not use (`add_prefix_space`, the Llama-3 digit grouping,
/// `ignore_merges`, ByteLevel without its regex): the fixture script edits the saved JSON, records the library's
/// ids, and these tests apply the same edit.
@Suite struct ConfigurationVariantTests {
    /// Sets `value` at `path` (object keys and array indices) inside `json`.
    private static func set(_ value: Any, at path: ArraySlice<Any>, in json: Any) -> Any {
        guard let key = path.first else { return value }
        if let index = key as? Int, var array = json as? [Any] {
            array[index] = set(value, at: path.dropFirst(), in: array[index])
            return array
        }
        var object = json as! [String: Any]
        let name = key as! String
        object[name] = set(value, at: path.dropFirst(), in: object[name] as Any)
        return object
    }

    @Test(arguments: Fixtures.names)
    func variantsEncodeLikeTheLibrary(name: String) throws {
        let url = Fixtures.directory.appendingPathComponent("\(name).expected.json")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = expected["cases"] as! [[String: Any]]
        let variants = expected["variants"] as! [String: [String: Any]]
        #expect(!variants.isEmpty)
        for (variant, description) in variants {
            let path = (description["path"] as! [Any]).map { ($0 as? NSNumber).map(\.intValue) ?? $0 }
            let json = Self.set(description["value"]!, at: path[...], in: try Fixtures.tokenizerJSON(name))
            let tokenizer = try Tokenizer(data: JSONSerialization.data(withJSONObject: json), name: variant)
            let expectedIDs = description["ids"] as! [[Int]]
            for (index, ids) in expectedIDs.enumerated() {
                let text = cases[index]["text"] as! String
                #expect(tokenizer.encode(text) == ids, "\(name) \(variant): \(text.escapedForDiagnostics)")
            }
        }
    }
}
