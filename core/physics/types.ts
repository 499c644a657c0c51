/**
 * Contract of the physics wrapper (implemented in core/physics/world.ts over the raw
 * wasm-bindgen layer in engine-wasm/). Everything above the engine codes against this.
 */

/** Where the engine's .wasm bytes come from: bytes (Node) or a URL (browser, Vite `?url`). */
export type WasmSource = BufferSource | URL | string | WebAssembly.Module;

export type BodyId = number;

/** Shape/role of a body, as stored in the bulk `kinds()` array. */
export const enum BodyKind {
  Circle = 0, // dynamic circle: players, NPCs, projectiles
  Box = 1, // static axis-aligned box: walls, platforms
  Sensor = 2, // static circle that reports overlaps, never collides
}

/** Event types, as stored in the bulk `events()` array of [type, a, b] triples. */
export const enum PhysicsEventType {
  ContactBegin = 1,
  ContactEnd = 2,
  SensorEnter = 3, // a = sensor id, b = dynamic body id
  SensorExit = 4,
}

export interface WorldConfig {
  width: number; // arena bounds are [0,width] x [0,height]
  height: number;
  gravityX?: number; // default 0
  gravityY?: number; // default 0 (top-down); e.g. 900 for a platformer
  dt?: number; // fixed timestep in seconds, default 1/60
  linearDamping?: number; // default 0 (per-second damping factor)
  restitution?: number; // default 0.5
  friction?: number; // default 0.1
  maxSpeed?: number; // default 1000 units/s
  seed?: number; // world PRNG seed (u32), default 1
}

export interface CircleDesc {
  x: number;
  y: number;
  radius: number;
  mass?: number; // default: proportional to area
  restitution?: number;
  damping?: number;
  vx?: number;
  vy?: number;
  tag?: number; // free u32 for the game layer (entity kind etc.)
}
export interface BoxDesc {
  x: number; // center
  y: number;
  halfWidth: number;
  halfHeight: number;
  tag?: number;
}
export interface SensorDesc {
  x: number;
  y: number;
  radius: number;
  tag?: number;
}

export interface PhysicsWorldApi {
  readonly config: Required<WorldConfig>;
  /** Number of live bodies (all kinds): the length of every bulk view. */
  readonly count: number;
  readonly stepCount: number;
  addCircle(desc: CircleDesc): BodyId;
  addBox(desc: BoxDesc): BodyId;
  addSensor(desc: SensorDesc): BodyId;
  remove(id: BodyId): void;
  has(id: BodyId): boolean;
  setPosition(id: BodyId, x: number, y: number): void;
  setVelocity(id: BodyId, vx: number, vy: number): void;
  applyImpulse(id: BodyId, ix: number, iy: number): void;
  applyForce(id: BodyId, fx: number, fy: number): void; // applied during the next step only
  /** Advance exactly one fixed step. */
  step(): void;
  // Bulk, zero-copy views over WASM memory (re-acquired safely after memory growth);
  // valid until the next mutating call. Index i is the same body in every view.
  ids(): Uint32Array;
  kinds(): Uint8Array;
  tags(): Uint32Array;
  positions(): Float32Array; // x0,y0,x1,y1,...
  velocities(): Float32Array; // vx0,vy0,...
  sizes(): Float32Array; // radius,radius for circles/sensors; halfWidth,halfHeight for boxes
  /** Events of the last step as [type, a, b] triples. */
  events(): Uint32Array;
  /** Deterministic PRNG owned by the world (part of the snapshot). Uniform in [0,1). */
  random(): number;
  /** Complete world state; restore(snapshot()) is exact. */
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
  free(): void;
}
