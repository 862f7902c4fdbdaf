import Testing
@testable import Features

/// The one table of completion settings: what `--set NAME=VALUE` takes, and what the server parses.
@Suite("Completion settings are read from one table")
struct SettingsTableTests {
    @Test("every setting has one name, and its default reads back as a value it accepts")
    func namesAreUniqueAndDefaultsRoundTrip() throws {
        let table = CompletionSettings.table
        let names = table.flatMap { [$0.name] + $0.formerNames }
        #expect(Set(names).count == names.count)
        for key in table {
            var settings = CompletionSettings()
            let text = key.read(CompletionSettings())
            // A default written the way a user would write it sets the same value again.
            try table.apply(assignment: "\(key.name)=\(text)", to: &settings)
            #expect(settings == CompletionSettings(), "\(key.name)=\(text)")
        }
    }

    @Test("NAME=VALUE sets numbers, booleans, null and per-language tables through the table")
    func assignmentsSetTheirSettings() throws {
        var settings = CompletionSettings()
        let table = CompletionSettings.table
        try table.apply(assignment: "steps=16", to: &settings)
        try table.apply(assignment: "threshold=none", to: &settings)
        try table.apply(assignment: "rankFileLines=false", to: &settings)
        try table.apply(assignment: "minConfidenceByLanguage={\"c\": 0.95}", to: &settings)
        try table.apply(assignment: "midLineMinConfidence=0.5", to: &settings)  // the floor's former name
        try table.apply(assignment: "blockLength=8", to: &settings)
        #expect(settings.sampling.steps == 16 && settings.sampling.confidenceThreshold == nil)
        #expect(!settings.offer.rankFileLines && settings.offer.minConfidenceByLanguage == ["c": 0.95])
        #expect(settings.offer.newLineMinConfidence == 0.5 && settings.sampling.blockLength == 8)
        try table.apply(assignment: "blockLength=null", to: &settings)
        #expect(settings.sampling.blockLength == nil)
    }

    @Test("a value out of range, of the wrong kind, or a name not in the table is refused, naming what is taken")
    func refusalsSayWhy() {
        var settings = CompletionSettings()
        let table = CompletionSettings.table
        func refusal(_ assignment: String) -> String? {
            do { try table.apply(assignment: assignment, to: &settings) } catch { return "\(error)" }
            return nil
        }
        #expect(refusal("steps=0") == "steps takes integer 1…256, not \"0\"")
        #expect(refusal("steps=2.5")?.hasPrefix("steps takes integer") == true)
        #expect(refusal("minConfidence=1.5") == "minConfidence takes number 0…1, not \"1.5\"")
        #expect(refusal("cache=yes")?.hasPrefix("cache takes boolean") == true)
        #expect(refusal("threshold=0")?.hasPrefix("threshold takes number over 0") == true)
        #expect(refusal("minConfidenceByLanguage={\"c\": 2}") != nil)
        #expect(refusal("steps")?.contains("NAME=VALUE") == true)
        #expect(refusal("stepz=3")?.hasPrefix("no setting named \"stepz\"; they are: steps, threshold") == true)
        #expect(settings == CompletionSettings())
    }

    @Test("a key lifted into a section keeps its values and reads and writes through the section")
    func liftedKeys() throws {
        struct Outer { var completion = CompletionSettings() }
        let lifted = CompletionSettings.table.map { $0.lifted(into: \Outer.completion, section: "completion") }
        var outer = Outer()
        let key = try #require(lifted.key(named: "completion.newLineMinConfidence"))
        #expect(lifted.key(named: "completion.midLineMinConfidence")?.name == key.name)
        #expect(key.apply(.number(0.5), to: &outer) && outer.completion.offer.newLineMinConfidence == 0.5)
        #expect(!key.apply(.string("high"), to: &outer) && outer.completion.offer.newLineMinConfidence == 0.5)
        #expect(key.read(outer) == "0.5")
    }

    @Test("the Markdown list has a row per setting with its values and default")
    func markdownList() {
        let markdown = CompletionSettings.table.markdownTable(defaults: CompletionSettings())
        let rows = markdown.split(separator: "\n")
        #expect(rows.count == CompletionSettings.table.count + 2)
        #expect(
            rows.contains(
                "| `threshold` | number over 0 and at most 1, or null | `0.9` "
                    + "| Commit every position at least this sure each step; null: a fixed schedule of `steps` steps. |"
            ))
        #expect(
            markdown.contains("| `newLineMinConfidence` (formerly `midLineMinConfidence`) | number 0…1 | `0.94` |"))
    }
}
