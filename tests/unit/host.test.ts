import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, HOST_TOKEN, flush } from './helpers/room-harness';
import { POS_SCALE } from '../../core/snapshot';
import { RoomHost } from '../../core/host/room-host';

test('join: welcome, full snapshot, roster; movement shows up in delta snapshots of others', async () => {
  const h = await Harness.create();
  const a = h.client({ name: 'Ann', hostToken: HOST_TOKEN });
  const b = h.client({ name: 'Bob' });
  await flush();
  const wa = await a.ready();
  const wb = await b.ready();
  assert.equal(wa.playerId, 'player_1');
  assert.equal(wb.playerId, 'player_2');
  assert.equal(wa.isHost, true);
  assert.equal(wb.isHost, false);
  assert.match(wa.token, /^[0-9a-f]{32}$/);
  assert.notEqual(wa.token, wb.token);
  assert.equal(wa.room, 'TEST');
  assert.equal(wa.snapshotHz, 20);
  assert.deepEqual(wa.modes, ['coin_rush', 'tag']);
  assert.equal(a.stats.fullSnapshots, 1, 'full snapshot right after welcome');
  assert.equal(h.host.playerCount, 2);

  await h.tick(6);
  const start = a.latest.find((e) => e.owner === 'player_2')!;
  assert.ok(start, 'A sees B');
  b.setInput(1, 0);
  await h.tick(60);
  const seen = a.latest.find((e) => e.owner === 'player_2')!;
  assert.ok(seen.x > start.x + 100, `B moved right as seen by A: ${start.x} -> ${seen.x}`);
  assert.ok(Math.abs(seen.y - start.y) < 2);
  // B's own snapshots report its inputs applied
  assert.ok(b.lastInputSeq > 40, `lastInputSeq ${b.lastInputSeq}`);
  // deltas after the first full one
  assert.equal(a.stats.fullSnapshots, 1);
  assert.ok(a.stats.snapshots >= 21);
  // the decoded state equals the host's state at that tick (quantized)
  assert.equal(h.sim.tick % 3, 0);
  assert.equal(a.lastTick, h.sim.tick);
  const truth = h.sim.entities();
  assert.equal(a.latest.length, truth.length);
  for (const e of truth) {
    const d = a.latest.find((x) => x.id === e.id)!;
    assert.ok(d, `entity ${e.id} decoded`);
    assert.equal(d.kind, e.kind);
    assert.ok(Math.abs(d.x - e.x) <= 0.5 / POS_SCALE + 1e-9 && Math.abs(d.y - e.y) <= 0.5 / POS_SCALE + 1e-9);
  }
  // roster
  assert.deepEqual(
    a.roster!.players.map((p) => [p.id, p.name, p.connected, p.isHost]),
    [
      ['player_1', 'Ann', true, true],
      ['player_2', 'Bob', true, false],
    ],
  );
  h.dispose();
});

test('JSON mode bot: legacy action as-is, spoofed player_id refused, JSON snapshots', async () => {
  const h = await Harness.create();
  const other = h.client({ name: 'Other' });
  const bot = h.raw();
  bot.send(JSON.stringify({ type: 'hello', name: 'bot', encoding: 'json' }));
  await flush();
  const w = bot.last('welcome')!;
  assert.equal(w.playerId, 'player_2');
  assert.equal(w.encoding, 'json');
  const snap0 = bot.last('snapshot')!;
  assert.ok(snap0 && Array.isArray(snap0.entities), 'JSON snapshot after welcome');
  await h.tick(3);
  const myStart = h.playerEntity('player_2')!;
  const otherStart = h.playerEntity('player_1')!;

  // spoofing: naming another player moves nobody
  bot.send('{"action":"move","direction":"up","player_id":"player_1"}');
  await h.tick(15);
  const err = bot.last('error')!;
  assert.equal(err.code, 'spoofed_player_id');
  assert.ok(Math.abs(h.playerEntity('player_1')!.y - otherStart.y) < 0.01, 'other player did not move');
  assert.ok(Math.abs(h.playerEntity('player_2')!.y - myStart.y) < 0.01, 'bot did not move either');
  const camel = bot.msgs.length;
  bot.send('{"action":"move","direction":"up","playerId":"player_1"}');
  await h.tick(10);
  assert.equal(bot.msgs.slice(camel).find((m) => m.type === 'error')?.code, 'spoofed_player_id');
  assert.ok(Math.abs(h.playerEntity('player_1')!.y - otherStart.y) < 0.01);
  const inputSpoof = bot.msgs.length;
  bot.send('{"type":"input","seq":1,"dx":0,"dy":-1,"player_id":"player_1"}');
  await h.tick(6);
  assert.equal(bot.msgs.slice(inputSpoof).find((m) => m.type === 'error')?.code, 'spoofed_player_id');
  assert.ok(Math.abs(h.playerEntity('player_2')!.y - myStart.y) < 0.01);

  // the legacy action exactly as the old clients send it
  bot.send('{"action":"move","direction":"right","player_id":"player_2"}');
  await h.tick(20);
  const moved = h.playerEntity('player_2')!;
  assert.ok(moved.x > myStart.x + 10, `legacy move moved the bot: ${myStart.x} -> ${moved.x}`);
  const snap = bot.last('snapshot')!;
  const mine = snap.entities.find((e) => e.owner === 'player_2')!;
  assert.ok(mine.x > myStart.x + 5, 'JSON snapshot shows the move');
  assert.equal(typeof bot.frames[bot.frames.length - 1], 'string', 'JSON mode: text frames only');
  assert.ok(bot.frames.every((f) => typeof f === 'string'));
  // JSON continuous input
  bot.send(JSON.stringify({ type: 'input', seq: 5, dx: 0, dy: 1 }));
  await h.tick(30);
  assert.ok(h.playerEntity('player_2')!.y > moved.y + 50);
  assert.equal(bot.last('snapshot')!.lastInputSeq, 5);

  // malformed messages get errors, nothing breaks
  const n = bot.msgs.length;
  bot.send('{"type":"input","seq":"x"}');
  bot.send('not json');
  bot.send('{"type":"warp"}');
  await h.tick(1);
  assert.deepEqual(
    bot.msgs.slice(n).filter((m) => m.type === 'error').map((m) => (m as { code: string }).code),
    ['bad_message', 'bad_json', 'unknown_type'],
  );
  assert.ok(!bot.closed);
  assert.ok(other.joined);
  h.dispose();
});

test('messages before hello are refused; a second hello too', async () => {
  const h = await Harness.create();
  const p = h.raw();
  p.send('{"action":"move","direction":"right"}');
  await flush();
  assert.equal(p.last('error')?.code, 'not_joined');
  p.send('{"type":"hello","name":"x","encoding":"json"}');
  p.send('{"type":"hello","name":"y","encoding":"json"}');
  await flush();
  assert.equal(p.of('welcome').length, 1);
  assert.equal(p.last('error')?.code, 'already_joined');
  h.dispose();
});

test('host commands: refused for non-hosts; set_mode, broken and good mods for the host', async () => {
  const h = await Harness.create();
  const host = h.client({ name: 'Host', hostToken: HOST_TOKEN });
  const guest = h.client({ name: 'Guest', hostToken: 'wrong-token' });
  await flush();
  await host.ready();
  await guest.ready();
  assert.equal(guest.isHost, false);
  const errs: string[] = [];
  guest.on('error', (e) => errs.push(e.code));
  guest.setMode('tag');
  guest.loadMod('evil.lua', 'function on_tick() end');
  guest.kick('player_1');
  await h.tick(1);
  assert.deepEqual(errs, ['not_host', 'not_host', 'not_host']);
  assert.equal(h.sim.mode, 'coin_rush');
  assert.equal(h.host.playerCount, 2);

  const modes: string[] = [];
  guest.on('mode', (m) => modes.push(m));
  host.setMode('tag');
  await h.tick(1);
  assert.equal(h.sim.mode, 'tag');
  assert.deepEqual(modes, ['tag']);
  const hostErrs: string[] = [];
  host.on('error', (e) => hostErrs.push(e.code));
  host.setMode('chess');
  await h.tick(1);
  assert.deepEqual(hostErrs, ['unknown_mode']);
  assert.equal(h.sim.mode, 'tag');

  // a broken mod: reported with script and line, old rules keep running
  const results: { ok: boolean; error?: { script: string; line?: number; message: string } }[] = [];
  host.on('mod_result', (r) => results.push(r));
  host.loadMod('broken.lua', 'local x = 1\nfunction on_tick(\n');
  await h.tick(1);
  assert.equal(results.length, 1);
  assert.equal(results[0].ok, false);
  assert.equal(results[0].error!.script, 'broken.lua');
  assert.equal(typeof results[0].error!.line, 'number');
  guest.setInput(1, 0);
  const before = h.playerEntity('player_2')!.x;
  await h.tick(30);
  assert.ok(h.playerEntity('player_2')!.x > before + 50, 'rules still run after a broken mod');
  // a good mod
  host.loadMod('hello_mod.lua', 'function on_join(p) game.message("*", "hi " .. p.name) end');
  await h.tick(1);
  assert.equal(results[1].ok, true);
  assert.ok(guest.messages.some((m) => m.includes('hello_mod.lua')));
  h.dispose();
});

test('rules messages are delivered; ping/pong measures RTT', async () => {
  const h = await Harness.create();
  const host = h.client({ name: 'Host', hostToken: HOST_TOKEN });
  await flush();
  await host.ready();
  host.loadMod('greeter.lua', 'function on_join(p) game.message("*", "welcome " .. p.name) end');
  await h.tick(1);
  const b = h.client({ name: 'Zed' });
  await h.tick(2);
  assert.ok(host.messages.includes('welcome Zed'), JSON.stringify(host.messages));
  assert.ok(b.messages.includes('welcome Zed'));
  b.ping();
  h.t += 40;
  await flush();
  assert.equal(b.rtt, 40);
  // host pings clients once a second; the roster shows ping
  await h.tick(70);
  assert.ok(h.host.roster().players.every((p) => p.ping >= 0));
  h.dispose();
});

test('GameClient in JSON mode: text frames only, state and prediction work without acks', async () => {
  const h = await Harness.create();
  const c = h.client({ name: 'J', encoding: 'json' });
  const sent: (string | Uint8Array)[] = [];
  const orig = c.conn.send.bind(c.conn);
  c.conn.send = (f, ch) => {
    sent.push(f);
    orig(f, ch);
  };
  await flush();
  const w = await c.ready();
  assert.equal(w.encoding, 'json');
  c.setInput(0, -1);
  await h.tick(45);
  assert.ok(sent.length > 30 && sent.every((f) => typeof f === 'string'), 'JSON frames only');
  assert.ok(!sent.some((f) => (f as string).includes('"ack"')), 'no acks in JSON mode');
  const self = c.self()!;
  const truth = h.playerEntity(w.playerId)!;
  assert.ok(Math.abs(self.y - truth.y) < 30, 'newest snapshot is at most a snapshot behind');
  assert.ok(c.lastInputSeq > 30);
  const p = c.predictor.predicted!;
  assert.ok(Math.abs(p.y - truth.y) < 1, `prediction ${p.y} vs host ${truth.y}`);
  h.dispose();
});

test('snapshotPhase: snapshots go out on ticks of that phase (rooms spread their sends over steps)', async () => {
  for (const phase of [0, 1, 2, 4]) {
    const h = await Harness.create({}, { snapshotPhase: phase });
    const sentOn: number[] = [];
    h.host.on('telemetry', (t) => { if (t.snapshotsSent > 0) sentOn.push(h.sim.tick); });
    const a = h.client({ name: 'Ann' });
    await flush();
    await a.ready();
    await h.tick(12);
    assert.ok(sentOn.length >= 3, `snapshots sent (phase ${phase}): ${sentOn.join(',')}`);
    for (const t of sentOn) assert.equal(t % 3, phase % 3, `phase ${phase}: snapshot on tick ${t}`);
    assert.equal(a.lastTick % 3, phase % 3);
    h.dispose();
  }
  const h = await Harness.create();
  assert.throws(() => new RoomHost({ sim: h.sim, code: 'X', hostToken: 't', snapshotPhase: -1 }), /snapshotPhase/);
  h.dispose();
});

test('roster: a score change is broadcast at the next snapshot tick; nothing else between the 1 s refreshes', async () => {
  const h = await Harness.create();
  const p = h.raw();
  p.send(JSON.stringify({ type: 'hello', name: 'Ann' }));
  await flush();
  await h.tick(3);
  const base = p.of('roster').length;
  assert.ok(base >= 1);
  const t0 = h.sim.tick;
  // a mod scores at a known tick (scores change only through the rules)
  assert.ok(h.sim.loadScript('mods/score.lua', `function on_tick() if game.tick() == ${t0 + 10} then game.add_score("player_1", 3) end end`).ok);
  await h.tick(9); // < 1 s since the last roster, no score change yet
  assert.equal(p.of('roster').length, base);
  await h.tick(6); // the score changes, then a snapshot tick follows within 3 ticks
  assert.equal(p.of('roster').length, base + 1);
  assert.equal(p.last('roster')!.players[0].score, 3);
  await h.tick(30);
  assert.equal(p.of('roster').length, base + 1, 'no change: no roster');
  await h.tick(30); // the 1 s refresh
  assert.equal(p.of('roster').length, base + 2);
  h.dispose();
});
