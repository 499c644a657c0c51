/**
 * LuaSandbox: one fengari state running untrusted rule scripts.
 *
 * - Only base (filtered), string, table, math, utf8 are opened; never os, io, debug, package,
 *   coroutine or fengari-interop. Scripts get their own environment table (copies of the libs,
 *   a read-only `game` API, the shared room `state` table) and are loaded text-only with
 *   `load(code, "=" .. name, "t", env)`.
 * - Instruction budget via a count hook every GRAIN instructions: per handler call and per tick.
 *   Once over budget the hook is re-armed with count = 1 so every following instruction of the
 *   script raises again (a script's own pcall cannot swallow it); only the trusted dispatcher
 *   chunk is exempt so it can go on to the next script. Deterministic: the count does not
 *   depend on time.
 * - Call depth: the hook raises when more than maxDepth Lua frames are active; C-level
 *   recursion (pcall/metamethod nesting) is capped by fengari's LUAI_MAXCCALLS (200).
 * - Allocation: string.rep / table.concat / string.format / string.gsub results are capped,
 *   `..` results are capped by a patch in ./fengari, patterns are checked for backtracking work.
 */
import { LuaHeapWalker } from './memory';
import { lua, lauxlib, lualib, to_luastring, to_jsstring, MAX_STRING } from './fengari';
import { SANDBOX_LUA, DISPATCHER_LUA, SANDBOX_CHUNK, DISPATCHER_CHUNK } from './prelude';
import { encodeTopTable, decodeToTable } from './state-codec';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LuaState = any;
export type LuaCFunction = (L: LuaState) => number;

export interface LuaBudget {
  /** Instructions one handler call (or one script load) may run. Default 100_000. */
  perCall: number;
  /** Instructions all Lua of one tick may run. Default 400_000. */
  perTick: number;
  /** Max nested Lua calls. Default 200. */
  maxDepth: number;
  /**
   * Bytes (estimated, core/lua/memory.ts) the `state` table may hold, and each script outside
   * it; checked every MEMORY_CHECK_TICKS by the simulation. Default 8 MiB.
   */
  memory: number;
}

export const DEFAULT_BUDGET: LuaBudget = { perCall: 100_000, perTick: 400_000, maxDepth: 200, memory: 8 * 1024 * 1024 };

/** Event type bits of LuaSandbox.eventMask. */
export const EVENT_CONTACT_BEGIN = 1;
export const EVENT_CONTACT_END = 2;
export const EVENT_SENSOR_ENTER = 4;
export const EVENT_SENSOR_EXIT = 8;
export const EVENT_ALL = 15;

/** Granularity of the count hook (instructions between checks). */
const GRAIN = 1000;

export interface RawScriptError {
  script: string;
  line?: number;
  message: string;
}

export interface SandboxOptions {
  /** JS functions exposed as `game.<name>` to scripts. `random` is also math.random. */
  api: Record<string, LuaCFunction>;
  /** Named integer constants exposed as `game.FLAGS`. */
  flags?: Record<string, number>;
  budget?: Partial<LuaBudget>;
  /** Receives print() output from scripts. */
  log?: (text: string) => void;
}

export type ScriptLoadOutcome =
  | { ok: true; isNew: boolean; mode?: string }
  | { ok: false; error: RawScriptError };

const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_\-./]{0,63}\.lua$/;
export const MAX_SCRIPT_BYTES = 64 * 1024;
/** Suffix the dispatcher appends to an error that made it revert a hot reload. */
export const REVERTED_SUFFIX = ' [reverted to the previous version]';

export function validateScriptName(name: string): string | null {
  if (typeof name !== 'string' || !SCRIPT_NAME.test(name) || name.includes('..')) {
    return 'script name must match [A-Za-z0-9_][A-Za-z0-9_-./]* and end in .lua (max 68 chars, no "..")';
  }
  return null;
}

/** Splits "name:12: message" into its parts when the chunk is the given script. */
export function parseLuaError(script: string, msg: string): RawScriptError {
  const m = /^([^\n]*?):(\d+): ([\s\S]*)$/.exec(msg);
  if (m && m[1] === script) return { script, line: Number(m[2]), message: m[3] };
  return { script, message: msg };
}

export interface MemoryReport {
  /** Estimated bytes of the whole `state` table. */
  stateBytes: number;
  /** Per top-level key of `state`, in table order (`raw`: the key as a string or number). */
  state: { key: string; raw: string | number | null; bytes: number }[];
  /** Per script (load order): data it holds outside `state`. */
  scripts: { name: string; bytes: number }[];
}

function keyName(k: { type: number; value: unknown }): string {
  if ((k.type & 0x0f) === lua.LUA_TSTRING) {
    const ts = k.value as { realstring?: Uint8Array };
    return ts.realstring ? to_jsstring(ts.realstring).slice(0, 64) : '?';
  }
  if ((k.type & 0x0f) === lua.LUA_TNUMBER) return String(k.value);
  return '(non-string key)';
}

export class LuaSandbox {
  readonly L: LuaState;
  readonly budget: LuaBudget;
  private refD = 0; // dispatcher function table
  private fnRefs = new Map<string, number>();
  private callUsed = 0;
  private tickUsed = 0;
  private over = false;
  private overReason = '';
  /** Set while a script's top level runs (mutating API calls are refused then). */
  loading = false;
  private closed = false;
  private readonly arDepth: unknown;
  private readonly hook: (L: LuaState, ar: any) => void; // eslint-disable-line

  constructor(opts: SandboxOptions) {
    this.budget = { ...DEFAULT_BUDGET, ...(opts.budget ?? {}) };
    const L = lauxlib.luaL_newstate();
    this.L = L;
    this.arDepth = new lua.lua_Debug();
    // Only safe libraries.
    lauxlib.luaL_requiref(L, to_luastring('_G'), lualib.luaopen_base, 1);
    lauxlib.luaL_requiref(L, to_luastring('string'), lualib.luaopen_string, 1);
    lauxlib.luaL_requiref(L, to_luastring('table'), lualib.luaopen_table, 1);
    lauxlib.luaL_requiref(L, to_luastring('math'), lualib.luaopen_math, 1);
    lauxlib.luaL_requiref(L, to_luastring('utf8'), lualib.luaopen_utf8, 1);
    lua.lua_settop(L, 0);
    // A JS exception inside a JS API function becomes a Lua error instead of escaping.
    lua.lua_atnativeerror(L, (L2: LuaState) => {
      const e = lua.lua_touserdata(L2, -1) as { message?: string } | null;
      lua.lua_pushstring(L2, to_luastring(`internal error: ${e && e.message ? e.message : String(e)}`));
      return 1;
    });

    this.hook = (L2: LuaState, ar: any) => this.onHook(L2, ar); // eslint-disable-line

    const log = opts.log ?? (() => {});
    const logf: LuaCFunction = (L2) => {
      const n = lua.lua_gettop(L2);
      const parts: string[] = [];
      for (let i = 1; i <= Math.min(n, 16); i++) {
        const s = lauxlib.luaL_tolstring(L2, i);
        parts.push(to_jsstring(s).slice(0, 500));
        lua.lua_pop(L2, 1);
      }
      log(parts.join('\t'));
      return 0;
    };

    // 1. sandbox libs
    this.loadTrusted(SANDBOX_LUA, SANDBOX_CHUNK, () => {
      lua.lua_pushinteger(L, MAX_STRING);
      const rnd = opts.api.random;
      if (rnd) lua.lua_pushjsfunction(L, rnd);
      else lua.lua_pushnil(L);
      lua.lua_pushjsfunction(L, logf);
      // charge(n): counts n instructions of work done inside a builtin against the budget
      lua.lua_pushjsfunction(L, (L2: LuaState) => {
        const n = lua.lua_tonumber(L2, 1);
        if (n > 0) this.charge(L2, n);
        return 0;
      });
      return 4;
    });
    const libsIdx = lua.lua_gettop(L);
    // 2. dispatcher
    this.loadTrusted(DISPATCHER_LUA, DISPATCHER_CHUNK, () => {
      lua.lua_pushvalue(L, libsIdx);
      lua.lua_pushjsfunction(L, (L2: LuaState) => {
        lua.lua_pushboolean(L2, this.budgetBegin(L2));
        return 1;
      });
      lua.lua_createtable(L, 0, Object.keys(opts.api).length);
      for (const name of Object.keys(opts.api).sort()) {
        lua.lua_pushjsfunction(L, opts.api[name]);
        lua.lua_setfield(L, -2, to_luastring(name));
      }
      lua.lua_createtable(L, 0, 8);
      const flags = opts.flags ?? {};
      for (const name of Object.keys(flags).sort()) {
        lua.lua_pushinteger(L, flags[name]);
        lua.lua_setfield(L, -2, to_luastring(name));
      }
      // invoke(f, a, b): the dispatcher's per-handler call (see `each` in prelude.ts)
      lua.lua_pushjsfunction(L, (L2: LuaState) => {
        if (lua.lua_type(L2, 1) !== lua.LUA_TFUNCTION) return 0;
        if (!this.budgetBegin(L2)) {
          lua.lua_pushinteger(L2, 2);
          return 1;
        }
        // like the base library's pcall: the handler and its arguments, no message handler
        if (lua.lua_pcall(L2, lua.lua_gettop(L2) - 1, 0, 0) === lua.LUA_OK) {
          lua.lua_pushinteger(L2, 0);
          return 1;
        }
        lua.lua_pushinteger(L2, 1);
        lua.lua_insert(L2, -2);
        return 2;
      });
      return 5;
    });
    this.refD = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_settop(L, 0);
    for (const fn of [
      'dispatch', 'dispatch_player', 'dispatch_actions', 'dispatch_events', 'dispatch_one',
      'load_script', 'end_probation', 'load_prev', 'set_mode', 'modes', 'get_state', 'set_state', 'player_add',
      'player_remove', 'player_inputs', 'player_connected', 'event_mask', 'memory_roots', 'unload',
    ]) {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.refD);
      lua.lua_getfield(L, -1, to_luastring(fn));
      if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) throw new Error(`dispatcher lacks ${fn}`);
      this.fnRefs.set(fn, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
      lua.lua_settop(L, 0);
    }
  }

  private loadTrusted(code: string, chunk: string, pushArgs: () => number): void {
    const L = this.L;
    const st = lauxlib.luaL_loadbufferx(L, to_luastring(code), null, to_luastring('=' + chunk), to_luastring('t'));
    if (st !== lua.LUA_OK) throw new Error(`sandbox chunk ${chunk}: ${to_jsstring(lua.lua_tolstring(L, -1))}`);
    const n = pushArgs();
    if (lua.lua_pcall(L, n, 1, 0) !== lua.LUA_OK) {
      throw new Error(`sandbox chunk ${chunk}: ${to_jsstring(lua.lua_tolstring(L, -1))}`);
    }
  }

  // ---------------------------------------------------------------- budget

  /** Start of a tick (or of a host call outside the tick): fresh per-tick budget. */
  beginTick(): void {
    this.tickUsed = 0;
    this.callUsed = 0;
    this.over = false;
    lua.lua_sethook(this.L, this.hook, lua.LUA_MASKCOUNT, GRAIN);
  }

  /** Instructions counted so far in this tick (in GRAIN units). */
  get tickInstructions(): number {
    return this.tickUsed;
  }

  private budgetBegin(L: LuaState): boolean {
    if (this.tickUsed >= this.budget.perTick) {
      this.over = true;
      this.overReason = `instruction budget exceeded (${this.budget.perTick} per tick)`;
      lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
      return false;
    }
    this.callUsed = 0;
    this.over = false;
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, GRAIN);
    return true;
  }

  /**
   * Counts n instructions against the per-call and per-tick budgets. Once over either, re-arms
   * the hook with count = 1 so the next script instruction raises, and returns true.
   */
  private count(L: LuaState, n: number): boolean {
    this.callUsed += n;
    this.tickUsed += n;
    if (this.callUsed <= this.budget.perCall && this.tickUsed <= this.budget.perTick) return false;
    this.over = true;
    this.overReason =
      this.callUsed > this.budget.perCall
        ? `instruction budget exceeded (${this.budget.perCall} per call)`
        : `instruction budget exceeded (${this.budget.perTick} per tick)`;
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
    return true;
  }

  /** Counts work done inside a builtin; once over budget the next script instruction raises. */
  private charge(L: LuaState, n: number): void {
    if (!this.over) this.count(L, n);
  }

  private onHook(L: LuaState, ar: { source?: Uint8Array; short_src?: Uint8Array; currentline?: number }): void {
    if (!this.over && !this.count(L, GRAIN)) {
      if (lua.lua_getstack(L, this.budget.maxDepth, this.arDepth)) {
        this.raise(L, ar, `stack overflow (more than ${this.budget.maxDepth} nested calls)`);
      }
      return;
    }
    lua.lua_getinfo(L, to_luastring('Sl'), ar);
    const src = ar.source ? to_jsstring(ar.source) : '';
    if (src === '=' + DISPATCHER_CHUNK) return; // trusted: let it reach the next script
    this.raise(L, ar, this.overReason);
  }

  private raise(L: LuaState, ar: { short_src?: Uint8Array; currentline?: number }, msg: string): never {
    lua.lua_getinfo(L, to_luastring('Sl'), ar);
    const where = ar.short_src && (ar.currentline ?? -1) > 0 ? `${to_jsstring(ar.short_src)}:${ar.currentline}: ` : '';
    lua.lua_pushstring(L, to_luastring(where + msg));
    lua.lua_error(L);
    throw new Error('unreachable');
  }

  // ---------------------------------------------------------------- calls

  private pushFn(name: string): void {
    const ref = this.fnRefs.get(name);
    if (ref === undefined) throw new Error(`no dispatcher function ${name}`);
    lua.lua_rawgeti(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** Calls a dispatcher function; returns the values left on the stack base index. */
  private call(name: string, pushArgs: () => number, nres: number): number {
    if (this.closed) throw new Error('Lua sandbox is closed');
    const L = this.L;
    const base = lua.lua_gettop(L);
    this.pushFn(name);
    const n = pushArgs();
    const st = lua.lua_pcall(L, n, nres, 0);
    if (st !== lua.LUA_OK) {
      const msg = lua.lua_type(L, -1) === lua.LUA_TSTRING ? to_jsstring(lua.lua_tolstring(L, -1)) : 'unknown error';
      lua.lua_settop(L, base);
      throw new Error(`Lua dispatcher failed in ${name}: ${msg}`);
    }
    return base;
  }

  /** Calls a dispatcher function that returns nothing. */
  private callVoid(name: string, pushArgs: () => number): void {
    lua.lua_settop(this.L, this.call(name, pushArgs, 0));
  }

  /** Reads the flat {name, msg, ...} error list returned by a dispatch call. */
  private readErrors(idx: number): RawScriptError[] {
    const L = this.L;
    if (lua.lua_type(L, idx) !== lua.LUA_TTABLE) return [];
    const out: RawScriptError[] = [];
    const n = lua.lua_rawlen(L, idx);
    for (let i = 1; i + 1 <= n; i += 2) {
      lua.lua_rawgeti(L, idx, i);
      lua.lua_rawgeti(L, idx, i + 1);
      const script = to_jsstring(lua.lua_tolstring(L, -2));
      const msg = to_jsstring(lua.lua_tolstring(L, -1));
      lua.lua_pop(L, 2);
      out.push(parseLuaError(script, msg));
    }
    return out;
  }

  private runDispatch(name: string, pushArgs: () => number): RawScriptError[] {
    const base = this.call(name, pushArgs, 1);
    const errs = this.readErrors(base + 1);
    lua.lua_settop(this.L, base);
    // an error may have reverted a hot reload (another script version, other EVENTS)
    if (errs.length) this.refreshEventMask();
    return errs;
  }

  /**
   * Event types (EVENT_* bits) that some active script's on_event wants; the host need not
   * build other events. Kept up to date after loads, mode changes and reverts.
   */
  eventMask = EVENT_ALL;

  private refreshEventMask(): void {
    const base = this.call('event_mask', () => 0, 1);
    this.eventMask = lua.lua_tointeger(this.L, base + 1) | 0;
    lua.lua_settop(this.L, base);
  }

  /** Calls `hook(a, b)` of every active script. Args: numbers, strings, booleans. */
  dispatch(hook: string, ...args: (number | string | boolean)[]): RawScriptError[] {
    return this.runDispatch('dispatch', () => {
      lua.lua_pushstring(this.L, this.ls(hook));
      for (const a of args) this.pushScalar(a);
      return 1 + args.length;
    });
  }

  /** Calls `hook(player_record)` of every active script. */
  dispatchPlayer(hook: string, pid: string): RawScriptError[] {
    return this.runDispatch('dispatch_player', () => {
      lua.lua_pushstring(this.L, to_luastring(hook));
      lua.lua_pushstring(this.L, to_luastring(pid));
      return 2;
    });
  }

  /** One call for all queued actions of a tick: on_action(player, action) per action. */
  dispatchActions(actions: { pid: string; action: Record<string, unknown> }[]): RawScriptError[] {
    return this.runDispatch('dispatch_actions', () => {
      const L = this.L;
      lua.lua_createtable(L, actions.length * 2, 0);
      let i = 1;
      for (const a of actions) {
        lua.lua_pushstring(L, to_luastring(a.pid));
        lua.lua_rawseti(L, -2, i++);
        this.pushPlain(a.action, 0);
        lua.lua_rawseti(L, -2, i++);
      }
      return 1;
    });
  }

  /** One call for all events of a tick: on_event(event) per event. Each event is a flat record. */
  dispatchEvents(events: Record<string, number | string | boolean | undefined>[]): RawScriptError[] {
    return this.runDispatch('dispatch_events', () => {
      const L = this.L;
      lua.lua_createtable(L, events.length, 0);
      let i = 1;
      for (const ev of events) {
        lua.lua_createtable(L, 0, 10);
        for (const k in ev) {
          const v = ev[k];
          if (v === undefined) continue;
          if (typeof v === 'string') lua.lua_pushstring(L, this.ls(v));
          else this.pushScalar(v);
          lua.lua_setfield(L, -2, this.ls(k));
        }
        lua.lua_rawseti(L, -2, i++);
      }
      return 1;
    });
  }

  /** Calls one script's hook with no arguments (e.g. on_start of a new script). */
  dispatchOne(script: string, hook: string): RawScriptError[] {
    return this.runDispatch('dispatch_one', () => {
      lua.lua_pushstring(this.L, to_luastring(script));
      lua.lua_pushstring(this.L, to_luastring(hook));
      return 2;
    });
  }

  private lsCache = new Map<string, Uint8Array>();
  /** Cached Lua string bytes for the small fixed vocabulary (event keys, kinds, ids). */
  private ls(s: string): Uint8Array {
    let b = this.lsCache.get(s);
    if (!b) {
      b = to_luastring(s);
      if (this.lsCache.size < 4096) this.lsCache.set(s, b);
    }
    return b;
  }

  private pushScalar(v: unknown): void {
    const L = this.L;
    if (typeof v === 'number') {
      if (Number.isInteger(v) && Math.abs(v) <= 0x7fffffff) lua.lua_pushinteger(L, v);
      else lua.lua_pushnumber(L, v);
    } else if (typeof v === 'string') lua.lua_pushstring(L, to_luastring(v));
    else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
    else lua.lua_pushnil(L);
  }

  /** Pushes a JSON-like value (objects with sorted keys, arrays 1-based). Depth-limited. */
  pushPlain(v: unknown, depth: number): void {
    const L = this.L;
    if (v === null || typeof v !== 'object' || depth > 4) {
      this.pushScalar(v);
      return;
    }
    if (Array.isArray(v)) {
      lua.lua_createtable(L, v.length, 0);
      for (let i = 0; i < v.length && i < 64; i++) {
        this.pushPlain(v[i], depth + 1);
        lua.lua_rawseti(L, -2, i + 1);
      }
      return;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    lua.lua_createtable(L, 0, keys.length);
    for (const k of keys.slice(0, 64)) {
      if (obj[k] === undefined) continue;
      this.pushPlain(obj[k], depth + 1);
      lua.lua_setfield(L, -2, to_luastring(k));
    }
  }

  // ---------------------------------------------------------------- scripts

  /**
   * Loads (or hot-reloads) a script. Runs its top level under the budget. On any failure the
   * previously loaded version (if any) stays in place.
   */
  loadScript(name: string, code: string): ScriptLoadOutcome {
    const bad = validateScriptName(name);
    if (bad) return { ok: false, error: { script: String(name), message: bad } };
    if (typeof code !== 'string') return { ok: false, error: { script: name, message: 'code must be a string' } };
    const bytes = to_luastring(code);
    if (bytes.length > MAX_SCRIPT_BYTES) {
      return { ok: false, error: { script: name, message: `script too large (max ${MAX_SCRIPT_BYTES} bytes)` } };
    }
    if (bytes[0] === 0x1b) return { ok: false, error: { script: name, message: 'binary chunks are not allowed' } };
    const L = this.L;
    this.loading = true;
    let base: number;
    try {
      base = this.call('load_script', () => {
        lua.lua_pushstring(L, to_luastring(name));
        lua.lua_pushstring(L, bytes);
        return 2;
      }, 3);
    } finally {
      this.loading = false;
    }
    const ok = lua.lua_toboolean(L, base + 1);
    let out: ScriptLoadOutcome;
    if (ok) {
      const isNew = lua.lua_toboolean(L, base + 2);
      const mode = lua.lua_type(L, base + 3) === lua.LUA_TSTRING ? to_jsstring(lua.lua_tolstring(L, base + 3)) : undefined;
      out = { ok: true, isNew, mode };
    } else {
      const msg = lua.lua_type(L, base + 2) === lua.LUA_TSTRING ? to_jsstring(lua.lua_tolstring(L, base + 2)) : 'load failed';
      out = { ok: false, error: parseLuaError(name, msg) };
    }
    lua.lua_settop(L, base);
    if (out.ok) this.refreshEventMask();
    return out;
  }

  /** The reloaded script `name` keeps its new version for good (no more automatic revert). */
  endProbation(name: string): void {
    this.callVoid('end_probation', () => {
      lua.lua_pushstring(this.L, to_luastring(name));
      return 1;
    });
  }

  /** Restore helper: re-creates the previous version of a script on probation. */
  loadPrev(name: string, code: string): void {
    const L = this.L;
    const base = this.call('load_prev', () => {
      lua.lua_pushstring(L, to_luastring(name));
      lua.lua_pushstring(L, to_luastring(code));
      return 2;
    }, 2);
    const ok = lua.lua_toboolean(L, base + 1);
    const msg = ok ? '' : to_jsstring(lua.lua_tolstring(L, base + 2) ?? to_luastring('?'));
    lua.lua_settop(L, base);
    if (!ok) throw new Error(`restore: previous version of ${name} failed to load: ${msg}`);
  }

  setMode(mode: string | null): void {
    this.callVoid('set_mode', () => {
      if (mode === null) lua.lua_pushnil(this.L);
      else lua.lua_pushstring(this.L, to_luastring(mode));
      return 1;
    });
    this.refreshEventMask();
  }

  modes(): string[] {
    const L = this.L;
    const base = this.call('modes', () => 0, 1);
    const out: string[] = [];
    const n = lua.lua_rawlen(L, base + 1);
    for (let i = 1; i <= n; i++) {
      lua.lua_rawgeti(L, base + 1, i);
      out.push(to_jsstring(lua.lua_tolstring(L, -1)));
      lua.lua_pop(L, 1);
    }
    lua.lua_settop(L, base);
    return out;
  }

  // ---------------------------------------------------------------- players

  playerAdd(pid: string, name: string, entity: number): void {
    this.callVoid('player_add', () => {
      lua.lua_pushstring(this.L, to_luastring(pid));
      lua.lua_pushstring(this.L, to_luastring(name));
      lua.lua_pushinteger(this.L, entity);
      return 3;
    });
  }

  playerRemove(pid: string): void {
    this.callVoid('player_remove', () => {
      lua.lua_pushstring(this.L, to_luastring(pid));
      return 1;
    });
  }

  playerConnected(pid: string, connected: boolean): void {
    this.callVoid('player_connected', () => {
      lua.lua_pushstring(this.L, to_luastring(pid));
      lua.lua_pushboolean(this.L, connected);
      return 2;
    });
  }

  /**
   * Batch update of player records' dx/dy, then `on_input(player)` of every active script for
   * each of them (unless quiet: restore).
   */
  playerInputs(list: { pid: string; dx: number; dy: number }[], quiet = false): RawScriptError[] {
    if (list.length === 0) return [];
    const L = this.L;
    return this.runDispatch('player_inputs', () => {
      lua.lua_createtable(L, list.length * 3, 0);
      let i = 1;
      for (const p of list) {
        lua.lua_pushstring(L, this.ls(p.pid));
        lua.lua_rawseti(L, -2, i++);
        lua.lua_pushnumber(L, p.dx);
        lua.lua_rawseti(L, -2, i++);
        lua.lua_pushnumber(L, p.dy);
        lua.lua_rawseti(L, -2, i++);
      }
      lua.lua_pushboolean(L, quiet);
      return 2;
    });
  }

  // ---------------------------------------------------------------- memory

  /**
   * What the rules keep in Lua memory (core/lua/memory.ts estimates): the `state` table per
   * top-level key, then each script's own data (its environment, file-level locals and what
   * they reach; a probation version's too). A value shared by several counts once, for the
   * first (state first, then scripts in load order). Each walk stops once over `limit`.
   */
  memoryReport(limit: number): MemoryReport {
    const L = this.L;
    const base = this.call('memory_roots', () => 0, 1);
    try {
      const roots = base + 1;
      const at = (i: number): unknown => {
        lua.lua_rawgeti(L, roots, i);
        const p = lua.lua_type(L, -1) === lua.LUA_TTABLE ? lua.lua_topointer(L, -1) : null;
        lua.lua_pop(L, 1);
        return p;
      };
      const w = new LuaHeapWalker();
      for (let i = 1; i <= 3; i++) w.exclude(at(i));
      const stateTable = at(4) as { strong: Map<unknown, { key: { type: number; value: unknown }; value: unknown }> } | null;
      const report: MemoryReport = { stateBytes: 0, state: [], scripts: [] };
      if (stateTable) {
        w.exclude(stateTable);
        report.stateBytes = 64 + 48 * stateTable.strong.size;
        for (const e of stateTable.strong.values()) {
          const key = keyName(e.key);
          const bytes = w.measure(e.key, limit) + w.measure(e.value, limit);
          const t = e.key.type & 0x0f;
          const raw = t === lua.LUA_TSTRING ? key : t === lua.LUA_TNUMBER ? (e.key.value as number) : null;
          report.state.push({ key, raw, bytes });
          report.stateBytes += bytes;
        }
      }
      const n = lua.lua_rawlen(L, roots);
      for (let i = 5; i + 2 <= n; i += 3) {
        lua.lua_rawgeti(L, roots, i);
        const name = to_jsstring(lua.lua_tolstring(L, -1));
        lua.lua_pop(L, 1);
        const env = at(i + 1);
        const prev = at(i + 2);
        let bytes = env ? w.measure(env, limit) : 0;
        if (prev && bytes <= limit) bytes += w.measure(prev, limit);
        report.scripts.push({ name, bytes });
      }
      return report;
    } finally {
      lua.lua_settop(L, base);
    }
  }

  /** Sets state[key] = nil for each key (string or number keys). */
  clearStateKeys(keys: (string | number)[]): void {
    const L = this.L;
    const base = this.call('get_state', () => 0, 1);
    try {
      for (const k of keys) {
        if (typeof k === 'string') lua.lua_pushstring(L, to_luastring(k));
        else lua.lua_pushnumber(L, k);
        lua.lua_pushnil(L);
        lua.lua_rawset(L, base + 1);
      }
    } finally {
      lua.lua_settop(L, base);
    }
  }

  /** Removes a script for good; false if there is none of that name. */
  unload(name: string): boolean {
    const L = this.L;
    const base = this.call('unload', () => {
      lua.lua_pushstring(L, to_luastring(name));
      return 1;
    }, 1);
    const ok = lua.lua_toboolean(L, base + 1);
    lua.lua_settop(L, base);
    this.refreshEventMask();
    return ok;
  }

  // ---------------------------------------------------------------- state

  /** Serializes the room's `state` table. Problems (skipped values) are appended to `problems`. */
  saveState(problems: string[]): Uint8Array {
    const L = this.L;
    const base = this.call('get_state', () => 0, 1);
    try {
      return encodeTopTable(L, problems);
    } finally {
      lua.lua_settop(L, base);
    }
  }

  /** Replaces the `state` table (before scripts are loaded on restore). Throws on bad bytes. */
  loadState(bytes: Uint8Array): void {
    const L = this.L;
    decodeToTable(L, bytes);
    const tIdx = lua.lua_gettop(L);
    const base = this.call('set_state', () => {
      lua.lua_pushvalue(L, tIdx);
      return 1;
    }, 0);
    lua.lua_settop(L, base - 1);
  }

  close(): void {
    this.closed = true;
    lua.lua_sethook(this.L, null, 0, 0);
  }
}

// ------------------------------------------------------------------ helpers for JS API functions

export const argNumber = (L: LuaState, i: number): number => lauxlib.luaL_checknumber(L, i);
export const argInteger = (L: LuaState, i: number): number => lauxlib.luaL_checkinteger(L, i);
export const argOptNumber = (L: LuaState, i: number, d: number): number => lauxlib.luaL_optnumber(L, i, d);
export const argString = (L: LuaState, i: number): string => to_jsstring(lauxlib.luaL_checklstring(L, i));
export const luaError = (L: LuaState, msg: string): never => {
  lauxlib.luaL_error(L, to_luastring(msg.replace(/%/g, '%%')));
  throw new Error('unreachable');
};
