/**
 * Server load benchmark: N WebSocket bots in M server-hosted rooms, loopback only, bounded in
 * time. The server runs host-server/main.ts in a child process; the bots run here. Reports the
 * server's tick and loop-step times (from its /metrics), snapshot delivery to the bots, CPU of
 * both processes, and (with --steps) where it breaks.
 *
 *   node --import tsx bench/server-load.ts [--clients 2000] [--rooms 100] [--seconds 20]
 *   ... --steps 500,1000,2000          clients in steps (rooms fixed); stops at the first step
 *                                      over budget ("where it breaks")
 *   ... --room-steps 5,10,20 [--per-room 20]   rooms in steps, each with --per-room bots
 *   ... --bot-impl raw|ws              the bots' WebSocket client (default raw: bench/raw-ws-client.ts,
 *                                      a minimal RFC 6455 client on node:net; ws: the `ws` library)
 *   ... --room-workers N               ROOM_WORKERS for the server (default: unset, server default)
 *
 * Phases (default: floor then real for a single level; real only with --steps/--room-steps):
 *   --phases floor,real | --floor (floor only) | --no-floor (real only)
 *   floor: the same bots and traffic against bench/floor-server.ts, a minimal `ws` server that
 *     does no simulation (same message sizes and rates: binary hello reply + snapshot at 20 Hz
 *     per client staggered over the 60 Hz steps, ~2 text frames/s, inputs in): the bare cost
 *     of the transport on this machine, measured in the same run as the real server.
 *     --floor-bots ws,raw runs the floor once per bot implementation (bots CPU of both);
 *     --floor-seconds S (default --seconds).
 *   The floor's snapshot size, text-frame size and text rate come from a short probe of the real
 *     server (one room of --clients/--rooms bots, 3 s), or from --snapshot-bytes B
 *     [--text-bytes B --text-per-sec R].
 * Each level is measured for --seconds after a 2 s settle.
 *
 * Bots speak the binary protocol like the browser: hello, then an input every 50 ms (new random
 * direction every ~1 s) with the last snapshot tick piggybacked as the ack; of a snapshot they
 * read only the header (the tick).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeClientMessage } from '../core/protocol/codec';
import { ByteReader } from '../core/protocol/bytes';
import { RawWsClient, ReadyState } from './raw-ws-client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TICK_BUDGET_MS = 1000 / 60;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    console.error(`--${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got ${v}`);
    process.exit(2);
  }
  return v;
}
const CLIENTS = positive('clients', Number(arg('clients', '2000')));
const ROOMS = positive('rooms', Number(arg('rooms', '100')));
const SECONDS = positive('seconds', Number(arg('seconds', '20')));
const FLOOR_SECONDS = positive('floor-seconds', Number(arg('floor-seconds', String(SECONDS))));
const STEPS = arg('steps', '')
  .split(',')
  .filter(Boolean)
  .map(Number);
const ROOM_STEPS = arg('room-steps', '')
  .split(',')
  .filter(Boolean)
  .map(Number);
const PER_ROOM = Number(arg('per-room', '20'));
const SNAPSHOT_HZ = Number(arg('snapshot-hz', '20'));
const INPUT_HZ = Math.min(60, Math.max(1, Number(arg('input-hz', '20'))));
const MAX_RUN_MS = 10 * 60_000; // hard bound whatever the arguments

type BotImpl = 'raw' | 'ws';
function botImpl(v: string): BotImpl {
  if (v !== 'raw' && v !== 'ws') {
    console.error(`bot implementation must be raw or ws, got "${v}"`);
    process.exit(2);
  }
  return v;
}
const BOT_IMPL = botImpl(arg('bot-impl', 'raw'));
const FLOOR_BOTS = arg('floor-bots', BOT_IMPL).split(',').filter(Boolean).map(botImpl);
const PHASES = (() => {
  if (flag('floor')) return ['floor'];
  if (flag('no-floor')) return ['real'];
  const def = STEPS.length || ROOM_STEPS.length ? 'real' : 'floor,real';
  const p = arg('phases', def).split(',').filter(Boolean);
  if (!p.length || p.some((x) => x !== 'floor' && x !== 'real')) {
    console.error(`--phases: floor and/or real, got "${p.join(',')}"`);
    process.exit(2);
  }
  return p;
})();
const ROOM_WORKERS = arg('room-workers', '');
if (ROOM_WORKERS !== '' && !/^\d+$/.test(ROOM_WORKERS)) {
  console.error(`--room-workers: expected an integer >= 0, got "${ROOM_WORKERS}"`);
  process.exit(2);
}

/** What a bot's socket needs to be, whichever client implements it. */
interface BotSocket {
  send(data: Uint8Array | string): void;
  readonly open: boolean;
  terminate(): void;
}

interface Bot {
  ws: BotSocket;
  room: string;
  welcomed: boolean;
  snapshots: number;
  snapshotBytes: number;
  texts: number;
  textBytes: number;
  bytes: number;
  lastTick: number;
  lastAt: number;
  maxGapMs: number;
  seq: number;
  dx: number;
  dy: number;
  errors: number;
  closed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user, system; all threads) of a process, from /proc; null if unavailable. */
function procCpu(pid: number | undefined): { user: number; system: number } | null {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 (utime, stime) are at 11 and 12 after the "(comm)" part
    return { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK };
  } catch {
    return null;
  }
}
/** CPU use over a window, as % of one core: total and its system (kernel) part. */
function cpuPct(a: { user: number; system: number } | null, b: { user: number; system: number } | null, elapsed: number) {
  if (!a || !b) return null;
  const sys = b.system - a.system;
  return { total: +(((b.user - a.user + sys) / elapsed) * 100).toFixed(1), system: +((sys / elapsed) * 100).toFixed(1) };
}
/** The bench process's own CPU (bots), in seconds. */
function selfCpu(): { user: number; system: number } {
  const c = process.cpuUsage();
  return { user: c.user / 1e6, system: c.system / 1e6 };
}
const CLK_TCK = 100; // Linux USER_HZ

/** A variable of a process's initial environment (/proc); undefined if unset or unreadable. */
function procEnv(pid: number | undefined, name: string): string | undefined {
  if (!pid) return undefined;
  try {
    const kv = fs
      .readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((e) => e.startsWith(`${name}=`));
    return kv?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function startServer(capacity: number): Promise<{ child: ChildProcess; base: string; port: number }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MAX_ROOMS: String(Math.max(ROOMS, ...ROOM_STEPS, 10)),
    MAX_PLAYERS: String(capacity),
    CREATES_PER_MINUTE: '100000',
    LOOKUPS_PER_MINUTE: '100000',
    SNAPSHOT_HZ: String(SNAPSHOT_HZ),
  };
  if (ROOM_WORKERS !== '') env.ROOM_WORKERS = ROOM_WORKERS;
  const child = fork(path.join(ROOT, 'host-server/main.ts'), [], {
    // --server-prof DIR: V8 CPU profile of the server process (written on its graceful exit).
    execArgv: ['--import', 'tsx', ...(arg('server-prof', '') ? ['--cpu-prof', '--cpu-prof-dir', arg('server-prof', '')] : [])],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { type?: string; port?: number }) => m?.type === 'listening' && resolve(m.port!));
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, port, base: `http://127.0.0.1:${port}` };
}

interface FloorShape {
  snapshotBytes: number;
  textBytes: number;
  textPerSec: number;
  source: string;
}
interface FloorStats {
  seconds: number;
  cpuSeconds: number;
  steps: number;
  stepMs: { p50: number | null; p99: number | null };
  droppedSteps: number;
  clients: number;
  framesIn: number;
  framesOut: number;
  bytesOut: number;
  snapshots: number;
  rssMB: number;
}

async function startFloor(shape: FloorShape): Promise<{ child: ChildProcess; port: number; stats: () => Promise<FloorStats> }> {
  const child = fork(path.join(ROOT, 'bench/floor-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      FLOOR_SNAPSHOT_BYTES: String(shape.snapshotBytes),
      FLOOR_TEXT_BYTES: String(shape.textBytes),
      FLOOR_TEXT_PER_SEC: String(shape.textPerSec),
      SNAPSHOT_HZ: String(SNAPSHOT_HZ),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { type?: string; port?: number }) => m?.type === 'listening' && resolve(m.port!));
    child.on('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });
  const stats = () =>
    new Promise<FloorStats>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('floor server: no stats within 5 s')), 5000);
      const on = (m: { type?: string }) => {
        if (m?.type !== 'stats') return;
        clearTimeout(t);
        child.off('message', on);
        resolve(m as unknown as FloorStats);
      };
      child.on('message', on);
      child.send('stats');
    });
  return { child, port, stats };
}

async function metricsText(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}
function metric(text: string, name: string, labels = ''): number | null {
  const re = new RegExp(`^${name}${labels ? `\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\}` : ''} ([0-9.eE+-]+|NaN)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

/** Cumulative histogram buckets {le -> count} of a metric. */
function buckets(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([0-9.eE+-]+)$`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}
/** Quantiles (ms) and the share above a limit, from the histogram delta between two scrapes. */
function histStats(before: string, after: string, name: string, limitSec: number) {
  const b0 = buckets(before, name);
  const b1 = buckets(after, name);
  const les = [...b1.keys()].sort((a, b) => a - b);
  const cum = les.map((le) => (b1.get(le) ?? 0) - (b0.get(le) ?? 0));
  const total = cum[cum.length - 1] ?? 0;
  const quant = (p: number): number | null => {
    if (!total) return null;
    const target = p * total;
    let prevLe = 0;
    let prevC = 0;
    for (let i = 0; i < les.length; i++) {
      if (cum[i] >= target) {
        if (!Number.isFinite(les[i])) return +(prevLe * 1000).toFixed(2); // above the last bucket
        const frac = cum[i] === prevC ? 0 : (target - prevC) / (cum[i] - prevC);
        return +((prevLe + frac * (les[i] - prevLe)) * 1000).toFixed(2);
      }
      prevLe = les[i];
      prevC = cum[i];
    }
    return null;
  };
  const under = les.findIndex((le) => Math.abs(le - limitSec) < 1e-9);
  const over = under >= 0 && total ? 1 - cum[under] / total : null;
  return { count: total, p50: quant(0.5), p99: quant(0.99), overBudget: over === null ? null : +over.toFixed(4) };
}

function newBot(room: string): Bot {
  return {
    ws: null as unknown as BotSocket,
    room,
    welcomed: false,
    snapshots: 0,
    snapshotBytes: 0,
    texts: 0,
    textBytes: 0,
    bytes: 0,
    lastTick: 0,
    lastAt: 0,
    maxGapMs: 0,
    seq: 0,
    dx: 0,
    dy: 0,
    errors: 0,
    closed: false,
  };
}

/** What a bot does with a message from the server (both client implementations). */
function onBotMessage(bot: Bot, data: Buffer, isBinary: boolean): void {
  bot.bytes += data.length;
  if (isBinary) {
    if (data[0] === 0x10) {
      const r = new ByteReader(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 1);
      bot.lastTick = r.uvar();
      const now = performance.now();
      if (bot.lastAt > 0 && measuring) bot.maxGapMs = Math.max(bot.maxGapMs, now - bot.lastAt);
      bot.lastAt = now;
      if (measuring) {
        bot.snapshots++;
        bot.snapshotBytes += data.length;
      }
    }
    return;
  }
  if (measuring) {
    bot.texts++;
    bot.textBytes += data.length;
  }
  // only the first bytes of a text frame matter: no need to decode all of it
  const head = data.toString('latin1', 0, 24);
  if (head.startsWith('{"type":"welcome"')) bot.welcomed = true;
  else if (head.startsWith('{"type":"error"')) bot.errors++;
}

function openBot(impl: BotImpl, port: number, room: string, i: number): Promise<Bot> {
  const bot = newBot(room);
  const hello = encodeClientMessage({ type: 'hello', name: `bot${i}` });
  return new Promise((resolve) => {
    if (impl === 'raw') {
      const c = new RawWsClient({
        host: '127.0.0.1',
        port,
        path: `/ws?room=${room}`,
        onOpen: () => {
          c.send(hello);
          resolve(bot);
        },
        onMessage: (data, isBinary) => onBotMessage(bot, data, isBinary),
        onClose: () => {
          bot.closed = true;
          resolve(bot);
        },
      });
      bot.ws = {
        send: (d) => c.send(d),
        get open() {
          return c.readyState === ReadyState.Open;
        },
        terminate: () => c.terminate(),
      };
      return;
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?room=${room}`, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    bot.ws = {
      send: (d) => ws.send(d),
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
      terminate: () => ws.terminate(),
    };
    ws.on('open', () => {
      ws.send(hello);
      resolve(bot);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => onBotMessage(bot, data, isBinary));
    ws.on('error', () => {});
    ws.on('close', () => {
      bot.closed = true;
      resolve(bot);
    });
  });
}

let measuring = false;
/** Inputs sent by all bots while measuring. */
let inputsSent = 0;

/**
 * Inputs at --input-hz (default 20: every 50 ms) for every joined bot (new random direction
 * ~1/s), ack = last snapshot tick. The browser client sends ≈ 40 messages/s while a key is held
 * (inputs in twos, docs/PROTOCOL.md); `--input-hz 60` is one message per tick.
 */
function startInputs(bots: Bot[]): () => void {
  const timer = setInterval(() => {
    for (const b of bots) {
      if (!b.welcomed || b.closed || !b.ws.open) continue;
      if (Math.random() < 1 / INPUT_HZ) {
        b.dx = Math.round(Math.random() * 2 - 1);
        b.dy = Math.round(Math.random() * 2 - 1);
      }
      b.ws.send(encodeClientMessage({ type: 'input', seq: ++b.seq, dx: b.dx, dy: b.dy, ack: b.lastTick }));
      if (measuring) inputsSent++;
    }
  }, 1000 / INPUT_HZ);
  return () => clearInterval(timer);
}

/** Open bots until `bots` has `count`, in batches of 50 so the accept queue is not flooded. */
async function rampUp(bots: Bot[], count: number, impl: BotImpl, port: number, roomOf: (i: number) => string): Promise<void> {
  while (bots.length < count) {
    const batch: Promise<Bot>[] = [];
    for (let k = 0; k < 50 && bots.length + batch.length < count; k++) {
      const i = bots.length + batch.length;
      batch.push(openBot(impl, port, roomOf(i), i));
    }
    bots.push(...(await Promise.all(batch)));
  }
}

function resetWindow(bots: Bot[]): void {
  inputsSent = 0;
  for (const b of bots) {
    b.snapshots = 0;
    b.snapshotBytes = 0;
    b.texts = 0;
    b.textBytes = 0;
    b.maxGapMs = 0;
  }
}

/** Bot-side figures over a measured window. */
function botFigures(bots: Bot[], elapsed: number) {
  const live = bots.filter((b) => !b.closed && b.welcomed);
  const snaps = live.reduce((a, b) => a + b.snapshots, 0);
  const snapBytes = live.reduce((a, b) => a + b.snapshotBytes, 0);
  const texts = live.reduce((a, b) => a + b.texts, 0);
  const textBytes = live.reduce((a, b) => a + b.textBytes, 0);
  const expected = live.length * SNAPSHOT_HZ * elapsed;
  const gaps = live.map((b) => b.maxGapMs).sort((a, b) => a - b);
  return {
    connected: live.length,
    closed: bots.filter((b) => b.closed).length,
    errors: bots.reduce((a, b) => a + b.errors, 0),
    snapshotDelivery: +(snaps / Math.max(1, expected)).toFixed(3),
    snapshotsPerSec: Math.round(snaps / elapsed),
    avgSnapshotBytes: snaps ? Math.round(snapBytes / snaps) : null,
    inputsPerSec: Math.round(inputsSent / elapsed),
    /** Messages the bots handled per second: snapshots and text frames in, inputs out. */
    botMessagesPerSec: Math.round((snaps + texts + inputsSent) / elapsed),
    textFramesPerClientPerSec: live.length ? +(texts / live.length / elapsed).toFixed(2) : null,
    avgTextBytes: texts ? Math.round(textBytes / texts) : null,
    maxSnapshotGapMs: { p50: +(gaps[Math.floor(gaps.length * 0.5)] ?? 0).toFixed(1), p99: +(gaps[Math.floor(gaps.length * 0.99)] ?? 0).toFixed(1) },
  };
}

const load1 = () => +os.loadavg()[0].toFixed(2);

async function createRooms(base: string, codes: string[], n: number): Promise<void> {
  for (let r = codes.length; r < n; r++) {
    const res = await fetch(`${base}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosting: 'server', name: `bench${r}` }),
    });
    const j = (await res.json()) as { code?: string; error?: string; message?: string };
    if (!j.code) throw new Error(`room creation failed: ${res.status} ${j.error} ${j.message}`);
    codes.push(j.code);
  }
}

async function closeBots(bots: Bot[]): Promise<void> {
  for (const b of bots) b.ws.terminate();
  await sleep(500); // let both ends see the closes before the next phase
}

/**
 * What the floor must send: the real server's average binary snapshot size, text frame size
 * and text frames per client per second, from one real room of `perRoom` bots for 3 s.
 */
async function probeShape(perRoom: number, capacity: number): Promise<FloorShape> {
  const snapshotBytes = Number(arg('snapshot-bytes', '0'));
  if (snapshotBytes > 0) {
    return { snapshotBytes, textBytes: Number(arg('text-bytes', '200')), textPerSec: Number(arg('text-per-sec', '2')), source: 'arguments' };
  }
  const { child, base, port } = await startServer(capacity);
  const bots: Bot[] = [];
  let stop = () => {};
  try {
    const codes: string[] = [];
    await createRooms(base, codes, 1);
    stop = startInputs(bots);
    await rampUp(bots, perRoom, BOT_IMPL, port, () => codes[0]);
    await sleep(1500);
    resetWindow(bots);
    measuring = true;
    const t0 = performance.now();
    await sleep(3000);
    measuring = false;
    const f = botFigures(bots, (performance.now() - t0) / 1000);
    if (!f.avgSnapshotBytes) throw new Error('probe: no snapshots received from the real server');
    return {
      snapshotBytes: f.avgSnapshotBytes,
      textBytes: f.avgTextBytes ?? 200,
      textPerSec: f.textFramesPerClientPerSec ?? 0,
      source: `probe: 1 real room of ${perRoom} bots, 3 s`,
    };
  } finally {
    stop();
    await closeBots(bots);
    child.kill('SIGTERM');
    await exitOf(child);
  }
}

/**
 * One measured window: `probe` (server metrics/stats) before and after, server and bot CPU, the
 * bots' counters reset at the start and counted only inside it.
 */
async function measureWindow<T>(bots: Bot[], pid: number | undefined, seconds: number, probe: () => Promise<T>) {
  const load0 = load1();
  const before = await probe();
  const srv0 = procCpu(pid);
  const cpu0 = selfCpu();
  const t0 = performance.now();
  resetWindow(bots);
  measuring = true;
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const srv1 = procCpu(pid);
  const cpu1 = selfCpu();
  const after = await probe();
  return { load0, before, after, elapsed, srvPct: cpuPct(srv0, srv1, elapsed), botPct: cpuPct(cpu0, cpu1, elapsed)! };
}

/** Server and bot CPU of a window, in % of a core and per message (same for floor and real runs). */
function cpuFigures(
  srvCpu: number,
  elapsed: number,
  srvPct: ReturnType<typeof cpuPct>,
  botPct: NonNullable<ReturnType<typeof cpuPct>>,
  f: ReturnType<typeof botFigures>,
) {
  return {
    serverCpuPct: +((srvCpu / elapsed) * 100).toFixed(1),
    serverSysCpuPct: srvPct?.system ?? null,
    botCpuPct: botPct.total,
    botSysCpuPct: botPct.system,
    botCpuUsPerMessage: f.botMessagesPerSec ? +((botPct.total / 100 / f.botMessagesPerSec) * 1e6).toFixed(2) : null,
    serverCpuUsPerSnapshot: f.snapshotsPerSec ? Math.round((srvCpu / elapsed / f.snapshotsPerSec) * 1e6) : null,
  };
}

/** One floor level: fresh floor server, bots of one implementation, measured, torn down. */
async function floorRun(shape: FloorShape, impl: BotImpl, level: { rooms: number; clients: number }, roomOf: (i: number) => number) {
  const floor = await startFloor(shape);
  const bots: Bot[] = [];
  const stop = startInputs(bots);
  try {
    await rampUp(bots, level.clients, impl, floor.port, (i) => `F${roomOf(i)}`);
    await sleep(2000);
    const w = await measureWindow(bots, floor.child.pid, FLOOR_SECONDS, () => floor.stats()); // stats() starts/ends the server's window
    const { load0, elapsed, srvPct } = w;
    const st = w.after;
    const srvCpu = srvPct ? (srvPct.total / 100) * elapsed : st.cpuSeconds;
    const botPct = w.botPct;
    const f = botFigures(bots, elapsed);
    return {
      phase: 'floor',
      botImpl: impl,
      clients: level.clients,
      rooms: level.rooms,
      seconds: +elapsed.toFixed(1),
      ...f,
      ...cpuFigures(srvCpu, elapsed, srvPct, botPct, f),
      floorStepMs: st.stepMs,
      floorDroppedSteps: st.droppedSteps,
      serverFramesInPerSec: Math.round(st.framesIn / st.seconds),
      serverFramesOutPerSec: Math.round(st.framesOut / st.seconds),
      serverRssMB: st.rssMB,
      loadAverage1m: { before: load0, after: load1() },
    };
  } finally {
    stop();
    await closeBots(bots);
    floor.child.kill('SIGTERM');
    await exitOf(floor.child);
  }
}

async function main(): Promise<void> {
  const hardStop = setTimeout(() => {
    console.error('bench: hard time bound reached');
    process.exit(3);
  }, MAX_RUN_MS);
  hardStop.unref();
  // Each level: how many rooms, and which room every bot goes to.
  const levels: { rooms: number; clients: number }[] = ROOM_STEPS.length
    ? ROOM_STEPS.map((r) => ({ rooms: r, clients: r * PER_ROOM }))
    : (STEPS.length ? STEPS : [CLIENTS]).map((c) => ({ rooms: ROOMS, clients: c }));
  const capacity = Math.max(...levels.map((l) => Math.ceil(l.clients / l.rooms))) + 2;
  const roomIndex = (i: number, level: { rooms: number }) => (ROOM_STEPS.length ? Math.floor(i / PER_ROOM) : i % level.rooms);
  const results: Record<string, unknown>[] = [];
  const roomWorkers = ROOM_WORKERS !== '' ? ROOM_WORKERS : (process.env.ROOM_WORKERS ?? 'unset (server default)');
  console.log(
    JSON.stringify({ phases: PHASES, botImpl: BOT_IMPL, inputHz: INPUT_HZ, floorBots: PHASES.includes('floor') ? FLOOR_BOTS : [], roomWorkers, levels, loadAverage: os.loadavg().map((x) => +x.toFixed(2)) }),
  );
  let shape: FloorShape | null = null;

  if (PHASES.includes('floor')) {
    shape = await probeShape(Math.ceil(levels[0].clients / levels[0].rooms), capacity);
    console.log(JSON.stringify({ floorShape: shape }));
    for (const impl of FLOOR_BOTS) {
      for (const level of levels) {
        const row = await floorRun(shape, impl, level, (i) => roomIndex(i, level));
        results.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }

  if (PHASES.includes('real')) {
    const { child, base, port } = await startServer(capacity);
    const bots: Bot[] = [];
    const stop = startInputs(bots);
    try {
      const codes: string[] = [];
      for (const level of levels) {
        await createRooms(base, codes, level.rooms);
        await rampUp(bots, level.clients, BOT_IMPL, port, (i) => codes[roomIndex(i, level)]);
        await sleep(2000); // settle (welcomes, full snapshots)
        const w = await measureWindow(bots, child.pid, SECONDS, () => metricsText(base));
        const { load0, elapsed, srvPct, botPct } = w;
        const [m0, m1] = [w.before, w.after];
        const f = botFigures(bots, elapsed);
        const srvCpu = srvPct
          ? (srvPct.total / 100) * elapsed
          : (metric(m1, 'arena_process_cpu_seconds_total') ?? 0) - (metric(m0, 'arena_process_cpu_seconds_total') ?? 0);
        const row = {
          phase: 'real',
          botImpl: BOT_IMPL,
          inputHz: INPUT_HZ,
          // as the server process actually got it (its environment), not just as asked
          roomWorkers: procEnv(child.pid, 'ROOM_WORKERS') ?? 'unset (server default)',
          clients: level.clients,
          rooms: level.rooms,
          seconds: +elapsed.toFixed(1),
          // From the histograms' delta over exactly the measured window.
          roomTickMs: histStats(m0, m1, 'arena_tick_seconds', 0.0167),
          loopStepMs: histStats(m0, m1, 'arena_tick_loop_step_duration_seconds', 0.0167),
          // CPU actually spent per step: what the step costs when the core is ours.
          loopStepCpuMs: histStats(m0, m1, 'arena_tick_loop_step_cpu_seconds', 0.0167),
          droppedSteps: (metric(m1, 'arena_tick_loop_dropped_steps') ?? 0) - (metric(m0, 'arena_tick_loop_dropped_steps') ?? 0),
          ...f,
          ...cpuFigures(srvCpu, elapsed, srvPct, botPct, f),
          luaMsPerRoomTick: histStats(m0, m1, 'arena_lua_seconds', 0.0167).p50,
          serverRssMB: Math.round((metric(m1, 'arena_process_resident_memory_bytes') ?? 0) / 1e6),
        };
        const ok = row.loopStepMs.p99 !== null && row.loopStepMs.p99 < TICK_BUDGET_MS && row.snapshotDelivery >= 0.95;
        const cpuOk = row.loopStepCpuMs.p99 !== null && row.loopStepCpuMs.p99 < TICK_BUDGET_MS;
        const full = { ...row, withinBudget: ok, cpuWithinBudget: cpuOk, loadAverage1m: { before: load0, after: load1() } };
        results.push(full);
        console.log(JSON.stringify(full));
        // --steps / --room-steps stop once the CPU cost alone is over budget; a wall-time miss
        // on this shared machine may be other processes taking the cores, so keep going then.
        if (levels.length > 1 && !cpuOk) {
          console.log(`breaks at ${level.clients} clients in ${level.rooms} rooms (loop step CPU p99 ${row.loopStepCpuMs.p99} ms, wall p99 ${row.loopStepMs.p99} ms, delivery ${row.snapshotDelivery})`);
          break;
        }
      }
    } finally {
      stop();
      for (const b of bots) b.ws.terminate();
      child.kill('SIGTERM');
      await exitOf(child);
    }
  }

  // real / floor, per level, against the floor run with the same bot implementation
  const comparison: Record<string, unknown>[] = [];
  for (const real of results.filter((r) => r.phase === 'real')) {
    const floor = results.find((r) => r.phase === 'floor' && r.botImpl === real.botImpl && r.clients === real.clients && r.rooms === real.rooms);
    if (!floor) continue;
    const ratio = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? +(a / b).toFixed(2) : null);
    comparison.push({
      clients: real.clients,
      rooms: real.rooms,
      botImpl: real.botImpl,
      serverCpuPct: { floor: floor.serverCpuPct, real: real.serverCpuPct, ratio: ratio(real.serverCpuPct, floor.serverCpuPct) },
      serverSysCpuPct: { floor: floor.serverSysCpuPct, real: real.serverSysCpuPct },
      botCpuPct: { floor: floor.botCpuPct, real: real.botCpuPct },
      snapshotDelivery: { floor: floor.snapshotDelivery, real: real.snapshotDelivery },
      serverCpuUsPerSnapshot: { floor: floor.serverCpuUsPerSnapshot, real: real.serverCpuUsPerSnapshot, ratio: ratio(real.serverCpuUsPerSnapshot, floor.serverCpuUsPerSnapshot) },
      avgSnapshotBytes: { floor: floor.avgSnapshotBytes, real: real.avgSnapshotBytes },
    });
  }
  for (const c of comparison) console.log(JSON.stringify({ realVsFloor: c }));
  const out = {
    bench: 'server-load',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    args: {
      clients: CLIENTS,
      rooms: ROOMS,
      seconds: SECONDS,
      floorSeconds: FLOOR_SECONDS,
      steps: STEPS,
      roomSteps: ROOM_STEPS,
      perRoom: PER_ROOM,
      snapshotHz: SNAPSHOT_HZ,
      phases: PHASES,
      botImpl: BOT_IMPL,
      floorBots: FLOOR_BOTS,
      roomWorkers,
    },
    floorShape: shape,
    loadAverage: os.loadavg(),
    results,
    realVsFloor: comparison,
  };
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `server-load-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`written ${path.relative(ROOT, file)}`);
}

main().then(() => process.exit(0)).catch((err) => {
  console.error(err);
  process.exit(1);
});
