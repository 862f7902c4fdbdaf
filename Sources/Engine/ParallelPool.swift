import Foundation

/// A fixed set of worker threads for the engine's own parallel kernels (softmax rows, SwiGLU, the Q8_0 product).
/// `DispatchQueue.concurrentPerform`, and any Swift closure handed to another thread, heap-allocates a context on
/// every call; this pool takes a C function pointer and a pointer to the job's arguments instead, so the
/// denoising loop stays allocation-free.
/// One parallel region runs at a time; a caller that finds the pool busy (another request on another thread)
/// runs its parts itself rather than waiting.
final class ParallelPool: @unchecked Sendable {
    // Sendable by construction: every mutable field is read and written under `condition`.
    static let shared = ParallelPool(workers: max(0, min(ProcessInfo.processInfo.activeProcessorCount, 16) - 1))

    let workers: Int
    private let condition = NSCondition()
    private let busy = NSLock()
    /// A part of a parallel region: the job's argument block and the part's index.
    typealias Part = @convention(c) (UnsafeMutableRawPointer, Int) -> Void
    private var task: Part?
    private var context: UnsafeMutableRawPointer?
    private var lanes = 0        // threads taking part in the current region (caller included)
    private var total = 0        // parts in the current region
    private var generation = 0
    private var pending = 0

    init(workers: Int) {
        self.workers = workers
        for i in 0..<workers {
            let t = Thread { [unowned self] in self.workerLoop(lane: i + 1) }
            t.name = "engine-worker-\(i + 1)"
            t.start()
        }
    }

    /// Calls `part(context, i)` for every i in 0..<parts, spread over the caller and up to `threads − 1` workers
    /// (lane k takes parts k, k + lanes, ...); returns when all are done.
    func run(parts: Int, threads: Int, context: UnsafeMutableRawPointer, _ part: Part) {
        let lanes = min(parts, threads, workers + 1)
        guard lanes > 1, busy.try() else {
            for i in 0..<parts { part(context, i) }
            return
        }
        defer { busy.unlock() }
        condition.lock()
        task = part
        self.context = context
        self.lanes = lanes
        total = parts
        generation &+= 1
        pending = lanes - 1
        condition.broadcast()
        condition.unlock()
        var i = 0
        while i < parts { part(context, i); i += lanes }
        condition.lock()
        while pending > 0 { condition.wait() }
        task = nil
        self.context = nil
        condition.unlock()
    }

    /// Runs `part` over `parts` parts with `job` as the argument block.
    func run<Job>(parts: Int, threads: Int, job: inout Job, _ part: Part) {
        withUnsafeMutablePointer(to: &job) { run(parts: parts, threads: threads, context: UnsafeMutableRawPointer($0), part) }
    }

    private func workerLoop(lane: Int) {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen { condition.wait() }
            seen = generation
            let job = lane < lanes ? task : nil
            let (context, lanes, total) = (self.context, self.lanes, self.total)
            condition.unlock()
            guard let job, let context else { continue }
            var i = lane
            while i < total { job(context, i); i += lanes }
            condition.lock()
            pending -= 1
            if pending == 0 { condition.broadcast() }
            condition.unlock()
        }
    }
}
