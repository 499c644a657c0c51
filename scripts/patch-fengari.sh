#!/usr/bin/env bash
# Applies scripts/patches/fengari-*.patch to node_modules/fengari (idempotent; run by npm's
# postinstall and by scripts/ensure.sh). See the patch header for what and why.
#   scripts/patch-fengari.sh [--check]    --check: exit 1 unless the patch is applied
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/node_modules/fengari"
PATCH="$ROOT/scripts/patches/fengari-0.1.5-stack-no-delete.patch"
log() { printf '[patch-fengari] %s\n' "$*" >&2; }
[ -d "$DIR" ] || { log "node_modules/fengari not installed: nothing to patch"; exit 0; }
ver="$(node -p "require('$DIR/package.json').version")"
if [ "$ver" != 0.1.5 ]; then
  # not fatal for npm install; tests/unit/fengari-patch.test.ts then fails until the patch is redone
  log "fengari $ver is not 0.1.5: patch not applied (redo it for the new version)"
  [ "${1:-}" = --check ] && exit 1
  exit 0
fi
if ! command -v patch >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing patch (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patch >/dev/null
  else
    log "the 'patch' command is missing: install it (apt-get install patch) and run npm ci again"
    exit 1
  fi
fi
if patch -p1 -d "$DIR" -R --dry-run --silent < "$PATCH" >/dev/null 2>&1; then
  exit 0 # already applied
fi
if [ "${1:-}" = --check ]; then log "not applied"; exit 1; fi
patch -p1 -d "$DIR" --forward --silent < "$PATCH"
log "applied $(basename "$PATCH")"
