/**
 * The browser host's host link and the clients relayed through it.
 *
 * A player who cannot reach the host over WebRTC connects to /ws?room=CODE; the server gives it
 * a relay conn id, tells the host `relay_open {conn}`, and from then on wraps the player's
 * frames with the conn id (core/protocol/relay.ts envelope) onto the host link, and unwraps the
 * host's frames for that conn id back to the player. The host also uploads `state` (its
 * RoomHost.serialize()) which the server keeps for a takeover, and `room_info` for the rooms API.
 * When the host link closes, relayed players get `host_left` and are closed.
 */
import type { Logger } from 'pino';
import type { Frame } from '../core/net/transport';
import type { ServerConfig } from './config';
import type { Metrics } from './metrics';
import type { Room } from './rooms';
import { WsConnection, errorFrame, CLOSE_HOST_LEFT, CLOSE_POLICY } from './ws-connection';
import * as env from './relay-envelope';
import { RoomHost } from '../core/host/room-host';

export interface HostLinkDeps {
  config: ServerConfig;
  metrics: Metrics;
  log: Logger;
  onChange: () => void;
}

export class HostLink {
  private clients = new Map<string, WsConnection>();
  private nextConn = 1;
  private closed = false;
  private stateTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly room: Room,
    readonly conn: WsConnection,
    private readonly d: HostLinkDeps,
  ) {
    conn.onMessage((f) => this.fromHost(f));
    if (d.config.stateRequestMs > 0) {
      this.stateTimer = setInterval(() => {
        // Ask only if the host has not uploaded recently (it should upload every ~2 s by itself).
        const last = room.lastStateAt ?? 0;
        if (Date.now() - last > d.config.stateRequestMs * 1.5) this.conn.send(env.encodeStateRequest());
      }, d.config.stateRequestMs);
      this.stateTimer.unref();
    }
  }

  get relayCount(): number {
    return this.clients.size;
  }

  addClient(client: WsConnection): void {
    const id = `c${this.nextConn++}`;
    this.clients.set(id, client);
    this.room.relayCount = this.clients.size;
    this.d.onChange();
    this.conn.send(env.encodeOpen(id));
    // Frames are capped by ws maxPayload and rate limited here; the host's RoomHost applies the
    // game limits (message size, validation) exactly as for its WebRTC peers.
    client.onMessage((frame) => this.conn.send(env.wrap(id, frame)));
    client.onClose((reason) => {
      if (this.clients.get(id) !== client) return;
      this.clients.delete(id);
      this.room.relayCount = this.clients.size;
      this.d.onChange();
      if (!this.closed) this.conn.send(env.encodeClose(id, reason));
    });
  }

  private fromHost(frame: Frame): void {
    const msg = env.decodeFromHost(frame);
    switch (msg.kind) {
      case 'frame': {
        const c = this.clients.get(msg.conn);
        if (c) c.send(msg.frame);
        return;
      }
      case 'close': {
        const c = this.clients.get(msg.conn);
        if (c) {
          this.clients.delete(msg.conn);
          this.room.relayCount = this.clients.size;
          c.close(1000, msg.reason.slice(0, 100) || 'closed by host');
          this.d.onChange();
        }
        return;
      }
      case 'room_info':
        this.room.reportedPlayers = Math.min(msg.players, this.room.capacity * 4);
        if (msg.mode) this.room.mode = msg.mode;
        this.d.onChange();
        return;
      case 'state': {
        // Keep only what a takeover can use: a serialized room of this very room.
        let code: string;
        try {
          code = RoomHost.parseSerialized(msg.blob).meta.code;
        } catch (err) {
          this.d.metrics.errors.inc({ kind: 'bad_state' });
          this.conn.send(errorFrame('bad_message', `state upload rejected: ${(err as Error).message}`));
          return;
        }
        if (code !== this.room.code) {
          this.d.metrics.errors.inc({ kind: 'bad_state' });
          this.conn.send(errorFrame('bad_message', `state upload rejected: it is room ${code.slice(0, 12)}, not ${this.room.code}`));
          return;
        }
        this.room.lastState = msg.blob;
        this.room.lastStateAt = Date.now();
        return;
      }
      case 'error':
        this.d.metrics.errors.inc({ kind: 'bad_host_frame' });
        this.conn.send(errorFrame(msg.code, msg.message));
        return;
    }
  }

  /** The host link is gone: tell relayed players and close them. */
  hostGone(reason: string): void {
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.closed = true;
    const left = env.encodeHostLeft();
    for (const c of this.clients.values()) {
      c.send(left);
      c.close(CLOSE_HOST_LEFT, 'host_left');
    }
    this.clients.clear();
    this.room.relayCount = 0;
    this.d.log.debug({ code: this.room.code, reason }, 'relayed clients released');
  }

  close(reason: string, code = CLOSE_POLICY, frame?: string): void {
    if (frame) {
      this.conn.send(frame);
      for (const c of this.clients.values()) c.send(frame);
    }
    this.conn.close(code, reason);
    this.hostGone(reason);
  }
}
