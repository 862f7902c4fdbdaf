import Foundation

/// Why a pull, or a pulled name, failed. Each description says what to do about it.
public enum HubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is not in the cache (or its snapshot has no config.json / .gguf).
    case notPulled(ModelReference)
    /// The hub answered 404 for the repository or revision.
    case repositoryNotFound(ModelReference, authenticated: Bool)
    /// 401/403: a gated or private repository.
    case accessDenied(ModelReference, status: Int, authenticated: Bool, detail: String)
    /// Any other unexpected answer.
    case http(status: Int, url: String, detail: String)
    /// The connection failed (after every retry).
    case transport(url: String, reason: String)
    /// The metadata could not be read.
    case malformedMetadata(String)
    /// The hub gave no size or hash for a file, so it cannot be checked.
    case unverifiable(file: String)
    /// Nothing in the repository is a loadable model.
    case noModelFiles(ModelReference, files: [String])
    /// Several sets of weights and no `--include` to choose one.
    case ambiguousWeights(ModelReference, choices: [String])
    /// `--include` matched no file.
    case includeMatchedNothing(patterns: [String], files: [String])
    /// The server announced a length other than the file's size.
    case lengthMismatch(file: String, expected: Int64, announced: Int64)
    /// The bytes received are not the file's size.
    case sizeMismatch(file: String, expected: Int64, received: Int64)
    /// The bytes received do not hash to the hub's digest.
    case checksumMismatch(file: String, algorithm: String, expected: String, actual: String)
    /// `HF_HUB_OFFLINE` forbids downloads.
    case offline
    /// A file could not be written.
    case io(String)

    public var description: String {
        switch self {
        case .notPulled(let reference):
            return "\(reference) is not pulled: run `dlsp model pull \(reference)`"
        case .repositoryNotFound(let reference, let authenticated):
            let hint = authenticated ? "" : " (a private repository needs HF_TOKEN)"
            return "\(reference.repoID) at revision \(reference.revision) was not found on the hub\(hint)"
        case .accessDenied(let reference, let status, let authenticated, let detail):
            let hint =
                authenticated
                ? "the token in HF_TOKEN has no access to it; accept its terms on the hub if it is gated"
                : "set HF_TOKEN to a token with access (gated models need their terms accepted on the hub)"
            return "\(reference.repoID): access refused (HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")); \(hint)"
        case .http(let status, let url, let detail):
            return "HTTP \(status) from \(url)\(detail.isEmpty ? "" : ": \(detail)")"
        case .transport(let url, let reason):
            return "could not reach \(url): \(reason)"
        case .malformedMetadata(let reason):
            return "the hub's metadata could not be read: \(reason)"
        case .unverifiable(let file):
            return "the hub gave no size or hash for \(file), so it cannot be checked; "
                + "the endpoint must answer /api/models/…/revision/…?blobs=true with sizes and hashes"
        case .noModelFiles(let reference, let files):
            return "\(reference.repoID) has no safetensors or GGUF weights with a config.json "
                + "(files: \(Self.shortList(files)))"
        case .ambiguousWeights(let reference, let choices):
            return "\(reference.repoID) has several sets of weights (\(Self.shortList(choices))): "
                + "choose one with --include, e.g. --include '\(choices.first ?? "*.gguf")'"
        case .includeMatchedNothing(let patterns, let files):
            return "--include \(patterns.joined(separator: " ")) matched no file (files: \(Self.shortList(files)))"
        case .lengthMismatch(let file, let expected, let announced):
            return "\(file): the server sends \(announced) bytes, the hub's metadata says \(expected); nothing was kept"
        case .sizeMismatch(let file, let expected, let received):
            return "\(file): received \(received) bytes, the hub says \(expected); the partial file was removed"
        case .checksumMismatch(let file, let algorithm, let expected, let actual):
            return "\(file): \(algorithm) is \(actual), the hub says \(expected); the download was removed"
        case .offline:
            return "HF_HUB_OFFLINE is set: nothing can be downloaded"
        case .io(let reason):
            return reason
        }
    }

    static func shortList(_ names: [String], limit: Int = 8) -> String {
        names.count <= limit
            ? names.joined(separator: ", ")
            : names.prefix(limit).joined(separator: ", ") + " and \(names.count - limit) more"
    }
}
