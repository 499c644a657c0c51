//! Versioned binary snapshot of the complete world state.
//!
//! Layout (little endian): magic "PHYW", u16 version, u16 flags(0), config (9 x f64 + u32 seed),
//! PRNG (u64 state, u64 inc), u32 next_id, u64 step_count, u32 n, then SoA arrays (ids u32,
//! kinds u8, tags u32, pos 2n f32, vel 2n f32, size 2n f32, inv_mass f32, restitution f32,
//! damping f32, pending force 2n f32), contact cache (u32 len + u64 keys + jn f32s + jt f32s),
//! sensor overlap keys (u32 len + u64s), last events (u32 len + u32s), and a trailing FNV-1a 64
//! checksum of everything before.
//! Floats are stored as raw bits, so a round trip is exact.

use crate::rng::Pcg32;
use crate::world::*;
use std::collections::BTreeMap;

pub const MAGIC: [u8; 4] = *b"PHYW";
pub const VERSION: u16 = 1;
const MAX_KEYS: usize = 64 * MAX_BODIES;
const MAX_EVENTS: usize = 3 * 2 * MAX_KEYS;

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

struct Writer(Vec<u8>);
impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn f32s(&mut self, v: &[f32]) {
        for &x in v {
            self.u32(x.to_bits());
        }
    }
    fn u32s(&mut self, v: &[u32]) {
        for &x in v {
            self.u32(x);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}
impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.b.len() - self.at < n {
            return err(format!("invalid physics snapshot: truncated at byte {}", self.at));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn len(&mut self, max: usize, what: &str) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > max {
            return err(format!("invalid physics snapshot: {what} count {n} exceeds {max}"));
        }
        Ok(n)
    }
}

fn bad<T>(msg: impl std::fmt::Display) -> Result<T> {
    err(format!("invalid physics snapshot: {msg}"))
}

impl World {
    /// Serializes the complete world state.
    pub fn snapshot(&self) -> Vec<u8> {
        let n = self.ids.len();
        let mut w = Writer(Vec::with_capacity(96 + n * 53 + self.events.len() * 4));
        w.0.extend_from_slice(&MAGIC);
        w.u16(VERSION);
        w.u16(0);
        let c = &self.cfg;
        for v in [c.width, c.height, c.gravity_x, c.gravity_y, c.dt, c.linear_damping, c.restitution, c.friction, c.max_speed] {
            w.f64(v);
        }
        w.u32(c.seed);
        w.u64(self.rng.state);
        w.u64(self.rng.inc);
        w.u32(self.next_id);
        w.u64(self.step_count);
        w.u32(n as u32);
        w.u32s(&self.ids);
        for &k in &self.kinds {
            w.u8(k);
        }
        w.u32s(&self.tags);
        w.f32s(&self.pos);
        w.f32s(&self.vel);
        w.f32s(&self.size);
        w.f32s(&self.inv_mass);
        w.f32s(&self.rest);
        w.f32s(&self.damp);
        w.f32s(&self.force);
        w.u32(self.cache_keys.len() as u32);
        for &k in &self.cache_keys {
            w.u64(k);
        }
        w.f32s(&self.cache_jn);
        w.f32s(&self.cache_jt);
        w.u32(self.sensors_prev.len() as u32);
        for &k in &self.sensors_prev {
            w.u64(k);
        }
        w.u32(self.events.len() as u32);
        w.u32s(&self.events);
        let sum = fnv1a64(&w.0);
        w.u64(sum);
        w.0
    }

    /// Replaces the whole world state with a snapshot. On any error the world is unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        let new = World::from_snapshot(bytes)?;
        *self = new;
        Ok(())
    }

    /// Builds a new world from snapshot bytes, validating everything.
    pub fn from_snapshot(bytes: &[u8]) -> Result<World> {
        if bytes.len() < 16 || bytes[..4] != MAGIC {
            return bad("missing magic header \"PHYW\" (not a physics snapshot)");
        }
        let mut r = Reader { b: bytes, at: 4 };
        let version = r.u16()?;
        if version != VERSION {
            return bad(format!("unsupported version {version} (this engine reads version {VERSION})"));
        }
        let _flags = r.u16()?;
        let body_end = bytes.len() - 8;
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&bytes[body_end..]);
        if u64::from_le_bytes(sum) != fnv1a64(&bytes[..body_end]) {
            return bad("checksum mismatch (corrupted or truncated bytes)");
        }
        let r_bytes = &bytes[..body_end];
        let mut r = Reader { b: r_bytes, at: r.at };
        let mut f = [0f64; 9];
        for v in f.iter_mut() {
            *v = r.f64()?;
        }
        let cfg = Config {
            width: f[0],
            height: f[1],
            gravity_x: f[2],
            gravity_y: f[3],
            dt: f[4],
            linear_damping: f[5],
            restitution: f[6],
            friction: f[7],
            max_speed: f[8],
            seed: r.u32()?,
        };
        let mut w = World::new(cfg).map_err(|e| PhysicsError(format!("invalid physics snapshot: config: {e}")))?;
        let (state, inc) = (r.u64()?, r.u64()?);
        w.rng = match Pcg32::from_raw(state, inc) {
            Some(g) => g,
            None => return bad("PRNG state is invalid"),
        };
        w.next_id = r.u32()?;
        if w.next_id == 0 || w.next_id > BOUND_KEY_BASE {
            return bad(format!("id counter {} is out of range", w.next_id));
        }
        w.step_count = r.u64()?;
        let n = r.len(MAX_BODIES, "body")?;
        // every remaining array must fit before reading it
        if r_bytes.len() - r.at < n * 53 {
            return bad(format!("truncated body arrays ({n} bodies)"));
        }
        let u32s = |r: &mut Reader, k: usize| -> Result<Vec<u32>> { (0..k).map(|_| r.u32()).collect() };
        let f32s = |r: &mut Reader, k: usize, what: &str| -> Result<Vec<f32>> {
            let mut v = Vec::with_capacity(k);
            for _ in 0..k {
                let x = r.f32()?;
                if !x.is_finite() {
                    return bad(format!("non-finite {what}"));
                }
                v.push(x);
            }
            Ok(v)
        };
        w.ids = u32s(&mut r, n)?;
        w.kinds = (0..n).map(|_| r.u8()).collect::<Result<Vec<u8>>>()?;
        w.tags = u32s(&mut r, n)?;
        w.pos = f32s(&mut r, 2 * n, "position")?;
        w.vel = f32s(&mut r, 2 * n, "velocity")?;
        w.size = f32s(&mut r, 2 * n, "size")?;
        w.inv_mass = f32s(&mut r, n, "inverse mass")?;
        w.rest = f32s(&mut r, n, "restitution")?;
        w.damp = f32s(&mut r, n, "damping")?;
        w.force = f32s(&mut r, 2 * n, "force")?;
        let mut index = BTreeMap::new();
        for i in 0..n {
            let id = w.ids[i];
            if id == 0 || id >= w.next_id {
                return bad(format!("body id {id} is not below the id counter {}", w.next_id));
            }
            if index.insert(id, i as u32).is_some() {
                return bad(format!("duplicate body id {id}"));
            }
            let k = w.kinds[i];
            let (sx, sy) = (w.size[2 * i], w.size[2 * i + 1]);
            if !(sx > 0.0 && sy > 0.0 && sx <= MAX_EXTENT as f32 && sy <= MAX_EXTENT as f32) {
                return bad(format!("body {id} has an out-of-range size"));
            }
            let ok = match k {
                KIND_CIRCLE => {
                    sx == sy
                        && w.inv_mass[i] > 0.0
                        && (0.0..=1.0).contains(&w.rest[i])
                        && (0.0..=1000.0).contains(&w.damp[i])
                        && sx <= (w.w.min(w.h)) / 2.0
                }
                KIND_BOX => w.inv_mass[i] == 0.0,
                KIND_SENSOR => sx == sy && w.inv_mass[i] == 0.0,
                _ => return bad(format!("body {id} has unknown kind {k}")),
            };
            if !ok {
                return bad(format!("body {id} has inconsistent properties"));
            }
            if w.pos[2 * i].abs() > MAX_COORD as f32 || w.pos[2 * i + 1].abs() > MAX_COORD as f32 {
                return bad(format!("body {id} is out of range"));
            }
        }
        w.index = index;
        let m = r.len(MAX_KEYS, "contact")?;
        if r_bytes.len() - r.at < m * 16 {
            return bad("truncated contact cache");
        }
        w.cache_keys = (0..m).map(|_| r.u64()).collect::<Result<Vec<u64>>>()?;
        w.cache_jn = f32s(&mut r, m, "contact impulse")?;
        w.cache_jt = f32s(&mut r, m, "contact impulse")?;
        w.cache_table.reset(m);
        for (j, &k) in w.cache_keys.iter().enumerate() {
            if !w.cache_table.insert(k, j as u32) {
                return bad("duplicate contact key");
            }
            if (k >> 32) as u32 >= (k as u32) || (k >> 32) as u32 >= w.next_id {
                return bad("malformed contact key");
            }
        }
        if w.cache_jn.iter().any(|&j| j < 0.0) {
            return bad("negative contact impulse");
        }
        w.cache_table_dirty = false;
        let m = r.len(MAX_KEYS, "sensor overlap")?;
        if r_bytes.len() - r.at < m * 8 {
            return bad("truncated sensor overlap list");
        }
        w.sensors_prev = (0..m).map(|_| r.u64()).collect::<Result<Vec<u64>>>()?;
        if w.sensors_prev.windows(2).any(|p| p[0] >= p[1]) {
            return bad("sensor overlap keys are not strictly sorted");
        }
        let m = r.len(MAX_EVENTS, "event word")?;
        if m % 3 != 0 || r_bytes.len() - r.at < m * 4 {
            return bad("event list is malformed");
        }
        w.events = u32s(&mut r, m)?;
        if w.events.chunks(3).any(|e| !(1..=4).contains(&e[0])) {
            return bad("unknown event type");
        }
        if r.at != r_bytes.len() {
            return bad(format!("{} trailing bytes", r_bytes.len() - r.at));
        }
        w.statics_dirty = true;
        Ok(w)
    }
}
