/**
 * In-memory Connection pair: a real transport (frames are copied, delivery is asynchronous,
 * close propagates) used by tests, bots and the browser host's own player. Optional simulated
 * latency/jitter and loss on the unreliable channel, on a real or a manual clock.
 */
import type { Connection, Frame, TransportKind } from './transport';

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A deterministic virtual clock: tasks run only inside advance(). */
export class ManualClock implements Scheduler {
  private t = 0;
  private seq = 0;
  private tasks: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const task = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return task;
  }

  clearTimeout(h: unknown): void {
    (h as { cancelled: boolean }).cancelled = true;
  }

  /** Advance virtual time by ms, running every task due on the way (in time order). */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.tasks.length; i++) {
        const k = this.tasks[i];
        if (k.at > target) continue;
        if (best < 0 || k.at < this.tasks[best].at || (k.at === this.tasks[best].at && k.seq < this.tasks[best].seq)) best = i;
      }
      if (best < 0) break;
      const task = this.tasks.splice(best, 1)[0];
      if (task.cancelled) continue;
      this.t = Math.max(this.t, task.at);
      task.fn();
    }
    this.t = target;
  }

  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }
}

export interface LocalLinkOptions {
  /** One-way latency in ms (default 0: delivered on the next microtask / clock step). */
  latencyMs?: number;
  /** Extra random one-way delay 0..jitterMs (unreliable frames may reorder; reliable stay ordered). */
  jitterMs?: number;
  /** Probability that an unreliable frame is dropped (default 0). */
  lossRate?: number;
  /** PRNG seed for jitter and loss (deterministic). */
  seed?: number;
  scheduler?: Scheduler;
  kind?: TransportKind;
}

/** mulberry32: a tiny deterministic PRNG, uniform in [0,1). */
export class Mulberry32 {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

let nextId = 1;

export class LocalConnection implements Connection {
  readonly kind: TransportKind;
  peer!: LocalConnection;
  private msgCbs: ((f: Frame) => void)[] = [];
  private closeCbs: ((r: string) => void)[] = [];
  private closedFlag = false;
  /** Bytes sent by this side and not yet delivered to the peer. */
  private inFlight = 0;
  /** When stalled, frames sent TO this side are held (a consumer that stopped reading). */
  private stalled = false;
  private held: (() => void)[] = [];
  private lastReliableAt = 0;
  /** Counters (for tests and telemetry). */
  framesSent = 0;
  bytesSent = 0;
  framesDropped = 0;

  constructor(
    readonly id: string,
    private readonly opts: Required<Pick<LocalLinkOptions, 'latencyMs' | 'jitterMs' | 'lossRate'>> & { scheduler: Scheduler | null },
    private readonly rng: Mulberry32,
    kind: TransportKind,
  ) {
    this.kind = kind;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get bufferedAmount(): number {
    return this.inFlight;
  }

  send(frame: Frame, channel: 'reliable' | 'unreliable' = 'reliable'): void {
    if (this.closedFlag) return;
    const copy: Frame = typeof frame === 'string' ? frame : frame.slice();
    const size = typeof copy === 'string' ? copy.length : copy.byteLength;
    this.framesSent++;
    this.bytesSent += size;
    if (channel === 'unreliable' && this.opts.lossRate > 0 && this.rng.next() < this.opts.lossRate) {
      this.framesDropped++;
      return;
    }
    this.inFlight += size;
    const peer = this.peer;
    const deliver = (): void => {
      if (peer.stalled) {
        peer.held.push(deliver);
        return;
      }
      this.inFlight -= size;
      // frames sent before a close still arrive (like a TCP FIN); a closed receiver drops them
      if (peer.closedFlag) return;
      for (const cb of peer.msgCbs) cb(copy);
    };
    this.schedule(deliver, channel);
  }

  private schedule(fn: () => void, channel: 'reliable' | 'unreliable'): void {
    const { latencyMs, jitterMs, scheduler } = this.opts;
    if (!scheduler) {
      queueMicrotask(fn);
      return;
    }
    let delay = latencyMs + (jitterMs > 0 ? this.rng.next() * jitterMs : 0);
    if (channel === 'reliable') {
      // ordered: never before the previous reliable frame
      const at = Math.max(scheduler.now() + delay, this.lastReliableAt);
      this.lastReliableAt = at;
      delay = at - scheduler.now();
    }
    scheduler.setTimeout(fn, delay);
  }

  /** Simulate a consumer that stops reading: frames sent to this side pile up at the sender. */
  setStalled(stalled: boolean): void {
    this.stalled = stalled;
    if (!stalled) {
      const held = this.held;
      this.held = [];
      for (const d of held) d();
    }
  }

  close(_code?: number, reason = 'closed'): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const peer = this.peer;
    const notifySelf = (): void => {
      for (const cb of this.closeCbs) cb(reason);
    };
    const notifyPeer = (): void => {
      if (peer.closedFlag) return;
      peer.closedFlag = true;
      for (const cb of peer.closeCbs) cb(reason);
    };
    // Frames already sent by this side still arrive before the close (like a TCP FIN).
    if (this.opts.scheduler) {
      this.opts.scheduler.setTimeout(notifySelf, 0);
      this.schedule(notifyPeer, 'reliable');
    } else {
      queueMicrotask(notifySelf);
      queueMicrotask(notifyPeer);
    }
  }

  onMessage(cb: (frame: Frame) => void): void {
    this.msgCbs.push(cb);
  }

  onClose(cb: (reason: string) => void): void {
    this.closeCbs.push(cb);
  }
}

/**
 * Create two connected endpoints. Returns [client, host] by convention: hand `host` to
 * RoomHost.attach and `client` to a GameClient.
 */
export function createLocalPair(opts: LocalLinkOptions = {}): [LocalConnection, LocalConnection] {
  const o = {
    latencyMs: opts.latencyMs ?? 0,
    jitterMs: opts.jitterMs ?? 0,
    lossRate: opts.lossRate ?? 0,
    scheduler: opts.scheduler ?? (opts.latencyMs || opts.jitterMs ? realScheduler : null),
  };
  const rng = new Mulberry32(opts.seed ?? 12345);
  const n = nextId++;
  const kind = opts.kind ?? 'local';
  const a = new LocalConnection(`local-${n}a`, o, rng, kind);
  const b = new LocalConnection(`local-${n}b`, o, rng, kind);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
