/// Snaps a single-line fill to a line the file already has when the fill is a near miss of it.
///
/// Why: the model is right far more often when its line is one of the file's (`DocumentLines
/// .fileHasLine`), and many of its wrong lines are such a line with a character or a word off. On three sets
/// of held-out whole lines, snapping at distance 0.3 changed 527 fills, 28 of them into the right line and 3 right
/// ones into a wrong line (`Training/JOURNAL.md`, "Snapping to a line of the file"): a small net gain, and a snapped
/// line is still mostly wrong, so it is held to the floor of the model's own line.
///
/// Only lines that agree with what the cursor's line already says count: they must begin with the line's text
/// before the hole and end with its text after the cursor (blanks at either end aside), so the snap changes only
/// what the fill would have inserted, and the user's indentation stays theirs.
struct FileLineSnap {
    /// The most a fill may differ from a line's middle and still be snapped to it: 1 − 2·LCS / (|fill| + |middle|),
    /// with LCS the longest common subsequence of their bytes (0: identical; 1: nothing in common).
    let maxDistance: Double

    /// How many cells of LCS tables one snap may fill: a bound on its time in a very large file (a few
    /// milliseconds). Lines nearest the cursor are compared first, so a long file loses only its far lines.
    var comparisonBudget = 2_000_000

    /// The fill to offer instead of `fill` (the typed word and what the model inserted after it, one line), or nil
    /// when no other line of the file is within `maxDistance` of it or `fill` already completes a line of the
    /// file. Among equally close lines, the one nearest the cursor wins: code repeats itself locally.
    /// `before` is the cursor line's text before the hole, `after` its text after the cursor.
    /// Lines in `excluding` (0-based) are never snapped to.
    func snap(
        _ fill: String, before: String, after: String, typed: String, lines: DocumentLines, excluding: Set<Int> = []
    ) -> String? {
        guard maxDistance > 0, !fill.contains("\n") else { return nil }
        let head = Array(before.utf8)[...].trimmingLeadingBlanks
        let tail = Array(after.utf8)[...].trimmingTrailingBlanks
        let wanted = Array(fill.utf8)[...].trimmingTrailingBlanks
        guard !wanted.isEmpty else { return nil }
        let typedBytes = Array(typed.utf8)
        let cursorLineStart = lines.cursorLineStart
        // First every line of the file, for an exact copy (then there is nothing to snap) and for the candidates.
        var candidates: [(gap: Int, middle: ArraySlice<UInt8>, lengthBound: Double)] = []
        for line in 0..<lines.count where line != lines.cursorLine {
            let other = lines.trimmed(line: line)
            guard other.count >= head.count + tail.count, other.starts(with: head),
                other.suffix(tail.count).elementsEqual(tail)
            else { continue }
            let middle = other.dropFirst(head.count).dropLast(tail.count).trimmingTrailingBlanks
            // A middle that is not the rest of the typed word cannot be offered (a suggestion starts with it).
            guard !middle.isEmpty, middle.starts(with: typedBytes) else { continue }
            if middle.elementsEqual(wanted) { return nil }
            guard !excluding.contains(line) else { continue }
            // The distance can only be as small as the lengths allow; most lines are ruled out by that alone.
            let lengthBound = 1 - 2 * Double(min(middle.count, wanted.count)) / Double(middle.count + wanted.count)
            guard lengthBound <= maxDistance else { continue }
            candidates.append((abs(lines.range(ofLine: line).lowerBound - cursorLineStart), middle, lengthBound))
        }
        // Then the nearest first: a farther line must be strictly closer to the fill to win.
        candidates.sort { $0.gap < $1.gap }
        var best: (distance: Double, middle: ArraySlice<UInt8>)?
        var spent = 0
        for candidate in candidates {
            if let best, candidate.lengthBound >= best.distance { continue }
            spent += wanted.count * candidate.middle.count
            guard spent <= comparisonBudget else { break }
            let distance = Self.distance(wanted, candidate.middle)
            if distance <= maxDistance, distance < best?.distance ?? .infinity { best = (distance, candidate.middle) }
        }
        return best.map { String(decoding: $0.middle, as: UTF8.self) }
    }

    /// 1 − 2·LCS / (|a| + |b|) over bytes: the share of the two strings that is not a common subsequence (the
    /// complement of the ratio Python's `difflib` reports, with LCS for its matching blocks).
    static func distance(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        let x = Array(a), y = Array(b)
        var previous = [Int](repeating: 0, count: y.count + 1)
        var current = previous
        for i in 0..<x.count {
            for j in 0..<y.count {
                current[j + 1] = x[i] == y[j] ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        return 1 - 2 * Double(previous[y.count]) / Double(x.count + y.count)
    }
}
