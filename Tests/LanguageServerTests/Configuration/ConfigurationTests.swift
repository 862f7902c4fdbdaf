import Foundation
import JSONRPC
import Testing
@testable import LanguageServer

/// What `Configuration.apply` does with any setting of `Configuration.table`: where the settings sit, what it
/// reports, and that a refused value leaves the setting as it was. Each group's own values are tested beside it
/// (`ModelSettingsTests`, `SamplingAndHoleSettingsTests`, `OfferPolicySettingsTests`,
/// `InlineCompletionAndBackendSettingsTests`).
struct ConfigurationTests {
    @Test func settingsSitUnderADlspKeyOrAtTheTopLevel() {
        var nested = Configuration(), top = Configuration()
        #expect(nested.apply(.object(["dlsp": .object(["model": .object(["threads": .number(4)])])])).isEmpty)
        #expect(top.apply(.object(["model": .object(["threads": .number(4)])])).isEmpty)
        #expect(top.threads == 4)
        #expect(nested == top)
        // No options at all is nothing to apply.
        #expect(top.apply(nil).isEmpty)
        #expect(top.threads == 4)
    }

    @Test func anUnknownSectionIsReportedByItsName() {
        var configuration = Configuration()
        #expect(configuration.apply(.object(["colour": .object(["steps": .number(4)])])) == ["colour"])
        // A known section that is not an object is refused whole, by its name.
        #expect(configuration.apply(.object(["completion": .number(4)])) == ["completion"])
        // An unknown key in a known section is reported with its section.
        #expect(
            configuration.apply(.object(["completion": .object(["colour": .string("blue")])]))
                == ["completion.colour"])
        #expect(configuration.apply(.string("steps")) == ["(settings must be an object)"])
        #expect(configuration == Configuration())
    }

    /// Every setting, whatever its group: a value of another type is reported as `section.key` and changes nothing.
    @Test func aValueOfTheWrongTypeIsReportedAndChangesNothing() {
        for key in Configuration.table {
            var configuration = Configuration()
            let wrong: JSONValue = key.valueDescription == "boolean" ? .number(1) : .bool(true)
            #expect(configuration.set(key.name, wrong) == [key.name], "\(key.name) = \(wrong)")
            // No setting takes an array.
            #expect(configuration.set(key.name, .array([])) == [key.name], "\(key.name) = []")
            #expect(configuration == Configuration(), "\(key.name)")
        }
    }

    /// README's settings list shows each default as a user would write it: written so, it is taken as it is.
    @Test func everyDefaultAsTheListWritesItIsTaken() throws {
        let defaults = Configuration()
        for key in Configuration.table {
            var configuration = Configuration()
            let written = key.read(defaults)
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(written.utf8))
            #expect(configuration.set(key.name, value).isEmpty, "\(key.name) = \(written)")
            #expect(configuration == defaults, "\(key.name) = \(written)")
        }
    }

    @Test func aRefusedValueLeavesTheOthersOfItsSectionApplied() {
        var configuration = Configuration()
        let refused = configuration.apply(
            .object([
                "completion": .object([
                    "steps": .number(8), "temperature": .number(5), "cache": .bool(false),
                ])
            ]))
        #expect(refused == ["completion.temperature"])
        #expect(configuration.completion.sampling.steps == 8 && !configuration.completion.sampling.useCache)
        #expect(configuration.completion.sampling.temperature == Configuration().completion.sampling.temperature)
    }
}
