import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LuaSandbox } from '../../core/lua/sandbox';
import { restoreSimulation } from '../../core/sim';
import { makeSim, wasm, steps } from './sim-helpers';

function sandbox(log: string[]) {
  return new LuaSandbox({ api: {}, log: (t) => log.push(t) });
}

test('state codec: types kept apart, iteration order preserved, unsupported values skipped and reported', () => {
  const log: string[] = [];
  const a = sandbox(log);
  a.beginTick();
  const fill = `
    state.i = 3
    state.f = 3.0
    state.big = 2^53
    state.neg = -0.5
    state.s = "bytes\\0\\255"
    state.b = false
    state.order = {}
    for _, k in ipairs({ "zeta", "alpha", "mid", 10, 2, "beta" }) do state.order[k] = true end
    state.order.alpha = nil
    state.order.alpha = true      -- re-inserted: now last
    state.list = { 1, 2, { x = { y = "deep" } } }
    state.fn = function() end
    local cyc = {} cyc.self = cyc
    state.cyc = cyc
    function on_tick()
      local keys = {}
      for k in pairs(state.order) do keys[#keys + 1] = tostring(k) end
      print(math.type(state.i), math.type(state.f), state.big, state.neg, #state.s, state.b,
            table.concat(keys, ","), state.list[3].x.y, state.fn, state.cyc and state.cyc.self)
    end
  `;
  assert.deepEqual(a.loadScript('t.lua', fill), { ok: true, isNew: true, mode: undefined });
  a.beginTick();
  a.dispatch('on_tick', 0);
  const problems: string[] = [];
  const bytes = a.saveState(problems);
  assert.deepEqual(problems.sort(), ['state.cyc.self: cycle (not saved)', 'state.fn: value of type function (not saved)']);

  const b = sandbox(log);
  b.loadState(bytes);
  b.beginTick();
  assert.ok(b.loadScript('t.lua', 'function on_tick() ' + fill.split('function on_tick()')[1]).ok);
  b.beginTick();
  b.dispatch('on_tick', 0);
  const f0 = log[0].split('\t');
  assert.deepEqual(f0.slice(0, 8), ['integer', 'float', '9007199254741000.0', '-0.5', '7', 'false', 'zeta,mid,10,2,beta,alpha', 'deep']);
  const order0 = f0[6];
  const [t1, f1, big1, neg1, len1, b1, order1, deep1, fn1, cyc1] = log[1].split('\t');
  assert.deepEqual([t1, f1, big1, neg1, len1, b1, order1, deep1], ['integer', 'float', '9007199254741000.0', '-0.5', '7', 'false', order0, 'deep']);
  assert.equal(fn1, 'nil');
  assert.equal(cyc1, 'nil', 'the cyclic entry was dropped');
  // re-encoding the restored state gives the same bytes (minus the skipped parts)
  const again = b.saveState([]);
  assert.deepEqual(b.saveState([]), again);
  // malformed state bytes are refused
  assert.throws(() => b.loadState(new Uint8Array([6, 5, 1, 0])), /truncated|tag|blob/);
  a.close();
  b.close();
});

test('state survives a full room restore and hot reload together', async () => {
  const sim = await makeSim();
  sim.addPlayer('player_1', 'Ann');
  assert.ok(sim.loadScript('mods/mem.lua', 'state.mem = state.mem or { n = 0 }\nfunction on_tick() state.mem.n = state.mem.n + 1 end\nfunction on_action(p, a) if a.action == "report" then game.message(p.id, "n=" .. state.mem.n) end end').ok);
  steps(sim, 25);
  const copy = await restoreSimulation(sim.serialize(), wasm);
  copy.action('player_1', { action: 'report' });
  copy.step();
  assert.ok(copy.drainMessages().some((m) => m.text === 'n=25'));
  copy.action('player_1', { action: 'report' });
  assert.ok(copy.loadScript('mods/mem.lua', 'state.mem = state.mem or { n = 0 }\nfunction on_tick() state.mem.n = state.mem.n + 100 end\nfunction on_action(p, a) if a.action == "report" then game.message(p.id, "n=" .. state.mem.n) end end').ok);
  copy.step(); // on_action (report) runs before on_tick
  copy.action('player_1', { action: 'report' });
  copy.step();
  const texts = copy.drainMessages().map((m) => m.text);
  assert.deepEqual(texts.filter((t) => t.startsWith('n=')), ['n=26', 'n=126'], 'kept 26, then +100 per tick');
  sim.dispose();
  copy.dispose();
});
