/**
 * Replay: record every state-changing call on a Simulation (joins, leaves, connection changes,
 * inputs, actions, mode switches, script loads) with the tick it happened before, starting from
 * a serialized blob. Replaying the log from that blob reproduces the same state hash.
 */
import type { WasmSource } from '../physics/types';
import type { GameAction, InputFrame, LoadResult, PlayerId, PlayerInfo, Simulation, TickTelemetry } from './types';
import { restoreSimulation } from './simulation';

export type ReplayEntry =
  | { t: number; op: 'join'; id: PlayerId; name: string }
  | { t: number; op: 'leave'; id: PlayerId }
  | { t: number; op: 'connected'; id: PlayerId; connected: boolean }
  | { t: number; op: 'input'; id: PlayerId; input: InputFrame }
  | { t: number; op: 'action'; id: PlayerId; action: GameAction }
  | { t: number; op: 'mode'; mode: string }
  | { t: number; op: 'script'; name: string; code: string };

export interface ReplayLog {
  version: 1;
  start: Uint8Array; // serialize() of the simulation when recording started
  startTick: number;
  endTick: number;
  endHash: string;
  entries: ReplayEntry[];
}

/** Wraps a simulation: call the mutating methods on the recorder instead of the simulation. */
export class ReplayRecorder {
  readonly start: Uint8Array;
  readonly startTick: number;
  private entries: ReplayEntry[] = [];
  constructor(readonly sim: Simulation) {
    this.start = sim.serialize();
    this.startTick = sim.tick;
  }
  private rec(e: ReplayEntry): void {
    this.entries.push(e);
  }
  addPlayer(id: PlayerId, name: string): PlayerInfo {
    const r = this.sim.addPlayer(id, name);
    this.rec({ t: this.sim.tick, op: 'join', id, name });
    return r;
  }
  removePlayer(id: PlayerId): void {
    this.sim.removePlayer(id);
    this.rec({ t: this.sim.tick, op: 'leave', id });
  }
  setConnected(id: PlayerId, connected: boolean): void {
    this.sim.setConnected(id, connected);
    this.rec({ t: this.sim.tick, op: 'connected', id, connected });
  }
  setInput(id: PlayerId, input: InputFrame): void {
    this.sim.setInput(id, input);
    this.rec({ t: this.sim.tick, op: 'input', id, input: { seq: input.seq, dx: input.dx, dy: input.dy } });
  }
  action(id: PlayerId, action: GameAction): void {
    this.sim.action(id, action);
    this.rec({ t: this.sim.tick, op: 'action', id, action: JSON.parse(JSON.stringify(action)) });
  }
  setMode(mode: string): void {
    this.sim.setMode(mode);
    this.rec({ t: this.sim.tick, op: 'mode', mode });
  }
  loadScript(name: string, code: string): LoadResult {
    const r = this.sim.loadScript(name, code);
    this.rec({ t: this.sim.tick, op: 'script', name, code }); // failed loads are replayed too (no-ops)
    return r;
  }
  step(): TickTelemetry {
    return this.sim.step();
  }
  /** The log so far (end = current tick and hash). */
  log(): ReplayLog {
    return {
      version: 1, start: this.start, startTick: this.startTick, endTick: this.sim.tick, endHash: this.sim.hash(),
      entries: this.entries.slice(),
    };
  }
}

function applyEntry(sim: Simulation, e: ReplayEntry): void {
  // Calls that threw while recording threw before changing anything; they throw again here.
  try {
    switch (e.op) {
      case 'join': sim.addPlayer(e.id, e.name); break;
      case 'leave': sim.removePlayer(e.id); break;
      case 'connected': sim.setConnected(e.id, e.connected); break;
      case 'input': sim.setInput(e.id, e.input); break;
      case 'action': sim.action(e.id, e.action); break;
      case 'mode': sim.setMode(e.mode); break;
      case 'script': sim.loadScript(e.name, e.code); break;
    }
  } catch {
    /* same outcome as during recording: rejected, state unchanged */
  }
}

/**
 * Replays a log from its start blob up to `untilTick` (default: the log's end). Returns the
 * simulation; compare `sim.hash()` with `log.endHash`.
 */
export async function replay(log: ReplayLog, wasm: WasmSource, untilTick = log.endTick): Promise<Simulation> {
  const sim = await restoreSimulation(log.start, wasm);
  let i = 0;
  const entries = log.entries;
  for (;;) {
    // entries stamped with tick T happened after step T-1 and before step T
    while (i < entries.length && entries[i].t === sim.tick) applyEntry(sim, entries[i++]);
    if (sim.tick >= untilTick) break;
    sim.step();
  }
  return sim;
}

function b64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeReplay(log: ReplayLog): string {
  return JSON.stringify({ ...log, start: b64(log.start) });
}

export function decodeReplay(text: string): ReplayLog {
  const o = JSON.parse(text);
  if (!o || o.version !== 1 || typeof o.start !== 'string' || !Array.isArray(o.entries)) throw new Error('not a replay log');
  return { ...o, start: unb64(o.start) };
}
