import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayRecorder, replay, encodeReplay, decodeReplay } from '../../core/sim';
import { makeSim, wasm, readLuaScript } from './sim-helpers';

/** Small deterministic PRNG for generating the test's input stream (not used by the sim). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('replay of a 10k-tick input log reproduces the same state hash', async () => {
  const sim = await makeSim({ npcs: 6, arena: { width: 800, height: 600 }, settings: { round_seconds: 20 } });
  sim.addPlayer('player_1', 'Ann'); // before recording: part of the start blob
  const rec = new ReplayRecorder(sim);
  const rnd = lcg(99);
  const ids = ['player_1'];
  let seq = 1;
  const checkpoints = new Map<number, string>();
  for (let t = 0; t < 10_000; t++) {
    if (t === 10) rec.addPlayer('player_2', 'Bob');
    if (t === 200) rec.addPlayer('player_3', 'Cy');
    if (t === 3000) rec.setMode('tag');
    if (t === 4000) rec.loadScript('mods/coin_shower.lua', readLuaScript('mods/coin_shower.lua'));
    if (t === 4001) rec.loadScript('mods/broken.lua', 'this is not lua');
    if (t === 5000) rec.setConnected('player_3', false);
    if (t === 5500) rec.removePlayer('player_3');
    if (t === 6000) rec.setMode('coin_rush');
    if (t === 7000) rec.addPlayer('player_4', 'Di');
    const live = ids.concat(t >= 10 ? ['player_2'] : [], t >= 200 && t < 5500 ? ['player_3'] : [], t >= 7000 ? ['player_4'] : []);
    for (const id of live) {
      if (rnd() < 0.05) rec.setInput(id, { seq: seq++, dx: rnd() * 2 - 1, dy: rnd() * 2 - 1 });
      if (rnd() < 0.005) rec.action(id, { action: 'move', direction: (['up', 'down', 'left', 'right'] as const)[Math.floor(rnd() * 4)] });
    }
    rec.step();
    if (t === 1000 || t === 5000) checkpoints.set(sim.tick, sim.hash());
  }
  const log = rec.log();
  assert.equal(log.endTick, 10_000);
  const text = encodeReplay(log);
  const back = decodeReplay(text);
  const replayed = await replay(back, wasm);
  assert.equal(replayed.tick, 10_000);
  assert.equal(replayed.hash(), log.endHash);
  // partial replay matches an intermediate checkpoint
  const [cpTick, cpHash] = [...checkpoints.entries()][0];
  assert.equal(cpTick, 1001);
  const partial = await replay(back, wasm, cpTick);
  assert.equal(partial.hash(), cpHash);
  // a tampered log diverges
  const tampered = { ...back, entries: back.entries.map((e) => (e.op === 'input' && e.t > 500 ? { ...e, input: { ...e.input, dx: -e.input.dx } } : e)) };
  const diverged = await replay(tampered, wasm, cpTick);
  assert.notEqual(diverged.hash(), cpHash);
  for (const s of [sim, replayed, partial, diverged]) s.dispose();
});
