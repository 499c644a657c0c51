import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Predictor } from '../../core/client/prediction';
import { baseMovement, PLAYER_ACCEL, TICK_DT, type MoveState, type MoveWorld } from '../../core/client/movement';

/**
 * The reconciliation algorithm against an authority that applies the same movement model one
 * queued input per tick, with one-way latency of `lat` ticks each way and snapshots every 3
 * ticks. When the models agree the replayed prediction equals the authoritative future.
 */
function run(latTicks: number, world: MoveWorld | null, inputs: (t: number) => { dx: number; dy: number }) {
  const p = new Predictor();
  const auth: MoveState = { x: 100, y: 100, vx: 0, vy: 0 };
  const toServer: { at: number; seq: number; dx: number; dy: number }[] = [];
  const toClient: { at: number; auth: MoveState; seq: number }[] = [];
  const queue: { seq: number; dx: number; dy: number }[] = [];
  let applied = 0;
  let held = { dx: 0, dy: 0 };
  let seq = 0;
  p.world = world;
  p.reconcile({ ...auth }, 0, 0);
  let maxErr = 0;
  let maxCorrection = 0;
  for (let t = 1; t <= 600; t++) {
    // client tick
    const inp = inputs(t);
    seq++;
    p.applyInput({ seq, ...inp });
    toServer.push({ at: t + latTicks, seq, ...inp });
    // server tick
    while (toServer.length && toServer[0].at <= t) queue.push(toServer.shift()!);
    const q = queue.shift();
    if (q) {
      held = q;
      applied = q.seq;
    }
    baseMovement.step(auth, held, 0, world);
    if (t % 3 === 0) toClient.push({ at: t + latTicks, auth: { ...auth }, seq: applied });
    while (toClient.length && toClient[0].at <= t) {
      const s = toClient.shift()!;
      p.reconcile(s.auth, s.seq, 0);
      maxCorrection = Math.max(maxCorrection, p.lastCorrection);
    }
    p.decay(1000 / 60);
    // compare the prediction with where the authority will be once it has our inputs:
    // the authoritative position of the same input seq is what matters; we check after the fact
    if (t > 60 && t % 3 === 0) {
      const r = p.rendered!;
      maxErr = Math.max(maxErr, Math.hypot(r.x - p.predicted!.x, r.y - p.predicted!.y));
    }
  }
  return { p, maxErr, maxCorrection, auth };
}

test('at 100 ms RTT the prediction needs no corrections when the models agree', () => {
  const dirs = [
    { dx: 1, dy: 0 },
    { dx: 0, dy: 1 },
    { dx: -1, dy: -1 },
    { dx: 0, dy: 0 },
  ];
  const { maxCorrection, maxErr } = run(3, null, (t) => dirs[Math.floor(t / 40) % 4]);
  assert.ok(maxCorrection < 1e-6, `correction ${maxCorrection}`);
  assert.ok(maxErr < 1e-6);
});

test('collisions the prediction knows (walls, arena) keep corrections small', () => {
  const world: MoveWorld = { width: 400, height: 300, radius: 16, walls: [{ x: 200, y: 100, hw: 20, hh: 80 }] };
  const { maxCorrection, p } = run(3, world, (t) => (t < 300 ? { dx: 1, dy: 0.2 } : { dx: -1, dy: 0 }));
  assert.ok(maxCorrection < 1e-6, `correction ${maxCorrection}`);
  const s = p.predicted!;
  assert.ok(s.x >= 16 && s.x <= 384);
});

test('a correction is absorbed smoothly (no snap), big ones snap', () => {
  const p = new Predictor({ smoothingMs: 100 });
  p.reconcile({ x: 0, y: 0, vx: 0, vy: 0 }, 0, 0);
  p.applyInput({ seq: 1, dx: 1, dy: 0 });
  // the host says we were pushed 5 units up
  p.reconcile({ x: 0, y: -5, vx: 0, vy: 0 }, 0, 0);
  const step = PLAYER_ACCEL * TICK_DT * TICK_DT; // one tick of acceleration from rest
  assert.ok(Math.abs(p.predicted!.y + 5) < 1e-9);
  assert.ok(Math.abs(p.predicted!.x - step) < 1e-9);
  // rendered still where it was, then converges
  assert.ok(Math.abs(p.rendered!.y) < 1e-9);
  p.decay(100);
  assert.ok(Math.abs(p.rendered!.y - -5 * (1 - Math.exp(-1))) < 1e-6);
  p.decay(1000);
  assert.ok(Math.abs(p.rendered!.y + 5) < 1e-3);
  // teleport: snaps
  p.reconcile({ x: 1000, y: 1000, vx: 0, vy: 0 }, 1, 0);
  assert.deepEqual(p.rendered, { x: 1000, y: 1000 });
  assert.equal(p.pendingCount, 0);
});
