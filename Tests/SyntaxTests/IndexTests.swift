import Foundation
import Synchronization
import Syntax
import Testing

@Suite("Workspace index")
struct IndexTests {
    static func pythonIndex() throws -> WorkspaceIndex {
        _ = try TestGrammars.language("python")
        let index = WorkspaceIndex(registry: TestGrammars.registry)
        index.index(roots: [TestGrammars.fixtures.appendingPathComponent("python-app")])
        return index
    }

    @Test("a file's non-blank lines as fingerprints: blanks at either end ignored, blank lines skipped")
    func lineFingerprints() {
        let lines = LineFingerprints(text: Array("a = 1\n\n    a = 1 \r\nb\n".utf8))
        #expect(lines.lineNumbers == [0, 2, 3])
        #expect(lines.fingerprints[0] == lines.fingerprints[1] && lines.fingerprints[0] != lines.fingerprints[2])
        #expect(lines.fingerprints[2] == LineFingerprints.fingerprint(Array("b".utf8)[...]))
        #expect(LineFingerprints.trimmed(Array(" \t x y \r".utf8)[...]).elementsEqual(Array("x y".utf8)))
    }

    @Test("walks the workspace, honouring .gitignore and skipping vendor folders and binary files")
    func walk() throws {
        let index = try Self.pythonIndex()
        #expect(index.paths == ["app/keep_gen.py", "app/models.py", "app/service.py", "app/util.py"])
        #expect(index.definitions(named: "should_not_be_indexed").isEmpty)
        #expect(index.definitions(named: "hiddenVendorFunction").isEmpty)
        #expect(index.definitions(named: "skipped_generated").isEmpty)
        #expect(index.definitions(named: "kept_generated").count == 1)
    }

    @Test("finds definitions with kinds, containers, signatures and ranges")
    func definitions() throws {
        let index = try Self.pythonIndex()
        let models = try #require(index.symbols(inFile: "app/models.py"))
        let summary = models.definitions.map { "\($0.kind.rawValue) \($0.container.map { $0 + "." } ?? "")\($0.name)" }
        #expect(
            summary == [
                "constant DEFAULT_ROLE", "type User", "property User.kind", "method User.__init__",
                "property User.name", "property User.email", "property User.role",
                "method User.display_name", "method User.is_admin", "function make_user",
            ])
        let makeUser = try #require(index.definitions(named: "make_user").first)
        #expect(makeUser.path == "app/models.py")
        #expect(makeUser.signature == "def make_user(name, email):")
        #expect(makeUser.snippet == "def make_user(name, email):\n    return User(name, email)")
        #expect(makeUser.start == TextPoint(row: 22, column: 0))
        let text = try String(
            contentsOf: TestGrammars.fixtures.appendingPathComponent("python-app/app/models.py"),
            encoding: .utf8)
        #expect(Array(text.utf8).string(makeUser.nameRange) == "make_user")
        let method = try #require(index.definitions(named: "display_name").first)
        #expect(method.snippet.hasPrefix("    def display_name(self):"))
    }

    @Test("finds imports with module and names")
    func imports() throws {
        let index = try Self.pythonIndex()
        let service = try #require(index.symbols(inFile: "app/service.py"))
        #expect(service.imports.map(\.module) == ["app.models", "app.util"])
        #expect(service.imports.map(\.names) == [["User", "make_user"], ["slugify"]])
        let util = try #require(index.symbols(inFile: "app/util.py"))
        #expect(util.imports.map(\.module) == ["re"])
    }

    @Test("updates one file at a time and removes deleted files")
    func update() throws {
        let index = try Self.pythonIndex()
        index.update(path: "app/util.py", text: Array("def camel_case(text):\n    return text\n".utf8))
        #expect(index.definitions(named: "slugify").isEmpty)
        #expect(index.definitions(named: "camel_case").map(\.path) == ["app/util.py"])
        // From disk again (didSave / watched file changed).
        index.update(path: "app/util.py")
        #expect(index.definitions(named: "camel_case").isEmpty)
        #expect(index.definitions(named: "slugify").count == 1)
        index.remove(path: "app/util.py")
        #expect(index.definitions(named: "slugify").isEmpty)
        #expect(!index.paths.contains("app/util.py"))
        #expect(
            index.relativePath(for: TestGrammars.fixtures.appendingPathComponent("python-app/app/x.py")) == "app/x.py")
    }

    @Test("TypeScript definitions: interfaces, classes, members, exported functions and constants")
    func typescript() throws {
        _ = try TestGrammars.language("typescript")
        let index = WorkspaceIndex(registry: TestGrammars.registry)
        let summary = index.index(roots: [TestGrammars.fixtures.appendingPathComponent("ts-app")])
        #expect(summary.files == 2)
        let geometry = try #require(index.symbols(inFile: "src/geometry.ts"))
        let names = geometry.definitions.map { "\($0.kind.rawValue) \($0.container.map { $0 + "." } ?? "")\($0.name)" }
        #expect(
            names == [
                "type Shape", "method Shape.area", "property Shape.name", "type Circle", "property Circle.name",
                "method Circle.constructor", "method Circle.area", "function totalArea", "variable UNIT",
            ])
        #expect(
            index.definitions(named: "totalArea").first?.signature
                == "function totalArea(shapes: Shape[]): number")
        let main = try #require(index.symbols(inFile: "src/main.ts"))
        #expect(
            main.imports == [
                ImportReference(
                    module: "./geometry", names: ["Circle", "totalArea"], alias: nil,
                    range: main.imports[0].range)
            ])
    }

    @Test("indexing sleeps while pauseWhile says so and finishes once it stops saying so")
    func pausesForForegroundWork() throws {
        _ = try TestGrammars.language("python")
        let index = WorkspaceIndex(registry: TestGrammars.registry)
        let paused = Atomic<Bool>(true)
        let asked = Atomic<Int>(0)
        let finished = DispatchSemaphore(value: 0)
        let summary = Mutex<WorkspaceIndex.Summary?>(nil)
        Thread {
            let result = index.index(
                roots: [TestGrammars.fixtures.appendingPathComponent("python-app")],
                pauseWhile: {
                    asked.add(1, ordering: .relaxed); return paused.load(ordering: .relaxed)
                })
            summary.withLock { $0 = result }
            finished.signal()
        }.start()
        // Paused: a fixture of four files indexes in milliseconds, yet nothing may finish while the gate is shut.
        #expect(finished.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(index.paths.isEmpty)
        #expect(asked.load(ordering: .relaxed) > 1, "the workers keep asking while they wait")
        paused.store(false, ordering: .relaxed)
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(summary.withLock { $0?.files } == 4)
        #expect(index.paths.count == 4)
    }

    @Test("callers asking for the same query at once share one compile")
    func queryCompiledOnce() throws {
        let registry = LanguageRegistry(manifest: TestGrammars.registry.manifest, locations: TestGrammars.locations)
        let swift = try #require(registry.language(id: "swift"))
        let results = Mutex<[ObjectIdentifier]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<4 {
            Thread {
                if let query = registry.query(.definitions, for: swift) {
                    results.withLock { $0.append(ObjectIdentifier(query)) }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<4 { done.wait() }
        let identities = results.withLock { $0 }
        #expect(identities.count == 4)
        #expect(Set(identities).count == 1, "every caller gets the one compiled query")
    }

    @Test("Swift function signatures stop at the body, found by its field rather than captured by the query")
    func swiftSignatures() throws {
        let source =
            "struct Box {\n    func area(scale: Int) -> Int where Int: Equatable {\n"
            + "        let inner = 2\n        return inner * scale\n    }\n}\n"
        let tree = try TestGrammars.parse(source, as: "swift")
        let symbols = SymbolExtractor.extract(from: tree, path: "f", registry: TestGrammars.registry)
        let area = try #require(symbols.definitions.first { $0.name == "area" })
        #expect(area.signature == "func area(scale: Int) -> Int where Int: Equatable")
        #expect(!symbols.definitions.contains { $0.name == "inner" })
    }

    @Test(
        "definitions in other languages",
        arguments: [
            (
                "go",
                "package geo\n\ntype Point struct {\n\tX int\n}\n\n"
                    + "func (p *Point) Move(dx int) {\n\tp.X += dx\n}\n\nfunc New() Point { return Point{} }\n",
                ["type Point", "property Point.X", "method Point.Move", "function New"]
            ),
            (
                "rust", "struct P { x: i32 }\n\nimpl P {\n    fn new() -> Self { P { x: 0 } }\n}\n\nfn utility() {}\n",
                ["type P", "property P.x", "extension P", "method P.new", "function utility"]
            ),
            (
                "c", "#define MAX 3\nstruct point { int x; };\nint add(int a, int b) { return a + b; }\n",
                ["constant MAX", "type point", "property point.x", "function add"]
            ),
            (
                "java",
                "class Box {\n    int size;\n    Box(int s) { size = s; }\n    int area() { return size * size; }\n}\n",
                ["type Box", "property Box.size", "method Box.Box", "method Box.area"]
            ),
            (
                "swift",
                "struct Point {\n    var x: Int\n    func moved() -> Point { self }\n}\n\n"
                    + "func origin() -> Point { Point(x: 0) }\n",
                ["type Point", "property Point.x", "method Point.moved", "function origin"]
            ),
            (
                "javascript", "class A {\n  run() {}\n}\nexport function b() {}\nconst c = () => 1;\n",
                ["type A", "method A.run", "function b", "function c"]
            ),
            (
                "cpp", "namespace n {\nclass K {\n  int f();\n  int v;\n};\n}\nint K::f() { return 1; }\n",
                ["module n", "type n.K", "method K.f", "property K.v", "method K.f"]
            ),
            (
                "ruby", "class Dog\n  attr_reader :name\n  def bark\n  end\nend\n",
                ["type Dog", "property Dog.:name", "method Dog.bark"]
            ),
            ("bash", "greet() {\n  echo hi\n}\nNAME=x\n", ["function greet", "variable NAME"]),
        ])
    func otherLanguages(languageID: String, source: String, expected: [String]) throws {
        let tree = try TestGrammars.parse(source, as: languageID)
        let symbols = SymbolExtractor.extract(from: tree, path: "f", registry: TestGrammars.registry)
        let names = symbols.definitions.map { "\($0.kind.rawValue) \($0.container.map { $0 + "." } ?? "")\($0.name)" }
        #expect(names == expected)
    }
}
