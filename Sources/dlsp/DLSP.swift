import ArgumentParser
import Foundation
import JSONRPC
import LanguageServer
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `dlsp` command: with no subcommand it runs the language server on stdio, which is what editors launch.
struct DLSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlsp",
        abstract: "A code-completion language server driven by a diffusion language model.",
        version: DLSPVersion.current,
        subcommands: [
            LSP.self, Complete.self, Model.self, Bench.self, Serve.self, Grammars.self,
            Doctor.self, SettingsList.self,
        ],
        defaultSubcommand: LSP.self)
}

/// Options every subcommand shares.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Also write the log to this file.")
    var logFile: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func bootstrap() {
        let file = logFile.flatMap { path -> FileHandle? in
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            let handle = FileHandle(forWritingAtPath: path)
            _ = try? handle?.seekToEnd()
            return handle
        }
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StderrAndFileLogHandler(label: label, file: file)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `dlsp lsp`: the language server over stdin/stdout.
struct LSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp", abstract: "Run the language server on stdin/stdout (the default).")

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "dlsp")
        // Protocol goes to a private copy of stdout; fd 1 is pointed at stderr so that a stray print anywhere in the
        // process can never corrupt the protocol stream.
        let protocolFD = dup(STDOUT_FILENO)
        guard protocolFD >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            throw ValidationError("could not set up stdout for the protocol")
        }
        signal(SIGPIPE, SIG_IGN)
        let connection = Connection(inputFD: STDIN_FILENO, outputFD: protocolFD)
        let server = LanguageServer(connection: connection, logger: logger) { code in
            logger.info("exiting with code \(code)")
            Glibc.exit(code)
        }
        server.start()
        logger.info("dlsp \(DLSPVersion.current) listening on stdio")
        dispatchMain()
    }
}
