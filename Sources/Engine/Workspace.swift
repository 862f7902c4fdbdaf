/// Every buffer one request needs, allocated once for a canvas length and reused by every denoising step, so the
/// loop itself never touches the heap. A workspace belongs to one request at a time (not Sendable).
final class Workspace {
    let capacity: Int  // canvas positions
    let logitCapacity: Int  // rows of logits computed at once
    let vocab: Int
    let queryChunk: Int

    let x: UnsafeMutablePointer<Float>  // residual stream, active rows compacted at the front
    let h: UnsafeMutablePointer<Float>  // normed input / projection output
    let q: UnsafeMutablePointer<Float>
    let kNew: UnsafeMutablePointer<Float>  // this step's K/V rows before they are scattered into the cache
    let vNew: UnsafeMutablePointer<Float>
    let att: UnsafeMutablePointer<Float>
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>  // queryChunk × capacity
    let qStack: UnsafeMutablePointer<Float>  // queryChunk × headDim: one GQA group's queries, stacked
    let oStack: UnsafeMutablePointer<Float>
    let attentionScratch: UnsafeMutablePointer<Float>  // score rows and a key block per thread (fused attention)
    let kCache: [UnsafeMutablePointer<Float>]  // per layer, capacity × kvDim, row = canvas position
    let vCache: [UnsafeMutablePointer<Float>]
    let ropeCos: UnsafeMutablePointer<Float>  // capacity × headDim/2
    let ropeSin: UnsafeMutablePointer<Float>
    let positions: UnsafeMutablePointer<Int32>  // canvas position of each active row
    let compact: UnsafeMutablePointer<Int32>  // canvas position → active row (or −1)
    let logitRows: UnsafeMutablePointer<Float>  // logitCapacity × d
    let logits: UnsafeMutablePointer<Float>  // logitCapacity × vocab
    /// Set after a full forward: K/V of every canvas position are present in the caches.
    var cacheValid = false
    private var allocations: [UnsafeMutableRawPointer] = []
    private let widestInput: Int

    /// Room for one product's activations quantised to 8 bits (`PackedWeights.scratchBytes`), for models with 8-bit
    /// panels; made at first use, so other models never hold it.
    private(set) lazy var quantizedActivations: UnsafeMutableRawPointer = {
        let bytes = PackedWeights.scratchBytes(rows: max(capacity, logitCapacity), cols: widestInput, format: .q8)
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        allocations.append(p)
        return p
    }()

    init(config c: ModelConfig, capacity: Int, logitCapacity: Int) {
        self.capacity = capacity
        self.logitCapacity = logitCapacity
        self.vocab = c.embeddingSize
        self.widestInput = max(c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize)
        // Enough stacked rows for a whole GQA group of a typical hole in one product.
        self.queryChunk = min(capacity * (c.numHeads / c.numKVHeads), 512)
        let d = c.hiddenSize, qd = c.numHeads * c.headDim, kvd = c.numKVHeads * c.headDim
        var allocs: [UnsafeMutableRawPointer] = []
        func f(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocs.append(UnsafeMutableRawPointer(p)); return p
        }
        func i(_ n: Int) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            allocs.append(UnsafeMutableRawPointer(p)); return p
        }
        x = f(capacity * d); h = f(capacity * max(d, qd)); q = f(capacity * qd)
        kNew = f(capacity * kvd); vNew = f(capacity * kvd); att = f(capacity * qd)
        gate = f(capacity * c.intermediateSize); up = f(capacity * c.intermediateSize)
        scores = f(queryChunk * capacity)
        qStack = f(queryChunk * c.headDim); oStack = f(queryChunk * c.headDim)
        attentionScratch = f(FusedAttention.scratchFloats(capacity: capacity, headDim: c.headDim))
        kCache = (0..<c.numLayers).map { _ in f(capacity * kvd) }
        vCache = (0..<c.numLayers).map { _ in f(capacity * kvd) }
        ropeCos = f(capacity * c.headDim / 2); ropeSin = f(capacity * c.headDim / 2)
        positions = i(capacity); compact = i(capacity)
        logitRows = f(logitCapacity * d); logits = f(logitCapacity * c.embeddingSize)
        allocations = allocs
        Kernels.ropeTables(
            cos: ropeCos, sin: ropeSin, count: capacity, headDim: c.headDim, theta: c.ropeTheta,
            linearFactor: c.ropeLinearFactor)
    }

    deinit { for p in allocations { p.deallocate() } }
}
