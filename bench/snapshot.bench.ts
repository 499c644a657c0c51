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

function runScenario(sc: Scenario) {
  const world = new SyntheticWorld({ players: PLAYERS, npcs: NPCS, coins: 30, walls: 16, seed: 42, coinChurn: 0.05 });
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
  for (let t = 1; t <= SECONDS * 60; t++) {
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
    scenario: sc.name,
    snapshots: snaps,
    fullSnapshots: fulls,
    entities: world.entities().length,
    movingEntities: moving,
    fullSnapshotBytes: fullBytes,
    avgDeltaBytes: +(deltaBytes / Math.max(1, deltas)).toFixed(1),
    bytesPerMovingEntity: +(deltaBytes / Math.max(1, deltas) / moving).toFixed(2),
    bytesPerPeerPerSecond: Math.round(bytes / SECONDS),
    jsonSnapshotBytes: jsonBytes,
    encodeUsPerSnapshot: +((encodeMs / snaps) * 1000).toFixed(1),
    decodeUsPerSnapshot: +((decodeMs / snaps) * 1000).toFixed(1),
    mismatches,
  };
}

const results = scenarios.map(runScenario);
console.log(`snapshot bench: ${PLAYERS} players + ${NPCS} NPCs (+30 coins, 16 walls), 20 Hz, ${SECONDS} s game time`);
console.table(results);
// host cost for a full room: one body per distinct baseline, header per client
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/snapshot.json', JSON.stringify({ date: new Date().toISOString(), players: PLAYERS, npcs: NPCS, results }, null, 2));
if (results.some((r) => r.mismatches)) {
  console.error('MISMATCH: delta decode differs from the full state');
  process.exit(1);
}
