import Synchronization

/// The keys and values of the last canvas filled through it, lent to the next fill so that a canvas which begins
/// like the previous one (the user typed a few characters; the same hole asked again with another seed or length)
/// recomputes only the positions that changed instead of the whole canvas. Kept are the common start of both
/// canvases (snippets, the file header) and runs found shifted: the prefix window that slid by a few tokens as the
/// user typed, and the suffix pushed along by them. A shifted run's keys are rotated to their new positions, which
/// is exact for the rotary encoding itself: attention between two moved positions depends only on their distance.
/// Only the hole's rows of the kept canvas are never reused (they were last computed mid-denoising).
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
    /// A workspace whose K/V caches hold valid entries for `tokens` at the positions in `valid`.
    final class Kept: @unchecked Sendable {  // owned by one fill at a time: the mutex hands it over
        let workspace: Workspace
        let tokens: [Int32]
        /// Sorted, disjoint position ranges; the first starts at 0 (the context), the second is the suffix.
        let valid: [Range<Int>]
        /// Fills in a row that reused (0 after a fill that computed the whole canvas).
        let chain: Int
        init(workspace: Workspace, tokens: [Int32], valid: [Range<Int>], chain: Int) {
            self.workspace = workspace
            self.tokens = tokens
            self.valid = valid
            self.chain = chain
        }
    }

    private let kept = Mutex<Kept?>(nil)
    private let stats = Mutex<(fills: Int, reusedFills: Int, reusedPositions: Int)>((0, 0, 0))
    /// After this many consecutive reusing fills the next one computes the whole canvas.
    public let maxChain: Int

    public init(maxChain: Int = 8) { self.maxChain = max(0, maxChain) }

    /// Takes the kept workspace (if any); the caller returns one with `keep` when its fill is done.
    func borrow() -> Kept? {
        kept.withLock { k in
            let out = k; k = nil; return out
        }
    }

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

    /// A run of `count` kept positions starting at `from` that goes to `to` in the new canvas.
    struct Move: Equatable {
        var from: Int, to: Int, count: Int
        var source: Range<Int> { from..<(from + count) }
        var destination: Range<Int> { to..<(to + count) }
    }

    /// Which positions of a new canvas take their keys and values from the kept ones.
    struct Plan: Equatable {
        /// Positions 0..<common are identical in both canvases and stay where they are.
        var common: Int
        /// Runs found elsewhere in the kept canvas, in the order they are to be moved (none reads what an
        /// earlier one wrote).
        var moves: [Move]

        var reused: Int { common + moves.reduce(0) { $0 + $1.count } }

        /// The canvas positions (of `n`) the first forward must compute: all but the reused ones.
        func rowsToCompute(_ n: Int) -> [Int32] {
            (common..<n).filter { p in !moves.contains { $0.destination.contains(p) } }.map(Int32.init)
        }
    }

    /// Anchor length for finding a shifted run, how far into a range the search starts it, and the shortest run
    /// worth moving.
    static let anchor = 8, searchSpan = 32, minimumMove = 16

    /// Plans the reuse for `canvas`, whose positions in `allowed` (sorted, disjoint; the first starting at 0) may
    /// take kept values: before its hole, and its suffix.
    static func plan(_ kept: Kept, canvas: [Int32], allowed: [Range<Int>]) -> Plan {
        plan(kept: kept.tokens, valid: kept.valid, canvas: canvas, allowed: allowed)
    }

    static func plan(kept old: [Int32], valid: [Range<Int>], canvas: [Int32], allowed: [Range<Int>]) -> Plan {
        let valid = valid.map { $0.clamped(to: 0..<old.count) }.filter { !$0.isEmpty }
        let allowed = allowed.map { $0.clamped(to: 0..<canvas.count) }.filter { !$0.isEmpty }
        var common = 0
        if let v = valid.first, let a = allowed.first, v.lowerBound == 0, a.lowerBound == 0 {
            while common < min(v.upperBound, a.upperBound) && old[common] == canvas[common] { common += 1 }
        }
        var moves: [Move] = []
        for range in allowed {
            let region = max(range.lowerBound, common)..<range.upperBound
            if let move = findRun(old: old, valid: valid, skip: common, canvas: canvas, in: region) {
                moves.append(move)
            }
        }
        // Moves share the kept buffers: one whose destination overlaps another's source must come after it.
        if moves.count == 2 {
            let (a, b) = (moves[0], moves[1])
            if a.destination.overlaps(b.source) {
                moves = b.destination.overlaps(a.source) ? [a.count >= b.count ? a : b] : [b, a]
            }
        }
        return Plan(common: common, moves: moves)
    }

    /// The longest kept run (outside the kept common start) that matches the new canvas from one of the first
    /// `searchSpan` positions of `region` onward, if one is long enough to be worth moving.
    private static func findRun(
        old: [Int32], valid: [Range<Int>], skip: Int, canvas: [Int32],
        in region: Range<Int>
    ) -> Move? {
        guard region.count >= minimumMove else { return nil }
        for a in region.lowerBound..<min(region.upperBound - anchor, region.lowerBound + searchSpan) {
            var best: Move?
            for v in valid {
                var j = max(v.lowerBound, skip)
                while j + anchor <= v.upperBound {
                    if old[j] == canvas[a], (1..<anchor).allSatisfy({ old[j + $0] == canvas[a + $0] }) {
                        var length = anchor
                        while a + length < region.upperBound && j + length < v.upperBound
                            && old[j + length] == canvas[a + length]
                        { length += 1 }
                        if length > (best?.count ?? 0) { best = Move(from: j, to: a, count: length) }
                    }
                    j += 1
                }
            }
            if let best, best.count >= minimumMove { return best }
        }
        return nil
    }
}
