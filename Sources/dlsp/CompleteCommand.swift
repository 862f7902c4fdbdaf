import ArgumentParser
import Engine
import Features
import Foundation
import RemoteBackends
import SourceText
import Syntax

/// `dlsp complete FILE --line N --column N`: the fill for a cursor in a file, through the same path the server uses.
struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the model's fill for a cursor in a file (the server's completion path, from a terminal).")

    @Argument(help: "The file to complete in.") var file: String
    @Option(help: "Cursor line, 1-based.") var line: Int
    @Option(help: "Cursor column, 1-based, in characters (Unicode scalars).") var column: Int
    @Option(help: "Model directory, .gguf file or pulled ORG/NAME (default: the embedded model).") var model: String?
    @Option(help: "How many distinct suggestions.") var count = 1
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "A completion setting, as NAME=VALUE (repeatable), e.g. --set threshold=0.7 --set steps=16: "
                + "\(CompletionSettings.table.map(\.name).joined(separator: ", ")). "
                + "`dlsp settings` lists what each does.",
            valueName: "name=value"))
    var assignments: [String] = []
    @Option(
        help: ArgumentHelp(
            "How the engine keeps the weights: auto (8 bits for models over 100 M parameters "
                + "on CPUs with AVX-512 VNNI), as-stored, q8.")) var precision = "auto"
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(help: "Explain on stderr what the model filled and why a fill was kept or dropped.") var explain = false
    @Option(help: "Fill backend: \(BackendConfiguration.Kind.names.joined(separator: ", ")).")
    var backend = "embedded"
    @Option(help: "The remote backend's base URL, e.g. http://127.0.0.1:8080.") var url: String?
    @Option(help: "The model name sent to the remote backend.") var remoteModel: String?
    @Option(help: "Environment variable holding the remote backend's API key.") var apiKeyEnv: String?
    @Option(help: "Remote request timeout in milliseconds.") var timeoutMs = 5_000
    @Flag(help: "Fall back to the embedded model when the remote backend fails.") var fallback = false

    func run() throws {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let document = TextDocument(
            uri: URL(fileURLWithPath: file).absoluteString, languageID: "", version: 0,
            text: String(decoding: bytes, as: UTF8.self))
        let cursor: Int
        do {
            cursor = try document.offset(of: LineColumn(line: line - 1, column: column - 1), encoding: .utf32)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        guard let kind = BackendConfiguration.Kind(backend) else {
            throw ValidationError("--backend must be one of \(BackendConfiguration.Kind.names.joined(separator: ", "))")
        }
        var backendConfiguration = BackendConfiguration()
        backendConfiguration.kind = kind
        backendConfiguration.url = url
        backendConfiguration.model = remoteModel
        backendConfiguration.apiKeyEnv = apiKeyEnv
        backendConfiguration.timeoutMilliseconds = timeoutMs
        backendConfiguration.fallbackToEmbedded = fallback
        let explicitModel = model
        guard let weightPrecision = WeightPrecision(rawValue: precision) else {
            throw ValidationError("--precision must be auto, as-stored or q8")
        }
        let fillBackend: any FillBackend
        do {
            fillBackend = try backendConfiguration.makeBackend(
                embedded: {
                    let path = try ModelLocator.locate(explicit: explicitModel).get()
                    return try EmbeddedBackend(engine: try Engine.load(directory: path, precision: weightPrecision))
                },
                onEvent: { event in
                    if case .primaryDown(let reason, _) = event {
                        FileHandle.standardError.write(
                            Data("remote backend failed (\(reason)); using the embedded model\n".utf8))
                    }
                })
        } catch let error as ModelLocatorError {
            throw ValidationError(error.description)
        } catch let error as RemoteBackendError {
            throw ValidationError(error.description)
        }
        let modelPath = fillBackend.localEngine?.source ?? fillBackend.name
        let service = CompletionService(backend: fillBackend)
        var settings = CompletionSettings()
        for assignment in assignments {
            do { try CompletionSettings.table.apply(assignment: assignment, to: &settings) } catch {
                throw ValidationError("--set \(error)")
            }
        }
        let fileURL = URL(fileURLWithPath: file).standardizedFileURL
        let (context, root) = Self.contextProvider(for: fileURL)
        let relative =
            fileURL.path.hasPrefix(root.path + "/")
            ? String(fileURL.path.dropFirst(root.path.count + 1))
            : fileURL.lastPathComponent
        // Asking at a cursor from the command line is an explicit request: unsure suggestions are shown, marked.
        let request = CompletionRequest(
            uri: document.uri, path: relative, languageID: "", text: document.bytes,
            cursor: cursor, count: count, invoked: true)
        let started = ContinuousClock.now
        let explain = self.explain
        if explain {
            FileHandle.standardError.write(
                Data(("stages: " + service.pipeline.stageNames.joined(separator: " → ") + "\n").utf8))
        }
        let suggestions = try service.complete(
            request, context: context, settings: settings,
            cancellation: CancellationFlag(),
            trace: { event in
                if explain { FileHandle.standardError.write(Data((event.description + "\n").utf8)) }
            })
        let elapsed = ContinuousClock.now - started
        if json {
            let items = suggestions.map { suggestion -> [String: Any] in
                var item: [String: Any] = [
                    "text": suggestion.text, "ms": String(format: "%.1f", suggestion.milliseconds),
                    "unsure": suggestion.isUnsure,
                ]
                if let confidence = suggestion.confidence { item["confidence"] = Double(confidence) }
                if let draft = suggestion.snappedFrom { item["snappedFrom"] = draft }
                if let repeated = suggestion.repeatedLine {
                    var evidence: [String: Any] = [
                        "line": repeated.line + 1, "linesAbove": repeated.linesAbove,
                        "linesBelow": repeated.linesBelow, "bits": repeated.bits,
                    ]
                    if let path = repeated.path { evidence["path"] = path }
                    item["repeatedLine"] = evidence
                }
                if let ranked = suggestion.rankedLine {
                    var evidence: [String: Any] = [
                        "line": ranked.line + 1, "probability": Double(ranked.probability),
                        "candidates": ranked.candidates,
                    ]
                    if let path = ranked.path { evidence["path"] = path }
                    item["rankedLine"] = evidence
                }
                return item
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["model": modelPath, "suggestions": items],
                options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if suggestions.isEmpty {
            print("(no suggestion: the model's fill was empty or rejected by post-processing)")
        }
        let lineStart = document.lines.lineStarts[line - 1]
        for suggestion in suggestions {
            let before = String(decoding: document.bytes[lineStart..<suggestion.replaceStart], as: UTF8.self)
            var note =
                suggestion.confidence.map {
                    String(
                        format: "   (confidence %.2f%@)", $0,
                        suggestion.isUnsure ? ", unsure: below the as-you-type floor" : "")
                } ?? ""
            if let draft = suggestion.snappedFrom {
                note += "   (a line of the file; the model wrote \(draft.debugDescription))"
            }
            if let repeated = suggestion.repeatedLine {
                note +=
                    "   (repeats line \(repeated.line + 1)\(repeated.path.map { " of \($0)" } ?? ""): the same "
                    + "\(repeated.linesAbove) line(s) above it and \(repeated.linesBelow) below as around the cursor)"
            }
            if let ranked = suggestion.rankedLine {
                note +=
                    "   (line \(ranked.line + 1)\(ranked.path.map { " of \($0)" } ?? ""), ranked first of "
                    + "\(ranked.candidates) lines by how alike its surroundings are to the cursor's)"
            }
            print("\(before)\u{1B}[1m\(suggestion.text)\u{1B}[0m\(note)")
        }
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
        FileHandle.standardError.write(
            Data(
                ("context \(context is SyntaxContext ? "syntax-aware" : "plain text"), model \(modelPath), "
                    + "\(String(format: "%.0f", milliseconds)) ms\n").utf8))
    }

    /// The syntax layer's context over the file's project (the nearest folder with `.git`, else the file's
    /// folder), or plain text when the grammars are not set up.
    static func contextProvider(for file: URL) -> (any InfillContextProvider, URL) {
        var root = file.deletingLastPathComponent()
        var folder = root
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(".git").path) {
                root = folder; break
            }
            folder.deleteLastPathComponent()
        }
        guard
            let registry = try? LanguageRegistry(
                locations: try GrammarLocations.resolve(),
                log: { message in
                    FileHandle.standardError.write(Data("\(message)\n".utf8))
                })
        else { return (PlainTextContext(), root) }
        let index = WorkspaceIndex(registry: registry, options: WorkspaceWalkOptions(maxFiles: 2_000))
        _ = index.index(roots: [root])
        return (SyntaxContext(registry: registry, index: index), root)
    }
}
