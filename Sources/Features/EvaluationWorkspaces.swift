import Foundation
import Syntax

/// The editor's context for evaluation holes that name their repository (`EvaluationHole.workspace`): each
/// repository folder is indexed once, as a workspace an editor opened would be, and a hole's own file is re-indexed
/// as the editor holds it (the hole left empty) before the hole is completed, so nothing of the answer reaches the
/// context through the index.
public final class EvaluationWorkspaces {
    public let registry: LanguageRegistry
    /// What a hole's `workspace` is relative to: the holes file's folder.
    public let base: URL
    private var opened: [String: (context: SyntaxContext, index: WorkspaceIndex)] = [:]

    /// How many workspaces have been indexed so far.
    public var count: Int { opened.count }

    public init(registry: LanguageRegistry, relativeTo base: URL) {
        self.registry = registry
        self.base = base
    }

    /// The context to complete `hole` with, or nil when the hole names no workspace (its file is completed alone).
    public func context(for hole: EvaluationHole) throws -> SyntaxContext? {
        guard let workspace = hole.workspace else { return nil }
        if opened[workspace] == nil {
            let root =
                (workspace.hasPrefix("/")
                ? URL(fileURLWithPath: workspace)
                : base.appendingPathComponent(workspace)).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw MissingWorkspace(path: root.path) }
            let index = WorkspaceIndex(registry: registry)
            index.index(roots: [root])
            opened[workspace] = (SyntaxContext(registry: registry, index: index), index)
        }
        let (context, index) = opened[workspace]!
        // The index read the file from disk, the hole's text included.
        index.update(path: hole.path, text: Array((hole.prefix + hole.suffix).utf8))
        return context
    }

    /// A hole names a workspace folder that does not exist.
    public struct MissingWorkspace: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no workspace folder \(path)" }
    }
}
