/**
 * GameClient: the protocol client over any Connection (used by the browser app and by the
 * server's load-test bots). hello/welcome, snapshot decode + acks, interpolation buffer for
 * rendering, prediction + reconciliation of the own player, ping/RTT, roster, messages.
 *
 * Drive it with update(now) (every animation frame, or a timer for bots): it advances the
 * local 60 Hz input clock, sends one input per local tick (or an ack when idle) and pings.
 */
import type { Connection, Frame } from '../net/transport';
import type { EntityView, GameAction, PlayerId } from '../sim/types';
import {
  PROTOCOL_VERSION,
  MAX_EARLIER_INPUTS,
  decodeServerMessage,
  encodeClientMessage,
  wireAxis,
  type ClientMessage,
  type Encoding,
  type ErrorMsg,
  type InputMsg,
  type ModResultMsg,
  type RosterMsg,
  type ServerMessage,
  type WelcomeMsg,
} from '../protocol';
import { SnapshotDecoder, toViews, type QEntity } from '../snapshot';
import { InterpolationBuffer } from './interpolation';
import { Predictor } from './prediction';
import { TICK_HZ, ZONE_MULTIPLIERS, type MovementModel, type MoveWorld } from './movement';

export interface GameClientOptions {
  name: string;
  /** session token from an earlier welcome: reconnect to one's own slot */
  token?: string;
  hostToken?: string;
  encoding?: Encoding;
  now?: () => number;
  /** interpolation delay, ms (default 100) */
  interpDelayMs?: number;
  /** predict the own player (default true) */
  predict?: boolean;
  movement?: MovementModel;
  /** send idle (0,0) inputs only this many ticks after the last non-zero one (default 6) */
  idleInputTicks?: number;
  /**
   * Binary encoding: an unchanged input waits until this many ticks' inputs are pending, then
   * one message carries them all (InputMsg.earlier); a changed input, or a snapshot ack to carry,
   * goes at once. The host still applies one input per tick (and counts a held input as the
   * next seq while it waits), so prediction is as exact as with one message per tick
   * (tests/unit/client-latency.test.ts, input-batching.test.ts). Default 2: ≈ 40 messages/s
   * instead of 60 while a key is held; 3: ≈ 20/s, but the host applies inputs ≈ 2 ticks later.
   * 1 = one message per tick (always so in JSON mode).
   */
  inputEvery?: number;
  /** ping interval, ms (default 1000; 0 = never) */
  pingIntervalMs?: number;
  /** max local ticks caught up in one update() (default 6) */
  maxCatchUpTicks?: number;
}

export interface GameClientEvents {
  welcome: (w: WelcomeMsg) => void;
  snapshot: (tick: number) => void;
  roster: (r: RosterMsg) => void;
  message: (text: string) => void;
  mod_result: (r: ModResultMsg) => void;
  script_error: (e: { script: string; line?: number; message: string }) => void;
  mode: (mode: string) => void;
  error: (e: ErrorMsg) => void;
  kicked: (reason: string) => void;
  host_left: () => void;
  room_closed: (reason: string) => void;
  close: (reason: string) => void;
}

type Listeners = { [E in keyof GameClientEvents]: GameClientEvents[E][] };

const defaultNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class GameClient {
  readonly encoding: Encoding;
  welcome: WelcomeMsg | null = null;
  roster: RosterMsg | null = null;
  mode: string | null = null;
  closed = false;
  closeReason: string | null = null;
  /** smoothed round-trip time in ms (null until the first pong) */
  rtt: number | null = null;
  /** newest snapshot tick decoded */
  lastTick = -1;
  /** lastInputSeq of the newest snapshot */
  lastInputSeq = 0;
  /** raw state of the newest snapshot (not interpolated) */
  latest: EntityView[] = [];
  readonly interp: InterpolationBuffer;
  readonly predictor: Predictor;
  /** counters */
  stats = { snapshots: 0, fullSnapshots: 0, snapshotBytes: 0, bytesIn: 0, framesIn: 0, inputsSent: 0, decodeErrors: 0, staleSnapshots: 0 };
  /** the last frame or snapshot that could not be decoded, for diagnostics */
  lastDecodeError: string | null = null;
  messages: string[] = [];
  errors: ErrorMsg[] = [];

  private readonly now: () => number;
  private readonly predict: boolean;
  private readonly idleInputTicks: number;
  private readonly inputEvery: number;
  /** Inputs of local ticks not sent yet (oldest first) and the last one sent. */
  private unsent: { seq: number; dx: number; dy: number }[] = [];
  private sentDx = NaN;
  private sentDy = NaN;
  private readonly pingIntervalMs: number;
  private readonly maxCatchUpTicks: number;
  private readonly decoder = new SnapshotDecoder(64);
  private listeners: Listeners = {
    welcome: [],
    snapshot: [],
    roster: [],
    message: [],
    mod_result: [],
    script_error: [],
    mode: [],
    error: [],
    kicked: [],
    host_left: [],
    room_closed: [],
    close: [],
  };
  private input = { dx: 0, dy: 0 };
  private seq = 0;
  private idleTicks = Infinity;
  private localTickTime: number | null = null;
  private lastRenderTime: number | null = null;
  private ackPending: number | null = null;
  private lastPingAt = -Infinity;
  private prevState: { tick: number; state: QEntity[] } | null = null;

  constructor(
    readonly conn: Connection,
    readonly opts: GameClientOptions,
  ) {
    this.encoding = opts.encoding ?? 'binary';
    this.now = opts.now ?? defaultNow;
    this.predict = opts.predict ?? true;
    this.idleInputTicks = opts.idleInputTicks ?? 6;
    this.inputEvery = this.encoding === 'binary' ? Math.min(MAX_EARLIER_INPUTS + 1, Math.max(1, Math.floor(opts.inputEvery ?? 2))) : 1;
    this.pingIntervalMs = opts.pingIntervalMs ?? 1000;
    this.maxCatchUpTicks = opts.maxCatchUpTicks ?? 6;
    this.interp = new InterpolationBuffer({ delayMs: opts.interpDelayMs ?? 100, tickHz: TICK_HZ });
    this.predictor = new Predictor({ model: opts.movement });
    conn.onMessage((f) => this.onFrame(f));
    conn.onClose((reason) => this.onClosed(reason));
    const hello: ClientMessage = { type: 'hello', name: opts.name, encoding: this.encoding, v: PROTOCOL_VERSION };
    if (opts.token) hello.token = opts.token;
    if (opts.hostToken) hello.hostToken = opts.hostToken;
    this.send(hello);
  }

  get playerId(): PlayerId | null {
    return this.welcome?.playerId ?? null;
  }

  get token(): string | null {
    return this.welcome?.token ?? null;
  }

  get isHost(): boolean {
    return this.welcome?.isHost ?? false;
  }

  get joined(): boolean {
    return this.welcome !== null && !this.closed;
  }

  on<E extends keyof GameClientEvents>(event: E, cb: GameClientEvents[E]): () => void {
    (this.listeners[event] as GameClientEvents[E][]).push(cb);
    return () => {
      const arr = this.listeners[event] as GameClientEvents[E][];
      const i = arr.indexOf(cb);
      if (i >= 0) arr.splice(i, 1);
    };
  }

  private emit<E extends keyof GameClientEvents>(event: E, ...args: Parameters<GameClientEvents[E]>): void {
    for (const cb of this.listeners[event] as ((...a: Parameters<GameClientEvents[E]>) => void)[]) cb(...args);
  }

  /** Resolves on welcome; rejects on error-before-welcome or close. */
  ready(): Promise<WelcomeMsg> {
    if (this.welcome) return Promise.resolve(this.welcome);
    const early = this.errors[0];
    if (early) return Promise.reject(Object.assign(new Error(`${early.code}: ${early.message}`), { code: early.code }));
    if (this.closed) return Promise.reject(Object.assign(new Error(`closed: ${this.closeReason}`), { code: 'closed' }));
    return new Promise((resolve, reject) => {
      const offs: (() => void)[] = [];
      const done = (): void => offs.forEach((o) => o());
      offs.push(this.on('welcome', (w) => (done(), resolve(w))));
      offs.push(this.on('error', (e) => (done(), reject(Object.assign(new Error(`${e.code}: ${e.message}`), { code: e.code })))));
      offs.push(this.on('close', (r) => (done(), reject(Object.assign(new Error(`closed: ${r}`), { code: 'closed' })))));
    });
  }

  send(msg: ClientMessage): void {
    if (this.closed) return;
    // inputs go reliable (a lost input would desync the prediction); acks may be lost
    this.conn.send(encodeClientMessage(msg, this.encoding), msg.type === 'ack' ? 'unreliable' : 'reliable');
  }

  /** The held input direction (-1..1 per axis); sent and predicted by update(). */
  setInput(dx: number, dy: number): void {
    this.input = { dx: Math.max(-1, Math.min(1, dx || 0)), dy: Math.max(-1, Math.min(1, dy || 0)) };
  }

  get currentInput(): { dx: number; dy: number } {
    return { ...this.input };
  }

  action(a: GameAction): void {
    this.send({ ...a, type: 'action' } as ClientMessage);
  }

  setMode(mode: string): void {
    this.send({ type: 'set_mode', mode });
  }

  loadMod(name: string, code: string): void {
    this.send({ type: 'load_mod', name, code });
  }

  kick(player: PlayerId, reason?: string): void {
    this.send(reason ? { type: 'kick', player, reason } : { type: 'kick', player });
  }

  ping(): void {
    this.lastPingAt = this.now();
    this.send({ type: 'ping', t: this.lastPingAt });
  }

  /** Leave the room for good (the slot is freed at once) and close. */
  leave(): void {
    this.send({ type: 'leave' });
    this.close('left');
  }

  close(reason = 'client closed'): void {
    if (this.closed) return;
    this.conn.close(1000, reason);
    this.onClosed(reason);
  }

  /**
   * Advance the client: one input per elapsed local tick (predicted at once), an ack if no
   * input carried it, a ping every pingIntervalMs, and the smoothing decay.
   */
  update(now = this.now()): void {
    if (this.closed) return;
    if (this.lastRenderTime !== null) this.predictor.decay(now - this.lastRenderTime);
    this.lastRenderTime = now;
    if (!this.welcome) return;
    const tickMs = 1000 / TICK_HZ;
    if (this.localTickTime === null) this.localTickTime = now;
    let n = Math.floor((now - this.localTickTime) / tickMs);
    if (n > this.maxCatchUpTicks) {
      this.localTickTime = now - this.maxCatchUpTicks * tickMs;
      n = this.maxCatchUpTicks;
    }
    for (let i = 0; i < n; i++) {
      this.localTickTime += tickMs;
      this.inputTick();
    }
    if (this.ackPending !== null && this.encoding === 'binary') {
      this.send({ type: 'ack', tick: this.ackPending });
      this.ackPending = null;
    }
    if (this.pingIntervalMs > 0 && now - this.lastPingAt >= this.pingIntervalMs) this.ping();
  }

  private inputTick(): void {
    const dx = wireAxis(this.input.dx);
    const dy = wireAxis(this.input.dy);
    const idle = dx === 0 && dy === 0;
    this.idleTicks = idle ? this.idleTicks + 1 : 0;
    if (idle && this.idleTicks > this.idleInputTicks) return; // nothing new to say
    const seq = ++this.seq;
    if (this.predict) this.predictor.applyInput({ seq, dx, dy });
    this.unsent.push({ seq, dx, dy });
    const ackable = this.ackPending !== null && this.encoding === 'binary';
    const changed = dx !== this.sentDx || dy !== this.sentDy;
    if (!changed && !ackable && this.unsent.length < this.inputEvery) return;
    const pending = this.unsent;
    this.unsent = [];
    const msg: InputMsg = { type: 'input', seq, dx, dy };
    if (pending.length > 1) msg.earlier = pending.slice(0, -1).map((i) => [i.dx, i.dy] as [number, number]);
    if (ackable) {
      msg.ack = this.ackPending!;
      this.ackPending = null;
    }
    this.send(msg);
    this.sentDx = dx;
    this.sentDy = dy;
    this.stats.inputsSent++;
  }

  /** The own player's drawn position at local time `renderTime` (predicted, smoothed). */
  selfPosition(renderTime = this.now()): { x: number; y: number } | null {
    const alpha = this.localTickTime === null ? 1 : (renderTime - this.localTickTime) / (1000 / TICK_HZ);
    return this.predictor.renderedAt(alpha);
  }

  /** World state to draw at local time `renderTime`: interpolated, own player predicted. */
  interpolated(renderTime = this.now()): EntityView[] {
    const ents = this.interp.sample(renderTime);
    const me = this.playerId;
    if (!this.predict || !me) return ents;
    const p = this.selfPosition(renderTime);
    if (!p) return ents;
    const st = this.predictor.predicted!;
    for (const e of ents) {
      if (e.kind === 'player' && e.owner === me) {
        e.x = p.x;
        e.y = p.y;
        e.vx = st.vx;
        e.vy = st.vy;
      }
    }
    return ents;
  }

  /** The own player's entity in the newest snapshot (authoritative, not predicted). */
  self(): EntityView | undefined {
    const me = this.playerId;
    return me ? this.latest.find((e) => e.kind === 'player' && e.owner === me) : undefined;
  }

  // ------------------------------------------------------------------ receive

  private onFrame(frame: Frame): void {
    if (this.closed) return;
    this.stats.framesIn++;
    this.stats.bytesIn += typeof frame === 'string' ? frame.length : frame.byteLength;
    const r = decodeServerMessage(frame);
    if (!r.ok) {
      this.stats.decodeErrors++;
      this.lastDecodeError = `${r.error.code}: ${r.error.message}`;
      return;
    }
    this.handle(r.msg, frame);
  }

  private handle(m: ServerMessage, frame: Frame): void {
    switch (m.type) {
      case 'welcome':
        this.welcome = m;
        this.mode = m.mode;
        this.decoder.reset();
        this.prevState = null;
        this.interp.clear();
        this.predictor.reset();
        this.localTickTime = null;
        this.emit('welcome', m);
        return;
      case 'snapshot_bin': {
        if (!this.welcome) return; // not in a session yet
        const res = this.decoder.apply(m);
        if (!res.ok) {
          if (res.reason === 'stale') this.stats.staleSnapshots++;
          else {
            this.stats.decodeErrors++;
            this.lastDecodeError = `${res.reason}: ${res.message}`;
          }
          return;
        }
        this.stats.snapshotBytes += (frame as Uint8Array).byteLength;
        if (res.full) this.stats.fullSnapshots++;
        this.ackPending = res.tick;
        const prev = this.prevState;
        const views = toViews(res.state, prev?.state, prev ? res.tick - prev.tick : 0);
        this.prevState = { tick: res.tick, state: res.state };
        this.onState(res.tick, res.lastInputSeq, views);
        return;
      }
      case 'snapshot':
        if (!this.welcome || m.tick <= this.lastTick) return;
        this.stats.snapshotBytes += typeof frame === 'string' ? frame.length : 0;
        this.onState(m.tick, m.lastInputSeq, m.entities.map((e) => ({ ...e })).sort((a, b) => a.id - b.id));
        return;
      case 'roster':
        this.roster = m;
        this.mode = m.mode;
        this.emit('roster', m);
        return;
      case 'message':
        this.messages.push(m.text);
        if (this.messages.length > 100) this.messages.shift();
        this.emit('message', m.text);
        return;
      case 'mod_result':
        this.emit('mod_result', m);
        return;
      case 'script_error':
        this.emit('script_error', m.error);
        return;
      case 'mode':
        this.mode = m.mode;
        this.emit('mode', m.mode);
        return;
      case 'error':
        this.errors.push(m);
        if (this.errors.length > 100) this.errors.shift();
        this.emit('error', m);
        return;
      case 'kicked':
        this.emit('kicked', m.reason);
        return;
      case 'host_left':
        this.emit('host_left');
        return;
      case 'room_closed':
        this.emit('room_closed', m.reason);
        return;
      case 'ping':
        this.send({ type: 'pong', t: m.t });
        return;
      case 'pong': {
        const sample = this.now() - m.t;
        if (sample >= 0 && sample < 60_000) this.rtt = this.rtt === null ? sample : this.rtt + (sample - this.rtt) * 0.2;
        return;
      }
    }
  }

  private onState(tick: number, lastInputSeq: number, entities: EntityView[]): void {
    this.stats.snapshots++;
    this.lastTick = tick;
    this.lastInputSeq = lastInputSeq;
    this.latest = entities;
    this.interp.push(tick, entities, this.now());
    const me = this.playerId;
    if (this.predict && me) {
      const self = entities.find((e) => e.kind === 'player' && e.owner === me);
      if (self) {
        this.predictor.world = this.moveWorld(entities, self.r);
        this.predictor.reconcile({ x: self.x, y: self.y, vx: self.vx, vy: self.vy }, lastInputSeq, self.flags);
      }
    }
    this.emit('snapshot', tick);
  }

  private moveWorld(entities: EntityView[], radius: number): MoveWorld | null {
    const arena = this.welcome?.arena;
    if (!arena) return null;
    const walls = entities.filter((e) => e.kind === 'wall').map((w) => ({ x: w.x, y: w.y, hw: w.r, hh: w.h }));
    const zones = entities
      .filter((e) => e.kind === 'zone' && e.variant !== undefined && ZONE_MULTIPLIERS[e.variant] !== undefined)
      .map((z) => ({ x: z.x, y: z.y, r: z.r, mult: ZONE_MULTIPLIERS[z.variant!] }));
    return { width: arena.width, height: arena.height, radius, walls, zones };
  }

  private onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.emit('close', reason);
  }
}

