/**
 * Lua rules benchmark: 64 players + 256 NPCs with the shipped rules (coin_rush + power-ups +
 * NPC AI + movement), fixed 60 Hz ticks in Node. Reports Lua ms per tick per hook (median, p95),
 * total Lua ms and physics ms. Target: Lua <= 2 ms per tick.
 *   node --import tsx bench/lua.bench.ts [--ticks 600] [--mode coin_rush|tag]
 * Writes bench/results/lua.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, platform, arch, loadavg } from 'node:os';
import { createSimulation } from '../core/sim';
import { readLuaScripts } from '../core/sim/scripts-node';
import { engineWasmBytes } from '../tests/helpers/engine';

const args = process.argv.slice(2);
const arg = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : d;
};
const TICKS = Math.min(Number(arg('ticks', '600')), 5000);
const WARMUP = 180;
// --players/--npcs/--arena WxH: other scenes, e.g. a server room: --players 20 --npcs 8 --arena 1600x1000
const PLAYERS = Math.min(Number(arg('players', '64')), 1000);
const NPCS = Math.min(Number(arg('npcs', '256')), 2000);
const [ARENA_W, ARENA_H] = arg('arena', '3000x2000').split('x').map(Number);
const MODE = arg('mode', 'coin_rush');
// --clock cpu: time with this process's CPU time (process.cpuUsage) instead of wall time, so a
// loaded shared machine (preemption) does not inflate the figures. Default: wall (performance.now).
const CLOCK = arg('clock', 'wall');
const now = CLOCK === 'cpu'
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
  : () => performance.now();

function stats(xs: number[]) {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { median: +q(0.5).toFixed(4), p95: +q(0.95).toFixed(4), p99: +q(0.99).toFixed(4), max: +(s[s.length - 1] ?? 0).toFixed(4), mean: +mean.toFixed(4) };
}

let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const sim = await createSimulation({
  wasm: engineWasmBytes(), scripts: readLuaScripts(), seed: 9, npcs: NPCS, mode: MODE,
  arena: { width: ARENA_W, height: ARENA_H }, now,
});
for (let i = 1; i <= PLAYERS; i++) sim.addPlayer(`player_${i}`, `P${i}`);
let seq = 1;
const perHook: Record<string, number[]> = {};
const lua: number[] = [];
const phys: number[] = [];
const stepMs: number[] = [];
let errors = 0;
const t0 = performance.now();
for (let t = 0; t < WARMUP + TICKS; t++) {
  for (let i = 1; i <= PLAYERS; i++) {
    if (rnd() < 1 / 30) sim.setInput(`player_${i}`, { seq: seq++, dx: rnd() * 2 - 1, dy: rnd() * 2 - 1 });
    if (rnd() < 1 / 600) sim.action(`player_${i}`, { action: 'move', direction: 'right' });
  }
  const s0 = now();
  const tel = sim.step();
  const s1 = now();
  errors += tel.errors.length;
  if (t < WARMUP) continue;
  stepMs.push(s1 - s0);
  lua.push(tel.luaTotalMs);
  phys.push(tel.physicsMs);
  for (const hook of ['inputs', 'on_action', 'on_tick', 'on_event']) (perHook[hook] ??= []).push(tel.luaMs[hook] ?? 0);
}
const wall = performance.now() - t0;
const counts = sim.entities().reduce<Record<string, number>>((acc, e) => ((acc[e.kind] = (acc[e.kind] ?? 0) + 1), acc), {});
const result = {
  bench: 'lua',
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${platform()}-${arch()}` },
  config: { players: PLAYERS, npcs: NPCS, mode: MODE, ticks: TICKS, warmup: WARMUP, arena: sim.arena, clock: CLOCK },
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
  entities: counts,
  luaMsPerTick: stats(lua),
  luaMsPerHook: Object.fromEntries(Object.entries(perHook).map(([k, v]) => [k, stats(v)])),
  physicsMsPerTick: stats(phys),
  stepMsPerTick: stats(stepMs),
  scriptErrors: errors,
  wallMs: Math.round(wall),
  targetLuaMs: 2,
  meetsTarget: stats(lua).median <= 2,
};
sim.dispose();
mkdirSync('bench/results', { recursive: true });
writeFileSync(arg('out', 'bench/results/lua.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`Lua rules: ${PLAYERS} players + ${NPCS} NPCs, mode ${MODE}, ${TICKS} ticks, clock ${CLOCK}, load ${result.loadAverage.join(' ')}`);
console.log(`  Lua total ms/tick   median ${result.luaMsPerTick.median}  p95 ${result.luaMsPerTick.p95}  (target <= 2)`);
for (const [k, v] of Object.entries(result.luaMsPerHook)) console.log(`  ${k.padEnd(18)}  median ${v.median}  p95 ${v.p95}`);
console.log(`  physics ms/tick     median ${result.physicsMsPerTick.median}  p95 ${result.physicsMsPerTick.p95}`);
console.log(`  whole step ms/tick  median ${result.stepMsPerTick.median}  p95 ${result.stepMsPerTick.p95}`);
console.log(`  script errors: ${errors}; entities: ${JSON.stringify(counts)}`);
