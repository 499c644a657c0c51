//! Broadphase: a uniform grid for dynamic circles (rebuilt every step with a counting sort,
//! so it is O(n) and its iteration order depends only on positions and body order), and a
//! coarse grid for static boxes and sensors (rebuilt only when statics change).

/// Uniform grid over the world for dynamic circles. Cell size >= the largest diameter of the
/// "small" bodies (+ the contact margin), so overlapping small circles always sit in the same or
/// adjacent cells (half-neighbourhood scan). Bodies much larger than the mean radius (> 4x) are
/// kept out of the grid sizing and instead query the cells their AABB covers, so one huge body
/// cannot turn the grid into a few crowded cells (O(n^2)).
use crate::world::DetMinMax;

/// Pairs are reported up to this factor of their summed radii apart (covers the solver's
/// contact-keeping margin, `1 + KEEP_FRAC` in solver.rs, with room for rounding).
pub const REACH: f32 = 1.11;

#[derive(Default)]
pub struct DynGrid {
    pub cell: f32,
    inv: f32,
    cols: u32,
    rows: u32,
    cell_start: Vec<u32>,
    items: Vec<u32>,
    tmp_cell: Vec<u32>,
    large: Vec<u32>,
    small_max_r: f32,
    limit: f32,
    fill: Vec<u32>,
}

impl DynGrid {
    /// Rebuilds the grid for the dynamic bodies `dyns` (indices into the SoA arrays).
    pub fn build(&mut self, w: f32, h: f32, pos: &[f32], size: &[f32], all_dyns: &[u32]) {
        // split off the few very large bodies
        let mut sum = 0.0f32;
        for &i in all_dyns {
            sum += size[2 * i as usize];
        }
        let limit = 4.0 * sum / (all_dyns.len().max(1) as f32);
        self.large.clear();
        let mut small_max = 0.0f32;
        for &i in all_dyns {
            let r = size[2 * i as usize];
            if r > limit {
                self.large.push(i);
            } else {
                small_max = small_max.dmax(r);
            }
        }
        let mut small_storage = std::mem::take(&mut self.tmp_cell);
        let dyns: &[u32] = if self.large.is_empty() {
            all_dyns
        } else {
            small_storage.clear();
            small_storage.extend(all_dyns.iter().copied().filter(|&i| size[2 * i as usize] <= limit));
            &small_storage
        };
        self.small_max_r = small_max;
        self.limit = limit;
        let n = dyns.len();
        let mut cell = (2.0 * small_max * REACH).dmax(1.0e-3);
        let max_cells = (4 * n + 64) as f32;
        let area = w * h;
        if area / (cell * cell) > max_cells {
            cell = (area / max_cells).sqrt();
        }
        // keep the row/col counts sane whatever the aspect ratio
        cell = cell.dmax(w / 65535.0).dmax(h / 65535.0);
        self.cell = cell;
        self.inv = 1.0 / cell;
        self.cols = ((w * self.inv) as u32).saturating_add(1).clamp(1, 65536);
        self.rows = ((h * self.inv) as u32).saturating_add(1).clamp(1, 65536);
        let cells = (self.cols as usize) * (self.rows as usize);
        self.cell_start.clear();
        self.cell_start.resize(cells + 1, 0);
        let mut cursor = std::mem::take(&mut self.items); // reused as per-body cell buffer
        cursor.clear();
        cursor.reserve(n);
        let (cols, rows, inv) = (self.cols, self.rows, self.inv);
        for &i in dyns {
            let i = i as usize;
            let cx = cell_coord(pos[2 * i], inv, cols);
            let cy = cell_coord(pos[2 * i + 1], inv, rows);
            let c = cy * cols + cx;
            cursor.push(c);
            self.cell_start[c as usize + 1] += 1;
        }
        for c in 0..cells {
            self.cell_start[c + 1] += self.cell_start[c];
        }
        let mut items = std::mem::take(&mut self.fill);
        items.clear();
        items.resize(n, 0);
        // stable fill (cell_start advances to the end of each cell)
        for (k, &i) in dyns.iter().enumerate() {
            let c = cursor[k] as usize;
            let dst = self.cell_start[c] as usize;
            self.cell_start[c] += 1;
            items[dst] = i;
        }
        self.fill = cursor;
        self.items = items;
        // restore cell_start (it was advanced to the end of every cell)
        for c in (1..=cells).rev() {
            self.cell_start[c] = self.cell_start[c - 1];
        }
        self.cell_start[0] = 0;
        self.tmp_cell = small_storage;
    }

    /// Largest radius of the bodies stored in the grid cells.
    pub fn small_max_r(&self) -> f32 {
        self.small_max_r
    }
    /// Bodies with a radius above this are "large" (not stored in the cells).
    pub fn large_limit(&self) -> f32 {
        self.limit
    }
    pub fn large(&self) -> &[u32] {
        &self.large
    }

    /// Cell range (x0, x1, y0, y1), inclusive, covering an AABB (clamped to the grid).
    #[inline]
    pub fn cell_range(&self, x0: f32, y0: f32, x1: f32, y1: f32) -> (u32, u32, u32, u32) {
        cell_range(x0, y0, x1, y1, self.inv, self.cols, self.rows)
    }

    /// Cell coordinates of a point (clamped to the grid).
    #[inline]
    pub fn cell_of(&self, x: f32, y: f32) -> (u32, u32) {
        (cell_coord(x, self.inv, self.cols), cell_coord(y, self.inv, self.rows))
    }

    /// Calls `f(body)` for every small body stored in the cells of a `cell_range`.
    #[inline]
    pub fn for_each_in_cells<F: FnMut(u32)>(&self, range: (u32, u32, u32, u32), mut f: F) {
        let cols = self.cols;
        let (a, b, c, d) = range;
        for cy in c..=d {
            for cx in a..=b {
                let cell = (cy * cols + cx) as usize;
                let (s, e) = (self.cell_start[cell] as usize, self.cell_start[cell + 1] as usize);
                for &o in &self.items[s..e] {
                    f(o);
                }
            }
        }
    }

    /// Calls `f(a, b)` once for every candidate pair: small bodies in the same or adjacent
    /// cells, then each large body against the small bodies in the cells its AABB covers, then
    /// large bodies pairwise.
    #[inline]
    pub fn for_each_candidate<F: FnMut(u32, u32)>(&self, pos: &[f32], size: &[f32], mut f: F) {
        self.for_each_small_pair(&mut f);
        if self.large.is_empty() {
            return;
        }
        for (k, &l) in self.large.iter().enumerate() {
            let li = l as usize;
            let reach = (size[2 * li] + self.small_max_r) * REACH;
            let (x, y) = (pos[2 * li], pos[2 * li + 1]);
            self.for_each_in_cells(self.cell_range(x - reach, y - reach, x + reach, y + reach), |o| f(l, o));
            for &m in &self.large[k + 1..] {
                f(l, m);
            }
        }
    }

    #[inline]
    fn for_each_small_pair<F: FnMut(u32, u32)>(&self, f: &mut F) {
        let cols = self.cols as usize;
        let rows = self.rows as usize;
        let cs = &self.cell_start;
        let items = &self.items;
        for cy in 0..rows {
            for cx in 0..cols {
                let c = cy * cols + cx;
                let (s, e) = (cs[c] as usize, cs[c + 1] as usize);
                if s == e {
                    continue;
                }
                for ia in s..e {
                    let a = items[ia];
                    for &b in &items[ia + 1..e] {
                        f(a, b);
                    }
                }
                let mut other = |c2: usize| {
                    let (s2, e2) = (cs[c2] as usize, cs[c2 + 1] as usize);
                    if s2 == e2 {
                        return;
                    }
                    for &a in &items[s..e] {
                        for &b in &items[s2..e2] {
                            f(a, b);
                        }
                    }
                };
                if cx + 1 < cols {
                    other(c + 1);
                }
                if cy + 1 < rows {
                    let c2 = c + cols;
                    if cx > 0 {
                        other(c2 - 1);
                    }
                    other(c2);
                    if cx + 1 < cols {
                        other(c2 + 1);
                    }
                }
            }
        }
    }
}

/// Cell range (x0, x1, y0, y1), inclusive, covering an AABB, in a `cols` x `rows` grid of
/// cells of size `1 / inv` (clamped to the grid).
#[inline]
fn cell_range(x0: f32, y0: f32, x1: f32, y1: f32, inv: f32, cols: u32, rows: u32) -> (u32, u32, u32, u32) {
    (cell_coord(x0, inv, cols), cell_coord(x1, inv, cols), cell_coord(y0, inv, rows), cell_coord(y1, inv, rows))
}

#[inline]
fn cell_coord(v: f32, inv: f32, n: u32) -> u32 {
    let c = v * inv;
    if c >= 0.0 {
        (c as u32).min(n - 1) // `as` saturates, NaN -> 0
    } else {
        0
    }
}

#[derive(Clone, Copy)]
struct StaticItem {
    body: u32,
    cx0: u16,
    cy0: u16,
}

/// Coarse grid (at most 64x64 cells) holding static boxes and sensors by their AABB.
#[derive(Default)]
pub struct StaticGrid {
    inv: f32,
    cols: u32,
    rows: u32,
    cell_start: Vec<u32>,
    items: Vec<StaticItem>,
    pub count: usize,
}

/// AABB of a static body (box: half extents, sensor: radius in both).
#[inline]
pub fn static_aabb(pos: &[f32], size: &[f32], i: usize) -> (f32, f32, f32, f32) {
    let (x, y, hx, hy) = (pos[2 * i], pos[2 * i + 1], size[2 * i], size[2 * i + 1]);
    (x - hx, y - hy, x + hx, y + hy)
}

impl StaticGrid {
    pub fn build(&mut self, w: f32, h: f32, pos: &[f32], size: &[f32], statics: &[u32]) {
        let cell = (w.dmax(h) / 64.0).dmax(1.0e-3);
        self.inv = 1.0 / cell;
        self.cols = ((w * self.inv).ceil() as u32).clamp(1, 64);
        self.rows = ((h * self.inv).ceil() as u32).clamp(1, 64);
        let cells = (self.cols * self.rows) as usize;
        self.cell_start.clear();
        self.cell_start.resize(cells + 1, 0);
        self.count = statics.len();
        let (cols, rows, inv) = (self.cols, self.rows, self.inv);
        for &s in statics {
            let (x0, y0, x1, y1) = static_aabb(pos, size, s as usize);
            let (a, b, c, d) = cell_range(x0, y0, x1, y1, inv, cols, rows);
            for cy in c..=d {
                for cx in a..=b {
                    self.cell_start[(cy * cols + cx) as usize + 1] += 1;
                }
            }
        }
        for c in 0..cells {
            self.cell_start[c + 1] += self.cell_start[c];
        }
        let total = self.cell_start[cells] as usize;
        self.items.clear();
        self.items.resize(total, StaticItem { body: 0, cx0: 0, cy0: 0 });
        let mut cursor: Vec<u32> = self.cell_start[..cells].to_vec();
        for &s in statics {
            let (x0, y0, x1, y1) = static_aabb(pos, size, s as usize);
            let (a, b, c, d) = cell_range(x0, y0, x1, y1, inv, cols, rows);
            for cy in c..=d {
                for cx in a..=b {
                    let cell = (cy * cols + cx) as usize;
                    self.items[cursor[cell] as usize] = StaticItem { body: s, cx0: a as u16, cy0: c as u16 };
                    cursor[cell] += 1;
                }
            }
        }
    }

    /// Calls `f(static_index)` once per static body whose cells overlap the AABB.
    #[inline]
    pub fn query<F: FnMut(u32)>(&self, x0: f32, y0: f32, x1: f32, y1: f32, mut f: F) {
        if self.count == 0 {
            return;
        }
        let cols = self.cols;
        let (a, b, c, d) = cell_range(x0, y0, x1, y1, self.inv, cols, self.rows);
        for cy in c..=d {
            for cx in a..=b {
                let cell = (cy * cols + cx) as usize;
                let (s, e) = (self.cell_start[cell] as usize, self.cell_start[cell + 1] as usize);
                for it in &self.items[s..e] {
                    // report each pair once: in the cell holding the max of both min corners
                    if cx == a.max(it.cx0 as u32) && cy == c.max(it.cy0 as u32) {
                        f(it.body);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_against_brute_force(radii: &[f32], w: f32, h: f32, seed: u32) {
        let mut rng = crate::rng::Pcg32::new(seed);
        let n = radii.len();
        let mut pos = Vec::new();
        let mut size = Vec::new();
        for &r in radii {
            pos.push(rng.next_f64() as f32 * w);
            pos.push(rng.next_f64() as f32 * h);
            size.push(r);
            size.push(r);
        }
        let close = |a: usize, b: usize| {
            let dx = pos[2 * a] - pos[2 * b];
            let dy = pos[2 * a + 1] - pos[2 * b + 1];
            let rs = (size[2 * a] + size[2 * b]) * 1.05;
            dx * dx + dy * dy < rs * rs
        };
        let dyns: Vec<u32> = (0..n as u32).collect();
        let mut g = DynGrid::default();
        g.build(w, h, &pos, &size, &dyns);
        let mut found = Vec::new();
        let mut candidates = 0usize;
        g.for_each_candidate(&pos, &size, |a, b| {
            candidates += 1;
            let (a, b) = (a as usize, b as usize);
            if close(a, b) {
                found.push((a.min(b), a.max(b)));
            }
        });
        found.sort();
        let len = found.len();
        found.dedup();
        assert_eq!(len, found.len(), "pair reported twice");
        let mut brute = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                if close(a, b) {
                    brute.push((a, b));
                }
            }
        }
        assert!(!brute.is_empty());
        assert_eq!(found, brute);
        assert!(candidates < n * n / 20, "broadphase degenerated: {candidates} candidates for {n} bodies");
    }

    #[test]
    fn grid_finds_all_close_pairs() {
        let radii = vec![4.0f32; 500];
        check_against_brute_force(&radii, 300.0, 200.0, 3);
        let mixed: Vec<f32> = (0..800).map(|i| 1.0 + (i % 7) as f32 * 0.5).collect();
        check_against_brute_force(&mixed, 400.0, 300.0, 4);
    }

    #[test]
    fn a_few_huge_bodies_do_not_degenerate_the_grid() {
        let mut radii = vec![2.0f32; 2000];
        radii[5] = 120.0;
        radii[700] = 60.0;
        radii[1999] = 90.0;
        check_against_brute_force(&radii, 1000.0, 800.0, 5);
    }

    #[test]
    fn static_query_reports_once() {
        let pos = vec![50.0, 50.0, 500.0, 10.0];
        let size = vec![40.0, 40.0, 500.0, 5.0];
        let mut g = StaticGrid::default();
        g.build(1000.0, 1000.0, &pos, &size, &[0, 1]);
        let mut hits = Vec::new();
        g.query(0.0, 0.0, 200.0, 200.0, |s| hits.push(s));
        hits.sort();
        assert_eq!(hits, vec![0, 1]);
        let mut hits = Vec::new();
        g.query(600.0, 600.0, 700.0, 700.0, |s| hits.push(s));
        assert!(hits.is_empty());
    }
}
