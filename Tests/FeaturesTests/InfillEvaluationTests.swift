import Engine
import Foundation
import Syntax
import Testing
@testable import Features

/// The held-out evaluation's scoring, with a scripted backend so that every answer is known.
@Suite struct InfillEvaluationTests {
    static func evaluation(_ outputs: [String]) -> InfillEvaluation {
        InfillEvaluation(service: CompletionService(backend: ScriptedBackend(outputs: outputs)),
                         context: PlainTextContext(), registry: ActionFixtures.registry)
    }

    @Test func singleLineExactMatchAndBaseline() throws {
        let hole = EvaluationHole(language: "python", path: "m.py", prefix: "x = 1\ny = 2\n    ",
                                  middle: "y = 2", suffix: "\nprint(x)\n", kind: "line")
        var figures: [String: InfillEvaluation.Figures] = [:]
        // Right, then wrong, then nothing at all.
        let evaluation = Self.evaluation(["y = 2\n", "z = 3", ""])
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        let f = try #require(figures["python"])
        #expect(f.lineHoles == 3 && f.lineExact == 1 && f.lineAnswered == 2)
        #expect(f.lineExactPreviousLine == 3)   // the previous line is the middle here
        #expect(f.milliseconds.count == 3)
    }

    @Test func multiLineHolesCountOnlyFilesThatParse() throws {
        let hole = EvaluationHole(language: "python", path: "m.py", prefix: "def f(a):\n    return a\n\nx = 1 + ",
                                  middle: "(2 +\n     3)", suffix: "\n", kind: "block")
        var figures: [String: InfillEvaluation.Figures] = [:]
        let evaluation = Self.evaluation(["[1, 2]", "f((1) +", ""])
        for _ in 0..<3 { try evaluation.score(hole, into: &figures) }
        // A file that does not parse even with its own middle is not counted.
        let broken = EvaluationHole(language: "python", path: "m.py", prefix: "def f(a:\n    ", middle: "pass",
                                    suffix: "\n", kind: "block")
        try evaluation.score(broken, into: &figures)
        let f = try #require(figures["python"])
        #expect(f.blockHoles == 3)
        #expect(f.blockParses == 1)              // `f((1) +` leaves a parenthesis and an operator open
        #expect(f.blockParsesEmpty == 0)         // `x = 1 + ` with nothing after it does not parse
        #expect(f.blockAnswered == 2)
        #expect(f.blockAnsweredEmptyParses == 0)
        #expect(f.answeredBlockParseShare == 0.5)
    }

    @Test func previousLineSkipsBlankLines() {
        #expect(InfillEvaluation.previousLine("a = 1\n\n   \n    ") == "a = 1")
        #expect(InfillEvaluation.previousLine("") == "")
    }
}
