// The Syntax module: tree-sitter over the workspace, the model's context around a hole, and scopes for renames.
//
// - Grammars/    the manifest of pinned grammar sdists, the installer that fetches and compiles them at setup time,
//                the dlopen loader with its ABI check, and the registry mapping languages to grammars and queries.
// - Tree/        parse trees (immutable snapshots), nodes, parsers and incrementally reparsed documents.
// - Queries/     compiled queries with the text predicates the C runtime leaves to its caller.
// - Index/       the gitignore-aware workspace walk and the thread-safe symbol index (definitions, imports).
// - Context/     the context builder: budgeted prefix/suffix, cross-file snippets and the hole description, in the
//                canvas format of ARCHITECTURE.md.
// - Scopes/      occurrences of a symbol within its scope, for renames.
// - Benchmark/   timings of the hot paths.
//
// Everything works in UTF-8 byte offsets and (row, byte column) points; the server converts LSP positions.
// A language without a usable grammar degrades to plain text everywhere instead of failing.
