import Engine
import Foundation
import Syntax
import Testing
@testable import Features

/// Statements the model judges redundant: which statements are asked about, and how the answer is read.
@Suite struct ModelDeletionTests {
    static let source = """
        def total(items):
            acc = 0
            acc = acc
            # a comment is never a candidate
            for item in items:
                acc = acc + item
            return acc


        def single():
            return 1

        """

    static func tree() throws -> SyntaxTree {
        try Parser(language: ActionFixtures.registry.load(id: "python").get()).parse(source)
    }

    static func offset(of text: String) -> Int {
        Array(source.utf8).firstRange(of: Array(text.utf8))!.lowerBound
    }

    @Test func candidatesAreTheShortStatementsOfTheBlockNearestFirst() throws {
        let tree = try Self.tree()
        let names = ModelDeletionSuggester.candidates(
            in: tree, at: Self.offset(of: "acc = acc\n"), maxLines: 3, limit: 8
        )
        .map { $0.text.split(separator: "\n").first.map(String.init) ?? "" }
        // The `for` statement spans two lines (within the limit); the comment is left out.
        #expect(names == ["acc = acc", "acc = 0", "for item in items:", "return acc"])
        let short = ModelDeletionSuggester.candidates(
            in: tree, at: Self.offset(of: "acc = acc\n"), maxLines: 1, limit: 2)
        #expect(short.map(\.text) == ["acc = acc", "acc = 0"])
        // The only statement of a block is never offered: deleting it leaves an empty block.
        #expect(
            ModelDeletionSuggester.candidates(in: tree, at: Self.offset(of: "return 1"), maxLines: 3, limit: 8).isEmpty)
    }

    @Test func probabilityLeavesTheMaskTokenOut() {
        let logits: [Float] = [2, 50, 2, 0]  // token 1 is the mask
        let p = ModelDeletionSuggester.probability(of: 0, in: logits, excluding: 1)
        #expect(abs(p - exp(2) / (2 * exp(2) + 1)) < 1e-6)
    }

    /// With the default model and no threshold every candidate is scored once, and the results are well formed:
    /// probabilities, order, and deletions of whole lines. (What the model thinks is not asserted.)
    @Test func everyCandidateIsScoredAndDeletesWholeLines() throws {
        let engine = try ActionFixtures.engine.get()
        var suggester = try ModelDeletionSuggester(engine: engine)
        suggester.threshold = 0
        let tree = try Self.tree()
        let found = try suggester.suggest(in: tree, path: "pkg/total.py", at: Self.offset(of: "acc = acc\n"))
        #expect(found.count == 4)
        #expect(found.allSatisfy { $0.probabilityEmpty >= 0 && $0.probabilityEmpty <= 1 })
        #expect(zip(found, found.dropFirst()).allSatisfy { $0.probabilityEmpty >= $1.probabilityEmpty })
        let duplicate = try #require(
            found.first { $0.range == Self.offset(of: "acc = acc\n")..<(Self.offset(of: "acc = acc\n") + 9) })
        #expect(
            ByteRangeEdit.apply([duplicate.edit], to: Array(Self.source.utf8))
                == Array(Self.source.replacingOccurrences(of: "    acc = acc\n", with: "").utf8))
        #expect(duplicate.title.hasPrefix("Remove `acc = acc` (the model expects nothing there: "))
    }
}
