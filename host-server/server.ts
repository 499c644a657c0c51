/**
 * createServer(config): one HTTP server with
 *   - the built client (dist/) and the /r/:code join link,
 *   - PeerJS signaling at /peerjs,
 *   - the rooms API (/api/rooms),
 *   - the game WebSocket at /ws (server-hosted rooms, relay to browser hosts, host links),
 *   - /healthz and /metrics.
 * Tests start it on port 0; main.ts reads the environment and listens.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type Request, type Response, type NextFunction } from 'express';
import compression from 'compression';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { type ServerConfig, defaultConfig } from './config';
import { createMetrics, type Metrics } from './metrics';
import { KeyedRateLimiter } from './rate-limit';
import { RoomRegistry, CODE_RE, hostOnline, playerCount, tokenEquals, type Room } from './rooms';
import { securityHeaders, staticRouter } from './static';
import { mountPeerSignaling } from './peer-signaling';
import { Gateway } from './gateway';
import { loadRuntime, type RoomRuntime } from './runtime';
import { InlineRooms, RoomPool, type RoomPoolOptions, type RoomRunner, type ServerRoomHost } from './room-pool';
import { DEFAULT_MAX_HOST_LINK_BYTES } from '../core/protocol/relay';

/** A crashed server-hosted room is restarted from its checkpoint at most this often per window. */
const MAX_RESTARTS = 3;
const CRASH_WINDOW_MS = 10 * 60_000;

/** Largest host-link frame (a state upload or a wrapped JSON snapshot); the server keeps one state per room. */
const HOST_LINK_MAX_BYTES = Math.min(DEFAULT_MAX_HOST_LINK_BYTES, 2 * 1024 * 1024);

export interface ServerDeps {
  logger?: Logger;
  /** Room runtime (simulation + room host); default: loaded from engine-wasm/pkg and lua_scripts. */
  runtime?: RoomRuntime | null;
  /** Room worker pool options (tests: a misbehaving worker, a short watchdog). */
  roomPool?: RoomPoolOptions;
}

export interface ArenaServer {
  httpServer: http.Server;
  config: ServerConfig;
  rooms: RoomRegistry;
  metrics: Metrics;
  log: Logger;
  listen(port?: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
  /** Take a browser-hosted room over from its last uploaded state and run it on the server. */
  takeover(code: string): Promise<Room>;
  /** Where server-hosted rooms run (a worker pool or the main thread); null without a runtime. */
  roomRunner: RoomRunner | null;
}

const createBody = z
  .object({
    hosting: z.enum(['browser', 'server'], { error: 'hosting must be "browser" or "server"' }).default('browser'),
    mode: z
      .string()
      .regex(/^[a-z0-9_]{1,32}$/, 'mode must be 1-32 characters of a-z, 0-9, _')
      .optional(),
    name: z.string().trim().min(1).max(40, 'name must be at most 40 characters').optional(),
  })
  .strict();

export function createServer(partial: Partial<ServerConfig> = {}, deps: ServerDeps = {}): ArenaServer {
  const config: ServerConfig = { ...defaultConfig(), ...partial };
  const log = deps.logger ?? pino({ level: config.logLevel, base: { svc: 'arena' } });
  const metrics = createMetrics();
  const rooms = new RoomRegistry();
  const lookupLimiter = new KeyedRateLimiter(config.lookupsPerMinute);
  const createLimiter = new KeyedRateLimiter(config.createsPerMinute);
  let runtime: RoomRuntime | null = deps.runtime ?? null;
  let runtimeError: string | null = null;
  if (deps.runtime === undefined) {
    try {
      runtime = loadRuntime(config, log);
    } catch (err) {
      runtimeError = (err as Error).message;
      log.warn({ err: runtimeError }, 'server-hosted rooms unavailable');
    }
  }
  let shuttingDown = false;
  // Server-hosted rooms tick in worker threads (ROOM_WORKERS), or on this thread with 0. An
  // injected runtime (tests) always runs inline: it lives in this thread.
  const runner: RoomRunner | null = !runtime
    ? null
    : config.roomWorkers > 0 && deps.runtime === undefined
      ? new RoomPool(config.roomWorkers, { wasmPath: config.wasmPath, luaDir: config.luaDir, checkpointMs: config.stateRequestMs }, { metrics, log }, deps.roomPool)
      : new InlineRooms(runtime, { metrics, log });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', 'strong');
  const httpServer = http.createServer(app);
  const sockets = new Set<Socket>();
  httpServer.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  app.use(securityHeaders);
  app.use(compression());

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(shuttingDown ? 503 : 200).json({
      ok: !shuttingDown,
      rooms: rooms.size,
      serverHosting: runtime !== null,
      roomWorkers: runner instanceof RoomPool ? { size: runner.size, running: runner.running } : null,
      uptimeSec: Math.round(process.uptime()),
    });
  });
  app.get('/metrics', async (_req, res) => {
    updateGauges();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // ---------------------------------------------------------------- rooms API
  const api = express.Router();
  api.use(express.json({ limit: '4kb' }));
  const clientIp = (req: Request): string => req.socket.remoteAddress ?? 'unknown';
  const reply = (res: Response, route: string, status: number, body: unknown): void => {
    metrics.httpRequests.inc({ route, status: String(status) });
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).json(body);
  };

  api.post('/rooms', async (req, res) => {
    const wait = createLimiter.check(clientIp(req));
    if (wait) {
      res.setHeader('Retry-After', String(wait));
      return reply(res, 'create', 429, { error: 'rate_limited', message: `too many rooms created; retry in ${wait} s` });
    }
    if (shuttingDown) return reply(res, 'create', 503, { error: 'server_shutdown', message: 'server is shutting down' });
    const parsed = createBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      return reply(res, 'create', 400, {
        error: 'bad_request',
        message: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message).join('; '),
      });
    }
    if (rooms.size >= config.maxRooms) {
      metrics.errors.inc({ kind: 'server_full' });
      return reply(res, 'create', 503, { error: 'server_full', message: `room limit reached (${config.maxRooms}); try again later` });
    }
    const body = parsed.data;
    if (body.hosting === 'server' && !runtime) {
      return reply(res, 'create', 503, {
        error: 'server_hosting_unavailable',
        message: `server-hosted rooms are unavailable: ${runtimeError ?? 'no runtime'}`,
      });
    }
    const room = rooms.create({
      hosting: body.hosting,
      mode: body.mode ?? 'coin_rush',
      name: body.name ?? 'Room',
      capacity: config.maxPlayers,
    });
    if (body.hosting === 'server' && runtime) {
      try {
        await startServerHost(room, () => runner!.create(hostOptions(room)));
      } catch (err) {
        rooms.delete(room.code);
        const msg = (err as Error).message;
        if (/mode/i.test(msg)) return reply(res, 'create', 400, { error: 'unknown_mode', message: msg });
        log.error({ err: msg, code: room.code }, 'could not start server-hosted room');
        metrics.errors.inc({ kind: 'internal' });
        return reply(res, 'create', 500, { error: 'internal', message: 'could not start the room' });
      }
    }
    log.info({ code: room.code, hosting: room.hosting, mode: room.mode }, 'room created');
    return reply(res, 'create', 201, {
      code: room.code,
      hostToken: room.hostToken,
      hostPeerId: room.hostPeerId,
      hosting: room.hosting,
      mode: room.mode,
      capacity: room.capacity,
      iceServers: config.iceServers,
      joinPath: `/r/${room.code}`,
    });
  });

  api.get('/rooms/:code', (req, res) => {
    const wait = lookupLimiter.check(clientIp(req));
    if (wait) {
      res.setHeader('Retry-After', String(wait));
      return reply(res, 'lookup', 429, { error: 'rate_limited', message: `too many room lookups; retry in ${wait} s` });
    }
    const code = String(req.params.code).toUpperCase();
    if (!CODE_RE.test(code)) {
      return reply(res, 'lookup', 400, { error: 'invalid_code', message: 'a room code is 5-12 characters of 23456789ABCDEFGHJKMNPQRSTUVWXYZ' });
    }
    const room = rooms.get(code);
    if (!room) return reply(res, 'lookup', 404, { error: 'room_not_found', message: `no room ${code}` });
    return reply(res, 'lookup', 200, roomInfo(room));
  });
  api.use((_req, res) => reply(res, 'unknown', 404, { error: 'not_found', message: 'unknown API route' }));
  api.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error({ err: err.message }, 'api error');
    reply(res, 'error', status, {
      error: status === 413 ? 'too_large' : status === 500 ? 'internal' : 'bad_request',
      message: status === 500 ? 'internal error' : `invalid request body: ${err.message}`,
    });
  });
  app.use('/api', api);

  // ---------------------------------------------------------------- signaling + static
  const signaling = mountPeerSignaling(app, httpServer, '/peerjs');
  signaling.onPeer((peerId, online) => {
    const room = rooms.byPeerId(peerId);
    if (room) {
      room.peerOnline = online;
      rooms.touch(room);
      log.info({ code: room.code, online }, 'host peer');
    }
  });
  app.use(staticRouter(config.distDir, log));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });

  // ---------------------------------------------------------------- game WebSocket
  const gameWss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false });
  // Host links carry state uploads (bigger than any player frame).
  const hostWss = new WebSocketServer({ noServer: true, maxPayload: HOST_LINK_MAX_BYTES, perMessageDeflate: false });
  const gateway = new Gateway({ config, rooms, metrics, log });

  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const pathname = (req.url ?? '/').split('?')[0];
    if (shuttingDown) return rejectUpgrade(socket, 503, 'server shutting down');
    if (pathname === signaling.wsPath) {
      signaling.wss.handleUpgrade(req, socket, head, (ws) => {
        if (config.peerHostAuth) {
          const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
          const room = rooms.byPeerId(q.get('id') ?? '');
          if (room && !tokenEquals(q.get('token'), room.hostToken)) {
            metrics.errors.inc({ kind: 'peer_id_forbidden' });
            ws.send(JSON.stringify({ type: 'ERROR', payload: { msg: 'this peer id belongs to a room host' } }));
            ws.close(1008, 'forbidden');
            return;
          }
        }
        signaling.wss.emit('connection', ws, req);
      });
    } else if (pathname === '/ws') {
      const wss = /[?&]role=host(&|$)/.test(req.url ?? '') ? hostWss : gameWss;
      wss.handleUpgrade(req, socket, head, (ws) => gateway.accept(ws, req));
    } else {
      rejectUpgrade(socket, 404, 'no WebSocket here: use /ws or /peerjs');
    }
  });

  // ---------------------------------------------------------------- room lifecycle
  let hostSeq = 0;
  function hostOptions(room: Room) {
    return {
      code: room.code,
      snapshotPhase: hostSeq++ % 60,
      hostToken: room.hostToken,
      mode: room.mode,
      snapshotHz: config.snapshotHz,
      limits: {
        maxPlayers: room.capacity,
        maxMessageBytes: config.maxMessageBytes,
        maxMessagesPerSecond: config.rateLimitPerSec,
        reconnectGraceMs: config.reconnectGraceMs,
        maxBufferedBytes: config.maxBufferedBytes,
      },
    };
  }

  async function startServerHost(room: Room, make: () => Promise<ServerRoomHost>): Promise<void> {
    const host = await make();
    if (shuttingDown || rooms.get(room.code) !== room) {
      host.dispose(shuttingDown ? 'server_shutdown' : 'room_removed');
      throw new Error(shuttingDown ? 'server is shutting down' : `room ${room.code} was removed`);
    }
    room.host = host;
    room.mode = host.mode;
    host.on('join', (id, name) => {
      rooms.touch(room);
      log.debug({ code: room.code, id, name }, 'player joined');
    });
    host.on('leave', (id, reason) => {
      rooms.touch(room);
      log.debug({ code: room.code, id, reason }, 'player left');
    });
    host.on('empty', () => rooms.touch(room));
    host.on('error', (err) => {
      metrics.errors.inc({ kind: 'room' });
      log.warn({ code: room.code, err: err.message }, 'room error');
    });
    host.on('crashed', (reason, checkpoint) => {
      metrics.errors.inc({ kind: 'room_crashed' });
      if (room.host === host) room.host = null;
      // A room that keeps dying with its worker is not restarted again and again (it may be what
      // kills the worker, and every restart takes its worker's other rooms down with it).
      const now = Date.now();
      room.crashes = room.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
      room.crashes.push(now);
      const tooMany = room.crashes.length > MAX_RESTARTS;
      if (!checkpoint || tooMany || shuttingDown || rooms.get(room.code) !== room) {
        const why = tooMany ? `crashed ${room.crashes.length} times in ${CRASH_WINDOW_MS / 60_000} min` : 'no checkpoint';
        log.error({ code: room.code, reason }, `room runner died; ${why}: room removed`);
        removeRoom(room, 'room_crashed');
        return;
      }
      // Its players were disconnected; they come back to their slots with their session tokens.
      log.error({ code: room.code, reason, bytes: checkpoint.byteLength }, 'room runner died; restarting the room from its checkpoint');
      startServerHost(room, () => runner!.restore(checkpoint, hostOptions(room))).then(
        () => log.info({ code: room.code }, 'room restored from its checkpoint'),
        (err: Error) => {
          metrics.errors.inc({ kind: 'restore' });
          log.error({ code: room.code, err: err.message }, 'room restore failed: room removed');
          if (rooms.get(room.code) === room) removeRoom(room, 'room_crashed');
        },
      );
    });
    rooms.touch(room);
  }

  async function takeover(code: string): Promise<Room> {
    const room = rooms.get(code);
    if (!room) throw new Error(`no room ${code}`);
    if (room.host || room.takenOver) throw new Error(`room ${code} is already running on the server`);
    if (!runtime) throw new Error(`server-hosted rooms are unavailable: ${runtimeError ?? 'no runtime'}`);
    if (!room.lastState) throw new Error(`room ${code} has no uploaded state to take over from`);
    const blob = room.lastState;
    room.takenOver = true; // from here on host links are refused (4009)
    gateway.dropHostLink(room, 'taken_over');
    try {
      await startServerHost(room, () => runner!.restore(blob, hostOptions(room)));
    } catch (err) {
      room.takenOver = false;
      metrics.errors.inc({ kind: 'takeover' });
      throw new Error(`takeover of ${code} failed: ${(err as Error).message}`);
    }
    room.hosting = 'server';
    log.info({ code, bytes: blob.byteLength }, 'room taken over by the server');
    return room;
  }

  function removeRoom(room: Room, reason: string): void {
    rooms.delete(room.code);
    gateway.closeRoom(room, reason);
    if (room.host) {
      room.host.dispose(reason);
      room.host = null;
    }
    log.info({ code: room.code, reason }, 'room removed');
  }

  const sweep = setInterval(
    () => {
      for (const room of rooms.expired(config.roomTtlMs)) removeRoom(room, 'expired');
      lookupLimiter.sweep();
      createLimiter.sweep();
      gateway.sweep();
    },
    Math.max(50, Math.min(5000, Math.floor(config.roomTtlMs / 4))),
  );
  sweep.unref();

  function roomInfo(room: Room) {
    return {
      code: room.code,
      name: room.name,
      mode: room.host ? room.host.mode : room.mode,
      players: playerCount(room),
      capacity: room.capacity,
      hosting: room.hosting,
      hostPeerId: room.hostPeerId,
      hostOnline: hostOnline(room),
      iceServers: config.iceServers,
    };
  }

  function updateGauges(): void {
    const roomCounts = { browser: 0, server: 0 };
    const playerCounts = { browser: 0, server: 0 };
    for (const r of rooms.all()) {
      const k = r.host ? 'server' : 'browser';
      roomCounts[k]++;
      playerCounts[k] += playerCount(r);
    }
    for (const k of ['browser', 'server'] as const) {
      metrics.rooms.set({ hosting: k }, roomCounts[k]);
      metrics.players.set({ hosting: k }, playerCounts[k]);
    }
    const c = gateway.connectionCounts();
    for (const [k, v] of Object.entries(c)) metrics.connections.set({ transport: k }, v);
    metrics.connections.set({ transport: 'peerjs' }, signaling.clientCount);
    if (runner instanceof RoomPool) runner.updateGauges();
    if (runner) {
      const st = runner.stats;
      metrics.droppedSteps.set(st.droppedSteps);
      metrics.loopLag.set(st.lagMs / 1000);
      metrics.pausedRooms.set(st.paused);
    }
  }

  // ---------------------------------------------------------------- listen / close
  let closing: Promise<void> | null = null;
  function close(): Promise<void> {
    if (closing) return closing;
    shuttingDown = true;
    closing = (async () => {
      log.info('shutting down');
      clearInterval(sweep);
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      gateway.shutdown();
      for (const room of rooms.all()) removeRoom(room, 'server_shutdown');
      signaling.close();
      gameWss.close();
      hostWss.close();
      await runner?.close('server_shutdown');
      // Give close frames a moment to flush, then cut whatever is left.
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 1500).unref())]);
      for (const s of sockets) s.destroy();
      httpServer.closeAllConnections();
      await stopped;
      log.info('stopped');
    })();
    return closing;
  }

  function listen(port = config.port, host = config.host): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => {
        httpServer.off('error', reject);
        const addr = httpServer.address() as AddressInfo;
        log.info({ port: addr.port, host }, 'listening');
        resolve({ port: addr.port });
      });
    });
  }

  return { httpServer, config, rooms, metrics, log, listen, close, takeover, roomRunner: runner };
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const text = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}
