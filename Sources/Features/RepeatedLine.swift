import Foundation
import Syntax

/// Why a suggestion is a line the file (or another file of the workspace) already has: the lines around that line
/// are the lines around the cursor.
public struct RepeatedLineEvidence: Sendable, Equatable {
    /// The line the suggestion repeats, 0-based, in the cursor's file or in the one `path` names.
    public var line: Int
    /// How many non-blank lines just above it, and just below it, are the same as those around the cursor (blanks at
    /// either end of a line aside). At least one of them is 1 or more; both are, unless no line shares both sides.
    public var linesAbove: Int
    public var linesBelow: Int
    /// How distinctive those shared lines are: over each of them, log2(the file's non-blank lines / how many times
    /// that line occurs), counted over the other files for a line from another file. Two `}` lines in a long file
    /// are weak evidence; a unique signature and a unique call are strong.
    public var bits: Double
    /// The workspace-relative path of the file the line is from, when it is not the cursor's.
    public var path: String?

    public init(line: Int, linesAbove: Int, linesBelow: Int, bits: Double, path: String? = nil) {
        self.path = path
        self.line = line
        self.linesAbove = linesAbove
        self.linesBelow = linesBelow
        self.bits = bits
    }
}

/// Finds the line the file repeats where the cursor is: another line that sits between the same lines as the
/// cursor's empty (or partly typed) line does, at the same indentation; failing that, one that follows the same
/// lines as the cursor's, or comes before the same lines.
///
/// Why: code repeats itself in blocks (a method and its async twin, rows of keyword arguments, the cases of a switch,
/// a test written like the one before it), and where the cursor's neighbours also surround another line, that line
/// is usually the one to write. On three sets of held-out whole lines, with at least 12 bits of shared context and
/// one line agreed by all the best-matching places, the repeated line was right 30 of 43, 46 of 63 and 55 of 72
/// times, where the model's own fill was right 4, 15 and 6 times (`Training/JOURNAL.md`, "Lines the file repeats").
/// Places that disagree are nearly always wrong (3 right of 62), so then nothing is offered. Where no place shares
/// both sides, one side with as much evidence is weaker but still better than the model: right 12 of 19, 25 of 36
/// and 19 of 42 times against the model's 1, 13 and 10.
///
/// Only lines that agree with what the cursor's line already says count, as for `FileLineSnap`: the line begins with
/// the cursor line's text before the hole and the typed word, and ends with its text after the cursor.
struct RepeatedLine {
    /// The least evidence (`RepeatedLineEvidence.bits`) for which a repeated line is offered.
    let minimumBits: Double

    /// How many lines on each side are compared at most: beyond a few, more agreement says little more.
    var maximumContextLines = 6

    /// The text to insert after the typed word (the repeated line's rest) and why, or nil when the cursor's
    /// neighbours surround (or precede, or follow) no other line, or different lines at equally good places, or the
    /// evidence is weaker than `minimumBits`. `before` is the cursor line's text before the hole, `after` its text
    /// after the cursor.
    /// Lines in `excluding` (0-based) are never the repeated line.
    func find(before: String, after: String, typed: String, lines document: DocumentLines, excluding: Set<Int> = [])
        -> (rest: String, evidence: RepeatedLineEvidence)?
    {
        let lines = LineIdentities(document.nonBlankLines())
        // The cursor sits between lines[above] and lines[below].
        let above = lines.cursorPosition - 1, below = lines.cursorPosition
        guard above >= 0 || below < lines.ids.count else { return nil }
        let indentation = document.cursorIndentation
        let text = document.text, lineStart = document.cursorLineStart
        // Every other line at the cursor's indentation (the suggestion is inserted after it) that shares at least
        // the nearest neighbour on one side, with how far the agreement goes on each side.
        var places: [Place] = []
        for place in lines.ids.indices
        where place != above && place != below && !excluding.contains(lines.numbers[place]) {
            let up = lines.agreement(from: above, and: place - 1, step: -1, limit: maximumContextLines)
            let down = lines.agreement(from: below, and: place + 1, step: 1, limit: maximumContextLines)
            guard up > 0 || down > 0 else { continue }
            let raw = text[lines.starts[place]...]
            guard raw.starts(with: indentation), let next = raw.dropFirst(indentation.count).first,
                next != UInt8(ascii: " "), next != UInt8(ascii: "\t")
            else { continue }
            places.append(Place(index: place, up: up, down: down))
        }
        // Of places that hold the same line, the nearest is the one named and measured.
        func nearest(_ places: [Place]) -> Place {
            places.min { abs(lines.starts[$0.index] - lineStart) < abs(lines.starts[$1.index] - lineStart) }!
        }
        func bits(_ place: Place) -> Double {
            (0..<place.up).reduce(0) { $0 + lines.bits(at: above - $1) }
                + (0..<place.down).reduce(0) { $0 + lines.bits(at: below + $1) }
        }
        // Both sides shared first: the place that agrees furthest on its weaker side, then on both together. Then,
        // where that gives nothing, each side on its own, the better evidenced of the two.
        var choices: [Place] = []
        if let best = Self.agreed(
            places.filter { $0.up > 0 && $0.down > 0 },
            by: { (min($0.up, $0.down), $0.up + $0.down) }, lines: lines)
        {
            choices.append(nearest(best))
        }
        let aboveOnly = Self.agreed(places.filter { $0.up > 0 }, by: { ($0.up, 0) }, lines: lines)
            .map { nearest($0.map { Place(index: $0.index, up: $0.up, down: 0) }) }
        let belowOnly = Self.agreed(places.filter { $0.down > 0 }, by: { ($0.down, 0) }, lines: lines)
            .map { nearest($0.map { Place(index: $0.index, up: 0, down: $0.down) }) }
        choices += [aboveOnly, belowOnly].compactMap { $0 }.sorted { bits($0) > bits($1) }.prefix(1)
        guard let choice = choices.first(where: { bits($0) >= minimumBits }) else { return nil }
        // It must also fit what the cursor's line says around the hole.
        guard let rest = Self.rest(of: lines.text(at: choice.index), before: before, typed: typed, after: after)
        else { return nil }
        return (
            rest,
            RepeatedLineEvidence(
                line: lines.numbers[choice.index], linesAbove: choice.up,
                linesBelow: choice.down, bits: bits(choice))
        )
    }

    /// The same across the workspace's other files, for a cursor whose file repeats nothing: a line that sits between
    /// the same two non-blank lines as the cursor in another file, every such place in the workspace holding the same
    /// line (blanks at either end aside), at any indentation. The evidence is counted as in the file, against the
    /// other files' lines: log2(their non-blank lines / occurrences) of the line above and of the line below. Offline
    /// on the three sets of held-out whole lines written with their repositories (`eval_infill.py --workspaces`),
    /// such a line was right 72 of 81, 120 of 129 and 91 of 104 times where the file had none (`Training/JOURNAL.md`).
    /// `path` is the cursor's file, left out of the search.
    func acrossFiles(
        index: WorkspaceIndex, path: String, before: String, after: String, typed: String,
        lines: DocumentLines
    ) -> (rest: String, evidence: RepeatedLineEvidence)? {
        guard let above = lines.nearestNonBlankLine(from: lines.cursorLine - 1, step: -1),
            let below = lines.nearestNonBlankLine(from: lines.cursorLine + 1, step: 1)
        else { return nil }
        let found = index.linesBetween(
            LineFingerprints.fingerprint(above), and: LineFingerprints.fingerprint(below),
            excluding: path)
        guard let first = found.places.first, found.places.allSatisfy({ $0.fingerprint == first.fingerprint })
        else { return nil }
        let total = Double(found.lineCount)
        let bits = log2(total / Double(max(1, found.aboveCount))) + log2(total / Double(max(1, found.belowCount)))
        guard bits >= minimumBits else { return nil }
        // The index keeps fingerprints, not text: the line is read from its file, and kept only if it still reads
        // the same (an open document may differ from what is on disk).
        for place in found.places {
            guard let raw = index.lineOnDisk(path: place.path, lineNumber: place.lineNumber) else { continue }
            let repeated = LineFingerprints.trimmed(raw[...])
            guard LineFingerprints.fingerprint(repeated) == place.fingerprint else { continue }
            guard let rest = Self.rest(of: repeated, before: before, typed: typed, after: after) else { return nil }
            return (
                rest,
                RepeatedLineEvidence(
                    line: place.lineNumber, linesAbove: 1, linesBelow: 1, bits: bits,
                    path: place.path)
            )
        }
        return nil
    }

    /// What `repeated` (a line without blanks at either end) adds after the typed word, when it begins with the
    /// cursor line's text before the hole and the typed word and ends with the text after the cursor; nil when it
    /// does not fit the cursor's line or adds nothing.
    static func rest(of repeated: ArraySlice<UInt8>, before: String, typed: String, after: String) -> String? {
        let head = Array(before.utf8)[...].trimmingLeadingBlanks + Array(typed.utf8)
        let tail = Array(after.utf8)[...].trimmingTrailingBlanks
        guard repeated.count > head.count + tail.count, repeated.starts(with: head),
            repeated.suffix(tail.count).elementsEqual(tail)
        else { return nil }
        let rest = repeated.dropFirst(head.count).dropLast(tail.count).trimmingTrailingBlanks
        return rest.isEmpty ? nil : String(decoding: rest, as: UTF8.self)
    }

    /// A line that shares the cursor's neighbours: its index among the non-blank lines, and how many lines agree
    /// just above it and just below it.
    struct Place {
        var index: Int
        var up: Int
        var down: Int
    }

    /// The places that agree best by `key`, when they all hold the same line; nil when there are none or they
    /// disagree (the file does not say which line to write).
    private static func agreed(_ places: [Place], by key: (Place) -> (Int, Int), lines: LineIdentities) -> [Place]? {
        guard let top = places.map(key).max(by: <) else { return nil }
        let best = places.filter { key($0) == top }
        let id = lines.ids[best[0].index]
        return best.allSatisfy { lines.ids[$0.index] == id } ? best : nil
    }
}

/// A file's non-blank lines but one (the cursor's), each named by a number that equal lines share, with where it
/// starts, its line number and how often it occurs.
private struct LineIdentities {
    var ids: [Int] = []
    var texts: [ArraySlice<UInt8>] = []
    var occurrences: [Int] = []
    let starts: [Int]
    let numbers: [Int]
    /// Where the skipped line sits: the index of the first non-blank line after it.
    let cursorPosition: Int

    init(_ lines: NonBlankLines) {
        starts = lines.starts
        numbers = lines.lineNumbers
        cursorPosition = lines.cursorPosition
        var idOfText: [ArraySlice<UInt8>: Int] = [:]
        for trimmed in lines.trimmed {
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
        }
    }

    func text(at index: Int) -> ArraySlice<UInt8> { texts[ids[index]] }

    /// How many lines agree going from `a` and from `b` in the direction of `step` (at most `limit`).
    func agreement(from a: Int, and b: Int, step: Int, limit: Int) -> Int {
        var count = 0
        while count < limit {
            let x = a + step * count, y = b + step * count
            guard ids.indices.contains(x), ids.indices.contains(y), ids[x] == ids[y] else { break }
            count += 1
        }
        return count
    }

    /// How rare the line at `index` is: log2(lines / its occurrences).
    func bits(at index: Int) -> Double {
        log2(Double(ids.count) / Double(occurrences[ids[index]]))
    }
}
