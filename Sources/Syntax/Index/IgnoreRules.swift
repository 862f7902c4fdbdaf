import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The basics of `.gitignore`: globs, `!` negation, a trailing `/` for directories only, and patterns containing a
/// `/` anchored to the folder of the file that declares them. The last matching rule decides.
struct IgnoreRules: Sendable {
    struct Rule: Sendable {
        var pattern: String
        var negated: Bool
        var directoryOnly: Bool
        var anchored: Bool
        /// Workspace-relative folder of the `.gitignore` ("" for the root).
        var base: String
    }

    private(set) var rules: [Rule] = []

    /// Adds the rules of a `.gitignore` found in folder `base` (workspace-relative, "" for the root).
    mutating func add(gitignore contents: String, base: String) {
        for rawLine in contents.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = String(rawLine)
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            var rule = Rule(pattern: line, negated: false, directoryOnly: false, anchored: false, base: base)
            if rule.pattern.hasPrefix("!") { rule.negated = true; rule.pattern.removeFirst() }
            if rule.pattern.hasSuffix("/") { rule.directoryOnly = true; rule.pattern.removeLast() }
            if rule.pattern.hasPrefix("/") { rule.anchored = true; rule.pattern.removeFirst() }
            if rule.pattern.contains("/") { rule.anchored = true }
            if rule.pattern.hasPrefix("**/") { rule.anchored = false; rule.pattern.removeFirst(3) }
            guard !rule.pattern.isEmpty else { continue }
            rules.append(rule)
        }
    }

    /// Whether the workspace-relative `path` is ignored.
    func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
        var ignored = false
        for rule in rules {
            if rule.directoryOnly && !isDirectory { continue }
            let relative: Substring
            if rule.base.isEmpty {
                relative = Substring(path)
            } else if path.hasPrefix(rule.base + "/") {
                relative = path.dropFirst(rule.base.count + 1)
            } else {
                continue
            }
            let subject = rule.anchored ? String(relative) : String(relative.split(separator: "/").last ?? relative)
            if Self.glob(rule.pattern, matches: subject, pathAware: rule.anchored) { ignored = !rule.negated }
        }
        return ignored
    }

    private static func glob(_ pattern: String, matches subject: String, pathAware: Bool) -> Bool {
        if fnmatch(pattern, subject, pathAware ? FNM_PATHNAME : 0) == 0 { return true }
        // `a/**/b` also matches `a/b`, and a trailing `/**` matches everything below.
        if pattern.contains("**") {
            let loose = pattern.replacingOccurrences(of: "/**/", with: "/").replacingOccurrences(of: "**", with: "*")
            return fnmatch(loose, subject, 0) == 0
        }
        return false
    }
}
