import Syntax
import TestSupport
import Testing

/// Small, valid programs in each language.
let samplePrograms: [String: String] = [
    "python":
        "import os\n\nclass Greeter:\n    def greet(self, name):\n        return f\"hi {name}\"\n\n"
        + "print(Greeter().greet('x'))\n",
    "swift":
        "import Foundation\n\nstruct Point {\n    var x: Double\n"
        + "    func scaled(by k: Double) -> Point { Point(x: x * k) }\n}\n",
    "javascript":
        "import { a } from './a.js';\nexport function add(x, y) {\n  return x + y + a;\n}\nconst f = (z) => z * 2;\n",
    "typescript":
        "interface Shape { area(): number }\nexport class Square implements Shape {\n"
        + "  constructor(private side: number) {}\n  area(): number { return this.side ** 2; }\n}\n",
    "tsx": "export function App(props: { name: string }) {\n  return <div className=\"app\">{props.name}</div>;\n}\n",
    "go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n",
    "rust": "use std::fmt;\n\nstruct P { x: i32 }\n\nimpl P {\n    fn new(x: i32) -> Self { P { x } }\n}\n",
    "c":
        "#include <stdio.h>\n\nstatic int square(int x) { return x * x; }\n\n"
        + "int main(void) {\n    printf(\"%d\\n\", square(3));\n    return 0;\n}\n",
    "cpp":
        "#include <vector>\n\nnamespace geo {\nclass Box {\npublic:\n"
        + "    int area() const { return w * h; }\n    int w, h;\n};\n}\n",
    "java":
        "import java.util.List;\n\npublic class Main {\n    public static void main(String[] args) {\n"
        + "        System.out.println(List.of(1, 2));\n    }\n}\n",
    "json": "{\"name\": \"dlsp\", \"tags\": [1, 2.5, true, null], \"nested\": {\"k\": \"v\"}}\n",
    "bash": "#!/bin/bash\nset -e\ngreet() {\n  echo \"hi $1\"\n}\ncat <<EOF\nbody\nEOF\ngreet world\n",
    "ruby":
        "require 'json'\n\nclass Dog\n  def bark(times = 1)\n    puts 'woof' * times\n  end\nend\n\n"
        + "text = <<~TXT\n  heredoc\nTXT\n",
]

@Suite("Parsing and incremental edits")
struct ParsingTests {
    @Test("each grammar parses its sample without errors", arguments: samplePrograms.keys.sorted())
    func parsesSample(languageID: String) throws {
        let tree = try TestGrammars.parse(samplePrograms[languageID]!, as: languageID)
        #expect(!tree.hasError, "\(languageID): \(tree.sExpression)")
        #expect(tree.errorNodes().isEmpty)
        #expect(tree.root.endByte == samplePrograms[languageID]!.utf8.count)
    }

    @Test("node at an offset, its ancestors, fields and text")
    func nodeQueries() throws {
        let source = "def add(a, b):\n    return a + b\n"
        let tree = try TestGrammars.parse(source, as: "python")
        let offset = Array(source.utf8).firstIndex(of: UInt8(ascii: "+"))! + 2  // on the `b` of `a + b`
        let node = try #require(tree.node(at: offset))
        #expect(node.type == "identifier")
        #expect(node.text == "b")
        let types = node.ancestors.map(\.type)
        #expect(types == ["binary_operator", "return_statement", "block", "function_definition", "module"])
        let function = node.ancestors[3]
        #expect(function.child(field: "name")?.text == "add")
        #expect(function.startPoint == TextPoint(row: 0, column: 0))
        #expect(node.startPoint == TextPoint(row: 1, column: 15))
    }

    @Test("empty documents parse, grow and shrink back to empty")
    func emptyDocument() throws {
        let document = try ParsedDocument(text: [UInt8](), language: TestGrammars.language("python"))
        #expect(!document.tree.hasError)
        #expect(document.tree.node(at: 0) != nil)
        document.apply(TextEdit(range: 0..<0, replacement: "x = 1\n"))
        #expect(document.tree.root.namedChildCount == 1)
        document.apply(TextEdit(range: 0..<6, replacement: [UInt8]()))
        #expect(document.text.isEmpty)
        #expect(document.tree.root.namedChildCount == 0)
        let context = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "empty.py", text: [], cursor: 0))
        #expect(context.prefix.isEmpty && context.suffix.isEmpty)
        #expect(ScopeResolver.occurrences(at: 0, in: document.tree, registry: TestGrammars.registry) == nil)
    }

    @Test("syntax errors and missing nodes are found")
    func errorDetection() throws {
        let broken = try TestGrammars.parse("int main( { return 0 }\n", as: "c")
        #expect(broken.hasError)
        #expect(!broken.errorNodes().isEmpty)
        let missing = try TestGrammars.parse("int x = 1\n", as: "c")
        #expect(missing.errorNodes().contains { $0.isMissing })
    }

    @Test(
        "edits keep the tree equal to a fresh parse", arguments: ["python", "javascript", "c", "rust", "swift", "go"])
    func incrementalEqualsFresh(languageID: String) throws {
        let language = try TestGrammars.language(languageID)
        let document = try ParsedDocument(text: samplePrograms[languageID]!, language: language)
        let fresh = try Parser(language: language)
        var random = SplitMix64(seed: 0x5eed + UInt64(languageID.utf8.count))
        let alphabet = Array("abc xy(){}[];:=+-\n\t\"'0123456789".utf8)
        for step in 0..<60 {
            let text = document.text
            let start = Int(random.next() % UInt64(text.count + 1))
            let length = Int(random.next() % 6)
            let end = min(text.count, start + (step % 3 == 0 ? 0 : length))
            let inserted = (0..<Int(random.next() % 5)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))]
            }
            document.apply(TextEdit(range: start..<end, replacement: inserted))
            let expected = fresh.parse(document.text)
            #expect(
                document.tree.sExpression == expected.sExpression,
                "\(languageID) step \(step): edit \(start)..<\(end) → \(String(decoding: inserted, as: UTF8.self))")
            #expect(document.text == TextEdit(range: start..<end, replacement: inserted).applied(to: text))
        }
    }

    @Test("several edits in one change apply in order, like LSP contentChanges")
    func sequentialEdits() throws {
        let document = try ParsedDocument(text: "x = 1\n", language: TestGrammars.language("python"))
        let before = document.tree
        #expect(document.version == nil)
        document.apply(
            [TextEdit(range: 4..<5, replacement: "2"), TextEdit(range: 6..<6, replacement: "y = x\n")],
            version: 7)
        #expect(document.version == 7)
        #expect(document.tree.string(in: 0..<document.text.count) == "x = 2\ny = x\n")
        #expect(!document.tree.hasError)
        // The old tree stays valid and unchanged.
        #expect(before.string(in: 0..<before.text.count) == "x = 1\n")
        #expect(before.root.namedChildCount == 1)
    }

    @Test("the parse check accepts edits that add no errors and rejects those that do")
    func parseCheck() throws {
        let marked = MarkedText("def f(items):\n    total = 0\n    ‸\n    return total\n")
        let document = try ParsedDocument(text: marked.bytes, language: TestGrammars.language("python"))
        let good = document.check(replacing: marked.cursor..<marked.cursor, with: "for x in items:\n        total += x")
        #expect(good.introducesNoNewErrors)
        #expect(good.errorsBefore == 0 && good.errorsAfter == 0)
        let bad = document.check(replacing: marked.cursor..<marked.cursor, with: "for x in items total += (x")
        #expect(!bad.introducesNoNewErrors)
        #expect(bad.errorsAfter > 0)
        // The document itself is untouched by checks.
        #expect(document.text == marked.bytes)

        // Completing text that is already broken is acceptable when it fixes or keeps the errors.
        let typing = MarkedText("int main(void) {\n    int x = compute(‸\n}\n")
        let c = try ParsedDocument(text: typing.bytes, language: TestGrammars.language("c"))
        #expect(c.tree.hasError)
        let fix = c.check(replacing: typing.cursor..<typing.cursor, with: "1, 2);")
        #expect(fix.introducesNoNewErrors)
        #expect(fix.errorsAfter == 0)
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
