import Synchronization

/// Admission to the shared model: at most `slots` fills at once, at most `capacity` requests waiting, and waiting
/// requests served round-robin by client, so one client sending many requests cannot starve the others.
final class FairQueue: Sendable {
    /// The queue is full: the request is refused (429).
    struct Full: Error {}

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waitingCount = 0
        var waiting: [String: [Waiter]] = [:]
        /// Clients with waiting requests, in the order they are next served.
        var rotation: [String] = []
        var nextID: UInt64 = 0
        /// Requests numbered but not yet admitted, refused or enqueued.
        var undecided: Set<UInt64> = []
        /// Undecided requests whose task was cancelled: they are refused when their turn to decide comes.
        var cancelledEarly: Set<UInt64> = []
    }

    let slots: Int
    let capacity: Int
    private let state = Mutex(State())

    init(slots: Int, capacity: Int) {
        self.slots = max(1, slots)
        self.capacity = max(0, capacity)
    }

    /// Requests waiting and fills running (for `/health`).
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waitingCount) } }

    /// Waits for a slot. Throws ``Full`` at once when `capacity` requests already wait, and `CancellationError`
    /// when the task is cancelled while waiting. Every successful `acquire` must be paired with one `release`.
    func acquire(client: String) async throws {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            state.undecided.insert(state.nextID)
            return state.nextID
        }
        enum Admission { case now, full, cancelled, waiting }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Admission is decided in one critical section with the enqueueing: decided apart, a burst could
                // fill the queue (or free every slot) between the decision and the enqueue, refusing a request
                // that should wait or parking one while a slot is free.
                let admission: Admission = state.withLock { state in
                    state.undecided.remove(id)
                    if state.cancelledEarly.remove(id) != nil { return .cancelled }
                    if state.running < slots && state.waitingCount == 0 {
                        state.running += 1
                        return .now
                    }
                    guard state.waitingCount < capacity else { return .full }
                    if state.waiting[client] == nil {
                        state.waiting[client] = []
                        state.rotation.append(client)
                    }
                    state.waiting[client]!.append(Waiter(id: id, continuation: continuation))
                    state.waitingCount += 1
                    return .waiting
                }
                switch admission {
                case .now: continuation.resume()
                case .full: continuation.resume(throwing: Full())
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if state.undecided.contains(id) {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                // Not waiting any more (admitted, or refused): nothing to undo.
                guard let index = state.waiting[client]?.firstIndex(where: { $0.id == id }) else { return nil }
                let waiter = state.waiting[client]!.remove(at: index)
                state.waitingCount -= 1
                if state.waiting[client]!.isEmpty {
                    state.waiting[client] = nil
                    state.rotation.removeAll { $0 == client }
                }
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Frees a slot: hands it to the next client in the rotation, if any waits.
    func release() {
        let next: Waiter? = state.withLock { state in
            guard !state.rotation.isEmpty else {
                state.running -= 1
                return nil
            }
            let client = state.rotation.removeFirst()
            let waiter = state.waiting[client]!.removeFirst()
            state.waitingCount -= 1
            if state.waiting[client]!.isEmpty {
                state.waiting[client] = nil
            } else {
                state.rotation.append(client)
            }
            // The slot passes straight to the waiter: `running` is unchanged.
            return waiter
        }
        next?.continuation.resume()
    }
}
