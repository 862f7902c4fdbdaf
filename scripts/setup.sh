#!/usr/bin/env bash
# Sets up dlsp on a Debian machine: the Debian packages it links against, a release build, and the tree-sitter
# grammars (fetched by name and version from PyPI and compiled locally). Safe to run again: each step skips work
# that is already done.
#
# Usage: scripts/setup.sh [--with-test-tools]
#   --with-test-tools  also install what the test suite needs (Neovim, Emacs with eglot and Vim with ALE as real clients, the trainer's Python packages)
set -euo pipefail
cd "$(dirname "$0")/.."

with_test_tools=0
configuration=release
for argument in "$@"; do
  case "$argument" in
    --with-test-tools) with_test_tools=1 ;;
    --debug) configuration=debug ;;
    *) echo "setup.sh: unknown option $argument" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup.sh: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

packages=(libopenblas-dev libtree-sitter-dev pkg-config)
[ "$with_test_tools" = 1 ] && packages+=(neovim emacs-nox elpa-eglot vim vim-ale)   # editors the tests drive as real LSP clients
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$with_test_tools" = 1 ]; then
  say "installing the trainer's Python packages (Training/requirements.txt)"
  python3 -m pip install -q --disable-pip-version-check -r Training/requirements.txt
fi

say "building dlsp ($configuration)"
build_log=$(mktemp)
if ! swift build -c "$configuration" --product dlsp >"$build_log" 2>&1; then
  grep -E 'error|warning: unable' "$build_log" >&2 || tail -40 "$build_log" >&2
  echo "setup.sh: the $configuration build failed" >&2
  exit 1
fi
rm -f "$build_log"

say "installing tree-sitter grammars"
.build/"$configuration"/dlsp grammars install >&2 || say "some grammars failed to install; those languages fall back to plain text"
say "dlsp is ready: $(pwd)/.build/$configuration/dlsp"
