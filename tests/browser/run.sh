#!/usr/bin/env bash
# Runs the browser tests: installs what they need (setup.sh), then `node --test` here.
# Builds nothing: the server binary must exist (BAIDA_BIN, or the default below). Extra
# arguments go to `node --test` (for example a single test file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup.sh"
export BAIDA_BIN="${BAIDA_BIN:-$HOME/.cache/baida-target/debug/baida}"
if [ ! -x "$BAIDA_BIN" ]; then
  echo "browser tests: no server binary at $BAIDA_BIN" >&2
  echo "  build it first:  CARGO_TARGET_DIR=\$HOME/.cache/baida-target cargo build -p baida" >&2
  echo "  or point BAIDA_BIN at a baida binary" >&2
  exit 2
fi
chromium_bin="${BAIDA_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
  echo "browser tests: no Chromium at $chromium_bin (set BAIDA_CHROMIUM)" >&2
  exit 2
fi
cd "$here"
mkdir -p artifacts
status=0
node --test "$@" || status=$?
echo "browser tests: screenshots in $here/artifacts/"
exit "$status"
