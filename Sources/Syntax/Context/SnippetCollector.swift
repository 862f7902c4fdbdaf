import Foundation

/// Finds definitions from other files that the code around the hole uses, ranks them and fits them to a budget.
struct SnippetCollector {
    let index: WorkspaceIndex
    let counter: TokenCounter

    /// How many lines around the hole count as "near" it.
    static let linesBefore = 40
    static let linesAfter = 12
    /// Names with more definitions than this are too ambiguous to show.
    static let maxDefinitionsPerName = 24

    func collect(
        path: String, text: [UInt8], hole: Range<Int>, tree: SyntaxTree?, currentFile: FileSymbols?,
        windowText: String, budget: Int, maxFiles: Int
    ) -> [ContextSnippet] {
        guard budget > 0, maxFiles > 0 else { return [] }
        let weights = identifierWeights(text: text, hole: hole, tree: tree, currentFile: currentFile)
        guard !weights.isEmpty else { return [] }
        let localNames = Set(currentFile?.definitions.map(\.name) ?? [])
        let imports = currentFile?.imports ?? []
        let directory = (path as NSString).deletingLastPathComponent

        // What the imports name, reduced to file stems: `app.models` → models, `./geometry` → geometry.
        let importedStems = Set(imports.flatMap { Self.moduleStems($0.module) })
        var locations: [String: (stem: String, folderName: String, directory: String)] = [:]
        func locate(_ path: String) -> (stem: String, folderName: String, directory: String) {
            if let known = locations[path] { return known }
            let directory = (path as NSString).deletingLastPathComponent
            let location = (
                ((path as NSString).lastPathComponent as NSString).deletingPathExtension,
                (directory as NSString).lastPathComponent, directory
            )
            locations[path] = location
            return location
        }

        struct Candidate { var definition: SymbolDefinition; var score: Double }
        var candidates: [Candidate] = []
        for (name, weight) in weights where !localNames.contains(name) {
            // Properties are shown through their type's snippet: alone (`self.name = name`) they say little, and
            // a parameter of the same name would pull them in.
            let definitions = index.definitions(named: name).filter { $0.path != path && $0.kind != .property }
            // A name defined all over the workspace (`__init__`, `run`) says little about which one is meant,
            // and ranking hundreds of them would cost more than the whole rest of the context.
            if definitions.count > Self.maxDefinitionsPerName { continue }
            let ranked = definitions.map { definition -> Candidate in
                var score = weight
                let location = locate(definition.path)
                if importedStems.contains(location.stem) || importedStems.contains(location.folderName) { score *= 2 }
                if location.directory == directory { score *= 1.3 }
                if definition.kind.isTypeLike { score *= 1.2 }
                return Candidate(definition: definition, score: score)
            }.sorted { ($0.score, $1.definition.path) > ($1.score, $0.definition.path) }
            // A name defined in many files is ambiguous: show the two likeliest.
            candidates.append(contentsOf: ranked.prefix(2))
        }
        candidates.sort {
            ($0.score, $1.definition.path, $1.definition.range.lowerBound)
                > ($1.score, $0.definition.path, $0.definition.range.lowerBound)
        }

        // One hop further: the types the best candidates mention (`make_user` builds a `User`) are in play too.
        var secondHop: [Candidate] = []
        for parent in candidates.prefix(4) {
            for (word, _) in Self.words(in: parent.definition.snippet, base: 0)
            where word.first?.isUppercase == true && weights[word] == nil && !localNames.contains(word) {
                let types = index.definitions(named: word).filter { $0.kind.isTypeLike && $0.path != path }
                guard types.count <= 2 else { continue }
                for type in types where !secondHop.contains(where: { $0.definition == type }) {
                    secondHop.append(Candidate(definition: type, score: parent.score * 0.4))
                }
            }
        }
        candidates = (candidates + secondHop).sorted {
            ($0.score, $1.definition.path, $1.definition.range.lowerBound)
                > ($1.score, $0.definition.path, $0.definition.range.lowerBound)
        }

        // Greedy by score; a definition inside one already chosen (a method of a chosen class) adds nothing.
        var chosen: [Candidate] = []
        var used = 0
        var files = Set<String>()
        for candidate in candidates {
            let definition = candidate.definition
            if chosen.contains(where: {
                $0.definition.path == definition.path
                    && $0.definition.range.lowerBound <= definition.range.lowerBound
                    && definition.range.upperBound <= $0.definition.range.upperBound
            }) {
                continue
            }
            let isNewFile = !files.contains(definition.path)
            if isNewFile && files.count >= maxFiles { continue }
            let cost = counter.count(definition.snippet) + (isNewFile ? counter.count(definition.path) + 2 : 1)
            if used + cost > budget { continue }
            // Last, as the costliest test: text the window already shows (a copied definition) is not repeated.
            if windowText.utf8.count >= definition.snippet.utf8.count, windowText.contains(definition.snippet) {
                continue
            }
            // Drop chosen definitions nested inside this one.
            chosen.removeAll {
                $0.definition.path == definition.path
                    && definition.range.lowerBound <= $0.definition.range.lowerBound
                    && $0.definition.range.upperBound <= definition.range.upperBound
            }
            chosen.append(candidate)
            used += cost
            files.insert(definition.path)
        }

        // One block per file, definitions in file order; blocks ordered least relevant first.
        var blocks: [ContextSnippet] = []
        for file in Set(chosen.map(\.definition.path)) {
            let parts = chosen.filter { $0.definition.path == file }.sorted {
                $0.definition.range.lowerBound < $1.definition.range.lowerBound
            }
            blocks.append(
                ContextSnippet(
                    path: file, text: parts.map(\.definition.snippet).joined(separator: "\n\n"),
                    symbols: parts.map(\.definition.name),
                    score: parts.map(\.score).max() ?? 0))
        }
        return blocks.sorted { ($0.score, $1.path) < ($1.score, $0.path) }
    }

    /// Identifiers near the hole, weighted by closeness; imported names get a base weight even when unused here.
    func identifierWeights(text: [UInt8], hole: Range<Int>, tree: SyntaxTree?, currentFile: FileSymbols?) -> [String:
        Double]
    {
        let lines = LineView(text: text)
        var start = lines.lineStart(before: hole.lowerBound)
        for _ in 0..<Self.linesBefore where start > 0 { start = lines.lineStart(before: start - 1) }
        var end = lines.lineEnd(after: hole.upperBound)
        for _ in 0..<Self.linesAfter where end < text.count { end = lines.lineEnd(after: end + 1) }
        let holeLine = TextPoint.of(offset: hole.lowerBound, in: text).row

        var weights: [String: Double] = [:]
        func add(_ name: String, row: Int) {
            guard name.utf8.count >= 2 else { return }
            weights[name, default: 0] += 1 / (1 + Double(abs(row - holeLine)) / 4)
        }
        // Rows counted from the window's start, so nothing rescans the file from its beginning.
        let startRow = TextPoint.of(offset: start, in: text).row
        func rows(of words: [(String, Int)], from base: Int, baseRow: Int) -> [(String, Int)] {
            var row = baseRow
            var position = base
            return words.map { word, offset in
                while position < offset { if text[position] == UInt8(ascii: "\n") { row += 1 }; position += 1 }
                return (word, row)
            }
        }
        if let tree {
            tree.root.walk { node in
                guard node.endByte >= start, node.startByte <= end else { return false }
                if node.childCount == 0, node.isNamed, Self.isIdentifierType(node.type),
                    !node.byteRange.contains(hole.lowerBound) || node.endByte == hole.lowerBound
                {
                    add(node.text, row: node.startPoint.row)
                }
                return true
            }
            // The enclosing declarations' headers name the types in play even when far above.
            for header in WindowCutter.enclosingHeaders(in: tree, at: hole.lowerBound)
            where header.range.lowerBound < start {
                let row = tree.node(at: header.range.lowerBound)?.startPoint.row ?? startRow
                for (word, _) in Self.words(in: header.text, base: header.range.lowerBound) { add(word, row: row) }
            }
        } else {
            for (word, row) in rows(
                of: Self.words(in: lines.string(start..<end), base: start), from: start, baseRow: startRow)
            {
                add(word, row: row)
            }
        }
        for reference in currentFile?.imports ?? [] {
            for name in reference.names { weights[name, default: 0] += 0.5 }
        }
        return weights
    }

    static func isIdentifierType(_ type: String) -> Bool {
        type.contains("identifier") || type.hasSuffix("_name") || type == "constant" || type == "word"
    }

    /// Identifier-shaped words, for languages without a grammar.
    static func words(in text: String, base: Int) -> [(String, Int)] {
        var result: [(String, Int)] = []
        var current: [UInt8] = []
        var currentStart = 0
        for (offset, byte) in text.utf8.enumerated() {
            let isWordByte =
                byte == UInt8(ascii: "_") || (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122)
            if isWordByte {
                if current.isEmpty { currentStart = offset }
                current.append(byte)
            } else if !current.isEmpty {
                if !(current[0] >= 48 && current[0] <= 57) {
                    result.append((String(decoding: current, as: UTF8.self), base + currentStart))
                }
                current = []
            }
        }
        if !current.isEmpty, !(current[0] >= 48 && current[0] <= 57) {
            result.append((String(decoding: current, as: UTF8.self), base + currentStart))
        }
        return result
    }

    /// The file or folder names an import's module path may refer to (`app.models` → models, `./util.js` → util,
    /// `std::fmt` → fmt, `"geometry.h"` → geometry).
    static func moduleStems(_ module: String) -> [String] {
        let lastComponent = (module as NSString).lastPathComponent
        let withoutExtension = (lastComponent as NSString).deletingPathExtension
        let dotted =
            module.replacingOccurrences(of: "::", with: ".").split(separator: ".").last.map(String.init) ?? module
        let slashed = dotted.split(separator: "/").last.map(String.init) ?? dotted
        return Array(Set([withoutExtension, slashed].filter { !$0.isEmpty }))
    }
}
