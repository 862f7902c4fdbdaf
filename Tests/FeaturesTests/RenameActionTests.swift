import Engine
import Foundation
import Syntax
import Testing
@testable import Features

/// Deterministic renames on the syntax layer's reference finder, per language.
@Suite("Code actions: rename")
struct RenameActionTests {
    static let files = ["rename/python.py", "rename/swift.swift", "rename/javascript.js"]

    @Test("a rename touches every occurrence in the scope and nothing else", arguments: files)
    func renameTouchesExactlyTheScopedOccurrences(file: String) throws {
        let fixture = try ActionFixtures.load(file)
        let tree = try ActionFixtures.parse(fixture)
        let renamer = Renamer(registry: ActionFixtures.registry)
        let target = try renamer.target(in: tree, at: fixture.offset("cursor"))
        #expect(target.name == "tmp")
        #expect(target.occurrences == fixture.wrapped)
        #expect(!target.mayBeUsedInOtherFiles)

        let edits = try renamer.edits(renaming: target, to: "runningTotal", in: tree)
        #expect(edits.map(\.range) == fixture.wrapped)
        #expect(edits.allSatisfy { $0.newText == "runningTotal" })
        let renamed = ByteRangeEdit.apply(edits, to: fixture.bytes)
        #expect(try ActionFixtures.errorCount(renamed, fixture.languageID) == 0)
        // Outside the occurrences the text is byte for byte the same.
        let newRanges = Self.shifted(fixture.wrapped, by: "runningTotal".utf8.count - 3)
        #expect(fixture.removing(newRanges, from: renamed) == fixture.removing(fixture.wrapped))
        // The same name in another scope (a shadowing or shadowed variable) is still there.
        let untouched = String(decoding: renamed, as: UTF8.self).components(separatedBy: "tmp").count - 1
        #expect(untouched >= 1)
        #expect(untouched == fixture.text.components(separatedBy: "tmp").count - 1 - fixture.wrapped.count)
        // The new name resolves to exactly the renamed occurrences.
        let after = try Parser(language: tree.language).parse(renamed)
        let again = try #require(
            ScopeResolver.occurrences(
                at: newRanges[0].lowerBound, in: after,
                registry: ActionFixtures.registry))
        #expect(again.occurrences == newRanges)
    }

    static func shifted(_ ranges: [Range<Int>], by delta: Int) -> [Range<Int>] {
        ranges.enumerated().map { index, range in
            (range.lowerBound + index * delta)..<(range.upperBound + (index + 1) * delta)
        }
    }

    @Test(
        "names that are not identifiers, reserved, unchanged or already in the scope are refused",
        arguments: files)
    func badNamesAreRefused(file: String) throws {
        let fixture = try ActionFixtures.load(file)
        let tree = try ActionFixtures.parse(fixture)
        let renamer = Renamer(registry: ActionFixtures.registry)
        let target = try renamer.target(in: tree, at: fixture.offset("cursor"))
        let keyword = ["python": "lambda", "swift": "func", "javascript": "function"][fixture.languageID]!
        for name in ["", "1st", "two words", "a-b", keyword] {
            #expect {
                _ = try renamer.edits(renaming: target, to: name, in: tree)
            } throws: { error in
                guard case RenameError.invalidName(let reason) = error else { return false }
                return !reason.isEmpty
            }
        }
        #expect(throws: RenameError.unchanged("tmp")) { try renamer.edits(renaming: target, to: "tmp", in: tree) }
        // `items` is the function's parameter and `item` its loop variable: both visible where `tmp` is used.
        for taken in ["items", "item"] {
            #expect(throws: RenameError.collision(taken)) { try renamer.edits(renaming: target, to: taken, in: tree) }
        }
    }

    @Test("the cursor must be on a renameable identifier")
    func cursorPlacement() throws {
        let fixture = try ActionFixtures.load("rename/python.py")
        let tree = try ActionFixtures.parse(fixture)
        let renamer = Renamer(registry: ActionFixtures.registry)
        let text = fixture.text
        let defOffset = text.utf8.count - text[text.range(of: "def total")!.lowerBound...].utf8.count
        #expect(throws: RenameError.notAnIdentifier) { try renamer.target(in: tree, at: defOffset + 1) }
        let blank = text.utf8.count - text[text.range(of: "\n\n\ndef")!.lowerBound...].utf8.count + 1
        #expect(throws: RenameError.notAnIdentifier) { try renamer.target(in: tree, at: blank) }
        // `os` is bound by `import os`: renaming it here would break the import.
        #expect(throws: RenameError.imported("os")) { try renamer.target(in: tree, at: 8) }
    }
}

/// A top-level symbol's rename carried into the files that import it, and only those.
@Suite("Code actions: rename across files")
struct WorkspaceRenameTests {
    static func target(_ text: String, path: String, at offset: Int) throws -> (Renamer, RenameTarget) {
        let renamer = Renamer(registry: ActionFixtures.registry)
        return (renamer, try renamer.target(in: Array(text.utf8), languageID: "", path: path, at: offset))
    }

    static func renamed(
        _ renamer: Renamer, _ target: RenameTarget, _ path: String, _ text: String,
        definedIn: String, to name: String = "double"
    ) throws -> String? {
        try renamer.edits(
            in: WorkspaceFile(path: path, text: Array(text.utf8)), renaming: target,
            definedIn: definedIn, to: name
        )
        .map { String(decoding: ByteRangeEdit.apply($0, to: Array(text.utf8)), as: UTF8.self) }
    }

    @Test("Python: the importing file is renamed, import included; others are left alone")
    func python() throws {
        let (renamer, target) = try Self.target(
            "def helper(value):\n    return value * 2\n", path: "pkg/util.py", at: 5)
        #expect(target.mayBeUsedInOtherFiles)
        let main =
            "from pkg.util import helper\n\n\ndef run():\n    helper = None\n    return helper\n\nprint(helper(3))\n"
        #expect(
            try Self.renamed(renamer, target, "main.py", main, definedIn: "pkg/util.py")
                == "from pkg.util import double\n\n\ndef run():\n    helper = None\n    return helper\n\n"
                + "print(double(3))\n"
        )
        #expect(
            try Self.renamed(renamer, target, "b.py", "from tools import helper\nhelper()\n", definedIn: "pkg/util.py")
                == nil)
        #expect(
            try Self.renamed(renamer, target, "c.py", "def helper():\n    return 0\n", definedIn: "pkg/util.py") == nil)
        #expect(try Self.renamed(renamer, target, "d.py", "print(helper)\n", definedIn: "pkg/util.py") == nil)
        #expect(throws: RenameError.collisionInFile("print", "main.py")) {
            try Self.renamed(renamer, target, "main.py", main, definedIn: "pkg/util.py", to: "print")
        }
    }

    @Test("JavaScript: a named import from the module is renamed with its uses")
    func javascript() throws {
        let (renamer, target) = try Self.target(
            "export function helper(v) {\n  return v * 2;\n}\n", path: "src/util.js", at: 17)
        #expect(
            try Self.renamed(
                renamer, target, "src/main.js", "import { helper } from \"./util\";\nhelper(1);\n",
                definedIn: "src/util.js") == "import { double } from \"./util\";\ndouble(1);\n")
        #expect(
            try Self.renamed(
                renamer, target, "src/other.js", "import { helper } from \"./utility\";\nhelper(1);\n",
                definedIn: "src/util.js") == nil)
    }
}

/// Rename suggestions from the default model: whatever names it proposes, each must be a valid rename of every
/// occurrence. The model is being trained, so the tests never depend on which names come out.
@Suite("Code actions: rename suggestions")
struct RenameSuggestionTests {
    @Test(
        "every suggestion is a valid, complete, scoped rename; equal inputs give equal suggestions",
        arguments: RenameActionTests.files)
    func suggestionsAreValidRenames(file: String) throws {
        let engine = try ActionFixtures.engine.get()
        let fixture = try ActionFixtures.load(file)
        let tree = try ActionFixtures.parse(fixture)
        let renamer = Renamer(registry: ActionFixtures.registry)
        let target = try renamer.target(in: tree, at: fixture.offset("cursor"))
        let suggester = RenameSuggester(engine: engine, renamer: renamer)
        let started = ContinuousClock.now
        let suggestions = try suggester.suggest(for: target, in: tree, path: fixture.path)
        let elapsed = ContinuousClock.now - started
        print(
            "rename suggestions for \(file): "
                + "\(suggestions.map { "\($0.name) (\(String(format: "%.2f", $0.score)))" }) in \(elapsed)"
        )
        #expect(suggestions.count <= RenameSuggestionSettings().maxSuggestions)
        #expect(Set(suggestions.map(\.name)).count == suggestions.count)
        #expect(zip(suggestions, suggestions.dropFirst()).allSatisfy { $0.score >= $1.score })
        let keywords = IdentifierRules.keywords(for: fixture.languageID)
        for suggestion in suggestions {
            #expect(suggestion.score.isFinite && suggestion.score <= 0)
            #expect(IdentifierRules.problem(with: suggestion.name, languageID: fixture.languageID) == nil)
            #expect(!keywords.contains(suggestion.name) && suggestion.name != "tmp")
            #expect(suggestion.edits.map(\.range) == fixture.wrapped)
            #expect(suggestion.edits.allSatisfy { $0.newText == suggestion.name })
            let renamed = ByteRangeEdit.apply(suggestion.edits, to: fixture.bytes)
            #expect(try ActionFixtures.errorCount(renamed, fixture.languageID) == 0)
        }
        let again = try suggester.suggest(for: target, in: tree, path: fixture.path)
        #expect(again.map(\.name) == suggestions.map(\.name))
        if suggestions.isEmpty {
            // Every proposal was filtered out: the deterministic path on the same target must still work.
            #expect(try renamer.edits(renaming: target, to: "renamedValue", in: tree).map(\.range) == fixture.wrapped)
        }
    }

    @Test("the tied-span canvas masks every occurrence and keeps the text between them")
    func tiedCanvas() throws {
        let engine = try ActionFixtures.engine.get()
        let tokenizer = try #require(engine.tokenizer)
        let fixture = try ActionFixtures.load("rename/python.py")
        let mask = try #require(engine.config.maskTokenID)
        let canvas = TiedSpanCanvas(
            tokenizer: tokenizer, fileSeparator: engine.config.fileSepTokenID!,
            maskTokenID: mask, text: fixture.bytes, path: fixture.path,
            occurrences: fixture.wrapped, targetIndex: 0, budget: 1024)
        let (tokens, spans) = try #require(canvas.canvas(spanLength: 3))
        #expect(spans.count == fixture.wrapped.count)
        #expect(spans.allSatisfy { $0.count == 3 && tokens[$0].allSatisfy { $0 == mask } })
        #expect(tokens.filter { $0 == mask }.count == 3 * fixture.wrapped.count)
        let decoded = tokenizer.decode(tokens.filter { $0 != mask }, skipSpecial: false)
        let withoutNames = String(decoding: fixture.removing(fixture.wrapped), as: UTF8.self)
        #expect(decoded == "<|file_sep|>\(fixture.path)\n" + withoutNames)

        // A small window keeps the cursor's occurrence (and fits); the others only as they fit.
        let small = TiedSpanCanvas(
            tokenizer: tokenizer, fileSeparator: engine.config.fileSepTokenID!,
            maskTokenID: mask, text: fixture.bytes, path: fixture.path,
            occurrences: fixture.wrapped, targetIndex: 3, budget: 40)
        let (smallTokens, smallSpans) = try #require(small.canvas(spanLength: 2))
        #expect(smallTokens.count <= 40)
        #expect(!smallSpans.isEmpty && smallSpans.count < fixture.wrapped.count)
        #expect(smallSpans.allSatisfy { smallTokens[$0].allSatisfy { $0 == mask } })
        #expect(small.canvas(spanLength: 40) == nil)
    }
}
