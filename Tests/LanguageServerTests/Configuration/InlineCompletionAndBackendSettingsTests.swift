import RemoteBackends
import Testing
@testable import LanguageServer

/// The `inlineCompletion` section, and the `backend` section: which backend fills holes and how it is reached.
struct InlineCompletionAndBackendSettingsTests {
    @Test func inlineCompletionCanBeTurnedOff() {
        expectSwitch("inlineCompletion.enabled", \.inlineCompletionEnabled, byDefault: true)
    }

    @Test func inlineCountTakesOneToEight() {
        #expect(Configuration().inlineCount == 2)
        expectIntegerRange("inlineCompletion.count", \.inlineCount, 1...8)
    }

    @Test func backendKindTakesItsNamesAndRefusesAnUnknownOneKeepingTheValue() {
        var configuration = Configuration()
        #expect(configuration.backend.kind == .embedded)
        for name in BackendConfiguration.Kind.names {
            #expect(configuration.set("backend.kind", .string(name)).isEmpty, "\(name)")
            #expect(configuration.backend.kind == BackendConfiguration.Kind(name), "\(name)")
        }
        #expect(configuration.set("backend.kind", .string("ollama")).isEmpty)
        for refused in ["gpt", "Ollama", ""] {
            #expect(configuration.set("backend.kind", .string(refused)) == ["backend.kind"], "\(refused)")
        }
        #expect(configuration.backend.kind == .remote(.ollama))
    }

    @Test func backendStringsAreStringsOrNull() {
        expectOptionalString("backend.url", \.backend.url)
        expectOptionalString("backend.model", \.backend.model)
        expectOptionalString("backend.apiKeyEnv", \.backend.apiKeyEnv)
    }

    @Test func backendNumbersTakeTheirRanges() {
        expectIntegerRange("backend.timeoutMs", \.backend.timeoutMilliseconds, 50...600_000)
        expectIntegerRange("backend.retries", \.backend.retries, 0...10)
    }

    @Test func fallbackCanBeTurnedOff() {
        expectSwitch("backend.fallbackToEmbedded", \.backend.fallbackToEmbedded, byDefault: true)
    }
}
