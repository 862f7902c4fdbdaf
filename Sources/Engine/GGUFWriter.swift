import Foundation

/// Writes GGUF files (version 3, little-endian): the metadata and tensor descriptions first, then each tensor's
/// bytes as the caller produces them, so a model is written one tensor at a time and never held whole in memory.
/// What it writes is what `GGUFFile` (and llama.cpp) reads: a tensor's dimensions innermost first, its data at an
/// offset from the start of the data section that is a multiple of `alignment`, the data section itself aligned.
struct GGUFWriter {
    /// The ggml tensor types this writer stores.
    enum TensorType: UInt32 {
        case f32 = 0, f16 = 1, q8_0 = 8

        /// Bytes for `count` elements (`count` a multiple of 32 for Q8_0).
        func byteCount(elements count: Int) -> Int {
            switch self {
            case .f32: return count * 4
            case .f16: return count * 2
            case .q8_0: return count / Q8_0.blockSize * Q8_0.blockBytes
            }
        }
    }

    /// A metadata value, in the types llama.cpp's loader insists on for the keys written here (it checks them).
    enum Value {
        case uint32(UInt32), float32(Float), bool(Bool), string(String)
    }

    /// One tensor's description. `shape` is outermost first (PyTorch's order); the file stores it reversed.
    struct Tensor {
        let name: String
        let shape: [Int]
        let type: TensorType
        var byteCount: Int { type.byteCount(elements: shape.reduce(1, *)) }
    }

    static let alignment = 32

    /// Writes `path`: `metadata` (in this order, `general.alignment` added), the descriptions of `tensors`, then
    /// each tensor's data, which `data(i, write)` must produce through `write` for `tensors[i]` in exactly
    /// `byteCount` bytes (checked). Returns the file's size. The file is created or truncated; callers that must
    /// not leave a partial file behind write to a temporary name and rename it.
    @discardableResult
    static func write(
        path: String, metadata: [(String, Value)], tensors: [Tensor],
        data: (Int, (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw EngineError.io(path: path, reason: "cannot create")
        }
        defer { try? handle.close() }
        var header = ByteWriter()
        header.u32(0x4655_4747)  // "GGUF"
        header.u32(3)
        header.u64(UInt64(tensors.count))
        let entries = metadata + [("general.alignment", .uint32(UInt32(alignment)))]
        header.u64(UInt64(entries.count))
        for (key, value) in entries {
            header.string(key)
            switch value {
            case .uint32(let v): header.u32(4); header.u32(v)
            case .float32(let v): header.u32(6); header.u32(v.bitPattern)
            case .bool(let v): header.u32(7); header.bytes.append(v ? 1 : 0)
            case .string(let v): header.u32(8); header.string(v)
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            header.string(t.name)
            header.u32(UInt32(t.shape.count))
            for d in t.shape.reversed() { header.u64(UInt64(d)) }
            header.u32(t.type.rawValue)
            header.u64(UInt64(offset))
            offsets.append(offset)
            offset = aligned(offset + t.byteCount)
        }
        header.pad(to: aligned(header.bytes.count))
        var written = 0
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            do { try handle.write(contentsOf: Data(bytes)) } catch {
                throw EngineError.io(path: path, reason: "cannot write: \(error.localizedDescription)")
            }
            written += bytes.count
        }
        try header.bytes.withUnsafeBytes(put)
        let dataStart = written
        for (i, t) in tensors.enumerated() {
            let zeros = [UInt8](repeating: 0, count: dataStart + offsets[i] - written)
            try zeros.withUnsafeBytes(put)
            let begin = written
            try data(i, put)
            guard written - begin == t.byteCount else {
                throw EngineError.io(
                    path: path,
                    reason: "tensor '\(t.name)' produced \(written - begin) bytes, "
                        + "its description says \(t.byteCount)")
            }
        }
        // The last tensor is padded too, as llama.cpp's writer does: readers may map whole aligned blocks.
        try [UInt8](repeating: 0, count: dataStart + offset - written).withUnsafeBytes(put)
        return written
    }

    static func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Little-endian bytes of a header.
    private struct ByteWriter {
        var bytes: [UInt8] = []
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes.append(contentsOf: s.utf8) }
        mutating func pad(to n: Int) { bytes.append(contentsOf: repeatElement(0, count: n - bytes.count)) }
    }
}
