import ArgumentParser
import Engine
import Features
import LanguageServer
import Foundation
import Syntax

/// `dlsp doctor`: checks the installation an editor will use and says what is wrong and how to fix it.
///
/// Essential (exit code 1 when broken): the model is found, loads, and runs a fill. Everything else (grammars,
/// OpenBLAS threads, the binary's place on PATH) degrades dlsp without stopping it and is reported as a warning.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the installation: binary, grammars, model, OpenBLAS threads; say how to fix what is wrong.")

    @Option(
        help:
            "Model directory, .gguf file or pulled ORG/NAME to check (default: what the server finds, as `dlsp` does).")
    var model: String?
    @Option(help: "OpenBLAS threads to load the model with (the server's default is 2).")
    var threads = 2
    @Option(
        help: "Folder of the compiled grammars (default: $DLSP_GRAMMAR_DIR, else .cache/grammars beside Grammars/).")
    var grammarDir: String?

    func run() throws {
        var report = DoctorReport()
        print("dlsp doctor \(DLSPVersion.current)")
        checkBinary(&report)
        checkGrammars(&report)
        checkModel(&report)
        print("")
        if report.errors == 0 && report.warnings == 0 {
            print("everything is in order")
        } else {
            print("\(report.errors) error(s), \(report.warnings) warning(s)")
        }
        if report.errors > 0 { throw ExitCode(1) }
    }

    // MARK: - Binary

    /// Where editors find the binary: the path to give them, and what `dlsp` on PATH is.
    private func checkBinary(_ report: inout DoctorReport) {
        let executable = URL(fileURLWithPath: ModelLocator.executablePath()).resolvingSymlinksInPath().path
        report.ok("binary", executable + "  (give editors this path, or put its folder on PATH)")
        let onPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").lazy
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("dlsp").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let onPath else {
            report.warn(
                "PATH",
                "`dlsp` is not on PATH, so the configurations in EditorConfigs/ that run `dlsp` by name "
                    + "will not start it",
                fix: "export PATH=\"\(URL(fileURLWithPath: executable).deletingLastPathComponent().path):$PATH\" "
                    + "(or set the editor's command / DLSP_BIN to \(executable))")
            return
        }
        let resolved = URL(fileURLWithPath: onPath).resolvingSymlinksInPath().path
        if resolved == executable {
            report.ok("PATH", "`dlsp` on PATH is this binary")
        } else {
            report.warn(
                "PATH",
                "`dlsp` on PATH is \(resolved), not this binary: editors that run `dlsp` by name start "
                    + "that one",
                fix: "put \(URL(fileURLWithPath: executable).deletingLastPathComponent().path) "
                    + "first on PATH, or give editors the full path")
        }
    }

    // MARK: - Grammars

    private func checkGrammars(_ report: inout DoctorReport) {
        let locations: GrammarLocations
        do {
            locations = try GrammarLocations.resolve(libraryDirectoryOverride: grammarDir)
        } catch {
            report.warn(
                "grammars",
                "\(error); every language gets plain-text context (completions still work, "
                    + "with less context)",
                fix: "run dlsp from its repository or set DLSP_GRAMMARS_MANIFEST to Grammars/manifest.json")
            return
        }
        let manifest: GrammarManifest
        do {
            manifest = try GrammarManifest.load(from: locations.manifestURL)
        } catch {
            report.warn("grammars", "\(error)", fix: "restore Grammars/manifest.json (git checkout Grammars)")
            return
        }
        report.ok("grammars", "manifest \(locations.manifestURL.path), libraries in \(locations.libraryDirectory.path)")
        // The server resolves grammars the same way, but from the folder and command name an editor starts it with.
        checkGrammarsAsAnEditorStartsIt(&report, found: locations)
        let outcomes = GrammarInstaller(manifest: manifest, locations: locations).list()
        var missing: [String] = []
        for outcome in outcomes {
            switch outcome.status {
            case .upToDate(let abi), .built(let abi):
                report.ok("  " + outcome.language, "ABI \(abi)")
            case .failed(let error):
                missing.append(outcome.language)
                report.warn(
                    "  " + outcome.language, "\(error); \(outcome.language) files get plain-text context",
                    fix: nil)
            }
        }
        if !missing.isEmpty {
            report.advise(
                "fix: dlsp grammars install \(missing.joined(separator: " "))"
                    + (grammarDir.map { " --grammar-dir \($0)" } ?? ""))
        }
    }

    /// An editor runs `dlsp` from the project's folder, often by name through PATH; the grammars must be found
    /// from there too.
    private func checkGrammarsAsAnEditorStartsIt(_ report: inout DoctorReport, found: GrammarLocations) {
        let environment = ProcessInfo.processInfo.environment
        if environment["DLSP_GRAMMARS_MANIFEST"].map({ !$0.isEmpty }) == true { return }
        let elsewhere = FileManager.default.temporaryDirectory.path
        // The server looks from its real location (/proc/self/exe), so the name an editor starts it by does not
        // matter; only the folder it is started from changes.
        let fromElsewhere = try? GrammarLocations.resolve(
            libraryDirectoryOverride: grammarDir,
            currentDirectory: elsewhere,
            executablePath: ModelLocator.executablePath())
        if fromElsewhere?.manifestURL != found.manifestURL {
            report.warn(
                "  editors", "a server started from another folder does not find \(found.manifestURL.path)",
                fix: "set DLSP_GRAMMARS_MANIFEST=\(found.manifestURL.path) in the editor's environment")
        } else {
            report.ok("  editors", "found from any folder, by full path or by name")
        }
    }

    // MARK: - Model and threads

    private func checkModel(_ report: inout DoctorReport) {
        let path: String
        switch ModelLocator.locate(explicit: model) {
        case .success(let found): path = found
        case .failure(let error):
            report.fail(
                "model", error.description,
                fix: "run dlsp from its repository build (Models/default), set DLSP_MODEL, or pass "
                    + "initializationOptions.model.path")
            return
        }
        let engine: Engine
        let started = ContinuousClock.now
        do {
            engine = try Engine.load(directory: path, threads: threads)
        } catch {
            report.fail(
                "model", "\(path) does not load: \(error)",
                fix: "check the files (config.json, model.safetensors, tokenizer.json); re-export or re-fetch "
                    + "the model (git checkout Models/default for the default one)")
            return
        }
        let info = engine.info
        report.ok(
            "model",
            "\(path) (\(info.family), \(String(format: "%.2f", Double(info.parameters) / 1e6)) M "
                + "parameters, \(info.dtypes)) loaded in \(String(format: "%.0f", milliseconds(since: started))) ms")
        defer {
            checkThreads(&report)
            checkKernels(&report)
        }

        let text = Array("def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return \n".utf8)
        let request = CompletionRequest(
            uri: "file:///doctor/check.py", path: "check.py", languageID: "python",
            text: text, cursor: text.count - 1)
        let fillStarted = ContinuousClock.now
        do {
            let service = try CompletionService(engine: engine)
            let suggestions = try service.complete(
                request, context: PlainTextContext(), settings: CompletionSettings(),
                cancellation: CancellationFlag())
            let elapsed = milliseconds(since: fillStarted)
            if let first = suggestions.first {
                report.ok(
                    "  fill", "`return ` + \(first.text.debugDescription) in \(String(format: "%.0f", elapsed)) ms")
            } else {
                report.warn(
                    "  fill",
                    String(
                        format: "the model ran (%.0f ms) but offered nothing for `return ` in a "
                            + "small Python file: it is weak or undertrained, so editors will often "
                            + "get empty completions", elapsed),
                    fix: "use a better-trained model (DLSP_MODEL or initializationOptions.model.path)")
            }
        } catch {
            report.fail(
                "  fill", "the model loaded but a fill failed: \(error)",
                fix: "the model files are inconsistent (tokenizer and weights); re-export the model")
        }
    }

    private func checkThreads(_ report: inout DoctorReport) {
        let actual = matrixThreads()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let variable =
            ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].map { ", OPENBLAS_NUM_THREADS=\($0)" } ?? ""
        if actual == threads {
            report.ok("threads", "OpenBLAS uses \(actual) of \(cores) cores\(variable)")
        } else if actual < threads {
            report.warn(
                "threads",
                "OpenBLAS uses \(actual) thread(s), \(threads) requested (\(cores) cores\(variable)): "
                    + "this OpenBLAS build is limited to \(actual)",
                fix: "install the threaded OpenBLAS (apt-get install libopenblas0-pthread) and unset "
                    + "OPENBLAS_NUM_THREADS")
        } else {
            report.warn(
                "threads", "OpenBLAS uses \(actual) threads, \(threads) requested (\(cores) cores\(variable))",
                fix: "set initializationOptions.model.threads")
        }
    }

    private func checkKernels(_ report: inout DoctorReport) {
        let active = KernelISA.active, available = KernelISA.available
        if active == .avx512 {
            report.ok(
                "kernels",
                "avx512+vnni: packed f32/f16/bf16 and 8-bit products and fused attention on the "
                    + "engine's own threads")
        } else if active < available {
            report.warn(
                "kernels", "\(active) kernels although this CPU has \(available) (DLSP_KERNELS is set)",
                fix: "unset DLSP_KERNELS")
        } else if active == .avx2FMA {
            report.ok(
                "kernels",
                "avx2+fma: packed products and fused attention on the engine's own threads "
                    + "(8-bit weights run the portable loop: use bf16 or f16 weights on this CPU)")
        } else {
            report.warn(
                "kernels",
                "this CPU lacks AVX2/FMA: portable kernels for a step's products, OpenBLAS for the "
                    + "rest (fills are slower)", fix: "none needed; a CPU with AVX2 runs dlsp several times faster")
        }
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// The doctor's lines and counts. Every problem line is followed by how to fix it.
struct DoctorReport {
    var errors = 0
    var warnings = 0

    func ok(_ name: String, _ message: String) { line("ok", name, message) }

    mutating func warn(_ name: String, _ message: String, fix: String?) {
        warnings += 1
        line("WARN", name, message)
        if let fix { advise("fix: " + fix) }
    }

    mutating func fail(_ name: String, _ message: String, fix: String) {
        errors += 1
        line("ERROR", name, message)
        advise("fix: " + fix)
    }

    func advise(_ text: String) { print(String(repeating: " ", count: 20) + text) }

    private func line(_ state: String, _ name: String, _ message: String) {
        print(
            name.padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                + state.padding(toLength: 6, withPad: " ", startingAt: 0) + " " + message)
    }
}
