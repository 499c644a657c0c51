/**
 * The transport floor for bench/server-load.ts: a minimal `ws` server (same library and socket
 * options as host-server: noServer upgrade on /ws, perMessageDeflate off, same maxPayload) that
 * does no simulation at all. It carries the same traffic as the real server-hosted rooms:
 *
 *   - hello (text) -> a welcome (text) and a full snapshot (binary), like RoomHost.onHello;
 *   - each input (binary, 20 Hz per bot) is counted and otherwise dropped;
 *   - a 60 Hz step loop; every client gets a binary snapshot frame (0x10, tick, back, seq, then
 *     padding) of FLOOR_SNAPSHOT_BYTES at SNAPSHOT_HZ; a room's clients all get theirs in the
 *     same step and rooms are spread over the steps of a snapshot period (room i in phase i mod
 *     60/SNAPSHOT_HZ, as host-server's snapshotPhase does), so the sends are staggered the same;
 *   - FLOOR_TEXT_PER_SEC text frames of FLOOR_TEXT_BYTES per client (the real rooms' ping and
 *     roster), sent in snapshot steps.
 *
 * Forked by the bench (IPC): sends {type:'listening', port}; answers 'stats' with its CPU time,
 * frame counts and step wall times since the previous 'stats'. Loopback only. Exits when the IPC
 * channel closes.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';

const TICK_HZ = 60;
const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0`);
  return v;
};
const SNAPSHOT_BYTES = Math.max(8, Math.round(num('FLOOR_SNAPSHOT_BYTES', 120)));
const TEXT_BYTES = Math.max(16, Math.round(num('FLOOR_TEXT_BYTES', 200)));
const TEXT_PER_SEC = num('FLOOR_TEXT_PER_SEC', 2);
const SNAPSHOT_HZ = num('SNAPSHOT_HZ', 20) || 20;
const SNAPSHOT_EVERY = Math.max(1, Math.round(TICK_HZ / SNAPSHOT_HZ));
const MAX_FRAME_BYTES = 256 * 1024; // host-server config.maxFrameBytes default

interface Client {
  ws: WebSocket;
  joined: boolean;
  seq: number;
}
interface Room {
  phase: number;
  clients: Client[];
  /** Text frames per client owed (fractional rates carry over between snapshot steps). */
  textCarry: number;
}

const rooms = new Map<string, Room>(); // iterated in creation order: deterministic phases
let roomSeq = 0;
let tick = 0;
const counters = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, snapshots: 0 };
let stepMs: number[] = [];

/** A snapshot frame: 0x10, uvar tick, uvar back (SNAPSHOT_EVERY), uvar 0, padding to size. */
function snapshotFrame(t: number): Buffer {
  const b = Buffer.alloc(SNAPSHOT_BYTES, 0x5a);
  let p = 0;
  b[p++] = 0x10;
  let v = t;
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 0x80);
  }
  b[p++] = v;
  b[p++] = SNAPSHOT_EVERY;
  b[p++] = 0;
  return b;
}
/** A JSON text frame of exactly TEXT_BYTES bytes (a roster-like message with padding). */
const textFrame = (() => {
  const head = '{"type":"roster","pad":"';
  return head + 'x'.repeat(Math.max(0, TEXT_BYTES - head.length - 2)) + '"}';
})();

function send(ws: WebSocket, data: Buffer | string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(data, { binary: typeof data !== 'string' });
  counters.framesOut++;
  counters.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

const httpServer = http.createServer((_req, res) => {
  res.statusCode = 404;
  res.end('floor server: /ws only\n');
});
const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://localhost');
  const code = url.searchParams.get('room');
  if (url.pathname !== '/ws' || !code) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    let room = rooms.get(code);
    if (!room) {
      room = { phase: roomSeq++ % SNAPSHOT_EVERY, clients: [], textCarry: 0 };
      rooms.set(code, room);
    }
    const r = room;
    const c: Client = { ws, joined: false, seq: 0 };
    r.clients.push(c);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      counters.framesIn++;
      counters.bytesIn += data.length;
      if (isBinary || c.joined) return; // inputs: counted, nothing simulated
      c.joined = true;
      send(ws, JSON.stringify({ type: 'welcome', v: 1, playerId: `p${r.clients.length}`, token: 'x'.repeat(22), room: code, tick, snapshotHz: SNAPSHOT_HZ, tickHz: TICK_HZ }));
      send(ws, snapshotFrame(tick));
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      const i = r.clients.indexOf(c);
      if (i >= 0) r.clients.splice(i, 1);
    });
  });
});

// Text frames per client per snapshot step of a room.
const textPerSnapshot = TEXT_PER_SEC / (TICK_HZ / SNAPSHOT_EVERY);

function step(): void {
  const t0 = performance.now();
  tick++;
  const phase = tick % SNAPSHOT_EVERY;
  const snap = snapshotFrame(tick);
  for (const room of rooms.values()) {
    if (room.phase !== phase) continue;
    room.textCarry += textPerSnapshot;
    const texts = Math.floor(room.textCarry);
    room.textCarry -= texts;
    for (const c of room.clients) {
      if (!c.joined) continue;
      send(c.ws, snap);
      counters.snapshots++;
      for (let k = 0; k < texts; k++) send(c.ws, textFrame);
    }
  }
  if (stepMs.length < 100_000) stepMs.push(performance.now() - t0);
}

// 60 Hz without drift: steps are due at t0 + n/60 s; a late timer runs the missed steps (at most
// 4 in a row, then the schedule is reset, like a tick loop that drops steps).
let due = performance.now();
let dropped = 0;
function loop(): void {
  const now = performance.now();
  let n = 0;
  while (due <= now && n < 4) {
    step();
    due += 1000 / TICK_HZ;
    n++;
  }
  if (due <= now) {
    dropped += Math.floor((now - due) / (1000 / TICK_HZ)) + 1;
    due = now + 1000 / TICK_HZ;
  }
  setTimeout(loop, Math.max(0, due - performance.now()));
}

httpServer.listen(0, '127.0.0.1', () => {
  const addr = httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.send?.({ type: 'listening', port });
  loop();
});

let cpu0 = process.cpuUsage();
let t0 = performance.now();
let c0 = { ...counters };
let dropped0 = 0;
process.on('message', (m: unknown) => {
  if (m !== 'stats') return;
  const cpu = process.cpuUsage(cpu0);
  const now = performance.now();
  const sorted = stepMs.slice().sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2) : null);
  const delta = Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, v - c0[k as keyof typeof counters]]));
  process.send?.({
    type: 'stats',
    seconds: (now - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    steps: sorted.length,
    stepMs: { p50: q(0.5), p99: q(0.99) },
    droppedSteps: dropped - dropped0,
    clients: [...rooms.values()].reduce((a, r) => a + r.clients.length, 0),
    rooms: rooms.size,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
    ...delta,
  });
  cpu0 = process.cpuUsage();
  t0 = now;
  c0 = { ...counters };
  dropped0 = dropped;
  stepMs = [];
});
process.on('disconnect', () => process.exit(0));
