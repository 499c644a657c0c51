/**
 * The base movement model shared by the client's prediction and the Lua rules
 * (lua_scripts/movement_rules.lua, powerups.lua, mode_tag.lua). Every tick a player's velocity
 * moves towards (input direction, magnitude clamped to 1) * PLAYER_SPEED * multipliers by at
 * most PLAYER_ACCEL * dt, then the body moves by velocity * dt (no damping). Multipliers:
 * Boost flag (speed power-up), It flag (tag mode), and speed zones the player overlaps.
 *
 * These constants must equal the ones in the Lua rules; tests/unit/client-movement.test.ts
 * reads the Lua files and fails if they drift apart.
 */
import { EntityFlags } from '../sim/types';

export const TICK_HZ = 60;
export const TICK_DT = 1 / TICK_HZ;
/** Player speed in world units per second at full input (movement_rules.lua BASE_SPEED). */
export const PLAYER_SPEED = 240;
/** Acceleration towards the target velocity, units/s^2 (movement_rules.lua ACCEL). */
export const PLAYER_ACCEL = 2400;
/** Speed factor while the Boost flag (speed power-up) is set (powerups.lua BOOST). */
export const BOOST_MULTIPLIER = 1.6;
/** Speed factor of the player who is "it" in tag mode (mode_tag.lua IT_SPEED). */
export const IT_MULTIPLIER = 1.15;
/** Speed factors of zones by variant (movement_rules.lua ZONE_MULT). */
export const ZONE_MULTIPLIERS: Readonly<Record<string, number>> = { mud: 0.55, ice: 1.5 };

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

/** What the prediction knows about the world around the own player (from snapshots). */
export interface MoveWorld {
  width: number;
  height: number;
  /** player radius */
  radius: number;
  /** static axis-aligned boxes: centre and half extents */
  walls: readonly { x: number; y: number; hw: number; hh: number }[];
  /** speed zones: circle and factor */
  zones?: readonly { x: number; y: number; r: number; mult: number }[];
}

export interface MovementModel {
  /** Advance one tick in place. */
  step(s: MoveState, input: MoveInput, flags: number, world: MoveWorld | null): void;
}

export function speedMultiplier(s: MoveState, flags: number, world: MoveWorld | null): number {
  let m = 1;
  if (flags & EntityFlags.Boost) m *= BOOST_MULTIPLIER;
  if (flags & EntityFlags.It) m *= IT_MULTIPLIER;
  if (world?.zones) {
    for (const z of world.zones) {
      const rr = z.r + world.radius;
      const dx = s.x - z.x;
      const dy = s.y - z.y;
      if (dx * dx + dy * dy < rr * rr) m *= z.mult;
    }
  }
  return m;
}

/** The velocity update of one tick (movement_rules.lua on_tick). */
export function steerVelocity(s: MoveState, input: MoveInput, speed: number): void {
  let { dx, dy } = input;
  const m2 = dx * dx + dy * dy;
  if (m2 > 1) {
    const m = Math.sqrt(m2);
    dx /= m;
    dy /= m;
  }
  const tx = dx * speed;
  const ty = dy * speed;
  const ddx = tx - s.vx;
  const ddy = ty - s.vy;
  const d = Math.sqrt(ddx * ddx + ddy * ddy);
  const maxdv = PLAYER_ACCEL * TICK_DT;
  if (d > maxdv) {
    s.vx += (ddx * maxdv) / d;
    s.vy += (ddy * maxdv) / d;
  } else if (d > 0) {
    s.vx = tx;
    s.vy = ty;
  }
}

/** Push a circle out of static boxes and keep it inside the arena. */
export function resolveStatic(s: MoveState, world: MoveWorld): void {
  const r = world.radius;
  for (const w of world.walls) {
    const cx = Math.max(w.x - w.hw, Math.min(s.x, w.x + w.hw));
    const cy = Math.max(w.y - w.hh, Math.min(s.y, w.y + w.hh));
    const ox = s.x - cx;
    const oy = s.y - cy;
    const d2 = ox * ox + oy * oy;
    if (d2 >= r * r) continue;
    let nx: number;
    let ny: number;
    if (d2 > 1e-12) {
      const d = Math.sqrt(d2);
      nx = ox / d;
      ny = oy / d;
      s.x = cx + nx * r;
      s.y = cy + ny * r;
    } else {
      // centre inside the box: leave along the shallowest axis
      const left = s.x - (w.x - w.hw);
      const right = w.x + w.hw - s.x;
      const top = s.y - (w.y - w.hh);
      const bottom = w.y + w.hh - s.y;
      const m = Math.min(left, right, top, bottom);
      nx = m === left ? -1 : m === right ? 1 : 0;
      ny = nx !== 0 ? 0 : m === top ? -1 : 1;
      if (nx < 0) s.x = w.x - w.hw - r;
      else if (nx > 0) s.x = w.x + w.hw + r;
      else if (ny < 0) s.y = w.y - w.hh - r;
      else s.y = w.y + w.hh + r;
    }
    // remove the velocity component into the wall
    const vn = s.vx * nx + s.vy * ny;
    if (vn < 0) {
      s.vx -= vn * nx;
      s.vy -= vn * ny;
    }
  }
  if (world.width > 2 * r) {
    if (s.x < r) (s.x = r), (s.vx = Math.max(0, s.vx));
    else if (s.x > world.width - r) (s.x = world.width - r), (s.vx = Math.min(0, s.vx));
  }
  if (world.height > 2 * r) {
    if (s.y < r) (s.y = r), (s.vy = Math.max(0, s.vy));
    else if (s.y > world.height - r) (s.y = world.height - r), (s.vy = Math.min(0, s.vy));
  }
}

export const baseMovement: MovementModel = {
  step(s, input, flags, world) {
    steerVelocity(s, input, PLAYER_SPEED * speedMultiplier(s, flags, world));
    s.x += s.vx * TICK_DT;
    s.y += s.vy * TICK_DT;
    if (world) resolveStatic(s, world);
  },
};
