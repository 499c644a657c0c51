import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, HOST_TOKEN, flush } from './helpers/room-harness';
import { encodeClientMessage } from '../../core/protocol';

test('room full: the extra player gets room_full and is closed', async () => {
  const h = await Harness.create({}, { limits: { maxPlayers: 2 } });
  const a = h.client();
  const b = h.client();
  await flush();
  await a.ready();
  await b.ready();
  const c = h.client();
  await flush();
  await assert.rejects(c.ready(), (e: Error & { code?: string }) => e.code === 'room_full');
  await flush();
  assert.ok(c.closed);
  assert.equal(h.host.playerCount, 2);
  assert.equal(h.sim.players().length, 2);
  h.dispose();
});

test('flooding closes the flooder while the others keep receiving snapshots', async () => {
  const h = await Harness.create({}, { limits: { maxMessagesPerSecond: 60 } });
  const good = h.client({ name: 'good' });
  const flood = h.raw();
  flood.send(JSON.stringify({ type: 'hello', name: 'flooder', encoding: 'json' }));
  await flush();
  await good.ready();
  assert.ok(flood.last('welcome'));
  await h.tick(3);
  const before = good.stats.snapshots;
  for (let i = 0; i < 500; i++) flood.send(JSON.stringify({ type: 'ping', t: i }));
  await h.tick(1);
  const codes = flood.of('error').map((e) => e.code);
  assert.ok(codes.includes('rate_limited'), JSON.stringify(codes));
  assert.ok(flood.of('pong').length <= 61, `pongs ${flood.of('pong').length}`);
  await flush();
  assert.ok(flood.closed, 'flooder closed');
  assert.equal(h.host.stats.closedFlooders, 1);
  good.setInput(0, 1);
  await h.tick(30);
  assert.ok(good.stats.snapshots >= before + 10, 'the room keeps ticking for others');
  assert.ok(!good.closed);
  // the flooder's slot is in its grace period, marked disconnected
  assert.equal(h.host.roster().players.find((p) => p.id === 'player_2')?.connected, false);
  h.dispose();
});

test('a steady 60 inputs/s client is never rate limited', async () => {
  const h = await Harness.create();
  const c = h.client({ inputEvery: 1 }); // one message per tick
  await flush();
  await c.ready();
  c.setInput(0.5, 0.5);
  await h.tick(180);
  assert.equal(c.errors.length, 0, JSON.stringify(c.errors));
  assert.ok(c.stats.inputsSent >= 170);
  h.dispose();
});

test('oversize frames: error, then a close after three', async () => {
  const h = await Harness.create();
  const p = h.raw();
  p.send(JSON.stringify({ type: 'hello', name: 'big', encoding: 'json' }));
  await flush();
  const pad = 'x'.repeat(5000);
  p.send(JSON.stringify({ action: 'move', pad }));
  await flush();
  assert.equal(p.last('error')?.code, 'too_large');
  assert.equal(p.closed, null);
  p.send(pad);
  p.send(new Uint8Array(10_000));
  await flush();
  assert.ok(p.closed);
  h.dispose();
});

test('host connections may upload bigger mods than the message limit', async () => {
  const h = await Harness.create();
  const host = h.client({ hostToken: HOST_TOKEN });
  await flush();
  await host.ready();
  const code = '-- ' + 'padding '.repeat(1000) + '\nfunction on_tick() end\n';
  assert.ok(code.length > 4096);
  const results: boolean[] = [];
  host.on('mod_result', (r) => results.push(r.ok));
  host.loadMod('big_mod.lua', code);
  await h.tick(1);
  assert.deepEqual(results, [true]);
  h.dispose();
});

test('a consumer that stops reading is closed (slow_consumer), the room goes on', async () => {
  const h = await Harness.create({}, { limits: { maxBufferedBytes: 4000 } });
  const ok = h.client({ name: 'ok' });
  const slow = h.raw();
  slow.send(JSON.stringify({ type: 'hello', name: 'slow', encoding: 'json' }));
  await flush();
  await ok.ready();
  slow.conn.setStalled(true);
  await h.tick(60);
  assert.ok(h.host.stats.closedSlow >= 1);
  assert.equal(h.host.connectionCount, 1);
  assert.ok(!ok.closed);
  h.dispose();
});

test('kick: the target is told and removed; it cannot come back with its token', async () => {
  const h = await Harness.create();
  const host = h.client({ name: 'H', hostToken: HOST_TOKEN });
  const v = h.client({ name: 'V' });
  await flush();
  await host.ready();
  const wv = await v.ready();
  const kicked: string[] = [];
  v.on('kicked', (r) => kicked.push(r));
  const leaves: string[] = [];
  h.host.on('leave', (id, reason) => leaves.push(`${id}:${reason}`));
  host.kick('player_2', 'bye');
  await h.tick(1);
  assert.deepEqual(kicked, ['bye']);
  assert.ok(v.closed);
  assert.deepEqual(leaves, ['player_2:kicked']);
  assert.deepEqual(h.sim.players().map((p) => p.id), ['player_1']);
  // unknown player / self
  const errs: string[] = [];
  host.on('error', (e) => errs.push(e.code));
  host.kick('player_9');
  host.kick('player_1');
  await h.tick(1);
  assert.deepEqual(errs, ['unknown_player', 'bad_request']);
  // the old token is void: a new slot
  const back = h.client({ name: 'V', token: wv.token });
  await flush();
  const wb = await back.ready();
  assert.equal(wb.reconnected, false);
  assert.notEqual(wb.token, wv.token);
  h.dispose();
});

test('binary input frames from a raw peer move the player; bogus acks are harmless', async () => {
  const h = await Harness.create();
  const p = h.raw();
  p.send(JSON.stringify({ type: 'hello', name: 'bin' }));
  await flush();
  assert.ok(p.last('welcome'));
  assert.ok(p.frames.some((f) => f instanceof Uint8Array), 'binary snapshot');
  const start = h.playerEntity('player_1')!;
  for (let i = 1; i <= 30; i++) {
    p.send(encodeClientMessage({ type: 'input', seq: i, dx: -1, dy: 0, ack: 999_999 }));
    await h.tick(1);
  }
  assert.ok(h.playerEntity('player_1')!.x < start.x - 50);
  h.dispose();
});

test('garbage from a joined peer never breaks the room', async () => {
  const h = await Harness.create({}, { limits: { maxMessagesPerSecond: 10_000 } });
  const good = h.client({ name: 'good' });
  const junk = h.raw();
  junk.send(JSON.stringify({ type: 'hello', name: 'junk' }));
  await flush();
  await good.ready();
  const internal: Error[] = [];
  h.host.on('error', (e) => internal.push(e));
  let seed = 17;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const pieces = ['{', '}', '"type"', ':', '"input"', '"action"', '"seq"', '1', '-1e309', 'null', '[', ']', ',', '"move"', '"dx"', '2', '"player_id"', '"__proto__"', '"hello"', '"kick"', '"ack"', '"tick"', '99999999999'];
  for (let i = 0; i < 400; i++) {
    if (i % 2) {
      const b = new Uint8Array(1 + rnd(30));
      for (let k = 0; k < b.length; k++) b[k] = rnd(256);
      if (i % 4 === 1) b[0] = 1 + rnd(2); // valid type byte, random body
      junk.send(b);
    } else {
      let s = '';
      for (let k = 0, n = 1 + rnd(12); k < n; k++) s += pieces[rnd(pieces.length)];
      junk.send(s);
    }
  }
  const before = good.stats.snapshots;
  await h.tick(12);
  assert.deepEqual(internal, []);
  assert.ok(junk.of('error').length > 100);
  assert.ok(good.stats.snapshots >= before + 3);
  assert.ok(!good.closed);
  h.dispose();
});
