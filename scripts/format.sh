#!/usr/bin/env bash
# Formats every Swift file with the toolchain's `swift format` and the checked-in `.swift-format`, or, with
# --check, fails listing the files that are not formatted (CI runs the check; run this script before committing).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every tracked Swift file but the test fixtures, which are inputs written as they are on purpose.
mapfile -t paths < <(git ls-files '*.swift' | grep -v '/Fixtures/')
case "${1:-}" in
  "") swift format format --in-place --parallel "${paths[@]}" ;;
  --check)
    if ! out=$(swift format lint --strict --parallel "${paths[@]}" 2>&1); then
      echo "$out" | head -40 >&2
      echo "format.sh: files above are not formatted; run scripts/format.sh and commit the result" >&2
      exit 1
    fi ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac
