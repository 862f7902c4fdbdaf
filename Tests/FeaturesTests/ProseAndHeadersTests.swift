import Engine
import Testing
import TestSupport
@testable import Features

/// A docstring's lines and the function's own header are never offered as a line of its code.
@Suite("Prose and the enclosing headers are not lines of code")
struct ProseAndHeadersTests {
    /// A function being written: its docstring shows the example's output, `True`.
    static let function = """
        def is_even(n):
            '''
            Whether n is even.
            >>> is_even(2)
            True
            '''
            ‸
        """

    static var context: SyntaxContext { SyntaxContext(registry: ActionFixtures.registry, index: nil) }

    @Test("the model's fill copying a docstring line or the header is held back while typing, unsure when asked")
    func modelCopies() throws {
        for copy in ["True", "def is_even(n):"] {
            let typing = try CompletionCheck.complete(
                Self.function, backend: ScriptedBackend(always: copy), context: Self.context)
            #expect(typing.isEmpty, "\(copy)")
            let invoked = try CompletionCheck.complete(
                Self.function, backend: ScriptedBackend(always: copy), invoked: true, context: Self.context)
            #expect(invoked.map(\.text) == [copy] && invoked[0].isUnsure)
            // With the setting off the copy is offered.
            var settings = CompletionCheck.settings
            settings.offer.excludeProseAndHeaders = false
            let unfiltered = try CompletionCheck.complete(
                Self.function, backend: ScriptedBackend(always: copy), settings: settings, context: Self.context)
            #expect(unfiltered.map(\.text) == [copy])
        }
        // A line of code is still offered.
        let code = try CompletionCheck.complete(
            Self.function, backend: ScriptedBackend(always: "return n % 2 == 0"), context: Self.context)
        #expect(code.map(\.text) == ["return n % 2 == 0"])
    }

    @Test("the ranker never ranks a docstring line or the header, and a snap never lands on one")
    func rankerAndSnap() throws {
        var settings = CompletionCheck.settings
        settings.offer.rankFileLines = true
        var events: [StageEvent] = []
        _ = try CompletionCheck.complete(
            Self.function, backend: ScriptedBackend(always: "x"), settings: settings, invoked: true,
            context: Self.context, trace: { events.append($0) })
        let ranked = try #require(events.first { $0.stage == "ranked line" })
        #expect(ranked.message.hasPrefix("ranking 0 lines"))
        settings.offer.rankFileLines = false
        settings.offer.fileLineSnapDistance = 0.3
        // `Tru` is near the docstring's `True`, but that line is prose: no snap.
        let snapped = try CompletionCheck.complete(
            Self.function, backend: ScriptedBackend(always: "Tru"), settings: settings, invoked: true,
            context: Self.context)
        #expect(snapped.first?.snappedFrom == nil)
    }
}
