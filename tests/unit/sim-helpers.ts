/** Shared helpers for the simulation/Lua tests (real WASM engine, real fengari). */
import { createSimulation } from '../../core/sim';
import type { FullSimulationOptions } from '../../core/sim';
import { readLuaScripts, readLuaScript } from '../../core/sim/scripts-node';
import { engineWasmBytes } from '../helpers/engine';

export const wasm = engineWasmBytes();
export const shipped = readLuaScripts();
export { readLuaScript };

/** A test mod: host-side tools driven by actions (spawn things at the player, teleport). */
export const TOOLS = `
function on_action(player, a)
  if a.action == "spawn_here" then
    local x, y = game.pos(player.entity)
    game.spawn(a.kind, x + (a.ox or 0), y + (a.oy or 0), { variant = a.variant, radius = a.radius })
  elseif a.action == "teleport" then
    game.set_position(player.entity, a.x, a.y)
    game.set_velocity(player.entity, 0, 0)
  end
end
`;

export async function makeSim(extra: Partial<FullSimulationOptions> = {}) {
  const sim = await createSimulation({ wasm, scripts: shipped, seed: 42, npcs: 0, ...extra });
  const r = sim.loadScript('mods/test_tools.lua', TOOLS);
  if (!r.ok) throw new Error('tools mod failed: ' + r.error.message);
  return sim;
}

export function entity(sim: { entities(): ReturnType<import('../../core/sim').Simulation['entities']> }, id: number) {
  const e = sim.entities().find((x) => x.id === id);
  if (!e) throw new Error(`entity ${id} not found`);
  return e;
}

export function steps(sim: { step(): import('../../core/sim').TickTelemetry }, n: number) {
  const errors = [];
  for (let i = 0; i < n; i++) errors.push(...sim.step().errors);
  return errors;
}
