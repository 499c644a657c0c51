/**
 * One 60 Hz loop for every server-hosted room (instead of one timer per room): each room's
 * RoomHost.tick() runs once per fixed step, timed individually (tick-time metrics), with drift
 * correction. If the whole loop falls behind (the machine is overloaded) it catches up at most
 * a few steps, then drops the backlog and counts it: rooms slow down instead of spiralling.
 */
import type { RoomHostApi } from '../core/host/types';

export const TICK_MS = 1000 / 60;
const MAX_CATCH_UP = 4;

export interface SchedulerStats {
  /** Steps dropped because the loop could not keep up. */
  droppedSteps: number;
  /** Last loop lag behind the ideal schedule (ms). */
  lagMs: number;
}

export class TickScheduler {
  private hosts = new Map<string, RoomHostApi>();
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  readonly stats: SchedulerStats = { droppedSteps: 0, lagMs: 0 };

  constructor(
    private readonly onTick: (code: string, ms: number) => void,
    private readonly onError: (code: string, err: Error) => void,
    /** Wall time of one whole step (every room ticked once): must stay under TICK_MS. */
    private readonly onStep: (ms: number, rooms: number) => void = () => {},
  ) {}

  add(code: string, host: RoomHostApi): void {
    this.hosts.set(code, host);
    if (!this.timer) {
      this.next = performance.now() + TICK_MS;
      this.arm();
    }
  }

  remove(code: string): void {
    this.hosts.delete(code);
    if (this.hosts.size === 0) this.stop();
  }

  get size(): number {
    return this.hosts.size;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.run(), Math.max(0, this.next - performance.now()));
  }

  private run(): void {
    this.timer = null;
    let now = performance.now();
    this.stats.lagMs = Math.max(0, now - this.next);
    let steps = 0;
    while (now >= this.next && steps < MAX_CATCH_UP) {
      this.stepAll();
      this.next += TICK_MS;
      steps++;
      now = performance.now();
    }
    if (now >= this.next) {
      const behind = Math.floor((now - this.next) / TICK_MS) + 1;
      this.stats.droppedSteps += behind;
      this.next += behind * TICK_MS;
    }
    if (this.hosts.size > 0) this.arm();
  }

  private stepAll(): void {
    const s0 = performance.now();
    for (const [code, host] of this.hosts) {
      const t0 = performance.now();
      try {
        host.tick();
      } catch (err) {
        this.onError(code, err as Error);
      }
      this.onTick(code, performance.now() - t0);
    }
    this.onStep(performance.now() - s0, this.hosts.size);
  }
}
