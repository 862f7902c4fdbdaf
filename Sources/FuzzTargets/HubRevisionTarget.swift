import Foundation
import ModelHub

/// The hub's revision metadata (`GET /api/models/{repo}/revision/{revision}?blobs=true`): it parses into a commit
/// hash and files whose names stay inside the snapshot and whose sizes and hashes can be checked, or into an error.
/// A file name that escaped the snapshot (`..`, an absolute path) would let a server write outside the cache.
enum HubRevisionTarget {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let revision = try? RepoRevision.parseRevision(Data(input)) else { return }
        guard revision.commit.count == 40, revision.commit.allSatisfy(\.isHexDigit) else {
            throw FuzzFinding("hub-revision: accepted commit \(revision.commit.debugDescription)")
        }
        for file in revision.files {
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.isEmpty, !file.path.hasPrefix("/"), !parts.contains("..") else {
                throw FuzzFinding(
                    "hub-revision: accepted a file name outside the snapshot: \(file.path.debugDescription)")
            }
            if let size = file.size, size < 0 {
                throw FuzzFinding("hub-revision: accepted size \(size) for \(file.path.debugDescription)")
            }
            for (hash, length) in [(file.sha256, 64), (file.gitBlobID, 40)] {
                if let hash, hash.count != length || !hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                    throw FuzzFinding("hub-revision: accepted hash \(hash.debugDescription) for \(file.path)")
                }
            }
        }
    }
}
