import Engine
import Foundation
import Syntax
import TestSupport
import Testing
@testable import Features

/// The held-out evaluation's scoring, with a scripted backend so that every answer is known.
@Suite struct InfillEvaluationTests {
    static func evaluation(_ outputs: [String]) -> InfillEvaluation {
        InfillEvaluation(
            service: CompletionService(backend: ScriptedBackend(answers: outputs)),
            context: PlainTextContext(), registry: ActionFixtures.registry)
    }

    @Test("right identifiers: the same names in the same order, reserved words, spacing and literals aside")
    func identifiersCompareNames() {
        func names(_ line: String) -> [String] { InfillEvaluation.identifiers(in: line, languageID: "python") }
        #expect(names("return self.attrs[0] + 1") == ["self", "attrs"])
        #expect(names("if größe is None:") == ["größe"])
        #expect(names("x=f( y ,'a')") == names("x = f(y, 'a')"))
        #expect(names("x = f(y)") != names("x = f(z)"))
        #expect(names("get_handlers()") != names("set_handlers()"))
    }

    @Test func singleLineExactMatchAndBaseline() throws {
        let hole = EvaluationHole(
            language: "python", path: "m.py", prefix: "x = 1\ny = 2\n    ",
            middle: "y = 2", suffix: "\nprint(x)\n", kind: "line")
        var figures: [String: InfillEvaluation.Figures] = [:]
        // Right, then wrong, then nothing at all.
        let evaluation = Self.evaluation(["y = 2\n", "z = 3", ""])
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        let f = try #require(figures["python"])
        #expect(f.lineHoles == 3 && f.lineExact == 1 && f.lineAnswered == 2)
        #expect(f.lineExactPreviousLine == 3)  // the previous line is the middle here
        #expect(f.milliseconds.count == 3)
        // Unscored fills are never held back, so typing would offer both answers at the server's floors.
        #expect(f.lineOutcomes.atServerFloors() == (offered: 2, right: 1))
        // `y = 2` is also the line before the hole; `z = 3` is no line of the file.
        #expect(f.lineOutcomes.map(\.copiesLineOfFile) == [true, false])
    }

    @Test func serverFloorsMarkWhatTypingWouldNotOffer() throws {
        let hole = EvaluationHole(
            language: "python", path: "m.py", prefix: "x = 1\n", middle: "y = 2",
            suffix: "\nprint(x)\n", kind: "line")
        let backend = ScriptedBackend(fills: [
            scored([("y = 2", 0.99)]), scored([("y = 2", 0.3)]),
            scored([("#", 0.99)]),
        ])
        var evaluation = InfillEvaluation(
            service: CompletionService(backend: backend), context: PlainTextContext(),
            registry: ActionFixtures.registry)
        evaluation.settings.offer.minConfidence = 0.5
        evaluation.settings.offer.minConfidenceByLanguage = [:]
        var figures: [String: InfillEvaluation.Figures] = [:]
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        let outcomes = try #require(figures["python"]).lineOutcomes
        // Sure and right; unsure (asked for, it is still counted for exact match); a bare marker.
        #expect(outcomes.map(\.offeredAtServerFloors) == [true, false, false])
        #expect(outcomes.map(\.correct) == [true, true, false])
        #expect(outcomes.atServerFloors() == (offered: 1, right: 1))
    }

    @Test func severalSuggestionsCountTheLineAmongThemButJudgeTheFirst() throws {
        let hole = EvaluationHole(
            language: "python", path: "m.py", prefix: "x = 1\n", middle: "y = 2",
            suffix: "\nprint(x)\n", kind: "line")
        // First hole: wrong, then right second. Second hole: right first. Third: wrong, wrong, the same again.
        var evaluation = Self.evaluation([
            "z = 3", "y = 2", "w = 4", "y = 2", "q = 0", "r = 1",
            "v = 5", "v = 5", "u = 6",
        ])
        evaluation.suggestionsPerHole = 3
        var figures: [String: InfillEvaluation.Figures] = [:]
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        let f = try #require(figures["python"])
        #expect(f.lineExact == 1)
        #expect(f.lineRightAmongSuggestions == 2)
        #expect(f.lineOutcomes.map(\.suggested) == ["z = 3", "y = 2", "v = 5"])
        #expect(f.lineOutcomes[0].alternatives.map(\.suggested) == ["y = 2", "w = 4"])
        #expect(f.lineOutcomes[0].alternatives.map(\.correct) == [true, false])
        // A repeated fill is offered once, so the third hole has two suggestions.
        #expect(f.lineOutcomes[2].alternatives.map(\.suggested) == ["u = 6"])
        // Block holes still ask for one.
        let block = EvaluationHole(
            language: "python", path: "m.py", prefix: "x = 1\n", middle: "y = 2\nz = 3",
            suffix: "\n", kind: "block")
        let scripted = ScriptedBackend(answers: ["y = 2\nz = 3", "never asked"])
        var blocks = InfillEvaluation(
            service: CompletionService(backend: scripted), context: PlainTextContext(),
            registry: ActionFixtures.registry)
        blocks.suggestionsPerHole = 3
        try blocks.score(block, into: &figures)
        #expect(scripted.remaining.map(\.text) == ["never asked"])
    }

    @Test func multiLineHolesCountOnlyFilesThatParse() throws {
        let hole = EvaluationHole(
            language: "python", path: "m.py", prefix: "def f(a):\n    return a\n\nx = 1 + ",
            middle: "(2 +\n     3)", suffix: "\n", kind: "block")
        var figures: [String: InfillEvaluation.Figures] = [:]
        let evaluation = Self.evaluation(["[1, 2]", "f((1) +", ""])
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        // A file that does not parse even with its own middle is not counted.
        let broken = EvaluationHole(
            language: "python", path: "m.py", prefix: "def f(a:\n    ", middle: "pass",
            suffix: "\n", kind: "block")
        try evaluation.score(broken, into: &figures)
        let f = try #require(figures["python"])
        #expect(f.blockHoles == 3)
        #expect(f.blockParses == 1)  // `f((1) +` leaves a parenthesis and an operator open
        #expect(f.blockParsesEmpty == 0)  // `x = 1 + ` with nothing after it does not parse
        #expect(f.blockAnswered == 2)
        #expect(f.blockAnsweredEmptyParses == 0)
        #expect(f.answeredBlockParseShare == 0.5)
    }

    @Test func previousLineSkipsBlankLines() {
        #expect(InfillEvaluation.previousLine("a = 1\n\n   \n    ") == "a = 1")
        #expect(InfillEvaluation.previousLine("") == "")
    }

    /// A hole naming its repository is completed with that repository's definitions as snippets, and nothing of its
    /// own line reaches the context through the index.
    @Test func workspaceHolesGetSnippetsOfOtherFilesButNotTheirOwnLine() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("eval-ws-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let repository = root.appendingPathComponent("repos/shapes")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try "def area_of_circle(radius):\n    return 3.14159 * radius * radius\n"
            .write(to: repository.appendingPathComponent("geometry.py"), atomically: true, encoding: .utf8)
        let main =
            "from geometry import area_of_circle\n\ndef report(r):\n    a = area_of_circle(r)\n    return a\n\n"
            + "def secret_helper():\n    return 42\n"
        try main.write(to: repository.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        try "def use():\n    return secret_helper()\n"
            .write(to: repository.appendingPathComponent("use.py"), atomically: true, encoding: .utf8)
        let line = "    a = area_of_circle(r)\n"
        let cut = main.range(of: line)!
        let hole = EvaluationHole(
            language: "python", path: "main.py",
            prefix: String(main[..<cut.lowerBound]) + "    ", middle: "a = area_of_circle(r)",
            suffix: "\n" + String(main[cut.upperBound...]), kind: "line",
            workspace: "repos/shapes")
        let workspaces = EvaluationWorkspaces(registry: ActionFixtures.registry, relativeTo: root)
        #expect(
            try workspaces.context(
                for: EvaluationHole(
                    language: "python", path: "m.py", prefix: "", middle: "x",
                    suffix: "", kind: "line")) == nil)
        func snippets(_ hole: EvaluationHole) throws -> [InfillContext.Snippet] {
            let context = try #require(try workspaces.context(for: hole))
            let request = CompletionRequest(
                uri: "file:///eval/\(hole.path)", path: hole.path, languageID: "python",
                text: Array((hole.prefix + hole.suffix).utf8),
                cursor: hole.prefix.utf8.count, invoked: true)
            return context.prepare(
                request: request, holeStart: request.cursor, settings: CompletionSettings(),
                tokenizer: nil, maskTokenID: nil
            ).0.snippets
        }
        let found = try snippets(hole)
        #expect(found.contains { $0.path == "geometry.py" && $0.text.contains("def area_of_circle(radius)") })
        #expect(workspaces.count == 1)
        // A file calling `secret_helper` gets its definition as a snippet, until the hole is that definition.
        let use = EvaluationHole(
            language: "python", path: "use.py", prefix: "def use():\n    x = secret_helper()\n    return ",
            middle: "x", suffix: "\n", kind: "line", workspace: "repos/shapes")
        #expect(try snippets(use).contains { $0.path == "main.py" && $0.text.contains("def secret_helper") })
        let definition = "def secret_helper():\n    return 42\n"
        let secret = EvaluationHole(
            language: "python", path: "main.py",
            prefix: main.replacingOccurrences(of: definition, with: ""),
            middle: definition, suffix: "", kind: "block", workspace: "repos/shapes")
        _ = try snippets(secret)
        #expect(try snippets(use).allSatisfy { !$0.text.contains("secret_helper") })
        #expect(throws: EvaluationWorkspaces.MissingWorkspace.self) {
            try workspaces.context(
                for: EvaluationHole(
                    language: "python", path: "m.py", prefix: "", middle: "x",
                    suffix: "", kind: "line", workspace: "repos/none"))
        }
    }
}
