import Engine
import Foundation
import TestSupport
import Testing
import Tokenizer
@testable import Features

@Suite("Suggestions carry the model's confidence; unsure ones are held back while typing")
struct ConfidenceFloorTests {
    /// A Python file, the cursor after `total += `.
    static let marked = "total = 0\nfor x in xs:\n    total += ‸\nprint(total)\n"

    /// The one floor these tests reason about, the as-you-type one; the shipped default is calibrated on held-out
    /// holes and moves with the model.
    static var settings: CompletionSettings {
        var settings = CompletionCheck.settings
        settings.offer.minConfidence = 0.5
        return settings
    }

    /// What the completion path offers at the cursor of `marked` for `backend`'s fills.
    static func complete(
        _ backend: ScriptedBackend, invoked: Bool, count: Int = 1,
        settings: CompletionSettings = Self.settings,
        languageID: String = "python"
    ) throws -> [Suggestion] {
        try CompletionCheck.complete(
            marked, backend: backend, settings: settings, invoked: invoked, count: count,
            languageID: languageID)
    }

    @Test("only the tokens the suggestion shows are scored: the line after it does not count")
    func scoresOnlyShownTokens() throws {
        // The rest-of-line suggestion is `x`; the model's next line (`print(...)`, very unsure) is cut off.
        let fill = scored([("x", 0.9), ("\n", 0.8), ("print", 0.01), ("(y)", 0.02)])
        #expect(fill.confidences(coveringBytes: 1) == [0.9])
        #expect(fill.confidences(coveringBytes: 2) == [0.9, 0.8])
        #expect(fill.confidences(coveringBytes: 3) == [0.9, 0.8, 0.01])
        #expect(ScoredFill(text: "x").confidences(coveringBytes: 1) == nil)
        let suggestions = try Self.complete(ScriptedBackend(fills: [fill]), invoked: false)
        let first = try #require(suggestions.first)
        #expect(first.text == "x")
        #expect(first.tokenConfidences == [0.9])
        #expect(abs((first.confidence ?? 0) - 0.9) < 1e-5)
        #expect(!first.isUnsure)
    }

    @Test("the score is the geometric mean of the shown tokens' probabilities")
    func geometricMean() {
        #expect(SuggestionConfidence.score([]) == nil)
        #expect(abs(SuggestionConfidence.score([0.25, 1.0])! - 0.5) < 1e-6)
        #expect(abs(SuggestionConfidence.score([0.5, 0.5, 0.5])! - 0.5) < 1e-6)
    }

    @Test("while typing an unsure suggestion is dropped; asked for, it is shown and marked unsure")
    func floorDependsOnInvocation() throws {
        let unsure = scored([("x", 0.3), (" + 1", 0.4)])
        #expect(try Self.complete(ScriptedBackend(fills: [unsure]), invoked: false).isEmpty)
        let shown = try Self.complete(ScriptedBackend(fills: [unsure]), invoked: true)
        let first = try #require(shown.first)
        #expect(first.text == "x + 1" && first.isUnsure)
        // The floors are settings.
        var settings = CompletionCheck.settings
        settings.offer.minConfidence = 0.2
        let relaxed = try Self.complete(ScriptedBackend(fills: [unsure]), invoked: false, settings: settings)
        #expect(relaxed.first?.isUnsure == false)
        settings.offer.invokedMinConfidence = 0.5
        settings.offer.minConfidence = 0.9
        #expect(try Self.complete(ScriptedBackend(fills: [unsure]), invoked: true, settings: settings).isEmpty)
    }

    @Test("a language with its own floor uses it while typing; the others keep minConfidence")
    func perLanguageFloor() throws {
        var settings = CompletionCheck.settings
        settings.offer.minConfidence = 0.9
        settings.offer.minConfidenceByLanguage = ["javascript": 0.6]
        #expect(settings.offer.minConfidence(forLanguage: "javascript") == 0.6)
        #expect(settings.offer.minConfidence(forLanguage: "python") == 0.9)
        func fill() -> ScriptedBackend { ScriptedBackend(fills: [scored([("x", 0.7)])]) }
        let offered = try #require(
            try Self.complete(
                fill(), invoked: false, settings: settings,
                languageID: "javascript"
            ).first)
        #expect(offered.text == "x" && !offered.isUnsure)
        #expect(try Self.complete(fill(), invoked: false, settings: settings).isEmpty)
        // An explicit request shows it, marked unsure against its own language's floor.
        let shown = try Self.complete(fill(), invoked: true, settings: settings)
        #expect(shown.first?.isUnsure == true)
    }

    /// What typing offers in a Python file reading `before` + `after`, the cursor between them, for one fill.
    static func typing(
        _ before: String, _ after: String, fill: ScoredFill,
        settings: CompletionSettings
    ) throws -> [Suggestion] {
        try CompletionCheck.complete(
            before + "‸" + after, backend: ScriptedBackend(fills: [fill]),
            settings: settings)
    }

    @Test("a line the file does not have is held to newLineMinConfidence, wherever the cursor is")
    func newLineFloor() throws {
        var settings = CompletionCheck.settings
        settings.offer.minConfidence = 0.7
        settings.offer.minConfidenceByLanguage = ["javascript": 0.5]
        settings.offer.newLineMinConfidence = 0.9
        #expect(settings.offer.minConfidence(forLanguage: "python", copiesLineOfFile: true) == 0.7)
        #expect(settings.offer.minConfidence(forLanguage: "python", copiesLineOfFile: false) == 0.9)
        #expect(settings.offer.minConfidence(forLanguage: "javascript", copiesLineOfFile: true) == 0.5)
        #expect(settings.offer.minConfidence(forLanguage: "javascript", copiesLineOfFile: false) == 0.9)
        func offered(_ before: String, _ after: String, fill: String, confidence: Float = 0.8) throws -> [String] {
            try Self.typing(before, after, fill: scored([(fill, confidence)]), settings: settings).map(\.text)
        }
        let other = "def f(xs):\n    total = sum(xs)\n    return total\n\n"
        // A whole line (only indentation before the cursor): `    total = sum(xs)` is a line of the file, offered
        // at 0.8 above the floor of 0.7 this test sets; a new line as sure is held back, and offered above 0.9.
        let start = other + "def g(xs):\n    "
        #expect(try offered(start, "\n", fill: "total = sum(xs)") == ["total = sum(xs)"])
        #expect(try offered(start, "\n", fill: "total = max(xs)").isEmpty)
        #expect(try offered(start, "\n", fill: "total = max(xs)", confidence: 0.95) == ["total = max(xs)"])
        // A typed word is still the start of the line.
        #expect(try offered(start + "tot", "\n", fill: "total = sum(xs)") == ["total = sum(xs)"])
        #expect(try offered(start + "tot", "\n", fill: "total = max(xs)").isEmpty)
        // The rest of a line: the same rule.
        let mid = other + "def g(xs):\n    total = "
        #expect(try offered(mid, "\n", fill: "sum(xs)") == ["sum(xs)"])
        #expect(try offered(mid, "\n", fill: "max(xs)").isEmpty)
        // Below the language's own floor a line of the file is held back too.
        settings.offer.minConfidence = 0.85
        #expect(try offered(mid, "\n", fill: "sum(xs)").isEmpty)
        // Asked for, a held-back line is shown, marked unsure.
        let shown = try CompletionCheck.complete(
            start + "‸\n",
            backend: ScriptedBackend(fills: [scored([("total = max(xs)", 0.8)])]),
            settings: settings, invoked: true)
        #expect(shown.map(\.isUnsure) == [true])
    }

    @Test("a completed line is a line of the file when another line reads the same, blanks aside")
    func completesLineOfFile() {
        let text = Array("a = 1\n  b = f(x)  \nb = \n".utf8)
        let lines = DocumentLines(text: text, cursor: text.count - 1)
        #expect(lines.fileHasLine("b = f(x)"))
        #expect(lines.fileHasLine("  a = 1\nnext"))  // its first line
        #expect(!lines.fileHasLine("b = f(y)"))
        #expect(!lines.fileHasLine("b = "))  // the cursor's own line
        #expect(!lines.fileHasLine("   "))
    }

    @Test("asked for several, suggestions that complete the line into one of the file's come first")
    func severalSuggestionsPutCopiesFirst() throws {
        func invoked(_ fills: [String]) throws -> [String] {
            let before = "def f(xs):\n    total = sum(xs)\n    return total\n\ndef g(xs):\n    total = "
            return try CompletionCheck.complete(
                before + "‸\n",
                backend: ScriptedBackend(fills: fills.map { scored([($0, 0.6)]) }),
                invoked: true, count: fills.count
            ).map(\.text)
        }
        // `total = sum(xs)` is a line of the file; the new lines keep their order behind it.
        #expect(try invoked(["max(xs)", "min(xs)", "sum(xs)"]) == ["sum(xs)", "max(xs)", "min(xs)"])
        #expect(try invoked(["max(xs)", "min(xs)"]) == ["max(xs)", "min(xs)"])
    }

    @Test("a backend without confidences is never held back")
    func unscoredIsOffered() throws {
        let suggestions = try Self.complete(ScriptedBackend(fills: [ScoredFill(text: "x")]), invoked: false)
        #expect(suggestions.first?.text == "x")
        #expect(suggestions.first?.confidence == nil && suggestions.first?.isUnsure == false)
    }

    @Test("with three length candidates the surest fill is offered, whatever its length")
    func lengthCandidatesPickTheSurest() throws {
        var settings = CompletionCheck.settings
        settings.hole.lengthCandidates = 3
        let backend = ScriptedBackend(fills: [scored([("y", 0.6)]), scored([("x", 0.95)]), scored([("z", 0.7)])])
        let suggestions = try Self.complete(backend, invoked: false, settings: settings)
        #expect(suggestions.map(\.text) == ["x"])
        let lengths = backend.attempts.map(\.holeTokens)
        #expect(lengths.count == 3 && Set(lengths).count == 3)
        // Asked for several, they come surest first.
        let several = try Self.complete(
            ScriptedBackend(fills: [
                scored([("y", 0.6)]), scored([("x", 0.95)]),
                scored([("z", 0.7)]),
            ]),
            invoked: true, count: 3, settings: settings)
        #expect(several.map(\.text) == ["x", "z", "y"])
    }

    @Test("no attempt's hole takes more than half the canvas")
    func holesLeaveRoomForContext() throws {
        var settings = CompletionCheck.settings
        settings.hole.contextTokens = 64
        settings.hole.lineHoleTokens = 200
        let backend = ScriptedBackend(fills: [scored([("y", 0.6)]), scored([("x", 0.95)]), scored([("z", 0.7)])])
        _ = try Self.complete(backend, invoked: true, count: 3, settings: settings)
        #expect(backend.attempts.map(\.holeTokens) == [32, 32, 32])
    }

    @Test("the precision/coverage curve counts what a floor would offer")
    func curve() {
        let outcomes = [
            ScoredOutcome(tokenConfidences: [0.9], correct: true),
            ScoredOutcome(tokenConfidences: [0.6], correct: false),
            ScoredOutcome(tokenConfidences: [0.3], correct: true),
        ]
        let points = CurvePoint.curve(outcomes, holes: 4, summary: .geometricMean, thresholds: [0, 0.5, 0.95])
        #expect(points.map(\.offered) == [3, 2, 0])
        #expect(points.map(\.coverage) == [0.75, 0.5, 0])
        #expect(abs(points[0].precision - 2.0 / 3.0) < 1e-9 && points[1].precision == 0.5 && points[2].precision == 0)

        // What typing would never offer is not on the curve, at any floor; the holes still count.
        let withBare = outcomes + [ScoredOutcome(tokenConfidences: [0.99], correct: true, offeredWhileTyping: false)]
        #expect(CurvePoint.curve(withBare, holes: 4, summary: .geometricMean, thresholds: [0, 0.5, 0.95]) == points)
    }

    @Test("a bare comment marker is not offered while typing however sure the model is, and is unsure when asked")
    func bareCommentMarker() throws {
        #expect(try Self.complete(ScriptedBackend(fills: [scored([("#", 0.99)])]), invoked: false).isEmpty)
        let asked = try Self.complete(ScriptedBackend(fills: [scored([("#", 0.99)])]), invoked: true)
        #expect(asked.map(\.text) == ["#"] && asked.allSatisfy(\.isUnsure))
        // A comment with words is a suggestion like any other.
        let words = try Self.complete(
            ScriptedBackend(fills: [scored([("# running", 0.99), (" total", 0.99)])]),
            invoked: false)
        #expect(words.map(\.text) == ["# running total"] && !words[0].isUnsure)

        for bare in ["#", "  ///", " *", "/**", "//", "--", " *\n *"] {
            #expect(FillPostProcessor.isBareCommentMarker(bare), "\(bare.debugDescription)")
        }
        // Closing a comment is structure; a marker with words, or code, is content.
        for content in ["*/", " */", "# x", "/// Returns", "x", "", "  ", "*\nreturn x", "**"] {
            #expect(!FillPostProcessor.isBareCommentMarker(content), "\(content.debugDescription)")
        }
    }
}
