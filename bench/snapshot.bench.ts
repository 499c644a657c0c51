/**
 * Snapshot benchmark: bytes per moving entity, bytes per peer per second, encode/decode cost,
 * for 32 players + 100 NPCs (+ coins, walls) at 20 Hz, over 60 s of game time, under several
 * network conditions (baseline age = how old the client's last ack is; loss = snapshots lost).
 *
 * Run: node --import tsx bench/snapshot.bench.ts   (writes bench/results/snapshot.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { SnapshotDecoder, SnapshotEncoder, toViews } from '../core/snapshot';
import { decodeServerMessage, encodeJsonSnapshot, encodeSnapshotFrame, type BinarySnapshotMsg } from '../core/protocol';
import { SyntheticWorld, Rng } from '../tests/unit/helpers/synthetic-world';
import { createSimulation } from '../core/sim';
import { readLuaScripts } from '../core/sim/scripts-node';
import { readFileSync } from 'node:fs';

const PLAYERS = 32;
const NPCS = 100;
const SECONDS = 60;
const SNAPSHOT_EVERY = 3; // 20 Hz

interface Scenario {
  name: string;
  /** one-way latency in snapshot intervals (ack arrives 2*lat intervals later) */
  latSnapshots: number;
  loss: number;
}

const scenarios: Scenario[] = [
  { name: 'LAN (ack after 1 snapshot)', latSnapshots: 0, loss: 0 },
  { name: '100 ms RTT', latSnapshots: 1, loss: 0 },
  { name: '200 ms RTT, 5% loss', latSnapshots: 2, loss: 0.05 },
  { name: '200 ms RTT, 20% loss', latSnapshots: 2, loss: 0.2 },
];

function runScenario(sc: Scenario, world: WorldSource, source: string, seconds: number) {
  const enc = new SnapshotEncoder(32);
  const dec = new SnapshotDecoder(64);
  const rng = new Rng(7);
  const acksInFlight: { arriveAt: number; tick: number }[] = [];
  let ack: number | null = null;
  let snaps = 0;
  let bytes = 0;
  let deltaBytes = 0;
  let deltas = 0;
  let fulls = 0;
  let encodeMs = 0;
  let decodeMs = 0;
  let mismatches = 0;
  let jsonBytes = 0;
  let fullBytes = 0;
  for (let t = 1; t <= seconds * 60; t++) {
    world.step();
    if (t % SNAPSHOT_EVERY) continue;
    const k = t / SNAPSHOT_EVERY; // snapshot index
    while (acksInFlight.length && acksInFlight[0].arriveAt <= k) {
      const a = acksInFlight.shift()!;
      if (ack === null || a.tick > ack) ack = a.tick;
    }
    const views = world.entities();
    const t0 = performance.now();
    const state = enc.capture(world.tick, views);
    const { baseTick, body } = enc.body(world.tick, ack);
    const frame = encodeSnapshotFrame(world.tick, baseTick, 1000 + k, body);
    encodeMs += performance.now() - t0;
    snaps++;
    bytes += frame.byteLength;
    if (baseTick === null) {
      fulls++;
      fullBytes = frame.byteLength;
    } else {
      deltas++;
      deltaBytes += frame.byteLength;
    }
    if (k % 20 === 0) jsonBytes = encodeJsonSnapshot(world.tick, 1000 + k, JSON.stringify(toViews(state))).length;
    if (rng.next() < sc.loss) continue;
    const t1 = performance.now();
    const r = decodeServerMessage(frame);
    const res = r.ok ? dec.apply(r.msg as BinarySnapshotMsg) : null;
    decodeMs += performance.now() - t1;
    if (!res || !res.ok || JSON.stringify(res.state) !== JSON.stringify(state)) mismatches++;
    if (rng.next() < sc.loss) continue; // ack lost
    acksInFlight.push({ arriveAt: k + 1 + 2 * sc.latSnapshots, tick: world.tick });
  }
  const moving = world.moving;
  return {
    world: source,
    scenario: sc.name,
    snapshots: snaps,
    fullSnapshots: fulls,
    entities: world.entities().length,
    movingEntities: moving,
    fullSnapshotBytes: fullBytes,
    avgDeltaBytes: +(deltaBytes / Math.max(1, deltas)).toFixed(1),
    bytesPerMovingEntity: +(deltaBytes / Math.max(1, deltas) / moving).toFixed(2),
    bytesPerPeerPerSecond: Math.round(bytes / seconds),
    jsonSnapshotBytes: jsonBytes,
    encodeUsPerSnapshot: +((encodeMs / snaps) * 1000).toFixed(1),
    decodeUsPerSnapshot: +((decodeMs / snaps) * 1000).toFixed(1),
    mismatches,
  };
}

/** Source of entity views per tick: the synthetic world, or the real simulation. */
interface WorldSource {
  tick: number;
  step(): void;
  entities(): ReturnType<SyntheticWorld['entities']>;
  readonly moving: number;
}

async function realWorld(): Promise<WorldSource> {
  const wasm = new Uint8Array(readFileSync(new URL('../engine-wasm/pkg/engine_wasm_bg.wasm', import.meta.url)));
  const sim = await createSimulation({ wasm, scripts: readLuaScripts(), seed: 42, npcs: NPCS });
  const rng = new Rng(5);
  const held: [number, number][] = [];
  for (let i = 1; i <= PLAYERS; i++) {
    sim.addPlayer(`player_${i}`, `bot${i}`);
    held.push([0, 0]);
  }
  let seq = 0;
  return {
    get tick() {
      return sim.tick;
    },
    step() {
      seq++;
      for (let i = 0; i < PLAYERS; i++) {
        if (rng.next() < 1 / 40) {
          const d = rng.int(9);
          held[i] = [[0, 1, 1, 0, -1, -1, -1, 0, 1][d], [0, 0, 1, 1, 1, 0, -1, -1, -1][d]];
        }
        sim.setInput(`player_${i + 1}`, { seq, dx: held[i][0], dy: held[i][1] });
      }
      sim.step();
    },
    entities: () => sim.entities(),
    get moving() {
      return sim.entities().filter((e) => e.kind === 'player' || e.kind === 'npc').length;
    },
  };
}

const results = scenarios.map((sc) => runScenario(sc, new SyntheticWorld({ players: PLAYERS, npcs: NPCS, coins: 30, walls: 16, seed: 42, coinChurn: 0.05 }), 'synthetic', SECONDS));
const REAL_SECONDS = 20;
if (!process.argv.includes('--synthetic-only')) {
  for (const sc of [scenarios[1], scenarios[2]]) results.push(runScenario(sc, await realWorld(), 'real simulation', REAL_SECONDS));
}
console.log(`snapshot bench: ${PLAYERS} players + ${NPCS} NPCs, 20 Hz; synthetic world (+30 coins, 16 walls) ${SECONDS} s, real simulation ${REAL_SECONDS} s of game time`);
console.table(results);

/**
 * Design sweep on the real simulation: bytes per moving entity of the update records alone
 * (head + fields) for three ways of coding motion, baseline 1/2/4 snapshots old.
 */
async function sweep(): Promise<{ lag: number; scheme: string; bytesPerMovingEntity: number }[]> {
  const w = await realWorld();
  const snaps: ReturnType<WorldSource['entities']>[] = [];
  for (let t = 1; t <= 15 * 60; t++) {
    w.step();
    if (t % 3 === 0 && t > 60) snaps.push(w.entities().map((e) => ({ ...e })));
  }
  const vlen = (v: number): number => {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    let n = 1;
    while (z >= 128) {
      z = Math.floor(z / 128);
      n++;
    }
    return n;
  };
  const schemes: [string, (kind: string) => number][] = [
    ['velocity (1/2 u/s) for all, dead reckoning', () => 2],
    ['no velocity, position deltas', () => 0],
    ['velocity for players only (chosen)', (k) => (k === 'player' ? 2 : 0)],
  ];
  const out: { lag: number; scheme: string; bytesPerMovingEntity: number }[] = [];
  for (const lag of [1, 2, 4]) {
    for (const [scheme, velScale] of schemes) {
      let bytes = 0;
      let n = 0;
      for (let k = lag; k < snaps.length; k++) {
        const base = new Map(snaps[k - lag].map((e) => [e.id, e]));
        const dt = lag * SNAPSHOT_EVERY;
        for (const e of snaps[k]) {
          if (e.kind !== 'player' && e.kind !== 'npc') continue;
          const b = base.get(e.id);
          if (!b) continue;
          n++;
          const vs = velScale(e.kind);
          const q = (v: number, sc: number): number => Math.round(v * sc);
          const [bx, by, x, y] = [q(b.x, 8), q(b.y, 8), q(e.x, 8), q(e.y, 8)];
          let cost = 0;
          if (vs === 0) {
            if (x !== bx || y !== by) cost += vlen(x - bx) + vlen(y - by);
          } else {
            const [bvx, bvy, vx, vy] = [q(b.vx, vs), q(b.vy, vs), q(e.vx, vs), q(e.vy, vs)];
            const px = bx + Math.trunc((bvx * dt * 8) / (vs * 60));
            const py = by + Math.trunc((bvy * dt * 8) / (vs * 60));
            if (x !== px || y !== py) cost += vlen(x - px) + vlen(y - py);
            if (vx !== bvx || vy !== bvy) cost += vlen(vx - bvx) + vlen(vy - bvy);
          }
          if (cost) cost += 1; // head
          bytes += cost;
        }
      }
      out.push({ lag, scheme, bytesPerMovingEntity: +(bytes / n).toFixed(2) });
    }
  }
  return out;
}
/**
 * Fan-out: a real RoomHost (real simulation, 100 NPCs) with 32 GameClients over in-memory
 * connections, every client moving. Host cost of the network side per tick (tick() time minus
 * the simulation's physics + Lua time) and bytes sent.
 */
async function fanout(): Promise<Record<string, number>> {
  const { RoomHost } = await import('../core/host/room-host');
  const { GameClient } = await import('../core/client/game-client');
  const { createLocalPair } = await import('../core/net/local');
  const wasm = new Uint8Array(readFileSync(new URL('../engine-wasm/pkg/engine_wasm_bg.wasm', import.meta.url)));
  const sim = await createSimulation({ wasm, scripts: readLuaScripts(), seed: 42, npcs: NPCS });
  let now = 0;
  const host = new RoomHost({ sim, code: 'BENCH', hostToken: 'x', now: () => now, limits: { maxPlayers: PLAYERS } });
  const clients: InstanceType<typeof GameClient>[] = [];
  for (let i = 0; i < PLAYERS; i++) {
    const [a, b] = createLocalPair();
    host.attach(b);
    clients.push(new GameClient(a, { name: `bot${i}`, now: () => now, pingIntervalMs: 0 }));
  }
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  await flush();
  const rng = new Rng(3);
  let netMs = 0;
  let snapTicks = 0;
  let bytes = 0;
  let clientMs = 0;
  const TICKS = 10 * 60;
  for (let t = 0; t < TICKS; t++) {
    now += 1000 / 60;
    for (const c of clients) {
      if (rng.next() < 1 / 40) c.setInput(rng.int(3) - 1, rng.int(3) - 1);
      c.update(now);
    }
    await flush();
    const t0 = performance.now();
    const tel = host.tick();
    const hostMs = performance.now() - t0;
    if (tel.snapshotsSent && t > 60) {
      netMs += hostMs - tel.physicsMs - tel.luaTotalMs;
      snapTicks++;
      bytes += tel.snapshotBytes;
    }
    const t1 = performance.now();
    await flush(); // clients decode
    if (tel.snapshotsSent && t > 60) clientMs += performance.now() - t1;
  }
  const res = {
    clients: PLAYERS,
    entities: sim.entities().length,
    hostNetworkMsPerSnapshotTick: +(netMs / snapTicks).toFixed(2),
    bytesPerSnapshotTick: Math.round(bytes / snapTicks),
    bytesPerPeerPerSecond: Math.round((bytes / snapTicks / PLAYERS) * 20),
    clientDecodeUsPerSnapshot: Math.round((clientMs / snapTicks / PLAYERS) * 1000),
    decodeErrors: clients.reduce((n, c) => n + c.stats.decodeErrors, 0),
  };
  host.close('bench over');
  sim.dispose();
  return res;
}

const sweepResults = process.argv.includes('--synthetic-only') ? [] : await sweep();
const fanoutResult = process.argv.includes('--synthetic-only') ? null : await fanout();
if (fanoutResult) {
  console.log('room host fan-out (real simulation, 32 GameClients over in-memory connections):');
  console.table([fanoutResult]);
}
if (sweepResults.length) {
  console.log('motion coding sweep (real simulation, update records only; lag = baseline age in snapshots):');
  console.table(sweepResults);
}
// host cost for a full room: one body per distinct baseline, header per client
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/snapshot.json', JSON.stringify({ date: new Date().toISOString(), players: PLAYERS, npcs: NPCS, results, sweep: sweepResults, fanout: fanoutResult }, null, 2));
if (results.some((r) => r.mismatches)) {
  console.error('MISMATCH: delta decode differs from the full state');
  process.exit(1);
}
