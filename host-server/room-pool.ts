/**
 * Where server-hosted rooms run. Two implementations of one small interface (`RoomRunner`):
 *   - `InlineRooms`: every room on the main thread's TickScheduler (ROOM_WORKERS=0);
 *   - `RoomPool`: rooms spread over N worker threads (room-worker.ts), each with its own 60 Hz
 *     loop, so room ticks use more than one core while the sockets stay on the main thread.
 *     A player's socket is bridged to its room's worker over a batched mux (core/net/mux.ts):
 *     one postMessage per direction per flush, not per frame.
 * server.ts sees only `ServerRoomHost` handles: attach a connection, events, mode, players,
 * the latest checkpoint, dispose.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Connection } from '../core/net/transport';
import type { RoomHostApi } from '../core/host/types';
import { MuxEndpoint, isMuxBatch } from '../core/net/mux';
import type { Metrics } from './metrics';
import type { HostOptions, RoomRuntime } from './runtime';
import { TickScheduler, type SchedulerStats } from './scheduler';
import type { FromWorker, RoomEvent, ToWorker, WorkerInit } from './room-worker-protocol';

export interface ServerRoomEvents {
  join: (id: string, name: string) => void;
  leave: (id: string, reason: string) => void;
  empty: () => void;
  error: (err: Error) => void;
  /**
   * The room's runner died (worker crash): its connections are closed and this handle is dead.
   * `checkpoint` is the room's latest saved state (if any): restore it to go on.
   */
  crashed: (reason: string, checkpoint: Uint8Array | null) => void;
}

export interface ServerRoomHost {
  readonly code: string;
  readonly mode: string;
  readonly playerCount: number;
  /** Every attached connection, before or after its hello. */
  readonly connectionCount: number;
  /** The in-process RoomHost when the room runs on the main thread (tests), else null. */
  readonly local: RoomHostApi | null;
  attach(conn: Connection): void;
  on<E extends keyof ServerRoomEvents>(event: E, cb: ServerRoomEvents[E]): void;
  /** Latest periodic checkpoint of the room's state (worker rooms), or null. */
  readonly lastCheckpoint: Uint8Array | null;
  /** Stop ticking, tell the clients why, close them, free the simulation. */
  dispose(reason: string): void;
}

export interface RoomRunner {
  create(opts: HostOptions): Promise<ServerRoomHost>;
  restore(blob: Uint8Array, opts: HostOptions): Promise<ServerRoomHost>;
  readonly stats: SchedulerStats;
  close(reason: string): Promise<void>;
}

interface Sink {
  metrics: Metrics;
  log: Logger;
}

export interface RoomPoolOptions {
  /** The worker's entry module (tests substitute a misbehaving one). */
  workerUrl?: URL;
  /**
   * A worker that has sent nothing for this long while it has rooms or requests is considered
   * hung and is terminated; its rooms restart from their checkpoints. Default 10 s.
   */
  hangMs?: number;
  /** A create/restore request fails after this long. Default 20 s. */
  requestTimeoutMs?: number;
}

const DEFAULT_WORKER_URL = new URL('./room-worker-entry.mjs', import.meta.url);

type Listeners = { [E in keyof ServerRoomEvents]: ServerRoomEvents[E][] };
const noListeners = (): Listeners => ({ join: [], leave: [], empty: [], error: [], crashed: [] });

function observeTick(m: Metrics, ms: number): void {
  m.tickSeconds.observe(ms / 1000);
  m.tickSummary.observe(ms / 1000);
}

function observeStep(m: Metrics, wallMs: number, busyMs: number, cpuMs: number): void {
  m.stepCpuHist.observe(cpuMs / 1000);
  m.stepSummary.observe(wallMs / 1000);
  m.stepHist.observe(wallMs / 1000);
  m.stepBusySummary.observe(busyMs / 1000);
}

// ------------------------------------------------------------------------------- inline

class InlineRoom implements ServerRoomHost {
  readonly lastCheckpoint = null;
  constructor(
    readonly local: RoomHostApi,
    private readonly onDispose: () => void,
  ) {}
  get code(): string {
    return this.local.code;
  }
  get mode(): string {
    return this.local.sim.mode;
  }
  get playerCount(): number {
    return this.local.playerCount;
  }
  get connectionCount(): number {
    return (this.local as RoomHostApi & { connectionCount?: number }).connectionCount ?? 0;
  }
  attach(conn: Connection): void {
    this.local.attach(conn);
  }
  on<E extends keyof ServerRoomEvents>(event: E, cb: ServerRoomEvents[E]): void {
    if (event === 'crashed') return; // runs in this process: no separate crash
    this.local.on(event as 'join', cb as ServerRoomEvents['join']);
  }
  dispose(reason: string): void {
    this.onDispose();
    this.local.stop();
    this.local.close(reason);
    this.local.sim.dispose();
  }
}

/** Every room on the main thread's one 60 Hz loop. */
export class InlineRooms implements RoomRunner {
  private scheduler: TickScheduler;

  constructor(
    private readonly runtime: RoomRuntime,
    private readonly sink: Sink,
  ) {
    const { metrics, log } = sink;
    this.scheduler = new TickScheduler(
      (_code, ms) => observeTick(metrics, ms),
      (code, err) => {
        metrics.errors.inc({ kind: 'tick' });
        log.error({ code, err: err.message }, 'tick failed');
      },
      (wallMs, busyMs, _rooms, cpuMs) => observeStep(metrics, wallMs, busyMs, cpuMs),
    );
  }

  get stats(): SchedulerStats {
    return this.scheduler.stats;
  }

  create(opts: HostOptions): Promise<ServerRoomHost> {
    return this.runtime.createHost(opts).then((h) => this.adopt(h));
  }

  restore(blob: Uint8Array, opts: HostOptions): Promise<ServerRoomHost> {
    return this.runtime.restoreHost(blob, opts).then((h) => this.adopt(h));
  }

  private adopt(host: RoomHostApi): ServerRoomHost {
    const { metrics } = this.sink;
    host.on('telemetry', (t) => {
      metrics.luaSeconds.observe(t.luaTotalMs / 1000);
      if (t.errors.length) metrics.errors.inc({ kind: 'script' }, t.errors.length);
    });
    this.scheduler.add(host.code, host);
    return new InlineRoom(host, () => this.scheduler.remove(host.code));
  }

  async close(): Promise<void> {
    this.scheduler.stop();
  }
}

// ------------------------------------------------------------------------------- workers

class RemoteRoom implements ServerRoomHost {
  readonly local = null;
  listeners = noListeners();
  players: number;
  conns = 0;
  disposed = false;
  lastCheckpoint: Uint8Array | null = null;

  constructor(
    readonly code: string,
    public mode: string,
    players: number,
    readonly w: WorkerSlot,
  ) {
    this.players = players;
  }
  get playerCount(): number {
    return this.players;
  }
  get connectionCount(): number {
    return this.conns;
  }
  attach(conn: Connection): void {
    if (this.disposed) {
      conn.close(4004, 'room_not_found');
      return;
    }
    this.conns++;
    conn.onClose(() => this.conns--);
    this.w.mux.bridge(conn, this.code);
  }
  on<E extends keyof ServerRoomEvents>(event: E, cb: ServerRoomEvents[E]): void {
    this.listeners[event].push(cb);
  }
  emit<E extends keyof ServerRoomEvents>(event: E, ...args: Parameters<ServerRoomEvents[E]>): void {
    for (const cb of this.listeners[event]) (cb as (...a: unknown[]) => void)(...args);
  }
  dispose(reason: string): void {
    if (this.disposed) return;
    this.disposed = true;
    this.w.rooms.delete(this.code);
    this.w.mux.flush(); // frames already queued for this room go first
    this.w.post({ t: 'remove', code: this.code, reason });
  }
}

type Reply = Extract<FromWorker, { t: 'reply'; ok: true }>;

class WorkerSlot {
  readonly worker: Worker;
  readonly mux: MuxEndpoint;
  readonly rooms = new Map<string, RemoteRoom>();
  private pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private reqSeq = 1;
  stats: SchedulerStats = { droppedSteps: 0, lagMs: 0, steps: 0, paused: 0 };
  dead: string | null = null;
  stopping = false;
  /** performance.now() of the last message from the worker (watchdog). */
  lastSeen = performance.now();

  constructor(
    readonly index: number,
    init: WorkerInit,
    private readonly sink: Sink,
    onDeath: (slot: WorkerSlot) => void,
    private readonly opts: Required<RoomPoolOptions>,
  ) {
    this.worker = new Worker(opts.workerUrl, {
      workerData: init,
      name: `rooms-${index}`,
    });
    this.mux = new MuxEndpoint(this.worker, undefined, `main${index}`);
    this.worker.on('message', (m: FromWorker) => {
      this.lastSeen = performance.now();
      this.onMessage(m);
    });
    const die = (reason: string): void => {
      if (this.dead) return;
      this.dead = reason;
      for (const p of this.pending.values()) p.reject(new Error(`room worker ${index} ${reason}`));
      this.pending.clear();
      this.mux.closeAll(this.stopping ? 'server_shutdown' : 'room_crashed', this.stopping ? 1001 : 1011);
      const rooms = [...this.rooms.values()];
      this.rooms.clear();
      for (const r of rooms) {
        r.disposed = true;
        if (!this.stopping) r.emit('crashed', reason, r.lastCheckpoint);
      }
      onDeath(this);
    };
    this.worker.on('error', (err) => {
      sink.log.error({ worker: index, err: err.stack ?? err.message }, 'room worker failed');
      die(`failed: ${err.message}`);
    });
    this.worker.on('exit', (code) => die(`exited (${code})`));
  }

  post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (!this.dead) this.worker.postMessage(m, transfer);
  }

  get busy(): boolean {
    return this.rooms.size > 0 || this.pending.size > 0;
  }

  request(m: DistributiveOmit<Extract<ToWorker, { req: number }>, 'req'>, transfer?: ArrayBuffer[]): Promise<Reply> {
    if (this.dead) return Promise.reject(new Error(`room worker ${this.index} ${this.dead}`));
    const req = this.reqSeq++;
    if (this.pending.size === 0) this.lastSeen = performance.now(); // the watchdog starts now
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(req)) return;
        reject(new Error(`room worker ${this.index} did not answer ${m.t} within ${this.opts.requestTimeoutMs} ms`));
        // a room created after all must not run unseen
        if ((m.t === 'create' || m.t === 'restore') && !this.dead) this.post({ t: 'remove', code: m.opts.code, reason: 'timeout' });
      }, this.opts.requestTimeoutMs);
      timer.unref();
      this.pending.set(req, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.post({ ...m, req } as ToWorker, transfer);
    });
  }

  private onMessage(m: FromWorker): void {
    if (isMuxBatch(m)) {
      this.mux.receive(m);
      return;
    }
    const { metrics, log } = this.sink;
    switch (m.t) {
      case 'reply': {
        const p = this.pending.get(m.req);
        if (!p) return;
        this.pending.delete(m.req);
        if (m.ok) p.resolve(m);
        else p.reject(new Error(m.error));
        break;
      }
      case 'ev': {
        const room = this.rooms.get(m.code);
        if (!room) return;
        const e = m as RoomEvent;
        if (e.ev === 'join') room.emit('join', e.id, e.name);
        else if (e.ev === 'leave') room.emit('leave', e.id, e.reason);
        else if (e.ev === 'empty') room.emit('empty');
        else if (e.ev === 'error') room.emit('error', new Error(e.reason));
        else if (e.ev === 'mode') room.mode = e.mode;
        break;
      }
      case 'stats': {
        for (const ms of m.tickMs) observeTick(metrics, ms);
        for (const ms of m.luaMs) metrics.luaSeconds.observe(ms / 1000);
        for (let i = 0; i + 3 < m.steps.length; i += 4) observeStep(metrics, m.steps[i], m.steps[i + 1], m.steps[i + 3]);
        if (m.tickErrors) metrics.errors.inc({ kind: 'tick' }, m.tickErrors);
        if (m.scriptErrors) metrics.errors.inc({ kind: 'script' }, m.scriptErrors);
        this.stats = { droppedSteps: m.droppedSteps, lagMs: m.lagMs, paused: m.paused, steps: this.stats.steps + m.steps.length / 4 };
        if (m.players) {
          for (const [code, n] of Object.entries(m.players)) {
            const room = this.rooms.get(code);
            if (room) room.players = n;
          }
        }
        break;
      }
      case 'checkpoint': {
        const room = this.rooms.get(m.code);
        if (room) room.lastCheckpoint = m.blob;
        break;
      }
      case 'log':
        log[m.level]({ worker: this.index, code: m.code, err: m.err }, m.msg);
        break;
      case 'stopped':
        break;
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Rooms in `size` worker threads (started on first use, restarted if one dies). */
export class RoomPool implements RoomRunner {
  private slots: (WorkerSlot | null)[];
  private readonly opts: Required<RoomPoolOptions>;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    readonly size: number,
    private readonly init: Omit<WorkerInit, 'index'>,
    private readonly sink: Sink,
    opts: RoomPoolOptions = {},
  ) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error('RoomPool: size must be an integer >= 1');
    this.slots = new Array(size).fill(null);
    this.opts = { workerUrl: opts.workerUrl ?? DEFAULT_WORKER_URL, hangMs: opts.hangMs ?? 10_000, requestTimeoutMs: opts.requestTimeoutMs ?? 20_000 };
    // A hung worker (a bug, not Lua: the rules have an instruction budget) takes its rooms
    // with it; terminating it restarts them from their checkpoints in a fresh one.
    this.watchdog = setInterval(() => {
      const now = performance.now();
      for (const w of this.slots) {
        if (!w || w.dead || w.stopping || !w.busy) continue;
        if (now - w.lastSeen > this.opts.hangMs) {
          this.sink.metrics.errors.inc({ kind: 'worker_hung' });
          this.sink.log.error({ worker: w.index, silentMs: Math.round(now - w.lastSeen) }, 'room worker unresponsive: terminating it');
          void w.worker.terminate();
        }
      }
    }, Math.max(50, Math.min(1000, this.opts.hangMs / 4)));
    this.watchdog.unref();
  }

  get stats(): SchedulerStats {
    const s: SchedulerStats = { droppedSteps: 0, lagMs: 0, steps: 0, paused: 0 };
    for (const w of this.slots) {
      if (!w) continue;
      s.droppedSteps += w.stats.droppedSteps;
      s.lagMs = Math.max(s.lagMs, w.stats.lagMs);
      s.steps += w.stats.steps;
      s.paused += w.stats.paused;
    }
    return s;
  }

  /** Kill a worker as a crash would (tests, operations): its rooms get 'crashed'. */
  terminateWorker(index: number): Promise<number> {
    const w = this.slots[index];
    if (!w) return Promise.reject(new Error(`no running worker ${index}`));
    return w.worker.terminate();
  }

  /** Rooms per worker (tests, metrics). */
  get roomsPerWorker(): number[] {
    return this.slots.map((w) => (w ? w.rooms.size : 0));
  }

  /** Workers running now. */
  get running(): number {
    return this.slots.filter((w) => w && !w.dead).length;
  }

  /** Per-worker gauges (called when /metrics is scraped). */
  updateGauges(): void {
    this.slots.forEach((w, i) => this.sink.metrics.workerRooms.set({ worker: String(i) }, w && !w.dead ? w.rooms.size : -1));
  }

  /** The worker with the fewest rooms (started if needed). */
  private pick(): WorkerSlot {
    let best = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const n = this.slots[i]?.rooms.size ?? 0;
      if (best < 0 || n < (this.slots[best]?.rooms.size ?? 0)) best = i;
    }
    let w = this.slots[best];
    if (!w || w.dead) {
      this.sink.metrics.workerStarts.inc();
      w = new WorkerSlot(
        best,
        { ...this.init, index: best },
        this.sink,
        (dead) => {
          if (this.slots[dead.index] === dead) this.slots[dead.index] = null;
        },
        this.opts,
      );
      this.slots[best] = w;
    }
    return w;
  }

  private async start(w: WorkerSlot, code: string, reply: Promise<Reply>): Promise<ServerRoomHost> {
    const r = await reply;
    const room = new RemoteRoom(code, r.mode ?? '', r.players ?? 0, w);
    if (w.dead) throw new Error(`room worker ${w.index} ${w.dead}`);
    w.rooms.set(code, room);
    return room;
  }

  create(opts: HostOptions): Promise<ServerRoomHost> {
    const w = this.pick();
    return this.start(w, opts.code, w.request({ t: 'create', opts }));
  }

  restore(blob: Uint8Array, opts: HostOptions): Promise<ServerRoomHost> {
    const w = this.pick();
    const copy = blob.slice();
    return this.start(w, opts.code, w.request({ t: 'restore', blob: copy, opts }, [copy.buffer as ArrayBuffer]));
  }

  async close(reason: string): Promise<void> {
    clearInterval(this.watchdog);
    const live = this.slots.filter((w): w is WorkerSlot => w !== null && !w.dead);
    await Promise.all(
      live.map(async (w) => {
        w.stopping = true;
        w.mux.flush();
        const stopped = new Promise<void>((resolve) => {
          const onMsg = (m: FromWorker) => {
            if (!isMuxBatch(m) && m.t === 'stopped') resolve();
          };
          w.worker.on('message', onMsg);
          w.worker.once('exit', () => resolve());
        });
        w.post({ t: 'stop', reason });
        await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000).unref())]);
        // the worker's last frames (close messages) were handled before 'stopped'
        await w.worker.terminate();
      }),
    );
    this.slots.fill(null);
  }
}
