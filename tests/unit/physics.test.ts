import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadPhysics, PhysicsWorld, BodyKind, PhysicsEventType } from '../../core/physics';
import { engineWasmBytes } from '../helpers/engine';

before(async () => {
  await loadPhysics(engineWasmBytes());
  await loadPhysics(engineWasmBytes()); // idempotent
});

test('config defaults are filled in and read back', () => {
  const w = new PhysicsWorld({ width: 800, height: 600 });
  assert.deepEqual(w.config, {
    width: 800, height: 600, gravityX: 0, gravityY: 0, dt: 1 / 60,
    linearDamping: 0, restitution: 0.5, friction: 0.1, maxSpeed: 1000, seed: 1,
  });
  assert.equal(w.count, 0);
  assert.equal(w.stepCount, 0);
  w.free();
});

test('gravity integrates velocity and position (semi-implicit Euler)', () => {
  const w = new PhysicsWorld({ width: 1000, height: 10000, gravityY: 600, dt: 1 / 60 });
  const id = w.addCircle({ x: 500, y: 100, radius: 5, vx: 60 });
  for (let i = 0; i < 60; i++) w.step();
  const p = w.positions();
  const v = w.velocities();
  assert.equal(w.ids()[0], id);
  assert.ok(Math.abs(v[1] - 600) < 0.01, `vy=${v[1]}`);
  assert.ok(Math.abs(v[0] - 60) < 1e-3);
  // sum_{k=1..60} 600*k/60 * 1/60 = 305
  assert.ok(Math.abs(p[1] - (100 + 305)) < 0.05, `y=${p[1]}`);
  assert.ok(Math.abs(p[0] - 560) < 0.01, `x=${p[0]}`);
  assert.equal(w.stepCount, 60);
  w.free();
});

test('bulk views: ids, kinds, tags, sizes in insertion order', () => {
  const w = new PhysicsWorld({ width: 100, height: 100 });
  const a = w.addCircle({ x: 10, y: 10, radius: 2, tag: 7 });
  const b = w.addBox({ x: 50, y: 50, halfWidth: 10, halfHeight: 3, tag: 8 });
  const c = w.addSensor({ x: 80, y: 80, radius: 5, tag: 9 });
  assert.deepEqual([...w.ids()], [a, b, c]);
  assert.deepEqual([...w.kinds()], [BodyKind.Circle, BodyKind.Box, BodyKind.Sensor]);
  assert.deepEqual([...w.tags()], [7, 8, 9]);
  assert.deepEqual([...w.sizes()], [2, 2, 10, 3, 5, 5]);
  w.remove(a);
  assert.equal(w.has(a), false);
  assert.equal(w.count, 2);
  const d = w.addCircle({ x: 20, y: 20, radius: 1 });
  assert.ok(d > c, 'ids are never reused');
  w.free();
});

test('sensor enter/exit and contact begin/end events', () => {
  const w = new PhysicsWorld({ width: 400, height: 400, restitution: 0 });
  const s = w.addSensor({ x: 200, y: 100, radius: 10 });
  const b = w.addCircle({ x: 100, y: 100, radius: 5, vx: 300 });
  const seen: number[][] = [];
  for (let i = 0; i < 60; i++) {
    w.step();
    const e = w.events();
    for (let k = 0; k < e.length; k += 3) seen.push([e[k], e[k + 1], e[k + 2]]);
  }
  assert.deepEqual(seen, [
    [PhysicsEventType.SensorEnter, s, b],
    [PhysicsEventType.SensorExit, s, b],
  ]);
  w.free();
});

test('snapshot round trip is exact', () => {
  const w = new PhysicsWorld({ width: 300, height: 300, gravityY: 500, seed: 42 });
  for (let i = 0; i < 30; i++) w.addCircle({ x: 20 + (i % 10) * 25, y: 20 + Math.floor(i / 10) * 25, radius: 8, vx: i * 3 });
  w.addBox({ x: 150, y: 250, halfWidth: 100, halfHeight: 5 });
  for (let i = 0; i < 50; i++) w.step();
  w.random();
  const snap = w.snapshot();
  for (let i = 0; i < 50; i++) w.step();
  const r1 = w.random();
  const after = w.snapshot();
  const w2 = PhysicsWorld.fromSnapshot(snap);
  for (let i = 0; i < 50; i++) w2.step();
  assert.equal(w2.random(), r1);
  assert.deepEqual(w2.snapshot(), after);
  w.restore(snap);
  assert.deepEqual(w.snapshot(), snap);
  w.free();
  w2.free();
});

test('bad input throws a clear error and changes nothing', () => {
  const w = new PhysicsWorld({ width: 300, height: 300 });
  const id = w.addCircle({ x: 50, y: 50, radius: 5 });
  const before = w.snapshot();
  assert.throws(() => w.addCircle({ x: NaN, y: 5, radius: 5 }), /x must be a finite number/);
  assert.throws(() => w.addCircle({ x: 5, y: 5, radius: -1 }), /radius/);
  assert.throws(() => w.setVelocity(999, 1, 1), /unknown body id 999/);
  assert.throws(() => w.restore(new Uint8Array([1, 2, 3])), /invalid physics snapshot/);
  assert.throws(() => new PhysicsWorld({ width: -5, height: 10 }), /width/);
  assert.deepEqual(w.snapshot(), before);
  assert.ok(w.has(id));
  w.free();
});

test('force acts for one step only; impulse is immediate; damping and max speed', () => {
  const w = new PhysicsWorld({ width: 10000, height: 10000, maxSpeed: 500, dt: 0.1 });
  const a = w.addCircle({ x: 100, y: 100, radius: 1, mass: 2 });
  w.applyForce(a, 20, 0); // a = 10 -> dv = 1 over one step of 0.1 s
  w.step();
  assert.ok(Math.abs(w.velocities()[0] - 1) < 1e-6);
  w.step();
  assert.ok(Math.abs(w.velocities()[0] - 1) < 1e-6, 'force must not persist');
  w.applyImpulse(a, 0, 4); // dv = 2, immediately
  assert.ok(Math.abs(w.velocities()[1] - 2) < 1e-6);
  w.setVelocity(a, 3000, 4000);
  const v = w.velocities();
  assert.ok(Math.abs(Math.hypot(v[0], v[1]) - 500) < 1e-3, 'clamped to maxSpeed');
  const b = w.addCircle({ x: 5000, y: 5000, radius: 1, damping: 1, vx: 100 });
  w.step();
  assert.ok(Math.abs(w.velocities()[2] - 100 / 1.1) < 1e-3, `damped vx=${w.velocities()[2]}`);
  assert.ok(w.has(b));
  w.free();
});

test('world PRNG: seeded, deterministic, part of the snapshot', () => {
  const a = new PhysicsWorld({ width: 10, height: 10, seed: 123 });
  const b = new PhysicsWorld({ width: 10, height: 10, seed: 123 });
  const c = new PhysicsWorld({ width: 10, height: 10, seed: 124 });
  const xs = Array.from({ length: 8 }, () => a.random());
  assert.deepEqual(Array.from({ length: 8 }, () => b.random()), xs);
  assert.notDeepEqual(Array.from({ length: 8 }, () => c.random()), xs);
  for (const x of xs) assert.ok(x >= 0 && x < 1);
  const snap = a.snapshot();
  const next = a.random();
  a.random();
  a.restore(snap);
  assert.equal(a.random(), next);
  a.free();
  b.free();
  c.free();
});

test('static bodies can be moved; boxes block circles; freed worlds throw', () => {
  const w = new PhysicsWorld({ width: 400, height: 400, restitution: 0 });
  const box = w.addBox({ x: 300, y: 200, halfWidth: 10, halfHeight: 100 });
  const c = w.addCircle({ x: 100, y: 200, radius: 5, vx: 300 });
  w.setPosition(box, 200, 200);
  w.stepMany(60);
  const p = w.positions();
  assert.ok(Math.abs(p[2] - (190 - 5)) < 0.2, `stopped at the moved box: x=${p[2]}`);
  assert.ok(w.has(c));
  w.free();
  assert.throws(() => w.step(), /freed/);
  assert.throws(() => w.positions(), /freed/);
  w.free(); // idempotent
});
