/**
 * Room tick benchmark (in-process): one server-hosted room exactly as the server runs it
 * (RoomHost over createSimulation: WASM physics + fengari Lua rules, mode coin_rush, 20 Hz
 * snapshots), with 0 and N players connected over in-memory LocalConnections. Each bot sends
 * a binary input (with an ack of the last snapshot it received) every 3 ticks, changing
 * direction at random (seeded), as a real client would. Reports RoomHost.tick() p50/p99/mean.
 *
 *   node --import tsx bench/room.bench.ts [--players 0,20] [--ticks 3600] [--warmup 300]
 *     [--clock wall|cpu]
 * Bounded: at most 6000 ticks per scenario and 25 s of wall time overall.
 * Writes bench/results/room.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createSimulation } from '../core/sim/simulation';
import { RoomHost } from '../core/host/room-host';
import { readLuaScripts } from '../core/sim/scripts-node';
import { createLocalPair, Mulberry32 } from '../core/net/local';
import { encodeClientMessage } from '../core/protocol/codec';
import { engineWasmBytes } from '../tests/helpers/engine';
import { fnv1a64hex } from '../core/sim/hash';

const args = process.argv.slice(2);
const arg = (name: string, d: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : d;
};
const PLAYER_COUNTS = arg('players', '0,20').split(',').map(Number);
const TICKS = Math.min(Number(arg('ticks', '3600')), 6000);
const WARMUP = Math.min(Number(arg('warmup', '300')), 2000);
const CLOCK = arg('clock', 'wall');
const DEADLINE_MS = 25_000;
const now = CLOCK === 'cpu'
  ? (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
  : (): number => performance.now();

function stats(xs: number[]): { p50: number; p99: number; mean: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  const r = (v: number): number => +v.toFixed(4);
  return { p50: r(q(0.5)), p99: r(q(0.99)), mean: r(mean), max: r(s[s.length - 1] ?? 0) };
}

interface Bot { send: (f: Uint8Array | string) => void; seq: number; last: number; dx: number; dy: number }

const started = performance.now();
const scripts = readLuaScripts();
const wasm = engineWasmBytes();

async function scenario(players: number): Promise<Record<string, unknown>> {
  const sim = await createSimulation({ wasm, scripts, mode: 'coin_rush' });
  const host = new RoomHost({ sim, code: 'BENCH1', hostToken: 'bench', snapshotHz: 20, limits: { maxPlayers: 64, maxMessagesPerSecond: 1000 } });
  const rng = new Mulberry32(7);
  const bots: Bot[] = [];
  let snapshotsReceived = 0;
  for (let i = 0; i < players; i++) {
    const [c, h] = createLocalPair({ seed: 100 + i });
    const b: Bot = { send: (f) => c.send(f), seq: 0, last: 0, dx: 0, dy: 0 };
    c.onMessage((f) => {
      if (typeof f !== 'string') { b.last = host.sim.tick; snapshotsReceived++; }
    });
    host.attach(h);
    c.send(encodeClientMessage({ type: 'hello', name: `bot${i}` }));
    bots.push(b);
  }
  await new Promise((r) => setTimeout(r, 5));
  if (host.playerCount !== players) throw new Error(`only ${host.playerCount}/${players} bots joined`);
  const times: number[] = [];
  const snapTimes: number[] = []; // ticks that sent snapshots (every 3rd)
  let luaMs = 0;
  const luaByHook: Record<string, number> = {};
  let physicsMs = 0;
  let bytes = 0;
  let measured = 0;
  for (let k = 0; k < WARMUP + TICKS; k++) {
    if (performance.now() - started > DEADLINE_MS) break;
    if (k % 3 === 0) {
      for (const b of bots) {
        if (rng.next() < 0.05) { b.dx = Math.round(rng.next() * 2 - 1); b.dy = Math.round(rng.next() * 2 - 1); }
        b.send(encodeClientMessage({ type: 'input', seq: ++b.seq, dx: b.dx, dy: b.dy, ack: b.last }));
      }
      // LocalConnection delivers on a microtask: let the inputs (and last snapshots) arrive
      await Promise.resolve();
      await Promise.resolve();
    }
    const t0 = now();
    const tel = host.tick();
    const d = now() - t0;
    if (k >= WARMUP) { times.push(d); if (tel.snapshotsSent > 0) snapTimes.push(d); luaMs += tel.luaTotalMs; for (const h in tel.luaMs) luaByHook[h] = (luaByHook[h] ?? 0) + tel.luaMs[h]; physicsMs += tel.physicsMs; bytes += tel.snapshotBytes; measured++; }
    if (k % 60 === 0) await new Promise((r) => setImmediate(r));
  }
  const res = {
    players,
    npcs: sim.entities().filter((e) => e.kind === 'npc').length,
    entities: sim.entities().length,
    ticks: measured,
    tickMs: stats(times),
    snapshotTickMs: stats(snapTimes),
    // wall-clock means of the simulation's own telemetry (Lua hooks, physics step)
    luaMsMean: +(luaMs / Math.max(1, measured)).toFixed(4),
    physicsMsMean: +(physicsMs / Math.max(1, measured)).toFixed(4),
    luaMsMeanByHook: Object.fromEntries(Object.keys(luaByHook).sort().map((h) => [h, +(luaByHook[h] / Math.max(1, measured)).toFixed(4)])),
    snapshotBytesPerTick: Math.round(bytes / Math.max(1, measured)),
    snapshotsReceived,
    stateHash: sim.hash(),
    // entities + scores only (not the script text inside stateHash): compares runs of two versions
    worldHash: fnv1a64hex(new TextEncoder().encode(JSON.stringify([sim.entities(), sim.players()]))),
  };
  host.close('bench over');
  sim.dispose();
  return res;
}

const results: Record<string, unknown>[] = [];
for (const n of PLAYER_COUNTS) results.push(await scenario(n));

const pad = (s: string | number, n: number): string => String(s).padStart(n);
console.log(`room tick (RoomHost.tick, coin_rush, 20 Hz snapshots), ${CLOCK} clock, ${TICKS} ticks after ${WARMUP} warm-up`);
console.log(`${pad('players', 8)} ${pad('entities', 9)} ${pad('p50 ms', 9)} ${pad('p99 ms', 9)} ${pad('mean ms', 9)} ${pad('max ms', 9)} ${pad('snap-tick p50', 14)} ${pad('lua ms', 8)} ${pad('phys ms', 8)} ${pad('snap B/tick', 12)} ${pad('ticks/s/core', 13)}`);
for (const r of results) {
  const t = r.tickMs as ReturnType<typeof stats>;
  console.log(`${pad(r.players as number, 8)} ${pad(r.entities as number, 9)} ${pad(t.p50.toFixed(3), 9)} ${pad(t.p99.toFixed(3), 9)} ${pad(t.mean.toFixed(3), 9)} ${pad(t.max.toFixed(3), 9)} ${pad((r.snapshotTickMs as ReturnType<typeof stats>).p50.toFixed(3), 14)} ${pad((r.luaMsMean as number).toFixed(3), 8)} ${pad((r.physicsMsMean as number).toFixed(3), 8)} ${pad(r.snapshotBytesPerTick as number, 12)} ${pad(Math.round(1000 / t.mean), 13)}`);
}
const out = {
  date: new Date().toISOString(),
  machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg().map((x) => +x.toFixed(2)) },
  clock: CLOCK,
  ticks: TICKS,
  warmup: WARMUP,
  results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/room.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
for (const r of results) console.log(`players ${r.players}: Lua ms per tick by hook ${JSON.stringify(r.luaMsMeanByHook)}, world hash ${r.worldHash}`);
console.log(`load average ${out.machine.loadavg.join(' ')}, ${out.machine.nproc} cpus, node ${out.machine.node}; wrote bench/results/room.json`);
