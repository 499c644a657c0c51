/**
 * Server-hosted rooms: the real simulation (WASM physics + Lua rules) run by a RoomHost on the
 * server, driven by real WebSocket clients (raw JSON mode and the binary protocol).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, createRoom, TestClient, lastSnapshot, myEntity, nextSnapshot, joinJson, ownSnapshot, type Started } from './helpers';
import { encodeClientMessage, decodeServerMessage } from '../../core/protocol/codec';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('server-hosted room', () => {
  let s: Started;
  let room: any;
  before(async () => {
    s = await startServer({ lookupsPerMinute: 1000, rateLimitPerSec: 60, reconnectGraceMs: 5000 });
    const r = await createRoom(s.base, { hosting: 'server', mode: 'coin_rush' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    room = r.json;
  });
  after(() => s.close());

  test('lookup shows a server-hosted, online room', async () => {
    const info = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(info.hosting, 'server');
    assert.equal(info.hostOnline, true);
    assert.equal(info.mode, 'coin_rush');
  });

  test('a plain JSON tool plays: {"action":"move","direction":"right"} moves its player', async () => {
    const c = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json&name=curl`);
    await c.opened;
    c.send('{"action":"move","direction":"right"}'); // no hello: the server says it for us
    const welcome = await c.waitFor('welcome');
    assert.equal(welcome.encoding, 'json');
    const first = await ownSnapshot(c, welcome.playerId);
    const x0 = myEntity(first, welcome.playerId).x;
    for (let i = 0; i < 10; i++) {
      c.send({ action: 'move', direction: 'right' });
      await sleep(30);
    }
    const later = await nextSnapshot(c, first.tick + 20);
    assert.ok(myEntity(later, welcome.playerId).x > x0 + 1, `x ${x0} -> ${myEntity(later, welcome.playerId).x}`);
    const info = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.ok(info.players >= 1);
    c.close();
  });

  test('binary protocol: welcome, binary snapshots, continuous input', async () => {
    const c = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    await c.opened;
    c.send(encodeClientMessage({ type: 'hello', name: 'bin' }));
    const welcome = await c.waitFor('welcome');
    assert.equal(welcome.encoding, 'binary');
    const bin = await c.until(() => c.frames.find((f) => typeof f !== 'string'));
    const d = decodeServerMessage(bin);
    assert.ok(d.ok && d.msg.type === 'snapshot_bin', JSON.stringify(d));
    for (let i = 1; i <= 5; i++) c.send(encodeClientMessage({ type: 'input', seq: i, dx: 1, dy: 0 }));
    const acked = await c.until(() => {
      for (const f of c.frames) {
        if (typeof f === 'string') continue;
        const m = decodeServerMessage(f);
        if (m.ok && m.msg.type === 'snapshot_bin' && m.msg.lastInputSeq === 5) return m.msg;
      }
      return undefined;
    });
    assert.equal(acked.lastInputSeq, 5);
    c.close();
  });

  test('a message naming another player is rejected and moves nobody', async () => {
    const { json: own } = await createRoom(s.base, { hosting: 'server' });
    const a = await joinJson(s, own.code, { name: 'alice' });
    const b = await joinJson(s, own.code, { name: 'bob' });
    const s0 = await a.c.until(() => {
      const sn = lastSnapshot(a.c);
      return sn && myEntity(sn, b.welcome.playerId) ? sn : undefined;
    });
    const bx0 = myEntity(s0, b.welcome.playerId).x;
    const ax0 = myEntity(s0, a.welcome.playerId).x;
    for (let i = 0; i < 5; i++) a.c.send({ action: 'move', direction: 'right', player_id: b.welcome.playerId });
    const err = await a.c.waitFor('error');
    assert.equal(err.code, 'spoofed_player_id');
    const s1 = await nextSnapshot(a.c, s0.tick + 15);
    // Five real "move right" actions move a player ~50 units in this time; allow for NPC nudges.
    assert.ok(Math.abs(myEntity(s1, b.welcome.playerId).x - bx0) < 10, 'bob did not move');
    assert.ok(Math.abs(myEntity(s1, a.welcome.playerId).x - ax0) < 10, `alice did not move: ${ax0} -> ${JSON.stringify(myEntity(s1, a.welcome.playerId))} ${JSON.stringify(myEntity(s1, b.welcome.playerId))}`);
    assert.ok(a.c.json.filter((m) => m.type === 'error').every((m) => m.code === 'spoofed_player_id'));
    // Naming oneself is fine.
    const errorsBefore = a.c.json.filter((m) => m.type === 'error').length;
    a.c.send({ action: 'move', direction: 'right', player_id: a.welcome.playerId });
    await sleep(150);
    assert.equal(a.c.json.filter((m) => m.type === 'error').length, errorsBefore);
    a.c.close();
    b.c.close();
  });

  test('malformed, oversized and flooding clients get errors or a close; the room keeps ticking for others', async () => {
    const watcher = await joinJson(s, room.code, { name: 'watcher' });
    const bad = await joinJson(s, room.code, { name: 'bad' });
    bad.c.send('this is not json');
    bad.c.send('{"type":"input","seq":"x","dx":5}');
    bad.c.send('{"type":"teleport"}');
    bad.c.send(Uint8Array.from([0xee, 1, 2]));
    bad.c.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(5000) }));
    const codes = await bad.c.until(() => {
      const c = bad.c.json.filter((m) => m.type === 'error').map((m) => m.code);
      return c.length >= 5 ? c : undefined;
    });
    assert.ok(codes.includes('bad_json'), codes.join());
    assert.ok(codes.includes('too_large'), codes.join());
    assert.ok(codes.some((c: string) => c === 'bad_message' || c === 'unknown_type'), codes.join());

    // Flood: far above the per-connection rate.
    const flood = await joinJson(s, room.code, { name: 'flood' });
    for (let i = 0; i < 400; i++) flood.c.send({ type: 'ping', t: i });
    const closed = await flood.c.waitClosed(5000);
    // Closed by the socket layer (1008) or by the room host's own limiter (4000), both say why.
    assert.ok([1008, 4000].includes(closed.code), JSON.stringify(closed));
    assert.match(closed.reason, /rate_limited/);
    assert.ok(flood.c.json.some((m) => m.type === 'error' && m.code === 'rate_limited'));

    // A frame above the hard cap closes the socket (ws maxPayload).
    const huge = await joinJson(s, room.code, { name: 'huge' });
    huge.c.send('x'.repeat(s.server.config.maxFrameBytes + 10));
    assert.equal((await huge.c.waitClosed()).code, 1009);

    const t0 = lastSnapshot(watcher.c).tick;
    const later = await nextSnapshot(watcher.c, t0 + 10);
    assert.ok(later.tick > t0);
    watcher.c.close();
    bad.c.close();
  });

  test('host commands: only the host may load mods, kick or switch modes', async () => {
    const host = await joinJson(s, room.code, { name: 'host', hostToken: room.hostToken });
    assert.equal(host.welcome.isHost, true);
    const guest = await joinJson(s, room.code, { name: 'guest' });
    assert.equal(guest.welcome.isHost, false);
    const wrong = await joinJson(s, room.code, { name: 'liar', hostToken: 'not-the-token' });
    assert.equal(wrong.welcome.isHost, false);

    guest.c.send({ type: 'load_mod', name: 'evil.lua', code: 'x = 1' });
    guest.c.send({ type: 'kick', player: host.welcome.playerId });
    guest.c.send({ type: 'set_mode', mode: 'tag' });
    const errs = await guest.c.until(() => {
      const e = guest.c.json.filter((m) => m.type === 'error');
      return e.length >= 3 ? e : undefined;
    });
    assert.deepEqual(errs.map((e: any) => e.code), ['not_host', 'not_host', 'not_host']);
    assert.equal(host.c.closed, null);

    host.c.send({ type: 'kick', player: wrong.welcome.playerId });
    assert.ok(await wrong.c.waitFor('kicked'));
    await wrong.c.waitClosed();

    // The host switches the mode: everyone is told, the rooms API shows it.
    host.c.send({ type: 'set_mode', mode: 'tag' });
    assert.equal((await guest.c.waitFor('mode')).mode, 'tag');
    const info = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(info.mode, 'tag');
    host.c.send({ type: 'set_mode', mode: 'no_such_mode' });
    assert.equal((await host.c.waitFor('error')).code, 'unknown_mode');
    host.c.send({ type: 'set_mode', mode: 'coin_rush' });
    await host.c.until(() => host.c.json.filter((m) => m.type === 'mode').length >= 2);
    host.c.close();
    guest.c.close();
  });

  test('hostile Lua mods are rejected or aborted and the room keeps ticking', async () => {
    const host = await joinJson(s, room.code, { name: 'modder', hostToken: room.hostToken });
    const marker = `/tmp/arena-pwned-${process.pid}`;
    const mods: [string, string][] = [
      ['loop.lua', 'while true do end'],
      ['bomb.lua', 'local s = string.rep("x", 1e9) return #s'],
      ['exec.lua', `os.execute("touch ${marker}")`],
      ['pcall_loop.lua', 'for i = 1, 1e12 do pcall(function() while true do end end) end'],
    ];
    for (const [name, code] of mods) {
      const from = host.c.json.length;
      const t0 = Date.now();
      host.c.send({ type: 'load_mod', name, code });
      const r = await host.c.until(() => host.c.json.slice(from).find((m) => m.type === 'mod_result' && m.name === name), 5000, `mod_result ${name}`);
      assert.equal(r.ok, false, `${name} must be rejected: ${JSON.stringify(r)}`);
      assert.ok(r.error?.message, name);
      assert.doesNotMatch(r.error.message, /script name/, `${name} must fail for its code, not its name`);
      assert.ok(Date.now() - t0 < 3000, `${name} took ${Date.now() - t0} ms`);
    }
    assert.equal(fs.existsSync(marker), false);
    // A mod whose hook loops at run time: aborted every tick, rules keep running.
    // A well-formed mod loads fine (the host really has the right to load mods).
    host.c.send({ type: 'load_mod', name: 'fine.lua', code: 'function on_tick(dt) end' });
    const fine = await host.c.until(() => host.c.json.find((m) => m.type === 'mod_result' && m.name === 'fine.lua'), 5000);
    assert.equal(fine.ok, true, JSON.stringify(fine));
    host.c.send({ type: 'load_mod', name: 'hook_loop.lua', code: 'function on_tick() while true do end end' });
    await host.c.until(() => host.c.json.find((m) => m.type === 'mod_result' && m.name === 'hook_loop.lua'), 5000);
    const t0 = lastSnapshot(host.c).tick;
    const later = await nextSnapshot(host.c, t0 + 10, 5000);
    assert.ok(later.tick > t0);
    host.c.close();
  });

  test('a mod that hoards memory tick after tick is unloaded with a clear error; the room goes on', async () => {
    const host = await joinJson(s, room.code, { name: 'hoarder', hostToken: room.hostToken });
    const code = 'local keep = {}\nfunction on_tick() keep[#keep + 1] = string.rep("m", 200000) .. game.tick() end';
    host.c.send({ type: 'load_mod', name: 'hoard.lua', code });
    const r = await host.c.until(() => host.c.json.find((m) => m.type === 'mod_result' && m.name === 'hoard.lua'), 5000);
    assert.equal(r.ok, true, 'it loads: nothing is wrong with it until it has grown');
    // checked every 2 s: at 200 KB a tick it is over the 8 MiB limit well before the next check
    const err = await host.c.until(
      () => host.c.json.find((m) => m.type === 'script_error' && m.error?.script === 'hoard.lua'),
      6000,
      'the memory error',
    );
    assert.match(err.error.message, /MiB of Lua data outside state, over the 8\.0 MiB limit: script unloaded/);
    const t0 = lastSnapshot(host.c).tick;
    const later = await nextSnapshot(host.c, t0 + 30, 5000);
    assert.ok(later.tick > t0, 'the room keeps ticking');
    host.c.close();
  });

  test('reconnect to one\'s own slot with the session token', async () => {
    const a = await joinJson(s, room.code, { name: 'comeback' });
    a.c.close();
    await a.c.waitClosed();
    await sleep(50);
    const again = await joinJson(s, room.code, { name: 'comeback', token: a.welcome.token });
    assert.equal(again.welcome.playerId, a.welcome.playerId);
    assert.equal(again.welcome.reconnected, true);
    // A made-up token does not grant anyone's slot.
    const fake = await joinJson(s, room.code, { name: 'thief', token: 'x'.repeat(40) });
    assert.notEqual(fake.welcome.playerId, a.welcome.playerId);
    again.c.close();
    fake.c.close();
  });
});

test('max players per room: the next one gets room_full', async () => {
  const s = await startServer({ maxPlayers: 2 });
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const a = await joinJson(s, room.code);
    const b = await joinJson(s, room.code);
    const c = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
    await c.opened;
    c.send({ type: 'hello', name: 'third' });
    assert.equal((await c.waitFor('error')).code, 'room_full');
    a.c.close();
    b.c.close();
    c.close();
  } finally {
    await s.close();
  }
});

test('server-hosted room: unknown mode is a 400', async () => {
  const s = await startServer();
  try {
    const r = await createRoom(s.base, { hosting: 'server', mode: 'no_such_mode' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'unknown_mode');
    assert.equal(s.server.rooms.size, 0);
  } finally {
    await s.close();
  }
});

test('a client that stops reading is closed (slow consumer), not buffered forever', async () => {
  const s = await startServer({ snapshotHz: 60, maxBufferedBytes: 32 * 1024 });
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const watcher = await joinJson(s, room.code, { name: 'watcher', hostToken: room.hostToken });
    // Big snapshots (many coins) so the buffers fill within seconds.
    watcher.c.send({
      type: 'load_mod',
      name: 'many_coins.lua',
      code: 'function on_start() for i = 1, 400 do game.spawn("coin", 40 + (i % 40) * 38, 40 + (i // 40) * 90) end end',
    });
    const loaded = await watcher.c.until(() => watcher.c.json.find((m) => m.type === 'mod_result'), 5000);
    assert.equal(loaded.ok, true, JSON.stringify(loaded));
    const slow = await joinJson(s, room.code, { name: 'slow' });
    // Stop reading: the kernel buffers fill, then the server's send queue grows.
    (slow.c.ws as any)._socket.pause();
    const t0 = Date.now();
    await watcher.c.until(() => s.server.rooms.get(room.code)!.host!.playerCount === 1, 15_000, 'the slow consumer to be dropped');
    const t = lastSnapshot(watcher.c).tick;
    await nextSnapshot(watcher.c, t + 5);
    assert.ok(Date.now() - t0 < 15_000);
    watcher.c.close();
  } finally {
    await s.close();
  }
});

test('a server-hosted room nobody is connected to is paused, and wakes on join', async () => {
  const s = await startServer({ roomWorkers: 0 }); // reads the simulation directly
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const sim = s.server.rooms.get(room.code)!.host!.local!.sim;
    const t0 = sim.tick;
    await sleep(200);
    assert.equal(sim.tick, t0, 'no ticks without connections');
    const { c, welcome } = await joinJson(s, room.code, { name: 'wake' });
    const first = lastSnapshot(c).tick;
    await nextSnapshot(c, first + 6);
    assert.ok(sim.tick > t0 + 6);
    const text = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(text, /^arena_rooms_paused 0$/m);
    c.close();
    await c.waitClosed();
    await sleep(100);
    const t1 = sim.tick;
    await sleep(150);
    assert.equal(sim.tick, t1, 'paused again once everyone left');
    assert.ok(welcome.playerId);
  } finally {
    await s.close();
  }
});

test('an abandoned server-hosted room expires after the TTL and its simulation is disposed', async () => {
  const s = await startServer({ roomTtlMs: 300, roomWorkers: 0 }); // reads the simulation directly
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const { c } = await joinJson(s, room.code, { name: 'brief' });
    const sim = s.server.rooms.get(room.code)!.host!.local!.sim;
    await sleep(500);
    assert.equal((await fetch(`${s.base}/api/rooms/${room.code}`)).status, 200, 'kept while someone plays');
    c.close();
    await c.waitClosed();
    await sleep(800);
    assert.equal((await fetch(`${s.base}/api/rooms/${room.code}`)).status, 404);
    const gone = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    assert.equal((await gone.waitFor('error')).code, 'room_not_found');
    assert.throws(() => sim.step(), 'the simulation was disposed');
  } finally {
    await s.close();
  }
});
