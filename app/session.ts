/**
 * One player's session in one room: finds a way to the room (host worker, WebRTC, relay, or a
 * server-hosted room), runs the GameClient over it, reconnects by itself when the link drops
 * (same slot: session token in sessionStorage), and shows a clear message for every failure.
 */
import type { Connection } from '../core/net/transport';
import type { EntityView } from '../core/sim/types';
import { GameError, getRoom, wsUrl, type RoomCreated, type RoomInfo } from './api';
import { ClientHandle, type ClientEvents } from './client-adapter';
import { HostRuntime } from './host/host-runtime';
import type { WorkerTelemetry } from './host/messages';
import { connectToHost, openPeer, originPeerConfig } from './net/peer-connection';
import { openWebSocket } from './net/ws-connection';
import type { ConnectionMode } from './ui/hud';

export const WEBRTC_TIMEOUT_MS = 4000;
const MAX_RETRIES = 8;
const SILENCE_MS = 5000;
const ROOM_CLOSED_TEXT: Record<string, string> = {
  expired: 'The room expired after being empty for a while.',
  server_shutdown: 'The server is restarting; the room was closed. Create a new room in a moment.',
  taken_over: 'The room moved to the server.',
};

/** Why a connection dropped, in words (close reasons the server gives). */
const CLOSE_TEXT: Record<string, string> = {
  room_crashed: 'The room restarted on the server (from its state a moment ago).',
  slow_consumer: 'Your connection could not keep up with the game.',
};

export interface SessionPlayer {
  id: string;
  name: string;
  score: number;
  ping: number;
  connected: boolean;
}

export interface SessionListener {
  /** Something visible changed (roster, mode, connection mode, welcome). */
  changed(): void;
  /** A problem to show (null clears it). `final` = no automatic retry will follow. */
  problem(p: { code: string; text: string; final: boolean } | null): void;
  message(text: string): void;
  modResult(r: { name: string; ok: boolean; error?: { script: string; line?: number; message: string } }): void;
  /** An error the host/server answered to something this player did (not fatal). */
  commandError(code: string, message: string): void;
}

export type Role = { kind: 'host'; room: RoomCreated } | { kind: 'server-host'; room: RoomCreated } | { kind: 'player' };

const tokenKey = (code: string) => `wla.token.${code}`;
const hostTokenKey = (code: string) => `wla.hostToken.${code}`;

function storage(): Storage | null {
  try {
    return sessionStorage;
  } catch {
    return null;
  }
}

export class Session {
  connectionMode: ConnectionMode = 'connecting';
  playerId: string | null = null;
  isHost = false;
  mode = '';
  modes: readonly string[] = [];
  arena = { width: 0, height: 0 };
  players: SessionPlayer[] = [];
  lastError: { code: string; message: string } | null = null;
  webrtcNote = '';
  host: HostRuntime | null = null;
  client: ClientHandle | null = null;
  private conn: Connection | null = null;
  private retries = 0;
  private ended = false;
  private everConnected = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  joinStarted = performance.now();
  firstSnapshotAt: number | null = null;
  private lastSnapshotAt = 0;
  private watchdog: ReturnType<typeof setInterval>;

  constructor(
    readonly code: string,
    readonly name: string,
    readonly role: Role,
    private readonly ui: SessionListener,
  ) {
    if (role.kind !== 'player') storage()?.setItem(hostTokenKey(code), role.room.hostToken);
    // A link can die silently (a WebRTC peer whose host vanished): no snapshot for a while
    // means the connection is lost.
    this.watchdog = setInterval(() => {
      if (this.conn && this.client && this.playerId && this.connectionMode !== 'host' && performance.now() - this.lastSnapshotAt > SILENCE_MS) {
        this.conn.close(4000, `no data from the room for ${SILENCE_MS / 1000} s`);
      }
    }, 1000);
  }

  get hostToken(): string | undefined {
    if (this.role.kind !== 'player') return this.role.room.hostToken;
    return storage()?.getItem(hostTokenKey(this.code)) ?? undefined;
  }

  /** Start (or restart) the session. */
  async start(): Promise<void> {
    this.joinStarted = performance.now();
    if (this.role.kind === 'host') {
      try {
        this.host = await HostRuntime.start(this.role.room);
      } catch (e) {
        this.fail('engine_failed', `Your browser could not start the game: ${(e as Error).message}`, true);
        return;
      }
      this.modes = this.host.modes;
      this.attach(this.host.connectLocal(), 'host');
      return;
    }
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.ended) return;
    this.connectionMode = 'connecting';
    this.ui.changed();
    let info: RoomInfo;
    try {
      info = await getRoom(this.code);
    } catch (e) {
      const err = e as GameError;
      if (err.code === 'room_not_found') {
        const text = this.everConnected ? `Room ${this.code} has closed (the host left).` : err.message;
        this.fail(this.everConnected ? 'host_left' : 'room_not_found', text, true);
        return;
      }
      this.retry(err.code ?? 'server_unreachable', err.message);
      return;
    }
    if (this.ended) return;
    if (info.hosting === 'browser' && !info.hostOnline) {
      this.retry('host_left', this.everConnected ? 'The host left the room. Waiting to see if they come back…' : `The host of room ${this.code} is offline.`);
      return;
    }
    if (info.hosting === 'browser' && info.players >= info.capacity && !storage()?.getItem(tokenKey(this.code))) {
      this.fail('room_full', `Room ${this.code} is full (${info.capacity} players). Try again later or create your own room.`, true);
      return;
    }
    if (info.hosting === 'server') {
      try {
        const c = await openWebSocket(wsUrl(`/ws?room=${encodeURIComponent(this.code)}`), 'ws', 5000);
        this.attach(c, 'server');
      } catch (e) {
        this.retry('connection_lost', `Cannot reach room ${this.code}: ${(e as Error).message}.`);
      }
      return;
    }
    // Browser-hosted: WebRTC first, the server relay if it does not connect in time.
    let conn: Connection | null = null;
    try {
      const peer = await openPeer(originPeerConfig(info.iceServers ?? []), null, WEBRTC_TIMEOUT_MS);
      try {
        const c = await connectToHost(peer, info.hostPeerId, WEBRTC_TIMEOUT_MS);
        c.onClose(() => setTimeout(() => peer.destroy(), 200));
        conn = c;
        this.webrtcNote = '';
      } catch (e) {
        peer.destroy();
        throw e;
      }
    } catch (e) {
      this.webrtcNote = `WebRTC unavailable (${(e as Error).message}); playing through the server relay.`;
      console.info('[session]', this.webrtcNote);
    }
    if (this.ended) {
      conn?.close();
      return;
    }
    if (conn) {
      this.attach(conn, 'webrtc');
      return;
    }
    try {
      const c = await openWebSocket(wsUrl(`/ws?room=${encodeURIComponent(this.code)}`), 'relay', 5000);
      this.attach(c, 'relay');
    } catch (e) {
      this.retry('connection_lost', `Cannot reach room ${this.code} (WebRTC and relay both failed: ${(e as Error).message}).`);
    }
  }

  private attach(conn: Connection, mode: ConnectionMode): void {
    this.conn = conn;
    this.connectionMode = mode;
    if (mode === 'relay' && this.webrtcNote) this.ui.message(this.webrtcNote);
    const token = storage()?.getItem(tokenKey(this.code)) ?? undefined;
    const events: ClientEvents = {
      welcome: (w) => {
        this.retries = 0;
        this.everConnected = true;
        this.lastSnapshotAt = performance.now();
        this.playerId = w.playerId;
        this.isHost = w.isHost;
        this.mode = w.mode;
        this.modes = w.modes;
        this.arena = w.arena;
        storage()?.setItem(tokenKey(this.code), w.token);
        this.lastError = null;
        this.ui.problem(null);
        this.ui.changed();
      },
      snapshot: () => {
        this.lastSnapshotAt = performance.now();
        if (this.firstSnapshotAt === null) this.firstSnapshotAt = performance.now();
      },
      roster: (r) => {
        this.players = r.players.map((p) => ({ id: p.id, name: p.name, score: p.score, ping: p.ping, connected: p.connected }));
        this.mode = r.mode;
        this.ui.changed();
      },
      mode: (m) => {
        this.mode = m;
        this.ui.changed();
      },
      message: (t) => this.ui.message(t),
      modResult: (r) => this.ui.modResult(r),
      error: (code, message) => {
        this.lastError = { code, message };
        if (code === 'room_full') this.fail('room_full', `Room ${this.code} is full. Try again later or create your own room.`, true);
        else if (code === 'script_error') this.ui.message(`Script error: ${message}`);
        else this.ui.commandError(code, message);
      },
      kicked: (reason) => this.fail('kicked', `You were removed from the room by the host${reason ? ` (${reason})` : ''}.`, true),
      hostLeft: () => this.onHostLeft(),
      roomClosed: (reason) => {
        if (reason === 'host_left') this.onHostLeft();
        else this.fail('room_closed', ROOM_CLOSED_TEXT[reason] ?? `The room was closed (${reason}).`, true);
      },
      close: (reason) => {
        if (this.conn !== conn) return;
        this.conn = null;
        this.client = null;
        if (this.ended || this.lastError?.code === 'host_left') return;
        this.retry('connection_lost', CLOSE_TEXT[reason] ?? `Connection lost (${reason}).`);
      },
    };
    this.client = new ClientHandle(conn, { name: this.name, token, hostToken: this.hostToken }, events);
    this.ui.changed();
  }

  private onHostLeft(): void {
    if (this.lastError?.code === 'host_left') return;
    this.fail('host_left', 'The host left the room. The game has ended.', false);
    // A server takeover turns the room into a server-hosted one: look again shortly.
    this.scheduleRetry(3000);
  }

  private retry(code: string, text: string): void {
    if (this.ended) return;
    this.connectionMode = 'offline';
    if (this.retries >= MAX_RETRIES) {
      this.fail(code, `${text} Gave up after ${MAX_RETRIES} attempts.`, true);
      return;
    }
    this.retries++;
    const delay = Math.min(8000, 400 * 2 ** (this.retries - 1));
    this.lastError = { code, message: text };
    this.ui.problem({ code, text: `${text} Reconnecting (attempt ${this.retries} of ${MAX_RETRIES})…`, final: false });
    this.ui.changed();
    this.scheduleRetry(delay);
  }

  private scheduleRetry(delay: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.ended && !this.conn) this.connect().catch((e) => this.retry('connection_lost', String(e)));
    }, delay);
  }

  /** Manual retry (after a final failure). */
  retryNow(): void {
    this.ended = false;
    this.retries = 0;
    this.lastError = null;
    this.ui.problem(null);
    this.connect().catch((e) => this.retry('connection_lost', String(e)));
  }

  private fail(code: string, text: string, final: boolean): void {
    this.lastError = { code, message: text };
    if (final) {
      this.ended = true;
      this.connectionMode = 'offline';
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.conn?.close(1000, code);
      this.conn = null;
      this.client = null;
    }
    this.ui.problem({ code, text, final });
    this.ui.changed();
  }

  // ---------------------------------------------------------------- used by the view
  setInput(dx: number, dy: number): void {
    this.client?.setInput(dx, dy);
  }

  /** Entities to draw now: interpolated remote ones + the predicted own player. */
  frame(now: number): readonly EntityView[] {
    return this.client?.frame(now) ?? [];
  }

  authoritative(): readonly EntityView[] {
    return this.client?.authoritative() ?? [];
  }

  get tick(): number {
    return this.client?.tick ?? 0;
  }

  get ping(): number {
    return this.client?.rtt ?? 0;
  }

  get bytes(): number {
    return this.client?.bytes ?? 0;
  }

  telemetry(): WorkerTelemetry | null {
    return this.host?.lastTelemetry ?? null;
  }

  setMode(mode: string): void {
    this.client?.command({ type: 'set_mode', mode });
  }

  loadMod(name: string, code: string): void {
    this.client?.command({ type: 'load_mod', name, code });
  }

  kick(player: string): void {
    this.client?.command({ type: 'kick', player });
  }

  leave(): void {
    this.ended = true;
    clearInterval(this.watchdog);
    this.client?.leave();
    this.conn?.close(1000, 'left');
    this.host?.stop();
  }
}
