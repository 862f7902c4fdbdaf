import Engine
import Foundation
import Syntax

/// A statement the model itself judges redundant, which only a fill-in-the-middle model can say: each statement of
/// the block at the cursor becomes a hole of `holeTokens` masks, and one forward pass gives the probability that
/// the hole is empty (its first position is the end-of-text pad that closes a hole, the way the model was trained
/// to end a middle). A statement the model would leave out with probability ≥ `threshold` is offered for deletion,
/// most likely first. Unlike `RedundancyFinder` this is a judgement, not a proof, so the action says how sure the
/// model is and is offered only when the user asks for actions.
public struct ModelDeletionSuggester {
    /// One statement the model would delete.
    public struct Suggestion: Sendable, Equatable {
        /// The statement.
        public var range: Range<Int>
        /// Deleting it (whole lines when it stands alone on them).
        public var edit: ByteRangeEdit
        /// The model's probability that nothing belongs where the statement is.
        public var probabilityEmpty: Float
        public var title: String
    }

    public let engine: Engine
    private let assembler: CanvasAssembler
    /// Mask positions in the hole (the model decides "empty" at the first).
    public var holeTokens = 8
    public var threshold: Float = 0.5
    /// Statements scored per request, nearest the cursor first (one forward pass each).
    public var maxCandidates = 8
    /// Longer statements are never candidates.
    public var maxLines = 3
    public var contextTokens = 512

    public init(engine: Engine) throws {
        let backend = try EmbeddedBackend(engine: engine)  // checks the tokenizer and the file separator
        self.engine = engine
        assembler = CanvasAssembler(
            tokenizer: backend.tokenizer!,
            fileSeparator: engine.config.fileSepTokenID
                ?? backend.tokenizer!.tokenID(for: "<|file_sep|>")!)
    }

    /// Node types that hold a sequence of statements, across the supported grammars.
    static let blockTypes: Set<String> = [
        "block", "statements", "statement_block", "compound_statement",
        "class_body", "declaration_list", "module", "program", "source_file",
        "translation_unit", "function_body", "constructor_body",
    ]

    /// The statements of the innermost statement sequence holding `offset`, nearest to it first.
    static func candidates(in tree: SyntaxTree, at offset: Int, maxLines: Int, limit: Int) -> [SyntaxNode] {
        // The cursor may sit between statements, on the block itself.
        var node = tree.node(at: min(offset, max(0, tree.text.count - 1)))
        while let n = node, !blockTypes.contains(n.type), let parent = n.parent, !blockTypes.contains(parent.type) {
            node = parent
        }
        guard let found = node, let block = blockTypes.contains(found.type) ? found : found.parent else { return [] }
        let siblings = block.namedChildren.filter { s in
            !s.hasError && s.type != "comment" && s.endPoint.row - s.startPoint.row < maxLines
        }
        // Deleting the only statement of a block leaves an empty block, which says nothing.
        guard siblings.count >= 2 else { return [] }
        return siblings.sorted { abs($0.startByte - offset) < abs($1.startByte - offset) }.prefix(limit).map { $0 }
    }

    /// Scores the statements near `offset`; returns those at or above the threshold, most likely deletion first.
    public func suggest(
        in tree: SyntaxTree, path: String, at offset: Int,
        cancellation: CancellationFlag = CancellationFlag()
    ) throws -> [Suggestion] {
        let text = tree.text
        guard let eos = engine.config.eosTokenID, let mask = engine.config.maskTokenID else { return [] }
        var found: [Suggestion] = []
        for statement in Self.candidates(in: tree, at: offset, maxLines: maxLines, limit: maxCandidates) {
            if cancellation.isCancelled { throw EngineError.cancelled }
            let range = statement.byteRange
            // The hole is the statement's text; its indentation stays in the prefix and its newline in the suffix,
            // as in training.
            let context = InfillContext(
                path: path, prefix: String(decoding: text[..<range.lowerBound], as: UTF8.self),
                suffix: String(decoding: text[range.upperBound...], as: UTF8.self))
            let (before, after) = assembler.assemble(
                context, holeLength: holeTokens,
                budget: min(contextTokens, engine.config.maxPositions))
            let ids = before + [Int](repeating: mask, count: holeTokens) + after
            let row = engine.config.shiftLogits ? max(0, before.count - 1) : before.count
            guard let logits = try engine.forward(ids, rows: [row]).first else { continue }
            let p = Self.probability(of: eos, in: logits, excluding: mask)
            guard p >= threshold else { continue }
            let shown = statement.text.split(separator: "\n").first.map(String.init) ?? ""
            let label = shown.count > 40 ? String(shown.prefix(39)) + "…" : shown
            found.append(
                Suggestion(
                    range: range, edit: Self.deletion(of: range, in: text),
                    probabilityEmpty: p,
                    title: "Remove `\(label)` (the model expects nothing there: \(Int((p * 100).rounded()))%)"))
        }
        return found.sorted { ($0.probabilityEmpty, $1.range.lowerBound) > ($1.probabilityEmpty, $0.range.lowerBound) }
    }

    /// The edit that deletes `code` (whole lines when it stands alone on them).
    public static func deletion(of code: Range<Int>, in text: [UInt8]) -> ByteRangeEdit {
        ByteRangeEdit(range: RedundancyFinder.deletionRange(code, in: text), newText: "")
    }

    /// Softmax probability of `token`, with the mask token (never a prediction) left out.
    static func probability(of token: Int, in logits: [Float], excluding mask: Int) -> Float {
        var maximum = -Float.infinity
        for (i, v) in logits.enumerated() where i != mask { maximum = max(maximum, v) }
        var sum: Float = 0
        for (i, v) in logits.enumerated() where i != mask { sum += exp(v - maximum) }
        return exp(logits[token] - maximum) / sum
    }
}
