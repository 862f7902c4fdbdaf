import Engine
import Testing
@testable import LanguageServer

/// The `model` section: which model, how many threads it computes with, how it keeps its weights.
struct ModelSettingsTests {
    /// `model.precision` takes the three names and refuses anything else, keeping the value it had.
    @Test func precisionTakesItsNamesOnly() {
        var configuration = Configuration()
        #expect(configuration.precision == .automatic)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("q8")])])).isEmpty)
        #expect(configuration.precision == .q8)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("as-stored")])])).isEmpty)
        #expect(configuration.precision == .asStored)
        #expect(configuration.apply(.object(["model": .object(["precision": .string("int4")])])) == ["model.precision"])
        #expect(configuration.apply(.object(["model": .object(["precision": .number(8)])])) == ["model.precision"])
        #expect(configuration.precision == .asStored)
    }

    /// `model.path` is a directory, a file or a pulled name; null goes back to the embedded model.
    @Test func pathIsAStringOrNull() {
        expectOptionalString("model.path", \.modelPath)
        var configuration = Configuration()
        #expect(configuration.set("model.path", .string("org/name@main")).isEmpty)
        #expect(configuration.modelPath == "org/name@main")
    }

    @Test func threadsTakeOneToSixtyFour() {
        #expect(Configuration().threads == 2)
        expectIntegerRange("model.threads", \.threads, 1...64)
    }
}
