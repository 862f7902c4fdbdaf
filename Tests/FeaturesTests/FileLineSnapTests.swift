import Foundation
import TestSupport
import Testing
@testable import Features

@Suite("A single-line fill that nearly is a line of the file is offered as that line")
struct FileLineSnapTests {
    /// `snap` for a cursor at the end of `before` (the text up to the cursor), `after` following it.
    static func snap(
        _ fill: String, typed: String = "", in before: String, _ after: String = "\n",
        maxDistance: Double = 0.3, comparisonBudget: Int = 2_000_000
    ) -> String? {
        let text = Array((before + after).utf8)
        let lines = DocumentLines(text: text, cursor: before.utf8.count)
        let holeStart = before.utf8.count - typed.utf8.count
        var snapper = FileLineSnap(maxDistance: maxDistance)
        snapper.comparisonBudget = comparisonBudget
        return snapper.snap(
            fill, before: lines.linePrefix(upTo: holeStart), after: lines.lineSuffix(from: before.utf8.count),
            typed: typed, lines: lines)
    }

    @Test("the distance is the share of both strings outside their longest common subsequence")
    func distance() {
        func d(_ a: String, _ b: String) -> Double { FileLineSnap.distance(Array(a.utf8)[...], Array(b.utf8)[...]) }
        #expect(d("abc", "abc") == 0)
        #expect(d("abc", "xyz") == 1)
        #expect(d("", "") == 0)
        #expect(abs(d("self.name = nam", "self.name = name") - (1 - 30.0 / 31)) < 1e-9)
        #expect(abs(d("abcd", "acbd") - 0.25) < 1e-9)  // common subsequence "abd" (or "acd"): 2·3 / 8
    }

    @Test("a near miss becomes the file's line; the user's indentation and the line's start stay")
    func nearMiss() {
        let before =
            "class A:\n    def __init__(self, name):\n        self.name = name\n\n"
            + "class B:\n    def __init__(self, name):\n        "
        #expect(Self.snap("self.name = nam", in: before) == "self.name = name")
        // The hole after `self.` only considers lines that begin that way, and replaces only what follows.
        #expect(Self.snap("nam = name", in: before + "self.") == "name = name")
    }

    @Test("a fill far from every line, already a line of the file, or on several lines is left alone")
    func leftAlone() {
        let before = "x = compute(a, b)\ny = "
        #expect(Self.snap("something_else()", in: before) == nil)
        #expect(Self.snap("x = compute(a, b)", in: "x = compute(a, b)\n") == nil)  // the same line, no change
        #expect(Self.snap("compute(a, c)\nz = 1", in: "x = compute(a, b)\nx = ") == nil)
        #expect(Self.snap("compute(a, c)", in: before, maxDistance: 0) == nil)
        // `y = compute(a, c)` only fits lines that begin `y = `: the file has none besides the cursor's own.
        #expect(Self.snap("compute(a, c)", in: before) == nil)
    }

    @Test("the line must end with what follows the cursor and begin with the typed word")
    func fitsTheLine() {
        let before = "print(total, count)\nprint(totals, counts)\nprint("
        // With `)` after the cursor, the middle of `print(total, count)` is `total, count`.
        #expect(Self.snap("total, coun", in: before, ")\n") == "total, count")
        // Typed `tot`: only middles that start with it are candidates.
        #expect(Self.snap("totl, count", typed: "tot", in: before + "tot", ")\n") == "total, count")
        #expect(Self.snap("xs, count", typed: "xs", in: before + "xs", ")\n") == nil)
    }

    @Test("equally close lines: the nearest to the cursor wins")
    func nearestWins() {
        let before = "a = f(x1)\n\n\n\na = f(x2)\na = "
        #expect(Self.snap("f(x3)", in: before) == "f(x2)")
    }

    @Test("in a long file the lines nearest the cursor are compared first, within a budget")
    func budget() {
        // `g(y1)` is closer to the fill than `h(y22)`, but farther from the cursor.
        let before = "a = g(y1)\n\n\na = h(y22)\na = "
        #expect(Self.snap("g(y2)", in: before) == "g(y1)")
        #expect(Self.snap("g(y2)", in: before, comparisonBudget: 5 * 6) == "h(y22)")
        // An exact copy anywhere in the file is found whatever the budget: nothing to snap.
        #expect(Self.snap("g(y1)", in: before, comparisonBudget: 0) == nil)
    }

    @Test("the service offers the snapped line with the model's confidence, held to the floor of the model's own line")
    func throughTheService() throws {
        let before = "def f(xs):\n    total = sum(xs)\n    return total\n\ndef g(xs):\n    total = "
        func complete(_ fill: String, confidence: Float, invoked: Bool, distance: Float = 0.3) throws -> [Suggestion] {
            var settings = CompletionCheck.settings
            settings.offer.fileLineSnapDistance = distance
            // The two typing floors the snapped line is weighed between: lines of the file, and new lines.
            settings.offer.minConfidence = 0.7
            settings.offer.newLineMinConfidence = 0.94
            let backend = ScriptedBackend(fills: [scored([(fill, confidence)])])
            return try CompletionCheck.complete(
                before + "‸\n", backend: backend, settings: settings, invoked: invoked)
        }
        let asked = try complete("sums(xs)", confidence: 0.8, invoked: true)
        #expect(asked.map(\.text) == ["sum(xs)"])
        #expect(asked.first?.snappedFrom == "sums(xs)")
        #expect(asked.first?.confidence == 0.8)
        #expect(try complete("sums(xs)", confidence: 0.8, invoked: true, distance: 0).map(\.text) == ["sums(xs)"])
        // While typing, a snapped line is held to the new-line floor (0.94), as the model's own line would be,
        // not to the floor for lines of the file (0.7).
        #expect(try complete("sums(xs)", confidence: 0.8, invoked: false).isEmpty)
        #expect(try complete("sums(xs)", confidence: 0.96, invoked: false).map(\.text) == ["sum(xs)"])
        #expect(try complete("sum(xs)", confidence: 0.8, invoked: false).map(\.text) == ["sum(xs)"])
    }
}
