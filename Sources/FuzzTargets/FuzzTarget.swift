import Foundation

/// One reader of outside input that the fuzzers drive: the bytes that reach dlsp from editors, model files, HTTP
/// clients. Each target turns arbitrary bytes into one call of the real reader and checks what must hold whatever
/// the input: no trap (the reader reports bad input as an error), and the target's own invariants, which it
/// reports as a ``FuzzFinding``.
///
/// The same targets run under libFuzzer (`scripts/fuzz.sh`, with the address sanitizer), under the seeded mutation
/// loop of `dlsp-fuzz` (any build), and in the tests, which replay the committed corpora (`Fuzz/corpus/`) and the
/// inputs that once failed (`Fuzz/regressions/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `Content-Length` framing, fed in random chunks.
    case framer
    /// JSON-RPC envelopes and the LSP parameter types decoded from them.
    case jsonrpc
    /// Incremental edits with random ranges in every position encoding, against a model of the text.
    case textDocument = "text-document"
    /// Encode then decode arbitrary text: byte-level BPE must give it back.
    case tokenizer
    /// `tokenizer.json` files.
    case tokenizerFile = "tokenizer-file"
    /// A safetensors header (length and JSON) in front of a real model's tensor data.
    case safetensors
    /// A GGUF header (metadata and tensor descriptions) in front of a real model's tensor data.
    case gguf
    /// `config.json` beside real weights.
    case modelConfig = "model-config"
    /// `dlsp serve`'s completion request bodies.
    case httpBody = "http-body"
    /// The Hugging Face Hub's description of a repository at a revision, which `dlsp model pull` trusts for names,
    /// sizes and hashes.
    case hubRevision = "hub-revision"

    /// Runs one input. Throws when an invariant of the reader breaks; a reader that traps fails on its own.
    public func run(_ input: [UInt8], resources: FuzzResources) throws(FuzzFinding) {
        switch self {
        case .framer: try ProtocolTargets.framer(input)
        case .jsonrpc: try ProtocolTargets.jsonrpc(input)
        case .textDocument: try TextDocumentTarget.run(input)
        case .tokenizer: try TokenizerTargets.roundTrip(input, resources: resources)
        case .tokenizerFile: try TokenizerTargets.tokenizerFile(input)
        case .safetensors: try ModelFileTargets.safetensors(input, resources: resources)
        case .gguf: try ModelFileTargets.gguf(input, resources: resources)
        case .modelConfig: try ModelFileTargets.config(input, resources: resources)
        case .httpBody: try HTTPBodyTarget.run(input)
        case .hubRevision: try HubRevisionTarget.run(input)
        }
    }
}

/// An invariant that an input broke: what was expected and what happened.
public struct FuzzFinding: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
