#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory map of a whole file. Weight files are mapped rather than read so that loading costs page
/// faults, not copies, and f32 tensors can be used in place.
final class MappedFile: @unchecked Sendable {
    // Sendable: the mapping is read-only for its whole life and unmapped only in deinit.
    let path: String
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { throw EngineError.fileNotFound(path: path) }
            throw EngineError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw EngineError.io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw EngineError.corruptHeader(path: path, reason: "file is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw EngineError.io(path: path, reason: "cannot mmap: \(String(cString: strerror(errno)))")
        }
        self.base = UnsafeRawPointer(p)
        self.size = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    /// Little-endian integer at a byte offset (the caller has checked the bounds).
    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
