//! Every kernel table this CPU runs, checked against the scalar reference and an f64
//! sum: all lengths 1..=300 (so every residual length of every vector width), shifted
//! start addresses, exact cases (one-hot vectors, small integers, u8 extremes) and
//! poisoned neighbours that a kernel reading past its vectors would pick up.
//!
//! A read past the end is undefined behaviour that a native run cannot reliably see.
//! Miri can: it emulates the x86 intrinsics, reports every access outside an
//! allocation (masked-off lanes of masked loads are not accesses), and its feature
//! detection follows the compile flags, so it also runs the AVX-512 table on a CPU
//! without AVX-512:
//!
//! ```text
//! RUSTFLAGS="-C target-feature=+avx2,+fma,+avx512f,+avx512bw" \
//!     cargo +nightly miri test -p hnswlib-core --test kernels
//! ```
//!
//! Under Miri only the exact-size-allocation test and the cheap ones run (a few
//! minutes); the others are ignored there.

use hnswlib_core::kernels::{self, Kernels};

const MAX_DIM: usize = 300;

/// xorshift64*: a tiny deterministic generator, good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
    fn u8(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The tables under test, printed so a log shows what was covered.
fn tables() -> Vec<&'static Kernels> {
    let t = kernels::available();
    let names: Vec<&str> = t.iter().map(|k| k.name).collect();
    eprintln!(
        "kernel tables tested: {names:?} (best: {})",
        kernels::best().name
    );
    t
}

fn l2(k: &Kernels, a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    // SAFETY: both slices hold a.len() f32 and the table comes from available().
    unsafe { (k.l2_f32)(a.as_ptr(), b.as_ptr(), a.len()) }
}

fn dot(k: &Kernels, a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    // SAFETY: as in l2().
    unsafe { (k.dot_f32)(a.as_ptr(), b.as_ptr(), a.len()) }
}

fn l2u8(k: &Kernels, a: &[u8], b: &[u8]) -> u32 {
    assert_eq!(a.len(), b.len());
    // SAFETY: as in l2().
    unsafe { (k.l2_u8)(a.as_ptr(), b.as_ptr(), a.len()) }
}

/// Exact sum of the terms (in f64, exact for these f32 inputs up to one rounding of
/// 2⁻⁵³ relative per term) and Σ|term|, for the error bound.
fn exact(a: &[f32], b: &[f32], l2: bool) -> (f64, f64) {
    let mut s = 0.0f64;
    let mut s_abs = 0.0f64;
    for (&x, &y) in a.iter().zip(b) {
        let t = if l2 {
            let d = x as f64 - y as f64;
            d * d
        } else {
            x as f64 * y as f64
        };
        s += t;
        s_abs += t.abs();
    }
    (s, s_abs)
}

/// Bound on |computed - exact| for any f32 evaluation of Σ t_i that rounds each
/// difference, product and partial sum once (in any order or tree, with or without
/// fused multiply-add): with u = 2⁻²⁴, the n-1 additions on any path contribute at
/// most γ_{n-1}·Σ|t_i| and the difference and product roundings at most 3u·Σ|t_i|,
/// so γ_{n+2}·Σ|t_i| covers it (γ_k = k·u / (1 - k·u)).
fn bound(n: usize, sum_abs: f64) -> f64 {
    let u = f64::from(f32::EPSILON) / 2.0;
    let k = (n + 2) as f64;
    k * u / (1.0 - k * u) * sum_abs
}

/// Checks one kernel result and the scalar one against the exact sum.
#[allow(clippy::too_many_arguments)]
fn check_f32(name: &str, what: &str, n: usize, got: f32, reference: f32, exact: (f64, f64)) {
    let (s, s_abs) = exact;
    let tol = bound(n, s_abs);
    let err = (got as f64 - s).abs();
    assert!(
        err <= tol,
        "{name} {what} n={n}: {got} vs exact {s} (error {err:e} > bound {tol:e})"
    );
    // Both are within tol of the exact sum, so within 2·tol of each other.
    let diff = (got as f64 - reference as f64).abs();
    assert!(
        diff <= 2.0 * tol,
        "{name} {what} n={n}: {got} vs scalar {reference} (difference {diff:e} > {:e})",
        2.0 * tol
    );
}

#[test]
fn simd_tables_are_detected() {
    let t = tables();
    let names: Vec<&str> = t.iter().map(|k| k.name).collect();
    assert_eq!(*names.last().unwrap(), "scalar", "scalar must come last");
    assert_eq!(
        kernels::best().name,
        names[0],
        "best() must be available()[0]"
    );
    for k in &t {
        assert_eq!(kernels::by_name(k.name).map(|x| x.name), Some(k.name));
    }
    assert!(kernels::by_name("no-such-table").is_none());
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            assert!(
                names.contains(&"avx2"),
                "CPU has AVX2+FMA but got {names:?}"
            );
        } else {
            assert!(!names.contains(&"avx2"));
        }
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
            assert_eq!(names[0], "avx512", "CPU has AVX-512F+BW but got {names:?}");
        } else {
            assert!(!names.contains(&"avx512"));
            eprintln!("note: this CPU has no AVX-512F+BW; the avx512 table was not run");
        }
    }
    #[cfg(target_arch = "aarch64")]
    assert_eq!(names[0], "neon");
}

/// Random vectors of every length 1..=300, at every start offset 0..16 (so every
/// alignment to 64 bytes), against the exact sum and the scalar reference.
#[test]
#[cfg_attr(miri, ignore)]
fn f32_random_all_lengths_and_offsets() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(1);
    let pool_a: Vec<f32> = (0..MAX_DIM + 16).map(|_| rng.f32()).collect();
    let pool_b: Vec<f32> = (0..MAX_DIM + 16).map(|_| rng.f32() * 2.0).collect();
    for k in tables() {
        for n in 1..=MAX_DIM {
            for off in 0..16 {
                let off_b = (off * 7 + n) % 16;
                let a = &pool_a[off..off + n];
                let b = &pool_b[off_b..off_b + n];
                check_f32(
                    k.name,
                    "l2_f32",
                    n,
                    l2(k, a, b),
                    l2(scalar, a, b),
                    exact(a, b, true),
                );
                check_f32(
                    k.name,
                    "dot_f32",
                    n,
                    dot(k, a, b),
                    dot(scalar, a, b),
                    exact(a, b, false),
                );
            }
        }
    }
}

/// Several independent random draws per length, with magnitudes spread over many
/// binades, for the rounding bound.
#[test]
#[cfg_attr(miri, ignore)]
fn f32_random_wide_range() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(2);
    for k in tables() {
        for n in 1..=MAX_DIM {
            for _ in 0..4 {
                let scale = |r: &mut Rng| (2.0f32).powi(r.below(21) as i32 - 10);
                let a: Vec<f32> = (0..n).map(|_| rng.f32() * scale(&mut rng)).collect();
                let b: Vec<f32> = (0..n).map(|_| rng.f32() * scale(&mut rng)).collect();
                check_f32(
                    k.name,
                    "l2_f32",
                    n,
                    l2(k, &a, &b),
                    l2(scalar, &a, &b),
                    exact(&a, &b, true),
                );
                check_f32(
                    k.name,
                    "dot_f32",
                    n,
                    dot(k, &a, &b),
                    dot(scalar, &a, &b),
                    exact(&a, &b, false),
                );
            }
        }
    }
}

/// Small integers: every partial sum is an integer below 2²⁴, so any summation order
/// is exact and every table must equal the scalar result bit for bit.
#[test]
#[cfg_attr(miri, ignore)]
fn f32_small_integers_are_exact() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(3);
    for k in tables() {
        for n in 1..=MAX_DIM {
            let a: Vec<f32> = (0..n).map(|_| rng.below(17) as f32 - 8.0).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.below(17) as f32 - 8.0).collect();
            assert_eq!(l2(k, &a, &b), l2(scalar, &a, &b), "{} l2_f32 n={n}", k.name);
            assert_eq!(
                dot(k, &a, &b),
                dot(scalar, &a, &b),
                "{} dot_f32 n={n}",
                k.name
            );
        }
    }
}

/// One non-zero element at every position of every length: the result is that one
/// term exactly, so a skipped, repeated or misplaced element shows.
#[test]
#[cfg_attr(miri, ignore)]
fn f32_one_hot_every_position() {
    for k in tables() {
        for n in 1..=MAX_DIM {
            let mut a = vec![0.0f32; n];
            let mut b = vec![0.0f32; n];
            for p in 0..n {
                a[p] = 3.0 + p as f32;
                b[p] = -2.0;
                let d = a[p] + 2.0;
                assert_eq!(l2(k, &a, &b), d * d, "{} l2_f32 n={n} p={p}", k.name);
                assert_eq!(
                    dot(k, &a, &b),
                    -2.0 * a[p],
                    "{} dot_f32 n={n} p={p}",
                    k.name
                );
                a[p] = 0.0;
                b[p] = 0.0;
            }
        }
    }
}

/// The vectors sit between NaN (f32) or extreme (u8) neighbours: a kernel whose
/// result used anything outside its n elements would show it.
#[test]
#[cfg_attr(miri, ignore)]
fn neighbours_are_never_used() {
    const PAD: usize = 64;
    let mut rng = Rng::new(4);
    for k in tables() {
        for n in 1..=MAX_DIM {
            let mut a = vec![f32::NAN; n + 2 * PAD];
            let mut b = vec![f32::NAN; n + 2 * PAD];
            for i in PAD..PAD + n {
                a[i] = rng.f32();
                b[i] = rng.f32();
            }
            let (a, b) = (&a[PAD..PAD + n], &b[PAD..PAD + n]);
            assert!(
                !l2(k, a, b).is_nan(),
                "{} l2_f32 n={n} used a neighbour",
                k.name
            );
            assert!(
                !dot(k, a, b).is_nan(),
                "{} dot_f32 n={n} used a neighbour",
                k.name
            );

            let mut a = vec![255u8; n + 2 * PAD];
            let mut b = vec![0u8; n + 2 * PAD];
            for i in PAD..PAD + n {
                let v = rng.u8();
                a[i] = v;
                b[i] = v;
            }
            let (a, b) = (&a[PAD..PAD + n], &b[PAD..PAD + n]);
            assert_eq!(l2u8(k, a, b), 0, "{} l2_u8 n={n} used a neighbour", k.name);
        }
    }
}

/// u8: exact equality with the scalar reference for random data at every byte offset
/// 0..64, and for the extremes.
#[test]
#[cfg_attr(miri, ignore)]
fn u8_exact_all_lengths_offsets_and_extremes() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(5);
    let pool_a: Vec<u8> = (0..MAX_DIM + 64).map(|_| rng.u8()).collect();
    let pool_b: Vec<u8> = (0..MAX_DIM + 64).map(|_| rng.u8()).collect();
    for k in tables() {
        for n in 1..=MAX_DIM {
            for off in 0..64 {
                let off_b = (off * 13 + n) % 64;
                let (a, b) = (&pool_a[off..off + n], &pool_b[off_b..off_b + n]);
                assert_eq!(
                    l2u8(k, a, b),
                    l2u8(scalar, a, b),
                    "{} l2_u8 n={n} offsets {off},{off_b}",
                    k.name
                );
            }
            let zeros = vec![0u8; n + 1];
            let full = vec![255u8; n + 1];
            let expect = 65025 * n as u32;
            assert_eq!(
                l2u8(k, &zeros[..n], &full[..n]),
                expect,
                "{} 0 vs 255 n={n}",
                k.name
            );
            assert_eq!(
                l2u8(k, &full[1..], &zeros[1..]),
                expect,
                "{} 255 vs 0 n={n}",
                k.name
            );
            assert_eq!(
                l2u8(k, &full[..n], &full[1..]),
                0,
                "{} 255 vs 255 n={n}",
                k.name
            );
            // Alternating extremes, so both subtraction directions occur in one vector.
            let alt_a: Vec<u8> = (0..n).map(|i| if i % 2 == 0 { 0 } else { 255 }).collect();
            let alt_b: Vec<u8> = (0..n).map(|i| if i % 3 == 0 { 255 } else { 0 }).collect();
            assert_eq!(
                l2u8(k, &alt_a, &alt_b),
                l2u8(scalar, &alt_a, &alt_b),
                "{} alternating n={n}",
                k.name
            );
        }
    }
}

/// Long u8 vectors whose distance exceeds u32: every table wraps exactly like the
/// reference (Σ modulo 2³²).
#[test]
#[cfg_attr(miri, ignore)]
fn u8_long_vectors_wrap_like_the_reference() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(6);
    for n in [66_051, 66_052, 100_003, (1 << 20) + 37] {
        let zeros = vec![0u8; n];
        let full = vec![255u8; n];
        let expect = (65025u64 * n as u64 % (1u64 << 32)) as u32;
        let ra: Vec<u8> = (0..n).map(|_| rng.u8()).collect();
        let rb: Vec<u8> = (0..n).map(|_| rng.u8()).collect();
        let random_ref = l2u8(scalar, &ra, &rb);
        for k in tables() {
            assert_eq!(l2u8(k, &zeros, &full), expect, "{} n={n}", k.name);
            assert_eq!(l2u8(k, &ra, &rb), random_ref, "{} random n={n}", k.name);
        }
    }
}

/// Long f32 vectors (past every unrolled block size many times over).
#[test]
#[cfg_attr(miri, ignore)]
fn f32_long_vectors() {
    let scalar = kernels::scalar();
    let mut rng = Rng::new(7);
    for n in [960, 1023, 4099, 65_537] {
        let a: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
        for k in tables() {
            check_f32(
                k.name,
                "l2_f32",
                n,
                l2(k, &a, &b),
                l2(scalar, &a, &b),
                exact(&a, &b, true),
            );
            check_f32(
                k.name,
                "dot_f32",
                n,
                dot(k, &a, &b),
                dot(scalar, &a, &b),
                exact(&a, &b, false),
            );
        }
    }
}

/// Each vector in an allocation of exactly n elements, so under Miri any access past
/// the end is reported; natively it is one more random comparison per length.
#[test]
fn exact_size_allocations() {
    let scalar = kernels::scalar();
    let max = if cfg!(miri) { 200 } else { MAX_DIM };
    let mut rng = Rng::new(8);
    for k in tables() {
        for n in 1..=max {
            let a: Box<[f32]> = (0..n).map(|_| rng.f32()).collect();
            let b: Box<[f32]> = (0..n).map(|_| rng.f32()).collect();
            check_f32(
                k.name,
                "l2_f32",
                n,
                l2(k, &a, &b),
                l2(scalar, &a, &b),
                exact(&a, &b, true),
            );
            check_f32(
                k.name,
                "dot_f32",
                n,
                dot(k, &a, &b),
                dot(scalar, &a, &b),
                exact(&a, &b, false),
            );
            let a: Box<[u8]> = (0..n).map(|_| rng.u8()).collect();
            let b: Box<[u8]> = (0..n).map(|_| rng.u8()).collect();
            assert_eq!(
                l2u8(k, &a, &b),
                l2u8(scalar, &a, &b),
                "{} l2_u8 n={n}",
                k.name
            );
        }
    }
}

/// n = 0 is harmless: every kernel returns 0 without reading (dangling pointers).
#[test]
fn zero_length_is_zero() {
    for k in tables() {
        let (pf, pu) = (
            std::ptr::NonNull::<f32>::dangling(),
            std::ptr::NonNull::<u8>::dangling(),
        );
        // SAFETY: n = 0, nothing is read.
        unsafe {
            assert_eq!((k.l2_f32)(pf.as_ptr(), pf.as_ptr(), 0), 0.0, "{}", k.name);
            assert_eq!((k.dot_f32)(pf.as_ptr(), pf.as_ptr(), 0), 0.0, "{}", k.name);
            assert_eq!((k.l2_u8)(pu.as_ptr(), pu.as_ptr(), 0), 0, "{}", k.name);
        }
    }
}

/// The physical weight array of [`kernels::CodeFn`] for 8-bit codes from one weight
/// per code: blocks of 32, then a block over the last 32 codes with zeros where the
/// full blocks already counted.
fn sq8_weights(logical: &[i16]) -> Vec<i16> {
    let n = logical.len();
    let full = n / 32 * 32;
    let mut w = logical[..full].to_vec();
    if full < n {
        w.extend((n - 32..n).map(|i| if i < full { 0 } else { logical[i] }));
    }
    w
}

/// 8-bit code kernels: exactly Σ c_i w_i (computed in i64) for every length from 32
/// to MAX_DIM, at every byte offset of the codes, with random and extreme values.
#[test]
#[cfg_attr(miri, ignore)]
fn sq8_code_kernels_are_exact() {
    let mut rng = Rng::new(8);
    let pool: Vec<u8> = (0..MAX_DIM + 64).map(|_| rng.u8()).collect();
    for k in tables() {
        for n in 32..=MAX_DIM {
            // |w| small enough that 255·Σ|w| stays inside i32 (the contract's bound).
            let bound = (i32::MAX as i64 / (255 * n as i64)).min(32767) as u64;
            let logical: Vec<i16> = (0..n)
                .map(|_| (rng.below(2 * bound + 1) as i64 - bound as i64) as i16)
                .collect();
            let w = sq8_weights(&logical);
            for off in [0, 1, 7, 31, 33, 63] {
                let c = &pool[off..off + n];
                let expect: i64 = c
                    .iter()
                    .zip(&logical)
                    .map(|(&c, &w)| c as i64 * w as i64)
                    .sum();
                // SAFETY: c has n codes and w the weights of the contract's layout.
                let got = unsafe { (k.dot_sq8)(c.as_ptr(), w.as_ptr(), n) };
                assert_eq!(got as i64, expect, "{} dot_sq8 n={n} offset {off}", k.name);
            }
            // Extremes: all codes 255 against the largest weights of either sign.
            let top = vec![255u8; n];
            for sign in [1i64, -1] {
                let logical = vec![(sign * bound as i64) as i16; n];
                let w = sq8_weights(&logical);
                // SAFETY: as above.
                let got = unsafe { (k.dot_sq8)(top.as_ptr(), w.as_ptr(), n) };
                assert_eq!(
                    got as i64,
                    255 * n as i64 * sign * bound as i64,
                    "{} extreme n={n}",
                    k.name
                );
            }
        }
    }
}

/// 4-bit code kernels: exactly Σ c_i w_i with code j of each 64-code block in the low
/// nibble of byte j and code 32 + j in its high nibble.
#[test]
#[cfg_attr(miri, ignore)]
fn sq4_code_kernels_are_exact() {
    let mut rng = Rng::new(9);
    for k in tables() {
        for blocks in 1..=12 {
            let n = 64 * blocks;
            let codes: Vec<u8> = (0..n).map(|_| rng.u8() & 0x0F).collect();
            let w: Vec<i16> = (0..n).map(|_| rng.below(65_535) as i16).collect();
            let mut packed = vec![0u8; n / 2 + 7];
            for (i, &c) in codes.iter().enumerate() {
                let (b, j) = (i / 64, i % 64);
                packed[32 * b + j % 32] |= if j < 32 { c } else { c << 4 };
            }
            let expect: i64 = codes
                .iter()
                .zip(&w)
                .map(|(&c, &w)| c as i64 * w as i64)
                .sum();
            for off in [0, 3] {
                let mut shifted = vec![0u8; off];
                shifted.extend_from_slice(&packed);
                // SAFETY: n / 2 packed bytes from `off`, and n weights.
                let got = unsafe { (k.dot_sq4)(shifted[off..].as_ptr(), w.as_ptr(), n) };
                assert_eq!(got as i64, expect, "{} dot_sq4 n={n} offset {off}", k.name);
            }
        }
    }
}
