#!/usr/bin/env bash
# Downloads the pinned tree-sitter grammar sdists listed in Grammars/manifest.json, checks their sha256 and compiles
# them into .cache/grammars/<language>.so (or $DLSP_GRAMMAR_DIR). Idempotent: unchanged grammars are not rebuilt.
#
# Needs python3 with pip, tar, a C compiler (cc, or $CC) and libtree-sitter-dev.
# Usage: scripts/install-grammars.sh [language ...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift run --scratch-path "${DLSP_SCRATCH_PATH:-.build}" dlsp grammars install "$@"
