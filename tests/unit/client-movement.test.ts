import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PLAYER_SPEED, PLAYER_ACCEL, BOOST_MULTIPLIER, IT_MULTIPLIER, ZONE_MULTIPLIERS, baseMovement, type MoveState } from '../../core/client/movement';
import { makeSim } from './helpers/room-harness';

const lua = (f: string): string => readFileSync(fileURLToPath(new URL(`../../lua_scripts/${f}`, import.meta.url)), 'utf8');
const num = (src: string, name: string): number => {
  const m = new RegExp(`local\\s+${name}\\s*=\\s*([0-9.]+)`).exec(src);
  assert.ok(m, `${name} not found`);
  return Number(m[1]);
};

test('prediction constants equal the Lua rules (movement_rules, powerups, mode_tag)', () => {
  const mv = lua('movement_rules.lua');
  assert.equal(PLAYER_SPEED, num(mv, 'BASE_SPEED'));
  assert.equal(PLAYER_ACCEL, num(mv, 'ACCEL'));
  const zones = /ZONE_MULT\s*=\s*\{([^}]*)\}/.exec(mv)![1];
  const parsed = Object.fromEntries([...zones.matchAll(/(\w+)\s*=\s*([0-9.]+)/g)].map((m) => [m[1], Number(m[2])]));
  assert.deepEqual(parsed, ZONE_MULTIPLIERS);
  assert.equal(BOOST_MULTIPLIER, num(lua('powerups.lua'), 'BOOST'));
  assert.equal(IT_MULTIPLIER, num(lua('mode_tag.lua'), 'IT_SPEED'));
});

test('the movement model reproduces the simulation in open space', async () => {
  const sim = await makeSim({ seed: 5 });
  sim.addPlayer('player_1', 'p');
  sim.step();
  const e0 = sim.entities().find((e) => e.owner === 'player_1')!;
  const s: MoveState = { x: e0.x, y: e0.y, vx: e0.vx, vy: e0.vy };
  const inputs = [
    [1, 0],
    [0.6, -0.8],
    [0, 0],
    [-1, -1],
  ];
  let seq = 0;
  let maxErr = 0;
  for (let i = 0; i < 40; i++) {
    const [dx, dy] = inputs[Math.floor(i / 10)];
    sim.setInput('player_1', { seq: ++seq, dx, dy });
    sim.step();
    baseMovement.step(s, { dx, dy }, 0, null);
    const e = sim.entities().find((x) => x.owner === 'player_1')!;
    maxErr = Math.max(maxErr, Math.hypot(e.x - s.x, e.y - s.y));
  }
  assert.ok(maxErr < 0.01, `model vs simulation: ${maxErr}`);
  sim.dispose();
});
