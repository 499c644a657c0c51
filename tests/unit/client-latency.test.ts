import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSim, TICK_MS } from './helpers/room-harness';
import { RoomHost } from '../../core/host/room-host';
import { GameClient } from '../../core/client/game-client';
import { createLocalPair, ManualClock } from '../../core/net/local';
import { PLAYER_SPEED, BOOST_MULTIPLIER } from '../../core/client/movement';

/**
 * The real room host and simulation, a client 100 ms RTT away (50 ms each way + 10 ms jitter,
 * 5% loss on the unreliable snapshot channel), all on one virtual clock. The own player is
 * predicted: the prediction must agree with the authority (small corrections) and the drawn
 * position must never jump.
 */
test('prediction at 100 ms RTT: small corrections, no visible snapping', async () => {
  const sim = await makeSim({ seed: 3 });
  const clock = new ManualClock();
  const host = new RoomHost({ sim, code: 'LAT', hostToken: 'h', now: () => clock.now() });
  const [a, b] = createLocalPair({ latencyMs: 50, jitterMs: 10, lossRate: 0.05, scheduler: clock, seed: 9 });
  host.attach(b);
  const c = new GameClient(a, { name: 'lag', now: () => clock.now(), pingIntervalMs: 500 });
  const corrections: number[] = [];
  let maxStep = 0;
  let prev: { x: number; y: number } | null = null;
  let frames = 0;
  // a path around the spawn point: right, down, left, up, diagonal, stop
  const path = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
    [0.7, 0.7],
    [0, 0],
    [-0.7, -0.7],
    [1, 0],
  ];
  for (let i = 0; i < 60 * 5; i++) {
    clock.advance(TICK_MS);
    if (c.welcome && i > 30) {
      const [dx, dy] = path[Math.floor(i / 36) % path.length];
      c.setInput(dx, dy);
    }
    c.update(clock.now());
    host.tick();
    if (c.predictor.hasState && c.welcome) {
      const r = c.selfPosition(clock.now())!;
      if (prev && i > 40) maxStep = Math.max(maxStep, Math.hypot(r.x - prev.x, r.y - prev.y));
      prev = r;
      frames++;
    }
  }
  c.on('snapshot', () => corrections.push(c.predictor.lastCorrection));
  const fullsBefore = c.stats.fullSnapshots;
  for (let i = 0; i < 60 * 3; i++) {
    clock.advance(TICK_MS);
    const [dx, dy] = path[Math.floor(i / 36) % path.length];
    c.setInput(dx, dy);
    c.update(clock.now());
    host.tick();
    const r = c.selfPosition(clock.now())!;
    if (prev) maxStep = Math.max(maxStep, Math.hypot(r.x - prev.x, r.y - prev.y));
    prev = r;
  }
  assert.ok(c.welcome);
  // 5% of snapshots lost: deltas still decode (the host uses the newest acked baseline)
  assert.equal(c.stats.decodeErrors, 0, String(c.lastDecodeError));
  assert.ok(fullsBefore <= 4, `full snapshots until the first ack: ${fullsBefore}`);
  assert.equal(c.stats.fullSnapshots, fullsBefore, 'afterwards only deltas');
  assert.ok(c.rtt! > 90 && c.rtt! < 130, `rtt ${c.rtt}`);
  assert.ok(corrections.length > 40, `snapshots ${corrections.length}`);
  const sorted = [...corrections].sort((x, y) => x - y);
  const p95 = sorted[Math.floor(sorted.length * 0.95)];
  const max = sorted[sorted.length - 1];
  // units: the player is 32 units wide and moves 4 units per tick
  assert.ok(p95 < 1, `95th percentile correction ${p95.toFixed(3)} units`);
  assert.ok(max < 8, `max correction ${max.toFixed(3)} units`);
  const perFrame = (PLAYER_SPEED * BOOST_MULTIPLIER * 1.5) / 60;
  assert.ok(maxStep <= perFrame, `largest per-frame jump of the drawn player ${maxStep.toFixed(2)} (moving ${perFrame.toFixed(2)}/frame at most)`);
  // the authoritative position (as of the newest snapshot) is behind the prediction by about
  // the inputs in flight, never by more than RTT worth of movement
  const auth = c.self()!;
  const pred = c.predictor.predicted!;
  assert.ok(Math.hypot(auth.x - pred.x, auth.y - pred.y) <= (PLAYER_SPEED * 0.2 * BOOST_MULTIPLIER), 'prediction leads by at most ~RTT+interval of movement');
  void frames;
  host.close('done');
  sim.dispose();
});
