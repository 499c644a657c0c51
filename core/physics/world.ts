/**
 * Idiomatic TypeScript wrapper over the wasm-bindgen `RawWorld` (engine-wasm/src/raw.rs).
 *
 * - `loadPhysics(source)` instantiates the engine once (idempotent); Node callers pass the
 *   .wasm bytes, browsers a URL (Vite `?url` import).
 * - `PhysicsWorld` implements the contract in ./types. Bulk read-out is zero-copy: typed-array
 *   views over WASM memory, re-created only when the memory buffer, pointer or length changed.
 * - Bad input throws a clear `Error` and leaves the world unchanged (validated here for JS-only
 *   pitfalls such as non-integer ids, and again in Rust for everything else).
 * - Engine traps: the engine is built so that inputs cannot reach a panic, but if a
 *   `WebAssembly.RuntimeError` ever escapes, the whole module instance is marked poisoned (its
 *   allocator/heap may be inconsistent), every world of that instance throws a clear error from
 *   then on, and the next `loadPhysics()` call loads a fresh instance (a new copy of the
 *   wasm-bindgen glue, whose `--target web` output keeps one module-level instance). Worlds
 *   created afterwards work normally; `snapshot()` bytes taken before the trap can be restored
 *   into them. (The fresh copy is loaded with a dynamic `import()` of the glue with a query
 *   string: this works in Node and the Vite dev server; in a production browser bundle, recreate
 *   the worker/page instead.)
 */
import initGlue0, * as glue0 from '../../engine-wasm/pkg/engine_wasm';
import {
  type BodyId,
  type BoxDesc,
  type CircleDesc,
  type PhysicsWorldApi,
  type SensorDesc,
  type WasmSource,
  type WorldConfig,
} from './types';

type Glue = typeof glue0;
type RawWorld = glue0.RawWorld;

/** One instantiated copy of the engine module. */
interface Engine {
  readonly glue: Glue;
  readonly memory: WebAssembly.Memory;
  poisoned: boolean;
  trapMessage: string;
}

const GLUE_PATH = '../../engine-wasm/pkg/engine_wasm.js';
let engine: Engine | null = null;
let loading: Promise<void> | null = null;
let generation = 0;

/** Thrown for every call on a world whose engine instance trapped. */
export class PhysicsEngineCrashedError extends Error {
  constructor(detail: string) {
    super(
      `physics engine crashed (${detail}); this world is unusable. ` +
        'Call loadPhysics() again to get a fresh engine instance and create/restore a new world.',
    );
    this.name = 'PhysicsEngineCrashedError';
  }
}

function toInitInput(source: WasmSource): glue0.InitInput {
  if (typeof source === 'string' || source instanceof URL) return source;
  if (source instanceof WebAssembly.Module) return source;
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return source;
  throw new TypeError('loadPhysics: source must be bytes, a WebAssembly.Module, a URL or a URL string');
}

/**
 * Loads and instantiates the physics engine. Idempotent: later calls return immediately while
 * the engine is healthy. After an engine trap, the next call loads a fresh instance.
 * @param source the engine's `.wasm`: bytes (Node), a `WebAssembly.Module`, or a URL (browser)
 */
export async function loadPhysics(source: WasmSource): Promise<void> {
  if (engine && !engine.poisoned) return;
  if (loading) return loading;
  const input = toInitInput(source);
  loading = (async () => {
    let glue: Glue;
    let init: (arg: { module_or_path: glue0.InitInput }) => Promise<glue0.InitOutput>;
    if (generation === 0) {
      glue = glue0;
      init = initGlue0;
    } else {
      // a fresh copy of the glue module => a fresh module-level instance (the path is kept in a
      // variable so bundlers leave this `new URL(..., import.meta.url)` alone)
      const rel = GLUE_PATH + '?instance=' + generation;
      try {
        glue = (await import(/* @vite-ignore */ new URL(rel, import.meta.url).href)) as Glue;
      } catch (e) {
        throw new Error(
          'cannot load a fresh physics engine instance after a crash in this environment ' +
            `(${e instanceof Error ? e.message : String(e)}); reload the page or restart the worker`,
        );
      }
      init = glue.default;
    }
    const out = await init({ module_or_path: input });
    generation++;
    engine = { glue, memory: out.memory, poisoned: false, trapMessage: '' };
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
}

/** True once `loadPhysics` completed and the current engine instance is healthy. */
export function isPhysicsLoaded(): boolean {
  return engine !== null && !engine.poisoned;
}

function requireEngine(): Engine {
  if (!engine) throw new Error('physics engine not loaded: await loadPhysics(source) first');
  if (engine.poisoned) throw new PhysicsEngineCrashedError(engine.trapMessage);
  return engine;
}

const U32_MAX = 0xffffffff;

function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}
function checkOptNumber(name: string, v: unknown): number | undefined {
  return v === undefined ? undefined : checkNumber(name, v);
}
function checkU32(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new Error(`${name} must be an integer in [0, 2^32-1], got ${String(v)}`);
  }
  return v;
}
function checkObject(name: string, v: unknown): asserts v is object {
  if (typeof v !== 'object' || v === null) throw new Error(`${name} must be an object`);
}

/** Fills the defaults of a world configuration (see `WorldConfig`). */
export function resolveConfig(config: WorldConfig): Required<WorldConfig> {
  checkObject('config', config);
  return {
    width: checkNumber('config.width', config.width),
    height: checkNumber('config.height', config.height),
    gravityX: checkNumber('config.gravityX', config.gravityX ?? 0),
    gravityY: checkNumber('config.gravityY', config.gravityY ?? 0),
    dt: checkNumber('config.dt', config.dt ?? 1 / 60),
    linearDamping: checkNumber('config.linearDamping', config.linearDamping ?? 0),
    restitution: checkNumber('config.restitution', config.restitution ?? 0.5),
    friction: checkNumber('config.friction', config.friction ?? 0.1),
    maxSpeed: checkNumber('config.maxSpeed', config.maxSpeed ?? 1000),
    seed: checkU32('config.seed', config.seed ?? 1),
  };
}

/** Cached typed-array view; re-created when memory buffer, pointer or length changes. */
class ViewCache<T extends Uint8Array | Uint32Array | Float32Array> {
  private view: T | null = null;
  private buffer: ArrayBufferLike | null = null;
  private ptr = -1;
  constructor(private readonly make: (buf: ArrayBufferLike, ptr: number, len: number) => T) {}
  get(memory: WebAssembly.Memory, ptr: number, len: number): T {
    const buf = memory.buffer;
    const v = this.view;
    if (v !== null && this.buffer === buf && this.ptr === ptr && v.length === len) return v;
    const nv = this.make(buf, ptr, len);
    this.view = nv;
    this.buffer = buf;
    this.ptr = ptr;
    return nv;
  }
}

/**
 * A deterministic 2D physics world living in WASM memory (see `PhysicsWorldApi`).
 * Create it after `await loadPhysics(...)`. Call `free()` when done.
 */
export class PhysicsWorld implements PhysicsWorldApi {
  /** Configuration with defaults filled in (read back from the engine). */
  config: Required<WorldConfig>;
  private raw: RawWorld | null;
  private readonly eng: Engine;
  private readonly vIds = new ViewCache((b, p, n) => new Uint32Array(b, p, n));
  private readonly vKinds = new ViewCache((b, p, n) => new Uint8Array(b, p, n));
  private readonly vTags = new ViewCache((b, p, n) => new Uint32Array(b, p, n));
  private readonly vPos = new ViewCache((b, p, n) => new Float32Array(b, p, n));
  private readonly vVel = new ViewCache((b, p, n) => new Float32Array(b, p, n));
  private readonly vSizes = new ViewCache((b, p, n) => new Float32Array(b, p, n));
  private readonly vEvents = new ViewCache((b, p, n) => new Uint32Array(b, p, n));

  /** Creates an empty world. Throws a clear Error on a bad configuration. */
  constructor(config: WorldConfig);
  /** @internal wraps an existing raw world (used by `fromSnapshot`). */
  constructor(config: WorldConfig | null, raw: RawWorld);
  constructor(config: WorldConfig | null, raw?: RawWorld) {
    const eng = requireEngine();
    this.eng = eng;
    if (raw) {
      this.raw = raw;
    } else {
      const c = resolveConfig(config as WorldConfig);
      this.raw = guarded(
        eng,
        () =>
          new eng.glue.RawWorld(
            c.width,
            c.height,
            c.gravityX,
            c.gravityY,
            c.dt,
            c.linearDamping,
            c.restitution,
            c.friction,
            c.maxSpeed,
            c.seed,
          ),
      );
    }
    this.config = this.readConfig();
  }

  /** Creates a world directly from `snapshot()` bytes (clear Error when malformed). */
  static fromSnapshot(bytes: Uint8Array): PhysicsWorld {
    const eng = requireEngine();
    if (!(bytes instanceof Uint8Array)) throw new Error('fromSnapshot: bytes must be a Uint8Array');
    return new PhysicsWorld(null, guarded(eng, () => eng.glue.RawWorld.fromSnapshot(bytes)));
  }

  private readConfig(): Required<WorldConfig> {
    const v = this.call((r) => r.configValues());
    return {
      width: v[0],
      height: v[1],
      gravityX: v[2],
      gravityY: v[3],
      dt: v[4],
      linearDamping: v[5],
      restitution: v[6],
      friction: v[7],
      maxSpeed: v[8],
      seed: v[9],
    };
  }

  /**
   * Runs `f` against the live raw world (throws if freed), turning a WASM trap into a clear,
   * sticky error.
   */
  private call<T>(f: (raw: RawWorld) => T): T {
    const raw = this.live;
    return guarded(this.eng, () => f(raw));
  }

  private get live(): RawWorld {
    if (this.raw === null) throw new Error('physics world was freed');
    return this.raw;
  }

  /** Number of live bodies (all kinds) = the length of every bulk view. */
  get count(): number {
    return this.call((raw) => raw.count());
  }
  /** Steps taken since the world was created (restored with snapshots). */
  get stepCount(): number {
    return this.call((raw) => raw.stepCount());
  }

  /** Adds a dynamic circle; returns its id (stable, never reused in this world). */
  addCircle(desc: CircleDesc): BodyId {
    checkObject('circle', desc);
    const x = checkNumber('x', desc.x);
    const y = checkNumber('y', desc.y);
    const r = checkNumber('radius', desc.radius);
    const mass = checkOptNumber('mass', desc.mass);
    const rest = checkOptNumber('restitution', desc.restitution);
    const damp = checkOptNumber('damping', desc.damping);
    const vx = checkNumber('vx', desc.vx ?? 0);
    const vy = checkNumber('vy', desc.vy ?? 0);
    const tag = checkU32('tag', desc.tag ?? 0);
    return this.call((raw) => raw.addCircle(x, y, r, mass, rest, damp, vx, vy, tag));
  }
  /** Adds a static axis-aligned box (center + half extents). */
  addBox(desc: BoxDesc): BodyId {
    checkObject('box', desc);
    const x = checkNumber('x', desc.x);
    const y = checkNumber('y', desc.y);
    const hw = checkNumber('halfWidth', desc.halfWidth);
    const hh = checkNumber('halfHeight', desc.halfHeight);
    const tag = checkU32('tag', desc.tag ?? 0);
    return this.call((raw) => raw.addBox(x, y, hw, hh, tag));
  }
  /** Adds a static circular sensor (reports enter/exit of dynamic circles, never collides). */
  addSensor(desc: SensorDesc): BodyId {
    checkObject('sensor', desc);
    const x = checkNumber('x', desc.x);
    const y = checkNumber('y', desc.y);
    const r = checkNumber('radius', desc.radius);
    const tag = checkU32('tag', desc.tag ?? 0);
    return this.call((raw) => raw.addSensor(x, y, r, tag));
  }
  /** Removes a body (its open contacts/overlaps are dropped without end events). */
  remove(id: BodyId): void {
    checkU32('id', id);
    this.call((raw) => raw.remove(id));
  }
  /** True if `id` names a live body. */
  has(id: BodyId): boolean {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > U32_MAX) return false;
    return this.call((raw) => raw.has(id));
  }
  /** Teleports a body (dynamic circles must stay inside the world bounds). */
  setPosition(id: BodyId, x: number, y: number): void {
    checkU32('id', id);
    checkNumber('x', x);
    checkNumber('y', y);
    this.call((raw) => raw.setPosition(id, x, y));
  }
  /** Sets a dynamic body's velocity (clamped to maxSpeed). */
  setVelocity(id: BodyId, vx: number, vy: number): void {
    checkU32('id', id);
    checkNumber('vx', vx);
    checkNumber('vy', vy);
    this.call((raw) => raw.setVelocity(id, vx, vy));
  }
  /** Adds impulse / mass to a dynamic body's velocity, immediately. */
  applyImpulse(id: BodyId, ix: number, iy: number): void {
    checkU32('id', id);
    checkNumber('ix', ix);
    checkNumber('iy', iy);
    this.call((raw) => raw.applyImpulse(id, ix, iy));
  }
  /** Accumulates a force applied during the next step only. */
  applyForce(id: BodyId, fx: number, fy: number): void {
    checkU32('id', id);
    checkNumber('fx', fx);
    checkNumber('fy', fy);
    this.call((raw) => raw.applyForce(id, fx, fy));
  }

  /** Advances exactly one fixed step. */
  step(): void {
    this.call((raw) => raw.step());
  }
  /** Advances `n` fixed steps in one WASM call (n integer in [0, 100000]). */
  stepMany(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new Error(`stepMany: n must be an integer in [0, 100000], got ${n}`);
    this.call((raw) => raw.stepMany(n));
  }

  /** Body ids (view over WASM memory, valid until the next mutating call). */
  ids(): Uint32Array {
    return this.call((raw) => this.vIds.get(this.eng.memory, raw.idsPtr(), raw.count()));
  }
  /** Body kinds (`BodyKind`), same order as `ids()`. */
  kinds(): Uint8Array {
    return this.call((raw) => this.vKinds.get(this.eng.memory, raw.kindsPtr(), raw.count()));
  }
  /** Body tags, same order as `ids()`. */
  tags(): Uint32Array {
    return this.call((raw) => this.vTags.get(this.eng.memory, raw.tagsPtr(), raw.count()));
  }
  /** Positions x0,y0,x1,y1,... (f32), same order as `ids()`. */
  positions(): Float32Array {
    return this.call((raw) => this.vPos.get(this.eng.memory, raw.positionsPtr(), 2 * raw.count()));
  }
  /** Velocities vx0,vy0,... (f32; zero for static bodies). */
  velocities(): Float32Array {
    return this.call((raw) => this.vVel.get(this.eng.memory, raw.velocitiesPtr(), 2 * raw.count()));
  }
  /** Sizes: radius,radius for circles/sensors; halfWidth,halfHeight for boxes. */
  sizes(): Float32Array {
    return this.call((raw) => this.vSizes.get(this.eng.memory, raw.sizesPtr(), 2 * raw.count()));
  }
  /** Events of the last step as [type, a, b] triples (`PhysicsEventType`). */
  events(): Uint32Array {
    return this.call((raw) => this.vEvents.get(this.eng.memory, raw.eventsPtr(), raw.eventsLen()));
  }
  /** Next number of the world's seeded PRNG, uniform in [0, 1) (state is in the snapshot). */
  random(): number {
    return this.call((raw) => raw.random());
  }
  /** Complete world state as bytes (versioned, checksummed); `restore(snapshot())` is exact. */
  snapshot(): Uint8Array {
    return this.call((raw) => raw.snapshot());
  }
  /** Replaces the whole world state; malformed bytes throw and leave the world unchanged. */
  restore(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new Error('restore: bytes must be a Uint8Array');
    this.call((raw) => raw.restore(bytes));
    this.config = this.readConfig();
  }
  /** Releases the WASM memory of this world; the object is unusable afterwards. */
  free(): void {
    const raw = this.raw;
    if (raw === null) return;
    this.raw = null;
    if (!this.eng.poisoned) {
      try {
        raw.free();
      } catch (e) {
        throw trapCheck(this.eng, e);
      }
    }
  }
}

/** Runs `f` on a healthy engine instance; a WASM trap poisons the instance (see the header). */
function guarded<T>(eng: Engine, f: () => T): T {
  if (eng.poisoned) throw new PhysicsEngineCrashedError(eng.trapMessage);
  try {
    return f();
  } catch (e) {
    throw trapCheck(eng, e);
  }
}

function trapCheck(eng: Engine, e: unknown): unknown {
  if (e instanceof WebAssembly.RuntimeError) {
    eng.poisoned = true;
    eng.trapMessage = e.message;
    return new PhysicsEngineCrashedError(e.message);
  }
  return e;
}
