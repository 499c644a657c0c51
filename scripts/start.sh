#!/usr/bin/env bash
# npm start: install/build what is missing, then serve the app on http://localhost:${PORT:-4000}
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/ensure.sh"
cd "$ROOT"
exec node --import tsx host-server/main.ts
