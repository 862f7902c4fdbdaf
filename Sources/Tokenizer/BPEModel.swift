/// The BPE model section of a `tokenizer.json`: vocabulary and merges, and the merge loop.
///
/// Token ids are `Int32` inside the module to halve the memory of the merge table and the per-word buffers.
struct BPEModel: Sendable {
    /// Token string (in the byte-level spelling) to id.
    let vocabulary: [String: Int32]
    /// `(left id << 32 | right id)` to `(rank << 32 | merged id)`.
    let merges: [UInt64: UInt64]
    /// The id of the one-byte token for each byte, or -1 when the vocabulary lacks it.
    let byteTokenIDs: [Int32]
    /// The id used for bytes that have no token, when the model names an unknown token.
    let unknownID: Int32?
    /// Whether consecutive unknown bytes become one unknown token.
    let fuseUnknown: Bool
    /// When true, a word that is itself in the vocabulary is one token, whatever the merges would make of it.
    let ignoreMerges: Bool

    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids for one pre-token word, given as its UTF-8 bytes.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = vocabulary[ByteLevelAlphabet.spelling(of: word)] {
            output.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        for byte in word {
            let id = byteTokenIDs[Int(byte)]
            if id >= 0 {
                if pendingUnknown, let unknownID { symbols.append(unknownID) }
                pendingUnknown = false
                symbols.append(id)
            } else if let unknownID {
                // As the library does: without an unknown token a byte missing from the vocabulary is dropped.
                if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        mergeAll(&symbols)
        output.append(contentsOf: symbols)
    }

    /// Applies merges by rank until none applies, exactly in the library's order: a priority queue keyed by
    /// (rank, position), where a popped entry is skipped if its pair no longer produces the same merged token.
    func mergeAll(_ symbols: inout [Int32]) {
        let count = symbols.count
        if count < 2 { return }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index) - 1 }
            initialized = count
        }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var queue = MergeQueue()
        for index in 0..<(count - 1) {
            if let merge = merges[Self.pairKey(symbols[index], symbols[index + 1])] {
                queue.push(
                    rank: UInt32(merge >> 32), position: UInt32(index), mergedID: Int32(truncatingIfNeeded: merge))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard let merge = merges[Self.pairKey(symbols[position], symbols[right])],
                Int32(truncatingIfNeeded: merge) == top.mergedID
            else { continue }
            symbols[position] = top.mergedID
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 {
                let left = Int(previous[position])
                if let merge = merges[Self.pairKey(symbols[left], symbols[position])] {
                    queue.push(
                        rank: UInt32(merge >> 32), position: UInt32(left), mergedID: Int32(truncatingIfNeeded: merge))
                }
            }
            if next[position] >= 0 {
                let following = Int(next[position])
                if let merge = merges[Self.pairKey(symbols[position], symbols[following])] {
                    queue.push(
                        rank: UInt32(merge >> 32), position: UInt32(position),
                        mergedID: Int32(truncatingIfNeeded: merge))
                }
            }
        }
        var write = 0
        var index = 0
        while index >= 0 && index < count {
            symbols[write] = symbols[index]
            write += 1
            index = Int(next[index])
        }
        symbols.removeSubrange(write...)
    }
}

/// A binary min-heap of pending merges ordered by rank, then position.
struct MergeQueue {
    struct Entry {
        /// rank << 32 | position: one integer comparison orders both.
        var key: UInt64
        var mergedID: Int32
        var position: UInt32 { UInt32(truncatingIfNeeded: key) }
    }

    private var heap: [Entry] = []

    mutating func push(rank: UInt32, position: UInt32, mergedID: Int32) {
        heap.append(Entry(key: UInt64(rank) << 32 | UInt64(position), mergedID: mergedID))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].key <= heap[child].key { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            let right = left + 1
            let smaller = right < count && heap[right].key < heap[left].key ? right : left
            if heap[parent].key <= heap[smaller].key { break }
            heap.swapAt(parent, smaller)
            parent = smaller
        }
        return top
    }
}
