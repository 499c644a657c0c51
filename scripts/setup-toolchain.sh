#!/usr/bin/env bash
# setup-toolchain.sh - offline Rust -> wasm32-unknown-unknown + wasm-bindgen
# toolchain for Debian 12 (bookworm) machines that reach only Debian's mirror and npm.
# Adapted from a tested reference; owned by this project.
#
#   scripts/setup-toolchain.sh [CRATE_DIR ...]
#
# If a normal rustup toolchain already has the wasm32 target and wasm-bindgen-cli
# 0.2.108 is on PATH, nothing is installed (scripts/build-engine.sh uses those).
#
# What it does (idempotent; safe to re-run):
#  1. apt (bookworm/bookworm-security): rustc-web, cargo-web, rust-web-src (std
#     sources incl. library/vendor, needed for -Zbuild-std) and lld-<LLVM major
#     of rustc-web> (wasm-ld).  rustc-web puts rustc/cargo in /usr/bin.
#  2. Debian testing/unstable .debs (never installed system-wide; only
#     downloaded with a private apt state dir and unpacked with dpkg -x into
#     $PREFIX/root): the wasm-bindgen CLI + the librust-*-dev crate sources.
#  3. $PREFIX/vendor: one cargo "directory source" = symlinks to those crates
#     plus std's vendored deps (build-std resolves std through the same
#     [source] replacement, so both sets must be in one directory).
#  4. $PREFIX/bin: wasm-bindgen, wasm-ld, wasm-cargo (cargo 1.96 + RUSTC_BOOTSTRAP).
#     $PREFIX/cargo-config.toml: absolute-path config usable with --config.
#     For each CRATE_DIR given: CRATE_DIR/.cargo/config.toml with paths relative
#     to the crate, so plain `cargo test` (rustup or Debian cargo) works offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${TOOLCHAIN_PREFIX:-$ROOT/.toolchain}"

if [ -z "${FORCE_DEBIAN_TOOLCHAIN:-}" ] && command -v wasm-bindgen >/dev/null 2>&1 \
   && [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "0.2.108" ] \
   && command -v rustup >/dev/null 2>&1 \
   && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  printf '[setup] using the existing rustup toolchain (wasm32 target + wasm-bindgen 0.2.108)\n' >&2
  exit 0
fi
# Fast path: everything already set up for this package list.
if [ -x "$PREFIX/bin/wasm-cargo" ] && [ -x "$PREFIX/bin/wasm-bindgen" ] && [ -f "$PREFIX/.ok" ] \
   && [ -x /usr/bin/rustc ] && [ "$#" = 0 ]; then
  exit 0
fi
SUITES="${WB_SUITES:-forky sid}"          # Debian testing first, then unstable
# The Debian mirror this machine's apt already uses (first non-security URI).
system_mirror() {
  { grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true
    grep -hsE '^deb ' /etc/apt/sources.list | awk '{for(i=2;i<=NF;i++) if ($i ~ /:\/\//) {print $i; break}}' || true
  } 2>/dev/null | grep -v security | head -n 1 || true
}
MIRROR="${DEBIAN_MIRROR:-$(system_mirror)}"
[ -n "$MIRROR" ] || { echo "[setup] ERROR: no Debian mirror found in apt sources; set DEBIAN_MIRROR" >&2; exit 1; }

# Tested exact versions (Debian testing "forky" and/or sid, December 2026). If one has
# left the mirror, the newest available version is used instead (with a warning)
# and the wasm-bindgen crate/CLI version equality is checked below.
PKGS=(
  wasm-bindgen=0.2.108+ds-3                       # CLI: wasm-bindgen, wasm2es6js
  librust-wasm-bindgen-dev=0.2.108-1
  librust-wasm-bindgen-macro-dev=0.2.108-1
  librust-wasm-bindgen-macro-support-dev=0.2.108-1
  librust-wasm-bindgen-shared-dev=0.2.108-1
  librust-js-sys-dev=0.3.85-1
  librust-console-error-panic-hook-dev=0.1.7-1+b2
  librust-bumpalo-dev=3.16.0-1+b1
  librust-cfg-if-dev=1.0.5-1
  librust-once-cell-dev=1.21.4-1
  librust-proc-macro2-dev=1.0.107-1
  librust-quote-dev=1.0.47-1
  librust-rustversion-dev=1.0.23-1
  librust-syn-2-dev=2.0.119-2
  librust-unicode-ident-dev=1.0.27-1
)
# Optional extras, e.g. WB_EXTRA_PKGS="librust-web-sys-dev=0.3.85-1"
# shellcheck disable=SC2206
PKGS+=(${WB_EXTRA_PKGS:-})

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- 1. bookworm apt
need_apt=()
for p in rustc-web cargo-web rust-web-src; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$p")
done
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ ${#need_apt[@]} -gt 0 ]; then
  # rustc-web Conflicts with Debian's rustc/rustup packages; apt -y would remove them.
  for p in rustc rustup rustc-mozilla; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      die "Debian package '$p' is installed and conflicts with rustc-web; remove it first"
    fi
  done
  log "apt-get install ${need_apt[*]}"
  apt_install "${need_apt[@]}"
fi
RUSTC=/usr/bin/rustc
[ -x "$RUSTC" ] && [ -x /usr/bin/cargo ] || die "/usr/bin/rustc or /usr/bin/cargo missing after apt"
LLVM_MAJOR="$("$RUSTC" -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')"
[ -n "$LLVM_MAJOR" ] || die "cannot read LLVM version from $RUSTC -vV"
if ! command -v "wasm-ld-$LLVM_MAJOR" >/dev/null; then
  log "apt-get install lld-$LLVM_MAJOR"
  apt_install "lld-$LLVM_MAJOR"
fi
SYSROOT="$("$RUSTC" --print sysroot)"
STD_VENDOR="$SYSROOT/lib/rustlib/src/rust/library/vendor"
[ -d "$STD_VENDOR" ] || die "$STD_VENDOR missing (rust-web-src not installed?)"

# ------------------------------------------------ 2. testing/sid .debs, privately
APTDIR="$PREFIX/apt"
APTO=(-o "Dir::State::Lists=$APTDIR/lists" -o "Dir::State::status=$APTDIR/status"
      -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
      -o "Dir::Cache=$APTDIR/cache" -o "APT::Sandbox::User=root")
mkdir -p "$PREFIX/debs"
# Stamp = requested package list; if the .debs for it are already here, skip the network.
want_stamp="$(printf '%s\n' "${PKGS[@]}" "$SUITES")"
have_stamp="$(cat "$PREFIX/debs/.stamp" 2>/dev/null || true)"
if [ "$want_stamp" != "$have_stamp" ] || ! ls "$PREFIX"/debs/wasm-bindgen_*.deb >/dev/null 2>&1; then
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/etc"
  : > "$APTDIR/status"
  for s in $SUITES; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $s main"
  done > "$APTDIR/etc/sources.list"
  log "apt-get update (private lists: $SUITES)"
  apt-get "${APTO[@]}" update -qq
  # One apt-cache call for all names (each call re-parses ~45 MB of lists).
  declare -A avail=()
  while IFS='|' read -r n v _; do avail["${n// /}=${v// /}"]=1; done \
    < <(apt-cache "${APTO[@]}" madison "${PKGS[@]%%=*}")
  resolved=()
  for spec in "${PKGS[@]}"; do
    name="${spec%%=*}"
    if [ -n "${avail[$spec]:-}" ]; then
      resolved+=("$spec")
    else
      cand="$(apt-cache "${APTO[@]}" policy "$name" | sed -n 's/^  Candidate: //p')"
      [ -n "$cand" ] && [ "$cand" != "(none)" ] || die "package $name not found in $SUITES"
      [ "$name" != "$spec" ] && log "WARNING: $spec is gone from the mirror; using $name=$cand"
      resolved+=("$name=$cand")
    fi
  done
  rm -f "$PREFIX"/debs/*.deb
  log "downloading ${#resolved[@]} .debs"
  (cd "$PREFIX/debs" && apt-get "${APTO[@]}" download -qq "${resolved[@]}")
  printf '%s' "$want_stamp" > "$PREFIX/debs/.stamp"
  rm -rf "$APTDIR"      # ~45 MB of testing/sid package lists; not needed any more
fi

# ---------------------------------------------------------------- 3. unpack + vendor
rm -rf "$PREFIX/root" "$PREFIX/vendor"
mkdir -p "$PREFIX/root" "$PREFIX/vendor" "$PREFIX/bin"
for d in "$PREFIX"/debs/*.deb; do dpkg -x "$d" "$PREFIX/root"; done
REG="$PREFIX/root/usr/share/cargo/registry"
for c in "$REG"/*/; do ln -s "${c%/}" "$PREFIX/vendor/$(basename "$c")"; done
# std's vendored crates last: on a name-version clash std's copy (whose checksum
# matches library/Cargo.lock) must win.
for c in "$STD_VENDOR"/*/; do ln -sfn "${c%/}" "$PREFIX/vendor/$(basename "$c")"; done

# ---------------------------------------------------------------- 4. bin + config
ln -sfn "$PREFIX/root/usr/bin/wasm-bindgen" "$PREFIX/bin/wasm-bindgen"
ln -sfn "$(command -v "wasm-ld-$LLVM_MAJOR")" "$PREFIX/bin/wasm-ld"
cat > "$PREFIX/bin/wasm-cargo" <<EOF
#!/bin/sh
# Debian's cargo/rustc (not rustup's, which lacks the wasm32 std), nightly flags allowed.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
exec /usr/bin/cargo "\$@"
EOF
chmod +x "$PREFIX/bin/wasm-cargo"
cat > "$PREFIX/cargo-config.toml" <<EOF
[source.crates-io]
replace-with = "debian-vendor"
[source.debian-vendor]
directory = "$PREFIX/vendor"
[target.wasm32-unknown-unknown]
linker = "$PREFIX/bin/wasm-ld"
EOF
for crate in "$@"; do
  crate="$(cd "$crate" && pwd)"
  rel="$(realpath --relative-to="$crate" "$PREFIX")"
  mkdir -p "$crate/.cargo"
  cat > "$crate/.cargo/config.toml" <<EOF
# Generated by setup.sh. Relative paths are relative to this crate's folder.
[source.crates-io]
replace-with = "debian-vendor"
[source.debian-vendor]
directory = "$rel/vendor"
[target.wasm32-unknown-unknown]
linker = "$rel/bin/wasm-ld"
EOF
  log "wrote $crate/.cargo/config.toml"
done

# ---------------------------------------------------------------- 5. sanity checks
cli_ver="$("$PREFIX/bin/wasm-bindgen" --version | awk '{print $2}')"
for c in wasm-bindgen wasm-bindgen-macro wasm-bindgen-macro-support wasm-bindgen-shared; do
  n="$(find "$REG" -maxdepth 1 -name "$c-[0-9]*" | wc -l)"
  [ "$n" = 1 ] || die "expected exactly one $c crate, found $n"
  [ -d "$REG/$c-$cli_ver" ] || die "wasm-bindgen CLI $cli_ver but crate $(ls -d "$REG/$c"-[0-9]*) - versions must match"
done
for j in "$REG"/js-sys-*/; do
  [ -d "$j" ] || continue
  grep -q "version = \"=$cli_ver\"" "$j/Cargo.toml" || log "WARNING: $(basename "$j") does not pin wasm-bindgen =$cli_ver"
done
touch "$PREFIX/.ok"
log "ok: $("$RUSTC" -V | cut -d' ' -f1-2), wasm-bindgen $cli_ver, wasm-ld $LLVM_MAJOR, $(ls "$PREFIX/vendor" | wc -l) vendored crates in $PREFIX/vendor"
