#!/usr/bin/env bash
# Build engine-wasm (Rust -> wasm32) and generate wasm-bindgen bindings into engine-wasm/pkg/.
#   scripts/build-engine.sh [--debug] [--if-missing]
# Uses a rustup toolchain with the wasm32 target + wasm-bindgen 0.2.108 when present,
# otherwise the private Debian toolchain from scripts/setup-toolchain.sh (.toolchain/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE="$ROOT/engine-wasm"
OUT="$CRATE/pkg"
TC="${TOOLCHAIN_PREFIX:-$ROOT/.toolchain}"
PROFILE=release; FLAG=--release; IF_MISSING=0
for a in "$@"; do
  case "$a" in
    --debug) PROFILE=debug; FLAG= ;;
    --if-missing) IF_MISSING=1 ;;
    *) echo "usage: $0 [--debug] [--if-missing]" >&2; exit 2 ;;
  esac
done
if [ "$IF_MISSING" = 1 ] && [ -f "$OUT/engine_wasm_bg.wasm" ] && [ -f "$OUT/engine_wasm.js" ] \
   && [ -z "$(find "$CRATE/src" "$CRATE/Cargo.toml" -newer "$OUT/engine_wasm_bg.wasm" 2>/dev/null | head -1)" ]; then
  exit 0
fi
cd "$CRATE"
if command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version | awk '{print $2}')" = "0.2.108" ] \
   && command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  CARGO=(cargo); BINDGEN=wasm-bindgen; EXTRA=()
elif [ -x "$TC/bin/wasm-cargo" ] && [ -x "$TC/bin/wasm-bindgen" ]; then
  CARGO=("$TC/bin/wasm-cargo" --config "$TC/cargo-config.toml"); BINDGEN="$TC/bin/wasm-bindgen"
  EXTRA=(-Zbuild-std=std,panic_abort)
else
  echo "error: no Rust->wasm32 toolchain found." >&2
  echo "  run: bash scripts/setup-toolchain.sh   (Debian 12: installs rustc-web + wasm-bindgen privately)" >&2
  echo "  or:  rustup target add wasm32-unknown-unknown && cargo install wasm-bindgen-cli --version 0.2.108" >&2
  exit 1
fi
"${CARGO[@]}" build $FLAG --target wasm32-unknown-unknown "${EXTRA[@]}" --target-dir "$CRATE/target/wasm"
WASM="$CRATE/target/wasm/wasm32-unknown-unknown/$PROFILE/engine_wasm.wasm"
rm -rf "$OUT.tmp"
"$BINDGEN" --target web --out-dir "$OUT.tmp" "$WASM"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
printf '[build-engine] %s: %s bytes\n' "$OUT/engine_wasm_bg.wasm" "$(stat -c %s "$OUT/engine_wasm_bg.wasm")"
