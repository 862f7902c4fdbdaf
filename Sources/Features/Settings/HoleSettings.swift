/// The hole the model fills and the canvas around it.
///
/// Why each default is what it is, with the command that measured it: `docs/calibration.md`.
public struct HoleSettings: Sendable, Equatable {
    /// Hole length in tokens for the rest of a line.
    public var lineHoleTokens = 16
    /// Hole length in tokens for a multi-line hole.
    public var blockHoleTokens = 48
    /// The whole canvas (context and hole) must fit this many tokens, the model's window or less. Less than the
    /// window because the full forward pass grows faster than linearly with it while the code nearest the hole
    /// carries most of the signal.
    public var contextTokens = 512
    /// Hole lengths tried for a suggestion: 1 fills the planned length only; 3 also half and twice it, and offers
    /// first the fill the model is surest of (the model's own signal chooses the length).
    public var lengthCandidates = 1

    public init() {}
}
