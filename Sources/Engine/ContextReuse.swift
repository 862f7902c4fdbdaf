import Synchronization

/// The keys and values of the last canvas filled through it, lent to the next fill so that a canvas which begins
/// like the previous one (the user typed a few characters; the same hole asked again with another seed or length)
/// recomputes only the positions from its first changed token onward instead of the whole canvas.
///
/// Why this is allowed: a bidirectional model's keys at position p depend on the whole canvas, so the reused
/// positions carry keys and values computed against the previous canvas's right-hand side. That is the dual
/// cache's approximation (Fast-dLLM) carried across requests instead of across steps; `maxChain` bounds how many
/// fills in a row may reuse before one recomputes everything, so the staleness cannot accumulate without limit.
/// `dlsp bench engine` measures the speed-up and how often the final tokens still agree with a fresh fill.
///
/// Opt-in per fill through `FillOptions.contextReuse`; never used with `CacheMode.none` (the exact mode).
/// Concurrent fills are safe: one fill borrows the kept workspace, any other fill meanwhile gets a fresh one.
public final class ContextReuse: Sendable {
    /// A workspace whose K/V caches hold valid entries for `tokens[0..<validPrefix]`.
    final class Kept: @unchecked Sendable {   // owned by one fill at a time: the mutex hands it over
        let workspace: Workspace
        let tokens: [Int32]
        let validPrefix: Int
        /// Fills in a row that reused (0 after a fill that computed the whole canvas).
        let chain: Int
        init(workspace: Workspace, tokens: [Int32], validPrefix: Int, chain: Int) {
            self.workspace = workspace
            self.tokens = tokens
            self.validPrefix = validPrefix
            self.chain = chain
        }
    }

    private let kept = Mutex<Kept?>(nil)
    private let stats = Mutex<(fills: Int, reusedFills: Int, reusedPositions: Int)>((0, 0, 0))
    /// After this many consecutive reusing fills the next one computes the whole canvas.
    public let maxChain: Int

    public init(maxChain: Int = 8) { self.maxChain = max(0, maxChain) }

    /// Takes the kept workspace (if any); the caller returns one with `keep` when its fill is done.
    func borrow() -> Kept? { kept.withLock { k in let out = k; k = nil; return out } }

    func keep(_ k: Kept) { kept.withLock { $0 = k } }

    func record(reusedPositions: Int) {
        stats.withLock { s in
            s.fills += 1
            if reusedPositions > 0 { s.reusedFills += 1; s.reusedPositions += reusedPositions }
        }
    }

    /// Fills served through this object, how many of them reused kept positions, and how many positions in all.
    public var statistics: (fills: Int, reusedFills: Int, reusedPositions: Int) { stats.withLock { $0 } }

    /// Forgets the kept canvas (the model's weights changed, or the caller wants an exact next fill).
    public func reset() { kept.withLock { $0 = nil } }

    /// How many leading positions of `canvas` may keep the kept K/V: the common prefix with the kept canvas,
    /// within its valid part, and before `limit` (the first row this fill must compute itself).
    static func reusablePrefix(_ kept: Kept, canvas: [Int32], limit: Int) -> Int {
        let bound = min(kept.validPrefix, limit, canvas.count, kept.tokens.count)
        var i = 0
        while i < bound && kept.tokens[i] == canvas[i] { i += 1 }
        return i
    }
}
