import Foundation
@testable import Syntax
import TestSupport
import Testing

@Suite("Context builder")
struct ContextTests {
    static func pythonBuilder() throws -> ContextBuilder {
        ContextBuilder(registry: TestGrammars.registry, index: try IndexTests.pythonIndex())
    }

    @Test("the canvas follows ARCHITECTURE.md: related files first, then the current file with the masked hole")
    func canvasFormat() {
        let context = CompletionContext(
            path: "src/b.py", prefix: "x = ", suffix: "\nprint(x)\n",
            snippets: [ContextSnippet(path: "src/a.py", text: "def f():\n    pass", symbols: ["f"], score: 1)],
            hole: HoleDescription(
                kind: .restOfLine, suggestedTokens: 8, maxTokens: 16, stops: [.endOfLine],
                lineSuffix: "", indentation: ""),
            languageID: "python", prefixStart: 0, suffixEnd: 14)
        #expect(
            context.canvas(maskCount: 3)
                == "<|file_sep|>src/a.py\ndef f():\n    pass\n"
                + "<|file_sep|>src/b.py\nx = <|mask|><|mask|><|mask|>\nprint(x)\n"
        )
    }

    @Test("snippets come from the definitions used near the cursor, with workspace-relative paths")
    func snippetsFromOtherFiles() throws {
        let marked = MarkedText(
            """
            from app.models import User, make_user
            from app.util import slugify


            def register(name, email):
                user = make_user(name, email)
                ‸
            """)
        let context = try Self.pythonBuilder().build(
            ContextRequest(path: "app/service.py", text: marked.bytes, cursor: marked.cursor))
        let paths = context.snippets.map(\.path)
        #expect(paths.contains("app/models.py"))
        let models = try #require(context.snippets.first { $0.path == "app/models.py" })
        #expect(models.text.contains("def make_user(name, email):"))
        #expect(models.symbols.contains("make_user"))
        // The most relevant block is last, next to the current file.
        #expect(context.snippets.last?.path == "app/models.py")
        // Nothing from the current file or unrelated files.
        #expect(!paths.contains("app/service.py"))
        #expect(!paths.contains("app/keep_gen.py"))
        #expect(context.prefix == marked.text.prefix(marked.cursor).description)
        #expect(context.suffix == "")
        #expect(
            context.canvas(maskCount: 2).hasSuffix("<|file_sep|>app/service.py\n" + context.prefix + "<|mask|><|mask|>")
        )
    }

    @Test("snippets respect the budget and leave the prefix intact")
    func snippetBudget() throws {
        let marked = MarkedText("from app.models import User\n\nu = User('a', 'b')\nu.‸\n")
        let budget = ContextBudget(totalTokens: 60, prefixShare: 0.4, suffixShare: 0.2)
        let context = try Self.pythonBuilder().build(
            ContextRequest(path: "app/x.py", text: marked.bytes, cursor: marked.cursor, budget: budget))
        let snippetTokens = context.snippets.reduce(0) { $0 + TokenCounter.estimate.count($1.text) }
        #expect(snippetTokens <= 24)
        #expect(context.prefix == "from app.models import User\n\nu = User('a', 'b')\nu.")
    }

    @Test("a long file is cut at line boundaries near the hole and keeps the enclosing headers")
    func prefixSuffixCut() throws {
        var lines = ["class Ledger:", "    def total(self, entries):", "        result = 0"]
        for index in 0..<200 { lines.append("        result += entries[\(index)]") }
        lines.append("        ‸")
        for index in 0..<200 { lines.append("        result -= entries[\(index)]") }
        lines.append("        return result")
        let marked = MarkedText(lines.joined(separator: "\n") + "\n")
        let budget = ContextBudget(totalTokens: 400, prefixShare: 0.6, suffixShare: 0.2)
        let context = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "ledger.py", text: marked.bytes, cursor: marked.cursor, budget: budget))
        #expect(context.prefix.hasPrefix("class Ledger:\n    def total(self, entries):\n        result += entries["))
        #expect(context.prefix.hasSuffix("result += entries[199]\n        "))
        #expect(context.suffix.hasPrefix("\n        result -= entries[0]\n"))
        #expect(!context.suffix.hasSuffix("\n"))  // cut at a line end, not mid-line
        #expect(context.prefixStart > 0 && context.suffixEnd < marked.bytes.count)
        #expect(marked.text.hasSuffix(context.suffix) == false)
        let counter = TokenCounter.estimate
        #expect(counter.count(context.prefix) <= 240 + 80)
        #expect(counter.count(context.suffix) <= 80)
        // The kept prefix is contiguous text that ends exactly at the cursor.
        let kept = marked.bytes.string(context.prefixStart..<marked.cursor)
        #expect(context.prefix.hasSuffix(kept))
        #expect(marked.bytes.string(marked.cursor..<context.suffixEnd) == context.suffix)
    }

    @Test("a cut prefix starts at a statement, not inside a multi-line call")
    func prefixStartsAtStatement() throws {
        let marked = MarkedText(
            "def f():\n    value = compute(\n        1,\n        2,\n        3,\n    )\n    other = 1\n    ‸\n")
        // One token per line keeps the arithmetic of the cut readable.
        let lines = TokenCounter { text in text.utf8.filter { $0 == UInt8(ascii: "\n") }.count }
        let budget = ContextBudget(totalTokens: 4, prefixShare: 1, suffixShare: 0, tokenCounter: lines)
        let context = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.py", text: marked.bytes, cursor: marked.cursor, budget: budget))
        // Lines alone would start at "        3,"; the cut moves on to the next statement.
        #expect(context.prefix == "def f():\n    other = 1\n    ")
    }

    @Test(
        "hole kinds",
        arguments: [
            ("python", "x = compute(‸)\n", HoleDescription.Kind.argumentList),
            ("python", "total = ‸\n", .restOfLine),
            ("python", "if a‸ and b:\n    pass\n", .expression),
            ("python", "def f(x):\n    y = 1\n    ‸\n    return y\n", .statement),
            ("python", "def f(x):\n    ‸\n\ndef g():\n    pass\n", .blockBody),
            ("python", "def f(x):‸\n", .blockBody),
            ("python", "name = \"hel‸lo\"\n", .string),
            ("python", "# todo: ‸\nx = 1\n", .comment),
            ("python", "values = [‸]\n", .afterOpeningBracket),
            ("javascript", "function f() {‸\n}\n", .blockBody),
            ("javascript", "function f() {\n  const a = 1;\n  ‸\n  return a;\n}\n", .statement),
            ("c", "int main(void) {\n    printf(\"%d\", ‸);\n}\n", .argumentList),
            ("go", "func f() {\n\t// explain ‸\n}\n", .comment),
            ("rust", "fn f() -> i32 {\n    let s = \"ab‸c\";\n    1\n}\n", .string),
            ("python", "x = ‸old_value‸\n", .selection),
            ("swift", "func f() -> Int {\n    let a = compute(‸)\n    return a\n}\n", .argumentList),
            ("swift", "let greeting = \"hel‸lo\"\n", .string),
            ("java", "class A {\n  void f() {‸\n  }\n}\n", .blockBody),
            ("cpp", "int f() {\n    // note ‸\n    return 1;\n}\n", .comment),
            ("typescript", "const s: string = `hi ${name} ‸`;\n", .string),
            ("go", "func f() {\n\tx := 1\n\t‸\n\treturn\n}\n", .statement),
            ("rust", "fn f(v: Vec<i32>) -> usize {\n    v.iter().filter(|x| **x > 0‸).count()\n}\n", .argumentList),
            ("rust", "fn f(x: i32) -> i32 {\n    let y = x‸ + 1;\n    y\n}\n", .expression),
        ])
    func holeKinds(languageID: String, marked: String, expected: HoleDescription.Kind) throws {
        _ = try TestGrammars.language(languageID)
        let text = MarkedText(marked)
        let hole = text.cursor..<(text.selectionEnd ?? text.cursor)
        let context = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "f", text: text.bytes, languageID: languageID, hole: hole))
        #expect(context.hole.kind == expected, "\(marked)")
        #expect(context.hole.suggestedTokens > 0 && context.hole.suggestedTokens <= context.hole.maxTokens)
        #expect(
            context.prefix + context.suffix == text.bytes.string(0..<hole.lowerBound)
                + text.bytes.string(hole.upperBound..<text.bytes.count))
    }

    @Test("the rest of a line is sized from the lines around it")
    func restOfLineLength() throws {
        let body = (0..<10).map { "    result_\($0) = compute_something_long(argument_one, argument_two, \($0))" }
            .joined(separator: "\n")
        let builder = ContextBuilder(registry: TestGrammars.registry, index: nil)
        let early = MarkedText("def f():\n" + body + "\n    x = ‸\n")
        let late = MarkedText(
            "def f():\n" + body + "\n    x = compute_something_long(argument_one, argument_two, ‸\n")
        let short = builder.build(ContextRequest(path: "a.py", text: early.bytes, cursor: early.cursor)).hole
        let nearlyDone = builder.build(ContextRequest(path: "a.py", text: late.bytes, cursor: late.cursor)).hole
        #expect(short.kind == .restOfLine)
        #expect(short.suggestedTokens > nearlyDone.suggestedTokens)
        #expect(short.suggestedTokens >= 20)
    }

    @Test("single-line holes stop at the newline and never repeat the text after the cursor")
    func trimSingleLine() throws {
        let text = MarkedText("x = compute(‸)\ny = 2\n")
        let hole = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.py", text: text.bytes, cursor: text.cursor)).hole
        #expect(hole.isSingleLine)
        #expect(hole.lineSuffix == ")")
        #expect(hole.trim("a, b)") == "a, b")
        #expect(hole.trim("a, f(b))\ny = 2") == "a, f(b)")
        #expect(hole.trim("a") == "a")
    }

    @Test("block holes stop at the dedent and before the suffix's next line")
    func trimBlock() throws {
        let text = MarkedText("def f(items):\n    ‸\n\ndef g():\n    pass\n")
        let hole = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.py", text: text.bytes, cursor: text.cursor)).hole
        #expect(hole.kind == .blockBody)
        #expect(
            hole.trim("total = 0\n    for x in items:\n        total += x\n    return total\n\ndef g():\n    pass")
                == "total = 0\n    for x in items:\n        total += x\n    return total")
        let braces = MarkedText("function f() {\n  const a = 1;\n  ‸\n  return a;\n}\n")
        let statement = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.js", text: braces.bytes, cursor: braces.cursor)).hole
        #expect(statement.trim("console.log(a);\n  return a;\n}") == "console.log(a);")
    }

    @Test("a branch's body is sized like a statement, a function's like the file's other function bodies")
    func branchBodiesAreShort() throws {
        let longBody = (0..<40).map { "    value_\($0) = compute(\($0), 'a string of some length')\n" }.joined()
        let file =
            (0..<3).map { "def long\($0)():\n" + longBody + "\n" }.joined()
            + "def parse(kind):\n    if kind == 1:\n        return 1\n"
        let builder = ContextBuilder(registry: TestGrammars.registry, index: nil)
        func hole(_ marked: MarkedText) -> HoleDescription {
            builder.build(ContextRequest(path: "a.py", text: marked.bytes, cursor: marked.cursor)).hole
        }
        let function = hole(MarkedText(file + "\ndef other():\n    ‸\n"))
        let branch = hole(MarkedText(file + "    elif kind == 2:\n        ‸\n    return 0\n"))
        let loop = hole(MarkedText(file + "    async for x in kind:‸\n"))
        #expect(function.kind == .blockBody && branch.kind == .blockBody && loop.kind == .blockBody)
        #expect(function.suggestedTokens > 100)
        #expect(branch.suggestedTokens <= 32 && loop.suggestedTokens <= 32)
        for header in [
            "if x:", "    elif y:", "} else {", "  for (i = 0; i < n; i++) {", "guard let x else {",
            "} catch {", "async with lock:", "while true {",
        ] {
            #expect(HoleClassifier.isControlFlowHeader(header), "\(header)")
        }
        for header in ["def iffy():", "func forEach() {", "class Elif:", "int main(void) {", "impl Loop for X {"] {
            #expect(!HoleClassifier.isControlFlowHeader(header), "\(header)")
        }
    }

    @Test("a blank line at column 0 inside a block takes the block's indentation")
    func strippedBlankLine() throws {
        let text = MarkedText("def f(items):\n    total = 0\n‸\n    return total\n")
        let hole = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.py", text: text.bytes, cursor: text.cursor)).hole
        #expect(hole.kind == .statement)
        #expect(hole.indentation == "    ")
        #expect(
            hole.trim("    for x in items:\n        total += x\nprint(total)")
                == "    for x in items:\n        total += x")
        // A body indented with a different step than the file's is still inside the block.
        let braces = MarkedText("function f() {‸\n}\n")
        let body = ContextBuilder(registry: TestGrammars.registry, index: nil)
            .build(ContextRequest(path: "a.js", text: braces.bytes, cursor: braces.cursor)).hole
        #expect(body.kind == .blockBody)
        #expect(body.trim("\n  return 1;\n}\nf();") == "\n  return 1;")
    }

    @Test("files without a grammar get plain-text context and word-based snippets")
    func plainTextFallback() throws {
        let marked = MarkedText("Notes\n\nCall make_user here: ‸\nthen done\n")
        let context = try Self.pythonBuilder().build(
            ContextRequest(path: "notes.txt", text: marked.bytes, cursor: marked.cursor))
        #expect(context.languageID == nil)
        #expect(context.prefix == "Notes\n\nCall make_user here: ")
        #expect(context.suffix == "\nthen done\n")
        #expect(context.hole.kind == .restOfLine)
        #expect(context.snippets.contains { $0.symbols.contains("make_user") })
    }

    @Test(
        "every offset of every sample gives a consistent context and no crash",
        arguments: [
            "python", "swift", "javascript", "typescript", "go", "rust", "c", "cpp", "java", "bash", "ruby", "json",
        ])
    func everyOffset(languageID: String) throws {
        let source = Array(samplePrograms[languageID]!.utf8)
        let tree = try TestGrammars.parse(samplePrograms[languageID]!, as: languageID)
        let builder = ContextBuilder(registry: TestGrammars.registry, index: nil)
        for offset in 0...source.count {
            let context = builder.build(
                ContextRequest(
                    path: "f", text: source, languageID: languageID, cursor: offset,
                    budget: ContextBudget(totalTokens: 40)), tree: tree)
            #expect(Array(context.suffix.utf8) == Array(source[offset..<context.suffixEnd]))
            #expect(context.prefix.utf8.count <= offset + 200)
            _ = ScopeResolver.occurrences(at: offset, in: tree, registry: TestGrammars.registry)
        }
    }

    @Test("the result is deterministic")
    func deterministic() throws {
        let marked = MarkedText("from app.models import User, make_user\nuser = make_user('a', 'b')\nuser.‸\n")
        let builder = try Self.pythonBuilder()
        let request = ContextRequest(path: "app/new.py", text: marked.bytes, cursor: marked.cursor)
        #expect(builder.build(request) == builder.build(request))
    }
}
