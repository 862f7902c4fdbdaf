import Engine
import Foundation
import Syntax
import TestSupport
import Testing

/// The code-action fixtures under `Fixtures/` and what the tests share: the grammars, the default model.
enum ActionFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The grammars installed by `scripts/install-grammars.sh`; a missing one fails the test that needs it.
    static let registry: LanguageRegistry = {
        let locations =
            (try? GrammarLocations.resolve(currentDirectory: repositoryRoot.path, executablePath: nil))
            ?? GrammarLocations(
                grammarsDirectory: repositoryRoot.appendingPathComponent("Grammars"),
                libraryDirectory: repositoryRoot.appendingPathComponent(".cache/grammars"))
        return try! LanguageRegistry(locations: locations)
    }()

    /// The embedded default model, loaded once for all tests.
    static let engine: Result<Engine, any Error> = Result {
        try Engine.load(directory: repositoryRoot.appendingPathComponent("Models/default").path)
    }

    static func load(_ relativePath: String) throws -> MarkedFixture {
        let marked = try String(contentsOf: directory.appendingPathComponent(relativePath), encoding: .utf8)
        return MarkedFixture(path: relativePath, marked: marked)
    }

    static func parse(_ fixture: MarkedFixture) throws -> SyntaxTree {
        switch registry.load(id: fixture.languageID) {
        case .success(let language): return try Parser(language: language).parse(fixture.bytes)
        case .failure(let error):
            throw FixtureError("\(error). Install the grammars first: scripts/install-grammars.sh")
        }
    }

    /// Error nodes in `text` parsed as `languageID`.
    static func errorCount(_ text: [UInt8], _ languageID: String) throws -> Int {
        try Parser(language: registry.load(id: languageID).get()).parse(text).errorNodes().count
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fixture file with its markers removed (`MarkedText`): `⟨name⟩` marks a position, `⟦…⟧` wraps a range (an
/// occurrence a rename must touch).
struct MarkedFixture {
    let path: String
    let marked: MarkedText

    init(path: String, marked: String) {
        self.path = path
        self.marked = MarkedText(marked)
    }

    var bytes: [UInt8] { marked.bytes }
    var text: String { marked.text }
    /// Named positions in order of appearance.
    var markers: [MarkedText.Marker] { marked.markers }
    var wrapped: [Range<Int>] { marked.wrapped }

    func offset(_ name: String) -> Int { marked.offset(named: name) }

    /// The dlsp language id, from the extension.
    var languageID: String {
        switch URL(fileURLWithPath: path).pathExtension {
        case "py": return "python"
        case "js": return "javascript"
        default: return "swift"
        }
    }

    /// `bytes` without the given ranges: what must stay unchanged by an edit confined to them.
    func removing(_ ranges: [Range<Int>], from text: [UInt8]? = nil) -> [UInt8] {
        var result = text ?? bytes
        for range in ranges.sorted(by: { $0.lowerBound > $1.lowerBound }) { result.removeSubrange(range) }
        return result
    }
}
