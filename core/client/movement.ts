/**
 * The base-case movement model shared by the client's prediction and (by agreement) the Lua
 * rules in lua_scripts/movement_rules.lua: each tick the player's velocity is set to
 * input direction (magnitude clamped to 1) * PLAYER_SPEED (* BOOST_MULTIPLIER while boosted),
 * then the body moves by velocity * dt. Keep these constants in sync with the rules.
 */
import { EntityFlags } from '../sim/types';

export const TICK_HZ = 60;
export const TICK_DT = 1 / TICK_HZ;
/** Player speed in world units per second (movement_rules.lua). */
export const PLAYER_SPEED = 200;
/** Speed multiplier while the Boost flag (speed power-up) is set. */
export const BOOST_MULTIPLIER = 1.6;

export interface MoveState {
  x: number;
  y: number;
  vx: number;
  vy: number;
}

export interface MoveInput {
  dx: number;
  dy: number;
}

/** Static obstacles the prediction knows about (walls from snapshots, the arena bounds). */
export interface MoveWorld {
  width: number;
  height: number;
  /** player radius */
  radius: number;
  /** axis-aligned boxes: centre and half extents */
  walls: readonly { x: number; y: number; hw: number; hh: number }[];
}

export interface MovementModel {
  /** Advance one tick in place. */
  step(s: MoveState, input: MoveInput, flags: number, world: MoveWorld | null): void;
}

export function inputVelocity(input: MoveInput, flags: number): { vx: number; vy: number } {
  let { dx, dy } = input;
  const len = Math.hypot(dx, dy);
  if (len > 1) {
    dx /= len;
    dy /= len;
  }
  const speed = PLAYER_SPEED * (flags & EntityFlags.Boost ? BOOST_MULTIPLIER : 1);
  return { vx: dx * speed, vy: dy * speed };
}

/** Push a circle out of a box (and keep it inside the arena). */
export function resolveStatic(s: MoveState, world: MoveWorld): void {
  const r = world.radius;
  for (const w of world.walls) {
    const cx = Math.max(w.x - w.hw, Math.min(s.x, w.x + w.hw));
    const cy = Math.max(w.y - w.hh, Math.min(s.y, w.y + w.hh));
    const ox = s.x - cx;
    const oy = s.y - cy;
    const d2 = ox * ox + oy * oy;
    if (d2 >= r * r) continue;
    if (d2 > 1e-12) {
      const d = Math.sqrt(d2);
      s.x = cx + (ox / d) * r;
      s.y = cy + (oy / d) * r;
    } else {
      // centre inside the box: leave along the shallowest axis
      const left = s.x - (w.x - w.hw);
      const right = w.x + w.hw - s.x;
      const top = s.y - (w.y - w.hh);
      const bottom = w.y + w.hh - s.y;
      const m = Math.min(left, right, top, bottom);
      if (m === left) s.x = w.x - w.hw - r;
      else if (m === right) s.x = w.x + w.hw + r;
      else if (m === top) s.y = w.y - w.hh - r;
      else s.y = w.y + w.hh + r;
    }
  }
  if (world.width > 2 * r) s.x = Math.max(r, Math.min(world.width - r, s.x));
  if (world.height > 2 * r) s.y = Math.max(r, Math.min(world.height - r, s.y));
}

export const baseMovement: MovementModel = {
  step(s, input, flags, world) {
    const v = inputVelocity(input, flags);
    s.vx = v.vx;
    s.vy = v.vy;
    s.x += s.vx * TICK_DT;
    s.y += s.vy * TICK_DT;
    if (world) resolveStatic(s, world);
  },
};
