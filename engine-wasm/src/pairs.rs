//! Deterministic open-addressing hash table from pair keys to list positions. Only used for
//! lookups (never iterated), so its layout cannot influence simulation order.

const EMPTY: u64 = u64::MAX;

#[derive(Default)]
pub struct PairTable {
    mask: usize,
    shift: u32,
    keys: Vec<u64>,
    vals: Vec<u32>,
    pub len: usize,
}

#[inline]
fn hash(k: u64, shift: u32) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

impl PairTable {
    /// Empties the table, sized for up to `n` entries (load factor <= 1/2).
    pub fn reset(&mut self, n: usize) {
        let cap = (2 * n).max(16).next_power_of_two();
        self.mask = cap - 1;
        self.shift = 64 - cap.trailing_zeros();
        self.keys.clear();
        self.keys.resize(cap, EMPTY);
        self.vals.clear();
        self.vals.resize(cap, 0);
        self.len = 0;
    }

    /// Inserts `key -> val` unless present; returns false if the key was already there.
    /// The table must have been reset for at least as many entries as are inserted.
    #[inline]
    pub fn insert(&mut self, key: u64, val: u32) -> bool {
        let mut i = hash(key, self.shift) & self.mask;
        loop {
            let k = self.keys[i];
            if k == EMPTY {
                self.keys[i] = key;
                self.vals[i] = val;
                self.len += 1;
                return true;
            }
            if k == key {
                return false;
            }
            i = (i + 1) & self.mask;
        }
    }

    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        if self.keys.is_empty() {
            return None;
        }
        let mut i = hash(key, self.shift) & self.mask;
        loop {
            let k = self.keys[i];
            if k == key {
                return Some(self.vals[i]);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn insert_get() {
        let mut t = PairTable::default();
        assert_eq!(t.get(5), None);
        t.reset(100);
        for k in 0..100u64 {
            assert!(t.insert(k * 0x1_0000_0001, k as u32));
        }
        assert!(!t.insert(0, 9));
        for k in 0..100u64 {
            assert_eq!(t.get(k * 0x1_0000_0001), Some(k as u32));
        }
        assert_eq!(t.get(12345), None);
        assert_eq!(t.len, 100);
    }
}
