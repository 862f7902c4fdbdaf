import Foundation
import Syntax
import Testing

/// The grammars installed by `scripts/install-grammars.sh` (or `DLSP_GRAMMAR_DIR`), shared by all tests.
/// A missing grammar fails the test that needs it with the command to run; nothing is skipped.
enum TestGrammars {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let locations: GrammarLocations = {
        // Resolving from the repository makes the tests independent of the working directory.
        (try? GrammarLocations.resolve(currentDirectory: repositoryRoot.path, executablePath: nil))
            ?? GrammarLocations(
                grammarsDirectory: repositoryRoot.appendingPathComponent("Grammars"),
                libraryDirectory: repositoryRoot.appendingPathComponent(".cache/grammars"))
    }()

    static let registry: LanguageRegistry = {
        // swiftlint-style force: a repository without its manifest cannot run any syntax test.
        try! LanguageRegistry(locations: locations)
    }()

    struct NotInstalled: Error, CustomStringConvertible {
        var description: String
    }

    /// The loaded grammar, or an error telling how to install it.
    static func language(_ id: String) throws -> Language {
        switch registry.load(id: id) {
        case .success(let language):
            return language
        case .failure(let error):
            throw NotInstalled(description: "\(error). Install the grammars first: scripts/install-grammars.sh")
        }
    }

    static func parse(_ text: String, as id: String) throws -> SyntaxTree {
        try Parser(language: language(id)).parse(text)
    }
}

extension Array where Element == UInt8 {
    func string(_ range: Range<Int>) -> String { String(decoding: self[range], as: UTF8.self) }
}
