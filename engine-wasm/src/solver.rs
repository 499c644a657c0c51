//! One fixed step: forces -> contact detection (grid broadphase) -> sequential-impulse velocity
//! solver (restitution, Coulomb friction) -> integration with swept tests against static boxes
//! (no tunneling) -> position projection (no energy gain, no jitter) -> events.

use crate::pairs::PairTable;
use crate::world::DetMinMax;
use crate::world::*;

const NONE: u32 = u32::MAX;
const VELOCITY_ITERS: usize = 8;
const POSITION_ITERS: usize = 3;
/// fraction of the remaining overlap removed per position iteration
const POS_BETA: f32 = 0.5;
/// allowed overlap as a fraction of the radius (keeps resting contacts alive, no flicker)
const SLOP_FRAC: f32 = 0.01;

/// contacts are detected (and count as touching for events) up to this fraction of the radii
/// apart: speculative contacts keep resting piles still and stop fast bodies exactly at contact
const MARGIN_FRAC: f32 = 0.05;
/// a contact already in last step's cache is kept up to this fraction apart (hysteresis: no
/// begin/end flicker for bodies hovering around the margin)
const KEEP_FRAC: f32 = 0.1;

/// Target normal relative velocity of the main iterations: a gap may close, no more
/// (restitution is applied afterwards in one separate pass, which keeps clusters from gaining
/// energy).
#[inline]
fn contact_target(gap: f32, dt: f32) -> f32 {
    -gap.dmax(0.0) / dt
}

/// Restitution target of a contact, or NaN if it does not bounce this step (it must approach
/// faster than the threshold and close its gap during the step).
#[inline]
fn bounce_target(vn: f32, gap: f32, e: f32, bounce_threshold: f32, dt: f32) -> f32 {
    if vn < -bounce_threshold && vn * dt < -gap.dmax(0.0) {
        -e * vn
    } else {
        f32::NAN
    }
}

#[derive(Clone, Copy, Default)]
pub struct Contact {
    key: u64,
    a: u32,
    /// body index for circle-circle and circle-box, NONE for the world bounds
    b: u32,
    kind: u8, // 0 circle-circle, 1 circle-box, 2 bounds
    nx: f32,
    ny: f32,
    k_inv: f32,
    target: f32,
    bounce: f32,
    jn: f32,
    jt: f32,
}

impl Contact {
    /// One sequential-impulse update of this contact for the relative velocity (rvx, rvy) of
    /// body a against b (or against the static side): accumulates the clamped normal impulse
    /// and the Coulomb-bounded friction impulse, and returns the impulse change to apply (+ to
    /// a, - to b).
    #[inline(always)]
    fn solve_velocity(&mut self, rvx: f32, rvy: f32, friction: f32) -> (f32, f32) {
        let (tx, ty) = (-self.ny, self.nx);
        let vn = rvx * self.nx + rvy * self.ny;
        let new_jn = (self.jn + (self.target - vn) * self.k_inv).dmax(0.0);
        let djn = new_jn - self.jn;
        self.jn = new_jn;
        let vt = rvx * tx + rvy * ty;
        let maxf = friction * self.jn;
        let new_jt = clampf(self.jt - vt * self.k_inv, -maxf, maxf);
        let djt = new_jt - self.jt;
        self.jt = new_jt;
        (djn * self.nx + djt * tx, djn * self.ny + djt * ty)
    }
}

/// Reusable buffers (not part of the world state).
#[derive(Default)]
pub struct Scratch {
    dyns: Vec<u32>,
    statics: Vec<u32>,
    contacts: Vec<Contact>,
    ccd_hits: Vec<u64>,
    mid: Vec<f32>,
    fast: Vec<u32>,
    is_fast: Vec<bool>,
    disp: Vec<f32>,
    sensor_keys: Vec<u64>,
    new_keys: Vec<u64>,
    new_jn: Vec<f32>,
    new_jt: Vec<f32>,
    table: PairTable,
}

/// Circle vs box: (nx, ny, penetration) with the normal pointing from the box to the circle.
#[inline]
pub(crate) fn circle_box(cx: f32, cy: f32, r: f32, bx: f32, by: f32, hx: f32, hy: f32) -> Option<(f32, f32, f32)> {
    let dx = cx - bx;
    let dy = cy - by;
    let adx = dx.abs();
    let ady = dy.abs();
    if adx < hx && ady < hy {
        // center inside: push out along the axis of least penetration
        let px = hx - adx;
        let py = hy - ady;
        if px <= py {
            let s = if dx < 0.0 { -1.0 } else { 1.0 };
            return Some((s, 0.0, r + px));
        }
        let s = if dy < 0.0 { -1.0 } else { 1.0 };
        return Some((0.0, s, r + py));
    }
    let ex = dx - clampf(dx, -hx, hx);
    let ey = dy - clampf(dy, -hy, hy);
    let d2 = ex * ex + ey * ey;
    if d2 >= r * r {
        return None;
    }
    let d = d2.sqrt();
    if d <= 0.0 {
        // exactly on the surface
        return if adx >= hx { Some((dx.signum(), 0.0, r)) } else { Some((0.0, dy.signum(), r)) };
    }
    Some((ex / d, ey / d, r - d))
}

/// Whether a circle pair at squared distance `d2` (summed radii `rs`) is a contact: within the
/// margin, or within the larger keep margin if it was a contact last step.
#[inline]
fn is_contact_distance(d2: f32, rs: f32, cached: impl FnOnce() -> bool) -> bool {
    let rm = rs * (1.0 + MARGIN_FRAC);
    if d2 < rm * rm {
        return true;
    }
    let rk = rs * (1.0 + KEEP_FRAC);
    d2 < rk * rk && cached()
}

/// Float clamp that can never panic (`f32::clamp` asserts `min <= max`).
#[inline]
fn clampf(v: f32, lo: f32, hi: f32) -> f32 {
    if v < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v
    }
}

/// One axis of the swept test of `sweep`: how the motion p -> p + d crosses the slab [lo, hi].
enum Slab {
    /// no motion along this axis, and p is outside the open slab: no hit possible
    Outside,
    /// no motion along this axis, p inside the open slab: no constraint from this axis
    Inside,
    /// entry and exit times (t0 <= t1) and the sign of the entry normal on this axis
    Crosses(f32, f32, f32),
}

#[inline]
fn slab(p: f32, d: f32, lo: f32, hi: f32) -> Slab {
    if d == 0.0 {
        return if p <= lo || p >= hi { Slab::Outside } else { Slab::Inside };
    }
    let inv = 1.0 / d;
    let (t0, t1) = ((lo - p) * inv, (hi - p) * inv);
    if t0 > t1 {
        Slab::Crosses(t1, t0, 1.0)
    } else {
        Slab::Crosses(t0, t1, -1.0)
    }
}

/// One axis of the world-bounds clip of a move p -> p + d: the fraction `tb` of the move, cut
/// down so that p stays within [lo, hi] on this axis.
#[inline]
fn bounds_clip(tb: f32, p: f32, d: f32, lo: f32, hi: f32) -> f32 {
    if d < 0.0 && p + d < lo {
        tb.dmin(((lo - p) / d).dmax(0.0))
    } else if d > 0.0 && p + d > hi {
        tb.dmin(((hi - p) / d).dmax(0.0))
    } else {
        tb
    }
}

/// One axis of the world-bounds response: puts p back into [lo, hi] and reflects an outward
/// velocity with restitution `e` (or stops it when slower than `threshold`).
#[inline]
fn bounds_bounce_axis(p: &mut f32, v: &mut f32, lo: f32, hi: f32, e: f32, threshold: f32) {
    let f = |v: f32| if v.abs() > threshold { -e * v } else { 0.0 };
    if *p <= lo {
        *p = lo;
        if *v < 0.0 {
            *v = f(*v);
        }
    } else if *p >= hi {
        *p = hi;
        if *v > 0.0 {
            *v = f(*v);
        }
    }
}

#[inline]
fn is_bound_key(k: u64) -> bool {
    (k as u32) >= BOUND_KEY_BASE
}

#[inline]
fn pair_key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    ((lo as u64) << 32) | hi as u64
}

/// Appends begin/end events for the sorted key sets `prev` -> `cur`, in key order.
/// End events are only emitted for pairs whose bodies are both still `alive`.
fn diff_events(prev: &[u64], cur: &[u64], begin: u32, end: u32, out: &mut Vec<u32>, alive: impl Fn(u32, u32) -> bool) {
    let (mut i, mut j) = (0, 0);
    while i < prev.len() || j < cur.len() {
        let p = prev.get(i).copied().unwrap_or(u64::MAX);
        let c = cur.get(j).copied().unwrap_or(u64::MAX);
        if p == c {
            i += 1;
            j += 1;
        } else if p < c {
            let (a, b) = ((p >> 32) as u32, p as u32);
            if alive(a, b) {
                out.extend_from_slice(&[end, a, b]);
            }
            i += 1;
        } else {
            out.extend_from_slice(&[begin, (c >> 32) as u32, c as u32]);
            j += 1;
        }
    }
}

impl World {
    fn rebuild_statics(&mut self) {
        let s = &mut self.scratch;
        s.statics.clear();
        for (i, &k) in self.kinds.iter().enumerate() {
            if k != KIND_CIRCLE {
                s.statics.push(i as u32);
            }
        }
        self.static_grid.build(self.w, self.h, &self.pos, &self.size, &s.statics);
        self.statics_dirty = false;
    }

    /// Advances the world by exactly one fixed step.
    pub fn step(&mut self) {
        if self.statics_dirty {
            self.rebuild_statics();
        }
        let dt = self.dt;
        let (gx, gy) = (self.gx, self.gy);
        let max_speed = self.max_speed;
        let g_mag = (gx * gx + gy * gy).sqrt();
        let bounce_threshold = 1.0 + 2.0 * g_mag * dt;
        let friction = self.friction;
        let (w, h) = (self.w, self.h);

        // ---- 1. forces, damping, speed clamp; list dynamic bodies ----
        let mut dyns = std::mem::take(&mut self.scratch.dyns);
        dyns.clear();
        for i in 0..self.kinds.len() {
            if self.kinds[i] != KIND_CIRCLE {
                continue;
            }
            dyns.push(i as u32);
            let im = self.inv_mass[i];
            let mut vx = self.vel[2 * i] + (gx + self.force[2 * i] * im) * dt;
            let mut vy = self.vel[2 * i + 1] + (gy + self.force[2 * i + 1] * im) * dt;
            self.force[2 * i] = 0.0;
            self.force[2 * i + 1] = 0.0;
            let d = self.damp[i];
            if d > 0.0 {
                let k = 1.0 / (1.0 + dt * d);
                vx *= k;
                vy *= k;
            }
            let (vx, vy) = clamp_speed(vx, vy, max_speed);
            self.vel[2 * i] = vx;
            self.vel[2 * i + 1] = vy;
        }

        // ---- 2. contact detection ----
        if self.cache_table_dirty {
            self.cache_table.reset(self.cache_keys.len());
            for (j, &k) in self.cache_keys.iter().enumerate() {
                self.cache_table.insert(k, j as u32);
            }
            self.cache_table_dirty = false;
        }
        let mut contacts = std::mem::take(&mut self.scratch.contacts);
        contacts.clear();
        self.dyn_grid.build(w, h, &self.pos, &self.size, &dyns);
        {
            let pos = &self.pos;
            let size = &self.size;
            let vel = &self.vel;
            let im = &self.inv_mass;
            let rest = &self.rest;
            let ids = &self.ids;
            let cache = &self.cache_table;
            let (p2, _) = pos.as_chunks::<2>();
            let (v2, _) = vel.as_chunks::<2>();
            self.dyn_grid.for_each_candidate(pos, size, |a, b| {
                let (ai, bi) = (a as usize, b as usize);
                let (pa, pb) = (p2[ai], p2[bi]);
                let dx = pa[0] - pb[0];
                let dy = pa[1] - pb[1];
                let rs = size[2 * ai] + size[2 * bi];
                let d2 = dx * dx + dy * dy;
                if !is_contact_distance(d2, rs, || cache.get(pair_key(ids[ai], ids[bi])).is_some()) {
                    return;
                }
                let d = d2.sqrt();
                let (nx, ny) = if d > 0.0 { (dx / d, dy / d) } else { (1.0, 0.0) };
                let (va, vb) = (v2[ai], v2[bi]);
                let vn = (va[0] - vb[0]) * nx + (va[1] - vb[1]) * ny;
                let e = rest[ai].dmax(rest[bi]);
                let (target, bounce) = (contact_target(d - rs, dt), bounce_target(vn, d - rs, e, bounce_threshold, dt));
                let key = pair_key(ids[ai], ids[bi]);
                contacts.push(Contact { key, a, b, kind: 0, nx, ny, k_inv: 1.0 / (im[ai] + im[bi]), target, bounce, jn: 0.0, jt: 0.0 });
            });
        }
        self.detect_fast_pairs(&dyns, &mut contacts, bounce_threshold);
        for &a in &dyns {
            let ai = a as usize;
            let (x, y, r) = (self.pos[2 * ai], self.pos[2 * ai + 1], self.size[2 * ai]);
            let (vx, vy) = (self.vel[2 * ai], self.vel[2 * ai + 1]);
            let e = self.rest[ai];
            let k_inv = 1.0 / self.inv_mass[ai];
            let margin = MARGIN_FRAC * r;
            let id_a = self.ids[ai];
            let mut push = |nx: f32, ny: f32, gap: f32, b: u32, kind: u8, key: u64| {
                let vn = vx * nx + vy * ny;
                let (target, bounce) = (contact_target(gap, dt), bounce_target(vn, gap, e, bounce_threshold, dt));
                contacts.push(Contact { key, a, b, kind, nx, ny, k_inv, target, bounce, jn: 0.0, jt: 0.0 });
            };
            let bkey = |side: u32| ((id_a as u64) << 32) | (BOUND_KEY_BASE + side) as u64;
            if x - r < margin {
                push(1.0, 0.0, x - r, NONE, 2, bkey(0));
            }
            if x + r > w - margin {
                push(-1.0, 0.0, w - r - x, NONE, 2, bkey(1));
            }
            if y - r < margin {
                push(0.0, 1.0, y - r, NONE, 2, bkey(2));
            }
            if y + r > h - margin {
                push(0.0, -1.0, h - r - y, NONE, 2, bkey(3));
            }
            let ids = &self.ids;
            let kinds = &self.kinds;
            let pos = &self.pos;
            let size = &self.size;
            let keep = KEEP_FRAC * r;
            let rk = r + keep;
            let cache = &self.cache_table;
            self.static_grid.query(x - rk, y - rk, x + rk, y + rk, |s| {
                let si = s as usize;
                if kinds[si] != KIND_BOX {
                    return;
                }
                if let Some((nx, ny, pen)) = circle_box(x, y, rk, pos[2 * si], pos[2 * si + 1], size[2 * si], size[2 * si + 1]) {
                    let gap = keep - pen;
                    let key = pair_key(id_a, ids[si]);
                    if gap < margin || cache.get(key).is_some() {
                        push(nx, ny, gap, s, 1, key);
                    }
                }
            });
        }

        // ---- 3. sequential impulses, warm-started from last step's cache ----
        {
            let vel = &mut self.vel;
            let im = &self.inv_mass;
            if !self.cache_keys.is_empty() {
                for c in contacts.iter_mut() {
                    let Some(j) = self.cache_table.get(c.key) else { continue };
                    let (jn, jt) = (self.cache_jn[j as usize], self.cache_jt[j as usize]);
                    if jn == 0.0 && jt == 0.0 {
                        continue;
                    }
                    c.jn = jn;
                    c.jt = jt;
                    let (tx, ty) = (-c.ny, c.nx);
                    let px = jn * c.nx + jt * tx;
                    let py = jn * c.ny + jt * ty;
                    let ai = c.a as usize;
                    let ia = im[ai];
                    vel[2 * ai] += px * ia;
                    vel[2 * ai + 1] += py * ia;
                    if c.kind == 0 {
                        let bi = c.b as usize;
                        let ib = im[bi];
                        vel[2 * bi] -= px * ib;
                        vel[2 * bi + 1] -= py * ib;
                    }
                }
            }
            let (v2, _) = vel.as_chunks_mut::<2>();
            for _ in 0..VELOCITY_ITERS {
                for c in contacts.iter_mut() {
                    let ai = c.a as usize;
                    let va = v2[ai];
                    if c.kind == 0 {
                        let bi = c.b as usize;
                        let vb = v2[bi];
                        let (px, py) = c.solve_velocity(va[0] - vb[0], va[1] - vb[1], friction);
                        let (ia, ib) = (im[ai], im[bi]);
                        v2[ai] = [va[0] + px * ia, va[1] + py * ia];
                        v2[bi] = [vb[0] - px * ib, vb[1] - py * ib];
                    } else {
                        let (px, py) = c.solve_velocity(va[0], va[1], friction);
                        let ia = im[ai];
                        v2[ai] = [va[0] + px * ia, va[1] + py * ia];
                    }
                }
            }
        }

        // restitution: one pass over the contacts that bounce (approached fast and were pushed)
        {
            let vel = &mut self.vel;
            let im = &self.inv_mass;
            for c in contacts.iter_mut() {
                let tb = c.bounce;
                if tb.is_nan() || c.jn <= 0.0 {
                    continue;
                }
                let ai = c.a as usize;
                let (mut rvx, mut rvy) = (vel[2 * ai], vel[2 * ai + 1]);
                if c.kind == 0 {
                    let bi = c.b as usize;
                    rvx -= vel[2 * bi];
                    rvy -= vel[2 * bi + 1];
                }
                let vn = rvx * c.nx + rvy * c.ny;
                let new_jn = (c.jn + (tb - vn) * c.k_inv).dmax(0.0);
                let djn = new_jn - c.jn;
                c.jn = new_jn;
                let ia = im[ai];
                vel[2 * ai] += djn * c.nx * ia;
                vel[2 * ai + 1] += djn * c.ny * ia;
                if c.kind == 0 {
                    let bi = c.b as usize;
                    let ib = im[bi];
                    vel[2 * bi] -= djn * c.nx * ib;
                    vel[2 * bi + 1] -= djn * c.ny * ib;
                }
            }
        }

        // ---- 4. integrate, with swept tests against static boxes ----
        let mut ccd_hits = std::mem::take(&mut self.scratch.ccd_hits);
        ccd_hits.clear();
        let has_boxes = self.static_grid.count > 0;
        for &a in &dyns {
            let i = a as usize;
            let (vx, vy) = clamp_speed(self.vel[2 * i], self.vel[2 * i + 1], max_speed);
            self.vel[2 * i] = vx;
            self.vel[2 * i + 1] = vy;
            let (x, y, r) = (self.pos[2 * i], self.pos[2 * i + 1], self.size[2 * i]);
            let (mut dx, mut dy) = (vx * dt, vy * dt);
            // clip the move at the world bounds first (so the sweep below sees the real path)
            let tb = bounds_clip(bounds_clip(1.0, x, dx, r, w - r), y, dy, r, h - r);
            if tb < 1.0 {
                dx *= tb;
                dy *= tb;
            }
            let (mut nx, mut ny) = (x + dx, y + dy);
            if has_boxes && dx * dx + dy * dy > 0.0625 * r * r {
                if let Some((t, ax, ay, s)) = self.sweep(x, y, r, dx, dy) {
                    nx = x + dx * t;
                    ny = y + dy * t;
                    let si = s as usize;
                    let touching = circle_box(nx, ny, r * 1.01, self.pos[2 * si], self.pos[2 * si + 1], self.size[2 * si], self.size[2 * si + 1]).is_some();
                    if touching {
                        let vn = vx * ax + vy * ay;
                        if vn < 0.0 {
                            let e = if vn < -bounce_threshold { self.rest[i] } else { 0.0 };
                            let dvn = -(1.0 + e) * vn;
                            let (tx, ty) = (-ay, ax);
                            let vt = vx * tx + vy * ty;
                            let fmax = friction * dvn;
                            let dvt = clampf(-vt, -fmax, fmax);
                            self.vel[2 * i] = vx + dvn * ax + dvt * tx;
                            self.vel[2 * i + 1] = vy + dvn * ay + dvt * ty;
                        }
                        ccd_hits.push(pair_key(self.ids[i], self.ids[si]));
                    }
                }
            }
            self.pos[2 * i] = nx;
            self.pos[2 * i + 1] = ny;
            self.bounds_bounce(i, bounce_threshold);
        }

        // ---- 5. position projection ----
        if has_boxes {
            self.scratch.mid.clear();
            self.scratch.mid.extend_from_slice(&self.pos);
        }
        for _ in 0..POSITION_ITERS {
            for c in &contacts {
                let ai = c.a as usize;
                match c.kind {
                    0 => {
                        let bi = c.b as usize;
                        let dx = self.pos[2 * ai] - self.pos[2 * bi];
                        let dy = self.pos[2 * ai + 1] - self.pos[2 * bi + 1];
                        let rs = self.size[2 * ai] + self.size[2 * bi];
                        let d2 = dx * dx + dy * dy;
                        let slop = SLOP_FRAC * rs;
                        let lim = rs - slop;
                        if d2 >= lim * lim {
                            continue;
                        }
                        let d = d2.sqrt();
                        let (nx, ny) = if d > 0.0 { (dx / d, dy / d) } else { (c.nx, c.ny) };
                        let corr = POS_BETA * (lim - d) * c.k_inv;
                        let (ia, ib) = (self.inv_mass[ai], self.inv_mass[bi]);
                        self.pos[2 * ai] += nx * corr * ia;
                        self.pos[2 * ai + 1] += ny * corr * ia;
                        self.pos[2 * bi] -= nx * corr * ib;
                        self.pos[2 * bi + 1] -= ny * corr * ib;
                    }
                    1 => {
                        let bi = c.b as usize;
                        let r = self.size[2 * ai];
                        if let Some((nx, ny, pen)) = circle_box(
                            self.pos[2 * ai],
                            self.pos[2 * ai + 1],
                            r,
                            self.pos[2 * bi],
                            self.pos[2 * bi + 1],
                            self.size[2 * bi],
                            self.size[2 * bi + 1],
                        ) {
                            let slop = SLOP_FRAC * r;
                            if pen > slop {
                                let corr = POS_BETA * (pen - slop);
                                self.pos[2 * ai] += nx * corr;
                                self.pos[2 * ai + 1] += ny * corr;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if has_boxes {
            // corrections must not push a body through a thin box either: sweep them too
            let mid = std::mem::take(&mut self.scratch.mid);
            for &a in &dyns {
                let i = a as usize;
                let (x0, y0) = (mid[2 * i], mid[2 * i + 1]);
                let (dx, dy) = (self.pos[2 * i] - x0, self.pos[2 * i + 1] - y0);
                if dx == 0.0 && dy == 0.0 {
                    continue;
                }
                if let Some((t, _, _, _)) = self.sweep(x0, y0, self.size[2 * i], dx, dy) {
                    self.pos[2 * i] = x0 + dx * t;
                    self.pos[2 * i + 1] = y0 + dy * t;
                }
            }
            self.scratch.mid = mid;
        }
        for &a in &dyns {
            self.clamp_to_bounds(a as usize);
        }

        // ---- 6. events ----
        // new contact cache (solver order, deduplicated) and contact events
        let mut table = std::mem::take(&mut self.scratch.table);
        let mut new_keys = std::mem::take(&mut self.scratch.new_keys);
        let mut new_jn = std::mem::take(&mut self.scratch.new_jn);
        let mut new_jt = std::mem::take(&mut self.scratch.new_jt);
        new_keys.clear();
        new_jn.clear();
        new_jt.clear();
        table.reset(contacts.len() + ccd_hits.len());
        for c in &contacts {
            if table.insert(c.key, new_keys.len() as u32) {
                new_keys.push(c.key);
                new_jn.push(c.jn);
                new_jt.push(c.jt);
            }
        }
        for &k in &ccd_hits {
            if table.insert(k, new_keys.len() as u32) {
                new_keys.push(k);
                new_jn.push(0.0);
                new_jt.push(0.0);
            }
        }
        self.events.clear();
        for &k in &self.cache_keys {
            if !is_bound_key(k) && table.get(k).is_none() {
                let (a, b) = ((k >> 32) as u32, k as u32);
                // pairs of removed bodies end silently
                if self.index.contains_key(&a) && self.index.contains_key(&b) {
                    self.events.extend_from_slice(&[EVENT_CONTACT_END, a, b]);
                }
            }
        }
        for &k in &new_keys {
            if !is_bound_key(k) && self.cache_table.get(k).is_none() {
                self.events.extend_from_slice(&[EVENT_CONTACT_BEGIN, (k >> 32) as u32, k as u32]);
            }
        }
        std::mem::swap(&mut self.cache_keys, &mut new_keys);
        std::mem::swap(&mut self.cache_jn, &mut new_jn);
        std::mem::swap(&mut self.cache_jt, &mut new_jt);
        std::mem::swap(&mut self.cache_table, &mut table);
        self.scratch.table = table;
        self.scratch.new_keys = new_keys;
        self.scratch.new_jn = new_jn;
        self.scratch.new_jt = new_jt;
        self.scratch.ccd_hits = ccd_hits;

        // sensor overlaps (sorted keys) and sensor events
        let mut skeys = std::mem::take(&mut self.scratch.sensor_keys);
        skeys.clear();
        for &a in &dyns {
            let ai = a as usize;
            let (x, y, r) = (self.pos[2 * ai], self.pos[2 * ai + 1], self.size[2 * ai]);
            let kinds = &self.kinds;
            let pos = &self.pos;
            let size = &self.size;
            let ids = &self.ids;
            self.static_grid.query(x - r, y - r, x + r, y + r, |s| {
                let si = s as usize;
                if kinds[si] != KIND_SENSOR {
                    return;
                }
                let dx = x - pos[2 * si];
                let dy = y - pos[2 * si + 1];
                let rs = r + size[2 * si];
                if dx * dx + dy * dy < rs * rs {
                    skeys.push(((ids[si] as u64) << 32) | ids[ai] as u64);
                }
            });
        }
        skeys.sort_unstable();
        let index = &self.index;
        diff_events(&self.sensors_prev, &skeys, EVENT_SENSOR_ENTER, EVENT_SENSOR_EXIT, &mut self.events, |a, b| {
            index.contains_key(&a) && index.contains_key(&b)
        });
        std::mem::swap(&mut self.sensors_prev, &mut skeys);

        self.scratch.dyns = dyns;
        self.scratch.contacts = contacts;
        self.scratch.sensor_keys = skeys;
        self.step_count += 1;
    }

    /// Dynamic-dynamic CCD: bodies that move farther than their own radius in one step get a
    /// swept (time-of-impact) test against the bodies near their path; a hit becomes a speculative
    /// contact, so a fast projectile cannot pass through another circle. Pairs already within
    /// the contact margin were found by the regular broadphase and are skipped here.
    fn detect_fast_pairs(&mut self, dyns: &[u32], contacts: &mut Vec<Contact>, bounce_threshold: f32) {
        let dt = self.dt;
        let limit = self.dyn_grid.large_limit();
        let mut fast = std::mem::take(&mut self.scratch.fast);
        let mut disp = std::mem::take(&mut self.scratch.disp);
        fast.clear();
        disp.clear();
        disp.resize(self.ids.len(), 0.0);
        for &a in dyns {
            let i = a as usize;
            let (vx, vy) = (self.vel[2 * i], self.vel[2 * i + 1]);
            let d = (vx * vx + vy * vy).sqrt() * dt;
            disp[i] = d;
            // a pair can only pass through each other if their displacements add up to more than
            // their summed radii, impossible while each body moves at most its own radius
            if d > self.size[2 * i] && self.size[2 * i] <= limit {
                fast.push(a);
            }
        }
        if fast.is_empty() {
            self.scratch.fast = fast;
            self.scratch.disp = disp;
            return;
        }
        let mut is_fast = std::mem::take(&mut self.scratch.is_fast);
        is_fast.clear();
        is_fast.resize(self.ids.len(), false);
        for &f in &fast {
            is_fast[f as usize] = true;
        }
        let pos = &self.pos;
        let vel = &self.vel;
        let size = &self.size;
        let im = &self.inv_mass;
        let rest = &self.rest;
        let ids = &self.ids;
        let cache = &self.cache_table;
        let grid = &self.dyn_grid;
        let small_max = grid.small_max_r();
        // query region of a fast body: its path grown by what can reach it during the step
        // (others move at most their radius unless faster than it; the faster body of a
        // fast-fast pair always covers the other)
        let query = |f: usize| {
            let (x, y) = (pos[2 * f], pos[2 * f + 1]);
            let (dx, dy) = (vel[2 * f] * dt, vel[2 * f + 1] * dt);
            let reach = (size[2 * f] + small_max) * (1.0 + MARGIN_FRAC) + small_max.dmax(disp[f]);
            grid.cell_range(x.dmin(x + dx) - reach, y.dmin(y + dy) - reach, x.dmax(x + dx) + reach, y.dmax(y + dy) + reach)
        };
        let mut swept = |f: u32, o: u32| {
            let (fi, oi) = (f as usize, o as usize);
            let rs = size[2 * fi] + size[2 * oi];
            if disp[fi] + disp[oi] <= rs {
                return; // cannot pass through each other this step: regular contacts suffice
            }
            let (px, py) = (pos[2 * fi] - pos[2 * oi], pos[2 * fi + 1] - pos[2 * oi + 1]);
            let c0 = px * px + py * py;
            if is_contact_distance(c0, rs, || cache.get(pair_key(ids[fi], ids[oi])).is_some()) {
                return; // regular contact
            }
            let (dvx, dvy) = (vel[2 * fi] - vel[2 * oi], vel[2 * fi + 1] - vel[2 * oi + 1]);
            let (dx, dy) = (dvx * dt, dvy * dt);
            let a = dx * dx + dy * dy;
            let b = px * dx + py * dy;
            if a <= 0.0 || b >= 0.0 {
                return;
            }
            let c = c0 - rs * rs;
            let disc = b * b - a * c;
            if disc < 0.0 {
                return;
            }
            let t = (-b - disc.sqrt()) / a;
            if !(t <= 1.0) {
                return;
            }
            let (qx, qy) = (px + dx * t, py + dy * t);
            let ql = (qx * qx + qy * qy).sqrt();
            if !(ql > 0.0) {
                return;
            }
            let (nx, ny) = (qx / ql, qy / ql);
            let vn = dvx * nx + dvy * ny;
            let gap = (px * nx + py * ny - rs).dmax(0.0);
            let e = rest[fi].dmax(rest[oi]);
            let (target, bounce) = (contact_target(gap, dt), bounce_target(vn, gap, e, bounce_threshold, dt));
            contacts.push(Contact {
                key: pair_key(ids[fi], ids[oi]),
                a: f,
                b: o,
                kind: 0,
                nx,
                ny,
                k_inv: 1.0 / (im[fi] + im[oi]),
                target,
                bounce,
                jn: 0.0,
                jt: 0.0,
            });
        };
        for &f in &fast {
            let fi = f as usize;
            let range = query(fi);
            let (fcx, fcy) = grid.cell_of(pos[2 * fi], pos[2 * fi + 1]);
            grid.for_each_in_cells(range, |o| {
                if o == f {
                    return;
                }
                if is_fast[o as usize] {
                    // a fast-fast pair is handled once: by the lower index if its query sees the
                    // other, else by the higher one
                    if o < f {
                        let (a, b, c, d) = query(o as usize);
                        if fcx >= a && fcx <= b && fcy >= c && fcy <= d {
                            return;
                        }
                    }
                }
                swept(f, o);
            });
            for &l in grid.large() {
                swept(f, l);
            }
        }
        self.scratch.fast = fast;
        self.scratch.is_fast = is_fast;
        self.scratch.disp = disp;
    }

    /// Earliest hit of the segment p -> p+d, for a circle of radius r, against the static boxes
    /// expanded by r (slab test). Returns (t, normal, box index).
    fn sweep(&self, x: f32, y: f32, r: f32, dx: f32, dy: f32) -> Option<(f32, f32, f32, u32)> {
        let mut best: Option<(f32, f32, f32, u32)> = None;
        let (x0, x1) = (x.dmin(x + dx) - r, x.dmax(x + dx) + r);
        let (y0, y1) = (y.dmin(y + dy) - r, y.dmax(y + dy) + r);
        let kinds = &self.kinds;
        let pos = &self.pos;
        let size = &self.size;
        self.static_grid.query(x0, y0, x1, y1, |s| {
            let si = s as usize;
            if kinds[si] != KIND_BOX {
                return;
            }
            let (bx, by) = (pos[2 * si], pos[2 * si + 1]);
            let (hx, hy) = (size[2 * si] + r, size[2 * si + 1] + r);
            let (lx, ly) = (bx - hx, by - hy);
            let (ux, uy) = (bx + hx, by + hy);
            if x > lx && x < ux && y > ly && y < uy {
                return; // already overlapping: the contact solver handles it
            }
            let mut tmin = f32::NEG_INFINITY;
            let mut tmax = 1.0f32;
            let mut n = (0.0f32, 0.0f32);
            match slab(x, dx, lx, ux) {
                Slab::Outside => return,
                Slab::Inside => {}
                Slab::Crosses(t0, t1, s) => {
                    if t0 > tmin {
                        tmin = t0;
                        n = (s, 0.0);
                    }
                    tmax = tmax.dmin(t1);
                }
            }
            match slab(y, dy, ly, uy) {
                Slab::Outside => return,
                Slab::Inside => {}
                Slab::Crosses(t0, t1, s) => {
                    if t0 > tmin {
                        tmin = t0;
                        n = (0.0, s);
                    }
                    tmax = tmax.dmin(t1);
                }
            }
            if tmin < 0.0 || tmin > tmax || n == (0.0, 0.0) {
                return;
            }
            if best.map_or(true, |b| tmin < b.0) {
                best = Some((tmin, n.0, n.1, s));
            }
        });
        best
    }

    fn bounds_bounce(&mut self, i: usize, threshold: f32) {
        let r = self.size[2 * i];
        let e = self.rest[i];
        let (pos, vel) = (&mut self.pos, &mut self.vel);
        bounds_bounce_axis(&mut pos[2 * i], &mut vel[2 * i], r, self.w - r, e, threshold);
        bounds_bounce_axis(&mut pos[2 * i + 1], &mut vel[2 * i + 1], r, self.h - r, e, threshold);
    }

    fn clamp_to_bounds(&mut self, i: usize) {
        let r = self.size[2 * i];
        self.pos[2 * i] = clampf(self.pos[2 * i], r, self.w - r);
        self.pos[2 * i + 1] = clampf(self.pos[2 * i + 1], r, self.h - r);
    }
}

