import Synchronization

/// A bounded memo of word → ids, shared by every thread that encodes with one tokenizer.
///
/// Source code repeats the same identifiers and keywords constantly, so most words are found here and skip the
/// merge loop. Words of up to seven bytes (most of them) are keyed by their bytes packed into one integer, which
/// needs neither a string nor a hash of one; longer words are keyed by their bytes. Never by a `String`: Swift
/// compares strings by canonical equivalence, so "e\u{301}" and "é" would share an entry and one of them would be
/// encoded as the other's bytes (found by fuzzing the round trip). When a table is full it is emptied, which keeps
/// memory bounded without bookkeeping per hit.
final class BPECache: Sendable {
    /// Words at least this long (in bytes) are not remembered; like the library, long runs are rarely repeated.
    static let maximumWordLength = 256

    private struct Tables {
        var short: [UInt64: [Int32]] = [:]
        var long: [[UInt8]: [Int32]] = [:]
    }

    private let capacity: Int
    private let tables = Mutex(Tables())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The packed key of a word of 1 to 7 bytes, or nil for a longer one.
    @inline(__always)
    static func shortKey(_ word: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard word.count <= 7 else { return nil }
        var key = UInt64(word.count) << 56
        for (index, byte) in word.enumerated() { key |= UInt64(byte) << (8 * index) }
        return key
    }

    func ids(forShortKey key: UInt64) -> [Int32]? {
        tables.withLock { $0.short[key] }
    }

    func ids(for word: [UInt8]) -> [Int32]? {
        tables.withLock { $0.long[word] }
    }

    func remember(_ ids: [Int32], forShortKey key: UInt64) {
        guard capacity > 0 else { return }
        tables.withLock { tables in
            if tables.short.count >= capacity { tables.short.removeAll(keepingCapacity: true) }
            tables.short[key] = ids
        }
    }

    func remember(_ ids: [Int32], for word: [UInt8]) {
        guard capacity > 0 else { return }
        tables.withLock { tables in
            if tables.long.count >= capacity { tables.long.removeAll(keepingCapacity: true) }
            tables.long[word] = ids
        }
    }

    /// The number of words remembered now (at most twice the capacity: short and long words apart).
    var count: Int { tables.withLock { $0.short.count + $0.long.count } }

    /// Forgets every word (benchmarks use it to measure a cold start).
    func removeAll() {
        tables.withLock { $0 = Tables() }
    }
}
