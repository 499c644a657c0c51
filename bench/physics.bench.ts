/**
 * Physics benchmark: step time for N = 100 / 1,000 / 10,000 moving circles colliding in a
 * bounded arena (top-down, no gravity, elastic), for
 *   (1) this engine (Rust -> WASM, in Node, through the PhysicsWorld wrapper),
 *   (2) the same algorithm in plain TypeScript (bench/reference/physics.ts),
 *   (3) @dimforge/rapier2d-compat on the same scene (balls + 4 fixed wall cuboids).
 * The three worlds step interleaved (one step each per round) so machine noise hits them alike.
 * Also: cost of reading all positions out (as % of a step), .wasm size raw/gzip.
 * Run: node --import tsx bench/physics.bench.ts   (writes bench/results/physics.json)
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import RAPIER from '@dimforge/rapier2d-compat';
import { loadPhysics, PhysicsWorld } from '../core/physics';
import { RefWorld } from './reference/physics';

const WASM_PATH = fileURLToPath(new URL('../engine-wasm/pkg/engine_wasm_bg.wasm', import.meta.url));
const OUT = fileURLToPath(new URL('./results/physics.json', import.meta.url));

interface Body {
  x: number;
  y: number;
  r: number;
  vx: number;
  vy: number;
}

/** mulberry32: the scene generator's own seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** N circles (radius 2..4) at ~25 % area coverage, random directions at 100 units/s. */
function makeScene(n: number): { side: number; bodies: Body[] } {
  const rnd = prng(12345 + n);
  const side = Math.sqrt((n * Math.PI * 3.1 * 3.1) / 0.25);
  const bodies: Body[] = [];
  for (let i = 0; i < n; i++) {
    const r = 2 + rnd() * 2;
    const a = rnd() * Math.PI * 2;
    bodies.push({ x: r + rnd() * (side - 2 * r), y: r + rnd() * (side - 2 * r), r, vx: Math.cos(a) * 100, vy: Math.sin(a) * 100 });
  }
  return { side, bodies };
}

interface Stepper {
  name: string;
  step(): void;
  readAll(out: Float32Array): void;
  free(): void;
}

function wasmStepper(side: number, bodies: Body[]): Stepper {
  const w = new PhysicsWorld({ width: side, height: side, restitution: 1, friction: 0, seed: 1 });
  for (const b of bodies) w.addCircle({ x: b.x, y: b.y, radius: b.r, vx: b.vx, vy: b.vy, restitution: 1 });
  return {
    name: 'wasm',
    step: () => w.step(),
    readAll: (out) => out.set(w.positions()),
    free: () => w.free(),
  };
}

function tsStepper(side: number, bodies: Body[]): Stepper {
  const w = new RefWorld({ width: side, height: side, restitution: 1, friction: 0 });
  for (const b of bodies) w.addCircle(b.x, b.y, b.r, b.vx, b.vy);
  return {
    name: 'ts',
    step: () => w.step(),
    readAll: (out) => out.set(w.pos.subarray(0, 2 * w.n)),
    free: () => {},
  };
}

function rapierStepper(side: number, bodies: Body[]): Stepper {
  const world = new RAPIER.World({ x: 0, y: 0 });
  world.timestep = 1 / 60;
  const t = 10;
  for (const [x, y, hx, hy] of [
    [side / 2, -t, side / 2 + 2 * t, t],
    [side / 2, side + t, side / 2 + 2 * t, t],
    [-t, side / 2, t, side / 2 + 2 * t],
    [side + t, side / 2, t, side / 2 + 2 * t],
  ]) {
    const wall = world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(x, y));
    world.createCollider(RAPIER.ColliderDesc.cuboid(hx, hy).setRestitution(1).setFriction(0), wall);
  }
  const handles: RAPIER.RigidBody[] = [];
  for (const b of bodies) {
    const rb = world.createRigidBody(
      RAPIER.RigidBodyDesc.dynamic().setTranslation(b.x, b.y).setLinvel(b.vx, b.vy).lockRotations(),
    );
    world.createCollider(RAPIER.ColliderDesc.ball(b.r).setRestitution(1).setFriction(0), rb);
    handles.push(rb);
  }
  return {
    name: 'rapier',
    step: () => world.step(),
    readAll: (out) => {
      for (let i = 0; i < handles.length; i++) {
        const p = handles[i].translation();
        out[2 * i] = p.x;
        out[2 * i + 1] = p.y;
      }
    },
    free: () => world.free(),
  };
}

function stats(xs: number[]): { median: number; p95: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const round = (x: number, d = 4) => Number(x.toFixed(d));

async function main(): Promise<void> {
  const t0 = performance.now();
  const wasmBytes = readFileSync(WASM_PATH);
  await loadPhysics(new Uint8Array(wasmBytes));
  await RAPIER.init();
  const plan: [number, number, number][] = [
    // n, warmup steps, measured steps
    [100, 60, 600],
    [1000, 30, 300],
    [10000, 15, 120],
  ];
  const results = [];
  for (const [n, warm, steps] of plan) {
    const { side, bodies } = makeScene(n);
    const engines = [wasmStepper(side, bodies), tsStepper(side, bodies), rapierStepper(side, bodies)];
    // sanity: the TS reference runs the same algorithm (f64 vs f32 arithmetic aside)
    const pa = new Float32Array(2 * n);
    const pb = new Float32Array(2 * n);
    engines[0].step();
    engines[1].step();
    engines[0].readAll(pa);
    engines[1].readAll(pb);
    let maxDiff = 0;
    for (let i = 0; i < 2 * n; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i] - pb[i]));
    engines[2].step();
    for (let s = 0; s < warm; s++) for (const e of engines) e.step();
    const times: number[][] = engines.map(() => []);
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < engines.length; k++) {
        const a = performance.now();
        engines[k].step();
        times[k].push(performance.now() - a);
      }
    }
    // read-out of all positions (copy into a JS array, as a renderer/network layer would)
    const out = new Float32Array(2 * n);
    const readTimes: number[][] = engines.map(() => []);
    const reps = n >= 10000 ? 200 : 1000;
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < engines.length; k++) {
        const a = performance.now();
        engines[k].readAll(out);
        readTimes[k].push(performance.now() - a);
      }
    }
    const st = times.map(stats);
    const rd = readTimes.map(stats);
    const row = {
      n,
      steps,
      arena: round(side, 1),
      wasm: { medianMs: round(st[0].median), p95Ms: round(st[0].p95), readAllMs: round(rd[0].median, 5), readAllPctOfStep: round((100 * rd[0].median) / st[0].median, 2) },
      ts: { medianMs: round(st[1].median), p95Ms: round(st[1].p95), readAllMs: round(rd[1].median, 5) },
      rapier: { medianMs: round(st[2].median), p95Ms: round(st[2].p95), readAllMs: round(rd[2].median, 5), readAllPctOfStep: round((100 * rd[2].median) / st[2].median, 2) },
      tsVsWasmMaxPosDiffAfter1Step: Number(maxDiff.toPrecision(3)),
      tsOverWasm: round(st[1].median / st[0].median, 2),
      rapierOverWasm: round(st[2].median / st[0].median, 2),
    };
    results.push(row);
    for (const e of engines) e.free();
  }
  const gz = gzipSync(wasmBytes, { level: 9 }).length;
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg1: round(os.loadavg()[0], 2) },
    scene: 'N circles r=2..4, ~25% area coverage, 100 units/s random directions, no gravity, restitution 1, friction 0, dt 1/60, bounded square arena',
    wasmBytes: wasmBytes.length,
    wasmGzipBytes: gz,
    rapierVersion: RAPIER.version(),
    results,
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');

  const pad = (s: string | number, k: number) => String(s).padStart(k);
  console.log(`physics bench — ${report.date} — ${report.machine.cpus} cores (${report.machine.cpuModel}), node ${report.machine.node}, load ${report.machine.loadavg1}`);
  console.log(`engine .wasm: ${report.wasmBytes} bytes raw, ${gz} bytes gzip; rapier2d-compat ${report.rapierVersion}`);
  console.log(
    ['N', 'wasm med', 'wasm p95', 'ts med', 'ts p95', 'rapier med', 'rapier p95', 'ts/wasm', 'rapier/wasm', 'read-out %'].map((h, i) => pad(h, i === 0 ? 6 : 11)).join(' '),
  );
  for (const r of results) {
    console.log(
      [
        pad(r.n, 6),
        pad(r.wasm.medianMs.toFixed(3), 11),
        pad(r.wasm.p95Ms.toFixed(3), 11),
        pad(r.ts.medianMs.toFixed(3), 11),
        pad(r.ts.p95Ms.toFixed(3), 11),
        pad(r.rapier.medianMs.toFixed(3), 11),
        pad(r.rapier.p95Ms.toFixed(3), 11),
        pad(r.tsOverWasm.toFixed(2) + 'x', 11),
        pad(r.rapierOverWasm.toFixed(2) + 'x', 11),
        pad(r.wasm.readAllPctOfStep.toFixed(2) + '%', 11),
      ].join(' '),
    );
  }
  console.log(`TS reference vs WASM, max position difference after 1 step: ${results.map((r) => `N=${r.n}: ${r.tsVsWasmMaxPosDiffAfter1Step}`).join(', ')}`);
  console.log(`(ms per step; read-out = copy all positions out of WASM memory, % of a wasm step) — ${report.totalSeconds} s — ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
