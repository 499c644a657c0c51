/**
 * Contract of the room host (core/host/room-host.ts): the authoritative side of one room,
 * runtime-agnostic. It owns a Simulation, accepts Connections of any transport, speaks the
 * protocol (core/protocol), sends delta snapshots (core/snapshot). The browser host runs it in
 * a Web Worker; the server runs it for server-hosted rooms and after a takeover.
 */
import type { Connection } from '../net/transport';
import type { Simulation, PlayerId, TickTelemetry } from '../sim/types';

export interface RoomLimits {
  maxPlayers: number; // default 16
  maxMessageBytes: number; // default 4096; larger frames get an error, or a close if repeated
  maxMessagesPerSecond: number; // default 120 per connection (token bucket)
  reconnectGraceMs: number; // default 30_000: a dropped player's slot is kept this long
  maxBufferedBytes: number; // default 1 MiB: a slower consumer is closed, not buffered forever
  /** Frame limit for connections with host rights (load_mod uploads); default 128 KiB. */
  maxModBytes?: number;
}

/** Per-tick telemetry of the room host: the simulation's plus network counters. */
export interface HostTickTelemetry extends TickTelemetry {
  /** snapshot bytes sent this tick (all clients) */
  snapshotBytes: number;
  snapshotsSent: number;
  /** full (non-delta) snapshots among them */
  fullSnapshots: number;
  connections: number;
  /** wall time of the whole tick() in ms */
  tickMs: number;
}

export interface RoomHostOptions {
  sim: Simulation;
  code: string; // room code
  hostToken: string; // secret: a connection presenting it may use host commands
  snapshotHz?: number; // default 20
  /**
   * Snapshots go out on ticks where tick % (60 / snapshotHz) === snapshotPhase % (60 / snapshotHz).
   * Default 0. A server running many rooms gives them different phases so their snapshot sends
   * do not all land in the same 60 Hz step.
   */
  snapshotPhase?: number;
  limits?: Partial<RoomLimits>;
  /** Clock in ms (injectable for tests); default performance.now/Date.now. */
  now?: () => number;
}

export interface RoomHostEvents {
  telemetry: (t: HostTickTelemetry) => void;
  join: (id: PlayerId, name: string) => void;
  leave: (id: PlayerId, reason: string) => void;
  /** No player connected (after the grace period): the owner may expire the room. */
  empty: () => void;
  error: (err: Error) => void;
  /** The roster was broadcast (on change and ~1 Hz): players, scores, pings, mode. */
  roster: (r: RosterSnapshot) => void;
}

/** Same shape as the protocol's roster message. */
export interface RosterSnapshot {
  type: 'roster';
  mode: string;
  players: { id: PlayerId; name: string; score: number; connected: boolean; ping: number; isHost?: boolean }[];
}

export interface RoomHostApi {
  readonly code: string;
  readonly sim: Simulation;
  /** Connected players (excluding ones in their grace period). */
  readonly playerCount: number;
  /** Hand a fresh connection to the room; it must say `hello` first. */
  attach(conn: Connection): void;
  /** One fixed tick: step the simulation, send snapshots when due. */
  tick(): HostTickTelemetry;
  /** Run tick() at 60 Hz with a drift-corrected timer until stop(). */
  start(): void;
  stop(): void;
  on<E extends keyof RoomHostEvents>(event: E, cb: RoomHostEvents[E]): void;
  /** Full room state: the simulation blob plus player slots (names, session tokens). */
  serialize(): Uint8Array;
  /** Tell every client why, then close every connection. */
  close(reason: string): void;
}
