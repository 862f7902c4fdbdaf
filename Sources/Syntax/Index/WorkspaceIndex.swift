import Foundation
import Synchronization

/// The workspace's symbol index: definitions (with signatures and ranges) and imports of every source file, kept
/// current one file at a time.
///
/// Thread-safe: all state sits behind a mutex, and parsing happens outside it with parsers local to each call.
public final class WorkspaceIndex: Sendable {
    /// What one full indexing pass did.
    public struct Summary: Sendable, Equatable {
        public var files: Int
        public var definitions: Int
        public var bytes: Int
        public var seconds: Double
    }

    public let registry: LanguageRegistry
    public let options: WorkspaceWalkOptions
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var roots: [URL] = []
        /// Keyed by workspace-relative path.
        var files: [String: FileSymbols] = [:]
        var byName: [String: [SymbolDefinition]] = [:]
        /// Keyed by workspace-relative path, as `files`.
        var lines: [String: LineFingerprints] = [:]
        /// The last `linesBetween` answer: asked again at every keystroke on one line (the same neighbours, the same
        /// excluded file, which is the one changing), it stays right until another file changes.
        var lastLinesBetween: (above: UInt64, below: UInt64, excluded: String, answer: LinesBetween)?
        /// The last `linesNextTo` answer, kept for the same reason and voided the same way.
        var lastLinesNextTo:
            (
                above: UInt64?, below: UInt64?, excluded: String, limit: Int,
                answer: [LinesBetween.Place]
            )?

        /// Keeps `lines` and the cached answer consistent: a change to `path` voids the answer unless `path` was
        /// the file that answer left out.
        mutating func setLines(_ fingerprints: LineFingerprints?, for path: String) {
            lines[path] = fingerprints
            if lastLinesBetween?.excluded != path { lastLinesBetween = nil }
            if lastLinesNextTo?.excluded != path { lastLinesNextTo = nil }
        }
    }

    public init(registry: LanguageRegistry, options: WorkspaceWalkOptions = WorkspaceWalkOptions()) {
        self.registry = registry
        self.options = options
    }

    /// Walks `roots`, parses every source file and replaces the index's contents.
    ///
    /// - Parameters:
    ///   - pauseWhile: asked before each file; while it says true the workers sleep, so that work someone waits for
    ///     (a completion asked while the server indexes at start-up) has the cores. A file parses in milliseconds,
    ///     so the pause takes effect about that fast.
    ///   - progress: called with (files done, files total) every 50 files and at the end, from worker threads.
    @discardableResult
    public func index(
        roots: [URL], pauseWhile: @escaping @Sendable () -> Bool = { false },
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) -> Summary {
        let started = Date()
        let extensions = Set(registry.manifest.languages.flatMap(\.extensions))
        let standardizedRoots = roots.map(\.standardizedFileURL)
        var found: [(WorkspaceFile, String)] = []
        for root in standardizedRoots {
            let prefix = standardizedRoots.count > 1 ? root.lastPathComponent + "/" : ""
            for file in WorkspaceWalker.files(in: root, options: options, extensions: extensions) {
                found.append((file, prefix + file.relativePath))
            }
        }
        // Parse on every core, each worker with its own parsers (a parser is single-threaded).
        let files = found
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, files.count))
        let collected = Mutex<
            (symbols: [String: FileSymbols], lines: [String: LineFingerprints], bytes: Int, done: Int)
        >(
            ([:], [:], 0, 0))
        Self.onThreads(workers) { worker in
            var parsers: [String: Parser] = [:]
            for number in stride(from: worker, to: files.count, by: workers) {
                while pauseWhile() { Thread.sleep(forTimeInterval: 0.002) }
                let (file, relativePath) = files[number]
                guard let data = try? Data(contentsOf: file.url) else { continue }
                let bytes = Array(data)
                let symbols = self.symbols(for: bytes, path: relativePath, parsers: &parsers)
                let lines = LineFingerprints(text: bytes)
                let done = collected.withLock { state -> Int in
                    state.symbols[relativePath] = symbols
                    state.lines[relativePath] = lines
                    state.bytes += data.count
                    state.done += 1
                    return state.done
                }
                if done % 50 == 0 { progress(done, files.count) }
            }
        }
        let (extracted, lines, bytes, _) = collected.withLock { $0 }
        progress(files.count, files.count)
        state.withLock { state in
            state.roots = standardizedRoots
            state.files = extracted
            state.lines = lines
            state.lastLinesBetween = nil
            state.lastLinesNextTo = nil
            state.byName = Self.nameTable(extracted.values)
        }
        let definitions = extracted.values.reduce(0) { $0 + $1.definitions.count }
        return Summary(
            files: extracted.count, definitions: definitions, bytes: bytes,
            seconds: Date().timeIntervalSince(started))
    }

    /// Runs `body(0)` … `body(count − 1)` on `count` threads at once and waits for them. Not
    /// `DispatchQueue.concurrentPerform`: on Linux, libdispatch does not widen its thread pool while other processes
    /// keep the cores busy (even at the lowest priority), and indexing then ran on one thread.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let finished = DispatchSemaphore(value: 0)
        for worker in 1..<max(1, count) {
            let thread = Thread {
                body(worker); finished.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        body(0)
        for _ in 1..<max(1, count) { finished.wait() }
    }

    /// Re-indexes one file from `text` (an open document's current contents) or, when `text` is `nil`, from disk;
    /// a file that no longer exists is removed. Use for didChange, didSave and watched-file events.
    public func update(path relativePath: String, text: [UInt8]? = nil) {
        var contents = text
        if contents == nil, let url = url(forRelativePath: relativePath) {
            contents = (try? Data(contentsOf: url)).map(Array.init)
        }
        guard let contents else {
            remove(path: relativePath)
            return
        }
        var parsers: [String: Parser] = [:]
        let symbols = symbols(for: contents, path: relativePath, parsers: &parsers)
        let lines = LineFingerprints(text: contents)
        state.withLock { state in
            if let old = state.files[relativePath] { Self.removeNames(of: old, from: &state.byName) }
            state.files[relativePath] = symbols
            state.setLines(lines, for: relativePath)
            for definition in symbols.definitions { state.byName[definition.name, default: []].append(definition) }
        }
    }

    /// Re-indexes the given tree (already parsed by the caller), avoiding a second parse.
    public func update(path relativePath: String, tree: SyntaxTree) {
        let symbols = SymbolExtractor.extract(from: tree, path: relativePath, registry: registry)
        let lines = LineFingerprints(text: tree.text)
        state.withLock { state in
            if let old = state.files[relativePath] { Self.removeNames(of: old, from: &state.byName) }
            state.files[relativePath] = symbols
            state.setLines(lines, for: relativePath)
            for definition in symbols.definitions { state.byName[definition.name, default: []].append(definition) }
        }
    }

    /// Forgets a file.
    public func remove(path relativePath: String) {
        state.withLock { state in
            if let old = state.files.removeValue(forKey: relativePath) {
                Self.removeNames(of: old, from: &state.byName)
            }
            state.setLines(nil, for: relativePath)
        }
    }

    /// Every place in the indexed files other than `excluded` where a non-blank line sits between a non-blank line
    /// with fingerprint `above` and one with fingerprint `below` (`LineFingerprints`), in path order, with how common
    /// those two lines are there. One pass over every file's fingerprints, unless the question is the last one asked
    /// and no file but the excluded one changed since.
    public func linesBetween(_ above: UInt64, and below: UInt64, excluding excluded: String) -> LinesBetween {
        state.withLock { state in
            if let last = state.lastLinesBetween, last.above == above, last.below == below, last.excluded == excluded {
                return last.answer
            }
            var found = LinesBetween()
            for (path, lines) in state.lines where path != excluded {
                let prints = lines.fingerprints
                found.lineCount += prints.count
                for (index, print) in prints.enumerated() {
                    if print == above { found.aboveCount += 1 }
                    if print == below { found.belowCount += 1 }
                    if print == above, index + 2 < prints.count, prints[index + 2] == below {
                        found.places.append(
                            .init(
                                path: path, lineNumber: Int(lines.lineNumbers[index + 1]),
                                fingerprint: prints[index + 1]))
                    }
                }
            }
            found.places.sort { ($0.path, $0.lineNumber) < ($1.path, $1.lineNumber) }
            state.lastLinesBetween = (above, below, excluded, found)
            return found
        }
    }

    /// Places in the indexed files other than `excluded` where a non-blank line comes just after a non-blank line with
    /// fingerprint `above`, or just before one with fingerprint `below`: those after `above` and before `below` first,
    /// then the others, each group in path order, at most `limit`. One pass over every file's fingerprints, unless
    /// the question is the last one asked and no file but the excluded one changed since.
    public func linesNextTo(above: UInt64?, below: UInt64?, excluding excluded: String, limit: Int)
        -> [LinesBetween.Place]
    {
        state.withLock { state in
            if let last = state.lastLinesNextTo, last.above == above, last.below == below, last.excluded == excluded,
                last.limit == limit
            {
                return last.answer
            }
            var both: [LinesBetween.Place] = [], one: [LinesBetween.Place] = []
            for (path, lines) in state.lines where path != excluded {
                let prints = lines.fingerprints
                for index in prints.indices {
                    let after = index > 0 && prints[index - 1] == above
                    let before = index + 1 < prints.count && prints[index + 1] == below
                    guard after || before else { continue }
                    let place = LinesBetween.Place(
                        path: path, lineNumber: Int(lines.lineNumbers[index]),
                        fingerprint: prints[index])
                    if after && before { both.append(place) } else { one.append(place) }
                }
            }
            let inOrder: (LinesBetween.Place, LinesBetween.Place) -> Bool = {
                ($0.path, $0.lineNumber) < ($1.path, $1.lineNumber)
            }
            let answer = Array((both.sorted(by: inOrder) + one.sorted(by: inOrder)).prefix(limit))
            state.lastLinesNextTo = (above, below, excluded, limit, answer)
            return answer
        }
    }

    /// An indexed file's bytes as they are on disk now; nil when it cannot be read.
    public func textOnDisk(path relativePath: String) -> [UInt8]? {
        guard let url = url(forRelativePath: relativePath), let data = try? Data(contentsOf: url) else { return nil }
        return Array(data)
    }

    /// Line `lineNumber` (0-based) of an indexed file as it is on disk now, without its line break; nil when the
    /// file cannot be read or has fewer lines.
    public func lineOnDisk(path relativePath: String, lineNumber: Int) -> [UInt8]? {
        guard let url = url(forRelativePath: relativePath),
            let data = try? Data(contentsOf: url)
        else { return nil }
        var number = 0, start = data.startIndex
        while number < lineNumber {
            guard let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = newline + 1
            number += 1
        }
        let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        return Array(data[start..<end])
    }

    /// Every definition called `name`, in path order.
    public func definitions(named name: String) -> [SymbolDefinition] {
        state.withLock { $0.byName[name] ?? [] }
    }

    /// The files that spell the identifier `name` somewhere, sorted: the candidates for a workspace-wide rename
    /// of a top-level symbol (check each with ``ScopeResolver/fileLevelOccurrences(of:in:registry:)``).
    public func paths(mentioning name: String) -> [String] {
        state.withLock { state in
            state.files.values.filter { $0.identifiers.contains(name) }.map(\.path).sorted()
        }
    }

    /// What the index holds for a workspace-relative path.
    public func symbols(inFile relativePath: String) -> FileSymbols? {
        state.withLock { $0.files[relativePath] }
    }

    /// The indexed workspace-relative paths, sorted.
    public var paths: [String] { state.withLock { $0.files.keys.sorted() } }

    /// The workspace-relative path of a file URL inside one of the indexed roots, `/`-separated.
    public func relativePath(for url: URL) -> String? {
        let path = url.standardizedFileURL.path
        return state.withLock { state -> String? in
            for root in state.roots {
                let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
                if path.hasPrefix(rootPath) {
                    let relative = String(path.dropFirst(rootPath.count))
                    return state.roots.count > 1 ? root.lastPathComponent + "/" + relative : relative
                }
            }
            return nil
        }
    }

    // MARK: - Internals

    private func url(forRelativePath relativePath: String) -> URL? {
        state.withLock { state -> URL? in
            if state.roots.count == 1 { return state.roots[0].appendingPathComponent(relativePath) }
            for root in state.roots where relativePath.hasPrefix(root.lastPathComponent + "/") {
                return root.appendingPathComponent(String(relativePath.dropFirst(root.lastPathComponent.count + 1)))
            }
            return nil
        }
    }

    private func symbols(for text: [UInt8], path: String, parsers: inout [String: Parser]) -> FileSymbols {
        guard let language = registry.language(forPath: path) else {
            return FileSymbols(path: path, languageID: nil, definitions: [], imports: [])
        }
        if parsers[language.id] == nil { parsers[language.id] = try? Parser(language: language) }
        guard let parser = parsers[language.id] else {
            return FileSymbols(path: path, languageID: language.id, definitions: [], imports: [])
        }
        return SymbolExtractor.extract(from: parser.parse(text), path: path, registry: registry)
    }

    private static func nameTable(_ files: some Sequence<FileSymbols>) -> [String: [SymbolDefinition]] {
        var table: [String: [SymbolDefinition]] = [:]
        for file in files.sorted(by: { $0.path < $1.path }) {
            for definition in file.definitions { table[definition.name, default: []].append(definition) }
        }
        return table
    }

    private static func removeNames(of file: FileSymbols, from table: inout [String: [SymbolDefinition]]) {
        for name in Set(file.definitions.map(\.name)) {
            table[name]?.removeAll { $0.path == file.path }
            if table[name]?.isEmpty == true { table[name] = nil }
        }
    }
}
