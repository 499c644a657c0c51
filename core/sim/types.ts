/**
 * Contract of the simulation core (core/sim/simulation.ts): WASM physics + fengari Lua rules +
 * fixed tick. Runtime-agnostic: no DOM, no sockets. The browser host (in a Web Worker) and the
 * server run it unchanged. The room host (core/host) drives it and encodes snapshots from it.
 */
import type { WasmSource } from '../physics/types';

/** Assigned by the room host ("player_1", "player_2", ...), never taken from a message. */
export type PlayerId = string;

export type EntityKind = 'player' | 'npc' | 'coin' | 'powerup' | 'wall' | 'zone';
export const ENTITY_KINDS: readonly EntityKind[] = ['player', 'npc', 'coin', 'powerup', 'wall', 'zone'];

/** Bit flags carried per entity in snapshots (rendering hints). */
export const enum EntityFlags {
  It = 1, // "tag" mode: this player is it
  Boost = 2, // speed power-up active
  Shield = 4,
  Magnet = 8,
  Fleeing = 16, // NPC behaviour hints
  Chasing = 32,
}

/** One entity as seen by snapshot encoding and rendering. */
export interface EntityView {
  id: number; // stable for the entity's life (the physics body id)
  kind: EntityKind;
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** radius for circles; half width for boxes */
  r: number;
  /** half height for boxes; equal to r for circles */
  h: number;
  flags: number; // EntityFlags
  /** Sub-type: power-up kind ("speed"|"shield"|"magnet"), NPC behaviour, ... */
  variant?: string;
  owner?: PlayerId; // for kind === 'player'
}

export interface PlayerInfo {
  id: PlayerId;
  name: string;
  score: number;
  entityId: number;
  connected: boolean;
  /** Highest input sequence number applied by the simulation (for reconciliation). */
  lastInputSeq: number;
}

/** Continuous input from one player; the latest one is applied every tick until replaced. */
export interface InputFrame {
  seq: number; // strictly increasing per player
  dx: number; // -1..1
  dy: number; // -1..1
}

/** A discrete action, e.g. the original {"action":"move","direction":"right"}. */
export interface GameAction {
  action: string;
  direction?: 'up' | 'down' | 'left' | 'right';
  [key: string]: unknown;
}

export interface ScriptError {
  script: string; // e.g. "movement_rules.lua" or a mod's name
  line?: number;
  message: string;
  hook?: string; // which hook was running, if any
}

export interface TickTelemetry {
  tick: number;
  physicsMs: number;
  luaMs: Record<string, number>; // per hook name
  luaTotalMs: number;
  entities: number;
  players: number;
  errors: ScriptError[]; // script errors raised during this tick (rules keep running)
}

/** Text messages the rules sent to players during a tick (to === '*' means everyone). */
export interface OutgoingMessage {
  to: PlayerId | '*';
  text: string;
}

export interface SimulationOptions {
  wasm: WasmSource;
  /** Lua sources by file name (e.g. the contents of lua_scripts/*.lua). */
  scripts: Record<string, string>;
  mode?: string; // default "coin_rush"
  seed?: number;
  arena?: { width: number; height: number };
  npcs?: number; // NPCs spawned at start (default chosen by the mode)
  /** Values scripts read with game.setting(name), e.g. { round_seconds: 60 }. */
  settings?: Record<string, number | string | boolean>;
  /**
   * Lua budget overrides (defaults: 100k instructions per handler call, 400k per tick, depth
   * 200, memory 8 MiB for `state` and for each script's own data, checked every 2 s).
   */
  budget?: { perCall?: number; perTick?: number; maxDepth?: number; memory?: number };
  /** Clock in ms for telemetry only (default performance.now); never influences state. */
  now?: () => number;
  /** Receives print() output of scripts. */
  log?: (text: string) => void;
}

export type LoadResult = { ok: true } | { ok: false; error: ScriptError };

export interface Simulation {
  readonly tick: number;
  readonly mode: string;
  readonly modes: readonly string[];
  readonly arena: { width: number; height: number };
  addPlayer(id: PlayerId, name: string): PlayerInfo;
  removePlayer(id: PlayerId): void;
  /** Marks a player disconnected but keeps its slot (reconnect grace period). */
  setConnected(id: PlayerId, connected: boolean): void;
  setInput(id: PlayerId, input: InputFrame): void;
  /** Queued; handled by on_action on the next tick. */
  action(id: PlayerId, action: GameAction): void;
  /** Advance one fixed tick (1/60 s). */
  step(): TickTelemetry;
  /** Throws a clear Error for an unknown mode; state unchanged. */
  setMode(mode: string): void;
  /** Hot reload or mod upload; on failure the previous rules keep running. */
  loadScript(name: string, code: string): LoadResult;
  scripts(): Record<string, string>;
  entities(): EntityView[];
  players(): PlayerInfo[];
  drainMessages(): OutgoingMessage[];
  /** Full room state (physics, rules state, scores, mode, scripts) in one blob. */
  serialize(): Uint8Array;
  /** Hash of the full state (hex), for replay/determinism checks. */
  hash(): string;
  dispose(): void;
}

/** Factory signatures implemented by core/sim/simulation.ts. */
export interface SimulationFactory {
  create(opts: SimulationOptions): Promise<Simulation>;
  restore(blob: Uint8Array, wasm: WasmSource): Promise<Simulation>;
}
