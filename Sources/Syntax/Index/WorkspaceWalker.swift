import Foundation

/// Limits and exclusions for walking a workspace.
public struct WorkspaceWalkOptions: Sendable, Equatable {
    /// Folder names never entered (vendored code, build output, VCS metadata).
    public var skippedDirectoryNames: Set<String>
    /// Files larger than this are skipped (generated or minified code).
    public var maxFileBytes: Int
    /// Stop after this many files…
    public var maxFiles: Int
    /// …or this many bytes in total.
    public var maxTotalBytes: Int
    /// Honour `.gitignore` files.
    public var respectGitignore: Bool

    public init(
        skippedDirectoryNames: Set<String> = [
            ".git", ".hg", ".svn", "node_modules", ".build", "target", "dist", "build", "out", ".cache",
            "vendor", "__pycache__", ".venv", "venv", ".tox", "Pods", "DerivedData", ".swiftpm", ".next",
            ".gradle", ".idea", ".mypy_cache", ".pytest_cache", "coverage",
        ],
        maxFileBytes: Int = 1_000_000, maxFiles: Int = 20_000, maxTotalBytes: Int = 200_000_000,
        respectGitignore: Bool = true
    ) {
        self.skippedDirectoryNames = skippedDirectoryNames
        self.maxFileBytes = maxFileBytes
        self.maxFiles = maxFiles
        self.maxTotalBytes = maxTotalBytes
        self.respectGitignore = respectGitignore
    }
}

/// One file the walk selected.
public struct WorkspaceFile: Sendable, Hashable {
    public var url: URL
    /// Path relative to the workspace root, `/`-separated.
    public var relativePath: String
    public var size: Int
}

/// Lists the source files of a workspace folder: those with an extension some grammar covers, skipping ignored,
/// vendored, binary and huge files. Deterministic (sorted) order.
public enum WorkspaceWalker {
    public static func files(
        in root: URL, options: WorkspaceWalkOptions = WorkspaceWalkOptions(), extensions: Set<String>
    ) -> [WorkspaceFile] {
        let fileManager = FileManager.default
        var result: [WorkspaceFile] = []
        var totalBytes = 0
        var rules = IgnoreRules()
        // Depth-first with an explicit stack; each folder's .gitignore applies to what is below it.
        var pending: [String] = [""]
        while let relativeFolder = pending.popLast() {
            let folder = relativeFolder.isEmpty ? root : root.appendingPathComponent(relativeFolder)
            if options.respectGitignore,
                let contents = try? String(contentsOf: folder.appendingPathComponent(".gitignore"), encoding: .utf8)
            {
                rules.add(gitignore: contents, base: relativeFolder)
            }
            guard
                let entries = try? fileManager.contentsOfDirectory(
                    at: folder, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey, .fileSizeKey])
            else { continue }
            var subfolders: [String] = []
            for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
                let name = entry.lastPathComponent
                let relative = relativeFolder.isEmpty ? name : "\(relativeFolder)/\(name)"
                guard
                    let values = try? entry.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey, .fileSizeKey]
                    ),
                    values.isSymbolicLink != true
                else { continue }
                if values.isDirectory == true {
                    if options.skippedDirectoryNames.contains(name) { continue }
                    if options.respectGitignore, rules.isIgnored(relative, isDirectory: true) { continue }
                    subfolders.append(relative)
                    continue
                }
                guard extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                let size = values.fileSize ?? 0
                guard size <= options.maxFileBytes else { continue }
                if options.respectGitignore, rules.isIgnored(relative, isDirectory: false) { continue }
                guard !looksBinary(entry) else { continue }
                if result.count >= options.maxFiles || totalBytes + size > options.maxTotalBytes { return result }
                totalBytes += size
                result.append(WorkspaceFile(url: entry, relativePath: relative, size: size))
            }
            pending.append(contentsOf: subfolders.reversed())
        }
        return result
    }

    /// A NUL byte in the first 8 KB marks a binary file, as git judges it.
    static func looksBinary(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return true }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        return head.contains(0)
    }
}
