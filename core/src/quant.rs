//! Scalar quantization: 8-bit and 4-bit codes that graph searches traverse instead
//! of the f32 vectors.
//!
//! A search spends most of its time waiting for the vectors of the elements it
//! compares with, each at a random place in memory. A code of one byte (or half a
//! byte) per dimension brings 4× (8×) fewer bytes through the cache; the few best
//! candidates are then re-ranked with their exact vectors, so the results keep
//! exact distances.
//!
//! Codes are per dimension: dimension `i` maps the range `[lo_i, lo_i + step_i·L]`
//! (`L` = 255 or 15 levels) learnt from the data onto `0..=L`; values outside are
//! clipped. Distances are *asymmetric*: the query stays in floating point, so only the
//! stored side is rounded. With `x̂_i = lo_i + step_i·c_i`,
//!
//! ```text
//! q·x̂ = Σ q_i lo_i + Σ (q_i step_i) c_i
//! ```
//!
//! and the second sum is an integer dot product of the codes with the query's weights
//! `q_i step_i`, rounded to `i16` at a per-query scale (kernels `dot_sq8`/`dot_sq4` of
//! [`crate::kernels`]). Squared L2 adds `|q|² + |x̂|² - 2 q·x̂`, with `|x̂|²` stored in
//! front of each code.

use crate::error::{Error, Result};

/// How an index stores the vectors its searches traverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quantization {
    /// The vectors themselves (hnswlib's storage).
    #[default]
    None,
    /// One byte per dimension; searches re-rank their best candidates exactly.
    Sq8,
    /// Half a byte per dimension; searches re-rank their best candidates exactly.
    Sq4,
}

impl Quantization {
    /// The mode's name: `"none"`, `"sq8"` or `"sq4"`.
    pub fn name(self) -> &'static str {
        match self {
            Quantization::None => "none",
            Quantization::Sq8 => "sq8",
            Quantization::Sq4 => "sq4",
        }
    }

    /// The mode named `name` (`"none"`, `"sq8"`, `"sq4"`; `""` means `"none"`).
    pub fn by_name(name: &str) -> Result<Self> {
        match name {
            "" | "none" => Ok(Quantization::None),
            "sq8" => Ok(Quantization::Sq8),
            "sq4" => Ok(Quantization::Sq4),
            _ => Err(Error::invalid(format!(
                "unknown quantization {name:?}: use \"none\", \"sq8\" or \"sq4\""
            ))),
        }
    }

    /// The default re-ranking depth (candidates re-scored = this × k), measured on
    /// GloVe 50-d and 768-d embeddings: with 8-bit codes 2 × k reaches the recall of
    /// the whole candidate list; 4-bit codes need more (4 × k reaches it on 768-d,
    /// not on 50-d, where 8-bit codes suit better).
    pub fn default_rerank(self) -> f32 {
        match self {
            Quantization::Sq4 => 4.0,
            _ => 2.0,
        }
    }

    /// Whether searches traverse codes rather than the vectors.
    pub fn is_quantized(self) -> bool {
        self != Quantization::None
    }

    /// The largest code.
    fn levels(self) -> f32 {
        match self {
            Quantization::Sq4 => 15.0,
            _ => 255.0,
        }
    }

    /// Code count of a `dim`-dimensional vector (dimensions padded with zero codes):
    /// 8-bit codes come in at least one block of 32, 4-bit codes in blocks of 64.
    fn code_count(self, dim: usize) -> usize {
        match self {
            Quantization::Sq4 => dim.next_multiple_of(64),
            _ => dim.max(32),
        }
    }

    /// Bytes of the codes of a `dim`-dimensional vector.
    fn code_bytes(self, dim: usize) -> usize {
        match self {
            Quantization::Sq4 => self.code_count(dim) / 2,
            _ => self.code_count(dim),
        }
    }
}

/// Rows used to learn the ranges: at most this many, spread evenly over the data.
pub(crate) const TRAIN_SAMPLE: usize = 16_384;

/// Learnt per-dimension ranges, and the code layout of one index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScalarQuantizer {
    mode: Quantization,
    dim: usize,
    lo: Vec<f32>,
    step: Vec<f32>,
    /// `1 / step` (0 where the step is 0).
    inv_step: Vec<f32>,
    /// The payload starts with `|x̂|²` as f32 (squared L2 needs it).
    with_norm: bool,
}

/// A query prepared for one quantizer: the distance to a payload is
/// `bias + scale · dot(codes, w) (+ |x̂|² for L2)`.
pub(crate) struct QueryCodes {
    pub w: Vec<i16>,
    pub bias: f32,
    pub scale: f32,
}

impl ScalarQuantizer {
    /// Learns the ranges from `rows` (each `dim` values): per dimension the range of the
    /// values seen, trimmed by the fraction `trim` of outliers on each side.
    pub(crate) fn train<R: AsRef<[f32]>>(
        mode: Quantization,
        dim: usize,
        with_norm: bool,
        trim: f64,
        n: usize,
        rows: impl IntoIterator<Item = R>,
    ) -> Self {
        assert!(mode.is_quantized());
        let mut ranges = RangeTracker::new(dim, n, trim);
        for row in rows {
            ranges.push(row.as_ref());
        }
        let levels = mode.levels();
        let (mut lo, mut step) = (Vec::with_capacity(dim), Vec::with_capacity(dim));
        for d in 0..dim {
            let (a, b) = ranges.range(d);
            lo.push(a);
            step.push(if b > a { (b - a) / levels } else { 0.0 });
        }
        Self::from_ranges(mode, with_norm, lo, step)
    }

    /// The quantizer of these ranges: dimension `d` codes `lo[d] + c · step[d]`.
    /// The caller checks them (finite, steps not negative, one per dimension).
    pub(crate) fn from_ranges(
        mode: Quantization,
        with_norm: bool,
        lo: Vec<f32>,
        step: Vec<f32>,
    ) -> Self {
        debug_assert_eq!(lo.len(), step.len());
        let inv_step = step
            .iter()
            .map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 })
            .collect();
        ScalarQuantizer {
            mode,
            dim: lo.len(),
            lo,
            step,
            inv_step,
            with_norm,
        }
    }

    /// The ranges: per dimension the lowest value and the step between codes.
    pub(crate) fn ranges(&self) -> (&[f32], &[f32]) {
        (&self.lo, &self.step)
    }

    /// The mode.
    pub(crate) fn mode(&self) -> Quantization {
        self.mode
    }

    /// Bytes of one element's payload: `|x̂|²` (L2 only), then the codes.
    pub(crate) fn payload_size(mode: Quantization, dim: usize, with_norm: bool) -> usize {
        4 * with_norm as usize + mode.code_bytes(dim)
    }

    fn codes_offset(&self) -> usize {
        4 * self.with_norm as usize
    }

    /// Writes the payload of vector `v` into `out` (payload_size bytes).
    pub(crate) fn encode(&self, v: &[f32], out: &mut [u8]) {
        debug_assert_eq!(v.len(), self.dim);
        let levels = self.mode.levels();
        let codes = &mut out[self.codes_offset()..];
        codes.fill(0);
        // Rounds by adding a half and truncating (the value is clamped non-negative
        // first), which vectorises where `round` is a library call.
        let code = |x: f32, lo: f32, inv: f32| {
            (((x - lo) * inv).clamp(0.0, levels) + 0.5).min(levels) as u8
        };
        let dims = v.iter().zip(&self.lo).zip(&self.inv_step);
        if self.mode == Quantization::Sq4 {
            for (i, ((&x, &lo), &inv)) in dims.enumerate() {
                let (block, j) = (i / 64, i % 64);
                let c = code(x, lo, inv);
                codes[32 * block + j % 32] |= if j < 32 { c } else { c << 4 };
            }
        } else {
            for (slot, ((&x, &lo), &inv)) in codes.iter_mut().zip(dims) {
                *slot = code(x, lo, inv);
            }
        }
        if self.with_norm {
            // |x̂|² of the decoded vector, in eight running sums so it vectorises.
            let mut sums = [0.0f32; 8];
            for i in 0..self.dim {
                let decoded = self.lo[i] + self.step[i] * self.get(codes, i) as f32;
                sums[i % 8] += decoded * decoded;
            }
            let norm: f32 = sums.iter().sum();
            out[..4].copy_from_slice(&norm.to_ne_bytes());
        }
    }

    fn get(&self, codes: &[u8], i: usize) -> u8 {
        match self.mode {
            Quantization::Sq4 => {
                let (block, j) = (i / 64, i % 64);
                let byte = codes[32 * block + j % 32];
                if j < 32 {
                    byte & 0x0F
                } else {
                    byte >> 4
                }
            }
            _ => codes[i],
        }
    }

    /// The vector a payload stands for (`x̂`), into `out` (`dim` values).
    pub(crate) fn decode(&self, payload: &[u8], out: &mut [f32]) {
        let codes = &payload[self.codes_offset()..];
        for (i, o) in out.iter_mut().enumerate().take(self.dim) {
            *o = self.lo[i] + self.step[i] * self.get(codes, i) as f32;
        }
    }

    /// The weights and constants of query `q` (`dim` values, prepared as the space
    /// stores vectors). `l2` selects squared L2, otherwise `1 - dot`.
    pub(crate) fn prepare(&self, q: &[f32], l2: bool) -> QueryCodes {
        let w: Vec<f32> = q.iter().zip(&self.step).map(|(a, s)| a * s).collect();
        let dot_lo: f32 = q.iter().zip(&self.lo).map(|(a, l)| a * l).sum();
        let max_abs = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let sum_abs: f64 = w.iter().map(|x| x.abs() as f64).sum();
        // The largest scale that keeps every weight in i16 and every sum of code·weight
        // products inside i32 (codes are at most `levels`).
        let scale = if max_abs > 0.0 {
            let by_i16 = 32767.0 / max_abs as f64;
            let by_i32 = (i32::MAX as f64 - 1.0) / (self.mode.levels() as f64 * sum_abs);
            by_i16.min(by_i32) as f32
        } else {
            1.0
        };
        let n = self.mode.code_count(self.dim);
        let weight = |i: usize| -> i16 {
            if i < self.dim {
                (w[i] * scale).round() as i16
            } else {
                0
            }
        };
        let ws = match self.mode {
            Quantization::Sq4 => (0..n).map(weight).collect(),
            _ => {
                // Blocks of 32; a last partial block becomes a block over the last 32
                // codes whose weights for codes already counted are zero.
                let full = n / 32 * 32;
                let mut ws: Vec<i16> = (0..full).map(weight).collect();
                if full < n {
                    ws.extend((n - 32..n).map(|i| if i < full { 0 } else { weight(i) }));
                }
                ws
            }
        };
        let inv = 1.0 / scale;
        if l2 {
            let qq: f32 = q.iter().map(|x| x * x).sum();
            QueryCodes {
                w: ws,
                bias: qq - 2.0 * dot_lo,
                scale: -2.0 * inv,
            }
        } else {
            QueryCodes {
                w: ws,
                bias: 1.0 - dot_lo,
                scale: -inv,
            }
        }
    }

    /// The distance of the vectors two payloads stand for (squared L2 when the
    /// payloads carry norms, else `1 - dot`), computed from their codes.
    // Inlined into the scorers, which are compiled per instruction set: out of line
    // it would be built for the baseline target only.
    #[inline(always)]
    pub(crate) fn between(&self, a: &[u8], b: &[u8]) -> f32 {
        let (ca, cb) = (&a[self.codes_offset()..], &b[self.codes_offset()..]);
        // Blocks of 64 dimensions (one 4-bit block) unpacked to floats, summed in 16
        // lanes: codes-only construction calls this for every pair its neighbour
        // selection compares, so it must vectorise.
        let mut acc = [0.0f32; LANES];
        let (mut xa, mut xb) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
        for base in (0..self.dim).step_by(BLOCK) {
            let m = (self.dim - base).min(BLOCK);
            self.unpack(ca, base, &mut xa);
            self.unpack(cb, base, &mut xb);
            let (lo, step) = (&self.lo[base..base + m], &self.step[base..base + m]);
            if self.with_norm {
                lanes(&mut acc, m, |j| {
                    let d = step[j] * (xa[j] - xb[j]);
                    d * d
                });
            } else {
                lanes(&mut acc, m, |j| {
                    (lo[j] + step[j] * xa[j]) * (lo[j] + step[j] * xb[j])
                });
            }
        }
        let s: f32 = acc.iter().sum();
        if self.with_norm {
            s
        } else {
            1.0 - s
        }
    }

    /// The codes of dimensions `base..base + 64` as floats (`base` a multiple of 64;
    /// entries past the vector's end are padding).
    #[inline(always)]
    fn unpack(&self, codes: &[u8], base: usize, out: &mut [f32; BLOCK]) {
        match self.mode {
            Quantization::Sq4 => {
                let bytes = &codes[base / 2..][..BLOCK / 2];
                let (low, high) = out.split_at_mut(BLOCK / 2);
                for ((l, h), &byte) in low.iter_mut().zip(high).zip(bytes) {
                    *l = (byte & 0x0F) as f32;
                    *h = (byte >> 4) as f32;
                }
            }
            _ => {
                let m = (codes.len() - base).min(BLOCK);
                for (o, &c) in out.iter_mut().zip(&codes[base..base + m]) {
                    *o = c as f32;
                }
            }
        }
    }

    /// Code count the kernels see (the `n` of [`crate::kernels::CodeFn`]).
    pub(crate) fn code_count(&self) -> usize {
        self.mode.code_count(self.dim)
    }

    /// Whether the payload starts with `|x̂|²`.
    pub(crate) fn with_norm(&self) -> bool {
        self.with_norm
    }

    /// Byte offset of the codes inside the payload.
    pub(crate) fn codes_at(&self) -> usize {
        self.codes_offset()
    }
}

/// Dimensions unpacked at a time by [`ScalarQuantizer::between`] (a 4-bit block).
const BLOCK: usize = 64;
/// Independent partial sums, so that the sum vectorises.
const LANES: usize = 16;

/// Adds `term(j)` for `j < m` into the lanes of `acc`.
#[inline(always)]
fn lanes(acc: &mut [f32; LANES], m: usize, term: impl Fn(usize) -> f32) {
    let full = m - m % LANES;
    for c in (0..full).step_by(LANES) {
        for (j, a) in acc.iter_mut().enumerate() {
            *a += term(c + j);
        }
    }
    for j in full..m {
        acc[j - full] += term(j);
    }
}

/// Each dimension's range over rows seen once, without keeping them: with `trim`,
/// the `k`-th smallest and largest values (`k = round((n - 1) · trim)`, 0-based, as a
/// selection over the whole column would find), else the minimum and maximum. Holds
/// the `k + 1` extreme values of each side per dimension, so memory does not grow with
/// the sample (a 16k × 768 sample would otherwise be copied twice: 100 MB).
struct RangeTracker {
    dim: usize,
    keep: usize,
    /// Per dimension, the `keep` smallest values seen, ascending (+inf where unfilled).
    low: Vec<f32>,
    /// Per dimension, the `keep` largest values seen, descending (-inf where unfilled).
    high: Vec<f32>,
    seen: usize,
}

impl RangeTracker {
    fn new(dim: usize, n: usize, trim: f64) -> Self {
        let keep = (n.saturating_sub(1) as f64 * trim).round() as usize + 1;
        RangeTracker {
            dim,
            keep,
            low: vec![f32::INFINITY; dim * keep],
            high: vec![f32::NEG_INFINITY; dim * keep],
            seen: 0,
        }
    }

    fn push(&mut self, row: &[f32]) {
        debug_assert_eq!(row.len(), self.dim);
        let keep = self.keep;
        if keep == 1 {
            // The common case (8-bit codes): a plain, vectorisable min and max.
            for ((lo, hi), &x) in self.low.iter_mut().zip(&mut self.high).zip(row) {
                *lo = lo.min(x);
                *hi = hi.max(x);
            }
        } else {
            for (d, &x) in row.iter().enumerate() {
                let lo = &mut self.low[d * keep..][..keep];
                if x < lo[keep - 1] {
                    let at = lo.partition_point(|&v| v <= x);
                    lo.copy_within(at..keep - 1, at + 1);
                    lo[at] = x;
                }
                let hi = &mut self.high[d * keep..][..keep];
                if x > hi[keep - 1] {
                    let at = hi.partition_point(|&v| v >= x);
                    hi.copy_within(at..keep - 1, at + 1);
                    hi[at] = x;
                }
            }
        }
        self.seen += 1;
    }

    /// The range of dimension `d`; (0, 0) before any row.
    fn range(&self, d: usize) -> (f32, f32) {
        if self.seen == 0 {
            return (0.0, 0.0);
        }
        // Fewer rows than announced (a sample cut short): the k-th value among those seen.
        let k = self.keep.min(self.seen) - 1;
        (self.low[d * self.keep + k], self.high[d * self.keep + k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels;

    fn rows(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n * dim)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
            })
            .collect()
    }

    #[test]
    fn names_round_trip_and_bad_names_are_errors() {
        for q in [Quantization::None, Quantization::Sq8, Quantization::Sq4] {
            assert_eq!(Quantization::by_name(q.name()).unwrap(), q);
        }
        let e = Quantization::by_name("pq16").unwrap_err().to_string();
        assert!(e.contains("sq8"), "{e}");
    }

    /// Encoding then decoding lands within half a step of every in-range value, and
    /// the kernel distance equals the float distance to the decoded vector.
    #[test]
    fn codes_decode_close_and_kernels_match_decoded_distances() {
        for mode in [Quantization::Sq8, Quantization::Sq4] {
            for dim in [1, 7, 31, 32, 50, 64, 65, 100, 128, 200] {
                for l2 in [false, true] {
                    let data = rows(300, dim, dim as u64);
                    let q = ScalarQuantizer::train(mode, dim, l2, 0.0, 300, data.chunks_exact(dim));
                    let size = ScalarQuantizer::payload_size(mode, dim, l2);
                    let query = &rows(1, dim, 99)[..];
                    let prepared = q.prepare(query, l2);
                    let mut prev: Option<(Vec<u8>, Vec<f32>)> = None;
                    for v in data.chunks_exact(dim).take(40) {
                        let mut payload = vec![0u8; size];
                        q.encode(v, &mut payload);
                        let mut back = vec![0f32; dim];
                        q.decode(&payload, &mut back);
                        // Code-to-code distances are those of the decoded vectors.
                        if let Some((p, b)) = prev.replace((payload.clone(), back.clone())) {
                            let decoded: f32 = if l2 {
                                b.iter().zip(&back).map(|(x, y)| (x - y) * (x - y)).sum()
                            } else {
                                1.0 - b.iter().zip(&back).map(|(x, y)| x * y).sum::<f32>()
                            };
                            let between = q.between(&p, &payload);
                            assert!(
                                (between - decoded).abs() <= 1e-4 * (1.0 + decoded.abs()),
                                "{mode:?} dim {dim} l2 {l2}: between {between} vs {decoded}"
                            );
                        }
                        for i in 0..dim {
                            assert!(
                                (back[i] - v[i]).abs() <= q.step[i] * 0.5 + 1e-5,
                                "{mode:?} dim {dim}: {} vs {}",
                                back[i],
                                v[i]
                            );
                        }
                        let exact: f32 = if l2 {
                            query
                                .iter()
                                .zip(&back)
                                .map(|(a, b)| (a - b) * (a - b))
                                .sum()
                        } else {
                            1.0 - query.iter().zip(&back).map(|(a, b)| a * b).sum::<f32>()
                        };
                        for k in kernels::available() {
                            let f = if mode == Quantization::Sq4 {
                                k.dot_sq4
                            } else {
                                k.dot_sq8
                            };
                            // SAFETY: the payload holds the codes and `w` the weights
                            // of code_count() codes in the kernels' layout.
                            let dot = unsafe {
                                f(
                                    payload[q.codes_at()..].as_ptr(),
                                    prepared.w.as_ptr(),
                                    q.code_count(),
                                )
                            };
                            let norm = if l2 {
                                f32::from_ne_bytes(payload[..4].try_into().unwrap())
                            } else {
                                0.0
                            };
                            let approx = prepared.bias + prepared.scale * dot as f32 + norm;
                            let tol = 2e-3 * (1.0 + exact.abs());
                            assert!(
                                (approx - exact).abs() <= tol,
                                "{mode:?} {} dim {dim} l2 {l2}: {approx} vs {exact}",
                                k.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn out_of_range_values_clip_and_constant_dimensions_work() {
        let data = [0.0f32, 5.0, 1.0, 5.0, 2.0, 5.0];
        let q = ScalarQuantizer::train(
            Quantization::Sq8,
            2,
            true,
            0.0,
            data.len() / 2,
            data.chunks_exact(2),
        );
        let mut p = vec![0u8; ScalarQuantizer::payload_size(Quantization::Sq8, 2, true)];
        q.encode(&[10.0, 7.0], &mut p);
        let mut back = [0f32; 2];
        q.decode(&p, &mut back);
        assert_eq!(back, [2.0, 5.0]);
        q.encode(&[-3.0, 5.0], &mut p);
        q.decode(&p, &mut back);
        assert_eq!(back, [0.0, 5.0]);
    }

    /// The ranges of one column streamed through a tracker.
    fn column_range(c: &[f32], trim: f64) -> (f32, f32) {
        let mut t = RangeTracker::new(1, c.len(), trim);
        for x in c {
            t.push(std::slice::from_ref(x));
        }
        t.range(0)
    }

    #[test]
    fn trimmed_ranges_ignore_outliers() {
        let mut c: Vec<f32> = (0..1001).map(|i| i as f32).collect();
        c[17] = 1e9;
        assert_eq!(column_range(&c, 0.0), (0.0, 1e9));
        let (lo, hi) = column_range(&c, 0.01);
        assert_eq!(lo, 10.0);
        assert!(hi < 1001.0);
    }

    #[test]
    fn streamed_ranges_are_the_order_statistics_of_the_column() {
        let data = rows(5000, 3, 17);
        for trim in [0.0, 0.001, 0.01, 0.1] {
            let mut t = RangeTracker::new(3, 5000, trim);
            for r in data.chunks_exact(3) {
                t.push(r);
            }
            let k = (4999.0 * trim).round() as usize;
            for d in 0..3 {
                let mut c: Vec<f32> = data.iter().skip(d).step_by(3).copied().collect();
                c.sort_by(f32::total_cmp);
                assert_eq!(t.range(d), (c[k], c[4999 - k]), "trim {trim} dim {d}");
            }
        }
        assert_eq!(RangeTracker::new(2, 10, 0.1).range(1), (0.0, 0.0));
    }
}
