/// What a valid identifier is in each language dlsp has a grammar for, and which words are reserved.
///
/// Used to reject rename targets (a name the user types, or one the model proposes) before any edit is made.
public enum IdentifierRules {
    /// Why `name` cannot be used as an identifier in the language (dlsp id such as `"python"`), or nil if it can.
    public static func problem(with name: String, languageID: String?) -> String? {
        guard let first = name.unicodeScalars.first else { return "the name is empty" }
        let allowsDollar = ["javascript", "typescript", "tsx", "php", "bash"].contains(languageID ?? "")
        func isStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || (allowsDollar && scalar == "$") || scalar.properties.isXIDStart
        }
        func isContinue(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || (allowsDollar && scalar == "$") || scalar.properties.isXIDContinue
        }
        guard isStart(first) else { return "`\(name)` does not start with a letter or `_`" }
        if let bad = name.unicodeScalars.dropFirst().first(where: { !isContinue($0) }) {
            return "`\(name)` contains `\(bad)`, which is not allowed in an identifier"
        }
        // C-family grammars in dlsp's set (and bash) only take ASCII identifiers in practice.
        if ["c", "cpp", "bash"].contains(languageID ?? ""), !name.unicodeScalars.allSatisfy(\.isASCII) {
            return "`\(name)` is not an ASCII identifier"
        }
        if keywords(for: languageID).contains(name) { return "`\(name)` is a reserved word" }
        return nil
    }

    /// Reserved words that cannot name a variable or function.
    public static func keywords(for languageID: String?) -> Set<String> {
        switch languageID ?? "" {
        case "python":
            return [
                "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
                "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
                "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
                "yield",
            ]
        case "swift":
            return [
                "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
                "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol",
                "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case",
                "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in",
                "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is",
                "nil", "self", "Self", "super", "throws", "true", "try",
            ]
        case "javascript", "typescript", "tsx":
            var words: Set<String> = [
                "break", "case", "catch", "class", "const", "continue", "debugger", "default",
                "delete", "do", "else", "export", "extends", "false", "finally", "for",
                "function", "if", "import", "in", "instanceof", "new", "null", "return",
                "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void",
                "while", "with", "let", "static", "yield", "await", "enum", "implements",
                "interface", "package", "private", "protected", "public", "arguments",
                "eval", "undefined",
            ]
            if languageID != "javascript" {
                words.formUnion([
                    "any", "boolean", "number", "string", "symbol", "never",
                    "unknown", "type", "declare", "namespace",
                ])
            }
            return words
        case "go":
            return [
                "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for",
                "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select",
                "struct", "switch", "type", "var", "nil", "true", "false", "iota",
            ]
        case "rust":
            return [
                "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
                "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
                "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe",
                "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
                "typeof", "unsized", "virtual", "yield", "try",
            ]
        case "c", "cpp":
            var words: Set<String> = [
                "auto", "break", "case", "char", "const", "continue", "default", "do",
                "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
                "int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
                "static", "struct", "switch", "typedef", "union", "unsigned", "void",
                "volatile", "while", "bool", "true", "false", "NULL",
            ]
            if languageID == "cpp" {
                words.formUnion([
                    "class", "namespace", "template", "typename", "this", "new", "delete", "public",
                    "private", "protected", "virtual", "operator", "friend", "try", "catch", "throw",
                    "using", "nullptr", "constexpr", "decltype", "explicit", "mutable", "noexcept",
                    "override", "final", "static_cast", "dynamic_cast", "reinterpret_cast",
                    "const_cast",
                ])
            }
            return words
        case "java":
            return [
                "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
                "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
                "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
                "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
                "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
                "volatile", "while", "true", "false", "null", "var", "record", "yield",
            ]
        case "ruby":
            return [
                "BEGIN", "END", "alias", "and", "begin", "break", "case", "class", "def", "defined?", "do",
                "else", "elsif", "end", "ensure", "false", "for", "if", "in", "module", "next", "nil", "not",
                "or", "redo", "rescue", "retry", "return", "self", "super", "then", "true", "undef", "unless",
                "until", "when", "while", "yield",
            ]
        case "bash":
            return [
                "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
                "done", "in", "function", "time",
            ]
        default:
            return []
        }
    }
}
