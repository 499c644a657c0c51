/**
 * Snapshot quantization and delta encoding (binary layout documented in docs/PROTOCOL.md).
 *
 * - Positions and sizes are quantized to 1/8 unit; all values are written as (zigzag) LEB128
 *   varints. Only players carry a velocity on the wire (1/2 unit per second: the client's
 *   prediction needs it, and players move steadily so dead reckoning makes them nearly free);
 *   the velocity of every other entity is derived by the receiver from consecutive positions
 *   (measured: sending NPC velocities costs more than it saves, see docs/BENCHMARKS.md).
 * - A full snapshot lists every entity as an "added" record.
 * - A delta snapshot is relative to a baseline the client acknowledged: removed ids, added (or
 *   replaced) entities, and per-entity updates with a field mask. Positions in updates are the
 *   residual against a dead-reckoned prediction from the baseline
 *   (x_pred = x_base + trunc(vx_base * dticks * 4 / 60), in quantized units), so steady movement
 *   costs one byte per axis. An update record starts with one varint (idDelta << 4 | mask).
 * - Unchanged entities (walls, resting coins) cost nothing in a delta.
 */
import { ENTITY_KINDS, type EntityKind, type EntityView } from '../sim/types';
import { BinaryError, ByteReader, ByteWriter } from '../protocol/bytes';

export const POS_SCALE = 8; // 1/8 unit
export const VEL_SCALE = 2; // 1/2 unit per second
export const SIZE_SCALE = 8; // 1/8 unit
export const TICK_HZ = 60;

/** Field mask bits of an update record. */
export const enum UpdateMask {
  Pos = 1,
  Vel = 2,
  Flags = 4,
  Size = 8,
}

/** A quantized entity: every numeric field is an integer in its scale. */
export interface QEntity {
  id: number;
  kind: number; // index into ENTITY_KINDS
  x: number;
  y: number;
  vx: number;
  vy: number;
  r: number;
  h: number;
  flags: number;
  variant: string; // '' = none
  owner: string; // '' = none
}

export interface QUpdate {
  id: number;
  mask: number;
  ex: number; // position residual against the dead-reckoned prediction
  ey: number;
  dvx: number; // velocity delta
  dvy: number;
  flags: number;
  r: number;
  h: number;
}

/** A parsed binary snapshot (structure only; needs the baseline to reconstruct a delta). */
export interface SnapshotPacket {
  tick: number;
  /** null for a full snapshot */
  baseTick: number | null;
  lastInputSeq: number;
  removed: number[];
  added: QEntity[];
  updated: QUpdate[];
}

const KIND_INDEX: Record<string, number> = Object.fromEntries(ENTITY_KINDS.map((k, i) => [k, i]));

export const MAX_ENTITIES_PER_SNAPSHOT = 65535;
const MAX_STR = 64;
/**
 * Fewest bytes a full entity record can take (id delta, kind, flags, x, y, r, h and two
 * string lengths, one byte each; only players add vx, vy): bounds the "added" count.
 */
const MIN_FULL_RECORD_BYTES = 9;

/** Kind index of players: the only kind whose velocity is on the wire. */
export const PLAYER_KIND = KIND_INDEX.player;

export function quantizeEntity(e: EntityView): QEntity {
  const kind = KIND_INDEX[e.kind];
  if (kind === undefined) throw new Error(`unknown entity kind: ${e.kind}`);
  const withVel = kind === PLAYER_KIND;
  return {
    id: e.id,
    kind,
    x: q(e.x, POS_SCALE),
    y: q(e.y, POS_SCALE),
    vx: withVel ? q(e.vx, VEL_SCALE) : 0,
    vy: withVel ? q(e.vy, VEL_SCALE) : 0,
    r: Math.max(0, q(e.r, SIZE_SCALE)),
    h: Math.max(0, q(e.h, SIZE_SCALE)),
    flags: Number.isFinite(e.flags) ? e.flags >>> 0 : 0,
    variant: e.variant ?? '',
    owner: e.owner ?? '',
  };
}

/** Quantize and sort by id (the canonical order of a snapshot state). */
export function quantizeEntities(views: readonly EntityView[]): QEntity[] {
  const out = views.map(quantizeEntity);
  let sorted = true; // Simulation.entities() already lists by id
  for (let i = 1; i < out.length && sorted; i++) sorted = out[i - 1].id <= out[i].id;
  if (!sorted) out.sort((a, b) => a.id - b.id);
  for (let i = 1; i < out.length; i++) {
    if (out[i].id === out[i - 1].id) throw new Error(`duplicate entity id ${out[i].id}`);
  }
  return out;
}

/**
 * Back to an EntityView. Non-player velocities are not on the wire: pass the previous state
 * (`prev`, `dticks` ticks earlier) to derive them from the movement, else they are 0.
 */
export function dequantizeEntity(q: QEntity, prev?: QEntity, dticks = 0): EntityView {
  let vx = q.vx / VEL_SCALE;
  let vy = q.vy / VEL_SCALE;
  if (q.kind !== PLAYER_KIND && prev && dticks > 0) {
    vx = ((q.x - prev.x) / POS_SCALE) * (TICK_HZ / dticks);
    vy = ((q.y - prev.y) / POS_SCALE) * (TICK_HZ / dticks);
  }
  const v: EntityView = {
    id: q.id,
    kind: ENTITY_KINDS[q.kind] as EntityKind,
    x: q.x / POS_SCALE,
    y: q.y / POS_SCALE,
    vx,
    vy,
    r: q.r / SIZE_SCALE,
    h: q.h / SIZE_SCALE,
    flags: q.flags,
  };
  if (q.variant) v.variant = q.variant;
  if (q.owner) v.owner = q.owner;
  return v;
}

/** Dead reckoning in quantized units: velocity (1/VEL_SCALE unit/s) over dticks ticks at 60 Hz. */
export function predictPos(base: number, vel: number, dticks: number): number {
  return base + Math.trunc((vel * dticks * POS_SCALE) / (VEL_SCALE * TICK_HZ));
}

/** Math.round without negative zero; a non-finite value (a simulation bug) becomes 0. */
function q(v: number, scale: number): number {
  return Number.isFinite(v) ? Math.round(v * scale) + 0 : 0;
}

function writeFull(w: ByteWriter, e: QEntity, prevId: number): void {
  w.uvar(e.id - prevId - 1);
  w.u8(e.kind);
  w.uvar(e.flags);
  w.svar(e.x).svar(e.y);
  if (e.kind === PLAYER_KIND) w.svar(e.vx).svar(e.vy);
  w.uvar(e.r).uvar(e.h);
  w.str(e.variant).str(e.owner);
}

function readFull(r: ByteReader, prevId: number): QEntity {
  const id = prevId + 1 + r.uvar();
  const kind = r.u8();
  if (kind >= ENTITY_KINDS.length) throw new BinaryError(`unknown entity kind index ${kind}`);
  const flags = r.uvar();
  if (flags > 0xffffffff) throw new BinaryError('flags out of range');
  const x = r.svar();
  const y = r.svar();
  const vx = kind === PLAYER_KIND ? r.svar() : 0;
  const vy = kind === PLAYER_KIND ? r.svar() : 0;
  const rr = r.uvar();
  const h = r.uvar();
  const variant = r.str(MAX_STR);
  const owner = r.str(MAX_STR);
  return { id, kind, x, y, vx, vy, r: rr, h, flags, variant, owner };
}

/**
 * Encode the body of a snapshot of `state` (sorted QEntity[] at `tick`), as a delta against
 * `base` (sorted QEntity[] at `baseTick`) or, if base is null, as a full snapshot.
 */
export function encodeSnapshotBody(
  state: readonly QEntity[],
  tick: number,
  base: readonly QEntity[] | null,
  baseTick: number,
): Uint8Array {
  const w = new ByteWriter(64 + state.length * 8);
  writeSnapshotBody(w, state, tick, base, baseTick);
  return w.finish();
}

export function writeSnapshotBody(
  w: ByteWriter,
  state: readonly QEntity[],
  tick: number,
  base: readonly QEntity[] | null,
  baseTick: number,
): void {
  if (state.length > MAX_ENTITIES_PER_SNAPSHOT) throw new Error('too many entities');
  if (!base) {
    w.uvar(0); // removed
    w.uvar(state.length);
    let prev = -1;
    for (const e of state) {
      writeFull(w, e, prev);
      prev = e.id;
    }
    w.uvar(0); // updated
    return;
  }
  const dt = tick - baseTick;
  const removed: number[] = [];
  const added: QEntity[] = [];
  const updated: { e: QEntity; b: QEntity; mask: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < state.length || j < base.length) {
    const e = state[i];
    const b = base[j];
    if (b === undefined || (e !== undefined && e.id < b.id)) {
      added.push(e);
      i++;
    } else if (e === undefined || b.id < e.id) {
      removed.push(b.id);
      j++;
    } else {
      i++;
      j++;
      if (e.kind !== b.kind || e.variant !== b.variant || e.owner !== b.owner) {
        added.push(e); // replaces the baseline entity with the same id
        continue;
      }
      let mask = 0;
      if (e.x !== predictPos(b.x, b.vx, dt) || e.y !== predictPos(b.y, b.vy, dt)) mask |= UpdateMask.Pos;
      if (e.vx !== b.vx || e.vy !== b.vy) mask |= UpdateMask.Vel;
      if (e.flags !== b.flags) mask |= UpdateMask.Flags;
      if (e.r !== b.r || e.h !== b.h) mask |= UpdateMask.Size;
      if (mask) updated.push({ e, b, mask });
    }
  }
  w.uvar(removed.length);
  let prev = -1;
  for (const id of removed) {
    w.uvar(id - prev - 1);
    prev = id;
  }
  w.uvar(added.length);
  prev = -1;
  for (const e of added) {
    writeFull(w, e, prev);
    prev = e.id;
  }
  w.uvar(updated.length);
  prev = -1;
  for (const { e, b, mask } of updated) {
    w.uvar((e.id - prev - 1) * 16 + mask);
    prev = e.id;
    if (mask & UpdateMask.Pos) w.svar(e.x - predictPos(b.x, b.vx, dt)).svar(e.y - predictPos(b.y, b.vy, dt));
    if (mask & UpdateMask.Vel) w.svar(e.vx - b.vx).svar(e.vy - b.vy);
    if (mask & UpdateMask.Flags) w.uvar(e.flags);
    if (mask & UpdateMask.Size) w.uvar(e.r).uvar(e.h);
  }
}

/** Parse a snapshot body (after the header) into its structure. Throws BinaryError. */
export function readSnapshotBody(r: ByteReader): { removed: number[]; added: QEntity[]; updated: QUpdate[] } {
  const nRemoved = r.uvar();
  if (nRemoved > MAX_ENTITIES_PER_SNAPSHOT || nRemoved > r.remaining) throw new BinaryError('bad removed count');
  const removed: number[] = [];
  let prev = -1;
  for (let k = 0; k < nRemoved; k++) {
    prev = prev + 1 + r.uvar();
    removed.push(prev);
  }
  const nAdded = r.uvar();
  if (nAdded > MAX_ENTITIES_PER_SNAPSHOT || nAdded * MIN_FULL_RECORD_BYTES > r.remaining) throw new BinaryError('bad added count');
  const added: QEntity[] = [];
  prev = -1;
  for (let k = 0; k < nAdded; k++) {
    const e = readFull(r, prev);
    added.push(e);
    prev = e.id;
  }
  const nUpdated = r.uvar();
  if (nUpdated > MAX_ENTITIES_PER_SNAPSHOT || nUpdated > r.remaining) throw new BinaryError('bad updated count');
  const updated: QUpdate[] = [];
  prev = -1;
  for (let k = 0; k < nUpdated; k++) {
    const head = r.uvar();
    const mask = head % 16;
    const id = prev + 1 + (head - mask) / 16;
    prev = id;
    if (mask === 0) throw new BinaryError('update without fields');
    const u: QUpdate = { id, mask, ex: 0, ey: 0, dvx: 0, dvy: 0, flags: 0, r: 0, h: 0 };
    if (mask & UpdateMask.Pos) {
      u.ex = r.svar();
      u.ey = r.svar();
    }
    if (mask & UpdateMask.Vel) {
      u.dvx = r.svar();
      u.dvy = r.svar();
    }
    if (mask & UpdateMask.Flags) {
      u.flags = r.uvar();
      if (u.flags > 0xffffffff) throw new BinaryError('flags out of range');
    }
    if (mask & UpdateMask.Size) {
      u.r = r.uvar();
      u.h = r.uvar();
    }
    updated.push(u);
  }
  if (r.remaining !== 0) throw new BinaryError('trailing bytes after snapshot');
  return { removed, added, updated };
}

export class SnapshotApplyError extends Error {}

/**
 * Reconstruct the full state of a parsed snapshot. `base` must be the state at packet.baseTick
 * (ignored for a full snapshot). Throws SnapshotApplyError when the packet does not fit the base.
 * States are immutable: entities that did not change are shared with the baseline (one merge
 * walk over id-sorted lists, no maps), which keeps decoding cheap for many clients.
 */
export function applySnapshot(p: SnapshotPacket, base: readonly QEntity[] | null): QEntity[] {
  if (p.baseTick === null) {
    if (p.removed.length || p.updated.length) throw new SnapshotApplyError('full snapshot with delta records');
    return p.added.slice();
  }
  if (!base) throw new SnapshotApplyError(`missing baseline ${p.baseTick}`);
  const dt = p.tick - p.baseTick;
  const { removed, added, updated } = p;
  const out: QEntity[] = [];
  let ri = 0;
  let ai = 0;
  let ui = 0;
  for (const b of base) {
    while (ai < added.length && added[ai].id < b.id) out.push(added[ai++]);
    if (ri < removed.length && removed[ri] === b.id) {
      ri++;
      continue;
    }
    if (ai < added.length && added[ai].id === b.id) {
      // replaced (kind/variant/owner changed)
      if (ui < updated.length && updated[ui].id === b.id) throw new SnapshotApplyError(`entity ${b.id} both replaced and updated`);
      out.push(added[ai++]);
      continue;
    }
    if (ui < updated.length && updated[ui].id === b.id) {
      const u = updated[ui++];
      if (u.mask & UpdateMask.Vel && b.kind !== PLAYER_KIND) throw new SnapshotApplyError(`velocity update for non-player ${u.id}`);
      const vel = (u.mask & UpdateMask.Vel) !== 0;
      const size = (u.mask & UpdateMask.Size) !== 0;
      out.push({
        id: b.id,
        kind: b.kind,
        x: predictPos(b.x, b.vx, dt) + u.ex,
        y: predictPos(b.y, b.vy, dt) + u.ey,
        vx: vel ? b.vx + u.dvx : b.vx,
        vy: vel ? b.vy + u.dvy : b.vy,
        r: size ? u.r : b.r,
        h: size ? u.h : b.h,
        flags: u.mask & UpdateMask.Flags ? u.flags : b.flags,
        variant: b.variant,
        owner: b.owner,
      });
      continue;
    }
    // not mentioned: baseline values at the dead-reckoned position
    if (dt !== 0 && (b.vx !== 0 || b.vy !== 0)) out.push({ ...b, x: predictPos(b.x, b.vx, dt), y: predictPos(b.y, b.vy, dt) });
    else out.push(b);
  }
  while (ai < added.length) out.push(added[ai++]);
  if (ri !== removed.length) throw new SnapshotApplyError(`removed unknown entity ${removed[ri]}`);
  if (ui !== updated.length) throw new SnapshotApplyError(`update for unknown entity ${updated[ui].id}`);
  // added ids that collided with nothing are fine; out must stay strictly ascending
  for (let i = 1; i < out.length; i++) {
    if (out[i].id <= out[i - 1].id) throw new SnapshotApplyError(`duplicate entity ${out[i].id}`);
  }
  return out;
}
