#!/usr/bin/env bash
# npm run dev: Vite dev server with HMR (http://localhost:5173) + the Express server (port 4000,
# proxied by Vite for /api, /peerjs, /ws). Editing lua_scripts/*.lua hot-reloads a running room.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/build-engine.sh --if-missing
PORT="${PORT:-4000}" node --import tsx host-server/main.ts &
SERVER=$!
node node_modules/vite/bin/vite.js "$@" &
VITE=$!
trap 'kill "$SERVER" "$VITE" 2>/dev/null || true' EXIT INT TERM
wait "$VITE"
