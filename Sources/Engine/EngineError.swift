/// Every failure the engine reports. Loading a model never traps on bad input: each case names the file (or
/// tensor) and the problem so that the server can log it and show it to the user once.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the model directory needs is missing or unreadable.
    case fileNotFound(path: String)
    /// A file exists but could not be opened, read or memory-mapped.
    case io(path: String, reason: String)
    /// `config.json` is malformed or lacks a required key.
    case invalidConfig(path: String, reason: String)
    /// The checkpoint's architecture is not one the engine implements.
    case unsupportedArchitecture(path: String, name: String)
    /// A safetensors or GGUF header is corrupt (truncated, bad JSON, offsets outside the file, ...).
    case corruptHeader(path: String, reason: String)
    /// A tensor uses a storage type the engine cannot read.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor the architecture needs is absent from every weight file.
    case missingTensor(name: String, searched: String)
    /// A tensor's shape disagrees with the shape implied by the config.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    /// The tokenizer lacks a token the engine needs (the mask token, end of text).
    case tokenizer(path: String, reason: String)
    /// A request the engine cannot serve (hole of length zero, canvas longer than the model allows, bad token id).
    case invalidRequest(String)
    /// The request was cancelled between denoising steps.
    case cancelled

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "\(path): file not found"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .invalidConfig(let path, let reason): return "\(path): invalid config: \(reason)"
        case .unsupportedArchitecture(let path, let name): return "\(path): unsupported architecture '\(name)'"
        case .corruptHeader(let path, let reason): return "\(path): corrupt header: \(reason)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor '\(tensor)' has unsupported dtype \(dtype)"
        case .missingTensor(let name, let searched): return "tensor '\(name)' not found in \(searched)"
        case .shapeMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)' has shape \(found), the config implies \(expected)"
        case .tokenizer(let path, let reason): return "\(path): \(reason)"
        case .invalidRequest(let reason): return "invalid request: \(reason)"
        case .cancelled: return "cancelled"
        }
    }
}
