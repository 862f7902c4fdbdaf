import ArgumentParser
import Foundation
import Syntax

/// `dlsp grammars install|list`: the tree-sitter grammars dlsp fetches and compiles at setup time.
struct Grammars: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install and list the tree-sitter grammars.",
        subcommands: [Install.self, List.self])

    struct Location: ParsableArguments {
        @Option(
            help:
                "Folder for the compiled grammars (default: $DLSP_GRAMMAR_DIR, else .cache/grammars beside Grammars/).")
        var grammarDir: String?

        func resolve() throws -> GrammarLocations {
            try GrammarLocations.resolve(libraryDirectoryOverride: grammarDir)
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the pinned grammar sources with pip, verify them and compile them.")

        @OptionGroup var location: Location
        @Flag(help: "Rebuild grammars that are already up to date.") var force = false
        @Argument(help: "Languages to install (default: every language in the manifest).") var languages: [String] = []

        func run() throws {
            let locations = try location.resolve()
            let manifest = try GrammarManifest.load(from: locations.manifestURL)
            let installer = GrammarInstaller(manifest: manifest, locations: locations)
            let outcomes = try installer.install(languages: languages.isEmpty ? nil : languages, force: force) {
                FileHandle.standardError.write(Data("  \($0)\n".utf8))
            }
            printTable(outcomes)
            let failed = outcomes.filter { !$0.succeeded }
            if !failed.isEmpty {
                // The others work; these languages fall back to plain-text context until fixed.
                throw ExitCode(2)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show which grammars are installed and load.")
        @OptionGroup var location: Location

        func run() throws {
            let locations = try location.resolve()
            let manifest = try GrammarManifest.load(from: locations.manifestURL)
            printTable(GrammarInstaller(manifest: manifest, locations: locations).list())
        }
    }
}

private func printTable(_ outcomes: [GrammarInstallOutcome]) {
    for outcome in outcomes {
        let state: String
        switch outcome.status {
        case .built(let abi): state = "built     ABI \(abi)"
        case .upToDate(let abi): state = "ok        ABI \(abi)"
        case .failed(let error): state = "missing   \(error)"
        }
        print("\(outcome.language.padding(toLength: 12, withPad: " ", startingAt: 0)) \(state)  \(outcome.libraryPath)")
    }
}
