import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadPhysics, PhysicsWorld, PhysicsEngineCrashedError, isPhysicsLoaded, type WorldConfig } from '../../core/physics';
import { engineWasmBytes } from '../helpers/engine';

before(async () => {
  await loadPhysics(engineWasmBytes());
});

/** A busy scene: a few hundred circles, walls, platforms, sensors, gravity, PRNG-driven kicks. */
function scene(cfg: Partial<WorldConfig> = {}): PhysicsWorld {
  const w = new PhysicsWorld({ width: 800, height: 600, gravityY: 400, restitution: 0.6, friction: 0.2, seed: 1234, ...cfg });
  w.addBox({ x: 400, y: 590, halfWidth: 400, halfHeight: 10 });
  w.addBox({ x: 250, y: 400, halfWidth: 80, halfHeight: 6 });
  w.addBox({ x: 560, y: 300, halfWidth: 60, halfHeight: 6 });
  w.addSensor({ x: 400, y: 500, radius: 60 });
  w.addSensor({ x: 120, y: 200, radius: 40 });
  for (let i = 0; i < 300; i++) {
    w.addCircle({
      x: 20 + (i % 30) * 25 + (i % 7),
      y: 20 + Math.floor(i / 30) * 25,
      radius: 4 + (i % 5),
      vx: w.random() * 200 - 100,
      vy: w.random() * 200 - 100,
      restitution: (i % 4) / 4,
      tag: i,
    });
  }
  return w;
}

/** Deterministic per-step inputs drawn from the world's own PRNG. */
function drive(w: PhysicsWorld, steps: number): void {
  const ids = Array.from(w.ids()).filter((_, i) => w.kinds()[i] === 0);
  for (let s = 0; s < steps; s++) {
    if (s % 50 === 0) {
      const id = ids[Math.floor(w.random() * ids.length)];
      w.applyImpulse(id, (w.random() - 0.5) * 5000, -w.random() * 8000);
      w.applyForce(ids[s % ids.length], 1000, 0);
    }
    w.step();
  }
}

test('determinism: two runs of 10k steps with 300 bodies give identical snapshots', () => {
  const a = scene();
  const b = scene();
  drive(a, 10_000);
  drive(b, 10_000);
  const sa = a.snapshot();
  const sb = b.snapshot();
  assert.equal(a.stepCount, 10_000);
  assert.ok(Buffer.from(sa).equals(Buffer.from(sb)), 'snapshots differ');
  a.free();
  b.free();
});

test('snapshot round trip: restore + continue == uninterrupted (also across worlds)', () => {
  const a = scene();
  drive(a, 300);
  const mid = a.snapshot();
  drive(a, 300);
  const end = a.snapshot();
  // restore into a different, unrelated world
  const b = new PhysicsWorld({ width: 10, height: 10 });
  b.addCircle({ x: 5, y: 5, radius: 1 });
  b.restore(mid);
  assert.deepEqual(b.config, a.config);
  assert.ok(Buffer.from(b.snapshot()).equals(Buffer.from(mid)), 'restore(snapshot()) must re-serialize identically');
  drive(b, 300);
  assert.ok(Buffer.from(b.snapshot()).equals(Buffer.from(end)), 'continued run differs');
  // fromSnapshot too, and events of the last step survive
  const c = PhysicsWorld.fromSnapshot(end);
  assert.deepEqual([...c.events()], [...a.events()]);
  a.free();
  b.free();
  c.free();
});

test('malformed snapshots give clear errors and leave the world unchanged', () => {
  const w = scene();
  drive(w, 60);
  const good = w.snapshot();
  const other = scene({ seed: 99 });
  drive(other, 10);
  const before = other.snapshot();
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /magic/],
    [new TextEncoder().encode('hello world, not a snapshot'), /magic/],
    [good.slice(0, good.length - 1), /checksum|truncated/],
    [good.slice(0, 40), /checksum|truncated/],
  ];
  const flipped = good.slice();
  flipped[100] ^= 0x40;
  cases.push([flipped, /checksum/]);
  const version = good.slice();
  version[4] = 99;
  cases.push([version, /unsupported version 99/]);
  for (const [bytes, re] of cases) {
    assert.throws(() => other.restore(bytes), (e: Error) => e instanceof Error && /invalid physics snapshot/.test(e.message) && re.test(e.message));
    assert.throws(() => PhysicsWorld.fromSnapshot(bytes), /invalid physics snapshot/);
  }
  assert.throws(() => other.restore('nope' as unknown as Uint8Array), /Uint8Array/);
  assert.ok(Buffer.from(other.snapshot()).equals(Buffer.from(before)));
  w.free();
  other.free();
});

test('bad input: clear errors, world unchanged', () => {
  const w = scene();
  drive(w, 30);
  const before = w.snapshot();
  const circle = Array.from(w.ids())[w.kinds().indexOf(0)];
  const box = w.ids()[0];
  const bad: [() => unknown, RegExp][] = [
    [() => w.addCircle({ x: Infinity, y: 1, radius: 1 }), /x must be a finite number/],
    [() => w.addCircle({ x: 1, y: 1, radius: 0 }), /radius/],
    [() => w.addCircle({ x: 1, y: 1, radius: -2 }), /radius/],
    [() => w.addCircle({ x: 1, y: 1, radius: 1e9 }), /radius/],
    [() => w.addCircle({ x: 1, y: 1, radius: 2, mass: 0 }), /mass/],
    [() => w.addCircle({ x: 1, y: 1, radius: 2, restitution: 2 }), /restitution/],
    [() => w.addCircle({ x: -50, y: 1, radius: 2 }), /outside the world bounds/],
    [() => w.addCircle({ x: 1, y: 1, radius: 2, tag: -1 }), /tag/],
    [() => w.addCircle(null as unknown as { x: number; y: number; radius: number }), /object/],
    [() => w.addBox({ x: 1, y: 1, halfWidth: 0, halfHeight: 1 }), /halfWidth/],
    [() => w.addBox({ x: NaN, y: 1, halfWidth: 1, halfHeight: 1 }), /x must be/],
    [() => w.addSensor({ x: 1, y: 1, radius: NaN }), /radius/],
    [() => w.setVelocity(987654, 1, 1), /unknown body id 987654/],
    [() => w.setVelocity(circle, NaN, 1), /vx/],
    [() => w.setVelocity(box, 1, 1), /static/],
    [() => w.applyImpulse(box, 1, 1), /static/],
    [() => w.applyForce(circle, 1, -Infinity), /fy/],
    [() => w.setPosition(circle, 5000, 5), /outside the world bounds/],
    [() => w.setPosition(1.5, 5, 5), /id must be an integer/],
    [() => w.remove(-1), /id must be an integer/],
    [() => w.remove(424242), /unknown body id/],
    [() => w.stepMany(1e9), /stepMany/],
  ];
  for (const [f, re] of bad) assert.throws(f, re);
  assert.ok(Buffer.from(w.snapshot()).equals(Buffer.from(before)));
  assert.equal(w.has(-1), false);
  assert.equal(w.has(1.5), false);
  for (const cfg of [
    { width: 0, height: 10 },
    { width: 10, height: NaN },
    { width: 10, height: 10, dt: 0 },
    { width: 10, height: 10, dt: -1 },
    { width: 10, height: 10, restitution: -0.1 },
    { width: 10, height: 10, seed: 1.5 },
    { width: 10, height: 10, maxSpeed: Infinity },
  ]) {
    assert.throws(() => new PhysicsWorld(cfg), Error, JSON.stringify(cfg));
  }
  w.free();
});

test('absurd counts: more than 100k bodies is refused', () => {
  const w = new PhysicsWorld({ width: 1000, height: 1000 });
  for (let i = 0; i < 100_000; i++) w.addSensor({ x: i % 1000, y: Math.floor(i / 1000), radius: 1 });
  const before = w.snapshot();
  assert.throws(() => w.addCircle({ x: 1, y: 1, radius: 1 }), /too many bodies: the limit is 100000/);
  assert.equal(w.count, 100_000);
  assert.ok(Buffer.from(w.snapshot()).equals(Buffer.from(before)));
  w.free();
});

test('views are re-acquired after WASM memory growth', () => {
  const w = new PhysicsWorld({ width: 1000, height: 1000 });
  const first = w.addCircle({ x: 10, y: 20, radius: 1, tag: 77 });
  const oldPos = w.positions();
  const oldIds = w.ids();
  assert.equal(w.positions(), oldPos, 'same view while nothing changed');
  // force growth: many bodies (SoA vectors reallocate, memory.grow detaches the old buffer)
  for (let i = 0; i < 50_000; i++) w.addCircle({ x: 1 + (i % 998), y: 1 + Math.floor(i / 998) * 1.5, radius: 0.5 });
  const pos = w.positions();
  const ids = w.ids();
  assert.notEqual(pos, oldPos);
  assert.equal(pos.length, 2 * 50_001);
  assert.equal(ids.length, 50_001);
  assert.equal(ids[0], first);
  assert.deepEqual([pos[0], pos[1]], [10, 20]);
  assert.equal(w.tags()[0], 77);
  assert.equal(w.kinds().length, 50_001);
  assert.equal(w.velocities().length, 2 * 50_001);
  assert.equal(w.sizes()[2 * 50_000], 0.5);
  assert.ok(oldIds.length === 0 || oldIds.buffer !== ids.buffer || oldIds.byteOffset !== ids.byteOffset);
  w.free();
});

test('a WASM trap poisons the engine instance; a fresh instance can be loaded afterwards', async () => {
  const w = scene();
  drive(w, 20);
  const saved = w.snapshot();
  // simulate memory corruption: point the raw handle far outside linear memory, then call in
  (w as unknown as { raw: { __wbg_ptr: number } }).raw.__wbg_ptr = 0xfffffff0;
  assert.throws(() => w.step(), PhysicsEngineCrashedError);
  assert.throws(() => w.positions(), /physics engine crashed/);
  assert.equal(isPhysicsLoaded(), false);
  assert.throws(() => new PhysicsWorld({ width: 10, height: 10 }), /physics engine crashed/);
  w.free(); // must not throw
  await loadPhysics(engineWasmBytes());
  assert.equal(isPhysicsLoaded(), true);
  const fresh = PhysicsWorld.fromSnapshot(saved);
  const ref = scene();
  drive(ref, 20);
  drive(fresh, 100);
  drive(ref, 100);
  assert.ok(Buffer.from(fresh.snapshot()).equals(Buffer.from(ref.snapshot())));
  fresh.free();
  ref.free();
});

test('host build and WASM build agree: golden snapshot hash shared with engine-wasm/tests/world.rs', () => {
  const GOLDEN = '17087 11c71f11d3d2ed3c'; // update together with the Rust test on purposeful algorithm changes
  const w = new PhysicsWorld({ width: 500, height: 400, gravityY: 700, restitution: 0.4, friction: 0.3, seed: 77 });
  w.addBox({ x: 250, y: 390, halfWidth: 250, halfHeight: 10 });
  w.addBox({ x: 150, y: 250, halfWidth: 60, halfHeight: 5 });
  w.addSensor({ x: 300, y: 300, radius: 40 });
  for (let i = 0; i < 200; i++) {
    w.addCircle({ x: 10 + (i % 20) * 24, y: 10 + Math.floor(i / 20) * 20, radius: 3 + (i % 4), vx: ((i * 37) % 200) - 100, vy: 0 });
  }
  w.stepMany(1000);
  const s = w.snapshot();
  let h = 0xcbf29ce484222325n;
  for (const b of s) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  assert.equal(`${s.length} ${h.toString(16).padStart(16, '0')}`, GOLDEN);
  w.free();
});
