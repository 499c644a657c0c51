/**
 * Lua memory limit (budget.memory, core/lua/memory.ts): what the rules keep from tick to tick is
 * measured every MEMORY_CHECK_TICKS; a state over the limit loses its biggest keys, a script
 * holding too much outside state is unloaded; the room goes on, deterministically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSimulation, restoreSimulation, MEMORY_CHECK_TICKS } from '../../core/sim/simulation';
import { LuaHeapWalker } from '../../core/lua/memory';
import { wasm, shipped, steps } from './sim-helpers';

const MIB = 1024 * 1024;
const STATE_BLOAT = 'function on_tick() state.junk = state.junk or {}; local t = state.junk; t[#t + 1] = string.rep("x", 100000) .. game.tick() end';
const HOARD = 'local keep = {}\nfunction on_tick() keep[#keep + 1] = string.rep("y", 100000) .. game.tick() end\nfunction on_action(p, a) state.hoard_ran = game.tick() end';

async function sim(memory = 2 * MIB) {
  return createSimulation({ wasm, scripts: shipped, seed: 7, npcs: 4, budget: { memory } });
}

test('the shipped rules stay far below the default limit over a long game', async () => {
  const s = await createSimulation({ wasm, scripts: shipped, seed: 7, npcs: 16 });
  s.addPlayer('p1', 'a');
  s.addPlayer('p2', 'b');
  const errors = steps(s, MEMORY_CHECK_TICKS * 5);
  assert.deepEqual(errors.filter((e) => e.hook === 'memory'), []);
  const r = (s as unknown as { sb: { memoryReport(l: number): { stateBytes: number; scripts: { bytes: number }[] } } }).sb.memoryReport(1e9);
  assert.ok(r.stateBytes < 64 * 1024, `state ${r.stateBytes} B`);
  for (const sc of r.scripts) assert.ok(sc.bytes < 64 * 1024, `script ${sc.bytes} B`);
  s.dispose();
});

test('a state that grows past the limit loses its biggest key; the other rules go on', async () => {
  const s = await sim();
  s.addPlayer('p1', 'a');
  assert.ok(s.loadScript('bloat.lua', STATE_BLOAT).ok);
  const errors = steps(s, MEMORY_CHECK_TICKS);
  const mem = errors.filter((e) => e.hook === 'memory');
  assert.equal(mem.length, 1, JSON.stringify(mem));
  assert.equal(mem[0].script, 'state');
  assert.match(mem[0].message, /over the 2\.0 MiB limit: cleared state\.junk \(~\d/);
  // state.junk is gone, the shipped rules' state is still there and they keep running
  const blob = s.serialize();
  assert.ok(blob.byteLength < 2 * MIB, `blob ${blob.byteLength} B`);
  const later = steps(s, MEMORY_CHECK_TICKS - 1);
  assert.deepEqual(later.filter((e) => e.script !== 'state'), [], 'no other script fails after the clear');
  assert.ok(s.entities().some((e) => e.kind === 'npc'), 'NPCs still there');
  s.dispose();
});

test('a script that hoards memory outside state is unloaded; its hooks no longer run', async () => {
  const s = await sim();
  s.addPlayer('p1', 'a');
  assert.ok(s.loadScript('hoard.lua', HOARD).ok);
  const errors = steps(s, MEMORY_CHECK_TICKS);
  const mem = errors.filter((e) => e.hook === 'memory');
  assert.equal(mem.length, 1, JSON.stringify(mem));
  assert.equal(mem[0].script, 'hoard.lua');
  assert.match(mem[0].message, /outside state, over the 2\.0 MiB limit: script unloaded/);
  assert.equal(s.scripts()['hoard.lua'], undefined, 'gone from the room (and from its saved state)');
  s.action('p1', { action: 'anything' });
  steps(s, 2);
  const restored = await restoreSimulation(s.serialize(), wasm);
  assert.equal(restored.scripts()['hoard.lua'], undefined);
  assert.deepEqual(steps(restored, MEMORY_CHECK_TICKS).filter((e) => e.hook === 'memory'), []);
  restored.dispose();
  s.dispose();
});

test('unloading the active mode\'s script falls back to the default mode', async () => {
  const s = await sim();
  const MODE_HOG = `MODE = "hog"\nlocal keep = {}\nfunction on_tick() keep[#keep + 1] = string.rep("z", 100000) .. game.tick() end`;
  assert.ok(s.loadScript('mode_hog.lua', MODE_HOG).ok);
  s.setMode('hog');
  const errors = steps(s, MEMORY_CHECK_TICKS);
  assert.ok(errors.some((e) => e.script === 'mode_hog.lua' && /unloaded/.test(e.message)));
  assert.equal(s.mode, 'coin_rush');
  assert.ok(!s.modes.includes('hog'));
  s.dispose();
});

test('the checks are deterministic: two rooms with the same hostile mods stay identical', async () => {
  const [a, b] = [await sim(), await sim()];
  for (const s of [a, b]) {
    s.addPlayer('p1', 'a');
    s.loadScript('bloat.lua', STATE_BLOAT);
    s.loadScript('hoard.lua', HOARD);
  }
  for (let i = 0; i < 3; i++) {
    steps(a, MEMORY_CHECK_TICKS);
    steps(b, MEMORY_CHECK_TICKS);
    assert.equal(a.hash(), b.hash());
  }
  a.dispose();
  b.dispose();
});

test('the limit is part of the room: it survives serialize/restore', async () => {
  const s = await sim(1 * MIB);
  const restored = await restoreSimulation(s.serialize(), wasm);
  restored.loadScript('bloat.lua', STATE_BLOAT);
  const mem = steps(restored, MEMORY_CHECK_TICKS).filter((e) => e.hook === 'memory');
  assert.match(mem[0]?.message ?? '', /over the 1\.0 MiB limit/);
  restored.dispose();
  s.dispose();
});

test('the walker handles any depth and cycles, counts shared values once, and stops at the limit', () => {
  // Synthetic fengari-shaped objects: tables (strong Map + metatable), strings, closures.
  const str = (n: number) => ({ type: 4 | 16, value: { realstring: new Uint8Array(n) } });
  const tab = () => ({ strong: new Map<unknown, { key: unknown; value: unknown }>(), metatable: null as unknown });
  const tv = (t: object) => ({ type: 5, value: t });
  // a linked list 100,000 deep with a cycle back to the head
  const head = tab();
  let cur = head;
  for (let i = 0; i < 100_000; i++) {
    const next = tab();
    cur.strong.set(i, { key: str(4), value: tv(next) });
    cur = next;
  }
  cur.strong.set('loop', { key: str(4), value: tv(head) });
  const w = new LuaHeapWalker();
  const all = w.measure(head, Infinity);
  assert.ok(all > 100_000 * 64, `${all}`);
  assert.equal(w.measure(head, Infinity), 0, 'already counted');
  // a shared big string counts once
  const big = str(1_000_000);
  const t1 = tab();
  const t2 = tab();
  t1.strong.set('a', { key: str(1), value: big });
  t2.strong.set('b', { key: str(1), value: big });
  const w2 = new LuaHeapWalker();
  assert.ok(w2.measure(t1, Infinity) > 1_000_000);
  assert.ok(w2.measure(t2, Infinity) < 1000);
  // the walk stops soon after the limit
  const w3 = new LuaHeapWalker();
  const stopped = w3.measure(head, 10_000);
  assert.ok(stopped > 10_000 && stopped < 100_000, `${stopped}`);
});
