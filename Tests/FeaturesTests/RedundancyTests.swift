import Foundation
import Syntax
import Testing
@testable import Features

/// Remove-redundant-code findings per language: exactly the marked ones (the fixtures also hold look-alikes that
/// must not be reported: a value with a call, a repeated `+= 1`, a used import), each a clean deletion.
@Suite("Code actions: redundant code")
struct RedundancyTests {
    static let files = ["redundancy/python.py", "redundancy/javascript.js", "redundancy/swift.swift"]

    @Test("finds exactly the marked redundancies", arguments: files)
    func findsTheMarkedCode(file: String) throws {
        let fixture = try ActionFixtures.load(file)
        let tree = try ActionFixtures.parse(fixture)
        let findings = RedundancyFinder(registry: ActionFixtures.registry).find(in: tree, path: fixture.path)
        let found = findings.map { "\($0.kind.rawValue)@\($0.range.lowerBound)" }
        let marked = fixture.markers.map { "\($0.name)@\($0.offset)" }
        #expect(found.sorted() == marked.sorted(), "\(findings.map(\.title))")
    }

    @Test("each finding is a deletion that keeps the file parsing and removes only its code", arguments: files)
    func deletionsAreClean(file: String) throws {
        let fixture = try ActionFixtures.load(file)
        let tree = try ActionFixtures.parse(fixture)
        let findings = RedundancyFinder(registry: ActionFixtures.registry).find(in: tree, path: fixture.path)
        #expect(!findings.isEmpty)
        for finding in findings {
            let edit = finding.edit
            if finding.title.hasSuffix("keeping its value") {
                // The statement becomes the evaluation of its value, and nothing else changes.
                #expect(edit.range == finding.range)
                let value = String(decoding: fixture.bytes[finding.range], as: UTF8.self)
                let kept = edit.newText.trimmingCharacters(in: CharacterSet(charactersIn: ";"))
                    .replacingOccurrences(of: "_ = ", with: "")
                #expect(!kept.isEmpty && value.hasSuffix(kept) || value.hasSuffix(kept + ";"), "\(finding.title)")
                let after = ByteRangeEdit.apply([edit], to: fixture.bytes)
                #expect(try ActionFixtures.errorCount(after, fixture.languageID) == 0, "\(finding.title)")
                continue
            }
            #expect(edit.newText.isEmpty)
            #expect(
                edit.range.lowerBound <= finding.range.lowerBound && finding.range.upperBound <= edit.range.upperBound)
            // Around the code, only blanks, a `;` and the line's newline go with it.
            let extra =
                Array(fixture.bytes[edit.range.lowerBound..<finding.range.lowerBound])
                + Array(fixture.bytes[finding.range.upperBound..<edit.range.upperBound])
            #expect(extra.allSatisfy { [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ";")].contains($0) }, "\(finding.title)")
            let after = ByteRangeEdit.apply([edit], to: fixture.bytes)
            #expect(try ActionFixtures.errorCount(after, fixture.languageID) == 0, "\(finding.title)")
            #expect(finding.title.hasPrefix("Remove ") && finding.title.contains("`"))
        }
    }

    @Test(
        "one unused name among used ones is taken out of the import",
        arguments: [
            (
                "python", "from os.path import join, sep, split\nprint(join('a', split('b')[0]))\n",
                "from os.path import join, split\nprint(join('a', split('b')[0]))\n", "sep"
            ),
            ("python", "from os import path, sep\nprint(path)\n", "from os import path\nprint(path)\n", "sep"),
            ("python", "from os import path as p, sep as s\nprint(s)\n", "from os import sep as s\nprint(s)\n", "p"),
            (
                "javascript", "import { a, b, c } from \"./m\";\nconsole.log(a, c);\n",
                "import { a, c } from \"./m\";\nconsole.log(a, c);\n", "b"
            ),
        ])
    func partialImport(language: String, source: String, expected: String, name: String) throws {
        let tree = try Parser(language: ActionFixtures.registry.load(id: language).get()).parse(source)
        let findings = RedundancyFinder(registry: ActionFixtures.registry).find(
            in: tree, path: "m.\(language == "python" ? "py" : "js")")
        #expect(findings.map(\.title) == ["Remove unused name `\(name)` from the import"])
        let after = ByteRangeEdit.apply(findings.map(\.edit), to: Array(source.utf8))
        #expect(String(decoding: after, as: UTF8.self) == expected)
        #expect(try ActionFixtures.errorCount(after, language) == 0)
    }

    @Test("titles say precisely what goes")
    func titles() throws {
        let fixture = try ActionFixtures.load("redundancy/python.py")
        let tree = try ActionFixtures.parse(fixture)
        let titles = RedundancyFinder(registry: ActionFixtures.registry).find(in: tree, path: fixture.path).map(\.title)
        #expect(
            titles == [
                "Remove unused import `os`", "Remove unused variable `unused`",
                "Remove unused variable `kept`, keeping its value",
                "Remove duplicated statement `label = \"x\"`",
                "Remove 2 unreachable statements after `return`",
            ])
    }

    @Test("only findings touching the editor's range are returned")
    func touchingRange() throws {
        let fixture = try ActionFixtures.load("redundancy/javascript.js")
        let tree = try ActionFixtures.parse(fixture)
        let finder = RedundancyFinder(registry: ActionFixtures.registry)
        let cursor = fixture.offset("unusedVariable") + 8
        #expect(finder.find(in: tree, path: fixture.path, touching: cursor..<cursor).map(\.kind) == [.unusedVariable])
        let used =
            fixture.text.utf8.count - fixture.text[fixture.text.range(of: "const result")!.lowerBound...].utf8.count
        #expect(finder.find(in: tree, path: fixture.path, touching: used..<used).isEmpty)
    }

    @Test("an __init__.py re-exports what it imports")
    func initFilesKeepImports() throws {
        let fixture = try ActionFixtures.load("redundancy/python.py")
        let tree = try ActionFixtures.parse(fixture)
        let kinds = RedundancyFinder(registry: ActionFixtures.registry).find(in: tree, path: "pkg/__init__.py").map(
            \.kind)
        #expect(!kinds.contains(.unusedImport))
    }
}
