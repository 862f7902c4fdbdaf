import CKernels
import Foundation
import Synchronization

/// A fixed set of worker threads for the engine's own parallel kernels (products, attention, softmax rows).
/// `DispatchQueue.concurrentPerform`, and any Swift closure handed to another thread, heap-allocates a context on
/// every call; this pool takes a C function pointer and a pointer to the job's arguments instead, so the
/// denoising loop stays allocation-free.
///
/// A step hands the pool dozens of regions of 20–200 µs each. A worker woken through a condition variable
/// takes tens of microseconds to run, so workers spin on the region counter for `spinNanoseconds` after each
/// region before they sleep: hot during a fill, asleep between fills.
/// One parallel region runs at a time; a caller that finds the pool busy (another request on another thread)
/// runs its parts itself rather than waiting.
final class ParallelPool: @unchecked Sendable {
    // Sendable by construction: the region's fields are written before the participating workers' tickets are
    // published (release) and read after a ticket is observed (acquire); a worker outside the region is never
    // handed a ticket, so it never reads fields a later region may be writing. Sleeping goes through `condition`.
    static let shared = ParallelPool(workers: max(0, min(ProcessInfo.processInfo.activeProcessorCount, 16) - 1))

    let workers: Int
    /// How long an idle worker spins before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000
    private let condition = NSCondition()
    private let busy = NSLock()
    /// A part of a parallel region: the job's argument block and the part's index.
    typealias Part = @convention(c) (UnsafeMutableRawPointer, Int) -> Void
    private var task: Part?
    private var context: UnsafeMutableRawPointer?
    private var lanes = 0  // threads taking part in the current region (caller included)
    private var total = 0  // parts in the current region
    /// One per worker: the number of the last region handed to it.
    private final class Ticket: Sendable { let region = Atomic<Int>(0) }
    private let tickets: [Ticket]
    private var region = 0  // regions started (only the caller holding `busy` writes it)
    private let pending = Atomic<Int>(0)
    private var sleepers = 0  // under `condition`

    init(workers: Int) {
        self.workers = workers
        tickets = (0..<workers).map { _ in Ticket() }
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
        task = part
        self.context = context
        self.lanes = lanes
        total = parts
        pending.store(lanes - 1, ordering: .relaxed)
        region += 1
        for lane in 1..<lanes { tickets[lane - 1].region.store(region, ordering: .releasing) }
        condition.lock()
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
        var i = 0
        while i < parts { part(context, i); i += lanes }
        // The other lanes' parts are about as long as ours: spin, yielding often, because a worker that shares
        // this core (a busy machine) can only finish when we give the core up.
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            dlsp_cpu_relax()
            spins += 1
            if spins & 63 == 0 { sched_yield() }
        }
        task = nil
        self.context = nil
    }

    /// Runs `part` over `parts` parts with `job` as the argument block.
    func run<Job>(parts: Int, threads: Int, job: inout Job, _ part: Part) {
        withUnsafeMutablePointer(to: &job) {
            run(parts: parts, threads: threads, context: UnsafeMutableRawPointer($0), part)
        }
    }

    /// Waits for a ticket after `seen`: spinning first, then asleep on the condition.
    private func awaitRegion(_ ticket: Ticket, after seen: Int) -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            let g = ticket.region.load(ordering: .acquiring)
            if g != seen { return g }
            dlsp_cpu_relax()
            spins += 1
            if spins & 63 == 0 {
                // Yielding lets a caller that shares this core run; the spin only pays when the cores are free.
                sched_yield()
                if DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { break }
            }
        }
        condition.lock()
        sleepers += 1
        var g = ticket.region.load(ordering: .acquiring)
        while g == seen {
            condition.wait()
            g = ticket.region.load(ordering: .acquiring)
        }
        sleepers -= 1
        condition.unlock()
        return g
    }

    private func workerLoop(lane: Int) {
        var seen = 0
        let ticket = tickets[lane - 1]
        while true {
            seen = awaitRegion(ticket, after: seen)
            guard let job = task, let context else { continue }
            let (lanes, total) = (self.lanes, self.total)
            var i = lane
            while i < total { job(context, i); i += lanes }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
