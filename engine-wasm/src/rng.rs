//! Seeded, deterministic PRNG owned by the world (PCG32, XSH-RR variant).
//! Its whole state is two u64 words, both part of the snapshot.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcg32 {
    pub state: u64,
    pub inc: u64,
}

const MUL: u64 = 6364136223846793005;

impl Pcg32 {
    /// Seeds the generator (same seed => same sequence on every platform).
    pub fn new(seed: u32) -> Self {
        let mut r = Pcg32 { state: 0, inc: (0x14057b7ef767814f_u64 << 1) | 1 };
        r.next_u32();
        r.state = r.state.wrapping_add(seed as u64 ^ 0x853c49e6748fea9b);
        r.next_u32();
        r
    }

    /// Rebuilds a generator from its raw state (snapshot restore). `inc` must be odd.
    pub fn from_raw(state: u64, inc: u64) -> Option<Self> {
        if inc & 1 == 1 {
            Some(Pcg32 { state, inc })
        } else {
            None
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MUL).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in [0, 1) with 32 bits of randomness.
    pub fn next_f64(&mut self) -> f64 {
        self.next_u32() as f64 / 4294967296.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn same_seed_same_sequence() {
        let mut a = Pcg32::new(7);
        let mut b = Pcg32::new(7);
        let mut c = Pcg32::new(8);
        let sa: Vec<u32> = (0..16).map(|_| a.next_u32()).collect();
        let sb: Vec<u32> = (0..16).map(|_| b.next_u32()).collect();
        let sc: Vec<u32> = (0..16).map(|_| c.next_u32()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }
    #[test]
    fn unit_interval() {
        let mut r = Pcg32::new(1);
        for _ in 0..10_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
