import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSim, steps, entity } from './sim-helpers';

async function withMod(code: string, name = 'mods/evil.lua') {
  const sim = await makeSim();
  const p = sim.addPlayer('player_1', 'Ann');
  const r = sim.loadScript(name, code);
  return { sim, p, r };
}

test('infinite loop in a hook is aborted with script and line; the tick completes and other rules keep running', async () => {
  const { sim, p, r } = await withMod('function on_tick(dt)\n  while true do end\nend');
  assert.deepEqual(r, { ok: true });
  const x0 = entity(sim, p.entityId).x;
  sim.setInput('player_1', { seq: 1, dx: 1, dy: 0 });
  const tel = sim.step();
  const err = tel.errors.find((e) => e.script === 'mods/evil.lua');
  assert.ok(err, 'error reported');
  assert.equal(err.line, 2);
  assert.equal(err.hook, 'on_tick');
  assert.match(err.message, /instruction budget exceeded/);
  assert.equal(sim.tick, 1);
  steps(sim, 10);
  assert.ok(entity(sim, p.entityId).x > x0 + 10, 'movement rules still ran');
  sim.dispose();
});

test('pcall cannot swallow the budget error (nested pcall / xpcall / error handler loops)', async () => {
  const cases = [
    'function on_tick() while true do pcall(function() while true do end end) end end',
    'function on_tick() for i = 1, 10 do pcall(function() while true do end end) end while true do end end',
    'function on_tick() xpcall(function() while true do end end, function() while true do end end) while true do end end',
    'function on_tick() local ok = pcall(pcall, pcall, function() while true do end end) local n = 0 while true do n = n + 1 end end',
  ];
  for (const code of cases) {
    const { sim, r } = await withMod(code);
    assert.ok(r.ok);
    const t0 = Date.now();
    const tel = sim.step();
    assert.ok(Date.now() - t0 < 5000);
    const err = tel.errors.find((e) => e.script === 'mods/evil.lua');
    assert.ok(err, `aborted: ${code}`);
    assert.match(err.message, /instruction budget exceeded/);
    sim.step(); // the state is still usable
    sim.dispose();
  }
});

test('deep recursion is caught (Lua depth and C-level pcall nesting)', async () => {
  for (const [code, re] of [
    ['local function f(n) return 1 + f(n + 1) end\nfunction on_tick() f(1) end', /stack overflow \(more than 200 nested calls\)/],
    // C-level nesting ends in "C stack overflow" inside the innermost pcall; the hook then returns
    ['local function f() pcall(f) end\nfunction on_tick() f() error("after") end', /after/],
    ['local mt = {} mt.__index = function(s, k) return s[k .. "x"] end\nlocal t = setmetatable({}, mt)\nfunction on_tick() return t.a end', /stack overflow/],
  ] as [string, RegExp][]) {
    const { sim, r } = await withMod(code);
    assert.ok(r.ok, code);
    const tel = sim.step();
    const err = tel.errors.find((e) => e.script === 'mods/evil.lua');
    assert.ok(err, code);
    assert.match(err.message, re, code);
    sim.dispose();
  }
});

test('allocation bombs are refused: string.rep, doubling concat, table.concat, gsub, format', async () => {
  const bombs: [string, RegExp][] = [
    ['return ("x"):rep(1e9)', /string.rep: result too large/],
    ['return string.rep("ab", 1e6, ",")', /string.rep: result too large/],
    ['local s = "0123456789" for i = 1, 40 do s = s .. s end', /string too large/],
    ['local s = ("x"):rep(200000) local t = {} for i = 1, 100 do t[i] = s end return table.concat(t)', /table.concat: result too large/],
    ['local s = ("x"):rep(100000) return s:gsub("", s)', /string.gsub: result may exceed/],
    ['local s = ("x"):rep(100000) return s:gsub("x", function() return s end)', /string.gsub: result too large/],
    ['local s = ("x"):rep(200000) return string.format("%s%s", s, s)', /string.format: result too large/],
    ['return table.unpack({}, 1, 1e7)', /too many results/],
    ['return string.find(("a"):rep(20000), ".-.-.-.-b")', /pattern too complex/],
    ['return string.find(("a"):rep(200000), ("a"):rep(100000) .. "b", 1, true)', /pattern too complex/],
    ['return ("a"):rep(150000):find(("a"):rep(1000) .. "b")', /pattern too complex/],
    ['return ("x"):rep(5000):gsub("%s*x", "y")', /pattern too complex/],
    // work inside C builtins is charged to the budget
    ['local t = { ("x"):rep(200000):byte(1, -1) } for i = 1, 1e6 do table.insert(t, 1, i) end', /instruction budget exceeded/],
    ['local t = { ("x"):rep(200000):byte(1, -1) } for i = 1, 1e6 do table.remove(t, 1) end', /instruction budget exceeded/],
    ['local t = { ("x"):rep(200000):byte(1, -1) } for i = 1, 100 do table.sort(t) end', /instruction budget exceeded/],
    ['for i = 1, 1e6 do table.move({}, 1, 900000, 2) end', /instruction budget exceeded/],
    ['return ("x"):rep(0) .. ("x"):rep(1e9, "")', /string.rep: result too large/],
    ['for i = 1, 1e6 do local _ = (""):rep(1e9) end', /instruction budget exceeded/],
  ];
  for (const [body, re] of bombs) {
    const { sim, r } = await withMod(`function on_tick()\n${body}\nend`);
    assert.ok(r.ok, body);
    const t0 = Date.now();
    const tel = sim.step();
    assert.ok(Date.now() - t0 < 3000, `fast: ${body}`);
    const err = tel.errors.find((e) => e.script === 'mods/evil.lua');
    assert.ok(err, `refused: ${body}`);
    assert.match(err.message, re, body);
    sim.dispose();
  }
});

test('no os, io, require, dofile, loadfile, load, debug, string.dump, package, coroutine, collectgarbage; no bytecode', async () => {
  const probe = `
    local names = { "os", "io", "require", "dofile", "loadfile", "load", "loadstring", "debug",
      "package", "coroutine", "collectgarbage", "js", "fengari", "window", "global", "process" }
    local present = {}
    for _, n in ipairs(names) do if _G[n] ~= nil then present[#present + 1] = n end end
    if string.dump ~= nil or ("").dump ~= nil then present[#present + 1] = "string.dump" end
    if math.randomseed ~= nil then present[#present + 1] = "math.randomseed" end
    if getmetatable("") ~= false then present[#present + 1] = "string metatable" end
    local ok = pcall(function() game.spawn = nil end)
    if ok then present[#present + 1] = "game writable" end
    ok = pcall(function() state = {} end)
    if ok then present[#present + 1] = "state replaceable" end
    ok = pcall(setmetatable, _G, nil)
    if ok then present[#present + 1] = "env metatable" end
    if rawset ~= nil then present[#present + 1] = "rawset" end
    ok = pcall(function() game.FLAGS.it = 99 end)
    if ok then present[#present + 1] = "FLAGS writable" end
    ok = pcall(function() game.players[1] = false end)
    if ok then present[#present + 1] = "players writable" end
    PROBE_PLAYER = function()
      local p = game.players[1]
      local bad = {}
      if not p or p.id ~= "player_1" or #game.players ~= 1 then bad[#bad + 1] = "players view" end
      if pcall(function() p.dx = 5 end) then bad[#bad + 1] = "record writable" end
      local n = 0
      for _, q in ipairs(game.players) do n = n + 1 end
      for k, v in pairs(game.player("player_1")) do n = n + 1 end
      if n ~= 7 then bad[#bad + 1] = "iteration " .. n end
      return table.concat(bad, ",")
    end
    PRESENT = table.concat(present, ",")
    function on_tick() game.message("*", "present:" .. PRESENT .. PROBE_PLAYER()) end
  `;
  const { sim, r } = await withMod(probe);
  assert.deepEqual(r, { ok: true });
  sim.drainMessages();
  sim.step();
  const msg = sim.drainMessages().find((m) => m.text.startsWith('present:'));
  assert.ok(msg);
  assert.equal(msg.text, 'present:');

  // bytecode is refused outright, and text-mode load is enforced by the loader
  const bc = sim.loadScript('mods/bc.lua', '\x1bLuaS\x00\x19\x93\r\n\x1a\n');
  assert.equal(bc.ok, false);
  sim.dispose();
});

test('the per-tick budget is shared: later scripts are skipped once it is exhausted', async () => {
  const sim = await makeSim({ budget: { perCall: 100_000, perTick: 120_000 } });
  sim.addPlayer('player_1', 'Ann');
  const burn = 'function on_tick() local n = 0 for i = 1, 25000 do n = n + i end end'; // ~50k instructions
  assert.ok(sim.loadScript('mods/burn1.lua', burn).ok);
  assert.ok(sim.loadScript('mods/burn2.lua', burn).ok);
  assert.ok(sim.loadScript('mods/burn3.lua', burn).ok);
  const tel = sim.step();
  const msgs = tel.errors.map((e) => `${e.script}: ${e.message}`);
  assert.ok(msgs.some((m) => /instruction budget (exceeded|per tick exhausted)/.test(m)), msgs.join('\n'));
  assert.ok(tel.errors.some((e) => e.script === 'mods/burn3.lua'), msgs.join('\n'));
  sim.dispose();
});

test('scripts may not mutate the world while loading; math.random is the world PRNG', async () => {
  const { sim, r } = await withMod('game.spawn("coin", 10, 10)');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.script, 'mods/evil.lua');
    assert.equal(r.error.line, 1);
    assert.match(r.error.message, /cannot be used while a script loads/);
  }
  sim.dispose();

  const mod = 'function on_tick() if game.tick() == 3 then game.message("*", "r=" .. math.random(1000000)) end end';
  const a = await withMod(mod);
  const b = await withMod(mod);
  const read = async (s: typeof a.sim) => {
    steps(s, 5);
    return s.drainMessages().find((m) => m.text.startsWith('r='))!.text;
  };
  assert.equal(await read(a.sim), await read(b.sim));
  assert.equal(a.sim.hash(), b.sim.hash());
  a.sim.dispose();
  b.sim.dispose();
});

test('invalid script names and oversize scripts are refused without changes', async () => {
  const sim = await makeSim();
  const before = sim.hash();
  for (const name of ['../x.lua', 'x.txt', '', 'a b.lua', '/abs.lua']) {
    const r = sim.loadScript(name, 'x = 1');
    assert.equal(r.ok, false, name);
  }
  const big = sim.loadScript('mods/big.lua', '-- ' + 'x'.repeat(70_000));
  assert.equal(big.ok, false);
  assert.equal(sim.hash(), before);
  sim.dispose();
});

test('dispatch: non-function hooks are ignored; handler errors and an exhausted tick budget are reported per script', async () => {
  const sim = await makeSim({ budget: { perCall: 100_000, perTick: 60_000 } });
  sim.addPlayer('player_1', 'Ann');
  assert.ok(sim.loadScript('mods/a_values.lua', 'on_tick = 5\non_input = "x"\nseen = 0').ok);
  assert.ok(sim.loadScript('mods/b_args.lua', 'function on_tick(dt, extra) if dt ~= 1 / 60 or extra ~= nil then error("bad args") end end').ok);
  assert.ok(sim.loadScript('mods/c_err.lua', 'function on_tick() error({}) end').ok);
  assert.ok(sim.loadScript('mods/d_burn.lua', 'function on_tick() local n = 0 for i = 1, 40000 do n = n + i end end').ok);
  assert.ok(sim.loadScript('mods/e_late.lua', 'function on_tick() game.message("*", "late ran") end').ok);
  sim.setInput('player_1', { seq: 1, dx: 1, dy: 0 });
  const tel = sim.step();
  const by = (s: string) => tel.errors.filter((e) => e.script === s).map((e) => e.message);
  assert.deepEqual(by('mods/a_values.lua'), []);
  assert.deepEqual(by('mods/b_args.lua'), []);
  assert.deepEqual(by('mods/c_err.lua'), ['(error object is a table value)']);
  assert.equal(by('mods/d_burn.lua').length, 1);
  assert.match(by('mods/d_burn.lua')[0], /instruction budget exceeded \(60000 per tick\)/);
  assert.deepEqual(by('mods/e_late.lua'), ['instruction budget per tick exhausted; on_tick skipped']);
  assert.ok(!sim.drainMessages().some((m) => m.text === 'late ran'));
  sim.dispose();
});
