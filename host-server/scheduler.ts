/**
 * One 60 Hz loop for every server-hosted room (instead of one timer per room): each step ticks
 * every room once (RoomHost.tick()), timed individually (tick-time metrics).
 *
 * A step with many rooms is cut into slices of at most SLICE_MS of work with a setImmediate
 * between them, so socket I/O (inputs, acks, new connections) is never held up for a whole
 * step. If a step takes longer than the 16.7 ms budget (the machine is overloaded) the loop does
 * not try to catch up: the next step starts right away, missed steps are counted, and the rooms
 * run slower than real time instead of spiralling.
 */
import fs from 'node:fs';
import type { RoomHostApi } from '../core/host/types';

/**
 * CPU time of the calling thread in ms: Linux's /proc/thread-self/schedstat (ns resolution,
 * ~2 µs a read), so a room worker measures its own thread and not the whole process. Elsewhere
 * the process CPU time (process.cpuUsage) is the fallback.
 */
export function threadCpuClock(): () => number {
  try {
    const fd = fs.openSync('/proc/thread-self/schedstat', 'r');
    const buf = Buffer.alloc(96);
    const read = (): number => {
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const end = buf.indexOf(32);
      return Number(buf.toString('latin1', 0, end > 0 && end < n ? end : n)) / 1e6;
    };
    if (Number.isFinite(read())) return read;
    fs.closeSync(fd);
  } catch {
    /* not Linux: fall back */
  }
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

export const TICK_MS = 1000 / 60;
const SLICE_MS = 4;

export interface SchedulerStats {
  /** Steps not run on time because the previous one overran (since start). */
  droppedSteps: number;
  /** Last step start lag behind the ideal schedule (ms). */
  lagMs: number;
  steps: number;
  /** Rooms skipped in the last step because nobody is connected. */
  paused: number;
}

/** RoomHost exposes connectionCount (every attached connection, before or after hello). */
function isIdle(host: RoomHostApi): boolean {
  const n = (host as RoomHostApi & { connectionCount?: number }).connectionCount;
  return typeof n === 'number' && n === 0;
}

export class TickScheduler {
  private hosts = new Map<string, RoomHostApi>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private next = 0;
  private running = false;
  private readonly cpuNow = threadCpuClock();
  readonly stats: SchedulerStats = { droppedSteps: 0, lagMs: 0, steps: 0, paused: 0 };

  constructor(
    private readonly onTick: (code: string, ms: number) => void,
    private readonly onError: (code: string, err: Error) => void,
    /**
     * One whole step (every room ticked once): wall time incl. the I/O slices, busy wall time
     * (the ticks only) and the thread CPU time spent in the ticks (unlike wall time, not
     * inflated when other processes take the core).
     */
    private readonly onStep: (wallMs: number, busyMs: number, rooms: number, cpuMs: number) => void = () => {},
  ) {}

  add(code: string, host: RoomHostApi): void {
    this.hosts.set(code, host);
    if (!this.running) {
      this.running = true;
      this.next = performance.now() + TICK_MS;
      this.arm();
    }
  }

  remove(code: string): void {
    this.hosts.delete(code);
  }

  get size(): number {
    return this.hosts.size;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private arm(): void {
    if (!this.running) return;
    if (this.hosts.size === 0) {
      this.running = false;
      return;
    }
    this.timer = setTimeout(() => this.startStep(), Math.max(0, this.next - performance.now()));
  }

  private startStep(): void {
    this.timer = null;
    const start = performance.now();
    this.stats.lagMs = Math.max(0, start - this.next);
    this.stats.steps++;
    // Snapshot of the rooms for this step (rooms added meanwhile join the next step).
    const queue = [...this.hosts.entries()];
    let i = 0;
    let busy = 0;
    let cpu = 0;
    let paused = 0;
    const slice = (): void => {
      this.immediate = null;
      if (!this.running) return;
      const sliceStart = performance.now();
      const cpu0 = this.cpuNow();
      const endSlice = () => {
        cpu += this.cpuNow() - cpu0;
      };
      while (i < queue.length) {
        const [code, host] = queue[i++];
        if (this.hosts.get(code) !== host) continue; // removed meanwhile
        if (isIdle(host)) {
          paused++;
          continue;
        }
        const t0 = performance.now();
        try {
          host.tick();
        } catch (err) {
          this.onError(code, err as Error);
        }
        const t1 = performance.now();
        busy += t1 - t0;
        this.onTick(code, t1 - t0);
        if (t1 - sliceStart >= SLICE_MS && i < queue.length) {
          endSlice();
          this.immediate = setImmediate(slice);
          return;
        }
      }
      endSlice();
      const end = performance.now();
      this.stats.paused = paused;
      this.onStep(end - start, busy, queue.length - paused, cpu);
      this.next += TICK_MS;
      if (end > this.next) {
        // Overran: don't catch up, start the next step now and count what was missed.
        const missed = Math.floor((end - this.next) / TICK_MS);
        this.stats.droppedSteps += missed;
        this.next += missed * TICK_MS;
      }
      this.arm();
    };
    slice();
  }
}
