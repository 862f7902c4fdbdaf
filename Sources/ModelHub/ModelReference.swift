import Foundation

/// A model named as on the Hugging Face Hub: `ORG/NAME`, optionally pinned with `@REVISION` (a branch, a tag, a
/// commit hash, or `refs/pr/N`).
public struct ModelReference: Sendable, Equatable, CustomStringConvertible {
    /// `ORG/NAME`.
    public var repoID: String
    /// The branch, tag or commit asked for; `main` when none was.
    public var revision: String
    /// Whether `@REVISION` was written (the name is then shown with it).
    public var revisionGiven: Bool

    public init(repoID: String, revision: String? = nil) {
        self.repoID = repoID
        self.revision = revision ?? "main"
        self.revisionGiven = revision != nil
    }

    /// Parses `ORG/NAME[@REVISION]`; nil for anything else (a path, a bare name, characters the hub refuses).
    ///
    /// The rules are the hub's own for repository ids: letters, digits, `-`, `_` and `.`, no `--` or `..`, neither
    /// part starting or ending with `-` or `.`, at most 96 characters. They also keep a relative path such as
    /// `./models/x` or `../a/b` from reading as a name.
    public init?(parsing text: String) {
        var name = Substring(text)
        var revision: String?
        if let at = text.firstIndex(of: "@") {
            name = text[..<at]
            let rest = String(text[text.index(after: at)...])
            guard !rest.isEmpty, !rest.contains(".."), !rest.hasPrefix("/"), !rest.hasSuffix("/"),
                rest.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\\" })
            else { return nil }
            revision = rest
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, name.count <= 96, parts.allSatisfy(Self.isValidPart) else { return nil }
        self.init(repoID: String(name), revision: revision)
    }

    private static func isValidPart(_ part: Substring) -> Bool {
        guard let first = part.first, let last = part.last else { return false }
        let allowed = part.allSatisfy {
            $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".")
        }
        return allowed && !part.contains("--") && !part.contains("..")
            && !"-.".contains(first) && !"-.".contains(last)
    }

    /// Whether the revision is a full commit hash (then no ref needs resolving).
    public var revisionIsCommit: Bool { Self.isCommitHash(revision) }

    static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public var description: String { revisionGiven ? "\(repoID)@\(revision)" : repoID }
}
