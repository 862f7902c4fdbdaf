/// `initialize` parameters (the parts dlsp reads).
public struct InitializeParams: Codable, Sendable {
    public var processId: Int?
    public var rootUri: DocumentURI?
    public var rootPath: String?
    public var capabilities: ClientCapabilities
    public var initializationOptions: JSONValue?
    public var workspaceFolders: [WorkspaceFolder]?
    public var clientInfo: ClientInfo?

    public struct ClientInfo: Codable, Sendable {
        public var name: String
        public var version: String?
    }
}

/// What the client can do (the parts dlsp reads; unknown members are ignored).
public struct ClientCapabilities: Codable, Sendable {
    public var general: General?
    public var window: Window?
    public var textDocument: TextDocument?
    public var workspace: Workspace?

    public struct General: Codable, Sendable {
        public var positionEncodings: [String]?
    }

    public struct Window: Codable, Sendable {
        public var workDoneProgress: Bool?
        public var showMessage: JSONValue?
    }

    public struct Workspace: Codable, Sendable {
        public var applyEdit: Bool?
        public var workspaceFolders: Bool?
        public var workspaceEdit: WorkspaceEdit?
        public struct WorkspaceEdit: Codable, Sendable {
            public var documentChanges: Bool?
        }
    }

    public struct TextDocument: Codable, Sendable {
        public var completion: Completion?
        public var codeAction: CodeAction?
        public var inlineCompletion: JSONValue?

        public struct Completion: Codable, Sendable {
            public var completionItem: CompletionItem?
            public struct CompletionItem: Codable, Sendable {
                public var snippetSupport: Bool?
                public var insertReplaceSupport: Bool?
            }
        }

        public struct CodeAction: Codable, Sendable {
            public var resolveSupport: JSONValue?
            public var dataSupport: Bool?
            public var tagSupport: JSONValue?
        }
    }
}

/// `initialize` result.
public struct InitializeResult: Codable, Sendable {
    public var capabilities: ServerCapabilities
    public var serverInfo: ServerInfo

    public init(capabilities: ServerCapabilities, serverInfo: ServerInfo) {
        self.capabilities = capabilities
        self.serverInfo = serverInfo
    }

    public struct ServerInfo: Codable, Sendable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }
}

/// What dlsp advertises. Every member is set only when the feature is implemented.
public struct ServerCapabilities: Codable, Sendable {
    public var positionEncoding: String
    public var textDocumentSync: TextDocumentSyncOptions
    public var completionProvider: CompletionOptions?
    public var inlineCompletionProvider: Bool?
    public var codeActionProvider: CodeActionOptions?
    public var renameProvider: RenameOptions?
    public var workspace: WorkspaceCapabilities?

    public init(
        positionEncoding: String, textDocumentSync: TextDocumentSyncOptions,
        completionProvider: CompletionOptions?, inlineCompletionProvider: Bool?,
        codeActionProvider: CodeActionOptions? = nil, renameProvider: RenameOptions? = nil,
        workspace: WorkspaceCapabilities?
    ) {
        self.positionEncoding = positionEncoding
        self.textDocumentSync = textDocumentSync
        self.completionProvider = completionProvider
        self.inlineCompletionProvider = inlineCompletionProvider
        self.codeActionProvider = codeActionProvider
        self.renameProvider = renameProvider
        self.workspace = workspace
    }

    public struct WorkspaceCapabilities: Codable, Sendable {
        public var workspaceFolders: WorkspaceFoldersServerCapabilities
        public init(workspaceFolders: WorkspaceFoldersServerCapabilities) { self.workspaceFolders = workspaceFolders }
    }

    public struct WorkspaceFoldersServerCapabilities: Codable, Sendable {
        public var supported: Bool
        public var changeNotifications: Bool
        public init(supported: Bool, changeNotifications: Bool) {
            self.supported = supported
            self.changeNotifications = changeNotifications
        }
    }
}

public struct TextDocumentSyncOptions: Codable, Sendable {
    /// 2 = incremental.
    public var openClose: Bool
    public var change: Int
    public var save: SaveOptions
    public init(openClose: Bool, change: Int, save: SaveOptions) {
        self.openClose = openClose
        self.change = change
        self.save = save
    }

    public struct SaveOptions: Codable, Sendable {
        public var includeText: Bool
        public init(includeText: Bool) { self.includeText = includeText }
    }
}

public struct CompletionOptions: Codable, Sendable {
    public var triggerCharacters: [String]?
    public var resolveProvider: Bool
    public init(triggerCharacters: [String]?, resolveProvider: Bool) {
        self.triggerCharacters = triggerCharacters
        self.resolveProvider = resolveProvider
    }
}

/// Parameters of notifications and requests that carry nothing dlsp reads.
public struct Empty: Codable, Sendable {
    public init() {}
}
