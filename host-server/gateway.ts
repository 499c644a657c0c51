/**
 * The game WebSocket endpoint (/ws):
 *   /ws?room=CODE[&encoding=json][&name=NAME]        a player: attached to the server's RoomHost
 *                                                   (server-hosted room) or relayed to the
 *                                                   browser host through its host link;
 *   /ws?room=CODE&role=host&token=HOSTTOKEN          the browser host's host link (relay + state).
 * Every socket is wrapped in a WsConnection (rate limit, slow-consumer cut-off, metrics).
 */
import type http from 'node:http';
import crypto from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Frame } from '../core/net/transport';
import type { ServerConfig } from './config';
import type { ErrorCode } from '../core/protocol/messages';
import type { Metrics } from './metrics';
import { type RoomRegistry, type Room, tokenEquals } from './rooms';
import {
  WsConnection,
  errorFrame,
  CLOSE_NOT_FOUND,
  CLOSE_FORBIDDEN,
  CLOSE_GOING_AWAY,
  CLOSE_POLICY,
  CLOSE_TRY_AGAIN_LATER,
  CLOSE_SERVER_HOSTED,
} from './ws-connection';
import { HostLink } from './relay';
import { KeyedRateLimiter } from './rate-limit';

export interface GatewayDeps {
  config: ServerConfig;
  rooms: RoomRegistry;
  metrics: Metrics;
  log: Logger;
}

const NAME_RE = /^[\p{L}\p{N} _.-]{1,32}$/u;

/**
 * JSON-mode shim for plain tools: with `?encoding=json` a client may skip `hello` and send
 * `{"action":"move","direction":"right"}` straight away; the server says hello on its behalf.
 * A hello that the client does send gets `encoding:"json"` unless it chose one itself.
 */
export function jsonHelloShim(name: string): (frame: Frame) => Frame[] {
  let first = true;
  return (frame) => {
    if (!first) return [frame];
    first = false;
    if (typeof frame === 'string') {
      try {
        const obj = JSON.parse(frame) as unknown;
        if (obj && typeof obj === 'object' && !Array.isArray(obj) && (obj as { type?: unknown }).type === 'hello') {
          const hello = obj as Record<string, unknown>;
          if (hello.encoding === undefined) hello.encoding = 'json';
          return [JSON.stringify(hello)];
        }
      } catch {
        /* not JSON: the room host answers with bad_json after our hello */
      }
    }
    return [JSON.stringify({ type: 'hello', name, encoding: 'json' }), frame];
  };
}

export class Gateway {
  private players = new Set<WsConnection>();
  private links = new Map<string, HostLink>();
  private closing = false;
  /**
   * /ws?room=CODE would otherwise be an unlimited room-code oracle: every miss (unknown code)
   * costs a token of the client IP's budget (LOOKUPS_PER_MINUTE); with none left, the IP is
   * refused until it refills. Hits cost nothing, so players reconnecting are never limited.
   */
  private readonly misses: KeyedRateLimiter;

  constructor(private readonly d: GatewayDeps) {
    this.misses = new KeyedRateLimiter(d.config.lookupsPerMinute);
  }

  sweep(): void {
    this.misses.sweep();
  }

  connectionCounts(): Record<string, number> {
    let relayed = 0;
    for (const l of this.links.values()) relayed += l.relayCount;
    return { ws: this.players.size, relay: relayed, host_link: this.links.size };
  }

  private wrap(ws: WebSocket, kind: 'ws' | 'relay', label: string, maxBuffered = this.d.config.maxBufferedBytes): WsConnection {
    return new WsConnection(crypto.randomUUID(), ws, {
      kind,
      metricsLabel: label,
      metrics: this.d.metrics,
      rateLimitPerSec: this.d.config.rateLimitPerSec,
      maxBufferedBytes: maxBuffered,
    });
  }

  private refuse(ws: WebSocket, code: ErrorCode, message: string, closeCode: number): void {
    this.d.metrics.errors.inc({ kind: code });
    ws.send(errorFrame(code, message));
    ws.close(closeCode, code);
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  accept(ws: WebSocket, req: http.IncomingMessage): void {
    const url = new URL(req.url ?? '/ws', 'http://localhost');
    const q = url.searchParams;
    if (this.closing) return this.refuse(ws, 'server_shutdown', 'server is shutting down', CLOSE_GOING_AWAY);
    const ip = req.socket.remoteAddress ?? 'unknown';
    const wait = this.misses.peek(ip);
    if (wait) return this.refuse(ws, 'rate_limited', `too many unknown room codes; retry in ${wait} s`, CLOSE_TRY_AGAIN_LATER);
    const code = (q.get('room') ?? '').toUpperCase();
    const room = code ? this.d.rooms.get(code) : undefined;
    if (!room) {
      this.misses.check(ip);
      return this.refuse(ws, 'room_not_found', code ? `no room ${code}` : 'missing ?room=CODE', CLOSE_NOT_FOUND);
    }
    const role = q.get('role') ?? 'player';
    const encoding = q.get('encoding');
    if (role !== 'player' && role !== 'host') return this.refuse(ws, 'bad_request', 'role must be "player" or "host"', CLOSE_POLICY);
    if (encoding !== null && encoding !== 'json' && encoding !== 'binary') {
      return this.refuse(ws, 'bad_request', 'encoding must be "json" or "binary"', CLOSE_POLICY);
    }
    const rawName = q.get('name') ?? 'bot';
    const name = NAME_RE.test(rawName) ? rawName : 'bot';

    if (role === 'host') {
      if (!tokenEquals(q.get('token'), room.hostToken)) {
        return this.refuse(ws, 'forbidden', 'wrong or missing host token', CLOSE_FORBIDDEN);
      }
      if (room.host || room.takenOver) return this.refuse(ws, 'room_server_hosted', 'this room runs on the server', CLOSE_SERVER_HOSTED);
      this.openHostLink(room, ws);
      return;
    }

    if (room.host) {
      const conn = this.wrap(ws, 'ws', 'ws');
      if (encoding === 'json') conn.inbound = jsonHelloShim(name);
      this.players.add(conn);
      conn.onClose(() => this.players.delete(conn));
      room.host.attach(conn);
      return;
    }
    const link = this.links.get(room.code);
    if (!link) {
      return this.refuse(ws, 'host_offline', 'the host is not connected to the relay; try WebRTC or later', CLOSE_TRY_AGAIN_LATER);
    }
    if (link.relayCount >= room.capacity * 2) {
      return this.refuse(ws, 'room_full', `room ${room.code} is full`, CLOSE_TRY_AGAIN_LATER);
    }
    const conn = this.wrap(ws, 'relay', 'relay');
    if (encoding === 'json') conn.inbound = jsonHelloShim(name);
    link.addClient(conn);
  }

  private openHostLink(room: Room, ws: WebSocket): void {
    const old = this.links.get(room.code);
    if (old) old.close('replaced', CLOSE_POLICY);
    // The host link carries every relayed client: allow it a bigger queue and message rate.
    const conn = new WsConnection(crypto.randomUUID(), ws, {
      kind: 'ws',
      metricsLabel: 'host_link',
      metrics: this.d.metrics,
      rateLimitPerSec: this.d.config.rateLimitPerSec * (room.capacity + 1),
      maxBufferedBytes: this.d.config.maxBufferedBytes * 4,
    });
    const link = new HostLink(room, conn, {
      config: this.d.config,
      metrics: this.d.metrics,
      log: this.d.log,
      onChange: () => this.d.rooms.touch(room),
    });
    this.links.set(room.code, link);
    room.hostLinkOnline = true;
    this.d.rooms.touch(room);
    this.d.log.info({ code: room.code }, 'host link open');
    conn.onClose((reason) => {
      if (this.links.get(room.code) === link) {
        this.links.delete(room.code);
        room.hostLinkOnline = false;
        this.d.rooms.touch(room);
      }
      link.hostGone(reason);
      this.d.log.info({ code: room.code, reason }, 'host link closed');
    });
  }

  /** Close the host link and its relayed clients (takeover, room removal). */
  dropHostLink(room: Room, reason: string, code = CLOSE_SERVER_HOSTED): void {
    const link = this.links.get(room.code);
    if (!link) return;
    this.links.delete(room.code);
    room.hostLinkOnline = false;
    link.close(reason, code);
  }

  closeRoom(room: Room, reason: string): void {
    this.dropHostLink(room, reason, CLOSE_NOT_FOUND);
  }

  shutdown(): void {
    this.closing = true;
    const frame = errorFrame('server_shutdown', 'the server is shutting down');
    for (const conn of this.players) {
      conn.send(frame);
      conn.close(CLOSE_GOING_AWAY, 'server_shutdown');
    }
    for (const link of [...this.links.values()]) link.close('server_shutdown', CLOSE_GOING_AWAY, frame);
    this.links.clear();
  }
}
