import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimulation, restoreSimulation, EntityFlags } from '../../core/sim';
import { makeSim, steps, entity, wasm, shipped, readLuaScript } from './sim-helpers';

const HOOKS = `
local function say(s) game.message("*", "hook:" .. s) end
function on_start() say("start") end
function on_join(p) say("join " .. p.id .. " " .. p.name .. " " .. p.entity) end
function on_leave(p) say("leave " .. p.id) end
function on_action(p, a) say("action " .. p.id .. " " .. a.action .. " " .. tostring(a.n)) end
function on_tick(dt) if game.tick() == 2 then say("tick " .. string.format("%.4f", dt)) end end
function on_event(ev)
  if ev.type == "sensor_enter" and ev.a_kind == "zone" and ev.a_variant == "probe" then
    say("event " .. ev.type .. " " .. ev.b_kind .. " " .. tostring(ev.b_player))
  end
end
function on_mode_start(m) say("mode_start " .. m) end
function on_mode_end(m) say("mode_end " .. m) end
`;

function hookMsgs(sim: { drainMessages(): { to: string; text: string }[] }) {
  return sim.drainMessages().filter((m) => m.text.startsWith('hook:')).map((m) => m.text.slice(5));
}

test('every hook is called: on_start, on_join, on_action, on_tick, on_event, on_mode_start/end, on_leave', async () => {
  const sim = await makeSim();
  assert.deepEqual(sim.loadScript('mods/hooks.lua', HOOKS), { ok: true });
  assert.deepEqual(hookMsgs(sim), ['start']);
  const p = sim.addPlayer('player_1', 'Ann');
  assert.deepEqual(hookMsgs(sim), [`join player_1 Ann ${p.entityId}`]);
  sim.action('player_1', { action: 'ping', n: 7 });
  assert.deepEqual(hookMsgs(sim), [], 'actions are queued until the next tick');
  steps(sim, 3);
  assert.deepEqual(hookMsgs(sim), ['action player_1 ping 7', 'tick 0.0167']);
  // a sensor placed on the player produces sensor_enter
  sim.action('player_1', { action: 'spawn_here', kind: 'zone', variant: 'probe', radius: 30 });
  steps(sim, 3);
  assert.deepEqual(hookMsgs(sim), ['action player_1 spawn_here nil', 'event sensor_enter player player_1']);
  sim.setMode('tag');
  assert.deepEqual(hookMsgs(sim), ['mode_end coin_rush', 'mode_start tag']);
  sim.removePlayer('player_1');
  assert.deepEqual(hookMsgs(sim), ['leave player_1']);
  assert.equal(sim.players().length, 0);
  assert.ok(!sim.entities().some((e) => e.kind === 'player'));
  sim.dispose();
});

test('inputs move players; latest input per tick wins; lastInputSeq tracked; stale inputs ignored', async () => {
  const sim = await makeSim();
  const p = sim.addPlayer('player_1', 'Ann');
  sim.action('player_1', { action: 'teleport', x: 300, y: 500 });
  sim.step();
  sim.setInput('player_1', { seq: 1, dx: -1, dy: 0 });
  sim.setInput('player_1', { seq: 2, dx: 0, dy: 1 });
  sim.setInput('player_1', { seq: 1, dx: 1, dy: 0 }); // stale
  steps(sim, 30);
  const e = entity(sim, p.entityId);
  assert.ok(e.y > 560, `moved down (y=${e.y})`);
  assert.ok(Math.abs(e.x - 300) < 2, `not sideways (x=${e.x})`);
  assert.equal(sim.players()[0].lastInputSeq, 2);
  assert.ok(Math.abs(e.vy - 240) < 1, `full speed 240 (vy=${e.vy})`);
  sim.dispose();
});

test('the legacy {"action":"move","direction":"right"} moves the player; another player_id is refused', async () => {
  const sim = await makeSim();
  const p = sim.addPlayer('player_1', 'Ann');
  sim.addPlayer('player_2', 'Bob');
  sim.action('player_1', { action: 'teleport', x: 300, y: 500 });
  sim.step();
  const x0 = entity(sim, p.entityId).x;
  sim.action('player_1', { action: 'move', direction: 'right', player_id: 'player_1' });
  steps(sim, 40);
  const e = entity(sim, p.entityId);
  assert.ok(e.x > x0 + 25, `moved right: ${x0} -> ${e.x}`);
  assert.ok(Math.abs(e.vx) < 1, 'and stopped again');
  const before = sim.hash();
  assert.throws(() => sim.action('player_2', { action: 'move', direction: 'right', player_id: 'player_1' }), /player_id/);
  assert.throws(() => sim.action('player_1', { action: 'move', direction: 'sideways' as 'up' }), /direction/);
  assert.throws(() => sim.action('nobody', { action: 'move', direction: 'up' }), /no such player/);
  assert.throws(() => sim.setInput('player_1', { seq: 5, dx: NaN, dy: 0 }), /finite/);
  assert.equal(sim.hash(), before, 'rejected calls change nothing');
  sim.dispose();
});

test('hot reload replaces a script without losing state; broken versions keep the old rules', async () => {
  const sim = await makeSim();
  sim.addPlayer('player_1', 'Ann');
  const v1 = 'state.counter = state.counter or 0\nfunction on_tick() state.counter = state.counter + 1 game.message("*", "v1:" .. state.counter) end';
  const v2 = 'state.counter = state.counter or 0\nfunction on_tick() state.counter = state.counter + 10 game.message("*", "v2:" .. state.counter) end';
  const last = () => sim.drainMessages().filter((m) => /^v\d:/.test(m.text)).pop()?.text;
  assert.deepEqual(sim.loadScript('mods/counter.lua', v1), { ok: true });
  steps(sim, 5);
  assert.equal(last(), 'v1:5');
  assert.deepEqual(sim.loadScript('mods/counter.lua', v2), { ok: true });
  steps(sim, 2);
  assert.equal(last(), 'v2:25', 'state kept across reload');

  // syntax error: reported with name and line, v2 keeps running
  const syntax = sim.loadScript('mods/counter.lua', 'function on_tick()\n  state.counter = \nend end');
  assert.equal(syntax.ok, false);
  if (!syntax.ok) {
    assert.equal(syntax.error.script, 'mods/counter.lua');
    assert.equal(syntax.error.line, 3);
  }
  // runtime error while loading: same
  const runtime = sim.loadScript('mods/counter.lua', 'local x = nil\n\nlocal y = x.field\nfunction on_tick() end');
  assert.equal(runtime.ok, false);
  if (!runtime.ok) {
    assert.equal(runtime.error.line, 3);
    assert.match(runtime.error.message, /attempt to index/);
  }
  steps(sim, 1);
  assert.equal(last(), 'v2:35', 'old rules still running');
  assert.equal(sim.scripts()['mods/counter.lua'], v2);

  // a handler that throws at runtime is reported with script, line and hook; others keep going
  assert.ok(sim.loadScript('mods/thrower.lua', 'function on_tick()\n  error("boom")\nend').ok);
  const tel = sim.step();
  assert.deepEqual(tel.errors.map((e) => [e.script, e.line, e.hook, e.message]), [['mods/thrower.lua', 2, 'on_tick', 'boom']]);
  assert.equal(last(), 'v2:45');

  // a reload whose handler throws soon after (probation) puts the previous version back
  const v3 = 'function on_tick()\n  local x = nil\n  return x.boom\nend';
  assert.deepEqual(sim.loadScript('mods/counter.lua', v3), { ok: true });
  const blob = sim.serialize(); // probation is part of the room state
  const tel3 = sim.step();
  const rev = tel3.errors.find((e) => e.script === 'mods/counter.lua')!;
  assert.equal(rev.line, 3);
  assert.match(rev.message, /attempt to index.*reverted to the previous version/);
  assert.equal(sim.scripts()['mods/counter.lua'], v2);
  steps(sim, 1);
  assert.equal(last(), 'v2:55', 'v2 is back, state kept');
  const restored = await restoreSimulation(blob, wasm);
  const telR = restored.step();
  assert.match(telR.errors.find((e) => e.script === 'mods/counter.lua')!.message, /reverted/);
  assert.equal(restored.scripts()['mods/counter.lua'], v2);
  restored.dispose();
  // after the probation period a failing handler is only reported, not reverted
  const lateCode = `function on_tick() if game.tick() >= ${sim.tick + 70} then error("late") end end`;
  assert.deepEqual(sim.loadScript('mods/counter.lua', lateCode), { ok: true });
  const lateErrs = steps(sim, 75).filter((e) => e.script === 'mods/counter.lua');
  assert.ok(lateErrs.length >= 4 && lateErrs.every((e) => e.message === 'late'));
  assert.equal(sim.scripts()['mods/counter.lua'], lateCode);
  assert.deepEqual(sim.loadScript('mods/counter.lua', v2), { ok: true });

  // the shipped movement rules can be hot-reloaded too (a faster variant)
  const fast = shipped['movement_rules.lua'].replace('local BASE_SPEED = 240', 'local BASE_SPEED = 400');
  assert.deepEqual(sim.loadScript('movement_rules.lua', fast), { ok: true });
  sim.setInput('player_1', { seq: 1, dx: 1, dy: 0 });
  steps(sim, 30);
  const me = sim.entities().find((e) => e.owner === 'player_1')!;
  assert.ok(Math.abs(Math.hypot(me.vx, me.vy) - 400) < 1 || me.x > 1500, `speed ${Math.hypot(me.vx, me.vy)}`);
  sim.dispose();
});

test('coin_rush: a coin pick-up scores, gold is worth 5, rounds end and reset scores', async () => {
  const sim = await makeSim({ settings: { round_seconds: 2 } });
  sim.addPlayer('player_1', 'Ann');
  sim.addPlayer('player_2', 'Bob');
  steps(sim, 2);
  assert.equal(sim.mode, 'coin_rush');
  assert.ok(sim.entities().filter((e) => e.kind === 'coin').length >= 2, 'coins spawn');
  sim.action('player_1', { action: 'spawn_here', kind: 'coin', variant: 'silver' });
  sim.action('player_2', { action: 'spawn_here', kind: 'coin', variant: 'gold' });
  steps(sim, 2);
  const score = (id: string) => sim.players().find((p) => p.id === id)!.score;
  assert.ok(score('player_1') >= 1 && score('player_2') >= 5, `${score('player_1')} ${score('player_2')}`);
  sim.drainMessages();
  steps(sim, 130);
  const msgs = sim.drainMessages().map((m) => m.text);
  assert.ok(msgs.some((m) => /^Round 1 won by Bob/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /round 2/.test(m)));
  sim.dispose();
});

test('tag: one player is it; touching passes it; immunity stops an immediate tag-back; mode switch', async () => {
  const sim = await makeSim();
  const a = sim.addPlayer('player_1', 'Ann');
  const b = sim.addPlayer('player_2', 'Bob');
  assert.throws(() => sim.setMode('nope'), /unknown mode/);
  assert.equal(sim.mode, 'coin_rush');
  sim.setMode('tag');
  assert.equal(sim.mode, 'tag');
  assert.ok(!sim.entities().some((e) => e.kind === 'coin'), 'coin_rush cleaned up its coins');
  const itOf = () => sim.entities().filter((e) => e.kind === 'player' && e.flags & EntityFlags.It).map((e) => e.owner);
  assert.equal(itOf().length, 1);
  const it0 = itOf()[0]!;
  const other = it0 === 'player_1' ? 'player_2' : 'player_1';
  // place them apart on one line and run them into each other
  sim.action(it0, { action: 'teleport', x: 500, y: 300 });
  sim.action(other, { action: 'teleport', x: 600, y: 300 });
  sim.step();
  sim.setInput(it0, { seq: 1, dx: 1, dy: 0 });
  sim.setInput(other, { seq: 1, dx: -1, dy: 0 });
  let t = 0;
  while (itOf()[0] === it0 && t++ < 60) sim.step();
  assert.deepEqual(itOf(), [other], 'it passed on contact');
  // keep pushing into each other: the old it is immune, so it does not come straight back
  steps(sim, 30);
  assert.deepEqual(itOf(), [other]);
  assert.ok(a.entityId !== b.entityId);
  // scores: non-it players earn a point per second
  steps(sim, 60);
  assert.ok(sim.players().find((p) => p.id === it0)!.score >= 1);
  sim.setMode('coin_rush');
  assert.deepEqual(itOf(), [], 'tag cleaned up the It flag');
  sim.dispose();
});

test('power-ups: speed boost, shield and magnet are picked up through sensor events and expire', async () => {
  const sim = await makeSim();
  const p = sim.addPlayer('player_1', 'Ann');
  sim.action('player_1', { action: 'teleport', x: 100, y: 900 }); // clear of pillars and zones
  sim.step();
  sim.action('player_1', { action: 'spawn_here', kind: 'powerup', variant: 'speed' });
  sim.action('player_1', { action: 'spawn_here', kind: 'powerup', variant: 'magnet', ox: 5 });
  steps(sim, 3);
  let me = entity(sim, p.entityId);
  assert.ok(me.flags & EntityFlags.Boost, 'boost flag');
  assert.ok(me.flags & EntityFlags.Magnet, 'magnet flag');
  assert.ok(!sim.entities().some((e) => e.kind === 'powerup' && Math.hypot(e.x - me.x, e.y - me.y) < 20), 'picked up');
  assert.ok(sim.drainMessages().some((m) => m.to === 'player_1' && m.text === 'power-up: speed'));
  // boosted speed: 240 * 1.6 = 384
  sim.setInput('player_1', { seq: 1, dx: 1, dy: 0 });
  steps(sim, 20);
  me = entity(sim, p.entityId);
  assert.ok(Math.abs(me.vx - 384) < 1, `boosted vx=${me.vx}`);
  sim.setInput('player_1', { seq: 2, dx: 0, dy: 0 });
  // magnet pulls a coin placed 120 units away
  sim.action('player_1', { action: 'spawn_here', kind: 'coin', variant: 'silver', ox: 0, oy: -120 });
  sim.step();
  me = entity(sim, p.entityId);
  const coin = sim.entities().find((e) => e.kind === 'coin' && Math.hypot(e.x - me.x, e.y - (me.y - 120)) < 20)!;
  assert.ok(coin, 'coin placed');
  const scoreBefore = sim.players()[0].score;
  steps(sim, 10);
  const mid = entity(sim, coin.id);
  assert.ok(Math.hypot(mid.x - me.x, mid.y - me.y) < 120 - 40, 'coin drifts towards the player');
  steps(sim, 20);
  assert.ok(!sim.entities().some((e) => e.id === coin.id), 'coin collected');
  assert.ok(sim.players()[0].score > scoreBefore, 'magnet pulled the coin in');
  // expiry after 360 ticks (speed), 420 (magnet)
  steps(sim, 420);
  me = entity(sim, p.entityId);
  assert.equal(me.flags & (EntityFlags.Boost | EntityFlags.Magnet), 0, 'expired');
  // shield blocks a tag
  sim.setMode('tag');
  sim.addPlayer('player_2', 'Bob');
  const itOf = () => sim.entities().filter((e) => e.kind === 'player' && e.flags & EntityFlags.It).map((e) => e.owner);
  const it0 = itOf()[0]!;
  const other = it0 === 'player_1' ? 'player_2' : 'player_1';
  sim.action(other, { action: 'spawn_here', kind: 'powerup', variant: 'shield' });
  sim.step();
  sim.step();
  sim.action(it0, { action: 'teleport', x: 500, y: 300 });
  sim.action(other, { action: 'teleport', x: 560, y: 300 });
  sim.step();
  sim.setInput(it0, { seq: 10, dx: 1, dy: 0 });
  steps(sim, 40);
  assert.deepEqual(itOf(), [it0], 'shielded player was not tagged');
  sim.dispose();
});

test('NPCs: each has a behaviour; wanderers move, chasers approach, fleers retreat', async () => {
  const sim = await createSimulation({ wasm, scripts: shipped, seed: 3, npcs: 60 });
  const npcs0 = sim.entities().filter((e) => e.kind === 'npc');
  assert.equal(npcs0.length, 60);
  const variants = new Set(npcs0.map((e) => e.variant));
  assert.deepEqual([...variants].sort(), ['chase', 'flee', 'wander']);
  sim.addPlayer('player_1', 'Ann');
  const dist = (id: number) => {
    const es = sim.entities();
    const n = es.find((e) => e.id === id)!;
    const pl = es.find((e) => e.kind === 'player')!;
    return Math.hypot(n.x - pl.x, n.y - pl.y);
  };
  const chasers = npcs0.filter((e) => e.variant === 'chase').map((e) => e.id).filter((id) => dist(id) < 350);
  const fleers = npcs0.filter((e) => e.variant === 'flee').map((e) => e.id).filter((id) => dist(id) < 200);
  const d0 = new Map([...chasers, ...fleers].map((id) => [id, dist(id)]));
  steps(sim, 40);
  const npcs1 = sim.entities().filter((e) => e.kind === 'npc');
  const moved = npcs1.filter((e) => {
    const o = npcs0.find((x) => x.id === e.id)!;
    return Math.hypot(e.x - o.x, e.y - o.y) > 20;
  });
  assert.ok(moved.length >= 55, `NPCs move (${moved.length}/60)`);
  for (const id of chasers) assert.ok(dist(id) < d0.get(id)!, `chaser ${id} closer`);
  for (const id of fleers) assert.ok(dist(id) > d0.get(id)!, `fleer ${id} farther`);
  assert.ok(chasers.length + fleers.length > 0, 'some NPCs near the player');
  const flagged = npcs1.filter((e) => e.flags & (EntityFlags.Chasing | EntityFlags.Fleeing));
  assert.equal(flagged.length > 0, true);
  sim.dispose();
});

test('arena, entity views and ids: walls, zones, players with owner; ids stable', async () => {
  const sim = await makeSim({ arena: { width: 1000, height: 700 } });
  const p = sim.addPlayer('player_1', 'Ann');
  const es = sim.entities();
  assert.ok(es.filter((e) => e.kind === 'wall').length >= 4);
  assert.equal(es.filter((e) => e.kind === 'zone').length, 2);
  const me = es.find((e) => e.kind === 'player')!;
  assert.equal(me.id, p.entityId);
  assert.equal(me.owner, 'player_1');
  assert.equal(me.r, 16);
  assert.deepEqual(sim.arena, { width: 1000, height: 700 });
  steps(sim, 10);
  assert.equal(sim.entities().find((e) => e.kind === 'player')!.id, p.entityId);
  assert.throws(() => sim.addPlayer('player_1', 'again'), /already exists/);
  assert.throws(() => sim.addPlayer('bad id!', 'x'), /player id/);
  sim.dispose();
});

test('full room state round trip: restore gives the same hash, and stepping both stays equal', async () => {
  const sim = await makeSim({ npcs: 12, settings: { round_seconds: 3 } });
  sim.addPlayer('player_1', 'Ann');
  sim.addPlayer('player_2', 'Bob');
  sim.addPlayer('player_3', 'Cy');
  sim.setConnected('player_3', false);
  assert.ok(sim.loadScript('mods/coin_shower.lua', readLuaScript('mods/coin_shower.lua')).ok);
  sim.setInput('player_1', { seq: 3, dx: 1, dy: 0.5 });
  sim.setInput('player_2', { seq: 9, dx: -1, dy: 0 });
  steps(sim, 400);
  sim.setMode('tag');
  steps(sim, 50);
  // pending (not yet applied) input and action are part of the state too
  sim.setInput('player_1', { seq: 4, dx: 0, dy: -1 });
  sim.action('player_2', { action: 'move', direction: 'up' });
  const blob = sim.serialize();
  const copy = await restoreSimulation(blob, wasm);
  assert.equal(copy.hash(), sim.hash());
  assert.deepEqual(copy.players(), sim.players());
  assert.deepEqual(copy.entities(), sim.entities());
  assert.deepEqual(copy.scripts(), sim.scripts());
  assert.equal(copy.mode, 'tag');
  assert.equal(copy.tick, sim.tick);
  for (let i = 0; i < 300; i++) {
    if (i === 100) for (const s of [sim, copy]) s.setMode('coin_rush');
    if (i % 37 === 0) for (const s of [sim, copy]) s.setInput('player_2', { seq: 100 + i, dx: Math.sin(i), dy: Math.cos(i) });
    sim.step();
    copy.step();
  }
  assert.equal(copy.hash(), sim.hash());
  assert.deepEqual(copy.players(), sim.players());
  // bad blobs are refused with a clear error
  await assert.rejects(restoreSimulation(new Uint8Array([1, 2, 3]), wasm), /not a simulation blob/);
  const cut = blob.slice(0, blob.length - 10);
  await assert.rejects(restoreSimulation(cut, wasm), /truncated|blob/);
  sim.dispose();
  copy.dispose();
});

test('telemetry: physics ms, Lua ms per hook, counts, from an injected clock', async () => {
  let t = 0;
  const sim = await createSimulation({ wasm, scripts: shipped, seed: 5, npcs: 4, now: () => (t += 0.25) });
  sim.addPlayer('player_1', 'Ann');
  sim.action('player_1', { action: 'move', direction: 'left' });
  const tel = sim.step();
  assert.equal(tel.tick, 0);
  assert.equal(tel.physicsMs, 0.25);
  assert.equal(tel.luaMs.on_tick, 0.25);
  assert.equal(tel.luaMs.on_action, 0.25);
  assert.ok(tel.luaMs.on_join! > 0, 'hooks run outside the tick are reported with the next tick');
  assert.ok(tel.luaTotalMs >= 0.75);
  assert.equal(tel.players, 1);
  assert.equal(tel.entities, sim.entities().length);
  // timing never influences state: a different clock gives the same hash
  const other = await createSimulation({ wasm, scripts: shipped, seed: 5, npcs: 4, now: () => 12345 });
  other.addPlayer('player_1', 'Ann');
  other.action('player_1', { action: 'move', direction: 'left' });
  other.step();
  assert.equal(other.hash(), sim.hash());
  sim.dispose();
  other.dispose();
});

test('bad options are refused clearly', async () => {
  await assert.rejects(createSimulation({ wasm, scripts: shipped, mode: 'chess' }), /unknown mode "chess"/);
  await assert.rejects(createSimulation({ wasm, scripts: { 'bad.lua': 'x = = 1' } }), /bad.lua failed to load/);
  await assert.rejects(createSimulation({ wasm, scripts: shipped, arena: { width: 10, height: 10 } }), /arena/);
});

test('EVENTS declares which event types a script gets; undeclared scripts get every type; bad EVENTS is refused', async () => {
  const sim = await makeSim();
  const counter = (name: string, events: string) => `
${events}
state.ev = state.ev or {}
function on_event(ev) local k = "${name}:" .. ev.type; state.ev[k] = (state.ev[k] or 0) + 1 end
function on_action(p, a) if a.action == "report" then
  local keys = {}
  for k, n in pairs(state.ev) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do game.message("*", "ev " .. k) end
end end`;
  assert.deepEqual(sim.loadScript('mods/all.lua', counter('all', '')), { ok: true });
  assert.deepEqual(sim.loadScript('mods/only.lua', counter('only', 'EVENTS = { "contact_begin" }')), { ok: true });
  const bad = sim.loadScript('mods/bad.lua', 'EVENTS = { "contact_start" }\nfunction on_event() end');
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error.message : '', /EVENTS: unknown event type 'contact_start'/);
  assert.equal(sim.loadScript('mods/bad2.lua', 'EVENTS = "sensor_enter"').ok, false);
  sim.addPlayer('player_1', 'Ann');
  sim.action('player_1', { action: 'teleport', x: 30, y: 500 });
  sim.setInput('player_1', { seq: 1, dx: -1, dy: 0 }); // into the left wall: contacts
  steps(sim, 20);
  sim.setInput('player_1', { seq: 2, dx: 1, dy: 0 });
  steps(sim, 20);
  sim.drainMessages();
  sim.action('player_1', { action: 'report' });
  sim.step();
  const got = sim.drainMessages().map((m) => m.text).filter((t) => t.startsWith('ev '));
  assert.ok(got.includes('ev all:contact_begin') && got.includes('ev all:contact_end'), got.join(','));
  assert.ok(got.includes('ev only:contact_begin'), got.join(','));
  assert.ok(!got.some((t) => t.startsWith('ev only:') && t !== 'ev only:contact_begin'), got.join(','));
  sim.dispose();
});

test('game.drive keeps steering every tick without further calls, stops on drive(id), survives serialize/restore', async () => {
  const MOD = `
function on_action(p, a)
  if a.action == "drive" then game.drive(a.id, a.tx, a.ty, a.dv)
  elseif a.action == "undrive" then game.drive(a.id)
  elseif a.action == "bad" then game.drive(a.id, 0/0, 1) end
end`;
  const sim = await makeSim();
  assert.deepEqual(sim.loadScript('mods/drive.lua', MOD), { ok: true });
  const p = sim.addPlayer('player_1', 'Ann');
  sim.action('player_1', { action: 'teleport', x: 400, y: 500 });
  sim.step();
  const id = p.entityId;
  // a player body: movement_rules drives it too, but only sends a new target when its input changes
  sim.action('player_1', { action: 'drive', id, tx: 50, ty: 0, dv: 5 });
  sim.step();
  const v1 = entity(sim, id).vx;
  sim.step();
  const v2 = entity(sim, id).vx;
  steps(sim, 20);
  const v3 = entity(sim, id).vx;
  assert.ok(v1 > 3 && v2 > v1 + 3 && Math.abs(v3 - 50) < 1, `velocity keeps moving towards the target by <= 5 per tick: ${v1}, ${v2}, ${v3}`);
  const blob = sim.serialize();
  const copy = await restoreSimulation(blob, wasm);
  steps(sim, 5);
  steps(copy, 5);
  assert.equal(copy.hash(), sim.hash(), 'restored drive continues identically');
  sim.action('player_1', { action: 'bad', id });
  const errs = steps(sim, 1);
  assert.ok(errs.some((e) => /game.drive: values must be finite/.test(e.message)), JSON.stringify(errs));
  sim.action('player_1', { action: 'undrive', id });
  sim.step();
  const blob2 = sim.serialize();
  const header = JSON.parse(new TextDecoder().decode(blob2.subarray(8, 8 + new DataView(blob2.buffer, blob2.byteOffset).getUint32(4, true))));
  assert.ok(Array.isArray(header.drives) && !header.drives.some((d: number[]) => d[0] === id), 'drive removed');
  const vStop = entity(sim, id).vx;
  steps(sim, 3);
  assert.ok(Math.abs(entity(sim, id).vx - vStop) < 1, 'no longer driven');
  sim.dispose();
  copy.dispose();
});

test('game.steer refuses a negative max_dv (it would push the velocity away from the target)', async () => {
  const MOD = `
function on_action(p, a)
  if a.action == "steer" then
    local vx = game.steer(a.id, 100, 0, a.dv)
    game.message("*", "steered " .. string.format("%.1f", vx))
  end
end`;
  const sim = await makeSim();
  assert.deepEqual(sim.loadScript('mods/steer.lua', MOD), { ok: true });
  const p = sim.addPlayer('player_1', 'Ann');
  sim.step();
  sim.drainMessages();
  sim.action('player_1', { action: 'steer', id: p.entityId, dv: -5 });
  const errs = steps(sim, 1);
  assert.ok(errs.some((e) => /game.steer: values must be finite \(max_dv >= 0\)/.test(e.message)), JSON.stringify(errs));
  assert.deepEqual(sim.drainMessages().filter((m) => m.text.startsWith('steered')), []);
  sim.action('player_1', { action: 'steer', id: p.entityId, dv: 5 });
  assert.deepEqual(steps(sim, 1).filter((e) => e.script === 'mods/steer.lua'), []);
  assert.deepEqual(sim.drainMessages().filter((m) => m.text.startsWith('steered')).map((m) => m.text), ['steered 5.0']);
  sim.dispose();
});
