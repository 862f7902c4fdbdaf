import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Synchronization

/// A bounded load test of a completion server: `clients` concurrent clients send completion requests back to back
/// for `duration`, and every answer is checked (status 200 and a well-formed `choices[0].text`).
public struct LoadTest: Sendable {
    public var url: URL
    public var clients: Int
    public var duration: Duration
    public var bearerToken: String?
    /// Request bodies, used in turn (different prompts, so no answer is a repeat of the last).
    public var bodies: [Data]

    public init(url: URL, clients: Int, duration: Duration, bearerToken: String? = nil, bodies: [Data]) {
        self.url = url
        self.clients = max(1, clients)
        self.duration = duration
        self.bearerToken = bearerToken
        self.bodies = bodies
    }

    /// What a run measured. Latencies are of successful requests, in milliseconds.
    public struct Report: Sendable, Codable {
        public var clients: Int
        public var seconds: Double
        public var succeeded: Int
        /// Refused with 429 (the bounded queue doing its job).
        public var refused: Int
        /// Transport failures and statuses other than 200/429.
        public var failed: Int
        /// 200 answers whose body was not a completion.
        public var malformed: Int
        public var requestsPerSecond: Double
        public var p50Milliseconds: Double
        public var p95Milliseconds: Double
        public var maxMilliseconds: Double
    }

    /// Runs the test; it stops by itself after `duration` (requests in flight then are awaited, not counted late).
    public func run() async -> Report {
        let started = ContinuousClock.now
        let deadline = started + duration
        let results = Tally()
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    // One session (one connection) per client, as separate editors would have.
                    let session = URLSession(configuration: .ephemeral)
                    defer { session.finishTasksAndInvalidate() }
                    var index = client
                    while ContinuousClock.now < deadline {
                        var request = URLRequest(url: url)
                        request.httpMethod = "POST"
                        request.httpBody = bodies[index % bodies.count]
                        request.timeoutInterval = 120
                        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                        if let bearerToken {
                            request.setValue("Bearer \(bearerToken)", forHTTPHeaderField: "Authorization")
                        }
                        index += clients
                        let sent = ContinuousClock.now
                        do {
                            let (data, response) = try await session.data(for: request)
                            let elapsed = ContinuousClock.now - sent
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            if status == 200 {
                                if Self.isCompletion(data) {
                                    let ms =
                                        Double(elapsed.components.seconds) * 1e3
                                        + Double(elapsed.components.attoseconds) / 1e15
                                    results.state.withLock { $0.latencies.append(ms) }
                                } else {
                                    results.state.withLock { $0.malformed += 1 }
                                }
                            } else if status == 429 {
                                results.state.withLock { $0.refused += 1 }
                                // Back off briefly, as a client honouring Retry-After would (shortened: bounded test).
                                try? await Task.sleep(for: .milliseconds(50))
                            } else {
                                results.state.withLock { $0.failed += 1 }
                            }
                        } catch {
                            results.state.withLock { $0.failed += 1 }
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let measured = results.state.withLock { $0 }
        let sorted = measured.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
        }
        return Report(
            clients: clients, seconds: seconds, succeeded: sorted.count, refused: measured.refused,
            failed: measured.failed, malformed: measured.malformed,
            requestsPerSecond: Double(sorted.count) / max(seconds, 1e-9),
            p50Milliseconds: percentile(0.5), p95Milliseconds: percentile(0.95),
            maxMilliseconds: sorted.last ?? 0)
    }

    private final class Tally: Sendable {
        let state = Mutex<(latencies: [Double], refused: Int, failed: Int, malformed: Int)>(([], 0, 0, 0))
    }

    static func isCompletion(_ data: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let choices = object["choices"] as? [[String: Any]], let first = choices.first
        else { return false }
        return first["text"] is String && first["finish_reason"] is String
    }
}
