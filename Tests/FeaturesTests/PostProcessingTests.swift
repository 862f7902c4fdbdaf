import Testing
@testable import Features

struct PostProcessingTests {
    let processor = FillPostProcessor()

    @Test func dropsTextThatRepeatsTheSuffix() {
        #expect(
            processor.process(
                "sum(a, b))", linePrefix: "    total = ", lineSuffix: ")", followingLines: [],
                extent: .restOfLine) == "sum(a, b)")
        #expect(FillPostProcessor.dropOverlapWithSuffix("value\"]", linePrefix: "a[\"", lineSuffix: "\"]") == "value")
        // The line needs the fill's closer: `print(sum(a, b))` keeps it.
        #expect(
            FillPostProcessor.dropOverlapWithSuffix("sum(a, b)", linePrefix: "print(", lineSuffix: ")")
                == "sum(a, b)")
        #expect(FillPostProcessor.dropOverlapWithSuffix("x)", linePrefix: "f(", lineSuffix: ")") == "x")
        #expect(FillPostProcessor.dropOverlapWithSuffix("x;", linePrefix: "let a = ", lineSuffix: ";") == "x")
        // One letter in common is coincidence, not duplication.
        #expect(FillPostProcessor.dropOverlapWithSuffix("count", linePrefix: "", lineSuffix: "t = 1") == "count")
        #expect(
            FillPostProcessor.dropOverlapWithSuffix("a + items.count", linePrefix: "", lineSuffix: "items.count")
                == "a + ")
    }

    @Test func refusesAFillThatOnlyRetypesWhatFollows() {
        #expect(
            processor.process(
                "name)", linePrefix: "print(", lineSuffix: "name)", followingLines: [],
                extent: .restOfLine) == nil)
    }

    @Test func cutsAtAnUnmatchedCloser() {
        #expect(FillPostProcessor.balanceClosers("x + 1) * 2", linePrefix: "let y = ") == "x + 1")
        #expect(FillPostProcessor.balanceClosers("x + 1) * 2", linePrefix: "let y = (") == "x + 1) * 2")
        #expect(FillPostProcessor.balanceClosers("\")\"]", linePrefix: "a[") == "\")\"]")
        #expect(FillPostProcessor.balanceClosers("{ $0 } }", linePrefix: "list.map ") == "{ $0 } ")
    }

    @Test func restOfLineNeverSpansLines() {
        #expect(
            processor.process(
                "x = 1\ny = 2", linePrefix: "", lineSuffix: "", followingLines: [],
                extent: .restOfLine) == "x = 1")
    }

    @Test func multiLineFillStaysInItsScope() {
        let fill = "total += x\n    return total\nprint(total)"
        #expect(FillPostProcessor.cutAtScopeExit(fill, linePrefix: "    ") == "total += x\n    return total")
    }

    @Test func dropsLinesThatRepeatTheNextLines() {
        let fill = "a = 1\nb = 2\nreturn a + b"
        #expect(
            FillPostProcessor.dropLinesRepeatingTheNextLines(fill, followingLines: ["    b = 2", "    return a + b"])
                == "a = 1")
        #expect(FillPostProcessor.dropLinesRepeatingTheNextLines(fill, followingLines: ["c = 3"]) == fill)
    }

    @Test func whitespaceOnlyFillsAreDropped() {
        #expect(processor.process("  \n\t", linePrefix: "", lineSuffix: "", followingLines: [], extent: .lines) == nil)
        #expect(processor.process("", linePrefix: "x", lineSuffix: "", followingLines: [], extent: .lines) == nil)
    }
}

struct TypeAheadCacheTests {
    @Test func servesTheRestWhileTheUserTypesIt() {
        let cache = TypeAheadCache()
        let before = Array("let total = ".utf8)
        cache.remember(uri: "u", document: before + Array("\n".utf8), anchor: before.count, fill: "items.count + 1")
        let typed = before + Array("item".utf8) + Array("\n".utf8)
        #expect(cache.lookup(uri: "u", document: typed, cursor: before.count + 4) == "s.count + 1")
        // A different character: the suggestion no longer applies.
        let diverged = before + Array("iter".utf8)
        #expect(cache.lookup(uri: "u", document: diverged, cursor: before.count + 4) == nil)
        // Text before the anchor changed: no longer the same place.
        let moved = Array("var total = item".utf8)
        #expect(cache.lookup(uri: "u", document: moved, cursor: moved.count) == nil)
        #expect(cache.lookup(uri: "other", document: typed, cursor: before.count + 4) == nil)
    }

    @Test func neverSplitsACharacter() {
        let cache = TypeAheadCache()
        cache.remember(uri: "u", document: [], anchor: 0, fill: "é!")
        #expect(cache.lookup(uri: "u", document: [0xC3], cursor: 1) == nil)
        #expect(cache.lookup(uri: "u", document: Array("é".utf8), cursor: 2) == "!")
    }

    @Test func closesBracketsTheLineLeftOpenWhenNothingContinuesIt() {
        func close(_ fill: String, _ prefix: String, suffix: String = "", next: [Substring] = []) -> String {
            FillPostProcessor.closeOpenBrackets(fill, linePrefix: prefix, lineSuffix: suffix, followingLines: next)
        }
        #expect(close("a, b", "total = add(") == "a, b)")
        #expect(close("x[0], f(y", "print(") == "x[0], f(y))")
        #expect(close("1, 2", "    values = [", next: ["    print(values)"]) == "1, 2]")
        // The expression goes on: after the cursor, after a separator or operator, or on deeper-indented lines.
        #expect(close("a, b", "total = add(", suffix: ")") == "a, b")
        #expect(close("a,", "total = add(") == "a,")
        #expect(close("a +", "total = add(") == "a +")
        #expect(close("a,", "total = add(", next: ["    b)"]) == "a,")
        #expect(close("a", "total = add(", next: ["    b,", ")"]) == "a")
        // Balanced already, or inside a string.
        #expect(close("a, b)", "total = add(") == "a, b)")
        #expect(close("hello (world", "print(\"") == "hello (world")
        // Through the whole post-processor, for a rest-of-line hole only.
        let processor = FillPostProcessor()
        #expect(
            processor.process(
                "a, b, b", linePrefix: "total = add(", lineSuffix: "", followingLines: [""],
                extent: .restOfLine) == "a, b, b)")
        #expect(
            processor.process(
                "a, b, b", linePrefix: "total = add(", lineSuffix: "", followingLines: [""],
                extent: .lines) == "a, b, b")
    }
}
