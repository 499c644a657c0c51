import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterpolationBuffer, lerpEntities } from '../../core/client/interpolation';
import type { EntityView } from '../../core/sim/types';

const ent = (id: number, x: number, y = 0, vx = 0): EntityView => ({ id, kind: 'npc', x, y, vx, vy: 0, r: 1, h: 1, flags: 0 });

test('renders ~100 ms behind the server clock, interpolating between snapshots', () => {
  const buf = new InterpolationBuffer({ delayMs: 100 });
  // snapshots every 3 ticks (50 ms), arriving 30 ms after their server time
  // entity 1 moves 10 units per snapshot (200 units/s)
  for (let k = 0; k <= 10; k++) {
    const tick = 3 * k;
    buf.push(tick, [ent(1, 10 * k, 0, 200)], (tick * 1000) / 60 + 30);
  }
  // local time 530 -> server time ~500 -> render time ~400 ms = tick 24 = snapshot k=8 -> x = 80
  const s = buf.sample(530);
  assert.equal(s.length, 1);
  assert.ok(Math.abs(s[0].x - 80) < 1e-6, `x=${s[0].x}`);
  // half way between two snapshots
  const s2 = buf.sample(555);
  assert.ok(Math.abs(s2[0].x - 85) < 1e-6, `x=${s2[0].x}`);
  // monotonic over time
  let prev = -Infinity;
  for (let t = 200; t <= 560; t += 7) {
    const x = buf.sample(t)[0].x;
    assert.ok(x >= prev - 1e-9);
    prev = x;
  }
});

test('extrapolates past the newest snapshot at most maxExtrapolateMs, then holds', () => {
  const buf = new InterpolationBuffer({ delayMs: 100, maxExtrapolateMs: 100 });
  buf.push(0, [ent(1, 0, 0, 100)], 0);
  buf.push(6, [ent(1, 10, 0, 100)], 100);
  // render time = now - 100: at now=300 we are 100 ms past the newest (t=100) -> x = 10 + 10
  assert.ok(Math.abs(buf.sample(300)[0].x - 20) < 1e-6);
  // much later: capped at 100 ms of extrapolation
  assert.ok(Math.abs(buf.sample(5000)[0].x - 20) < 1e-6);
  // before the oldest: the oldest state
  assert.equal(buf.sample(-500)[0].x, 0);
  assert.deepEqual(new InterpolationBuffer().sample(0), []);
});

test('entities appearing and disappearing between snapshots', () => {
  const a = [ent(1, 0), ent(2, 0), ent(4, 10)];
  const b = [ent(1, 10), ent(3, 5), ent(4, 20)];
  const m = lerpEntities(a, b, 0.5);
  assert.deepEqual(
    m.map((e) => [e.id, e.x]),
    [
      [1, 5],
      [3, 5],
      [4, 15],
    ],
  );
});

test('clock estimate absorbs jitter without jumping backwards much', () => {
  const buf = new InterpolationBuffer({ delayMs: 100 });
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let prevRender = -Infinity;
  for (let k = 0; k < 200; k++) {
    const tick = 3 * k;
    const serverMs = (tick * 1000) / 60;
    buf.push(tick, [ent(1, k)], serverMs + 40 + rnd() * 30);
    const now = serverMs + 50;
    const r = buf.renderServerTime(now)!;
    if (k > 20) {
      // render time stays close to (server time - ~40 ms latency - 100 ms delay)
      assert.ok(Math.abs(now - 40 - 100 - r) < 35, `render ${r} vs ${now - 140}`);
      assert.ok(r > prevRender, 'render time moves forward');
    }
    prevRender = r;
  }
});
