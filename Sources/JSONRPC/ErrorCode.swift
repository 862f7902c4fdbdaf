/// A JSON-RPC error object, as sent in a response.
public struct ResponseError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (\(code))" }

    // JSON-RPC 2.0 codes.
    public static func parseError(_ message: String) -> Self { .init(code: -32700, message: message) }
    public static func invalidRequest(_ message: String) -> Self { .init(code: -32600, message: message) }
    public static func methodNotFound(_ method: String) -> Self {
        .init(code: -32601, message: "method not found: \(method)")
    }
    public static func invalidParams(_ message: String) -> Self { .init(code: -32602, message: message) }
    public static func internalError(_ message: String) -> Self { .init(code: -32603, message: message) }

    // Codes the Language Server Protocol adds.
    public static func serverNotInitialized(_ method: String) -> Self {
        .init(code: -32002, message: "server not initialized: \(method) arrived before initialize")
    }
    public static let requestCancelled = Self(code: -32800, message: "request cancelled")
    public static func contentModified(_ message: String) -> Self { .init(code: -32801, message: message) }
    public static func requestFailed(_ message: String) -> Self { .init(code: -32803, message: message) }
}
