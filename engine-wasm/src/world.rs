//! Plain-Rust world: configuration, SoA body storage, body API and validation.
//! Never calls JS; every public entry point validates its input and returns `Result`,
//! leaving the world unchanged on error.

use crate::broadphase::{DynGrid, StaticGrid};
use crate::pairs::PairTable;
use crate::rng::Pcg32;
use crate::solver::Scratch;
use std::collections::BTreeMap;
use std::fmt;

pub const KIND_CIRCLE: u8 = 0;
pub const KIND_BOX: u8 = 1;
pub const KIND_SENSOR: u8 = 2;

pub const EVENT_CONTACT_BEGIN: u32 = 1;
pub const EVENT_CONTACT_END: u32 = 2;
pub const EVENT_SENSOR_ENTER: u32 = 3;
pub const EVENT_SENSOR_EXIT: u32 = 4;

/// Ids at or above this value are never given to bodies (used as world-bound pair sentinels).
pub const BOUND_KEY_BASE: u32 = 0xFFFF_FFF0;

/// Hard cap on live bodies in one world.
pub const MAX_BODIES: usize = 100_000;
/// Largest accepted world extent, coordinate magnitude and body size.
pub const MAX_EXTENT: f64 = 1.0e6;
pub const MAX_COORD: f64 = 1.0e7;

/// Error returned by every fallible world operation (message meant for humans).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicsError(pub String);

impl fmt::Display for PhysicsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for PhysicsError {}

pub type Result<T> = std::result::Result<T, PhysicsError>;

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(PhysicsError(msg.into()))
}

/// World configuration as given by the caller (kept in f64 so it reads back exactly).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub width: f64,
    pub height: f64,
    pub gravity_x: f64,
    pub gravity_y: f64,
    pub dt: f64,
    pub linear_damping: f64,
    pub restitution: f64,
    pub friction: f64,
    pub max_speed: f64,
    pub seed: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            width: 1000.0,
            height: 1000.0,
            gravity_x: 0.0,
            gravity_y: 0.0,
            dt: 1.0 / 60.0,
            linear_damping: 0.0,
            restitution: 0.5,
            friction: 0.1,
            max_speed: 1000.0,
            seed: 1,
        }
    }
}

/// Min/max by plain comparisons: `f32::max`/`min` leave the sign of a zero result unspecified
/// (it differs between x86 and wasm), which would break bit-identical snapshots across builds.
pub(crate) trait DetMinMax {
    fn dmax(self, o: Self) -> Self;
    fn dmin(self, o: Self) -> Self;
}
impl DetMinMax for f32 {
    #[inline]
    fn dmax(self, o: f32) -> f32 {
        if self > o {
            self
        } else {
            o
        }
    }
    #[inline]
    fn dmin(self, o: f32) -> f32 {
        if self < o {
            self
        } else {
            o
        }
    }
}

/// Clamps |v| to `max`; computed in f64 so huge inputs cannot overflow.
#[inline]
pub(crate) fn clamp_speed(vx: f32, vy: f32, max: f32) -> (f32, f32) {
    let s2 = vx * vx + vy * vy;
    if s2 <= max * max {
        return (vx, vy);
    }
    let (x, y) = (vx as f64, vy as f64);
    let s = (x * x + y * y).sqrt();
    if !(s.is_finite() && s > 0.0) {
        return (0.0, 0.0);
    }
    let k = max as f64 / s;
    ((x * k) as f32, (y * k) as f32)
}

fn check_range(name: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if !v.is_finite() {
        return err(format!("{name} must be a finite number, got {v}"));
    }
    if v < lo || v > hi {
        return err(format!("{name} must be in [{lo}, {hi}], got {v}"));
    }
    Ok(())
}

fn check_pos(name: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return err(format!("{name} must be a finite number, got {v}"));
    }
    if v.abs() > MAX_COORD {
        return err(format!("{name} must be within ±{MAX_COORD}, got {v}"));
    }
    Ok(())
}

fn check_size(name: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return err(format!("{name} must be a finite number, got {v}"));
    }
    if v <= 0.0 || v > MAX_EXTENT {
        return err(format!("{name} must be > 0 and <= {MAX_EXTENT}, got {v}"));
    }
    Ok(())
}

impl Config {
    pub fn validate(&self) -> Result<()> {
        check_size("width", self.width)?;
        check_size("height", self.height)?;
        check_range("gravityX", self.gravity_x, -MAX_EXTENT, MAX_EXTENT)?;
        check_range("gravityY", self.gravity_y, -MAX_EXTENT, MAX_EXTENT)?;
        check_range("dt", self.dt, 1.0e-5, 1.0)?;
        check_range("linearDamping", self.linear_damping, 0.0, 1000.0)?;
        check_range("restitution", self.restitution, 0.0, 1.0)?;
        check_range("friction", self.friction, 0.0, 100.0)?;
        check_range("maxSpeed", self.max_speed, 1.0e-6, MAX_EXTENT * 10.0)?;
        Ok(())
    }
}

/// Full description of a dynamic circle (already defaulted).
#[derive(Clone, Debug)]
pub struct CircleDesc {
    pub x: f64,
    pub y: f64,
    pub radius: f64,
    pub mass: Option<f64>,
    pub restitution: Option<f64>,
    pub damping: Option<f64>,
    pub vx: f64,
    pub vy: f64,
    pub tag: u32,
}

/// The world. Body data is structure-of-arrays; index `i` is the same body in every array.
/// Order of bodies is deterministic: insertion order, with removal by swap-remove.
pub struct World {
    pub(crate) cfg: Config,
    // f32 copies of the config used by the simulation
    pub(crate) w: f32,
    pub(crate) h: f32,
    pub(crate) gx: f32,
    pub(crate) gy: f32,
    pub(crate) dt: f32,
    pub(crate) damping: f32,
    pub(crate) restitution: f32,
    pub(crate) friction: f32,
    pub(crate) max_speed: f32,

    pub(crate) rng: Pcg32,
    pub(crate) next_id: u32,
    pub(crate) step_count: u64,

    pub(crate) ids: Vec<u32>,
    pub(crate) kinds: Vec<u8>,
    pub(crate) tags: Vec<u32>,
    pub(crate) pos: Vec<f32>,
    pub(crate) vel: Vec<f32>,
    pub(crate) size: Vec<f32>,
    pub(crate) inv_mass: Vec<f32>,
    pub(crate) rest: Vec<f32>,
    pub(crate) damp: Vec<f32>,
    pub(crate) force: Vec<f32>,

    /// id -> index (lookups only, never iterated for simulation order)
    pub(crate) index: BTreeMap<u32, u32>,

    /// Contact cache of the last step, in solver order: pair keys (min_id << 32 | max_id; world
    /// bounds use a sentinel `BOUND_KEY_BASE + side` as the second id) with their accumulated
    /// normal/tangent impulses (warm starting). Non-bound keys are the "touching" set for events.
    pub(crate) cache_keys: Vec<u64>,
    pub(crate) cache_jn: Vec<f32>,
    pub(crate) cache_jt: Vec<f32>,
    /// Sensor overlaps of the last step as sorted keys (sensor_id << 32 | body_id).
    pub(crate) sensors_prev: Vec<u64>,
    /// Events of the last step, [type, a, b] triples.
    pub(crate) events: Vec<u32>,

    // ---- derived / scratch state (never serialized) ----
    pub(crate) statics_dirty: bool,
    /// lookup table over `cache_keys` (rebuilt lazily)
    pub(crate) cache_table: PairTable,
    pub(crate) cache_table_dirty: bool,
    pub(crate) static_grid: StaticGrid,
    pub(crate) dyn_grid: DynGrid,
    pub(crate) scratch: Scratch,
}

impl World {
    pub fn new(cfg: Config) -> Result<World> {
        cfg.validate()?;
        let rng = Pcg32::new(cfg.seed);
        let mut w = World {
            cfg: cfg.clone(),
            w: 0.0,
            h: 0.0,
            gx: 0.0,
            gy: 0.0,
            dt: 0.0,
            damping: 0.0,
            restitution: 0.0,
            friction: 0.0,
            max_speed: 0.0,
            rng,
            next_id: 1,
            step_count: 0,
            ids: Vec::new(),
            kinds: Vec::new(),
            tags: Vec::new(),
            pos: Vec::new(),
            vel: Vec::new(),
            size: Vec::new(),
            inv_mass: Vec::new(),
            rest: Vec::new(),
            damp: Vec::new(),
            force: Vec::new(),
            index: BTreeMap::new(),
            cache_keys: Vec::new(),
            cache_jn: Vec::new(),
            cache_jt: Vec::new(),
            cache_table: PairTable::default(),
            cache_table_dirty: true,
            sensors_prev: Vec::new(),
            events: Vec::new(),
            statics_dirty: true,
            static_grid: StaticGrid::default(),
            dyn_grid: DynGrid::default(),
            scratch: Scratch::default(),
        };
        w.apply_cfg();
        Ok(w)
    }

    pub(crate) fn apply_cfg(&mut self) {
        let c = &self.cfg;
        self.w = c.width as f32;
        self.h = c.height as f32;
        self.gx = c.gravity_x as f32;
        self.gy = c.gravity_y as f32;
        self.dt = c.dt as f32;
        self.damping = c.linear_damping as f32;
        self.restitution = c.restitution as f32;
        self.friction = c.friction as f32;
        self.max_speed = c.max_speed as f32;
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn count(&self) -> usize {
        self.ids.len()
    }
    pub fn step_count(&self) -> u64 {
        self.step_count
    }
    pub fn next_id(&self) -> u32 {
        self.next_id
    }
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
    pub fn kinds(&self) -> &[u8] {
        &self.kinds
    }
    pub fn tags(&self) -> &[u32] {
        &self.tags
    }
    pub fn positions(&self) -> &[f32] {
        &self.pos
    }
    pub fn velocities(&self) -> &[f32] {
        &self.vel
    }
    pub fn sizes(&self) -> &[f32] {
        &self.size
    }
    pub fn events(&self) -> &[u32] {
        &self.events
    }
    pub fn random(&mut self) -> f64 {
        self.rng.next_f64()
    }

    pub fn has(&self, id: u32) -> bool {
        self.index.contains_key(&id)
    }

    pub(crate) fn idx(&self, id: u32) -> Result<usize> {
        match self.index.get(&id) {
            Some(&i) => Ok(i as usize),
            None => err(format!("unknown body id {id}")),
        }
    }

    fn check_capacity(&self) -> Result<()> {
        if self.ids.len() >= MAX_BODIES {
            return err(format!("too many bodies: the limit is {MAX_BODIES} per world"));
        }
        if self.next_id >= BOUND_KEY_BASE {
            return err("body id space exhausted");
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, kind: u8, tag: u32, x: f32, y: f32, vx: f32, vy: f32, sx: f32, sy: f32, inv_mass: f32, rest: f32, damp: f32) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let i = self.ids.len() as u32;
        self.ids.push(id);
        self.kinds.push(kind);
        self.tags.push(tag);
        self.pos.extend_from_slice(&[x, y]);
        self.vel.extend_from_slice(&[vx, vy]);
        self.size.extend_from_slice(&[sx, sy]);
        self.inv_mass.push(inv_mass);
        self.rest.push(rest);
        self.damp.push(damp);
        self.force.extend_from_slice(&[0.0, 0.0]);
        self.index.insert(id, i);
        if kind != KIND_CIRCLE {
            self.statics_dirty = true;
        }
        id
    }

    pub fn add_circle(&mut self, d: &CircleDesc) -> Result<u32> {
        self.check_capacity()?;
        check_pos("x", d.x)?;
        check_pos("y", d.y)?;
        check_size("radius", d.radius)?;
        let rmax = self.cfg.width.min(self.cfg.height) / 2.0;
        if d.radius > rmax {
            return err(format!("radius {} does not fit in the world (max {rmax})", d.radius));
        }
        if d.x < 0.0 || d.x > self.cfg.width || d.y < 0.0 || d.y > self.cfg.height {
            return err(format!(
                "circle center ({}, {}) is outside the world bounds [0,{}]x[0,{}]",
                d.x, d.y, self.cfg.width, self.cfg.height
            ));
        }
        if d.radius < 1.0e-3 {
            return err(format!("radius must be >= 0.001, got {}", d.radius));
        }
        let r = d.radius as f32;
        let mass = match d.mass {
            Some(m) => {
                check_range("mass", m, 1.0e-6, 1.0e12)?;
                m as f32
            }
            None => std::f32::consts::PI * r * r,
        };
        let inv_mass = 1.0 / mass;
        if !(inv_mass.is_finite() && inv_mass > 0.0) {
            return err(format!("mass {mass} is out of range"));
        }
        let rest = match d.restitution {
            Some(e) => {
                check_range("restitution", e, 0.0, 1.0)?;
                e as f32
            }
            None => self.restitution,
        };
        let damp = match d.damping {
            Some(v) => {
                check_range("damping", v, 0.0, 1000.0)?;
                v as f32
            }
            None => self.damping,
        };
        check_range("vx", d.vx, -MAX_COORD, MAX_COORD)?;
        check_range("vy", d.vy, -MAX_COORD, MAX_COORD)?;
        let (vx, vy) = self.clamp_speed(d.vx as f32, d.vy as f32);
        Ok(self.push(KIND_CIRCLE, d.tag, d.x as f32, d.y as f32, vx, vy, r, r, inv_mass, rest, damp))
    }

    pub fn add_box(&mut self, x: f64, y: f64, half_w: f64, half_h: f64, tag: u32) -> Result<u32> {
        self.check_capacity()?;
        check_pos("x", x)?;
        check_pos("y", y)?;
        check_size("halfWidth", half_w)?;
        check_size("halfHeight", half_h)?;
        Ok(self.push(KIND_BOX, tag, x as f32, y as f32, 0.0, 0.0, half_w as f32, half_h as f32, 0.0, 0.0, 0.0))
    }

    pub fn add_sensor(&mut self, x: f64, y: f64, radius: f64, tag: u32) -> Result<u32> {
        self.check_capacity()?;
        check_pos("x", x)?;
        check_pos("y", y)?;
        check_size("radius", radius)?;
        Ok(self.push(KIND_SENSOR, tag, x as f32, y as f32, 0.0, 0.0, radius as f32, radius as f32, 0.0, 0.0, 0.0))
    }

    /// Removes a body. Its open contacts/overlaps are dropped silently at the next step (no
    /// end/exit events for it).
    pub fn remove(&mut self, id: u32) -> Result<()> {
        let i = self.idx(id)?;
        let last = self.ids.len() - 1;
        if self.kinds[i] != KIND_CIRCLE || self.kinds[last] != KIND_CIRCLE {
            self.statics_dirty = true;
        }
        self.ids.swap_remove(i);
        self.kinds.swap_remove(i);
        self.tags.swap_remove(i);
        self.inv_mass.swap_remove(i);
        self.rest.swap_remove(i);
        self.damp.swap_remove(i);
        for v in [&mut self.pos, &mut self.vel, &mut self.size, &mut self.force] {
            v.swap(2 * i, 2 * last);
            v.swap(2 * i + 1, 2 * last + 1);
            v.truncate(2 * last);
        }
        self.index.remove(&id);
        if i != last {
            let moved = self.ids[i];
            self.index.insert(moved, i as u32);
        }
        // Open contacts/overlaps of the removed body stay in the caches until the next step,
        // which drops them without end/exit events (ids are never reused, so stale keys cannot
        // match a new body). Keeps removal O(log n) even with many contacts.
        Ok(())
    }

    pub fn set_position(&mut self, id: u32, x: f64, y: f64) -> Result<()> {
        let i = self.idx(id)?;
        check_pos("x", x)?;
        check_pos("y", y)?;
        if self.kinds[i] == KIND_CIRCLE
            && (x < 0.0 || x > self.cfg.width || y < 0.0 || y > self.cfg.height)
        {
            return err(format!("position ({x}, {y}) is outside the world bounds"));
        }
        self.pos[2 * i] = x as f32;
        self.pos[2 * i + 1] = y as f32;
        if self.kinds[i] != KIND_CIRCLE {
            self.statics_dirty = true;
        }
        Ok(())
    }

    fn dynamic_idx(&self, id: u32, what: &str) -> Result<usize> {
        let i = self.idx(id)?;
        if self.kinds[i] != KIND_CIRCLE {
            return err(format!("{what}: body {id} is static (box or sensor)"));
        }
        Ok(i)
    }

    pub(crate) fn clamp_speed(&self, vx: f32, vy: f32) -> (f32, f32) {
        clamp_speed(vx, vy, self.max_speed)
    }

    pub fn set_velocity(&mut self, id: u32, vx: f64, vy: f64) -> Result<()> {
        let i = self.dynamic_idx(id, "setVelocity")?;
        check_range("vx", vx, -MAX_COORD, MAX_COORD)?;
        check_range("vy", vy, -MAX_COORD, MAX_COORD)?;
        let (vx, vy) = self.clamp_speed(vx as f32, vy as f32);
        self.vel[2 * i] = vx;
        self.vel[2 * i + 1] = vy;
        Ok(())
    }

    pub fn apply_impulse(&mut self, id: u32, ix: f64, iy: f64) -> Result<()> {
        let i = self.dynamic_idx(id, "applyImpulse")?;
        check_range("impulse x", ix, -1.0e15, 1.0e15)?;
        check_range("impulse y", iy, -1.0e15, 1.0e15)?;
        let im = self.inv_mass[i];
        let vx = self.vel[2 * i] + ix as f32 * im;
        let vy = self.vel[2 * i + 1] + iy as f32 * im;
        if !(vx.is_finite() && vy.is_finite()) {
            return err("impulse is too large");
        }
        let (vx, vy) = self.clamp_speed(vx, vy);
        self.vel[2 * i] = vx;
        self.vel[2 * i + 1] = vy;
        Ok(())
    }

    pub fn apply_force(&mut self, id: u32, fx: f64, fy: f64) -> Result<()> {
        let i = self.dynamic_idx(id, "applyForce")?;
        check_range("force x", fx, -1.0e15, 1.0e15)?;
        check_range("force y", fy, -1.0e15, 1.0e15)?;
        let nx = self.force[2 * i] + fx as f32;
        let ny = self.force[2 * i + 1] + fy as f32;
        if !(nx.is_finite() && ny.is_finite()) {
            return err("accumulated force is too large");
        }
        self.force[2 * i] = nx;
        self.force[2 * i + 1] = ny;
        Ok(())
    }
}
