import SourceText

/// Incremental edits as `textDocument/didChange` delivers them, checked against a second, deliberately naive model
/// of the same rules (a list of Unicode scalars, walked from the start for every position).
///
/// Input: one byte for the position encoding, the initial text up to the first 0 byte, then edits of 6 bytes
/// (start line, start column, end line, end column, flags, replacement length) each followed by the replacement.
/// Bit 0 of flags groups an edit with the next into one all-or-nothing `apply`. Line and column bytes of 250 and
/// above stand for values past any document (and, for 255, a negative one). At most 64 edits are read: each is
/// checked against the model in time linear in the text, and longer scripts made inputs that ran past libFuzzer's
/// one-second limit in the checks, not in the reader.
enum TextDocumentTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let first = input.first else { return }
        let encoding = PositionEncoding.allCases[Int(first) % PositionEncoding.allCases.count]
        var rest = input.dropFirst()
        let textEnd = rest.firstIndex(of: 0) ?? rest.endIndex
        let initial = String(decoding: rest[..<textEnd], as: UTF8.self)
        rest = rest[textEnd...].dropFirst()

        var document = TextDocument(uri: "file:///fuzz.txt", languageID: "plaintext", version: 0, text: initial)
        var model = Array(initial.unicodeScalars)
        var group: [TextChange] = []
        var version = 0
        var edits = 0
        while rest.count >= 6 && edits < 64 {
            edits += 1
            let header = Array(rest.prefix(6))
            rest = rest.dropFirst(6)
            let length = min(Int(header[5]), rest.count)
            let replacement = String(decoding: rest.prefix(length), as: UTF8.self)
            rest = rest.dropFirst(length)
            let range = ClosedRangeOfPositions(
                start: LineColumn(line: value(header[0]), column: value(header[1])),
                end: LineColumn(line: value(header[2]), column: value(header[3])))
            group.append(TextChange(range: range, text: replacement))
            if header[4] & 1 == 1 && !rest.isEmpty { continue }

            version += 1
            let expected = apply(group, to: model, encoding: encoding)
            do {
                try document.apply(group, version: version, encoding: encoding)
                guard let expected else {
                    throw FuzzFinding("text-document: edits \(group) were applied; the model rejects them")
                }
                model = expected
            } catch let error as TextChangeError {
                guard expected == nil else {
                    throw FuzzFinding("text-document: edits \(group) were rejected (\(error)); the model applies them")
                }
                version -= 1
            } catch let finding as FuzzFinding {
                throw finding
            } catch {
                throw FuzzFinding("text-document: unexpected error \(error)")
            }
            group = []
            // Scalars, not Strings: String equality is canonical equivalence and would accept a changed text.
            guard Array(document.text.unicodeScalars) == model, document.version == version else {
                throw FuzzFinding("text-document: text or version differs from the model after \(version) edits")
            }
            try checkPositionsRoundTrip(document, encoding: encoding)
        }
    }

    private static func value(_ byte: UInt8) -> Int {
        switch byte {
        case 255: return -1
        case 250...254: return Int(byte) * 1_000_003
        default: return Int(byte) % 50
        }
    }

    /// The model's `apply`: every edit of the group against the text the previous one left, or nil if any fails.
    private static func apply(
        _ changes: [TextChange], to text: [Unicode.Scalar],
        encoding: PositionEncoding
    ) -> [Unicode.Scalar]? {
        var text = text
        for change in changes {
            guard let range = change.range else { text = Array(change.text.unicodeScalars); continue }
            guard let start = index(of: range.start, in: text, encoding: encoding),
                let end = index(of: range.end, in: text, encoding: encoding), start <= end
            else { return nil }
            text.replaceSubrange(start..<end, with: Array(change.text.unicodeScalars))
        }
        return text
    }

    /// The scalar index of a position: lines end at `\n`, `\r\n` or `\r`; a column past its line's end means the
    /// end; a column inside a character means its start; the line just past the last means the end of the text.
    private static func index(of position: LineColumn, in text: [Unicode.Scalar], encoding: PositionEncoding) -> Int? {
        guard position.line >= 0, position.column >= 0 else { return nil }
        var lines: [(start: Int, end: Int)] = []
        var start = 0, i = 0
        while i < text.count {
            if text[i] == "\n" || text[i] == "\r" {
                let end = i
                i += text[i] == "\r" && i + 1 < text.count && text[i + 1] == "\n" ? 2 : 1
                lines.append((start, end))
                start = i
            } else {
                i += 1
            }
        }
        lines.append((start, text.count))
        if position.line == lines.count { return text.count }
        guard position.line < lines.count else { return nil }
        var column = 0
        for j in lines[position.line].start..<lines[position.line].end {
            let width: Int
            switch encoding {
            case .utf8: width = UTF8.width(text[j])
            case .utf16: width = UTF16.width(text[j])
            case .utf32: width = 1
            }
            if column + width > position.column { return j }
            column += width
        }
        return lines[position.line].end
    }

    /// Character boundaries map to a position and back to themselves (except just after a `\r` that a `\n`
    /// follows: no position names the middle of a line break). At most 8 offsets spread over the text: checking
    /// every one (then 64) after every edit made the check itself quadratic on one long line (libFuzzer timeouts
    /// of the harness, not of the reader, whose conversions walk one line each).
    private static func checkPositionsRoundTrip(
        _ document: TextDocument,
        encoding: PositionEncoding
    ) throws(FuzzFinding) {
        let bytes = document.bytes
        let stride = max(1, bytes.count / 8)
        for offset in Swift.stride(from: 0, through: bytes.count, by: stride)
        where offset == bytes.count || bytes[offset] & 0xC0 != 0x80 {
            if offset > 0 && offset < bytes.count && bytes[offset - 1] == 13 && bytes[offset] == 10 { continue }
            do {
                let position = try document.position(ofOffset: offset, encoding: encoding)
                let back = try document.offset(of: position, encoding: encoding)
                guard back == offset else {
                    throw FuzzFinding("text-document: offset \(offset) -> \(position) -> \(back)")
                }
            } catch let finding as FuzzFinding {
                throw finding
            } catch {
                throw FuzzFinding("text-document: offset \(offset) of \(bytes.count) has no position: \(error)")
            }
        }
    }
}
