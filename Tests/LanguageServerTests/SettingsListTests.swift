import Foundation
import Testing
@testable import LanguageServer

/// README's settings list is the server's settings table, printed (`dlsp settings`).
struct SettingsListTests {
    @Test func readmeListsEverySettingAsTheTableSays() throws {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- settings:begin (dlsp settings) -->\n", end = "\n<!-- settings:end -->"
        let start = try #require(readme.range(of: begin)), stop = try #require(readme.range(of: end))
        let listed = String(readme[start.upperBound..<stop.lowerBound])
        #expect(listed == ServerSettings.markdown, "run `dlsp settings` and paste its table into README.md")
        // Every key the configuration takes is listed (the table is what `apply` parses from).
        for key in Configuration.table { #expect(listed.contains("`\(key.name)`")) }
    }
}
