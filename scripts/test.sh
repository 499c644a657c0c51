#!/usr/bin/env bash
# npm test: every test. Rust unit tests, TypeScript unit + server integration tests (real WASM,
# real Lua, real server on port 0), type check, then the Playwright multi-browser suite inside a
# loopback-only network namespace.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure.sh --browser
log() { printf '\n[test] %s\n' "$*" >&2; }

log "cargo test (engine-wasm, host target)"
TC="$ROOT/.toolchain"
if [ -f "$TC/cargo-config.toml" ]; then CFG=(--config "$TC/cargo-config.toml"); else CFG=(); fi
CARGO=cargo; command -v cargo >/dev/null || CARGO=/usr/bin/cargo
(cd engine-wasm && "$CARGO" "${CFG[@]}" test --release --target-dir target/host)

log "type check"
npx tsc -p .

log "unit + integration tests (node:test)"
shopt -s nullglob
files=(tests/unit/*.test.ts tests/server/*.test.ts)
node --import tsx --test --test-concurrency=2 --test-timeout=300000 --test-force-exit "${files[@]}"

if [ "${SKIP_E2E:-}" = 1 ]; then log "SKIP_E2E=1: browser suite skipped"; exit 0; fi
log "Playwright multi-browser suite (loopback-only network namespace)"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec "$@"' sh npx playwright test
else
  echo "[test] the browser suite needs root for a loopback-only network namespace (unshare -n)" >&2
  exit 1
fi
