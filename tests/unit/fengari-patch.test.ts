/**
 * The fengari patch (scripts/patches/fengari-0.1.5-stack-no-delete.patch, applied by
 * scripts/patch-fengari.sh on install): the installed fengari pops stack slots without
 * `delete`, so a Lua state's stack stays a fast array (not a V8 dictionary) after calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = `${ROOT}node_modules/fengari/src/`;

test('installed fengari carries the stack patch (no `delete` of stack slots left)', () => {
  const offenders: string[] = [];
  for (const f of readdirSync(SRC)) {
    if (!f.endsWith('.js')) continue;
    const text = readFileSync(SRC + f, 'utf8');
    const m = text.match(/delete\s+\w+\.stack\[/g);
    if (m) offenders.push(`${f}: ${m.length}`);
  }
  assert.deepEqual(offenders, [], 'run `bash scripts/patch-fengari.sh` (npm install runs it as postinstall)');
  // the script agrees (and is idempotent)
  execFileSync('bash', [`${ROOT}scripts/patch-fengari.sh`, '--check'], { stdio: 'pipe' });
});

test('a Lua state stack stays a fast array after many calls and returns', () => {
  // V8 natives only exist with --allow-natives-syntax: checked in a child node process.
  const script = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(ROOT + 'package.json')});
    const { lua, lauxlib, lualib, to_luastring } = req('fengari');
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);
    const code = 'local function f(a, b, c) local x, y, z = a, b, c return x + y + z end ' +
      'local function g(n) local t = {} for i = 1, n do t[i] = f(i, i, i) end return #t end ' +
      'local function r(n) if n == 0 then return 0 end local v = r(n - 1) return v + 1 end ' +
      'local s = 0 for k = 1, 200 do s = s + g(40) + select("#", 1, 2, 3) end return s, r(60)';
    if (lauxlib.luaL_dostring(L, to_luastring(code)) !== 0) throw new Error('lua failed');
    const s = lua.lua_tointeger(L, -2);
    if (lua.lua_tointeger(L, -1) !== 60) throw new Error('recursion result');
    lua.lua_settop(L, 0);
    const dict = new Function('a', 'return %HasDictionaryElements(a)')(L.stack);
    process.stdout.write(JSON.stringify({ s, dict, len: L.stack.length }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' }));
  assert.equal(out.s, 200 * (40 + 3));
  assert.ok(out.len > 64, `stack grew to ${out.len}`); // V8 only checks sparseness above 64 elements
  assert.equal(out.dict, false, 'L.stack became a dictionary-mode array (fengari patch missing?)');
});
