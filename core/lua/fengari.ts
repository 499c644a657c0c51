/**
 * The one place that imports fengari. Installs the process-wide concat cap (fengari has no
 * memory accounting: `s = s .. s` doubles a string per VM instruction, so the instruction budget
 * alone cannot bound it). Never imports or opens fengari-interop (it would expose JS globals).
 */
import fengari from 'fengari';
import lobject from 'fengari/src/lobject.js';
import ldebug from 'fengari/src/ldebug.js';

export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export const to_luastring: (s: string) => Uint8Array = fengari.to_luastring;
export const to_jsstring: (b: Uint8Array) => string = fengari.to_jsstring;

/** Largest string any sandboxed operation may create (bytes). */
export const MAX_STRING = 256 * 1024;

const PATCHED = Symbol.for('wasm-lua-arena.fengari-concat-cap');
const lo = lobject as Record<string | symbol, any>;
if (!lo[PATCHED]) {
  const orig = lo.setsvalue2s;
  // In fengari's VM, setsvalue2s is called (through the module object) by luaV_concat with the
  // freshly built result, and otherwise only for short error messages.
  lo.setsvalue2s = function (L: unknown, idx: number, ts: { realstring: Uint8Array }) {
    if (ts && ts.realstring && ts.realstring.length > MAX_STRING) {
      ldebug.luaG_runerror(L, to_luastring(`string too large (max ${MAX_STRING} bytes)`));
    }
    return orig(L, idx, ts);
  };
  lo[PATCHED] = true;
}
