/**
 * Node-only helper (uses fs): reads the shipped rule scripts from lua_scripts/ (recursively,
 * so mods in lua_scripts/mods/ are included only when asked for). Not exported from index.ts so
 * browser bundles stay fs-free; the browser uses import.meta.glob('/lua_scripts/*.lua', { query: '?raw' }).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LUA_SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua_scripts');

/** The top-level *.lua files of lua_scripts/ (the rules every room starts with). */
export function readLuaScripts(dir: string = LUA_SCRIPTS_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.lua')) out[f] = readFileSync(join(dir, f), 'utf8');
  }
  return out;
}

/** One file below lua_scripts/, e.g. readLuaScript('mods/low_gravity.lua'). */
export function readLuaScript(name: string, dir: string = LUA_SCRIPTS_DIR): string {
  if (name.includes('..')) throw new Error('bad script name');
  return readFileSync(join(dir, name), 'utf8');
}
