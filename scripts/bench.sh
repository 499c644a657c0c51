#!/usr/bin/env bash
# npm run bench: physics, Lua rules, snapshot and room tick benchmarks (each bounded in time).
# Results: a table on stdout and JSON in bench/results/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure.sh
mkdir -p bench/results
for b in physics lua snapshot room; do
  printf '\n== bench/%s.bench.ts ==\n' "$b"
  node --import tsx "bench/$b.bench.ts"
done
