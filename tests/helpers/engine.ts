/** Test helper: the built engine's .wasm bytes (for `loadPhysics` in Node). */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WASM = fileURLToPath(new URL('../../engine-wasm/pkg/engine_wasm_bg.wasm', import.meta.url));

let cached: Uint8Array | null = null;

/** Bytes of engine-wasm/pkg/engine_wasm_bg.wasm; throws a clear error if not built yet. */
export function engineWasmBytes(): Uint8Array {
  if (cached) return cached;
  if (!existsSync(WASM)) {
    throw new Error(`${WASM} is missing: build the engine first with \`bash scripts/build-engine.sh\``);
  }
  cached = new Uint8Array(readFileSync(WASM));
  return cached;
}
