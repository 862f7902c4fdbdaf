// swift-tools-version: 6.1
//
// The module graph is the architecture: every arrow below is a one-way dependency that SwiftPM enforces.
// See ARCHITECTURE.md for the code map and the invariants each module keeps.
import PackageDescription

let optimisedAlways: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "dlsp",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dlsp", targets: ["dlsp"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The HTTP server behind `dlsp serve`; no optional traits (no swift-configuration).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // C libraries from Debian packages (libtree-sitter-dev, libopenblas-dev).
        .systemLibrary(
            name: "CTreeSitter", pkgConfig: "tree-sitter",
            providers: [.apt(["libtree-sitter-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // The engine's few hand-written C kernels (packed small-row products, fused attention, vector exp), with
        // an AVX2/FMA path chosen at run time; optimised in every build for the same reason as the Engine.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // The protocol stack: JSONRPC knows framing and messages, LanguageServerProtocol knows LSP's types.
        .target(name: "JSONRPC"),
        .target(name: "LanguageServerProtocol", dependencies: ["JSONRPC"]),

        // The core: plain Swift values, no LSP, no JSON.
        .target(name: "SourceText"),
        .target(name: "Syntax", dependencies: ["SourceText", "CTreeSitter"]),
        // The numeric modules are optimised even in debug builds: an unoptimised denoising loop is ~50× slower,
        // which would make every test that runs the model crawl.
        .target(name: "Tokenizer", swiftSettings: optimisedAlways),
        .target(name: "Engine", dependencies: ["Tokenizer", "COpenBLAS", "CKernels"], swiftSettings: optimisedAlways),
        // The Hugging Face Hub client and cache (`dlsp model pull|list`, pulled names as model paths): Foundation
        // only. Optimised in every build: it hashes every byte it downloads.
        .target(name: "ModelHub", swiftSettings: optimisedAlways),
        .target(name: "Features", dependencies: ["SourceText", "Syntax", "Engine", "Tokenizer", "ModelHub"]),

        // Fill backends served elsewhere over HTTP (OpenAI-style FIM, OpenAI completions, llama.cpp, Ollama).
        .target(name: "RemoteBackends", dependencies: ["Features", "Engine", "Tokenizer"]),
        // `dlsp serve`: the completion path over an OpenAI-compatible HTTP API.
        .target(
            name: "HTTPServer",
            dependencies: [
                "Features", "Engine", "Tokenizer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The server: the only place that converts between LSP and the core.
        .target(
            name: "LanguageServer",
            dependencies: [
                "JSONRPC", "LanguageServerProtocol", "SourceText", "Features", "Syntax", "Engine", "RemoteBackends",
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Every reader of outside input as a fuzz target (framing, JSON-RPC, edits, tokenizer, model files, HTTP
        // bodies), run by libFuzzer (`scripts/fuzz.sh`), by `dlsp-fuzz`'s seeded mutation loop and by the tests.
        // Optimised in every build: its models of the readers (a text walked scalar by scalar) would otherwise
        // dominate each execution and slow the tests' replay tenfold.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "JSONRPC", "LanguageServerProtocol", "SourceText", "Tokenizer", "Engine", "HTTPServer", "ModelHub",
            ], swiftSettings: optimisedAlways),
        .executableTarget(name: "dlsp-fuzz", dependencies: ["FuzzTargets"]),

        .executableTarget(
            name: "dlsp",
            dependencies: [
                "LanguageServer", "Features", "Engine", "Syntax", "SourceText", "RemoteBackends", "HTTPServer",
                "ModelHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // What the test targets share: a scripted fill backend, marked texts (`‸`, `⟨name⟩`), the completion path
        // with every offer heuristic off. Depended on by test targets only, never by a product.
        .target(name: "TestSupport", dependencies: ["Features", "Engine", "Tokenizer"], path: "Tests/TestSupport"),

        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Tokenizer"]),
        .testTarget(name: "SyntaxTests", dependencies: ["Syntax", "SourceText", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "FeaturesTests", dependencies: ["Features", "Engine", "Tokenizer", "Syntax", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "SourceTextTests", dependencies: ["SourceText"]),
        // Pulls from a stand-in hub on loopback that serves the hub's endpoints and headers, and misbehaves on cue.
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", "Features"]),
        // Spawns the built `dlsp` binary and real editors; depends on no module, only on the executable's behaviour.
        .testTarget(name: "EndToEndTests", dependencies: ["JSONRPC"], exclude: ["Fixtures"]),
        // Remote backends against `dlsp serve` on loopback and against protocol-faithful test servers.
        .testTarget(
            name: "RemoteBackendsTests",
            dependencies: [
                "RemoteBackends", "HTTPServer", "Features", "Engine", "Tokenizer", "LanguageServer", "JSONRPC",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        // Replays the committed fuzz corpora and past findings, then a short seeded mutation run of each target.
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "LanguageServerTests",
            dependencies: [
                "LanguageServer", "LanguageServerProtocol", "JSONRPC", "SourceText", "Engine", "RemoteBackends",
                "TestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
