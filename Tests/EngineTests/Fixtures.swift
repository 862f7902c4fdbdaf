import Foundation
@testable import Engine

/// Locates `Tests/Fixtures/engine` from this file's path (no bundle resources needed).
enum Fixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/engine")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// `expected.json`, written by make_fixtures.py.
    static var expected: [String: Any] {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static var canvas: [Int] { (expected["canvas"] as! [NSNumber]).map(\.intValue) }
    static var prefix: [Int] { (expected["prefix"] as! [NSNumber]).map(\.intValue) }
    static var suffix: [Int] { (expected["suffix"] as! [NSNumber]).map(\.intValue) }
    static var hole: Int { (expected["hole"] as! NSNumber).intValue }
    static func model(_ name: String) -> [String: Any] {
        (expected["models"] as! [String: Any])[name] as! [String: Any]
    }
    /// Expected logits by row for a model.
    static func logits(_ name: String) -> [Int: [Float]] {
        let rows = model(name)["logits"] as! [String: [NSNumber]]
        var out: [Int: [Float]] = [:]
        for (k, v) in rows { out[Int(k)!] = v.map(\.floatValue) }
        return out
    }
    static func greedy(_ name: String, _ alg: String) -> (steps: Int, block: Int?, hole: [Int]) {
        let g = (model(name)["greedy"] as! [String: Any])[alg] as! [String: Any]
        return (
            (g["steps"] as! NSNumber).intValue, (g["block"] as? NSNumber)?.intValue,
            (g["hole"] as! [NSNumber]).map(\.intValue)
        )
    }

    /// A scratch directory that is removed when the returned object is released... simply a fresh temp path.
    static func scratchDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("engine-tests-\(name)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies a fixture model directory to a scratch directory (so tests can corrupt it).
    static func copyModel(_ name: String) throws -> URL {
        let dst = try scratchDirectory(name)
        for f in try FileManager.default.contentsOfDirectory(atPath: path(name)) {
            try FileManager.default.copyItem(atPath: path(name) + "/" + f, toPath: dst.path + "/" + f)
        }
        return dst
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
