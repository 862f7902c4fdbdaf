/// `window/logMessage` and `window/showMessage` parameters.
public struct MessageParams: Codable, Sendable {
    /// 1 error, 2 warning, 3 info, 4 log.
    public var type: Int
    public var message: String
    public init(type: MessageType, message: String) {
        self.type = type.rawValue
        self.message = message
    }
}

public enum MessageType: Int, Sendable {
    case error = 1, warning, info, log
}

public struct WorkDoneProgressCreateParams: Codable, Sendable {
    public var token: ProgressToken
    public init(token: ProgressToken) { self.token = token }
}

/// `$/progress` parameters for work-done progress.
public struct ProgressParams: Codable, Sendable {
    public var token: ProgressToken
    public var value: WorkDoneProgress
    public init(token: ProgressToken, value: WorkDoneProgress) {
        self.token = token
        self.value = value
    }
}

public struct WorkDoneProgress: Codable, Sendable {
    public var kind: String
    public var title: String?
    public var message: String?
    public var percentage: Int?
    public var cancellable: Bool?

    public static func begin(title: String, message: String? = nil, percentage: Int? = nil) -> Self {
        .init(kind: "begin", title: title, message: message, percentage: percentage, cancellable: false)
    }
    public static func report(message: String?, percentage: Int?) -> Self {
        .init(kind: "report", title: nil, message: message, percentage: percentage, cancellable: nil)
    }
    public static func end(message: String?) -> Self {
        .init(kind: "end", title: nil, message: message, percentage: nil, cancellable: nil)
    }
}
