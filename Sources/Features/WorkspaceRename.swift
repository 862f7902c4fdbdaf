import Foundation
import Syntax

/// Another file of the workspace, as a rename of a top-level symbol sees it.
public struct WorkspaceFile: Sendable {
    /// Workspace-relative path, `/`-separated.
    public var path: String
    /// Its UTF-8 text (the editor's when open, else the disk's).
    public var text: [UInt8]

    public init(path: String, text: [UInt8]) {
        self.path = path
        self.text = text
    }
}

extension Renamer {
    /// The edits that carry a rename of a top-level symbol declared in `definingPath` into another file, or nil
    /// when that file's occurrences of the name are not this symbol.
    ///
    /// The file's file-level occurrences of the name (`ScopeResolver.fileLevelOccurrences`, local shadows
    /// skipped) are this symbol when the file declares no such name itself and, in languages with per-file
    /// imports (Python, JavaScript, TypeScript), imports it from a module named like `definingPath`. Import
    /// statements are renamed with the rest (`from util import helper` → `from util import double`).
    public func edits(
        in file: WorkspaceFile, renaming target: RenameTarget, definedIn definingPath: String,
        to newName: String
    ) throws(RenameError) -> [ByteRangeEdit]? {
        guard let language = language(languageID: "", path: file.path), let parser = try? Parser(language: language)
        else { return nil }
        let tree = parser.parse(file.text)
        let occurrences = ScopeResolver.fileLevelOccurrences(of: target.name, in: tree, registry: registry)
        guard !occurrences.isEmpty else { return nil }
        let module = URL(fileURLWithPath: definingPath).deletingPathExtension().lastPathComponent
        var imported = false
        for range in occurrences {
            guard let node = tree.namedNode(covering: range) else { return nil }
            if let statement = ([node] + node.ancestors).last(where: { $0.type.contains("import") }) {
                // Imported from another module: a different symbol that happens to share the name.
                guard Self.mentionsModule(statement.text, module) else { return nil }
                imported = true
            } else if let resolved = ScopeResolver.occurrences(at: range.lowerBound, in: tree, registry: registry),
                resolved.definitions.contains(range)
            {
                return nil  // declared here: this file's own symbol
            }
        }
        if ["python", "javascript", "typescript", "tsx"].contains(language.id), !imported { return nil }
        if Self.identifierTexts(in: tree, range: tree.root.byteRange).contains(newName) {
            throw .collisionInFile(newName, file.path)
        }
        let edits = occurrences.map { ByteRangeEdit(range: $0, newText: newName) }
        let after = parser.parse(ByteRangeEdit.apply(edits, to: file.text))
        guard after.errorNodes().count <= tree.errorNodes().count else { throw .breaksSyntax(newName) }
        return edits
    }

    /// Whether an import statement names `module` as a whole word (`util`, `./util`, `pkg.util`).
    static func mentionsModule(_ statement: String, _ module: String) -> Bool {
        var searchRange = statement.startIndex..<statement.endIndex
        while let found = statement.range(of: module, range: searchRange) {
            let before =
                found.lowerBound == statement.startIndex ? nil : statement[statement.index(before: found.lowerBound)]
            let after = found.upperBound == statement.endIndex ? nil : statement[found.upperBound]
            let isBoundary: (Character?) -> Bool = { $0 == nil || !($0!.isLetter || $0!.isNumber || $0 == "_") }
            if isBoundary(before) && isBoundary(after) { return true }
            searchRange = found.upperBound..<statement.endIndex
        }
        return false
    }
}
