import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SnapshotDecoder,
  SnapshotEncoder,
  dequantizeEntity,
  quantizeEntity,
  quantizeEntities,
  applySnapshot,
  encodeSnapshotBody,
  POS_SCALE,
  VEL_SCALE,
  type QEntity,
} from '../../core/snapshot';
import { decodeServerMessage, encodeSnapshotFrame, type BinarySnapshotMsg } from '../../core/protocol';
import { SyntheticWorld, Rng } from './helpers/synthetic-world';
import type { EntityView } from '../../core/sim/types';

function parse(frame: Uint8Array): BinarySnapshotMsg {
  const r = decodeServerMessage(frame);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.msg.type, 'snapshot_bin');
  return r.msg as BinarySnapshotMsg;
}

test('quantization error bounds: positions/sizes within 1/16 unit, velocities within 1/4 unit/s', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 2000; i++) {
    const e: EntityView = {
      id: i,
      kind: i % 2 ? 'npc' : 'player',
      x: (rng.next() - 0.2) * 5000,
      y: rng.next() * 3000,
      vx: (rng.next() - 0.5) * 2000,
      vy: (rng.next() - 0.5) * 2000,
      r: rng.next() * 50,
      h: rng.next() * 50,
      flags: rng.int(64),
      variant: 'wander',
    };
    const d = dequantizeEntity(quantizeEntity(e));
    assert.ok(Math.abs(d.x - e.x) <= 0.5 / POS_SCALE + 1e-9);
    assert.ok(Math.abs(d.y - e.y) <= 0.5 / POS_SCALE + 1e-9);
    if (e.kind === 'player') assert.ok(Math.abs(d.vx - e.vx) <= 0.5 / VEL_SCALE + 1e-9);
    else assert.equal(d.vx, 0, 'non-player velocity is not on the wire');
    assert.ok(Math.abs(d.r - e.r) <= 0.5 / POS_SCALE + 1e-9);
    assert.equal(d.flags, e.flags);
    assert.equal(d.variant, 'wander');
    assert.equal(d.kind, e.kind);
  }
  // non-player velocity derived from the previous position
  const a = quantizeEntity({ id: 1, kind: 'npc', x: 10, y: 0, vx: 0, vy: 0, r: 1, h: 1, flags: 0 });
  const b = quantizeEntity({ id: 1, kind: 'npc', x: 13, y: -1.5, vx: 0, vy: 0, r: 1, h: 1, flags: 0 });
  const dv = dequantizeEntity(b, a, 6);
  assert.equal(dv.vx, 30);
  assert.equal(dv.vy, -15);
  assert.throws(() => quantizeEntity({ id: 1, kind: 'dragon' as never, x: 0, y: 0, vx: 0, vy: 0, r: 1, h: 1, flags: 0 }));
});

test('full snapshot round-trips the quantized state exactly', () => {
  const w = new SyntheticWorld({ players: 8, npcs: 20, seed: 5 });
  for (let i = 0; i < 30; i++) w.step();
  const state = quantizeEntities(w.entities());
  const msg = parse(encodeSnapshotFrame(w.tick, null, 0, encodeSnapshotBody(state, w.tick, null, 0)));
  assert.deepEqual(applySnapshot(msg, null), state);
});

/**
 * Many ticks with entities appearing and disappearing and a lossy link: the client acks only
 * the snapshots it received (and some acks are lost too). Every decoded delta must equal the
 * full state of its tick.
 */
test('a full snapshot of small non-player records (9 bytes each) decodes', () => {
  // coins near the origin: every field fits one byte, no velocity on the wire
  const views: EntityView[] = [1, 2, 3].map((id) => ({ id, kind: 'coin', x: 1, y: 2, vx: 0, vy: 0, r: 4, h: 0, flags: 0 }));
  const state = quantizeEntities(views);
  const body = encodeSnapshotBody(state, 5, null, 0);
  assert.equal(body.length, 1 + 1 + 3 * 9 + 1);
  const msg = parse(encodeSnapshotFrame(5, null, 0, body));
  assert.deepEqual(applySnapshot(msg, null), state);
});

test('delta snapshots decode to the same state as full ones (churn + packet loss + lost acks)', () => {
  const world = new SyntheticWorld({ players: 12, npcs: 40, coins: 30, seed: 11, coinChurn: 0.3, npcChurn: 0.2 });
  const enc = new SnapshotEncoder(32);
  const dec = new SnapshotDecoder(64);
  const rng = new Rng(99);
  let hostAck: number | null = null;
  let deltas = 0;
  let fulls = 0;
  let dropped = 0;
  for (let t = 1; t <= 1800; t++) {
    world.step();
    if (t % 3 !== 0) continue;
    const state = enc.capture(world.tick, world.entities());
    const { baseTick, body } = enc.body(world.tick, hostAck);
    const frame = encodeSnapshotFrame(world.tick, baseTick, t, body);
    if (rng.next() < 0.25) {
      dropped++;
      continue; // snapshot lost
    }
    const res = dec.apply(parse(frame));
    assert.ok(res.ok, `tick ${world.tick}: ${!res.ok && res.message}`);
    assert.deepEqual(res.state, state, `state mismatch at tick ${world.tick}`);
    assert.equal(res.lastInputSeq, t);
    if (baseTick === null) fulls++;
    else deltas++;
    if (rng.next() < 0.2) continue; // ack lost
    hostAck = world.tick;
  }
  assert.ok(deltas > 300, `deltas ${deltas}`);
  assert.ok(fulls >= 1);
  assert.ok(dropped > 50);
});

test('baseline older than the ring falls back to a full snapshot; client rejects unknown baselines', () => {
  const world = new SyntheticWorld({ players: 2, npcs: 3, seed: 2 });
  const enc = new SnapshotEncoder(4);
  world.step();
  enc.capture(world.tick, world.entities());
  const firstTick = world.tick;
  for (let i = 0; i < 10; i++) {
    world.step();
    enc.capture(world.tick, world.entities());
  }
  const b = enc.body(world.tick, firstTick);
  assert.equal(b.baseTick, null, 'ack fell out of the ring: full snapshot');
  const b2 = enc.body(world.tick, world.tick - 1);
  assert.equal(b2.baseTick, world.tick - 1);
  // a fresh client cannot apply a delta
  const dec = new SnapshotDecoder();
  const r = dec.apply(parse(encodeSnapshotFrame(world.tick, b2.baseTick, 0, b2.body)));
  assert.ok(!r.ok && r.reason === 'missing_baseline');
  // stale snapshot after a newer one
  const full = enc.body(world.tick, null);
  assert.ok(dec.apply(parse(encodeSnapshotFrame(world.tick, null, 0, full.body))).ok);
  const again = dec.apply(parse(encodeSnapshotFrame(world.tick, null, 0, full.body)));
  assert.ok(!again.ok && again.reason === 'stale');
});

test('a delta that does not fit its baseline is rejected, not applied', () => {
  const a: QEntity[] = quantizeEntities([{ id: 1, kind: 'npc', x: 1, y: 1, vx: 0, vy: 0, r: 1, h: 1, flags: 0 }]);
  const b: QEntity[] = quantizeEntities([{ id: 1, kind: 'npc', x: 2, y: 1, vx: 0, vy: 0, r: 1, h: 1, flags: 0 }]);
  const body = encodeSnapshotBody(b, 10, a, 7);
  const msg = parse(encodeSnapshotFrame(10, 7, 0, body));
  assert.throws(() => applySnapshot(msg, []), /unknown entity/);
  assert.deepEqual(applySnapshot(msg, a), b);
});

test('steady movement costs at most 6 bytes per moving entity in a delta', () => {
  const world = new SyntheticWorld({ players: 32, npcs: 100, coins: 0, walls: 0, seed: 4, coinChurn: 0 });
  const enc = new SnapshotEncoder();
  let prev: number | null = null;
  let bytes = 0;
  let n = 0;
  for (let t = 1; t <= 600; t++) {
    world.step();
    if (t % 3) continue;
    enc.capture(world.tick, world.entities());
    const { baseTick, body } = enc.body(world.tick, prev);
    if (baseTick !== null) {
      bytes += body.byteLength;
      n++;
    }
    prev = world.tick - 6 > 0 && enc.ring.has(world.tick - 6) ? world.tick - 6 : world.tick; // ~100 ms old baseline
  }
  const perEntity = bytes / n / world.moving;
  assert.ok(perEntity <= 6, `bytes per moving entity ${perEntity.toFixed(2)}`);
});

test('encoder: one body per (tick, baseline); clients on other baselines get deltas that decode to the full state', () => {
  const w = new SyntheticWorld({ players: 6, npcs: 20, seed: 9 });
  const enc = new SnapshotEncoder(32);
  const decA = new SnapshotDecoder(64); // acks tick 3
  const decB = new SnapshotDecoder(64); // acks tick 6
  const ticks: number[] = [];
  for (let i = 1; i <= 9; i++) {
    w.step();
    if (w.tick % 3) continue;
    enc.capture(w.tick, w.entities());
    ticks.push(w.tick);
    const full = enc.body(w.tick, null);
    const frame = encodeSnapshotFrame(w.tick, null, 0, full.body);
    if (w.tick <= ticks[0]) assert.ok(decA.apply(parse(frame)).ok);
    if (w.tick <= ticks[1]) assert.ok(decB.apply(parse(frame)).ok);
  }
  const tick = w.tick + 3;
  for (let i = 0; i < 3; i++) w.step();
  const state = enc.capture(w.tick, w.entities());
  assert.equal(w.tick, tick);
  const a1 = enc.body(tick, ticks[0]);
  const a2 = enc.body(tick, ticks[0]);
  const b = enc.body(tick, ticks[1]);
  assert.equal(a1.baseTick, ticks[0]);
  assert.equal(b.baseTick, ticks[1]);
  assert.equal(a2.body, a1.body, 'same baseline: the very same cached body');
  assert.notDeepEqual(b.body, a1.body);
  // both deltas reconstruct the full state of the tick
  for (const [dec, r] of [[decA, a1], [decB, b]] as const) {
    const res = dec.apply(parse(encodeSnapshotFrame(tick, r.baseTick, 7, r.body)));
    assert.ok(res.ok, JSON.stringify(res));
    if (res.ok) assert.deepEqual(res.state, state);
  }
  // an unknown baseline falls back to the (cached) full body; a new tick starts a new cache
  const f1 = enc.body(tick, 1);
  assert.equal(f1.baseTick, null);
  assert.equal(enc.body(tick, null).body, f1.body);
  for (let i = 0; i < 3; i++) w.step();
  enc.capture(w.tick, w.entities());
  assert.notEqual(enc.body(w.tick, ticks[0]).body, a1.body);
});
