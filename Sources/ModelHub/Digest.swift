import Foundation

/// An incremental hash over bytes that arrive in pieces (a download, a file read in blocks).
///
/// Written here from FIPS 180-4 rather than taken from a package: Foundation on Linux has no digest API, and the two
/// the hub needs (SHA-256 for LFS files, SHA-1 for git blob ids) are short.
public protocol StreamingDigest {
    init()
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest as lower-case hex. Ends the hash; further updates are not allowed.
    mutating func finalizeHex() -> String
}

extension StreamingDigest {
    public mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    /// The digest of a whole file, read in blocks so a large shard never sits in memory.
    public static func hex(ofFileAt path: String) throws -> String {
        var digest = Self()
        try digest.update(fileAt: path, upTo: nil)
        return digest.finalizeHex()
    }

    /// Feeds the first `limit` bytes of a file (all of it when nil).
    public mutating func update(fileAt path: String, upTo limit: UInt64?) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var remaining = limit ?? .max
        while remaining > 0 {
            let chunk = try handle.read(upToCount: Int(min(remaining, 4 << 20))) ?? Data()
            if chunk.isEmpty { break }
            update(chunk)
            remaining -= UInt64(chunk.count)
        }
    }
}

/// The Merkle–Damgård padding and block loop shared by SHA-1 and SHA-256 (64-byte blocks, big-endian length).
struct BlockBuffer {
    var pending = [UInt8](repeating: 0, count: 64)
    var pendingCount = 0
    var totalBytes: UInt64 = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer, block: (UnsafeRawBufferPointer) -> Void) {
        guard let base = bytes.baseAddress else { return }
        totalBytes &+= UInt64(bytes.count)
        var offset = 0
        if pendingCount > 0 {
            let take = min(64 - pendingCount, bytes.count)
            pending.withUnsafeMutableBytes { ($0.baseAddress! + pendingCount).copyMemory(from: base, byteCount: take) }
            pendingCount += take
            offset = take
            if pendingCount < 64 { return }
            pending.withUnsafeBytes { block($0) }
            pendingCount = 0
        }
        while bytes.count - offset >= 64 {
            block(UnsafeRawBufferPointer(start: base + offset, count: 64))
            offset += 64
        }
        let rest = bytes.count - offset
        if rest > 0 {
            pending.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest) }
            pendingCount = rest
        }
    }

    mutating func finish(block: (UnsafeRawBufferPointer) -> Void) {
        let bitLength = totalBytes &* 8
        var tail: [UInt8] = [0x80]
        let padded = (pendingCount + 1 + 8 + 63) / 64 * 64
        tail += [UInt8](repeating: 0, count: padded - pendingCount - 1 - 8)
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        let total = totalBytes
        tail.withUnsafeBytes { feed($0, block: block) }
        totalBytes = total
    }
}

@inline(__always) private func loadBigEndian(_ block: UnsafeRawBufferPointer, _ word: Int) -> UInt32 {
    UInt32(bigEndian: block.loadUnaligned(fromByteOffset: word * 4, as: UInt32.self))
}

private func hexString(_ words: [UInt32]) -> String {
    words.map { word in
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }.joined()
}

/// SHA-256: what the hub records for every LFS file (`lfs.sha256`, the `X-Linked-Etag` of its download).
public struct SHA256Digest: StreamingDigest {
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var buffer = BlockBuffer()

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var state = self.state
        buffer.feed(bytes) { Self.compress(&state, $0) }
        self.state = state
    }

    public mutating func finalizeHex() -> String {
        var state = self.state
        buffer.finish { Self.compress(&state, $0) }
        self.state = state
        return hexString(state)
    }

    private static func compress(_ state: inout [UInt32], _ block: UnsafeRawBufferPointer) {
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        // A stack buffer: a heap array per 64-byte block would cost more than the rounds themselves.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 { w[t] = loadBigEndian(block, t) }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            for t in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let choose = (e & f) ^ (~e & g)
                let t1 = h &+ s1 &+ choose &+ k[t] &+ w[t]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ majority
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
            }
            state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
            state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
        }
    }
}

/// SHA-1, only as git uses it: a small (non-LFS) file's blob id is SHA-1 of `"blob <size>\0"` and the content,
/// which is the `ETag` the hub sends for it.
public struct SHA1Digest: StreamingDigest {
    private var state: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
    private var buffer = BlockBuffer()

    public init() {}

    /// A digest already fed git's blob header for a file of `size` bytes.
    public static func gitBlob(size: Int64) -> SHA1Digest {
        var digest = SHA1Digest()
        digest.update(Data("blob \(size)\u{0}".utf8))
        return digest
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var state = self.state
        buffer.feed(bytes) { Self.compress(&state, $0) }
        self.state = state
    }

    public mutating func finalizeHex() -> String {
        var state = self.state
        buffer.finish { Self.compress(&state, $0) }
        self.state = state
        return hexString(state)
    }

    private static func compress(_ state: inout [UInt32], _ block: UnsafeRawBufferPointer) {
        @inline(__always) func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for t in 0..<16 { w[t] = loadBigEndian(block, t) }
            for t in 16..<80 { w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1) }
            var a = state[0], b = state[1], c = state[2], d = state[3], e = state[4]
            for t in 0..<80 {
                let f: UInt32, k: UInt32
                switch t {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5a827999
                case 20..<40: f = b ^ c ^ d; k = 0x6ed9eba1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc
                default: f = b ^ c ^ d; k = 0xca62c1d6
                }
                let temp = rotl(a, 5) &+ f &+ e &+ k &+ w[t]
                e = d; d = c; c = rotl(b, 30); b = a; a = temp
            }
            state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d; state[4] &+= e
        }
    }
}
