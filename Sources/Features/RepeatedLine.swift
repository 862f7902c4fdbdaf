import Foundation

/// Why a suggestion is a line the file already has: the lines around that line are the lines around the cursor.
public struct RepeatedLineEvidence: Sendable, Equatable {
    /// The line of the file the suggestion repeats, 0-based.
    public var line: Int
    /// How many non-blank lines just above it, and just below it, are the same as those around the cursor (blanks at
    /// either end of a line aside). Both are at least 1.
    public var linesAbove: Int
    public var linesBelow: Int
    /// How distinctive those shared lines are: over each of them, log2(the file's non-blank lines / how many times
    /// that line occurs). Two `}` lines in a long file are weak evidence; a unique signature and a unique call are
    /// strong.
    public var bits: Double

    public init(line: Int, linesAbove: Int, linesBelow: Int, bits: Double) {
        self.line = line
        self.linesAbove = linesAbove
        self.linesBelow = linesBelow
        self.bits = bits
    }
}

/// Finds the line the file repeats where the cursor is: another line that sits between the same lines as the
/// cursor's empty (or partly typed) line does, at the same indentation.
///
/// Why: code repeats itself in blocks (a method and its async twin, rows of keyword arguments, the cases of a switch,
/// a test written like the one before it), and where the cursor's neighbours also surround another line, that line
/// is usually the one to write. On three sets of held-out whole lines, with at least 12 bits of shared context and
/// one line agreed by all the best-matching places, the repeated line was right 30 of 43, 46 of 63 and 55 of 72
/// times, where the model's own fill was right 4, 15 and 6 times (`Training/README.md`, "Lines the file repeats").
/// Places that disagree are nearly always wrong (3 right of 62), so then nothing is offered.
///
/// Only lines that agree with what the cursor's line already says count, as for `FileLineSnap`: the line begins with
/// the cursor line's text before the hole and the typed word, and ends with its text after the cursor.
struct RepeatedLine {
    /// The least evidence (`RepeatedLineEvidence.bits`) for which a repeated line is offered.
    let minimumBits: Double

    /// How many lines on each side are compared at most: beyond a few, more agreement says little more.
    var maximumContextLines = 6

    /// The text to insert after the typed word (the repeated line's rest) and why, or nil when the cursor's
    /// neighbours surround no other line, or surround different lines at different places, or the evidence is
    /// weaker than `minimumBits`. `before` is the cursor line's text before the hole, `after` its text after the
    /// cursor.
    func find(before: String, after: String, typed: String, text: [UInt8], line: LineAround)
        -> (rest: String, evidence: RepeatedLineEvidence)? {
        let cursorLine = text[line.lineStart..<line.lineEnd]
        let indentation = cursorLine.prefix(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        // Every non-blank line but the cursor's, each named by a number shared by equal lines (blanks at either end
        // aside), with where it is and its indentation.
        var ids: [Int] = []
        var starts: [Int] = []
        var numbers: [Int] = []
        var idOfText: [ArraySlice<UInt8>: Int] = [:]
        var texts: [ArraySlice<UInt8>] = []
        var occurrences: [Int] = []
        var cursorPosition = 0
        var start = 0, number = 0
        while start <= text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            defer { start = end + 1; number += 1 }
            if start == line.lineStart {
                cursorPosition = ids.count
                continue
            }
            let trimmed = text[start..<end].trimmingBlanks
            guard !trimmed.isEmpty else { continue }
            let id: Int
            if let known = idOfText[trimmed] {
                id = known
            } else {
                id = texts.count
                idOfText[trimmed] = id
                texts.append(trimmed)
                occurrences.append(0)
            }
            occurrences[id] += 1
            ids.append(id)
            starts.append(start)
            numbers.append(number)
        }
        // The cursor sits between ids[above] and ids[below].
        let above = cursorPosition - 1, below = cursorPosition
        guard above >= 0, below < ids.count else { return nil }
        var best: (key: (Int, Int), places: [Int], linesAbove: Int, linesBelow: Int)?
        for place in 1..<max(1, ids.count - 1) where place != above && place != below {
            guard ids[place - 1] == ids[above], ids[place + 1] == ids[below] else { continue }
            // The line must start at the cursor line's indentation: the suggestion is inserted after it.
            let raw = text[starts[place]...]
            guard raw.starts(with: indentation), let next = raw.dropFirst(indentation.count).first,
                  next != UInt8(ascii: " "), next != UInt8(ascii: "\t") else { continue }
            var up = 1
            while up < maximumContextLines, above - up >= 0, place - 1 - up >= 0,
                  ids[above - up] == ids[place - 1 - up] { up += 1 }
            var down = 1
            while down < maximumContextLines, below + down < ids.count, place + 1 + down < ids.count,
                  ids[below + down] == ids[place + 1 + down] { down += 1 }
            // The place that agrees furthest on its weaker side wins, then on both sides together.
            let key = (min(up, down), up + down)
            if let current = best, current.key > key { continue }
            if let current = best, current.key == key {
                best?.places.append(place)
            } else {
                best = (key, [place], up, down)
            }
        }
        guard let best else { return nil }
        // Places that agree as well but hold different lines: the file does not say which one to write.
        let id = ids[best.places[0]]
        guard best.places.allSatisfy({ ids[$0] == id }) else { return nil }
        let total = Double(ids.count)
        var bits = 0.0
        for offset in 0..<best.linesAbove { bits += log2(total / Double(occurrences[ids[above - offset]])) }
        for offset in 0..<best.linesBelow { bits += log2(total / Double(occurrences[ids[below + offset]])) }
        guard bits >= minimumBits else { return nil }
        // It must also fit what the cursor's line says around the hole.
        let head = Array(before.utf8)[...].trimmingLeadingBlanks + Array(typed.utf8)
        let tail = Array(after.utf8)[...].trimmingTrailingBlanks
        let repeated = texts[id]
        guard repeated.count > head.count + tail.count, repeated.starts(with: head),
              repeated.suffix(tail.count).elementsEqual(tail) else { return nil }
        let rest = repeated.dropFirst(head.count).dropLast(tail.count).trimmingTrailingBlanks
        guard !rest.isEmpty else { return nil }
        // The nearest of the places (they hold the same line) is the one named.
        let nearest = best.places.min { abs(starts[$0] - line.lineStart) < abs(starts[$1] - line.lineStart) }!
        return (String(decoding: rest, as: UTF8.self),
                RepeatedLineEvidence(line: numbers[nearest], linesAbove: best.linesAbove,
                                     linesBelow: best.linesBelow, bits: bits))
    }
}
