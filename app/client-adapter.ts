/**
 * The app's view of core/client GameClient: one place that drives it (update() every frame and
 * on a timer, so a hidden tab still sends inputs/acks/pings) and turns its events into the
 * session's callbacks.
 */
import { GameClient } from '../core/client';
import type { Connection } from '../core/net/transport';
import type { EntityView } from '../core/sim/types';
import type { RosterMsg, WelcomeMsg } from '../core/protocol';

export interface ClientEvents {
  welcome(w: WelcomeMsg): void;
  snapshot(tick: number): void;
  roster(r: RosterMsg): void;
  mode(m: string): void;
  message(text: string): void;
  modResult(r: { name: string; ok: boolean; error?: { script: string; line?: number; message: string } }): void;
  error(code: string, message: string): void;
  kicked(reason: string): void;
  hostLeft(): void;
  roomClosed(reason: string): void;
  close(reason: string): void;
}

type Counted = Connection & { bytesIn?: number; bytesOut?: number };

export type HostCommand = { type: 'set_mode'; mode: string } | { type: 'load_mod'; name: string; code: string } | { type: 'kick'; player: string };

export class ClientHandle {
  readonly gc: GameClient;
  private timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly conn: Counted,
    opts: { name: string; token?: string; hostToken?: string },
    ev: ClientEvents,
  ) {
    this.gc = new GameClient(conn, { name: opts.name, token: opts.token, hostToken: opts.hostToken, encoding: 'binary' });
    const gc = this.gc;
    gc.on('welcome', (w) => ev.welcome(w));
    gc.on('snapshot', (t) => ev.snapshot(t));
    gc.on('roster', (r) => ev.roster(r));
    gc.on('mode', (m) => ev.mode(m));
    gc.on('message', (t) => ev.message(t));
    gc.on('mod_result', (r) => ev.modResult(r));
    gc.on('script_error', (e) => ev.message(`Script error in ${e.script}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`));
    gc.on('error', (e) => ev.error(e.code, e.message));
    gc.on('kicked', (r) => ev.kicked(r));
    gc.on('host_left', () => ev.hostLeft());
    gc.on('room_closed', (r) => ev.roomClosed(r));
    gc.on('close', (r) => {
      clearInterval(this.timer);
      ev.close(r);
    });
    // Frames drive update() while visible; this keeps inputs, acks and pings going when the
    // tab is hidden (rAF stops) and between frames at a low frame cap.
    this.timer = setInterval(() => gc.update(), 50);
  }

  setInput(dx: number, dy: number): void {
    this.gc.setInput(dx, dy);
    this.gc.update();
  }

  /** Entities to draw at `now`: interpolated, own player predicted. */
  frame(now: number): EntityView[] {
    this.gc.update(now);
    return this.gc.interpolated(now);
  }

  authoritative(): readonly EntityView[] {
    return this.gc.latest;
  }

  get tick(): number {
    return Math.max(0, this.gc.lastTick);
  }

  get rtt(): number {
    return this.gc.rtt ?? 0;
  }

  /** Bytes in + out on this connection so far. */
  get bytes(): number {
    if (typeof this.conn.bytesIn === 'number') return this.conn.bytesIn + (this.conn.bytesOut ?? 0);
    return this.gc.stats.bytesIn;
  }

  command(c: HostCommand): void {
    this.gc.send(c);
  }

  leave(): void {
    clearInterval(this.timer);
    this.gc.leave();
  }
}
