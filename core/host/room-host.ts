/**
 * RoomHost: the authoritative side of one room (contract: core/host/types.ts). Owns a
 * Simulation, accepts Connections of any transport, speaks core/protocol, sends delta
 * snapshots (core/snapshot). Runtime-agnostic: the browser host runs it in a Web Worker, the
 * server for server-hosted rooms and after a takeover (RoomHost.restore).
 */
import type { Connection, Frame } from '../net/transport';
import type { GameAction, PlayerId, ScriptError, Simulation } from '../sim/types';
import type { WasmSource } from '../physics/types';
import { restoreSimulation } from '../sim/simulation';
import type { HostTickTelemetry, RoomHostApi, RoomHostEvents, RoomHostOptions, RoomLimits } from './types';
import {
  PROTOCOL_VERSION,
  decodeClientMessage,
  encodeJsonSnapshot,
  encodeServerMessage,
  encodeSnapshotFrame,
  frameBytes,
  type ClientMessage,
  type Encoding,
  type ErrorCode,
  type HelloMsg,
  type RosterMsg,
  type ServerMessage,
} from '../protocol';
import { SnapshotEncoder, toViews } from '../snapshot';
import { utf8Decode, utf8Encode } from '../protocol/bytes';

export const TICK_HZ = 60;
export const TICK_MS = 1000 / TICK_HZ;

export const DEFAULT_LIMITS: Required<RoomLimits> = {
  maxPlayers: 16,
  maxMessageBytes: 4096,
  maxMessagesPerSecond: 120,
  reconnectGraceMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxModBytes: 128 * 1024,
};

/** A connection must say hello within this time. */
export const HELLO_TIMEOUT_MS = 10_000;
/** Snapshot baselines kept per room (1.6 s at 20 Hz). */
export const SNAPSHOT_RING = 32;
/** Inputs queued per player (one is applied per tick; older ones dropped beyond this). */
export const MAX_INPUT_QUEUE = 8;
/** Ticks a moving input may be held as the client's next seqs before a new input arrives. */
export const MAX_HELD_TICKS = 2;
/** Oversize frames tolerated before the connection is closed. */
export const MAX_OVERSIZE = 3;
/** Max script errors forwarded to host connections per tick. */
const MAX_SCRIPT_ERRORS_PER_TICK = 4;

type ServerJsonMessage = Exclude<ServerMessage, { type: 'snapshot_bin' } | { type: 'snapshot' }>;
type ScriptErrorView = Extract<ServerMessage, { type: 'script_error' }>['error'];

interface Slot {
  id: PlayerId;
  num: number;
  name: string;
  token: string;
  /** the live connection; null while in the reconnect grace period */
  conn: ConnState | null;
  disconnectedAt: number;
  inputs: { seq: number; dx: number; dy: number }[];
  /** highest client seq received (duplicates/out-of-order are ignored) */
  recvSeq: number;
  /** client seq of the last input handed to the simulation (reported as lastInputSeq) */
  appliedSeq: number;
  /**
   * Ticks in a row the last (moving) input was held without a new one arriving: each counts as
   * that client seq repeated (appliedSeq + 1), as the client, which sends unchanged inputs only
   * every few ticks, predicted it. At most MAX_HELD_TICKS, then appliedSeq waits. Only for a
   * client that batches (has sent InputMsg.earlier): others number messages, not ticks.
   */
  held: number;
  batching: boolean;
  /** the last input applied (held on ticks without a new one) */
  lastDx: number;
  lastDy: number;
  /** monotonic seq used towards the Simulation (survives reconnects with fresh client seqs) */
  simSeq: number;
  pingMs: number;
}

/** A slot's input bookkeeping for a new connection (its client numbers inputs from 1). */
function freshInputs(): Pick<Slot, 'inputs' | 'recvSeq' | 'appliedSeq' | 'held' | 'batching' | 'lastDx' | 'lastDy'> {
  return { inputs: [], recvSeq: 0, appliedSeq: 0, held: 0, batching: false, lastDx: 0, lastDy: 0 };
}

interface ConnState {
  conn: Connection;
  slot: Slot | null;
  encoding: Encoding;
  isHost: boolean;
  closed: boolean;
  attachedAt: number;
  tokens: number;
  lastRefill: number;
  drops: { at: number; n: number }[];
  lastRateErrorAt: number;
  oversize: number;
  ackTick: number | null;
  lastSnapshotTick: number;
  lastPingSentAt: number;
}

function randomToken(bytes = 16): string {
  const b = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Constant-time string comparison (host token). */
function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

const defaultNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Serialized room: magic, meta JSON, simulation blob. */
const MAGIC = [0x52, 0x48, 0x53, 0x31]; // "RHS1"

interface SerializedMeta {
  v: 1;
  code: string;
  snapshotHz: number;
  slots: { id: PlayerId; num: number; name: string; token: string; simSeq: number }[];
}

export interface RestoreOptions extends Omit<RoomHostOptions, 'sim' | 'code'> {
  code?: string;
  /** Simulation restore (default: restoreSimulation from core/sim/simulation). */
  restoreSim?: (blob: Uint8Array, wasm: WasmSource) => Promise<Simulation>;
}

export class RoomHost implements RoomHostApi {
  readonly code: string;
  readonly sim: Simulation;
  readonly limits: Required<RoomLimits>;
  readonly snapshotHz: number;
  private readonly hostToken: string;
  private readonly now: () => number;
  private readonly snapshotEvery: number;
  private readonly snapshotPhase: number;
  private readonly encoder = new SnapshotEncoder(SNAPSHOT_RING);
  private conns: ConnState[] = [];
  private slots: Slot[] = [];
  private listeners: { [E in keyof RoomHostEvents]: RoomHostEvents[E][] } = {
    telemetry: [],
    join: [],
    leave: [],
    empty: [],
    error: [],
    roster: [],
  };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private closedReason: string | null = null;
  private lastRosterKey = '';
  private lastRosterAt = -Infinity;
  private rosterDirty = true;
  private wasEmpty = true;
  /** counters for telemetry/tests */
  readonly stats = { ticks: 0, snapshotBytes: 0, snapshotsSent: 0, closedFlooders: 0, closedSlow: 0, lateTicksSkipped: 0 };

  constructor(opts: RoomHostOptions) {
    this.sim = opts.sim;
    this.code = opts.code;
    this.hostToken = opts.hostToken;
    this.snapshotHz = opts.snapshotHz ?? 20;
    if (!(this.snapshotHz > 0 && this.snapshotHz <= TICK_HZ)) throw new Error(`snapshotHz must be in (0, ${TICK_HZ}]`);
    this.snapshotEvery = Math.max(1, Math.round(TICK_HZ / this.snapshotHz));
    const phase = opts.snapshotPhase ?? 0;
    if (!Number.isInteger(phase) || phase < 0) throw new Error('snapshotPhase must be an integer >= 0');
    this.snapshotPhase = phase % this.snapshotEvery;
    this.limits = { ...DEFAULT_LIMITS, ...stripUndefined(opts.limits ?? {}) };
    this.now = opts.now ?? defaultNow;
  }

  /** Rebuild a room from serialize() output (takeover by the server, or a host migration). */
  static async restore(blob: Uint8Array, wasm: WasmSource, opts: RestoreOptions): Promise<RoomHost> {
    const { meta, simBlob } = RoomHost.parseSerialized(blob);
    const restoreSim = opts.restoreSim ?? restoreSimulation;
    const sim = await restoreSim(simBlob, wasm);
    const host = new RoomHost({ ...opts, sim, code: opts.code ?? meta.code, snapshotHz: opts.snapshotHz ?? meta.snapshotHz });
    host.adoptSlots(meta);
    return host;
  }

  /** Split a serialized room into its meta data and simulation blob. Throws on a bad blob. */
  static parseSerialized(blob: Uint8Array): { meta: SerializedMeta; simBlob: Uint8Array } {
    if (blob.byteLength < 8 || MAGIC.some((m, i) => blob[i] !== m)) throw new Error('not a serialized room (bad magic)');
    const len = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(4, true);
    if (8 + len > blob.byteLength) throw new Error('serialized room truncated');
    const meta = JSON.parse(utf8Decode(blob.subarray(8, 8 + len))) as SerializedMeta;
    if (meta.v !== 1 || typeof meta.code !== 'string' || !Array.isArray(meta.slots)) throw new Error('serialized room: bad meta');
    return { meta, simBlob: blob.slice(8 + len) };
  }

  private adoptSlots(meta: SerializedMeta): void {
    const now = this.now();
    const simPlayers = new Map(this.sim.players().map((p) => [p.id, p]));
    for (const s of meta.slots) {
      const p = simPlayers.get(s.id);
      if (!p) continue; // the simulation no longer has this player
      this.slots.push({
        id: s.id,
        num: s.num,
        name: s.name,
        token: s.token,
        conn: null,
        disconnectedAt: now,
        ...freshInputs(),
        simSeq: Math.max(s.simSeq, p.lastInputSeq),
        pingMs: 0,
      });
      this.sim.setConnected(s.id, false);
    }
    this.wasEmpty = this.slots.length === 0;
    this.rosterDirty = true;
  }

  get playerCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.conn) n++;
    return n;
  }

  /** Slots including players in their reconnect grace period. */
  get slotCount(): number {
    return this.slots.length;
  }

  get connectionCount(): number {
    return this.conns.length;
  }

  get isRunning(): boolean {
    return this.running;
  }

  on<E extends keyof RoomHostEvents>(event: E, cb: RoomHostEvents[E]): void {
    (this.listeners[event] as RoomHostEvents[E][]).push(cb);
  }

  private emit<E extends keyof RoomHostEvents>(event: E, ...args: Parameters<RoomHostEvents[E]>): void {
    for (const cb of this.listeners[event] as ((...a: Parameters<RoomHostEvents[E]>) => void)[]) {
      try {
        cb(...args);
      } catch (e) {
        if (event !== 'error') this.emit('error', e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  // ------------------------------------------------------------------ connections

  attach(conn: Connection): void {
    if (this.closedReason !== null) {
      conn.send(encodeServerMessage({ type: 'room_closed', reason: this.closedReason }));
      conn.close(1001, 'room closed');
      return;
    }
    const now = this.now();
    const cs: ConnState = {
      conn,
      slot: null,
      encoding: 'binary',
      isHost: false,
      closed: false,
      attachedAt: now,
      tokens: this.limits.maxMessagesPerSecond,
      lastRefill: now,
      drops: [],
      lastRateErrorAt: -Infinity,
      oversize: 0,
      ackTick: null,
      lastSnapshotTick: -1,
      lastPingSentAt: now,
    };
    this.conns.push(cs);
    conn.onMessage((frame) => {
      try {
        this.onFrame(cs, frame);
      } catch (e) {
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
        this.sendError(cs, 'internal', 'internal error');
      }
    });
    conn.onClose((reason) => this.onConnClosed(cs, reason));
  }

  private sendJson(cs: ConnState, msg: ServerJsonMessage): void {
    this.sendFrame(cs, encodeServerMessage(msg), 'reliable');
  }

  private sendFrame(cs: ConnState, frame: Frame, channel: 'reliable' | 'unreliable'): boolean {
    if (cs.closed) return false;
    if (cs.conn.bufferedAmount > this.limits.maxBufferedBytes) {
      this.stats.closedSlow++;
      this.drop(cs, 'slow_consumer', 'slow consumer: send buffer over limit');
      return false;
    }
    try {
      cs.conn.send(frame, channel);
      return true;
    } catch (e) {
      this.drop(cs, 'internal', `send failed: ${(e as Error).message}`);
      return false;
    }
  }

  private sendError(cs: ConnState, code: ErrorCode, message: string): void {
    this.sendJson(cs, { type: 'error', code, message });
  }

  /** Close a connection with an error (the slot, if any, enters its grace period). */
  private drop(cs: ConnState, code: ErrorCode, message: string): void {
    if (cs.closed) return;
    if (code !== 'slow_consumer') {
      try {
        cs.conn.send(encodeServerMessage({ type: 'error', code, message }));
      } catch {
        /* closing anyway */
      }
    }
    cs.conn.close(4000, code);
    this.onConnClosed(cs, code);
  }

  private onConnClosed(cs: ConnState, reason: string): void {
    if (cs.closed) return;
    cs.closed = true;
    const i = this.conns.indexOf(cs);
    if (i >= 0) this.conns.splice(i, 1);
    const slot = cs.slot;
    if (slot && slot.conn === cs) {
      slot.conn = null;
      slot.disconnectedAt = this.now();
      slot.inputs = [];
      this.sim.setConnected(slot.id, false);
      this.rosterDirty = true;
      void reason;
    }
  }

  private rateOk(cs: ConnState, now: number): boolean {
    const rate = this.limits.maxMessagesPerSecond;
    cs.tokens = Math.min(rate, cs.tokens + ((now - cs.lastRefill) / 1000) * rate);
    cs.lastRefill = now;
    if (cs.tokens >= 1) {
      cs.tokens -= 1;
      return true;
    }
    // over the limit: drop the message; error at most once a second; close a sustained flood
    while (cs.drops.length && cs.drops[0].at < now - 2000) cs.drops.shift();
    const last = cs.drops[cs.drops.length - 1];
    if (last && last.at === now) last.n++;
    else cs.drops.push({ at: now, n: 1 });
    let dropped = 0;
    for (const d of cs.drops) dropped += d.n;
    if (dropped > rate / 2) {
      this.stats.closedFlooders++;
      this.drop(cs, 'rate_limited', `flooding: more than ${rate} messages per second`);
      return false;
    }
    if (now - cs.lastRateErrorAt >= 1000) {
      cs.lastRateErrorAt = now;
      this.sendError(cs, 'rate_limited', `too many messages (limit ${rate}/s); messages dropped`);
    }
    return false;
  }

  private onFrame(cs: ConnState, frame: Frame): void {
    if (cs.closed) return;
    const now = this.now();
    if (!this.rateOk(cs, now)) return;
    const maxBytes = cs.isHost ? Math.max(this.limits.maxModBytes, this.limits.maxMessageBytes) : this.limits.maxMessageBytes;
    const r = decodeClientMessage(frame, { maxBytes });
    if (!r.ok) {
      if (r.error.code === 'too_large' && ++cs.oversize >= MAX_OVERSIZE) {
        this.drop(cs, 'too_large', `${MAX_OVERSIZE} oversize frames (limit ${maxBytes} bytes)`);
        return;
      }
      this.sendError(cs, r.error.code, r.error.message);
      return;
    }
    const msg = r.msg;
    if (msg.type === 'hello') {
      if (cs.slot) this.sendError(cs, 'already_joined', 'already joined');
      else this.onHello(cs, msg);
      return;
    }
    if (msg.type === 'ping') {
      this.sendJson(cs, { type: 'pong', t: msg.t });
      return;
    }
    const slot = cs.slot;
    if (!slot) {
      this.sendError(cs, 'not_joined', 'say hello first');
      return;
    }
    this.onMessage(cs, slot, msg, now);
  }

  private onHello(cs: ConnState, msg: HelloMsg): void {
    if (msg.v !== undefined && msg.v !== PROTOCOL_VERSION) {
      this.drop(cs, 'bad_request', `protocol version ${msg.v} not supported (this host speaks ${PROTOCOL_VERSION})`);
      return;
    }
    cs.encoding = msg.encoding ?? 'binary';
    cs.isHost = msg.hostToken !== undefined && safeEqual(msg.hostToken, this.hostToken);
    let slot: Slot | undefined;
    let reconnected = false;
    if (msg.token) {
      const token = msg.token;
      slot = this.slots.find((s) => safeEqual(s.token, token));
      if (slot) {
        reconnected = true;
        const old = slot.conn;
        if (old && old !== cs) {
          // the same player on a new connection: the old one is replaced
          old.slot = null;
          this.sendJson(old, { type: 'kicked', reason: 'replaced by a new connection' });
          old.conn.close(4001, 'replaced');
          this.onConnClosed(old, 'replaced');
        }
      }
    }
    if (!slot) {
      if (this.slots.length >= this.limits.maxPlayers) {
        this.drop(cs, 'room_full', `room is full (${this.limits.maxPlayers} players)`);
        return;
      }
      let num = 1;
      const used = new Set(this.slots.map((s) => s.num));
      while (used.has(num)) num++;
      const id = `player_${num}`;
      try {
        this.sim.addPlayer(id, msg.name);
      } catch (e) {
        this.drop(cs, 'internal', `could not add player: ${(e as Error).message}`);
        return;
      }
      slot = {
        id,
        num,
        name: msg.name,
        token: randomToken(),
        conn: null,
        disconnectedAt: 0,
        ...freshInputs(),
        simSeq: this.sim.players().find((p) => p.id === id)?.lastInputSeq ?? 0,
        pingMs: 0,
      };
      this.slots.push(slot);
      this.slots.sort((a, b) => a.num - b.num);
    }
    slot.conn = cs;
    Object.assign(slot, freshInputs()); // a new connection numbers its inputs from scratch
    if (msg.name && reconnected) slot.name = msg.name;
    cs.slot = slot;
    cs.ackTick = null;
    this.sim.setConnected(slot.id, true);
    this.wasEmpty = false;
    this.rosterDirty = true;
    this.sendJson(cs, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      playerId: slot.id,
      token: slot.token,
      room: this.code,
      tick: this.sim.tick,
      mode: this.sim.mode,
      modes: [...this.sim.modes],
      arena: { ...this.sim.arena },
      snapshotHz: TICK_HZ / this.snapshotEvery,
      tickHz: TICK_HZ,
      isHost: cs.isHost,
      encoding: cs.encoding,
      reconnected,
    });
    // a full snapshot right away (of the newest captured state, so baselines stay consistent)
    let latest = this.encoder.ring.latest();
    if (!latest) {
      this.encoder.capture(this.sim.tick, this.sim.entities());
      latest = this.encoder.ring.latest()!;
    }
    // reliable: it must arrive after the welcome (ordering holds only within a channel)
    this.sendSnapshot(cs, latest.tick, null, 'reliable');
    this.sendRoster();
    if (!reconnected) this.emit('join', slot.id, slot.name);
  }

  private onMessage(cs: ConnState, slot: Slot, msg: ClientMessage, now: number): void {
    switch (msg.type) {
      case 'input': {
        if (msg.player_id !== undefined && msg.player_id !== slot.id) {
          this.sendError(cs, 'spoofed_player_id', `you are ${slot.id}, not ${msg.player_id}`);
          return;
        }
        if (msg.ack !== undefined) this.onAck(cs, msg.ack);
        if (msg.seq <= slot.recvSeq) return; // duplicate or reordered
        // one queued input per tick: the earlier ticks' inputs it carries first (those not seen)
        // (seqs already counted as held repeats are not applied again)
        const from = Math.max(slot.recvSeq, slot.appliedSeq);
        const earlier = msg.earlier;
        if (earlier) {
          slot.batching = true;
          for (let i = 0; i < earlier.length; i++) {
            const seq = msg.seq - earlier.length + i;
            if (seq > from) slot.inputs.push({ seq, dx: earlier[i][0], dy: earlier[i][1] });
          }
        }
        slot.recvSeq = msg.seq;
        if (msg.seq > from) slot.inputs.push({ seq: msg.seq, dx: msg.dx, dy: msg.dy });
        else if (msg.dx !== slot.lastDx || msg.dy !== slot.lastDy) {
          // a change for a tick already counted as held: apply it on the next tick
          slot.inputs.push({ seq: slot.appliedSeq, dx: msg.dx, dy: msg.dy });
        }
        while (slot.inputs.length > MAX_INPUT_QUEUE) slot.inputs.shift();
        return;
      }
      case 'ack':
        this.onAck(cs, msg.tick);
        return;
      case 'action': {
        // identity claims: player_id (legacy) or playerId must be the connection's own id
        const claimed = msg.player_id ?? msg.playerId;
        if (claimed !== undefined && claimed !== slot.id) {
          this.sendError(cs, 'spoofed_player_id', `you are ${slot.id}, not ${String(claimed)}`);
          return;
        }
        const { type: _t, player_id: _p, playerId: _q, ...rest } = msg;
        void _t;
        void _p;
        void _q;
        try {
          this.sim.action(slot.id, rest as GameAction);
        } catch (e) {
          this.sendError(cs, 'bad_request', (e as Error).message);
        }
        return;
      }
      case 'pong':
        if (msg.t <= now && now - msg.t < 60_000) slot.pingMs = Math.round(slot.pingMs ? slot.pingMs * 0.7 + (now - msg.t) * 0.3 : now - msg.t);
        return;
      case 'leave':
        this.removeSlot(slot, 'left');
        cs.conn.close(1000, 'left');
        this.onConnClosed(cs, 'left');
        return;
      case 'set_mode':
      case 'load_mod':
      case 'kick':
        if (!cs.isHost) {
          this.sendError(cs, 'not_host', `${msg.type} needs host rights`);
          return;
        }
        this.onHostCommand(cs, slot, msg);
        return;
      case 'hello':
      case 'ping':
        return; // handled before
    }
  }

  private onAck(cs: ConnState, tick: number): void {
    // only ticks actually sent to this connection can be baselines
    if (tick > cs.lastSnapshotTick) return;
    if (cs.ackTick === null || tick > cs.ackTick) cs.ackTick = tick;
  }

  private onHostCommand(cs: ConnState, slot: Slot, msg: Extract<ClientMessage, { type: 'set_mode' | 'load_mod' | 'kick' }>): void {
    if (msg.type === 'set_mode') {
      try {
        this.sim.setMode(msg.mode);
      } catch (e) {
        this.sendError(cs, 'unknown_mode', (e as Error).message);
        return;
      }
      this.broadcast({ type: 'mode', mode: this.sim.mode });
      this.rosterDirty = true;
    } else if (msg.type === 'load_mod') {
      const res = this.sim.loadScript(msg.name, msg.code);
      if (res.ok) {
        this.sendJson(cs, { type: 'mod_result', name: msg.name, ok: true });
        this.broadcast({ type: 'message', text: `Mod "${msg.name}" loaded by ${slot.name}` });
      } else {
        this.sendJson(cs, { type: 'mod_result', name: msg.name, ok: false, error: wireScriptError(res.error) });
      }
    } else {
      const target = this.slots.find((s) => s.id === msg.player);
      if (!target) {
        this.sendError(cs, 'unknown_player', `no player ${msg.player}`);
        return;
      }
      if (target === slot) {
        this.sendError(cs, 'bad_request', 'a host cannot kick itself');
        return;
      }
      const reason = msg.reason ?? 'kicked by the host';
      const tc = target.conn;
      this.removeSlot(target, 'kicked');
      if (tc) {
        this.sendJson(tc, { type: 'kicked', reason });
        tc.conn.close(4002, 'kicked');
        this.onConnClosed(tc, 'kicked');
      }
      this.broadcast({ type: 'message', text: `${target.name} was kicked` });
    }
  }

  /** Remove a player for good (leave, kick, grace expired). */
  private removeSlot(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    if (slot.conn) slot.conn.slot = null;
    slot.conn = null;
    try {
      this.sim.removePlayer(slot.id);
    } catch (e) {
      this.emit('error', e instanceof Error ? e : new Error(String(e)));
    }
    this.rosterDirty = true;
    this.emit('leave', slot.id, reason);
    if (this.slots.length === 0 && !this.wasEmpty) {
      this.wasEmpty = true;
      this.emit('empty');
    }
  }

  private broadcast(msg: ServerJsonMessage): void {
    const frame = encodeServerMessage(msg);
    for (const cs of [...this.conns]) if (cs.slot) this.sendFrame(cs, frame, 'reliable');
  }

  // ------------------------------------------------------------------ tick

  tick(): HostTickTelemetry {
    const t0 = defaultNow();
    const now = this.now();
    // housekeeping: hello timeouts, grace expiry, slow consumers
    for (const cs of [...this.conns]) {
      if (!cs.slot && now - cs.attachedAt > HELLO_TIMEOUT_MS) this.drop(cs, 'not_joined', 'no hello in time');
      else if (cs.conn.bufferedAmount > this.limits.maxBufferedBytes) {
        this.stats.closedSlow++;
        this.drop(cs, 'slow_consumer', 'slow consumer');
      }
    }
    for (const s of [...this.slots]) {
      if (!s.conn && now - s.disconnectedAt > this.limits.reconnectGraceMs) this.removeSlot(s, 'timeout');
    }
    // one queued input per player per tick
    for (const s of this.slots) {
      const inp = s.inputs.shift();
      if (!inp) {
        // no input for this tick: the player keeps its last one (the simulation holds it); a
        // moving one counts as the client's next seq, which it will send later unchanged
        if (s.batching && (s.lastDx !== 0 || s.lastDy !== 0) && s.held < MAX_HELD_TICKS && s.conn) {
          s.held++;
          s.appliedSeq++;
        }
        continue;
      }
      s.held = 0;
      s.appliedSeq = inp.seq;
      s.lastDx = inp.dx;
      s.lastDy = inp.dy;
      this.sim.setInput(s.id, { seq: ++s.simSeq, dx: inp.dx, dy: inp.dy });
    }
    const simT = this.sim.step();
    this.stats.ticks++;
    // rules messages
    for (const m of this.sim.drainMessages()) {
      if (m.to === '*') this.broadcast({ type: 'message', text: m.text });
      else {
        const s = this.slots.find((x) => x.id === m.to);
        if (s?.conn) this.sendJson(s.conn, { type: 'message', text: m.text });
      }
    }
    // runtime script errors go to the host connections (the rules keep running)
    if (simT.errors.length) {
      const frames = simT.errors
        .slice(0, MAX_SCRIPT_ERRORS_PER_TICK)
        .map((err) => encodeServerMessage({ type: 'script_error', error: wireScriptError(err) }));
      for (const cs of [...this.conns]) {
        if (!cs.isHost || !cs.slot) continue;
        for (const frame of frames) this.sendFrame(cs, frame, 'reliable');
      }
    }
    let snapshotBytes = 0;
    let snapshotsSent = 0;
    let fullSnapshots = 0;
    if (this.sim.tick % this.snapshotEvery === this.snapshotPhase) {
      const tick = this.sim.tick;
      this.encoder.capture(tick, this.sim.entities());
      let jsonEntities: string | null = null;
      for (const cs of [...this.conns]) {
        if (!cs.slot) continue;
        if (cs.encoding === 'json') jsonEntities ??= this.jsonEntities(tick);
        const r = this.sendSnapshot(cs, tick, jsonEntities);
        if (r) {
          snapshotBytes += r.bytes;
          snapshotsSent++;
          if (r.full) fullSnapshots++;
        }
      }
      this.maybeSendRoster(now);
      this.pingAll(now);
    }
    this.stats.snapshotBytes += snapshotBytes;
    this.stats.snapshotsSent += snapshotsSent;
    const tel: HostTickTelemetry = {
      ...simT,
      snapshotBytes,
      snapshotsSent,
      fullSnapshots,
      connections: this.conns.length,
      tickMs: defaultNow() - t0,
    };
    this.emit('telemetry', tel);
    return tel;
  }

  private sendSnapshot(
    cs: ConnState,
    tick: number,
    jsonEntities: string | null,
    channel: 'reliable' | 'unreliable' = 'unreliable',
  ): { bytes: number; full: boolean } | null {
    const slot = cs.slot!;
    let frame: Frame;
    let full = true;
    if (cs.encoding === 'json') {
      frame = encodeJsonSnapshot(tick, slot.appliedSeq, jsonEntities ?? this.jsonEntities(tick));
    } else {
      const { baseTick, body } = this.encoder.body(tick, cs.ackTick);
      full = baseTick === null;
      frame = encodeSnapshotFrame(tick, baseTick, slot.appliedSeq, body);
    }
    if (!this.sendFrame(cs, frame, channel)) return null;
    cs.lastSnapshotTick = tick;
    return { bytes: frameBytes(frame), full };
  }

  /** Entities of a captured tick as JSON (velocities of non-players derived as on binary clients). */
  private jsonEntities(tick: number): string {
    const prevTick = tick - this.snapshotEvery;
    return JSON.stringify(toViews(this.encoder.ring.get(tick)!, this.encoder.ring.get(prevTick), this.snapshotEvery));
  }

  roster(players: readonly { id: PlayerId; score: number }[] = this.sim.players()): RosterMsg {
    const scores = new Map(players.map((p) => [p.id, p.score]));
    return {
      type: 'roster',
      mode: this.sim.mode,
      players: this.slots.map((s) => ({
        id: s.id,
        name: s.name,
        score: scores.get(s.id) ?? 0,
        connected: s.conn !== null,
        ping: s.pingMs,
        isHost: s.conn?.isHost ?? false,
      })),
    };
  }

  /** Roster identity without pings (pings alone do not trigger a broadcast). */
  private static rosterKey(r: RosterMsg): string {
    let k = r.mode;
    for (const p of r.players) k += `|${p.id},${p.name},${p.score},${p.connected ? 1 : 0},${p.isHost ? 1 : 0}`;
    return k;
  }

  private sendRoster(r: RosterMsg = this.roster()): void {
    this.lastRosterKey = RoomHost.rosterKey(r);
    this.lastRosterAt = this.now();
    this.rosterDirty = false;
    this.lastScores = this.sim.players().map((p) => p.score);
    this.broadcast(r);
    this.emit('roster', r);
  }

  /** Scores (in the simulation's player order) when the roster was last sent. */
  private lastScores: number[] = [];

  /**
   * Every change of the roster's identity but a score sets rosterDirty (joins, leaves,
   * connects, names, host rights, mode), so between the 1 s refreshes only the scores need a
   * look: the roster and its key are built only when one changed.
   */
  private maybeSendRoster(now: number): void {
    if (this.rosterDirty || now - this.lastRosterAt >= 1000) {
      this.sendRoster();
      return;
    }
    const players = this.sim.players();
    const last = this.lastScores;
    let changed = players.length !== last.length;
    for (let i = 0; !changed && i < players.length; i++) changed = players[i].score !== last[i];
    if (!changed) return;
    const r = this.roster(players);
    if (RoomHost.rosterKey(r) !== this.lastRosterKey) this.sendRoster(r);
    else this.lastScores = players.map((p) => p.score);
  }

  /** Room summary (for the server's room list / the host link's room_info). */
  info(): { players: number; capacity: number; mode: string } {
    return { players: this.playerCount, capacity: this.limits.maxPlayers, mode: this.sim.mode };
  }

  private pingAll(now: number): void {
    for (const cs of this.conns) {
      if (!cs.slot || now - cs.lastPingSentAt < 1000) continue;
      cs.lastPingSentAt = now;
      this.sendJson(cs, { type: 'ping', t: now });
    }
  }

  // ------------------------------------------------------------------ timer

  start(): void {
    if (this.running || this.closedReason !== null) return;
    this.running = true;
    let next = this.now() + TICK_MS;
    const MAX_CATCH_UP = 4;
    const loop = (): void => {
      if (!this.running) return;
      const now = this.now();
      let ran = 0;
      while (now >= next && ran < MAX_CATCH_UP) {
        try {
          this.tick();
        } catch (e) {
          this.emit('error', e instanceof Error ? e : new Error(String(e)));
        }
        next += TICK_MS;
        ran++;
      }
      if (now - next > TICK_MS) {
        // too far behind (a stall): skip the backlog instead of spiralling
        this.stats.lateTicksSkipped += Math.floor((now - next) / TICK_MS);
        next = now + TICK_MS;
      }
      if (this.running) this.timer = setTimeout(loop, Math.max(0, next - this.now()));
    };
    this.timer = setTimeout(loop, TICK_MS);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // ------------------------------------------------------------------ state

  serialize(): Uint8Array {
    const meta: SerializedMeta = {
      v: 1,
      code: this.code,
      snapshotHz: this.snapshotHz,
      slots: this.slots.map((s) => ({ id: s.id, num: s.num, name: s.name, token: s.token, simSeq: s.simSeq })),
    };
    const metaBytes = utf8Encode(JSON.stringify(meta));
    const simBlob = this.sim.serialize();
    const out = new Uint8Array(8 + metaBytes.byteLength + simBlob.byteLength);
    out.set(MAGIC, 0);
    new DataView(out.buffer).setUint32(4, metaBytes.byteLength, true);
    out.set(metaBytes, 8);
    out.set(simBlob, 8 + metaBytes.byteLength);
    return out;
  }

  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.stop();
    const frame = encodeServerMessage({ type: 'room_closed', reason });
    for (const cs of [...this.conns]) {
      try {
        cs.conn.send(frame);
      } catch {
        /* closing anyway */
      }
      cs.conn.close(1001, reason);
      this.onConnClosed(cs, reason);
    }
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }
}

/** A simulation ScriptError as carried by mod_result / script_error (known fields only). */
function wireScriptError(err: ScriptError): ScriptErrorView {
  const e: ScriptErrorView = { script: err.script, message: err.message };
  if (err.line !== undefined) e.line = err.line;
  if (err.hook !== undefined) e.hook = err.hook;
  return e;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
