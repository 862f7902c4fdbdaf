#!/usr/bin/env bash
# Sets up everything the tests need and runs every test: the Swift test suites (unit, in-process server, the real
# binary over stdio, Neovim as a client) and the trainer's smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The debug build serves both the grammar install and the tests: one build, not two.
scripts/setup.sh --with-test-tools --debug
echo "==> format check" >&2
# Every Swift file as the toolchain's `swift format` writes it with `.swift-format` (scripts/format.sh fixes it).
scripts/format.sh --check
echo "==> swift test" >&2
# Serially: the suites start many servers and model fills, and two cores shared by all of them at once made
# timeouts, not speed.
swift test --no-parallel 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Applying)' 
echo "==> burst test (stdio, then serve)" >&2
# The debug binary the suites used; CI-sized (about a minute each on two cores). The 10,000-request run and its
# figures are in docs/reliability.md. The deadline turns a hang into a failure instead of a stuck CI job.
python3 scripts/burst.py --binary .build/debug/dlsp --requests 5000 --deadline 600
python3 scripts/burst.py --binary .build/debug/dlsp --serve --requests 100000 --seconds 60 --deadline 600
echo "==> trainer smoke test" >&2
python3 -m pytest -q Training/tests
