/**
 * A room worker thread: runs server-hosted rooms (RoomHost + Simulation, the same core as the
 * browser host's worker) on its own 60 Hz TickScheduler, while the sockets stay on the main
 * thread (host-server/room-pool.ts). Players arrive as MuxConnections over one batched port
 * (core/net/mux.ts); everything else is a small control protocol (room-worker-protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MuxEndpoint, isMuxBatch } from '../core/net/mux';
import type { RoomHost } from '../core/host/room-host';
import { loadAssets } from './runtime';
import { createRoomHost, restoreRoomHost } from './runtime-core';
import { TickScheduler } from './scheduler';
import type { ToWorker, FromWorker, WorkerInit, RoomCounts } from './room-worker-protocol';

const port = parentPort;
if (!port) throw new Error('room-worker must run in a worker thread');
const init = workerData as WorkerInit;
const assets = loadAssets(init);

const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => {
  lastPost = performance.now();
  port.postMessage(m, transfer);
};
const mux = new MuxEndpoint(port, undefined, `w${init.index}`);
const rooms = new Map<string, { host: RoomHost; players: number; mode: string; savedAt: number }>();
/** Rooms being created (async), and those the main thread removed meanwhile. */
const creating = new Set<string>();
const cancelled = new Set<string>();
/** The main thread's watchdog expects a message at least this often (ms). */
const HEARTBEAT_MS = 1000;
let lastPost = 0;

// Observations for the main thread's metrics, sent in one message every STATS_MS.
const STATS_MS = 100;
let tickMs: number[] = [];
let luaMs: number[] = [];
let steps: number[] = [];
let tickErrors = 0;
let scriptErrors = 0;

const scheduler = new TickScheduler(
  (_code, ms) => tickMs.push(ms),
  (code, err) => {
    tickErrors++;
    post({ t: 'log', level: 'error', msg: 'tick failed', code, err: err.message });
  },
  (wallMs, busyMs, n, cpuMs) => {
    steps.push(wallMs, busyMs, n, cpuMs);
    syncModes();
    // every frame a step produced leaves now, in one message
    mux.flush();
  },
);

mux.onOpen((conn, code) => {
  const r = rooms.get(code);
  if (!r) {
    conn.close(4004, 'room_not_found');
    return;
  }
  r.host.attach(conn);
});

function adopt(code: string, host: RoomHost): void {
  // first checkpoint at a random point of the period: rooms' checkpoints spread out
  const r = { host, players: host.playerCount, mode: host.sim.mode, savedAt: performance.now() - Math.random() * init.checkpointMs };
  rooms.set(code, r);
  host.on('telemetry', (t) => {
    luaMs.push(t.luaTotalMs);
    scriptErrors += t.errors.length;
  });
  host.on('join', (id, name) => post({ t: 'ev', code, ev: 'join', id, name }));
  host.on('leave', (id, reason) => post({ t: 'ev', code, ev: 'leave', id, reason }));
  host.on('empty', () => post({ t: 'ev', code, ev: 'empty' }));
  host.on('error', (err) => post({ t: 'ev', code, ev: 'error', reason: err.message }));
  scheduler.add(code, host);
}

/**
 * Mode switches (a host command, applied when its frame arrives or on a tick) reach the main
 * thread before the frames that announce them to the players (those leave with the next flush).
 */
function syncModes(): void {
  for (const [code, r] of rooms) {
    const mode = r.host.sim.mode;
    if (mode !== r.mode) {
      r.mode = mode;
      post({ t: 'ev', code, ev: 'mode', mode });
    }
  }
}

function remove(code: string, reason: string): void {
  if (creating.has(code)) cancelled.add(code);
  const r = rooms.get(code);
  if (!r) return;
  rooms.delete(code);
  scheduler.remove(code);
  r.host.stop();
  r.host.close(reason);
  r.host.sim.dispose();
  mux.flush();
}

/** Rooms' states to the main thread, each every checkpointMs, a few per interval. */
function checkpoints(): void {
  if (!(init.checkpointMs > 0)) return;
  const now = performance.now();
  for (const [code, r] of rooms) {
    if (now - r.savedAt < init.checkpointMs) continue;
    r.savedAt = now;
    try {
      const blob = r.host.serialize();
      const copy = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength ? blob : blob.slice();
      post({ t: 'checkpoint', code, blob: copy }, [copy.buffer as ArrayBuffer]);
    } catch (err) {
      post({ t: 'log', level: 'warn', msg: 'checkpoint failed', code, err: (err as Error).message });
    }
  }
}

setInterval(() => {
  mux.reportBuffered();
  checkpoints();
  const counts: RoomCounts = {};
  let changed = false;
  for (const [code, r] of rooms) {
    const n = r.host.playerCount;
    if (n !== r.players) {
      r.players = n;
      counts[code] = n;
      changed = true;
    }
  }
  const idle = !tickMs.length && !steps.length && !changed && !tickErrors && !scriptErrors;
  if (idle && performance.now() - lastPost < HEARTBEAT_MS) return;
  const s = scheduler.stats;
  post({
    t: 'stats',
    tickMs: Float64Array.from(tickMs),
    luaMs: Float64Array.from(luaMs),
    steps: Float64Array.from(steps),
    tickErrors,
    scriptErrors,
    droppedSteps: s.droppedSteps,
    lagMs: s.lagMs,
    paused: s.paused,
    players: changed ? counts : null,
  });
  tickMs = [];
  luaMs = [];
  steps = [];
  tickErrors = 0;
  scriptErrors = 0;
}, STATS_MS).unref();

port.on('message', (m: ToWorker) => {
  if (isMuxBatch(m)) {
    mux.receive(m);
    syncModes();
    return;
  }
  switch (m.t) {
    case 'create':
    case 'restore': {
      const code = m.opts.code;
      creating.add(code);
      const make = m.t === 'create' ? createRoomHost(assets, m.opts) : restoreRoomHost(assets, m.blob, m.opts);
      make.then(
        (host) => {
          creating.delete(code);
          if (cancelled.delete(code)) {
            // removed by the main thread while it was being created: never run it
            host.close('room_removed');
            host.sim.dispose();
            post({ t: 'reply', req: m.req, ok: false, error: `room ${code} was removed` });
            return;
          }
          adopt(code, host);
          post({ t: 'reply', req: m.req, ok: true, mode: host.sim.mode, players: host.playerCount });
        },
        (err: Error) => {
          creating.delete(code);
          cancelled.delete(code);
          post({ t: 'reply', req: m.req, ok: false, error: err.message });
        },
      );
      break;
    }
    case 'remove':
      remove(m.code, m.reason);
      break;
    case 'stop':
      scheduler.stop();
      for (const code of [...rooms.keys()]) remove(code, m.reason);
      mux.flush();
      post({ t: 'stopped' });
      break;
  }
});
