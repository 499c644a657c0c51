/**
 * Snapshot state keeping on both sides:
 * - SnapshotRing: a bounded ring of past quantized states by tick (host: baselines for deltas;
 *   client: states it may be asked to use as baseline).
 * - SnapshotEncoder: per-tick encoding with one body per distinct baseline (shared by clients).
 * - SnapshotDecoder: client-side reconstruction of full states from full/delta packets.
 */
import type { EntityView } from '../sim/types';
import type { BinarySnapshotMsg } from '../protocol/messages';
import { applySnapshot, dequantizeEntity, encodeSnapshotBody, quantizeEntities, SnapshotApplyError, type QEntity } from './codec';

export * from './codec';

export class SnapshotRing {
  private ticks: number[] = [];
  private states: QEntity[][] = [];

  constructor(readonly capacity = 32) {}

  push(tick: number, state: QEntity[]): void {
    const last = this.ticks[this.ticks.length - 1];
    if (last !== undefined && tick <= last) return; // out-of-order or duplicate: ticks stay ascending
    this.ticks.push(tick);
    this.states.push(state);
    if (this.ticks.length > this.capacity) {
      this.ticks.shift();
      this.states.shift();
    }
  }

  get(tick: number): QEntity[] | undefined {
    // small ring: linear search from the newest end
    for (let i = this.ticks.length - 1; i >= 0; i--) if (this.ticks[i] === tick) return this.states[i];
    return undefined;
  }

  has(tick: number): boolean {
    return this.get(tick) !== undefined;
  }

  get latestTick(): number | undefined {
    return this.ticks[this.ticks.length - 1];
  }

  latest(): { tick: number; state: QEntity[] } | undefined {
    const n = this.ticks.length;
    return n ? { tick: this.ticks[n - 1], state: this.states[n - 1] } : undefined;
  }

  get size(): number {
    return this.ticks.length;
  }

  clear(): void {
    this.ticks = [];
    this.states = [];
  }
}

/** Host side: capture states and encode bodies (cached per baseline for the current tick). */
export class SnapshotEncoder {
  readonly ring: SnapshotRing;
  private cacheTick = -1;
  private cache = new Map<number, Uint8Array>(); // baseTick (-1 = full) -> body

  constructor(capacity = 32) {
    this.ring = new SnapshotRing(capacity);
  }

  /** Quantize the current entities as the state of `tick` and store it in the ring. */
  capture(tick: number, views: readonly EntityView[]): QEntity[] {
    const state = quantizeEntities(views);
    this.ring.push(tick, state);
    return state;
  }

  /**
   * Body for the state at `tick` against baseline `ackTick` (if still in the ring), else full.
   * Returns the baseline actually used (null = full).
   */
  body(tick: number, ackTick: number | null): { baseTick: number | null; body: Uint8Array } {
    const state = this.ring.get(tick);
    if (!state) throw new Error(`no captured state for tick ${tick}`);
    if (this.cacheTick !== tick) {
      this.cache.clear();
      this.cacheTick = tick;
    }
    let baseTick: number | null = null;
    let base: QEntity[] | undefined;
    if (ackTick !== null && ackTick < tick) {
      base = this.ring.get(ackTick);
      if (base) baseTick = ackTick;
    }
    const key = baseTick ?? -1;
    let body = this.cache.get(key);
    if (!body) {
      body = encodeSnapshotBody(state, tick, base ?? null, baseTick ?? 0);
      this.cache.set(key, body);
    }
    return { baseTick, body };
  }
}

export type DecodeSnapshotResult =
  | { ok: true; tick: number; lastInputSeq: number; state: QEntity[]; full: boolean }
  | { ok: false; reason: 'stale' | 'missing_baseline' | 'invalid'; message: string };

/** Client side: reconstruct states, remember them as future baselines. */
export class SnapshotDecoder {
  readonly ring: SnapshotRing;
  newestTick = -1;

  constructor(capacity = 64) {
    this.ring = new SnapshotRing(capacity);
  }

  apply(msg: BinarySnapshotMsg): DecodeSnapshotResult {
    if (msg.tick <= this.newestTick) return { ok: false, reason: 'stale', message: `snapshot ${msg.tick} older than ${this.newestTick}` };
    let base: QEntity[] | null = null;
    if (msg.baseTick !== null) {
      base = this.ring.get(msg.baseTick) ?? null;
      if (!base) return { ok: false, reason: 'missing_baseline', message: `baseline ${msg.baseTick} not kept` };
    }
    let state: QEntity[];
    try {
      state = applySnapshot(msg, base);
    } catch (e) {
      if (e instanceof SnapshotApplyError) return { ok: false, reason: 'invalid', message: e.message };
      throw e;
    }
    this.ring.push(msg.tick, state);
    this.newestTick = msg.tick;
    return { ok: true, tick: msg.tick, lastInputSeq: msg.lastInputSeq, state, full: msg.baseTick === null };
  }

  reset(): void {
    this.ring.clear();
    this.newestTick = -1;
  }
}

/**
 * Views of a decoded state. With the previous state (`dticks` ticks earlier), non-player
 * velocities are derived from the movement (they are not on the wire).
 */
export function toViews(state: readonly QEntity[], prev?: readonly QEntity[] | null, dticks = 0): EntityView[] {
  if (!prev || dticks <= 0) return state.map((e) => dequantizeEntity(e));
  // both lists are sorted by id: one merge walk
  const out: EntityView[] = new Array(state.length);
  let j = 0;
  for (let i = 0; i < state.length; i++) {
    const e = state[i];
    while (j < prev.length && prev[j].id < e.id) j++;
    const p = j < prev.length && prev[j].id === e.id ? prev[j] : undefined;
    out[i] = dequantizeEntity(e, p, dticks);
  }
  return out;
}
