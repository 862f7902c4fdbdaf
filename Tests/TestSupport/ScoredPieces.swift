import Features

/// A fill made of `pieces`, each one token with the confidence the model committed it with, as the embedded engine
/// reports them: `scored([("x", 0.9), (" + 1", 0.4)])` is `x + 1` in two tokens.
public func scored(_ pieces: [(String, Float)]) -> ScoredFill {
    var text = "", ends: [Int] = [], confidences: [Float] = []
    for (piece, confidence) in pieces {
        text += piece
        ends.append(text.utf8.count)
        confidences.append(confidence)
    }
    return ScoredFill(text: text, tokenEnds: ends, tokenConfidences: confidences)
}
