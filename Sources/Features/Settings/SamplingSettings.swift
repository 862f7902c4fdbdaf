/// How the model samples a fill: the only settings a `FillBackend` sees.
///
/// Why each default is what it is, with the command that measured it: `docs/calibration.md`.
public struct SamplingSettings: Sendable, Equatable {
    /// Denoising steps per fill, at most (the threshold schedule usually stops earlier). At the last step every
    /// position still masked is committed at once, so too few steps means many tokens decided together.
    public var steps = 32
    /// Commit every position at least this confident each step (Fast-dLLM); nil = fixed timestep schedule.
    public var confidenceThreshold: Float? = 0.9
    public var temperature: Float = 0
    /// Logit penalty on ending the fill (end-of-text / pad) at every hole position; see `FillOptions.stopPenalty`.
    public var stopPenalty: Float = 0
    /// Semi-autoregressive order: the hole decoded in blocks of this many positions, left to right (nil: the whole
    /// hole at once, most confident first). See `FillOptions.blockLength`.
    public var blockLength: Int? = nil
    /// Keep the keys and values of positions that no longer change between steps (the dual cache).
    public var useCache = true
    /// Reuse the keys and values of the previous fill's canvas where the new one begins the same way (a user typing
    /// ahead; several attempts at one cursor). Needs `useCache`; see `Engine.ContextReuse`.
    public var reuseContext = true

    public init() {}
}
