import Features

/// Cross-file snippets written as a comment block above the prefix, for request shapes that have no field for
/// them (OpenAI-style FIM and completions, Ollama). Each snippet is introduced by its path, as code-completion
/// clients commonly do, and the block ends with the current file's path, so a model reads which file it is in.
enum CommentPreamble {
    /// The line-comment marker for a path's language, or nil where the format has no comments (then snippets
    /// are left out rather than corrupting the file the model sees).
    static func marker(forPath path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : ""
        switch ext {
        case "py", "pyi", "rb", "sh", "bash", "zsh", "yaml", "yml", "toml", "r", "pl", "ex", "exs", "jl", "nim",
            "cmake", "dockerfile", "ps1", "tf":
            return "#"
        case "lua", "sql", "hs", "elm", "ada":
            return "--"
        case "lisp", "clj", "cljs", "el", "scm", "rkt":
            return ";;"
        case "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm", "swift", "js", "jsx", "mjs", "ts", "tsx", "go",
            "rs", "java", "kt", "kts", "scala", "cs", "php", "dart", "zig", "proto", "groovy", "gradle", "v", "sv":
            return "//"
        default:
            return nil
        }
    }

    /// The comment block for `context`'s snippets (empty when there are none or the language has no comments).
    static func render(_ context: InfillContext) -> String {
        guard !context.snippets.isEmpty, let marker = marker(forPath: context.path) else { return "" }
        var lines: [String] = []
        for snippet in context.snippets {
            lines.append("\(marker) Path: \(snippet.path)")
            for line in snippet.text.split(separator: "\n", omittingEmptySubsequences: false) {
                lines.append(line.isEmpty ? marker : "\(marker) \(line)")
            }
            lines.append(marker)
        }
        lines.append("\(marker) Path: \(context.path)")
        return lines.joined(separator: "\n") + "\n"
    }
}
