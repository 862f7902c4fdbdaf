import ArgumentParser
import LanguageServer

/// `dlsp settings`: every setting the server reads, with its values, default and what it does, as README lists them.
struct SettingsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting (initializationOptions / workspace/didChangeConfiguration) as a Markdown table.",
        discussion: "The completion settings are also what `dlsp complete --set` and `dlsp bench infill --set` take, "
            + "without the `completion.` prefix.")

    func run() {
        print(ServerSettings.markdown)
    }
}
