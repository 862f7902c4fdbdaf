import Synchronization

/// A bounded memo of word → ids, shared by every thread that encodes with one tokenizer.
///
/// Source code repeats the same identifiers and keywords constantly, so most words are found here and skip the
/// merge loop. When the table is full it is emptied, which keeps memory bounded without bookkeeping per hit.
final class BPECache: Sendable {
    /// Words at least this long (in bytes) are not remembered; like the library, long runs are rarely repeated.
    static let maximumWordLength = 256

    private let capacity: Int
    private let table: Mutex<[String: [Int32]]>

    init(capacity: Int) {
        self.capacity = capacity
        table = Mutex([:])
    }

    func ids(for word: String) -> [Int32]? {
        table.withLock { $0[word] }
    }

    func remember(_ ids: [Int32], for word: String) {
        guard capacity > 0 else { return }
        table.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[word] = ids
        }
    }

    /// The number of words remembered now.
    var count: Int { table.withLock { $0.count } }
}

extension BPECache {
    /// Forgets every word (benchmarks use it to measure a cold start).
    func removeAll() {
        table.withLock { $0.removeAll() }
    }
}
