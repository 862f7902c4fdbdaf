#!/usr/bin/env bash
# Formats every Swift file with the toolchain's `swift format` and the checked-in `.swift-format`, or, with
# --check, fails listing the files that are not formatted and the lines over 120 columns (CI runs the check; run
# this script before committing).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every tracked Swift file but the test fixtures, which are inputs written as they are on purpose.
mapfile -t paths < <(git ls-files '*.swift' | grep -v '/Fixtures/')
case "${1:-}" in
  "") swift format format --in-place --parallel "${paths[@]}" ;;
  --check)
    status=0
    if ! out=$(swift format lint --strict --parallel "${paths[@]}" 2>&1); then
      echo "$out" | head -40 >&2
      echo "format.sh: files above are not formatted; run scripts/format.sh and commit the result" >&2
      status=1
    fi
    # The formatter cannot break a string literal or a comment, so a line it leaves over 120 columns (characters,
    # hence the UTF-8 locale) is split by hand: a concatenation, a `\` line continuation, a rewrapped comment.
    long=$(LC_ALL=C.UTF-8 grep -HnE '^.{121}' "${paths[@]}" | cut -d: -f1,2 || true)
    if [ -n "$long" ]; then
      echo "$long" >&2
      echo "format.sh: lines above are over 120 columns; split them by hand (the formatter cannot)" >&2
      status=1
    fi
    exit "$status" ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac
