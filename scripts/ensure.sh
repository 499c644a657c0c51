#!/usr/bin/env bash
# Make sure everything the app needs is installed and built; does only what is missing.
#   scripts/ensure.sh [--browser]     --browser also installs Debian's chromium (tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[ensure] %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/patch-fengari.sh
bash scripts/setup-toolchain.sh
bash scripts/build-engine.sh --if-missing
if [ ! -f dist/index.html ] || [ -n "$(find app core lua_scripts engine-wasm/pkg node_modules/fengari/src vite.config.ts -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  log "vite build"
  npx vite build --logLevel warn
fi
if [ "${1:-}" = --browser ] && [ ! -x /usr/bin/chromium ]; then
  log "apt-get install chromium"
  if [ "$(id -u)" != 0 ]; then log "need root to install chromium (or install it yourself: apt-get install chromium)"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
