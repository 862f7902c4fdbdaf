import Engine
import Features
import Foundation
import Hummingbird
import Synchronization
import TestSupport
import Testing
@testable import RemoteBackends

/// Timeouts, retries with backoff and Retry-After, cancellation, and the circuit breaker, against loopback
/// servers that misbehave on purpose.
@Suite(.serialized) struct FailureTests {
    static let ok = #"{"choices":[{"text":"remote","index":0,"finish_reason":"stop"}]}"#

    /// A server whose answers are scripted: each request takes the next status (the last one repeats).
    static func scripted(_ statuses: [Int], retryAfter: String? = nil, delay: Duration = .zero) async throws -> (
        LoopbackServer, Recorder
    ) {
        let recorder = Recorder()
        let served = Mutex(0)
        let server = try await LoopbackServer.start { router in
            router.post("/v1/completions") { request, context -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                recorder.record(request, body: body)
                let index = served.withLock { value -> Int in
                    defer { value += 1 }; return value
                }
                if delay > .zero { try await Task.sleep(for: delay) }
                let status = statuses[min(index, statuses.count - 1)]
                var headers: HTTPFields = [.contentType: "application/json"]
                if status != 200, let retryAfter { headers[.retryAfter] = retryAfter }
                let text = status == 200 ? ok : #"{"error":{"message":"busy","type":"server_error"}}"#
                return Response(
                    status: .init(code: status), headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        return (server, recorder)
    }

    static func backend(
        _ server: LoopbackServer, retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = contentTestTimeout, pauses: PauseLog? = nil
    ) throws -> RemoteBackend {
        try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .openAICompletions, baseURL: server.baseURL,
                timeout: timeout, retry: retry),
            pause: pauses?.pause)
    }

    static let parameters = FillParameters(maxTokens: 8, stop: [], temperature: 0, seed: 0)

    @Test func retriesTransientStatusesHonouringRetryAfter() async throws {
        let (server, recorder) = try await Self.scripted([503, 429, 200], retryAfter: "0")
        defer { Task { await server.stop() } }
        let pauses = PauseLog()
        let backend = try Self.backend(server, retry: RetryPolicy(maxAttempts: 3), pauses: pauses)
        let text = try await blocking {
            try backend.fill(
                someContext, parameters: Self.parameters,
                cancellation: CancellationFlag())
        }
        #expect(text == "remote")
        #expect(recorder.count == 3)
        #expect(pauses.all == [.zero, .zero])
    }

    @Test func backoffDoublesWithoutRetryAfterAndGivesUpAfterMaxAttempts() async throws {
        let (server, recorder) = try await Self.scripted([502])
        defer { Task { await server.stop() } }
        let pauses = PauseLog()
        let backend = try Self.backend(
            server, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50)),
            pauses: pauses)
        await #expect(throws: RemoteBackendError.status(code: 502, message: "busy", retryAfter: nil)) {
            try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
        }
        #expect(recorder.count == 3)
        #expect(pauses.all == [.milliseconds(50), .milliseconds(100)])
    }

    @Test func clientErrorsAndLongRetryAfterAreNotRetried() async throws {
        let (server, recorder) = try await Self.scripted([400])
        defer { Task { await server.stop() } }
        let backend = try Self.backend(server)
        await #expect(throws: RemoteBackendError.self) {
            try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
        }
        #expect(recorder.count == 1)

        let (busy, busyRecorder) = try await Self.scripted([429], retryAfter: "120")
        defer { Task { await busy.stop() } }
        let impatient = try Self.backend(busy)
        await #expect(throws: RemoteBackendError.status(code: 429, message: "busy", retryAfter: 120)) {
            try await blocking {
                try impatient.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
        }
        #expect(busyRecorder.count == 1)
    }

    @Test func retryAfterAsHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:25 GMT", now: now)
        #expect(later.map { abs($0 - 5) < 1 } == true)
        #expect(RetryPolicy.parseRetryAfter("2", now: now) == 2)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        // A port that was just free: bind a server, note its port, stop it.
        let (server, _) = try await Self.scripted([200])
        let url = server.baseURL
        await server.stop()
        let pauses = PauseLog()
        let backend = try RemoteBackend(
            endpoint: RemoteEndpoint(
                api: .openAICompletions, baseURL: url, timeout: contentTestTimeout,
                retry: RetryPolicy(maxAttempts: 2)),
            pause: pauses.pause)
        do {
            _ = try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
            Issue.record("a refused connection must fail")
        } catch let error as RemoteBackendError {
            guard case .connection = error else { Issue.record("expected a connection error, got \(error)"); return }
        }
        #expect(pauses.all.count == 1)
    }

    @Test func timeoutAbortsASlowServer() async throws {
        let (server, _) = try await Self.scripted([200], delay: .seconds(3))
        defer { Task { await server.stop() } }
        let backend = try Self.backend(server, retry: RetryPolicy(maxAttempts: 3), timeout: .milliseconds(200))
        let started = ContinuousClock.now
        await #expect(throws: RemoteBackendError.timeout(milliseconds: 200)) {
            try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
        }
        // Not early, not retried (a late fill is stale) and not waiting for the server.
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(2))
    }

    /// A server that sends its headers and half a body, then stalls: the deadline covers the whole exchange,
    /// not only the wait for the first byte.
    @Test func timeoutAbortsAServerThatStallsMidBody() async throws {
        let server = try await LoopbackServer.start { router in
            router.post("/v1/completions") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: #"{"choices":[{"text":"rem"#))
                        try await Task.sleep(for: .seconds(5))
                        try await writer.write(ByteBuffer(string: #"ote","index":0}]}"#))
                        try await writer.finish(nil)
                    })
            }
        }
        defer { Task { await server.stop() } }
        let backend = try Self.backend(server, retry: RetryPolicy(maxAttempts: 1), timeout: .milliseconds(300))
        let started = ContinuousClock.now
        await #expect(throws: RemoteBackendError.timeout(milliseconds: 300)) {
            try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
        }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    /// Answers that are not the API's shape (garbage bytes, JSON of another shape, a truncated body) are a
    /// malformed response, reported as such and not retried.
    @Test(arguments: ["\u{0}\u{FFFD}garbage{", #"{"choices":"none"}"#, #"{"choices":[{"text":"tru"#, "[]", ""])
    func garbageAnswersAreMalformedResponses(body: String) async throws {
        let served = Mutex(0)
        let server = try await LoopbackServer.start { router in
            router.post("/v1/completions") { _, _ -> Response in
                served.withLock { $0 += 1 }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
        defer { Task { await server.stop() } }
        let backend = try Self.backend(server, retry: RetryPolicy(maxAttempts: 3))
        do {
            _ = try await blocking {
                try backend.fill(
                    someContext, parameters: Self.parameters,
                    cancellation: CancellationFlag())
            }
            Issue.record("\(body.debugDescription) was accepted")
        } catch let error as RemoteBackendError {
            guard case .malformedResponse = error else { Issue.record("\(body.debugDescription): \(error)"); return }
        }
        #expect(served.withLock { $0 } == 1, "a malformed answer was retried")
    }

    @Test func cancellationAbortsTheRequest() async throws {
        let (server, _) = try await Self.scripted([200], delay: .seconds(3))
        defer { Task { await server.stop() } }
        let backend = try Self.backend(server)
        let flag = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) { flag.cancel() }
        let started = ContinuousClock.now
        await #expect(throws: EngineError.cancelled) {
            try await blocking { try backend.fill(someContext, parameters: Self.parameters, cancellation: flag) }
        }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test func cancellationInterruptsABackoffPause() throws {
        let flag = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { flag.cancel() }
        let started = ContinuousClock.now
        #expect(throws: EngineError.cancelled) { try RemoteBackend.interruptibleSleep(.seconds(5), flag) }
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    /// The breaker: failures are answered by the fallback; after `failureThreshold` the circuit opens (announced
    /// once) and the remote is left alone until the cooldown; a successful probe closes it (announced once).
    @Test func circuitBreakerFallsBackAndRecovers() async throws {
        let healthy = Atomic<Bool>(false)
        let recorder = Recorder()
        let server = try await LoopbackServer.start { router in
            router.post("/v1/completions") { request, context -> Response in
                var request = request
                recorder.record(request, body: try await request.collectBody(upTo: 1 << 20))
                let up = healthy.load(ordering: .relaxed)
                return Response(
                    status: up ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: up
                                ? Self.ok
                                : #"{"error":{"message":"down","type":"server_error"}}"#)))
            }
        }
        defer { Task { await server.stop() } }
        let remote = try Self.backend(server, retry: RetryPolicy.none)
        let fallback = ScriptedBackend(always: "embedded")
        let events = Mutex<[FallbackEvent]>([])
        let clock = ManualClock()
        let breaker = FallbackBackend(
            primary: remote, fallback: { fallback }, failureThreshold: 2,
            cooldown: .seconds(1),
            onEvent: { event in events.withLock { $0.append(event) } }, now: clock.now)
        @Sendable func fill() throws -> String {
            try breaker.fill(
                someContext, hole: HolePlan(tokens: 8, extent: .lines),
                attempt: FillAttempt(holeTokens: 8, temperature: 0, seed: 0),
                sampling: SamplingSettings(), cancellation: CancellationFlag())
        }
        #expect(try await blocking(fill) == "embedded")
        #expect(!breaker.isOpen)
        #expect(try await blocking(fill) == "embedded")
        #expect(breaker.isOpen)
        #expect(recorder.count == 2)
        // Open: the remote is not contacted.
        #expect(try await blocking(fill) == "embedded")
        #expect(recorder.count == 2)
        healthy.store(true, ordering: .relaxed)
        // Still within the cooldown: the remote is not probed yet.
        clock.advance(by: .milliseconds(900))
        #expect(try await blocking(fill) == "embedded")
        #expect(recorder.count == 2)
        clock.advance(by: .milliseconds(200))
        #expect(try await blocking(fill) == "remote")
        #expect(!breaker.isOpen)
        let seen = events.withLock { $0 }
        #expect(seen.count == 2)
        if case .primaryDown(_, let usingFallback)? = seen.first {
            #expect(usingFallback)
        } else {
            Issue.record("expected primaryDown first, got \(seen)")
        }
        #expect(seen.last == .primaryRecovered)
        #expect(fallback.callCount == 4)
    }

    /// Without a fallback an open circuit fails fast instead of piling requests on a dead server.
    @Test func openCircuitWithoutFallbackFailsFast() async throws {
        let (server, recorder) = try await Self.scripted([503])
        defer { Task { await server.stop() } }
        let breaker = FallbackBackend(
            primary: try Self.backend(server, retry: RetryPolicy.none), fallback: nil,
            failureThreshold: 1, cooldown: .seconds(60))
        @Sendable func fill() throws -> String {
            try breaker.fill(
                someContext, hole: HolePlan(tokens: 8, extent: .lines),
                attempt: FillAttempt(holeTokens: 8, temperature: 0, seed: 0),
                sampling: SamplingSettings(), cancellation: CancellationFlag())
        }
        await #expect(throws: RemoteBackendError.self) { try await blocking(fill) }
        do {
            _ = try await blocking(fill)
            Issue.record("an open circuit must fail")
        } catch let error as RemoteBackendError {
            guard case .circuitOpen = error else { Issue.record("expected circuitOpen, got \(error)"); return }
        }
        #expect(recorder.count == 1)
    }
}

/// A clock that moves only when told: the breaker's cooldown without waiting for it.
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)

    var now: @Sendable () -> ContinuousClock.Instant { { [self] in start + offset.withLock { $0 } } }
    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}
