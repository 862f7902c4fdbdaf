import Foundation
import TestSupport
import Testing
@testable import Features

@Suite("Fills that repeat one unit over and over are never offered")
struct DegenerateRepetitionTests {
    /// Fills the default model produced for held-out single-line holes (`dlsp bench infill --json`), all wrong.
    @Test(arguments: [
        "return__________",
        "# the the the the the the the the......",
        "if not not not not a:",
        "#  #  #  #  #  #  #  #  #      #  #  #  0x00",
        "return.((((((((((",
        "# PUT_H_000_000_000_000_000_000_000_000",
        "self.check(self, self.to_to_to_to_to(x))",
        ",,,,,,,",
        "/// -::::::::  x y x y x y x y",
        "let a = 1\nreturn self.x.x.x.x.x",
    ])
    func modelNoiseIsCaught(fill: String) {
        #expect(FillPostProcessor.degenerateRepetition(fill) != nil, "\(fill)")
    }

    /// Real lines with repetition in them (from the Python standard library, C headers and Swift sources).
    @Test(arguments: [
        "0, 0, 0, 0, 0);",
        "X509V3_set_ctx(ctx, NULL, NULL, NULL, NULL, X509V3_CTX_TEST)",
        "if length != (len(decompressed) & 0xffffffff):",
        "#define TRIG_INVALID\t0x00000000",
        "# ------------------------------------------------------------------",
        "print(\"=\" * 40)",
        "\"\"\"",
        "self.childNodes[0].writexml(writer, '', '', '')",
        "return f(g(h(i(x))))",
        "#define NF_QUEUE_NR(x) ((((x) << 16) & NF_VERDICT_QMASK) | NF_QUEUE)",
        "}\n        }\n    }\n}",
        "x = 1_000_000_000",
        "let separator = \"————————\"",
        "var matrix = [[0, 0], [0, 0], [0, 0], [0, 0]]",
    ])
    func realCodeIsLetThrough(line: String) {
        #expect(FillPostProcessor.degenerateRepetition(line) == nil, "\(line)")
    }

    @Test("the completion path drops such a fill and offers the next attempt's")
    func completionDropsIt() throws {
        let backend = ScriptedBackend(fills: [
            scored([("return", 0.6), ("__________", 0.6)]),
            scored([("total", 0.6), (" + x", 0.6)]),
        ])
        var lines: [String] = []
        let suggestions = try CompletionCheck.complete(
            ConfidenceFloorTests.marked, backend: backend, invoked: true,
            count: 2, trace: { lines.append($0.description) })
        #expect(suggestions.map(\.text) == ["total + x"])
        #expect(lines.contains { $0.contains("\"_\" repeated") })
    }
}
