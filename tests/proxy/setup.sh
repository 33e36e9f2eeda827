#!/usr/bin/env bash
# Installs what the reverse-proxy test needs: Debian's nginx (the light build) and openssl.
# Safe to run again; does nothing when ready.
set -euo pipefail
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "proxy test: installing Debian's nginx-light"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq nginx-light openssl curl >/dev/null
fi
