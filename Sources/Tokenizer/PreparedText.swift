/// A piece of text laid out for the pre-tokenizer: its scalars, their classes, and where each starts in its UTF-8.
///
/// The matcher works on scalar indices; BPE works on bytes; `offsets` converts between the two without re-encoding.
struct PreparedText {
    let scalars: [Unicode.Scalar]
    let classes: [ScalarClass]
    /// `offsets[i]` is the UTF-8 offset of scalar `i`; `offsets[scalars.count]` is the byte count.
    let offsets: [Int]
    let bytes: [UInt8]

    init(_ text: String) {
        let byteCount = text.utf8.count
        var scalars: [Unicode.Scalar] = []
        var classes: [ScalarClass] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(byteCount)
        classes.reserveCapacity(byteCount)
        offsets.reserveCapacity(byteCount + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            scalars.append(scalar)
            classes.append(ScalarClass.of(scalar))
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        self.scalars = scalars
        self.classes = classes
        self.offsets = offsets
        bytes = Array(text.utf8)
    }

    func withBuffers<Result>(
        _ body: (
            UnsafeBufferPointer<Unicode.Scalar>, UnsafeBufferPointer<ScalarClass>,
            UnsafeBufferPointer<Int>, UnsafeBufferPointer<UInt8>
        ) throws -> Result
    ) rethrows -> Result {
        try scalars.withUnsafeBufferPointer { scalars in
            try classes.withUnsafeBufferPointer { classes in
                try offsets.withUnsafeBufferPointer { offsets in
                    try bytes.withUnsafeBufferPointer { bytes in
                        try body(scalars, classes, offsets, bytes)
                    }
                }
            }
        }
    }
}
