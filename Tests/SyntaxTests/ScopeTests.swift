import Syntax
import TestSupport
import Testing

@Suite("Scopes for renames")
struct ScopeTests {
    /// Occurrences of the identifier at the first `‸`, as the texts of the lines they are on plus their columns.
    static func occurrences(_ marked: String, _ languageID: String) throws -> (SymbolOccurrences, [String]) {
        let text = MarkedText(marked)
        let tree = try TestGrammars.parse(text.text, as: languageID)
        let result = try #require(ScopeResolver.occurrences(at: text.cursor, in: tree, registry: TestGrammars.registry))
        let described = result.occurrences.map { range -> String in
            let point = TextPoint.of(offset: range.lowerBound, in: text.bytes)
            return "\(point.row):\(point.column)"
        }
        for range in result.occurrences { #expect(text.bytes.string(range) == result.name) }
        return (result, described)
    }

    @Test("a local that shadows a global is not renamed with the global")
    func pythonShadowing() throws {
        let source = """
            count = 0

            def bump():
                count = 1
                return count

            def read():
                return count + len(self.count)
            """
        let (global, globalPlaces) = try Self.occurrences(
            source.replacingOccurrences(of: "count = 0", with: "co‸unt = 0"), "python")
        #expect(global.name == "count")
        #expect(globalPlaces == ["0:0", "7:11"])
        #expect(global.mayBeUsedInOtherFiles)
        #expect(global.method == .scopes)
        let (local, localPlaces) = try Self.occurrences(
            source.replacingOccurrences(of: "return count\n", with: "return count‸\n"), "python")
        #expect(localPlaces == ["3:4", "4:11"])
        #expect(!local.mayBeUsedInOtherFiles)
        #expect(local.definitions.count == 1)
    }

    @Test(
        "parameters shadow outer names",
        arguments: [
            ("javascript", "const x = 1;\nfunction f(x) {\n  return x‸ + 1;\n}\nconsole.log(x);\n", ["1:11", "2:9"]),
            ("typescript", "let n: number = 1;\nfunction f(n: number) {\n  return n‸;\n}\nn = 2;\n", ["1:11", "2:9"]),
            (
                "go", "package p\n\nvar v = 1\n\nfunc f(v int) int {\n\treturn v‸\n}\n\nfunc g() int { return v }\n",
                ["4:7", "5:8"]
            ),
            ("rust", "fn a(v: i32) -> i32 {\n    v‸ + 1\n}\nfn b(v: i32) -> i32 { v }\n", ["0:5", "1:4"]),
            ("c", "int v = 0;\nint f(int v) {\n    return v‸;\n}\nint g(void) { return v; }\n", ["1:10", "2:11"]),
            ("java", "class A {\n  int f(int v) { return v‸; }\n  int g(int v) { return v; }\n}\n", ["1:12", "1:24"]),
            ("swift", "func f(v: Int) -> Int {\n    return v‸\n}\nfunc g(v: Int) -> Int { v }\n", ["0:7", "1:11"]),
            ("cpp", "int f(int v) {\n    return v‸ * 2;\n}\nint g(int v) { return v; }\n", ["0:10", "1:11"]),
        ])
    func parameterShadowing(languageID: String, source: String, expected: [String]) throws {
        let (result, places) = try Self.occurrences(source, languageID)
        #expect(places == expected, "\(languageID)")
        #expect(!result.mayBeUsedInOtherFiles)
    }

    @Test("a top-level function is found with its calls, not with a same-named attribute")
    func functionAndMembers() throws {
        let source =
            "def load(path):\n    return path\n\n"
            + "class C:\n    def run(self):\n        self.load = 1\n        return lo‸ad('x')\n"
        let (result, places) = try Self.occurrences(source, "python")
        #expect(result.name == "load")
        #expect(places == ["0:4", "6:15"])
        #expect(result.mayBeUsedInOtherFiles)
    }

    @Test("module path parts and keyword argument names are not variables")
    func pythonMembers() throws {
        let source = "import os.path\n\ndef f(path):\n    return os.path.join(pa‸th, sep=path)\n"
        let (result, places) = try Self.occurrences(source, "python")
        #expect(result.name == "path")
        #expect(places == ["2:6", "3:24", "3:34"])
    }

    @Test("languages without a locals query fall back to same-name identifiers")
    func fallback() throws {
        let (result, places) = try Self.occurrences("NAME=1\necho $NA‸ME\necho ${NAME}\n", "bash")
        #expect(result.method == .sameName)
        #expect(places == ["0:0", "1:6", "2:7"])
    }

    @Test("no identifier at the offset gives nil")
    func nothingThere() throws {
        let tree = try TestGrammars.parse("x = 1 + 2\n", as: "python")
        #expect(ScopeResolver.occurrences(at: 6, in: tree, registry: TestGrammars.registry) == nil)
    }
}

@Suite("Workspace-wide references")
struct WorkspaceReferenceTests {
    @Test("a top-level function is found in the files that use it, not where a local shadows it")
    func acrossFiles() throws {
        let index = try IndexTests.pythonIndex()
        #expect(index.paths(mentioning: "make_user") == ["app/models.py", "app/service.py"])
        let service = try String(
            contentsOf: TestGrammars.fixtures.appendingPathComponent("python-app/app/service.py"),
            encoding: .utf8)
        let tree = try TestGrammars.parse(service, as: "python")
        let places = ScopeResolver.fileLevelOccurrences(of: "make_user", in: tree, registry: TestGrammars.registry)
        #expect(places.count == 2)  // the import and the call
        for range in places { #expect(Array(service.utf8).string(range) == "make_user") }

        let shadowing = try TestGrammars.parse("def f():\n    make_user = 1\n    return make_user\n", as: "python")
        #expect(
            ScopeResolver.fileLevelOccurrences(of: "make_user", in: shadowing, registry: TestGrammars.registry).isEmpty)
    }
}
