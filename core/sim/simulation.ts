/**
 * The simulation core: WASM physics + Lua rules (fengari sandbox) + fixed 60 Hz tick.
 * Runtime-agnostic (no DOM, no sockets, no fs). See core/sim/types.ts for the contract and
 * docs/LUA_API.md for what scripts can do.
 *
 * Tick order (step()):
 *   1. latest input per player -> player records (dx, dy), lastInputSeq; on_input(player)
 *      for each changed one                                    (one Lua call, if any changed)
 *   2. on_action(player, action) for every action queued since the last tick (one Lua call)
 *   3. on_tick(dt)                                                        (one Lua call)
 *   3b. game.drive targets: velocities move towards them (JS, no Lua)
 *   4. physics step
 *   5. on_event(event) for the step's contact/sensor events of the types some script
 *      declared in EVENTS (or every type for scripts without EVENTS)     (one Lua call)
 *   6. tick += 1
 * Clocks are only read for telemetry; nothing in the state depends on them.
 */
import { loadPhysics, PhysicsWorld } from '../physics';
import type { PhysicsWorldApi, WasmSource, WorldConfig } from '../physics/types';
import { BodyKind, PhysicsEventType } from '../physics/types';
import {
  LuaSandbox, REVERTED_SUFFIX, argInteger, argNumber, argString, luaError,
  EVENT_CONTACT_BEGIN, EVENT_CONTACT_END, EVENT_SENSOR_ENTER, EVENT_SENSOR_EXIT,
} from '../lua/sandbox';
import type { LuaBudget, LuaCFunction, LuaState, RawScriptError } from '../lua/sandbox';
import { lua, to_luastring } from '../lua/fengari';
import { ENTITY_KINDS } from './types';
import type {
  EntityKind, EntityView, GameAction, InputFrame, LoadResult, OutgoingMessage, PlayerId,
  PlayerInfo, ScriptError, Simulation, SimulationOptions, TickTelemetry,
} from './types';
import { fnv1a64hex } from './hash';
import { sanitizePlain, stableStringify } from './stable-json';

export const DT = 1 / 60;
/** Physics event type -> LuaSandbox.eventMask bit (0: never delivered). */
const EVENT_BIT: Record<number, number> = {
  [PhysicsEventType.ContactBegin]: EVENT_CONTACT_BEGIN,
  [PhysicsEventType.ContactEnd]: EVENT_CONTACT_END,
  [PhysicsEventType.SensorEnter]: EVENT_SENSOR_ENTER,
  [PhysicsEventType.SensorExit]: EVENT_SENSOR_EXIT,
};

export const DEFAULT_ARENA = { width: 1600, height: 1000 };
export const DEFAULT_MODE = 'coin_rush';
const MAX_ENTITIES = 4096;
const MAX_PLAYERS = 256;
const MAX_QUEUED_ACTIONS = 1024;
const MAX_MESSAGES = 512;
const MAX_MESSAGE_LEN = 280;
const WALL_THICKNESS = 20;
/** After a hot reload, a runtime error within this many ticks puts the previous version back. */
export const PROBATION_TICKS = 60;
/** How often (ticks) the Lua memory the rules hold is measured against budget.memory. */
export const MEMORY_CHECK_TICKS = 120;

export const PLAYER_RADIUS = 16;
const DEFAULT_RADIUS: Record<string, number> = { npc: 14, coin: 10, powerup: 14, zone: 120 };

/** Flag names as seen by Lua (game.FLAGS.it etc.); values match EntityFlags. */
export const LUA_FLAGS: Record<string, number> = {
  it: 1, boost: 2, shield: 4, magnet: 8, fleeing: 16, chasing: 32,
};

/** Options accepted by restoreSimulation besides the blob (the rest comes from the blob). */
export type SimulationExtraOptions = Pick<SimulationOptions, 'now' | 'log'>;

/** Kept as an alias: all options are now in the SimulationOptions contract. */
export type FullSimulationOptions = SimulationOptions;

interface Ent {
  id: number;
  kind: EntityKind;
  variant: string;
  flags: number;
  owner?: PlayerId;
  /** game.drive: before every physics step the velocity moves towards (tx, ty) by <= maxDv. */
  drive?: { tx: number; ty: number; maxDv: number };
}

interface Player extends PlayerInfo {
  recvSeq: number;
  dx: number;
  dy: number;
  pending: InputFrame | null;
}

interface Header {
  v: number;
  tick: number;
  mode: string;
  arena: { width: number; height: number };
  seed: number;
  settings: Record<string, number | string | boolean>;
  budget: LuaBudget;
  scripts: [string, string][];
  players: {
    id: string; name: string; score: number; entityId: number; connected: boolean;
    lastInputSeq: number; recvSeq: number; dx: number; dy: number; pending: InputFrame | null;
  }[];
  entities: [number, string, string, number, string | null][];
  actions: [string, Record<string, unknown>][];
  /** Hot-reloaded scripts still on probation: [name, until tick, previous code]. */
  probation?: [string, number, string][];
  /** game.drive targets: [entity id, tx, ty, max_dv (null = Infinity)], by id. */
  drives?: [number, number, number, number | null][];
}

const MAGIC = [0x57, 0x4c, 0x53, 0x31]; // "WLS1"
const BLOB_VERSION = 1;

/**
 * game.steer / game.drive: the velocity (vx, vy) moved towards (tx, ty) by at most maxDv,
 * written to out[0], out[1]. False (out untouched) when it is already within 0.01 of the target.
 */
function steerTowards(vx: number, vy: number, tx: number, ty: number, maxDv: number, out: number[]): boolean {
  let dx = tx - vx; let dy = ty - vy;
  const d = Math.sqrt(dx * dx + dy * dy);
  if (d <= 0.01) return false;
  let nx = tx; let ny = ty;
  if (d > maxDv) { dx = (dx * maxDv) / d; dy = (dy * maxDv) / d; nx = vx + dx; ny = vy + dy; }
  out[0] = nx; out[1] = ny;
  return true;
}
/** Scratch result of steerTowards (no allocation per driven body per tick). */
const STEERED = [0, 0];

function clampUnit(v: number): number {
  return v < -1 ? -1 : v > 1 ? 1 : v;
}

function finite(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${what} must be a finite number`);
  return n;
}

class SimulationImpl implements Simulation {
  private world!: PhysicsWorldApi;
  private sb!: LuaSandbox;
  private _tick = 0;
  private _mode = DEFAULT_MODE;
  private _arena = { ...DEFAULT_ARENA };
  private seed = 1;
  private settings: Record<string, number | string | boolean> = {};
  private budget!: LuaBudget;
  private now: () => number;
  private log?: (t: string) => void;
  private ents = new Map<number, Ent>();
  private playerMap = new Map<PlayerId, Player>();
  private playerOrder: PlayerId[] = [];
  private scriptCode = new Map<string, string>();
  private scriptOrder: string[] = [];
  private modeList: string[] = [];
  private probation = new Map<string, { until: number; prevCode: string }>();
  private actions: { pid: string; action: Record<string, unknown> }[] = [];
  private messages: OutgoingMessage[] = [];
  private pendingErrors: ScriptError[] = [];
  private pendingLua: Record<string, number> = {};
  private disposed = false;
  // bulk view cache
  private viewsDirty = true;
  private structureDirty = true;
  private indexOf = new Map<number, number>();
  private byKind = new Map<EntityKind, number[]>();
  private posView: Float32Array = new Float32Array(0);
  private velView: Float32Array = new Float32Array(0);

  constructor(opts: { now?: () => number; log?: (t: string) => void }) {
    this.now = opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
    this.log = opts.log;
  }

  // ------------------------------------------------------------------ setup

  initWorld(arena: { width: number; height: number }, seed: number): void {
    this._arena = { width: arena.width, height: arena.height };
    this.seed = seed >>> 0;
    const cfg: WorldConfig = { width: arena.width, height: arena.height, seed: this.seed, dt: DT };
    this.world = new PhysicsWorld(cfg) as PhysicsWorldApi;
  }

  initLua(budget: Partial<LuaBudget> | undefined): void {
    this.sb = new LuaSandbox({ api: this.makeApi(), flags: LUA_FLAGS, budget, log: this.log });
    this.budget = this.sb.budget;
  }

  buildArena(): void {
    const { width: w, height: h } = this._arena;
    const t = WALL_THICKNESS;
    this.addEntity('wall', '', { box: [w / 2, t / 2, w / 2, t / 2] });
    this.addEntity('wall', '', { box: [w / 2, h - t / 2, w / 2, t / 2] });
    this.addEntity('wall', '', { box: [t / 2, h / 2, t / 2, h / 2 - t] });
    this.addEntity('wall', '', { box: [w - t / 2, h / 2, t / 2, h / 2 - t] });
    // two pillars
    this.addEntity('wall', 'pillar', { box: [w * 0.3, h * 0.5, 20, h * 0.12] });
    this.addEntity('wall', 'pillar', { box: [w * 0.7, h * 0.5, 20, h * 0.12] });
  }

  private addEntity(
    kind: EntityKind,
    variant: string,
    d: { circle?: [number, number, number]; sensor?: [number, number, number]; box?: [number, number, number, number] },
    owner?: PlayerId,
  ): number {
    if (this.ents.size >= MAX_ENTITIES) throw new Error(`entity limit reached (${MAX_ENTITIES})`);
    const tag = ENTITY_KINDS.indexOf(kind);
    let id: number;
    if (d.circle) id = this.world.addCircle({ x: d.circle[0], y: d.circle[1], radius: d.circle[2], tag });
    else if (d.sensor) id = this.world.addSensor({ x: d.sensor[0], y: d.sensor[1], radius: d.sensor[2], tag });
    else if (d.box) id = this.world.addBox({ x: d.box[0], y: d.box[1], halfWidth: d.box[2], halfHeight: d.box[3], tag });
    else throw new Error('bad entity shape');
    const e: Ent = { id, kind, variant, flags: 0 };
    if (owner !== undefined) e.owner = owner;
    this.ents.set(id, e);
    this.viewsDirty = true;
    this.structureDirty = true;
    return id;
  }

  private removeEntity(id: number): void {
    this.world.remove(id);
    if (this.ents.get(id)?.drive) this.driven--;
    this.ents.delete(id);
    this.viewsDirty = true;
    this.structureDirty = true;
  }

  loadInitialScripts(scripts: Record<string, string>): void {
    // Deterministic order: sorted by name. Mode scripts are ordinary scripts with MODE set.
    for (const name of Object.keys(scripts).sort()) {
      const r = this.loadScript(name, scripts[name]);
      if (!r.ok) throw new Error(`script ${name} failed to load: ${formatError(r.error)}`);
    }
  }

  startMode(mode: string): void {
    if (!this.modeList.includes(mode)) {
      throw new Error(`unknown mode "${mode}" (available: ${this.modeList.join(', ') || 'none'})`);
    }
    this._mode = mode;
    this.sb.setMode(mode);
    this.sb.beginTick();
    this.runHook('on_mode_start', () => this.sb.dispatch('on_mode_start', mode));
  }

  // ------------------------------------------------------------------ views

  private cachedIds: Uint32Array = new Uint32Array(0);

  private refresh(): void {
    if (!this.viewsDirty) return;
    const ids = this.world.ids();
    // The id -> index maps only change when bodies are added/removed (or the engine reorders):
    // compare with the last id list instead of rebuilding every tick.
    let same = ids.length === this.cachedIds.length && !this.structureDirty;
    if (same) {
      const c = this.cachedIds;
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] !== c[i]) { same = false; break; }
      }
    }
    if (!same) {
      this.indexOf.clear();
      const byKind = new Map<EntityKind, number[]>();
      for (const k of ENTITY_KINDS) byKind.set(k, []);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        this.indexOf.set(id, i);
        const e = this.ents.get(id);
        if (e) byKind.get(e.kind)!.push(id);
      }
      for (const list of byKind.values()) list.sort((a, b) => a - b);
      this.byKind = byKind;
      this.cachedIds = ids.slice();
      this.structureDirty = false;
    }
    this.posView = this.world.positions();
    this.velView = this.world.velocities();
    this.viewsDirty = false;
  }

  private idx(id: number): number {
    this.refresh();
    const i = this.indexOf.get(id);
    return i === undefined ? -1 : i;
  }

  // ------------------------------------------------------------------ Lua API

  private makeApi(): Record<string, LuaCFunction> {
    const L_ = lua;
    const pushStr = (L: LuaState, s: string) => L_.lua_pushstring(L, to_luastring(s));
    const mutating = (L: LuaState, name: string) => {
      if (this.sb.loading) luaError(L, `game.${name} cannot be used while a script loads (use on_start / on_mode_start)`);
    };
    const entArg = (L: LuaState, i: number): Ent | undefined => this.ents.get(argInteger(L, i));
    const kindArg = (L: LuaState, i: number): EntityKind => {
      const k = argString(L, i) as EntityKind;
      if (!ENTITY_KINDS.includes(k)) luaError(L, `unknown entity kind '${k}'`);
      return k;
    };
    const dynamic = (L: LuaState, e: Ent | undefined, name: string): Ent => {
      if (!e) return luaError(L, `game.${name}: no such entity`);
      if (e.kind !== 'player' && e.kind !== 'npc') luaError(L, `game.${name}: entity ${e.id} is a ${e.kind}, not a moving body`);
      return e;
    };
    const playerArg = (L: LuaState, i: number): Player => {
      const pid = argString(L, i);
      const p = this.playerMap.get(pid);
      if (!p) return luaError(L, `no such player '${pid}'`);
      return p;
    };

    const api: Record<string, LuaCFunction> = {
      tick: (L) => { L_.lua_pushinteger(L, this._tick); return 1; },
      time: (L) => { L_.lua_pushnumber(L, this._tick * DT); return 1; },
      arena: (L) => { L_.lua_pushnumber(L, this._arena.width); L_.lua_pushnumber(L, this._arena.height); return 2; },
      setting: (L) => {
        const v = this.settings[argString(L, 1)];
        if (typeof v === 'number') L_.lua_pushnumber(L, v);
        else if (typeof v === 'string') pushStr(L, v);
        else if (typeof v === 'boolean') L_.lua_pushboolean(L, v);
        else L_.lua_pushnil(L);
        return 1;
      },
      random: (L) => {
        mutating(L, 'random');
        const r = this.world.random();
        const n = L_.lua_gettop(L);
        if (n === 0) { L_.lua_pushnumber(L, r); return 1; }
        let lo = 1;
        let hi: number;
        if (n === 1) hi = argInteger(L, 1);
        else { lo = argInteger(L, 1); hi = argInteger(L, 2); }
        if (lo > hi) luaError(L, 'random: interval is empty');
        L_.lua_pushinteger(L, lo + Math.floor(r * (hi - lo + 1)));
        return 1;
      },
      exists: (L) => { L_.lua_pushboolean(L, this.ents.has(argInteger(L, 1))); return 1; },
      kind: (L) => {
        const e = entArg(L, 1);
        if (!e) { L_.lua_pushnil(L); return 1; }
        pushStr(L, e.kind); pushStr(L, e.variant); return 2;
      },
      owner: (L) => {
        const e = entArg(L, 1);
        if (e && e.owner !== undefined) pushStr(L, e.owner); else L_.lua_pushnil(L);
        return 1;
      },
      pos: (L) => {
        const i = this.idx(argInteger(L, 1));
        if (i < 0) { L_.lua_pushnil(L); return 1; }
        L_.lua_pushnumber(L, this.posView[2 * i]); L_.lua_pushnumber(L, this.posView[2 * i + 1]);
        return 2;
      },
      vel: (L) => {
        const i = this.idx(argInteger(L, 1));
        if (i < 0) { L_.lua_pushnil(L); return 1; }
        L_.lua_pushnumber(L, this.velView[2 * i]); L_.lua_pushnumber(L, this.velView[2 * i + 1]);
        return 2;
      },
      set_velocity: (L) => {
        mutating(L, 'set_velocity');
        const e = dynamic(L, entArg(L, 1), 'set_velocity');
        const vx = argNumber(L, 2); const vy = argNumber(L, 3);
        if (!Number.isFinite(vx) || !Number.isFinite(vy)) luaError(L, 'game.set_velocity: velocity must be finite');
        this.world.setVelocity(e.id, vx, vy);
        return 0;
      },
      // drive(id, tx, ty, max_dv): from now on, before every physics step, the velocity moves
      // towards (tx, ty) by at most max_dv (default: all the way), like steer() each tick but
      // without a Lua->JS call per tick. drive(id) (no target) stops driving.
      drive: (L) => {
        mutating(L, 'drive');
        const e = dynamic(L, entArg(L, 1), 'drive');
        if (L_.lua_isnoneornil(L, 2)) {
          if (e.drive) { delete e.drive; this.driven--; }
          return 0;
        }
        const tx = argNumber(L, 2); const ty = argNumber(L, 3);
        const maxDv = L_.lua_type(L, 4) === L_.LUA_TNUMBER ? L_.lua_tonumber(L, 4) : Infinity;
        if (!Number.isFinite(tx) || !Number.isFinite(ty) || Number.isNaN(maxDv) || maxDv < 0) {
          luaError(L, 'game.drive: values must be finite (max_dv >= 0)');
        }
        if (!e.drive) this.driven++;
        e.drive = { tx, ty, maxDv };
        return 0;
      },
      // steer(id, tx, ty, max_dv): move the velocity towards (tx, ty) by at most max_dv (default:
      // all the way). One call instead of vel + set_velocity; returns the new velocity.
      steer: (L) => {
        mutating(L, 'steer');
        const e = dynamic(L, entArg(L, 1), 'steer');
        const tx = argNumber(L, 2); const ty = argNumber(L, 3);
        const maxDv = L_.lua_type(L, 4) === L_.LUA_TNUMBER ? L_.lua_tonumber(L, 4) : Infinity;
        if (!Number.isFinite(tx) || !Number.isFinite(ty) || Number.isNaN(maxDv) || maxDv < 0) {
          luaError(L, 'game.steer: values must be finite (max_dv >= 0)');
        }
        const i = this.idx(e.id);
        const vx = this.velView[2 * i]; const vy = this.velView[2 * i + 1];
        let nx = vx; let ny = vy;
        if (steerTowards(vx, vy, tx, ty, maxDv, STEERED)) {
          nx = STEERED[0]; ny = STEERED[1];
          this.world.setVelocity(e.id, nx, ny);
        }
        L_.lua_pushnumber(L, nx); L_.lua_pushnumber(L, ny);
        return 2;
      },
      impulse: (L) => {
        mutating(L, 'impulse');
        const e = dynamic(L, entArg(L, 1), 'impulse');
        const ix = argNumber(L, 2); const iy = argNumber(L, 3);
        if (!Number.isFinite(ix) || !Number.isFinite(iy)) luaError(L, 'game.impulse: impulse must be finite');
        this.world.applyImpulse(e.id, ix, iy);
        return 0;
      },
      set_position: (L) => {
        mutating(L, 'set_position');
        const e = entArg(L, 1);
        if (!e) luaError(L, 'game.set_position: no such entity');
        if (e!.kind === 'wall') luaError(L, 'game.set_position: walls do not move');
        const x = argNumber(L, 2); const y = argNumber(L, 3);
        if (!Number.isFinite(x) || !Number.isFinite(y)) luaError(L, 'game.set_position: position must be finite');
        this.world.setPosition(e!.id, this.clampX(x), this.clampY(y));
        return 0;
      },
      flags: (L) => { const e = entArg(L, 1); L_.lua_pushinteger(L, e ? e.flags : 0); return 1; },
      set_flags: (L) => {
        mutating(L, 'set_flags');
        const e = entArg(L, 1); const f = argInteger(L, 2);
        if (e) e.flags = f & 0xffff;
        return 0;
      },
      add_flags: (L) => {
        mutating(L, 'add_flags');
        const e = entArg(L, 1); const f = argInteger(L, 2);
        if (e) e.flags = (e.flags | f) & 0xffff;
        return 0;
      },
      clear_flags: (L) => {
        mutating(L, 'clear_flags');
        const e = entArg(L, 1); const f = argInteger(L, 2);
        if (e) e.flags = e.flags & ~f & 0xffff;
        return 0;
      },
      set_variant: (L) => {
        mutating(L, 'set_variant');
        const e = entArg(L, 1); const v = argString(L, 2);
        if (v.length > 32) luaError(L, 'game.set_variant: at most 32 characters');
        if (e) e.variant = v;
        return 0;
      },
      spawn: (L) => {
        mutating(L, 'spawn');
        const kind = kindArg(L, 1);
        const x = this.clampX(argNumber(L, 2));
        const y = this.clampY(argNumber(L, 3));
        if (!Number.isFinite(x) || !Number.isFinite(y)) luaError(L, 'game.spawn: position must be finite');
        let variant = '';
        let radius = DEFAULT_RADIUS[kind] ?? 14;
        let hw = 20;
        let hh = 20;
        if (L_.lua_type(L, 4) === L_.LUA_TTABLE) {
          L_.lua_getfield(L, 4, to_luastring('variant'));
          if (L_.lua_type(L, -1) === L_.LUA_TSTRING) variant = String(L_.lua_tojsstring(L, -1)).slice(0, 32);
          L_.lua_getfield(L, 4, to_luastring('radius'));
          if (L_.lua_type(L, -1) === L_.LUA_TNUMBER) radius = L_.lua_tonumber(L, -1);
          L_.lua_getfield(L, 4, to_luastring('hw'));
          if (L_.lua_type(L, -1) === L_.LUA_TNUMBER) hw = L_.lua_tonumber(L, -1);
          L_.lua_getfield(L, 4, to_luastring('hh'));
          if (L_.lua_type(L, -1) === L_.LUA_TNUMBER) hh = L_.lua_tonumber(L, -1);
          L_.lua_pop(L, 4);
        }
        if (!(radius >= 2 && radius <= 400) || !(hw >= 2 && hw <= 2000) || !(hh >= 2 && hh <= 2000)) {
          luaError(L, 'game.spawn: size out of range');
        }
        if (this.ents.size >= MAX_ENTITIES) luaError(L, `game.spawn: entity limit reached (${MAX_ENTITIES})`);
        let id: number;
        switch (kind) {
          case 'player': return luaError(L, 'game.spawn: players join through the host, not scripts');
          case 'npc': id = this.addEntity(kind, variant, { circle: [x, y, radius] }); break;
          case 'wall': id = this.addEntity(kind, variant, { box: [x, y, hw, hh] }); break;
          default: id = this.addEntity(kind, variant, { sensor: [x, y, radius] }); break;
        }
        L_.lua_pushinteger(L, id);
        return 1;
      },
      despawn: (L) => {
        mutating(L, 'despawn');
        const e = entArg(L, 1);
        if (!e) { L_.lua_pushboolean(L, false); return 1; }
        if (e.kind === 'player') luaError(L, 'game.despawn: players leave through the host, not scripts');
        this.removeEntity(e.id);
        L_.lua_pushboolean(L, true);
        return 1;
      },
      count: (L) => {
        const k = kindArg(L, 1);
        this.refresh();
        L_.lua_pushinteger(L, this.byKind.get(k)!.length);
        return 1;
      },
      list: (L) => {
        const k = kindArg(L, 1);
        this.refresh();
        const ids = this.byKind.get(k)!;
        L_.lua_createtable(L, ids.length, 0);
        for (let i = 0; i < ids.length; i++) { L_.lua_pushinteger(L, ids[i]); L_.lua_rawseti(L, -2, i + 1); }
        return 1;
      },
      nearest: (L) => {
        const k = kindArg(L, 1);
        const x = argNumber(L, 2); const y = argNumber(L, 3);
        const maxD = L_.lua_type(L, 4) === L_.LUA_TNUMBER ? L_.lua_tonumber(L, 4) : Infinity;
        const exclude = L_.lua_type(L, 5) === L_.LUA_TNUMBER ? L_.lua_tointeger(L, 5) : -1;
        this.refresh();
        const ids = this.byKind.get(k)!;
        let best = -1;
        let bestD2 = maxD * maxD;
        const pos = this.posView;
        for (let j = 0; j < ids.length; j++) {
          const id = ids[j];
          if (id === exclude) continue;
          const i = this.indexOf.get(id)!;
          const dx = pos[2 * i] - x; const dy = pos[2 * i + 1] - y;
          const d2 = dx * dx + dy * dy;
          if (d2 < bestD2 || (best < 0 && d2 <= bestD2)) { best = id; bestD2 = d2; }
        }
        if (best < 0) { L_.lua_pushnil(L); return 1; }
        const bi = this.indexOf.get(best)!;
        L_.lua_pushinteger(L, best);
        L_.lua_pushnumber(L, Math.sqrt(bestD2));
        L_.lua_pushnumber(L, pos[2 * bi]);
        L_.lua_pushnumber(L, pos[2 * bi + 1]);
        return 4;
      },
      within: (L) => {
        const k = kindArg(L, 1);
        const x = argNumber(L, 2); const y = argNumber(L, 3); const r = argNumber(L, 4);
        this.refresh();
        const ids = this.byKind.get(k)!;
        const pos = this.posView;
        L_.lua_createtable(L, 0, 0);
        let n = 0;
        for (let j = 0; j < ids.length && n < 256; j++) {
          const i = this.indexOf.get(ids[j])!;
          const dx = pos[2 * i] - x; const dy = pos[2 * i + 1] - y;
          if (dx * dx + dy * dy <= r * r) { L_.lua_pushinteger(L, ids[j]); L_.lua_rawseti(L, -2, ++n); }
        }
        return 1;
      },
      score: (L) => { L_.lua_pushinteger(L, playerArg(L, 1).score); return 1; },
      set_score: (L) => {
        mutating(L, 'set_score');
        const p = playerArg(L, 1);
        p.score = argInteger(L, 2);
        return 0;
      },
      add_score: (L) => {
        mutating(L, 'add_score');
        const p = playerArg(L, 1);
        p.score = (p.score + argInteger(L, 2)) | 0;
        L_.lua_pushinteger(L, p.score);
        return 1;
      },
      message: (L) => {
        mutating(L, 'message');
        const to = argString(L, 1);
        const text = argString(L, 2).slice(0, MAX_MESSAGE_LEN);
        if (to !== '*' && !this.playerMap.has(to)) luaError(L, `game.message: no such player '${to}'`);
        if (this.messages.length < MAX_MESSAGES) this.messages.push({ to, text });
        return 0;
      },
    };
    return api;
  }

  private clampX(x: number): number {
    return Math.min(Math.max(x, 0), this._arena.width);
  }
  private clampY(y: number): number {
    return Math.min(Math.max(y, 0), this._arena.height);
  }

  // ------------------------------------------------------------------ hooks

  private runHook(hook: string, fn: () => RawScriptError[], into?: TickTelemetry): void {
    const t0 = this.now();
    const errs = fn();
    const ms = this.now() - t0;
    const target = into ? into.luaMs : this.pendingLua;
    target[hook] = (target[hook] ?? 0) + ms;
    for (const e of errs) {
      if (e.message.endsWith(REVERTED_SUFFIX)) this.reverted(e.script);
      const se: ScriptError = { ...e, hook };
      if (into) into.errors.push(se);
      else this.pushPending(se);
    }
  }

  private reverted(name: string): void {
    const p = this.probation.get(name);
    if (!p) return;
    this.scriptCode.set(name, p.prevCode);
    this.probation.delete(name);
    this.modeList = this.sb.modes();
  }

  private pushPending(e: ScriptError): void {
    if (this.pendingErrors.length < 256) this.pendingErrors.push(e);
  }

  // ------------------------------------------------------------------ Simulation API

  get tick(): number { return this._tick; }
  get mode(): string { return this._mode; }
  get modes(): readonly string[] { return this.modeList.slice(); }
  get arena(): { width: number; height: number } { return { ...this._arena }; }

  private alive(): void {
    if (this.disposed) throw new Error('simulation disposed');
  }

  private spawnPoint(): [number, number] {
    const { width: w, height: h } = this._arena;
    const m = WALL_THICKNESS + PLAYER_RADIUS + 8;
    let best: [number, number] = [w / 2, h / 2];
    let bestD = -1;
    this.refresh();
    for (let attempt = 0; attempt < 8; attempt++) {
      const x = m + this.world.random() * (w - 2 * m);
      const y = m + this.world.random() * (h - 2 * m);
      let clear = Infinity;
      const pos = this.posView;
      const sizes = this.world.sizes();
      const kinds = this.world.kinds();
      for (let i = 0; i < kinds.length; i++) {
        const px = pos[2 * i]; const py = pos[2 * i + 1];
        let d: number;
        if (kinds[i] === BodyKind.Box) {
          const dx = Math.max(Math.abs(x - px) - sizes[2 * i], 0);
          const dy = Math.max(Math.abs(y - py) - sizes[2 * i + 1], 0);
          d = Math.hypot(dx, dy);
        } else if (kinds[i] === BodyKind.Circle) {
          d = Math.hypot(x - px, y - py) - sizes[2 * i];
        } else continue;
        if (d < clear) clear = d;
      }
      if (clear > PLAYER_RADIUS + 4) return [x, y];
      if (clear > bestD) { bestD = clear; best = [x, y]; }
    }
    return best;
  }

  addPlayer(id: PlayerId, name: string): PlayerInfo {
    this.alive();
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error('player id must be 1-32 chars of [A-Za-z0-9_-]');
    if (this.playerMap.has(id)) throw new Error(`player ${id} already exists`);
    if (this.playerMap.size >= MAX_PLAYERS) throw new Error(`player limit reached (${MAX_PLAYERS})`);
    const clean = String(name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 24) || id;
    const [x, y] = this.spawnPoint();
    const entityId = this.addEntity('player', '', { circle: [x, y, PLAYER_RADIUS] }, id);
    const p: Player = {
      id, name: clean, score: 0, entityId, connected: true, lastInputSeq: 0, recvSeq: 0, dx: 0, dy: 0, pending: null,
    };
    this.playerMap.set(id, p);
    this.playerOrder.push(id);
    this.sb.playerAdd(id, clean, entityId);
    this.sb.beginTick();
    this.runHook('on_join', () => this.sb.dispatchPlayer('on_join', id));
    return this.info(p);
  }

  removePlayer(id: PlayerId): void {
    this.alive();
    const p = this.playerMap.get(id);
    if (!p) throw new Error(`no such player ${id}`);
    this.sb.beginTick();
    this.runHook('on_leave', () => this.sb.dispatchPlayer('on_leave', id));
    this.sb.playerRemove(id);
    if (this.ents.has(p.entityId)) this.removeEntity(p.entityId);
    this.playerMap.delete(id);
    this.playerOrder = this.playerOrder.filter((x) => x !== id);
    this.actions = this.actions.filter((a) => a.pid !== id);
  }

  setConnected(id: PlayerId, connected: boolean): void {
    this.alive();
    const p = this.playerMap.get(id);
    if (!p) throw new Error(`no such player ${id}`);
    p.connected = !!connected;
    this.sb.playerConnected(id, p.connected);
  }

  setInput(id: PlayerId, input: InputFrame): void {
    this.alive();
    const p = this.playerMap.get(id);
    if (!p) throw new Error(`no such player ${id}`);
    if (!input || typeof input !== 'object') throw new Error('input must be an object');
    const seq = finite(input.seq, 'input.seq');
    if (!Number.isInteger(seq) || seq < 0) throw new Error('input.seq must be a non-negative integer');
    const dx = clampUnit(finite(input.dx, 'input.dx'));
    const dy = clampUnit(finite(input.dy, 'input.dy'));
    if (seq <= p.recvSeq) return; // stale or duplicate: the newer input wins
    p.recvSeq = seq;
    p.pending = { seq, dx: Object.is(dx, -0) ? 0 : dx, dy: Object.is(dy, -0) ? 0 : dy };
  }

  action(id: PlayerId, action: GameAction): void {
    this.alive();
    if (!this.playerMap.has(id)) throw new Error(`no such player ${id}`);
    if (!action || typeof action !== 'object' || Array.isArray(action)) throw new Error('action must be an object');
    if (typeof action.action !== 'string' || !/^[A-Za-z0-9_]{1,32}$/.test(action.action)) {
      throw new Error('action.action must be a name of 1-32 letters, digits or _');
    }
    if ('player_id' in action && action.player_id !== undefined && action.player_id !== id) {
      throw new Error('player_id does not match the sender; identity comes from the connection');
    }
    if (action.direction !== undefined && !['up', 'down', 'left', 'right'].includes(action.direction as string)) {
      throw new Error('action.direction must be up, down, left or right');
    }
    if (this.actions.length >= MAX_QUEUED_ACTIONS) throw new Error('action queue full');
    const copy = sanitizePlain(action) as Record<string, unknown>;
    delete copy.player_id;
    this.actions.push({ pid: id, action: copy });
  }

  step(): TickTelemetry {
    this.alive();
    const tel: TickTelemetry = {
      tick: this._tick, physicsMs: 0, luaMs: { ...this.pendingLua }, luaTotalMs: 0, entities: 0, players: 0,
      errors: this.pendingErrors,
    };
    this.pendingLua = {};
    this.pendingErrors = [];
    this.sb.beginTick();

    // 1. inputs
    const changed: { pid: string; dx: number; dy: number }[] = [];
    for (const pid of this.playerOrder) {
      const p = this.playerMap.get(pid)!;
      if (p.pending) {
        p.lastInputSeq = p.pending.seq;
        if (p.dx !== p.pending.dx || p.dy !== p.pending.dy) {
          p.dx = p.pending.dx;
          p.dy = p.pending.dy;
          changed.push({ pid, dx: p.dx, dy: p.dy });
        }
        p.pending = null;
      }
    }
    if (changed.length) this.runHook('inputs', () => this.sb.playerInputs(changed), tel);
    // 2. actions
    if (this.actions.length) {
      const acts = this.actions;
      this.actions = [];
      this.runHook('on_action', () => this.sb.dispatchActions(acts), tel);
    }
    // 3. on_tick
    this.runHook('on_tick', () => this.sb.dispatch('on_tick', DT), tel);
    // 3b. game.drive targets
    if (this.driven > 0) this.applyDrives();
    // 4. physics
    const t0 = this.now();
    this.world.step();
    tel.physicsMs = this.now() - t0;
    this.viewsDirty = true;
    // 5. events
    const events = this.collectEvents();
    if (events.length) this.runHook('on_event', () => this.sb.dispatchEvents(events), tel);
    // 6.
    this._tick++;
    if (this.probation.size) {
      for (const name of [...this.probation.keys()].sort()) {
        if (this.probation.get(name)!.until <= this._tick) {
          this.probation.delete(name);
          this.sb.endProbation(name);
        }
      }
    }
    if (this._tick % MEMORY_CHECK_TICKS === 0) this.checkMemory(tel);
    let total = 0;
    for (const k of Object.keys(tel.luaMs)) total += tel.luaMs[k];
    tel.luaTotalMs = total;
    tel.entities = this.ents.size;
    tel.players = this.playerMap.size;
    return tel;
  }

  private driven = 0;

  /**
   * Bounds what the rules keep in Lua memory (fengari has no allocator hook): every
   * MEMORY_CHECK_TICKS the `state` table and each script's own data (globals, file-level locals
   * and what they reach) are measured (core/lua/memory.ts). A state over budget.memory loses its
   * biggest top-level keys until it fits; a script over it is unloaded. Both are reported as
   * script errors; the room goes on. Deterministic: same ticks, same estimates everywhere.
   */
  private checkMemory(tel: TickTelemetry): void {
    const t0 = this.now();
    const limit = this.budget.memory;
    const r = this.sb.memoryReport(limit);
    const mib = (b: number): string => (b / (1024 * 1024)).toFixed(b < 1024 * 1024 ? 2 : 1);
    if (r.stateBytes > limit) {
      let total = r.stateBytes;
      const cleared: string[] = [];
      const raw: (string | number)[] = [];
      const order = r.state.slice().sort((a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const k of order) {
        if (total <= limit) break;
        if (k.raw === null) continue;
        raw.push(k.raw);
        cleared.push(`state.${k.key} (~${mib(k.bytes)} MiB)`);
        total -= k.bytes;
      }
      this.sb.clearStateKeys(raw);
      tel.errors.push({
        script: 'state',
        hook: 'memory',
        message: `the rules' state holds ~${mib(r.stateBytes)} MiB, over the ${mib(limit)} MiB limit: cleared ${cleared.join(', ') || 'nothing clearable'}`,
      });
    }
    for (const s of r.scripts) {
      if (s.bytes <= limit) continue;
      this.unloadScript(s.name);
      tel.errors.push({
        script: s.name,
        hook: 'memory',
        message: `holds ~${mib(s.bytes)} MiB of Lua data outside state, over the ${mib(limit)} MiB limit: script unloaded`,
      });
    }
    tel.luaMs.memory = (tel.luaMs.memory ?? 0) + (this.now() - t0);
  }

  /** Removes a script for good (memory limit); the default mode takes over if it was the mode. */
  private unloadScript(name: string): void {
    if (!this.sb.unload(name)) return;
    this.scriptOrder = this.scriptOrder.filter((n) => n !== name);
    this.scriptCode.delete(name);
    this.probation.delete(name);
    this.modeList = this.sb.modes();
    if (!this.modeList.includes(this._mode)) {
      const next = this.modeList.includes(DEFAULT_MODE) ? DEFAULT_MODE : this.modeList[0];
      if (next) {
        this._mode = next;
        this.sb.setMode(next);
        this.sb.beginTick();
        this.runHook('on_mode_start', () => this.sb.dispatch('on_mode_start', next));
      }
    }
  }

  /** Moves every driven body's velocity towards its drive target (order-independent). */
  private applyDrives(): void {
    this.refresh();
    const vel = this.velView;
    for (const e of this.ents.values()) {
      const dr = e.drive;
      if (!dr) continue;
      const i = this.idx(e.id);
      if (steerTowards(vel[2 * i], vel[2 * i + 1], dr.tx, dr.ty, dr.maxDv, STEERED)) {
        this.world.setVelocity(e.id, STEERED[0], STEERED[1]);
      }
    }
  }

  private collectEvents(): Record<string, number | string | boolean | undefined>[] {
    const raw = this.world.events();
    const out: Record<string, number | string | boolean | undefined>[] = [];
    const mask = this.sb.eventMask;
    if (mask === 0) return out;
    for (let i = 0; i + 2 < raw.length; i += 3) {
      const type = raw[i];
      // only the types some script's on_event wants (EVENTS declarations)
      if (((EVENT_BIT[type] ?? 0) & mask) === 0) continue;
      const a = this.ents.get(raw[i + 1]);
      const b = this.ents.get(raw[i + 2]);
      if (!a || !b) continue;
      let name: string;
      if (type === PhysicsEventType.ContactBegin) name = 'contact_begin';
      else if (type === PhysicsEventType.ContactEnd) name = 'contact_end';
      else if (type === PhysicsEventType.SensorEnter) name = 'sensor_enter';
      else if (type === PhysicsEventType.SensorExit) name = 'sensor_exit';
      else continue;
      // Contacts not involving a player are not delivered (cost: NPC crowds bump constantly).
      if ((name === 'contact_begin' || name === 'contact_end') && a.kind !== 'player' && b.kind !== 'player') continue;
      out.push({
        type: name, a: a.id, b: b.id, a_kind: a.kind, b_kind: b.kind,
        a_player: a.owner, b_player: b.owner, a_variant: a.variant, b_variant: b.variant,
      });
      if (out.length >= 1024) break;
    }
    return out;
  }

  setMode(mode: string): void {
    this.alive();
    if (typeof mode !== 'string' || !this.modeList.includes(mode)) {
      throw new Error(`unknown mode "${String(mode)}" (available: ${this.modeList.join(', ')})`);
    }
    if (mode === this._mode) return;
    const old = this._mode;
    this.sb.beginTick();
    this.runHook('on_mode_end', () => this.sb.dispatch('on_mode_end', old));
    this._mode = mode;
    this.sb.setMode(mode);
    this.sb.beginTick();
    this.runHook('on_mode_start', () => this.sb.dispatch('on_mode_start', mode));
  }

  loadScript(name: string, code: string): LoadResult {
    this.alive();
    this.sb.beginTick();
    const r = this.sb.loadScript(name, code);
    if (!r.ok) {
      const error: ScriptError = { ...r.error, hook: 'load' };
      this.pushPending(error);
      return { ok: false, error };
    }
    if (r.isNew) this.scriptOrder.push(name);
    else this.probation.set(name, { until: this._tick + PROBATION_TICKS, prevCode: this.scriptCode.get(name)! });
    this.scriptCode.set(name, code);
    this.modeList = this.sb.modes();
    if (r.isNew) {
      this.sb.beginTick();
      this.runHook('on_start', () => this.sb.dispatchOne(name, 'on_start'));
    }
    return { ok: true };
  }

  /** Used on restore: loads without running on_start. */
  reloadForRestore(name: string, code: string): void {
    this.sb.beginTick();
    const r = this.sb.loadScript(name, code);
    if (!r.ok) throw new Error(`restore: script ${name} failed to load: ${formatError(r.error)}`);
    this.scriptOrder.push(name);
    this.scriptCode.set(name, code);
  }

  scripts(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of this.scriptOrder) out[n] = this.scriptCode.get(n)!;
    return out;
  }

  entities(): EntityView[] {
    this.alive();
    this.refresh();
    const ids = this.world.ids();
    const pos = this.posView;
    const vel = this.velView;
    const sizes = this.world.sizes();
    const kinds = this.world.kinds();
    const out: EntityView[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = this.ents.get(ids[i]);
      if (!e) continue;
      const v: EntityView = {
        id: e.id, kind: e.kind, x: pos[2 * i], y: pos[2 * i + 1], vx: vel[2 * i], vy: vel[2 * i + 1],
        r: sizes[2 * i], h: kinds[i] === BodyKind.Box ? sizes[2 * i + 1] : sizes[2 * i], flags: e.flags,
      };
      if (e.variant) v.variant = e.variant;
      if (e.owner !== undefined) v.owner = e.owner;
      out.push(v);
    }
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  private info(p: Player): PlayerInfo {
    return {
      id: p.id, name: p.name, score: p.score, entityId: p.entityId, connected: p.connected, lastInputSeq: p.lastInputSeq,
    };
  }

  players(): PlayerInfo[] {
    return this.playerOrder.map((id) => this.info(this.playerMap.get(id)!));
  }

  drainMessages(): OutgoingMessage[] {
    const m = this.messages;
    this.messages = [];
    return m;
  }

  /** Script errors not yet reported through a tick's telemetry (drained). */
  drainErrors(): ScriptError[] {
    const e = this.pendingErrors;
    this.pendingErrors = [];
    return e;
  }

  serialize(): Uint8Array {
    this.alive();
    const problems: string[] = [];
    const stateBytes = this.sb.saveState(problems);
    for (const p of problems.slice(0, 8)) this.pushPending({ script: 'state', message: p, hook: 'serialize' });
    const ents = [...this.ents.values()].sort((a, b) => a.id - b.id);
    const header: Header = {
      v: BLOB_VERSION,
      tick: this._tick,
      mode: this._mode,
      arena: this._arena,
      seed: this.seed,
      settings: this.settings,
      budget: this.budget,
      scripts: this.scriptOrder.map((n) => [n, this.scriptCode.get(n)!]),
      players: this.playerOrder.map((id) => {
        const p = this.playerMap.get(id)!;
        return {
          id: p.id, name: p.name, score: p.score, entityId: p.entityId, connected: p.connected,
          lastInputSeq: p.lastInputSeq, recvSeq: p.recvSeq, dx: p.dx, dy: p.dy, pending: p.pending,
        };
      }),
      entities: ents.map((e) => [e.id, e.kind, e.variant, e.flags, e.owner ?? null]),
      actions: this.actions.map((a) => [a.pid, a.action]),
      probation: [...this.probation.keys()].sort().map((n) => [n, this.probation.get(n)!.until, this.probation.get(n)!.prevCode]),
      drives: ents.filter((e) => e.drive).map((e) => [e.id, e.drive!.tx, e.drive!.ty, Number.isFinite(e.drive!.maxDv) ? e.drive!.maxDv : null]),
    };
    const hb = new TextEncoder().encode(stableStringify(header));
    const phys = this.world.snapshot();
    const out = new Uint8Array(4 + 4 + hb.length + 4 + phys.length + 4 + stateBytes.length);
    const dv = new DataView(out.buffer);
    out.set(MAGIC, 0);
    let o = 4;
    dv.setUint32(o, hb.length, true); o += 4; out.set(hb, o); o += hb.length;
    dv.setUint32(o, phys.length, true); o += 4; out.set(phys, o); o += phys.length;
    dv.setUint32(o, stateBytes.length, true); o += 4; out.set(stateBytes, o);
    return out;
  }

  hash(): string {
    return fnv1a64hex(this.serialize());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sb.close();
    this.world.free();
  }

  // ------------------------------------------------------------------ restore

  restoreFrom(header: Header, phys: Uint8Array, state: Uint8Array): void {
    this.initWorld(header.arena, header.seed);
    this.world.restore(phys);
    this.settings = header.settings ?? {};
    this.initLua(header.budget);
    const ids = new Set<number>(Array.from(this.world.ids()));
    for (const [id, kind, variant, flags, owner] of header.entities) {
      if (!ids.has(id)) throw new Error(`restore: entity ${id} missing from the physics snapshot`);
      if (!ENTITY_KINDS.includes(kind as EntityKind)) throw new Error(`restore: bad entity kind ${kind}`);
      const e: Ent = { id, kind: kind as EntityKind, variant, flags };
      if (owner !== null) e.owner = owner;
      this.ents.set(id, e);
    }
    for (const [id, tx, ty, maxDv] of header.drives ?? []) {
      const e = this.ents.get(id);
      if (!e || (e.kind !== 'player' && e.kind !== 'npc') || !Number.isFinite(tx) || !Number.isFinite(ty)) {
        throw new Error(`restore: bad drive for entity ${id}`);
      }
      e.drive = { tx, ty, maxDv: maxDv === null ? Infinity : Number(maxDv) };
      this.driven++;
    }
    this.viewsDirty = true;
    this.structureDirty = true;
    this.sb.loadState(state);
    for (const hp of header.players) {
      const p: Player = { ...hp };
      this.playerMap.set(p.id, p);
      this.playerOrder.push(p.id);
      this.sb.playerAdd(p.id, p.name, p.entityId);
      if (!p.connected) this.sb.playerConnected(p.id, false);
    }
    const inputs = this.playerOrder.map((pid) => {
      const p = this.playerMap.get(pid)!;
      return { pid, dx: p.dx, dy: p.dy };
    });
    this.sb.playerInputs(inputs, true);
    for (const [name, code] of header.scripts) this.reloadForRestore(name, code);
    for (const [name, until, prevCode] of header.probation ?? []) {
      this.sb.beginTick();
      this.sb.loadPrev(name, prevCode);
      this.probation.set(name, { until, prevCode });
    }
    this.modeList = this.sb.modes();
    if (!this.modeList.includes(header.mode)) throw new Error(`restore: mode ${header.mode} not defined by the scripts`);
    this._mode = header.mode;
    this.sb.setMode(header.mode);
    this._tick = header.tick;
    this.actions = header.actions.map(([pid, action]) => ({ pid, action }));
  }

  setSettings(s: Record<string, number | string | boolean>): void {
    this.settings = { ...s };
  }
}

function formatError(e: ScriptError | RawScriptError): string {
  return `${e.script}${e.line !== undefined ? ':' + e.line : ''}: ${e.message}`;
}

async function ensurePhysics(wasm: WasmSource): Promise<void> {
  await loadPhysics(wasm);
}

export async function createSimulation(opts: FullSimulationOptions): Promise<Simulation & SimulationImpl> {
  if (!opts || typeof opts !== 'object') throw new Error('createSimulation: options required');
  if (!opts.scripts || typeof opts.scripts !== 'object') throw new Error('createSimulation: scripts required');
  const arena = opts.arena ?? DEFAULT_ARENA;
  if (!(arena.width >= 200 && arena.width <= 20000 && arena.height >= 200 && arena.height <= 20000)) {
    throw new Error('arena must be between 200 and 20000 units on each side');
  }
  await ensurePhysics(opts.wasm);
  const sim = new SimulationImpl({ now: opts.now, log: opts.log });
  const settings: Record<string, number | string | boolean> = { ...(opts.settings ?? {}) };
  if (opts.npcs !== undefined) settings.npcs = finite(opts.npcs, 'npcs');
  sim.setSettings(settings);
  sim.initWorld(arena, opts.seed ?? 1);
  sim.initLua(opts.budget);
  sim.buildArena();
  sim.loadInitialScripts(opts.scripts);
  try {
    sim.startMode(opts.mode ?? DEFAULT_MODE);
  } catch (e) {
    sim.dispose();
    throw e;
  }
  return sim as Simulation & SimulationImpl;
}

export function parseBlob(blob: Uint8Array): { header: Header; phys: Uint8Array; state: Uint8Array } {
  if (!(blob instanceof Uint8Array) || blob.length < 16) throw new Error('not a simulation blob');
  for (let i = 0; i < 4; i++) if (blob[i] !== MAGIC[i]) throw new Error('not a simulation blob (bad magic)');
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  let o = 4;
  const take = (): Uint8Array => {
    if (o + 4 > blob.length) throw new Error('simulation blob truncated');
    const n = dv.getUint32(o, true);
    o += 4;
    if (o + n > blob.length) throw new Error('simulation blob truncated');
    const b = blob.subarray(o, o + n);
    o += n;
    return b;
  };
  const hb = take();
  const phys = take();
  const state = take();
  const header = JSON.parse(new TextDecoder().decode(hb)) as Header;
  if (header.v !== BLOB_VERSION) throw new Error(`unsupported simulation blob version ${header.v}`);
  return { header, phys, state };
}

export async function restoreSimulation(
  blob: Uint8Array,
  wasm: WasmSource,
  extra: SimulationExtraOptions = {},
): Promise<Simulation & SimulationImpl> {
  const { header, phys, state } = parseBlob(blob);
  await ensurePhysics(wasm);
  const sim = new SimulationImpl({ now: extra.now, log: extra.log });
  sim.restoreFrom(header, phys, state);
  return sim as Simulation & SimulationImpl;
}

export type { SimulationImpl };
