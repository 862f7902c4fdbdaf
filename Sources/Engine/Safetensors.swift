import Foundation

/// Element types a checkpoint may store. Quantised GGUF types live beside the float ones so that one weight
/// description serves both formats.
public enum TensorDType: String, Sendable, Equatable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", q8_0 = "Q8_0"

    /// Bytes for `count` elements (`count` a multiple of 32 for Q8_0).
    func byteCount(elements count: Int) -> Int {
        switch self {
        case .f32: return count * 4
        case .f16, .bf16: return count * 2
        case .q8_0: return count / 32 * 34
        }
    }
}

/// The number of elements of a tensor shape, or nil when a dimension is negative or the product overflows (a
/// corrupt header can claim any dimensions; multiplying them blindly would trap).
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        // Below 2^56 elements, byteCount(elements:) cannot overflow either.
        guard !overflow, product < 1 << 56 else { return nil }
        count = product
    }
    return count
}

extension NSNumber {
    /// The number as an `Int` when it is one exactly: a JSON number like 1e300 or 2.5 is not, and `intValue` would
    /// trap or truncate on it.
    var exactInt: Int? {
        let value = doubleValue
        guard value.isFinite, value.rounded() == value, abs(value) < 0x1p53 else { return nil }
        return Int(value)
    }
}

/// Where one tensor's bytes are: a file mapping, a byte offset into it, the type and the shape (outermost first,
/// as PyTorch writes it).
struct TensorSlice: @unchecked Sendable {
    /// Keeps the bytes alive (a file mapping or an in-memory buffer).
    let owner: AnyObject
    /// The file the tensor came from, for errors.
    let path: String
    let pointer: UnsafeRawPointer
    let dtype: TensorDType
    let shape: [Int]
    var elementCount: Int { shape.reduce(1, *) }
}

/// A source of named tensors (safetensors files or a GGUF file).
protocol TensorSource {
    func tensor(_ name: String) -> TensorSlice?
    var names: [String] { get }
    /// Names the files searched, for "tensor not found" errors.
    var description: String { get }
}

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
/// Every entry of the header is checked against the file before any tensor is used.
struct SafetensorsFile: TensorSource {
    let file: MappedFile
    let tensors: [String: TensorSlice]
    let metadata: [String: String]
    var names: [String] { Array(tensors.keys) }
    var description: String { file.path }

    init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        func corrupt(_ reason: String) -> EngineError { .corruptHeader(path: path, reason: reason) }
        guard file.size >= 8 else { throw corrupt("file is \(file.size) bytes, shorter than the 8-byte header length") }
        let headerLength = file.load(UInt64.self, at: 0)
        guard headerLength <= UInt64(file.size - 8) else {
            throw corrupt("header length \(headerLength) exceeds the file (\(file.size) bytes): truncated file?")
        }
        let dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: file.base + 8, count: Int(headerLength))
        guard let object = try? JSONSerialization.jsonObject(with: headerData),
            let header = object as? [String: Any]
        else {
            throw corrupt("header is not a JSON object")
        }
        let dataSize = file.size - dataStart
        var tensors: [String: TensorSlice] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                if let dict = value as? [String: Any] {
                    for (k, v) in dict { metadata[k] = v as? String ?? "\(v)" }
                }
                continue
            }
            guard let entry = value as? [String: Any],
                let dtypeName = entry["dtype"] as? String,
                let shapeValues = entry["shape"] as? [NSNumber],
                let offsets = (entry["data_offsets"] as? [NSNumber])?.compactMap(\.exactInt), offsets.count == 2
            else {
                throw corrupt("entry for tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = TensorDType(rawValue: dtypeName), dtype != .q8_0 else {
                throw EngineError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            let shape = shapeValues.compactMap(\.exactInt)
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw corrupt("tensor '\(name)' has a dimension that is not a non-negative integer")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= dataSize else {
                throw corrupt(
                    "tensor '\(name)' data_offsets [\(begin), \(end)] outside the data section "
                        + "(\(dataSize) bytes): truncated file?")
            }
            let count = elementCount(shape)
            guard let count, dtype.byteCount(elements: count) == end - begin else {
                throw corrupt(
                    "tensor '\(name)' shape \(shape) as \(dtypeName) needs "
                        + "\(count.map { dtype.byteCount(elements: $0) } ?? -1) bytes, offsets give \(end - begin)")
            }
            tensors[name] = TensorSlice(
                owner: file, path: path, pointer: file.base + dataStart + begin, dtype: dtype,
                shape: shape)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    func tensor(_ name: String) -> TensorSlice? { tensors[name] }
}

/// One or several safetensors files seen as one source: `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`.
struct SafetensorsCheckpoint: TensorSource {
    let files: [SafetensorsFile]
    private let index: [String: Int]
    var names: [String] { Array(index.keys) }
    var description: String { files.map(\.file.path).joined(separator: ", ") }

    /// Opens the weights of a model directory.
    init(directory: URL) throws {
        let fm = FileManager.default
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        let single = directory.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: indexURL.path) {
            let data: Data
            do { data = try Data(contentsOf: indexURL) } catch {
                throw EngineError.io(path: indexURL.path, reason: "cannot read")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let map = object["weight_map"] as? [String: String]
            else {
                throw EngineError.corruptHeader(path: indexURL.path, reason: "no 'weight_map' object")
            }
            let shardNames = Array(Set(map.values)).sorted()
            try self.init(paths: shardNames.map { directory.appendingPathComponent($0).path })
            for (tensor, shard) in map {
                guard let i = shardNames.firstIndex(of: shard), files[i].tensors[tensor] != nil else {
                    throw EngineError.corruptHeader(
                        path: indexURL.path,
                        reason: "tensor '\(tensor)' is not in shard '\(shard)'")
                }
            }
        } else if fm.fileExists(atPath: single.path) {
            try self.init(paths: [single.path])
        } else {
            // Some exports name the single file differently; accept exactly one *.safetensors.
            let names = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
            let candidates = names.filter { $0.hasSuffix(".safetensors") }.sorted()
            guard !candidates.isEmpty else { throw EngineError.fileNotFound(path: single.path) }
            try self.init(paths: candidates.map { directory.appendingPathComponent($0).path })
        }
    }

    init(paths: [String]) throws {
        var files: [SafetensorsFile] = []
        var index: [String: Int] = [:]
        for path in paths {
            let f = try SafetensorsFile(path: path)
            for name in f.tensors.keys { index[name] = files.count }
            files.append(f)
        }
        self.files = files
        self.index = index
    }

    func tensor(_ name: String) -> TensorSlice? {
        guard let i = index[name] else { return nil }
        return files[i].tensors[name]
    }
}
