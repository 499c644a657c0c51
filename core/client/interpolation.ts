/**
 * Entity interpolation (Gambetta / Gaffer "snapshot interpolation"): snapshots are buffered
 * with their server time (tick / 60 s); the client renders the world `delayMs` (~100 ms =
 * two snapshot intervals at 20 Hz) behind its estimate of the server clock, interpolating
 * between the two snapshots around that time. Short gaps past the newest snapshot are
 * extrapolated with velocities (capped), then held.
 */
import type { EntityView } from '../sim/types';

export interface BufferedSnapshot {
  tick: number;
  timeMs: number; // server time = tick * 1000 / tickHz
  entities: EntityView[]; // sorted by id
}

export interface InterpolationOptions {
  delayMs?: number; // default 100
  tickHz?: number; // default 60
  maxExtrapolateMs?: number; // default 100
  bufferMs?: number; // how much history to keep, default 1000
}

export class InterpolationBuffer {
  readonly delayMs: number;
  readonly tickHz: number;
  readonly maxExtrapolateMs: number;
  readonly bufferMs: number;
  private snaps: BufferedSnapshot[] = [];
  /** serverTime ~= localTime + offset (for the least-delayed recent packets) */
  private offset: number | null = null;
  private samples: { at: number; v: number }[] = [];

  constructor(o: InterpolationOptions = {}) {
    this.delayMs = o.delayMs ?? 100;
    this.tickHz = o.tickHz ?? 60;
    this.maxExtrapolateMs = o.maxExtrapolateMs ?? 100;
    this.bufferMs = o.bufferMs ?? 1000;
  }

  get size(): number {
    return this.snaps.length;
  }

  get newest(): BufferedSnapshot | undefined {
    return this.snaps[this.snaps.length - 1];
  }

  clockOffset(): number | null {
    return this.offset;
  }

  /** Add a snapshot received at local time `recvMs`. */
  push(tick: number, entities: EntityView[], recvMs: number): void {
    const timeMs = (tick * 1000) / this.tickHz;
    const last = this.newest;
    if (last && tick <= last.tick) return; // stale or duplicate
    this.snaps.push({ tick, timeMs, entities });
    while (this.snaps.length > 2 && this.snaps[0].timeMs < timeMs - this.bufferMs) this.snaps.shift();
    this.updateClock(timeMs - recvMs, recvMs);
  }

  /**
   * Clock estimate: the max of (serverTime - recvTime) over the last 2 s (the least delayed
   * packet), approached smoothly so render time never jumps, snapped on big changes.
   */
  private updateClock(sample: number, now: number): void {
    this.samples.push({ at: now, v: sample });
    while (this.samples.length > 1 && this.samples[0].at < now - 2000) this.samples.shift();
    let target = -Infinity;
    for (const s of this.samples) target = Math.max(target, s.v);
    if (this.offset === null || Math.abs(target - this.offset) > 250) this.offset = target;
    else this.offset += (target - this.offset) * 0.1;
  }

  /** Server time (ms) to render at local time `nowMs`. */
  renderServerTime(nowMs: number): number | null {
    return this.offset === null ? null : nowMs + this.offset - this.delayMs;
  }

  /** Entities at local render time `nowMs` (interpolated), or [] before the first snapshot. */
  sample(nowMs: number): EntityView[] {
    const t = this.renderServerTime(nowMs);
    const n = this.snaps.length;
    if (t === null || n === 0) return [];
    const first = this.snaps[0];
    const last = this.snaps[n - 1];
    if (t <= first.timeMs) return first.entities.map((e) => ({ ...e }));
    if (t >= last.timeMs) {
      const dt = Math.min(t - last.timeMs, this.maxExtrapolateMs) / 1000;
      return last.entities.map((e) => ({ ...e, x: e.x + e.vx * dt, y: e.y + e.vy * dt }));
    }
    let i = n - 2;
    while (i > 0 && this.snaps[i].timeMs > t) i--;
    const a = this.snaps[i];
    const b = this.snaps[i + 1];
    const alpha = (t - a.timeMs) / (b.timeMs - a.timeMs);
    return lerpEntities(a.entities, b.entities, alpha);
  }

  clear(): void {
    this.snaps = [];
    this.samples = [];
    this.offset = null;
  }
}

/** Interpolate two id-sorted entity lists: entities only in b appear, only in a are gone. */
export function lerpEntities(a: readonly EntityView[], b: readonly EntityView[], alpha: number): EntityView[] {
  const out: EntityView[] = [];
  let i = 0;
  for (const eb of b) {
    while (i < a.length && a[i].id < eb.id) i++;
    const ea = a[i];
    if (ea && ea.id === eb.id && ea.kind === eb.kind) {
      out.push({
        ...eb,
        x: ea.x + (eb.x - ea.x) * alpha,
        y: ea.y + (eb.y - ea.y) * alpha,
        vx: ea.vx + (eb.vx - ea.vx) * alpha,
        vy: ea.vy + (eb.vy - ea.vy) * alpha,
        r: ea.r + (eb.r - ea.r) * alpha,
        h: ea.h + (eb.h - ea.h) * alpha,
      });
    } else out.push({ ...eb });
  }
  return out;
}
