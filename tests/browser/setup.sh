#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium and playwright-core (no browser
# download: playwright drives /usr/bin/chromium). Safe to run again; does nothing when ready.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
  echo "browser tests: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "browser tests: installing playwright-core"
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
