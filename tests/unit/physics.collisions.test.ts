import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadPhysics, PhysicsWorld, PhysicsEventType } from '../../core/physics';
import { engineWasmBytes } from '../helpers/engine';

before(async () => {
  await loadPhysics(engineWasmBytes());
});

function momentum(w: PhysicsWorld, masses: Map<number, number>): [number, number] {
  const ids = w.ids();
  const v = w.velocities();
  let px = 0;
  let py = 0;
  for (let i = 0; i < ids.length; i++) {
    const m = masses.get(ids[i]) ?? 0;
    px += m * v[2 * i];
    py += m * v[2 * i + 1];
  }
  return [px, py];
}

test('elastic head-on collision swaps velocities; momentum and energy conserved', () => {
  const w = new PhysicsWorld({ width: 1000, height: 1000, restitution: 1, friction: 0 });
  const a = w.addCircle({ x: 400, y: 500, radius: 10, vx: 120, mass: 1 });
  const b = w.addCircle({ x: 600, y: 500, radius: 10, vx: -120, mass: 1 });
  let began = 0;
  for (let i = 0; i < 120; i++) {
    w.step();
    const e = w.events();
    for (let k = 0; k < e.length; k += 3) {
      if (e[k] === PhysicsEventType.ContactBegin) {
        assert.deepEqual([e[k + 1], e[k + 2]], [Math.min(a, b), Math.max(a, b)]);
        began++;
      }
    }
  }
  assert.equal(began, 1);
  const v = w.velocities();
  assert.ok(Math.abs(v[0] + 120) < 1e-3 && Math.abs(v[2] - 120) < 1e-3, `v=${[...v]}`);
  w.free();
});

test('momentum is conserved in many elastic circle collisions (no walls touched)', () => {
  const w = new PhysicsWorld({ width: 2000, height: 2000, restitution: 1, friction: 0, seed: 5 });
  const masses = new Map<number, number>();
  // a cloud of circles with mixed masses moving towards the center
  for (let i = 0; i < 60; i++) {
    const ang = (i / 60) * Math.PI * 2;
    const r = 120 + (i % 5) * 25;
    const x = 1000 + Math.cos(ang) * r;
    const y = 1000 + Math.sin(ang) * r;
    const mass = 1 + (i % 3);
    const id = w.addCircle({ x, y, radius: 6, mass, vx: -Math.cos(ang) * 40 + (i % 7), vy: -Math.sin(ang) * 40 });
    masses.set(id, mass);
  }
  const [px0, py0] = momentum(w, masses);
  let contacts = 0;
  for (let i = 0; i < 240; i++) {
    w.step();
    const e = w.events();
    for (let k = 0; k < e.length; k += 3) if (e[k] === PhysicsEventType.ContactBegin) contacts++;
  }
  assert.ok(contacts > 20, `expected many collisions, got ${contacts}`);
  const p = w.positions();
  for (let i = 0; i < p.length; i++) assert.ok(p[i] > 50 && p[i] < 1950, 'stayed away from the walls');
  const [px1, py1] = momentum(w, masses);
  assert.ok(Math.abs(px1 - px0) < 0.05 && Math.abs(py1 - py0) < 0.05, `p0=${px0},${py0} p1=${px1},${py1}`);
  w.free();
});

test('no tunneling through a thin wall at max speed, any angle', () => {
  const maxSpeed = 1000;
  const w = new PhysicsWorld({ width: 1000, height: 1000, maxSpeed, restitution: 0.5 });
  // a 1-unit thick vertical wall at x = 500; per step a body moves 16.7 units (> 4x its radius)
  w.addBox({ x: 500, y: 500, halfWidth: 0.5, halfHeight: 500 }); // full height: nobody can go around
  const ids: number[] = [];
  for (let i = 0; i < 40; i++) {
    const ang = ((i - 20) / 20) * 1.2; // -69°..+69°
    const y = 250 + i * 12.5;
    ids.push(w.addCircle({ x: 430 + (i % 3) * 7.3, y, radius: 2, vx: Math.cos(ang) * 5000, vy: Math.sin(ang) * 5000 }));
  }
  for (let s = 0; s < 30; s++) {
    w.step();
    const p = w.positions();
    for (let i = 0; i < ids.length; i++) assert.ok(p[2 * (i + 1)] < 500, `body ${ids[i]} crossed the wall at step ${s}: x=${p[2 * (i + 1)]}`);
  }
  // and they did hit it and bounce back
  const v = w.velocities();
  let back = 0;
  for (let i = 0; i < ids.length; i++) if (v[2 * (i + 1)] < 0) back++;
  assert.ok(back > 30, `only ${back} bounced`);
  w.free();
});

test('a pile under gravity settles without jitter', () => {
  const w = new PhysicsWorld({ width: 200, height: 400, gravityY: 900, restitution: 0.2, friction: 0.3 });
  w.addBox({ x: 100, y: 390, halfWidth: 100, halfHeight: 10 }); // floor
  for (let i = 0; i < 60; i++) {
    w.addCircle({ x: 20 + (i % 8) * 22 + (Math.floor(i / 8) % 2) * 5, y: 40 + Math.floor(i / 8) * 24, radius: 10 });
  }
  w.stepMany(600); // 10 s
  const p0 = Float32Array.from(w.positions());
  let maxV = 0;
  let maxMove = 0;
  for (let s = 0; s < 120; s++) {
    w.step();
    const v = w.velocities();
    for (let i = 0; i < v.length; i += 2) if (w.kinds()[i / 2] === 0) maxV = Math.max(maxV, Math.hypot(v[i], v[i + 1]));
  }
  const p1 = w.positions();
  for (let i = 0; i < p1.length; i++) maxMove = Math.max(maxMove, Math.abs(p1[i] - p0[i]));
  assert.ok(maxV < 1, `max speed after settling ${maxV}`);
  assert.ok(maxMove < 0.5, `max drift over 2 s ${maxMove}`);
  // nobody fell through the floor or overlaps it deeply
  for (let i = 1; i < p1.length / 2; i++) assert.ok(p1[2 * i + 1] <= 380 - 10 + 0.5, `body ${i} y=${p1[2 * i + 1]}`);
  w.free();
});

test('contact begin/end with a box, sensor enter/exit with several bodies', () => {
  const w = new PhysicsWorld({ width: 400, height: 400, restitution: 1, friction: 0 });
  const wall = w.addBox({ x: 300, y: 200, halfWidth: 5, halfHeight: 100 });
  const zone = w.addSensor({ x: 200, y: 200, radius: 20 });
  const a = w.addCircle({ x: 100, y: 200, radius: 5, vx: 200 });
  const b = w.addCircle({ x: 100, y: 150, radius: 5, vx: 200 });
  const log: string[] = [];
  for (let s = 0; s < 120; s++) {
    w.step();
    const e = w.events();
    for (let k = 0; k < e.length; k += 3) log.push(`${e[k]}:${e[k + 1]}:${e[k + 2]}`);
  }
  assert.deepEqual(
    log.filter((s) => s.startsWith(`${PhysicsEventType.ContactBegin}:`) || s.startsWith(`${PhysicsEventType.ContactEnd}:`)).slice(0, 4).sort(),
    [`${PhysicsEventType.ContactBegin}:${wall}:${a}`, `${PhysicsEventType.ContactBegin}:${wall}:${b}`, `${PhysicsEventType.ContactEnd}:${wall}:${a}`, `${PhysicsEventType.ContactEnd}:${wall}:${b}`].sort(),
  );
  // only `a` passes through the zone (b is 50 units off-axis), twice: there and back
  assert.deepEqual(
    log.filter((s) => s.startsWith(`${PhysicsEventType.SensorEnter}:`) || s.startsWith(`${PhysicsEventType.SensorExit}:`)),
    [`${PhysicsEventType.SensorEnter}:${zone}:${a}`, `${PhysicsEventType.SensorExit}:${zone}:${a}`, `${PhysicsEventType.SensorEnter}:${zone}:${a}`, `${PhysicsEventType.SensorExit}:${zone}:${a}`],
  );
  w.free();
});

test('fast projectiles hit dynamic circles instead of passing through (dynamic CCD)', () => {
  const w = new PhysicsWorld({ width: 2000, height: 400, maxSpeed: 1000, restitution: 0, friction: 0 });
  const player = w.addCircle({ x: 1000, y: 200, radius: 4, mass: 50 });
  // radius 1 at 1000 u/s = 16.7 units per step, far more than the summed radii (5)
  const bullet = w.addCircle({ x: 600, y: 201, radius: 1, vx: 1000, mass: 0.1 });
  let hitStep = -1;
  for (let s = 0; s < 40; s++) {
    w.step();
    const e = w.events();
    for (let k = 0; k < e.length; k += 3) {
      if (e[k] === PhysicsEventType.ContactBegin && e[k + 1] === player && e[k + 2] === bullet && hitStep < 0) hitStep = s;
    }
    const p = w.positions();
    assert.ok(p[2] < p[0], `bullet passed through the player at step ${s}`);
  }
  assert.ok(hitStep >= 0, 'no contact event');
  // momentum went into the player (inelastic: they move together)
  assert.ok(w.velocities()[0] > 1, `player vx=${w.velocities()[0]}`);
  w.free();
});

test('a top-down crowd pushed together settles without jitter or contact flicker', () => {
  // ~1000 contacts; while moving, hundreds of begin/end events per 100 steps. Once settled the
  // crowd only creeps (slow rearrangements under the constant push): at most a few events.
  const w = new PhysicsWorld({ width: 600, height: 600, restitution: 0.2, friction: 0.2, linearDamping: 2 });
  const ids: number[] = [];
  for (let i = 0; i < 400; i++) ids.push(w.addCircle({ x: 20 + (i % 20) * 28, y: 20 + Math.floor(i / 20) * 28, radius: 6 + (i % 3) }));
  let flicker = 0;
  let maxSpeed = 0;
  let meanSpeed = 0;
  for (let s = 0; s < 700; s++) {
    const p = w.positions();
    for (let i = 0; i < ids.length; i++) {
      const dx = 300 - p[2 * i];
      const dy = 300 - p[2 * i + 1];
      const d = Math.hypot(dx, dy) || 1;
      w.applyForce(ids[i], (dx / d) * 20000, (dy / d) * 20000); // everyone pushes to the center
    }
    w.step();
    if (s >= 600) {
      flicker += w.events().length / 3;
      const v = w.velocities();
      let sum = 0;
      for (let i = 0; i < ids.length; i++) {
        const sp = Math.hypot(v[2 * i], v[2 * i + 1]);
        maxSpeed = Math.max(maxSpeed, sp);
        sum += sp;
      }
      meanSpeed = Math.max(meanSpeed, sum / ids.length);
    }
  }
  assert.ok(flicker <= 4, `contacts flicker in a settled crowd: ${flicker} events in 100 steps`);
  assert.ok(meanSpeed < 0.5, `mean speed ${meanSpeed}`);
  assert.ok(maxSpeed < 5, `max speed ${maxSpeed}`);
  w.free();
});
