import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, HOST_TOKEN, flush, wasm, TICK_MS } from './helpers/room-harness';
import { RoomHost } from '../../core/host/room-host';
import { GameClient } from '../../core/client/game-client';
import { createLocalPair } from '../../core/net/local';

test('reconnect with the session token within the grace period keeps the slot', async () => {
  const h = await Harness.create({}, { limits: { reconnectGraceMs: 5000 } });
  const a = h.client({ name: 'A' });
  const b = h.client({ name: 'B' });
  await flush();
  const wa = await a.ready();
  await b.ready();
  a.setInput(1, 0);
  await h.tick(30);
  const entityId = h.playerEntity('player_1')!.id;
  a.conn.close(1006, 'network');
  await h.tick(3);
  assert.equal(h.host.playerCount, 1);
  assert.equal(h.sim.players().find((p) => p.id === 'player_1')?.connected, false);
  assert.equal(b.roster!.players.find((p) => p.id === 'player_1')?.connected, false);
  // a third player does not take the slot number
  const c = h.client({ name: 'C' });
  await flush();
  assert.equal((await c.ready()).playerId, 'player_3');
  // back within the grace period
  const a2 = h.client({ name: 'A', token: wa.token });
  await flush();
  const w2 = await a2.ready();
  assert.equal(w2.playerId, 'player_1');
  assert.equal(w2.reconnected, true);
  assert.equal(w2.token, wa.token);
  assert.equal(h.playerEntity('player_1')!.id, entityId, 'same entity');
  await h.tick(3);
  assert.equal(h.sim.players().find((p) => p.id === 'player_1')?.connected, true);
  // fresh input sequence numbers on the new connection work
  const x0 = h.playerEntity('player_1')!.x;
  a2.setInput(0, 1);
  await h.tick(30);
  assert.ok(h.playerEntity('player_1')!.y > 0 && a2.lastInputSeq > 20);
  assert.ok(Math.abs(h.playerEntity('player_1')!.x - x0) < 40);
  h.dispose();
});

test('a new connection with the same token replaces the old one', async () => {
  const h = await Harness.create();
  const a = h.client({ name: 'A' });
  await flush();
  const wa = await a.ready();
  const a2 = h.client({ name: 'A', token: wa.token });
  await flush();
  await a2.ready();
  await flush();
  assert.ok(a.closed);
  assert.equal(h.host.playerCount, 1);
  assert.equal(h.host.slotCount, 1);
  h.dispose();
});

test('after the grace period the slot is removed and the room reports empty', async () => {
  const h = await Harness.create({}, { limits: { reconnectGraceMs: 1000 } });
  const a = h.client({ name: 'A' });
  await flush();
  const wa = await a.ready();
  const events: string[] = [];
  h.host.on('leave', (id, r) => events.push(`leave:${id}:${r}`));
  h.host.on('empty', () => events.push('empty'));
  a.close();
  await h.tick(30);
  assert.equal(h.sim.players().length, 1, 'kept during the grace period');
  h.t += 1000;
  await h.tick(1);
  assert.deepEqual(events, ['leave:player_1:timeout', 'empty']);
  assert.equal(h.sim.players().length, 0);
  // too late: joins as a new player
  const back = h.client({ token: wa.token });
  await flush();
  assert.equal((await back.ready()).reconnected, false);
  h.dispose();
});

test('leave frees the slot at once', async () => {
  const h = await Harness.create();
  const a = h.client();
  await flush();
  await a.ready();
  a.leave();
  await h.tick(1);
  assert.equal(h.sim.players().length, 0);
  assert.equal(h.host.slotCount, 0);
  h.dispose();
});

test('serialize/restore: a restored room continues the game and players reconnect with their tokens', async () => {
  const h = await Harness.create({ npcs: 3 });
  const a = h.client({ name: 'A', hostToken: HOST_TOKEN });
  const b = h.client({ name: 'B' });
  await flush();
  const wa = await a.ready();
  const wb = await b.ready();
  b.setInput(1, 0.5);
  await h.tick(45);
  const blob = h.host.serialize();
  const tick = h.sim.tick;
  const bPos = h.playerEntity('player_2')!;
  h.host.close('host migrating');
  await flush();
  // closing marked everyone disconnected, as the restored room does
  const hash = h.sim.hash();
  assert.ok(a.closed && b.closed);

  let t = h.t;
  const restored = await RoomHost.restore(blob, wasm, {
    hostToken: HOST_TOKEN,
    now: () => t,
    limits: { reconnectGraceMs: 10_000 },
  });
  assert.equal(restored.code, 'TEST');
  assert.equal(restored.sim.tick, tick);
  assert.equal(restored.sim.hash(), hash, 'same simulation state');
  assert.equal(restored.slotCount, 2);
  assert.equal(restored.playerCount, 0, 'everyone in the grace period');
  const conn = (): [GameClient, () => void] => {
    const [x, y] = createLocalPair();
    restored.attach(y);
    return [new GameClient(x, { name: 'B', token: wb.token, now: () => t, pingIntervalMs: 0 }), () => {}];
  };
  const [b2] = conn();
  await flush();
  const w = await b2.ready();
  assert.equal(w.playerId, 'player_2');
  assert.equal(w.reconnected, true);
  assert.equal(w.tick, tick);
  const e = b2.self()!;
  assert.ok(Math.hypot(e.x - bPos.x, e.y - bPos.y) < 0.2, 'same position after restore');
  b2.setInput(-1, 0);
  for (let i = 0; i < 30; i++) {
    t += TICK_MS;
    b2.update(t);
    await flush();
    restored.tick();
    await flush();
  }
  assert.equal(restored.sim.tick, tick + 30);
  assert.ok(b2.self()!.x < e.x - 20, 'the restored room keeps simulating');
  // host rights come from the hostToken again
  const [x, y] = createLocalPair();
  restored.attach(y);
  const a2 = new GameClient(x, { name: 'A', token: wa.token, hostToken: HOST_TOKEN, now: () => t, pingIntervalMs: 0 });
  await flush();
  assert.equal((await a2.ready()).isHost, true);
  assert.throws(() => RoomHost.parseSerialized(new Uint8Array([1, 2, 3])), /bad magic/);
  restored.close('done');
  restored.sim.dispose();
  h.sim.dispose();
});

test('close(reason) tells everyone; later connections are refused', async () => {
  const h = await Harness.create();
  const a = h.client();
  await flush();
  await a.ready();
  const reasons: string[] = [];
  a.on('room_closed', (r) => reasons.push(r));
  h.host.close('maintenance');
  await flush();
  assert.deepEqual(reasons, ['maintenance']);
  assert.ok(a.closed);
  const late = h.raw();
  await flush();
  assert.equal(late.last('room_closed')?.reason, 'maintenance');
  assert.ok(late.closed);
  h.sim.dispose();
});

test('start() ticks at 60 Hz on a drift-corrected timer and stop() stops it', async () => {
  const h = await Harness.create();
  const real = new RoomHost({ sim: h.sim, code: 'RT', hostToken: 'x' });
  const tel: number[] = [];
  real.on('telemetry', (t) => tel.push(t.tick));
  const t0 = performance.now();
  real.start();
  await new Promise((r) => setTimeout(r, 300));
  real.stop();
  const elapsed = performance.now() - t0;
  const n = tel.length;
  assert.ok(n >= Math.floor((elapsed / 1000) * 60 * 0.6) && n <= Math.ceil((elapsed / 1000) * 60) + 2, `${n} ticks in ${elapsed.toFixed(0)} ms`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tel.length, n, 'stopped');
  h.sim.dispose();
});

test('telemetry reports snapshot bytes', async () => {
  const h = await Harness.create();
  const a = h.client();
  await flush();
  await a.ready();
  const tel: { snapshotBytes: number; snapshotsSent: number }[] = [];
  h.host.on('telemetry', (t) => tel.push(t));
  await h.tick(6);
  assert.equal(tel.length, 6);
  const withSnap = tel.filter((t) => t.snapshotsSent > 0);
  assert.equal(withSnap.length, 2);
  assert.ok(withSnap.every((t) => t.snapshotBytes > 0));
  h.dispose();
});

test('after a stall the timer catches up at most a few ticks and never spirals', async () => {
  const h = await Harness.create();
  let fake = 0;
  const room = new RoomHost({ sim: h.sim, code: 'ST', hostToken: 'x', now: () => fake });
  let ticks = 0;
  room.on('telemetry', () => ticks++);
  room.start();
  fake = 1000; // the process stalled for a second before the first timer fired
  await new Promise((r) => setTimeout(r, 120));
  room.stop();
  assert.ok(ticks >= 1 && ticks <= 4, `caught up ${ticks} ticks`);
  assert.ok(room.stats.lateTicksSkipped >= 50, `skipped ${room.stats.lateTicksSkipped}`);
  h.sim.dispose();
});
