/**
 * Plain-TypeScript reference of the engine's algorithm (engine-wasm/src/solver.rs), for the
 * benchmark only: dynamic circles in a bounded arena (the benchmark scene), same steps and
 * constants: forces/damping/speed clamp -> counting-sort uniform grid (half-neighbourhood scan)
 * -> contacts with a speculative margin and keep-margin hysteresis (circle-circle and world
 * bounds), swept test for fast bodies -> warm start from an
 * open-addressing pair cache -> 8 sequential-impulse iterations (restitution, Coulomb friction)
 * -> integration -> 3 position-projection iterations -> contact cache + begin/end events.
 * SoA storage in Float32Array like the engine; arithmetic in JS doubles. Not ported (unused by
 * the scene): static boxes/sensors and the separate path for very large bodies.
 */

const VELOCITY_ITERS = 8;
const POSITION_ITERS = 3;
const POS_BETA = 0.5;
const SLOP_FRAC = 0.01;
const MARGIN_FRAC = 0.05;
const KEEP_FRAC = 0.1;
const REACH = 1.11;
const NONE = 0xffffffff;
const BOUND_BASE = 0xfffffff0;
const EMPTY = -1;

/** Target of the main iterations: close the gap, no more (restitution is a separate pass). */
function contactTarget(gap: number, dt: number): number {
  const g = gap > 0 ? gap : 0;
  return -g / dt;
}
/** Factor that scales the velocity (vx, vy) down to at most `max` (1 when already below). */
function speedScale(vx: number, vy: number, max: number): number {
  const s2 = vx * vx + vy * vy;
  return s2 > max * max ? max / Math.sqrt(s2) : 1;
}
/** Restitution target, or NaN when the contact does not bounce this step. */
function bounceTarget(vn: number, gap: number, e: number, bounce: number, dt: number): number {
  const g = gap > 0 ? gap : 0;
  return vn < -bounce && vn * dt < -g ? -e * vn : NaN;
}

export interface RefConfig {
  width: number;
  height: number;
  gravityX?: number;
  gravityY?: number;
  dt?: number;
  restitution?: number;
  friction?: number;
  maxSpeed?: number;
  linearDamping?: number;
}

/** A copy of `a` in a new array of the same type with `n` (>= a.length) elements. */
function resized<T extends Float32Array | Uint32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

class Growable {
  f: Float32Array;
  constructor(n = 1024) {
    this.f = new Float32Array(n);
  }
  ensure(n: number): void {
    if (this.f.length < n) {
      const g = new Float32Array(Math.max(n, this.f.length * 2));
      g.set(this.f);
      this.f = g;
    }
  }
}

/** Pair cache keyed by (lo, hi) ids; open addressing with linear probing. */
class PairTable {
  keysLo = new Int32Array(0);
  keysHi = new Uint32Array(0);
  vals = new Uint32Array(0);
  mask = 0;
  reset(n: number): void {
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (this.keysLo.length !== cap) {
      this.keysLo = new Int32Array(cap);
      this.keysHi = new Uint32Array(cap);
      this.vals = new Uint32Array(cap);
    }
    this.keysLo.fill(EMPTY);
    this.mask = cap - 1;
  }
  private slot(lo: number, hi: number): number {
    return (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b)) >>> 0;
  }
  insert(lo: number, hi: number, v: number): boolean {
    let i = this.slot(lo, hi) & this.mask;
    for (;;) {
      const k = this.keysLo[i];
      if (k === EMPTY) {
        this.keysLo[i] = lo;
        this.keysHi[i] = hi;
        this.vals[i] = v;
        return true;
      }
      if (k === lo && this.keysHi[i] === hi) return false;
      i = (i + 1) & this.mask;
    }
  }
  get(lo: number, hi: number): number {
    if (this.mask === 0) return -1;
    let i = this.slot(lo, hi) & this.mask;
    for (;;) {
      const k = this.keysLo[i];
      if (k === EMPTY) return -1;
      if (k === lo && this.keysHi[i] === hi) return this.vals[i];
      i = (i + 1) & this.mask;
    }
  }
}

export class RefWorld {
  readonly w: number;
  readonly h: number;
  readonly gx: number;
  readonly gy: number;
  readonly dt: number;
  readonly rest0: number;
  readonly friction: number;
  readonly maxSpeed: number;
  readonly damping: number;
  n = 0;
  nextId = 1;
  ids = new Uint32Array(16);
  pos = new Float32Array(32);
  vel = new Float32Array(32);
  rad = new Float32Array(16);
  invMass = new Float32Array(16);
  rest = new Float32Array(16);
  // grid
  private cellStart = new Uint32Array(0);
  private items = new Uint32Array(0);
  private bodyCell = new Uint32Array(0);
  // contacts (SoA)
  private cap = 0;
  private cA = new Uint32Array(0);
  private cB = new Uint32Array(0);
  private cLo = new Uint32Array(0);
  private cHi = new Uint32Array(0);
  private cNx = new Float32Array(0);
  private cNy = new Float32Array(0);
  private cK = new Float32Array(0);
  private cT = new Float32Array(0);
  private cBo = new Float32Array(0);
  private cJn = new Float32Array(0);
  private cJt = new Float32Array(0);
  private nc = 0;
  // contact cache
  private cacheLo = new Uint32Array(0);
  private cacheHi = new Uint32Array(0);
  private cacheJn = new Growable();
  private cacheJt = new Growable();
  private cacheN = 0;
  private table = new PairTable();
  private table2 = new PairTable();
  private newLo = new Uint32Array(0);
  private newHi = new Uint32Array(0);
  private newJn = new Growable();
  private newJt = new Growable();
  private bounce = 1;
  private fast = new Uint32Array(64);
  private isFast = new Uint8Array(0);
  private disp = new Float32Array(0);
  private range = new Int32Array(4);
  private range2 = new Int32Array(4);
  events: number[] = [];

  constructor(c: RefConfig) {
    this.w = c.width;
    this.h = c.height;
    this.gx = c.gravityX ?? 0;
    this.gy = c.gravityY ?? 0;
    this.dt = c.dt ?? 1 / 60;
    this.rest0 = c.restitution ?? 0.5;
    this.friction = c.friction ?? 0.1;
    this.maxSpeed = c.maxSpeed ?? 1000;
    this.damping = c.linearDamping ?? 0;
  }

  addCircle(x: number, y: number, r: number, vx = 0, vy = 0): number {
    if (this.n === this.ids.length) {
      const grow = <T extends Float32Array | Uint32Array>(a: T): T => resized(a, a.length * 2);
      this.ids = grow(this.ids);
      this.rad = grow(this.rad);
      this.invMass = grow(this.invMass);
      this.rest = grow(this.rest);
      this.pos = grow(this.pos);
      this.vel = grow(this.vel);
    }
    const i = this.n++;
    const id = this.nextId++;
    this.ids[i] = id;
    this.pos[2 * i] = x;
    this.pos[2 * i + 1] = y;
    this.vel[2 * i] = vx;
    this.vel[2 * i + 1] = vy;
    this.rad[i] = r;
    this.invMass[i] = 1 / (Math.PI * r * r);
    this.rest[i] = this.rest0;
    return id;
  }

  private ensureContacts(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 1024);
    this.cA = resized(this.cA, cap);
    this.cB = resized(this.cB, cap);
    this.cLo = resized(this.cLo, cap);
    this.cHi = resized(this.cHi, cap);
    this.cNx = resized(this.cNx, cap);
    this.cNy = resized(this.cNy, cap);
    this.cK = resized(this.cK, cap);
    this.cT = resized(this.cT, cap);
    this.cBo = resized(this.cBo, cap);
    this.cJn = resized(this.cJn, cap);
    this.cJt = resized(this.cJt, cap);
    this.cap = cap;
  }

  private push(a: number, b: number, lo: number, hi: number, nx: number, ny: number, k: number, vn: number, gap: number, e: number): void {
    const c = this.nc++;
    if (c >= this.cap) this.ensureContacts(c + 1);
    this.cA[c] = a;
    this.cB[c] = b;
    this.cLo[c] = lo;
    this.cHi[c] = hi;
    this.cNx[c] = nx;
    this.cNy[c] = ny;
    this.cK[c] = k;
    this.cT[c] = contactTarget(gap, this.dt);
    this.cBo[c] = bounceTarget(vn, gap, e, this.bounce, this.dt);
    this.cJn[c] = 0;
    this.cJt[c] = 0;
  }

  private pair(a: number, b: number): void {
    const pos = this.pos;
    const vel = this.vel;
    const rad = this.rad;
    const im = this.invMass;
    const dx = pos[2 * a] - pos[2 * b];
    const dy = pos[2 * a + 1] - pos[2 * b + 1];
    const rs = rad[a] + rad[b];
    const d2 = dx * dx + dy * dy;
    if (!this.isContactDistance(d2, rs, this.ids[a], this.ids[b])) return;
    const d = Math.sqrt(d2);
    const nx = d > 0 ? dx / d : 1;
    const ny = d > 0 ? dy / d : 0;
    const vn = (vel[2 * a] - vel[2 * b]) * nx + (vel[2 * a + 1] - vel[2 * b + 1]) * ny;
    const e = Math.max(this.rest[a], this.rest[b]);
    const ia = this.ids[a];
    const ib = this.ids[b];
    this.push(a, b, Math.min(ia, ib), Math.max(ia, ib), nx, ny, 1 / (im[a] + im[b]), vn, d - rs, e);
  }

  /** Within the margin, or within the keep margin if the pair was a contact last step. */
  private isContactDistance(d2: number, rs: number, ia: number, ib: number): boolean {
    const rm = rs * (1 + MARGIN_FRAC);
    if (d2 < rm * rm) return true;
    const rk = rs * (1 + KEEP_FRAC);
    return d2 < rk * rk && this.cacheN > 0 && this.table.get(Math.min(ia, ib), Math.max(ia, ib)) >= 0;
  }

  private swept(f: number, o: number): void {
    const { pos, vel, rad, dt } = this;
    const im = this.invMass;
    const px = pos[2 * f] - pos[2 * o];
    const py = pos[2 * f + 1] - pos[2 * o + 1];
    const rs = rad[f] + rad[o];
    if (this.disp[f] + this.disp[o] <= rs) return;
    const c0 = px * px + py * py;
    if (this.isContactDistance(c0, rs, this.ids[f], this.ids[o])) return;
    const dvx = vel[2 * f] - vel[2 * o];
    const dvy = vel[2 * f + 1] - vel[2 * o + 1];
    const dx = dvx * dt;
    const dy = dvy * dt;
    const a = dx * dx + dy * dy;
    const b = px * dx + py * dy;
    if (a <= 0 || b >= 0) return;
    const disc = b * b - a * (c0 - rs * rs);
    if (disc < 0) return;
    const t = (-b - Math.sqrt(disc)) / a;
    if (!(t <= 1)) return;
    const qx = px + dx * t;
    const qy = py + dy * t;
    const ql = Math.hypot(qx, qy);
    if (!(ql > 0)) return;
    const nx = qx / ql;
    const ny = qy / ql;
    const vn = dvx * nx + dvy * ny;
    const gap = Math.max(px * nx + py * ny - rs, 0);
    const e = Math.max(this.rest[f], this.rest[o]);
    const idf = this.ids[f];
    const ido = this.ids[o];
    this.push(f, o, Math.min(idf, ido), Math.max(idf, ido), nx, ny, 1 / (im[f] + im[o]), vn, gap, e);
  }

  step(): void {
    const { dt, gx, gy, maxSpeed, friction, w, h, n } = this;
    const pos = this.pos;
    const vel = this.vel;
    const rad = this.rad;
    const im = this.invMass;
    const bounce = 1 + 2 * Math.hypot(gx, gy) * dt;
    this.bounce = bounce;
    // 1. forces, damping, clamp
    let maxR = 0;
    const dk = this.damping > 0 ? 1 / (1 + dt * this.damping) : 1;
    for (let i = 0; i < n; i++) {
      const vx = (vel[2 * i] + gx * dt) * dk;
      const vy = (vel[2 * i + 1] + gy * dt) * dk;
      const k = speedScale(vx, vy, maxSpeed);
      vel[2 * i] = vx * k;
      vel[2 * i + 1] = vy * k;
      if (rad[i] > maxR) maxR = rad[i];
    }
    // 2. grid
    let cell = Math.max(2 * maxR * REACH, 1e-3);
    const maxCells = 4 * n + 64;
    if ((w * h) / (cell * cell) > maxCells) cell = Math.sqrt((w * h) / maxCells);
    const inv = 1 / cell;
    const cols = Math.min(65536, Math.floor(w * inv) + 1);
    const rows = Math.min(65536, Math.floor(h * inv) + 1);
    const cells = cols * rows;
    if (this.cellStart.length < cells + 1) this.cellStart = new Uint32Array(cells + 1);
    else this.cellStart.fill(0, 0, cells + 1);
    if (this.items.length < n) {
      this.items = new Uint32Array(n);
      this.bodyCell = new Uint32Array(n);
    }
    const cs = this.cellStart;
    const items = this.items;
    const bc = this.bodyCell;
    for (let i = 0; i < n; i++) {
      const cx = Math.min(cols - 1, Math.max(0, Math.floor(pos[2 * i] * inv)));
      const cy = Math.min(rows - 1, Math.max(0, Math.floor(pos[2 * i + 1] * inv)));
      const c = cy * cols + cx;
      bc[i] = c;
      cs[c + 1]++;
    }
    for (let c = 0; c < cells; c++) cs[c + 1] += cs[c];
    for (let i = 0; i < n; i++) items[cs[bc[i]]++] = i;
    for (let c = cells; c >= 1; c--) cs[c] = cs[c - 1];
    cs[0] = 0;
    // contacts
    this.nc = 0;
    const ids = this.ids;
    const rest = this.rest;
    for (let cy = 0; cy < rows; cy++) {
      for (let cx = 0; cx < cols; cx++) {
        const c = cy * cols + cx;
        const s = cs[c];
        const e = cs[c + 1];
        if (s === e) continue;
        for (let ia = s; ia < e; ia++) for (let ib = ia + 1; ib < e; ib++) this.pair(items[ia], items[ib]);
        for (let k = 0; k < 4; k++) {
          let c2: number;
          if (k === 0) {
            if (cx + 1 >= cols) continue;
            c2 = c + 1;
          } else {
            if (cy + 1 >= rows) break;
            if (k === 1 && cx === 0) continue;
            if (k === 3 && cx + 1 >= cols) continue;
            c2 = c + cols + (k - 2);
          }
          const s2 = cs[c2];
          const e2 = cs[c2 + 1];
          for (let ia = s; ia < e; ia++) for (let ib = s2; ib < e2; ib++) this.pair(items[ia], items[ib]);
        }
      }
    }
    for (let a = 0; a < n; a++) {
      const x = pos[2 * a];
      const y = pos[2 * a + 1];
      const r = rad[a];
      const m = MARGIN_FRAC * r;
      const k = 1 / im[a];
      const e = rest[a];
      const vx = vel[2 * a];
      const vy = vel[2 * a + 1];
      const id = ids[a];
      if (x - r < m) this.push(a, NONE, id, BOUND_BASE, 1, 0, k, vx, x - r, e);
      if (x + r > w - m) this.push(a, NONE, id, BOUND_BASE + 1, -1, 0, k, -vx, w - r - x, e);
      if (y - r < m) this.push(a, NONE, id, BOUND_BASE + 2, 0, 1, k, vy, y - r, e);
      if (y + r > h - m) this.push(a, NONE, id, BOUND_BASE + 3, 0, -1, k, -vy, h - r - y, e);
    }
    // fast bodies (dynamic-dynamic CCD): swept test against the bodies near their path
    if (this.disp.length < n) this.disp = new Float32Array(n * 2);
    const disp = this.disp;
    let nFast = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.hypot(vel[2 * i], vel[2 * i + 1]) * dt;
      disp[i] = d;
      if (d > rad[i]) {
        if (nFast === this.fast.length) this.fast = resized(this.fast, this.fast.length * 2);
        this.fast[nFast++] = i;
      }
    }
    if (nFast > 0) {
      if (this.isFast.length < n) this.isFast = new Uint8Array(n * 2);
      this.isFast.fill(0, 0, n);
      for (let k = 0; k < nFast; k++) this.isFast[this.fast[k]] = 1;
      const cc = (v: number, m: number) => Math.min(m - 1, Math.max(0, Math.floor(v * inv)));
      const range = this.range;
      const query = (f: number, out: Int32Array): void => {
        const x = pos[2 * f];
        const y = pos[2 * f + 1];
        const dx = vel[2 * f] * dt;
        const dy = vel[2 * f + 1] * dt;
        const reach = (rad[f] + maxR) * (1 + MARGIN_FRAC) + Math.max(maxR, disp[f]);
        out[0] = cc(Math.min(x, x + dx) - reach, cols);
        out[1] = cc(Math.max(x, x + dx) + reach, cols);
        out[2] = cc(Math.min(y, y + dy) - reach, rows);
        out[3] = cc(Math.max(y, y + dy) + reach, rows);
      };
      const other = this.range2;
      for (let k = 0; k < nFast; k++) {
        const f = this.fast[k];
        query(f, range);
        const fcx = cc(pos[2 * f], cols);
        const fcy = cc(pos[2 * f + 1], rows);
        for (let cy = range[2]; cy <= range[3]; cy++) {
          for (let cx = range[0]; cx <= range[1]; cx++) {
            const c = cy * cols + cx;
            for (let it = cs[c]; it < cs[c + 1]; it++) {
              const o = items[it];
              if (o === f) continue;
              if (this.isFast[o] === 1 && o < f) {
                query(o, other);
                if (fcx >= other[0] && fcx <= other[1] && fcy >= other[2] && fcy <= other[3]) continue;
              }
              this.swept(f, o);
            }
          }
        }
      }
    }
    // 3. warm start + sequential impulses
    const nc = this.nc;
    const { cA, cB, cNx, cNy, cK, cT, cJn, cJt, cLo, cHi } = this;
    if (this.cacheN > 0) {
      for (let c = 0; c < nc; c++) {
        const j = this.table.get(cLo[c], cHi[c]);
        if (j < 0) continue;
        const jn = this.cacheJn.f[j];
        const jt = this.cacheJt.f[j];
        if (jn === 0 && jt === 0) continue;
        cJn[c] = jn;
        cJt[c] = jt;
        const px = jn * cNx[c] - jt * cNy[c];
        const py = jn * cNy[c] + jt * cNx[c];
        const a = cA[c];
        vel[2 * a] += px * im[a];
        vel[2 * a + 1] += py * im[a];
        const b = cB[c];
        if (b !== NONE) {
          vel[2 * b] -= px * im[b];
          vel[2 * b + 1] -= py * im[b];
        }
      }
    }
    for (let it = 0; it < VELOCITY_ITERS; it++) {
      for (let c = 0; c < nc; c++) {
        const a = cA[c];
        const b = cB[c];
        const nx = cNx[c];
        const ny = cNy[c];
        const tx = -ny;
        const ty = nx;
        let rvx = vel[2 * a];
        let rvy = vel[2 * a + 1];
        if (b !== NONE) {
          rvx -= vel[2 * b];
          rvy -= vel[2 * b + 1];
        }
        const vn = rvx * nx + rvy * ny;
        const jn0 = cJn[c];
        const jn = Math.max(jn0 + (cT[c] - vn) * cK[c], 0);
        const djn = jn - jn0;
        cJn[c] = jn;
        const vt = rvx * tx + rvy * ty;
        const maxf = friction * jn;
        const jt0 = cJt[c];
        const jt = Math.min(Math.max(jt0 - vt * cK[c], -maxf), maxf);
        const djt = jt - jt0;
        cJt[c] = jt;
        const px = djn * nx + djt * tx;
        const py = djn * ny + djt * ty;
        vel[2 * a] += px * im[a];
        vel[2 * a + 1] += py * im[a];
        if (b !== NONE) {
          vel[2 * b] -= px * im[b];
          vel[2 * b + 1] -= py * im[b];
        }
      }
    }
    // restitution pass (after the main iterations, once)
    const cBo = this.cBo;
    for (let c = 0; c < nc; c++) {
      const tb = cBo[c];
      if (tb !== tb || cJn[c] <= 0) continue;
      const a = cA[c];
      const b = cB[c];
      const nx = cNx[c];
      const ny = cNy[c];
      let rvx = vel[2 * a];
      let rvy = vel[2 * a + 1];
      if (b !== NONE) {
        rvx -= vel[2 * b];
        rvy -= vel[2 * b + 1];
      }
      const vn = rvx * nx + rvy * ny;
      const jn0 = cJn[c];
      const jn = Math.max(jn0 + (tb - vn) * cK[c], 0);
      const djn = jn - jn0;
      cJn[c] = jn;
      vel[2 * a] += djn * nx * im[a];
      vel[2 * a + 1] += djn * ny * im[a];
      if (b !== NONE) {
        vel[2 * b] -= djn * nx * im[b];
        vel[2 * b + 1] -= djn * ny * im[b];
      }
    }
    // 4. integrate (no static boxes in this reference) + bounds
    for (let i = 0; i < n; i++) {
      const k = speedScale(vel[2 * i], vel[2 * i + 1], maxSpeed);
      const vx = vel[2 * i] * k;
      const vy = vel[2 * i + 1] * k;
      vel[2 * i] = vx;
      vel[2 * i + 1] = vy;
      const r = rad[i];
      const x0 = pos[2 * i];
      const y0 = pos[2 * i + 1];
      let dx = vx * dt;
      let dy = vy * dt;
      // clip the move at the world bounds
      let tb = 1;
      if (dx < 0 && x0 + dx < r) tb = Math.min(tb, Math.max((r - x0) / dx, 0));
      else if (dx > 0 && x0 + dx > w - r) tb = Math.min(tb, Math.max((w - r - x0) / dx, 0));
      if (dy < 0 && y0 + dy < r) tb = Math.min(tb, Math.max((r - y0) / dy, 0));
      else if (dy > 0 && y0 + dy > h - r) tb = Math.min(tb, Math.max((h - r - y0) / dy, 0));
      if (tb < 1) {
        dx *= tb;
        dy *= tb;
      }
      let x = x0 + dx;
      let y = y0 + dy;
      const e = rest[i];
      const f = (v: number) => (Math.abs(v) > bounce ? -e * v : 0);
      if (x <= r) {
        x = r;
        if (vel[2 * i] < 0) vel[2 * i] = f(vel[2 * i]);
      } else if (x >= w - r) {
        x = w - r;
        if (vel[2 * i] > 0) vel[2 * i] = f(vel[2 * i]);
      }
      if (y <= r) {
        y = r;
        if (vel[2 * i + 1] < 0) vel[2 * i + 1] = f(vel[2 * i + 1]);
      } else if (y >= h - r) {
        y = h - r;
        if (vel[2 * i + 1] > 0) vel[2 * i + 1] = f(vel[2 * i + 1]);
      }
      pos[2 * i] = x;
      pos[2 * i + 1] = y;
    }
    // 5. position projection
    for (let it = 0; it < POSITION_ITERS; it++) {
      for (let c = 0; c < nc; c++) {
        const b = cB[c];
        if (b === NONE) continue;
        const a = cA[c];
        const dx = pos[2 * a] - pos[2 * b];
        const dy = pos[2 * a + 1] - pos[2 * b + 1];
        const rs = rad[a] + rad[b];
        const lim = rs - SLOP_FRAC * rs;
        const d2 = dx * dx + dy * dy;
        if (d2 >= lim * lim) continue;
        const d = Math.sqrt(d2);
        const nx = d > 0 ? dx / d : cNx[c];
        const ny = d > 0 ? dy / d : cNy[c];
        const corr = POS_BETA * (lim - d) * cK[c];
        pos[2 * a] += nx * corr * im[a];
        pos[2 * a + 1] += ny * corr * im[a];
        pos[2 * b] -= nx * corr * im[b];
        pos[2 * b + 1] -= ny * corr * im[b];
      }
    }
    for (let i = 0; i < n; i++) {
      const r = rad[i];
      pos[2 * i] = Math.min(Math.max(pos[2 * i], r), w - r);
      pos[2 * i + 1] = Math.min(Math.max(pos[2 * i + 1], r), h - r);
    }
    // 6. new contact cache + events
    const t2 = this.table2;
    t2.reset(nc);
    if (this.newLo.length < nc) {
      this.newLo = new Uint32Array(nc * 2);
      this.newHi = new Uint32Array(nc * 2);
    }
    this.newJn.ensure(nc);
    this.newJt.ensure(nc);
    const { newLo, newHi, newJn, newJt } = this;
    let m = 0;
    for (let c = 0; c < nc; c++) {
      if (t2.insert(cLo[c], cHi[c], m)) {
        newLo[m] = cLo[c];
        newHi[m] = cHi[c];
        newJn.f[m] = cJn[c];
        newJt.f[m] = cJt[c];
        m++;
      }
    }
    const ev = this.events;
    ev.length = 0;
    for (let j = 0; j < this.cacheN; j++) {
      const hi = this.cacheHi[j];
      if (hi < BOUND_BASE && t2.get(this.cacheLo[j], hi) < 0) ev.push(2, this.cacheLo[j], hi);
    }
    for (let j = 0; j < m; j++) {
      if (newHi[j] < BOUND_BASE && this.table.get(newLo[j], newHi[j]) < 0) ev.push(1, newLo[j], newHi[j]);
    }
    this.newLo = this.cacheLo;
    this.newHi = this.cacheHi;
    this.newJn = this.cacheJn;
    this.newJt = this.cacheJt;
    this.cacheLo = newLo;
    this.cacheHi = newHi;
    this.cacheJn = newJn;
    this.cacheJt = newJt;
    this.cacheN = m;
    this.table2 = this.table;
    this.table = t2;
  }
}
