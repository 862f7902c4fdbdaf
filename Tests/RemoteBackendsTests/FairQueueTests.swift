import Synchronization
import Testing
@testable import HTTPServer

@Suite struct FairQueueTests {
    /// Waiting requests are served round-robin by client: client A's backlog does not hold B back.
    @Test func servesClientsRoundRobin() async throws {
        let queue = FairQueue(slots: 1, capacity: 8)
        try await queue.acquire(client: "A")  // A1 runs
        let order = Order()
        var tasks: [Task<Void, any Error>] = []
        for name in ["A2", "A3", "B1"] {
            tasks.append(
                Task {
                    try await queue.acquire(client: String(name.prefix(1)))
                    order.names.withLock { $0.append(name) }
                    queue.release()
                })
            // Enqueue in a known order.
            while queue.load.waiting < tasks.count { await Task.yield() }
        }
        queue.release()  // A1 done
        for task in tasks { try await task.value }
        #expect(order.names.withLock { $0 } == ["A2", "B1", "A3"])
        #expect(queue.load.running == 0 && queue.load.waiting == 0)
    }

    @Test func refusesBeyondCapacityAndForgetsCancelledWaiters() async throws {
        let queue = FairQueue(slots: 1, capacity: 1)
        try await queue.acquire(client: "A")
        let waiter = Task { try await queue.acquire(client: "B") }
        while queue.load.waiting < 1 { await Task.yield() }
        await #expect(throws: FairQueue.Full.self) { try await queue.acquire(client: "C") }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(queue.load.waiting == 0)
        queue.release()
        #expect(queue.load.running == 0)
        try await queue.acquire(client: "C")
        #expect(queue.load.running == 1)
    }
}

final class Order: Sendable {
    let names = Mutex<[String]>([])
}

@Suite struct FairQueueRaceTests {
    /// Many requests arriving and finishing at once: each is admitted or refused as full, never refused as
    /// cancelled (which `dlsp serve` answered with a 500), none is left waiting while a slot is free, and the
    /// counts return to zero.
    @Test func concurrentArrivalsAreAdmittedOrRefusedAsFull() async throws {
        for round in 0..<500 {
            let queue = FairQueue(slots: 1, capacity: 2)
            let outcomes = Order()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        do {
                            try await queue.acquire(client: "client\(index % 5)")
                            outcomes.names.withLock { $0.append("admitted") }
                            await Task.yield()
                            queue.release()
                        } catch is FairQueue.Full {
                            outcomes.names.withLock { $0.append("full") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let names = outcomes.names.withLock { $0 }
            #expect(names.count == 64, "round \(round)")
            #expect(names.contains("admitted"), "round \(round)")
            #expect(queue.load.running == 0 && queue.load.waiting == 0, "round \(round)")
        }
    }

    /// A task cancelled before its turn to wait is refused as cancelled, and leaves no trace in the counts.
    @Test func cancelledBeforeEnqueueingIsRefused() async throws {
        let queue = FairQueue(slots: 1, capacity: 4)
        try await queue.acquire(client: "A")
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await queue.acquire(client: "B")
        }
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(queue.load.waiting == 0 && queue.load.running == 1)
        queue.release()
        #expect(queue.load.running == 0)
    }
}
