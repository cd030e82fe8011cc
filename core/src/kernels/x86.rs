//! x86-64 kernels: "avx2" (AVX2 + FMA, 256-bit) and "avx512" (AVX-512F + AVX-512BW, 512-bit).
//!
//! Every kernel is an `unsafe fn` compiled with `#[target_feature]`, so it must only
//! run on a CPU that has those features; [`super::available`] hands out these tables
//! only after run-time detection. Beyond that, each kernel's contract is the one of
//! [`super::F32Fn`] / [`super::U8Fn`]: both pointers valid for reads of `n` elements.
//! Pointers need no alignment beyond the element's own (all loads are unaligned), and
//! no kernel reads memory outside `a[..n]` and `b[..n]`, whatever `n` is:
//!
//! * AVX2 tails load the *last* full block, `[n - w, n)`, which overlaps elements
//!   already counted, and zero those lanes with an and-mask. It was never slower
//!   than `vmaskmovps` in our measurements and in some runs on AMD Zen 3 much faster
//!   (dim 50: 5 ns against 18 ns), and it never addresses memory past the vectors.
//!   Vectors shorter than one block use a narrower block or plain scalar code.
//! * AVX-512 tails use masked loads (`maskz_loadu`), which never touch a masked-off
//!   lane.
//!
//! f32 kernels keep four independent vector accumulators so the fused multiply-adds
//! of one call overlap instead of waiting on each other, then reduce them once.
//! u8 kernels compute |a - b| in bytes (saturating subtraction both ways), widen to
//! 16 bits and square-and-pair-add with `madd_epi16` into 32-bit lanes. Every 32-bit
//! addition wraps, so the result equals the scalar reference's wrapping sum exactly.

use std::arch::x86_64::*;

use super::{Isa, IsaTask, Kernels};

/// AVX2 + FMA kernels (256-bit). Needs `avx2` and `fma`.
pub(super) static AVX2: Kernels = Kernels {
    name: "avx2",
    l2_f32: l2_f32_avx2,
    dot_f32: dot_f32_avx2,
    l2_u8: l2_u8_avx2,
    dot_sq8: dot_sq8_avx2,
    dot_sq4: dot_sq4_avx2,
};

/// AVX-512 kernels (512-bit). Needs `avx512f` (f32) and `avx512bw` (u8 and codes).
pub(super) static AVX512: Kernels = Kernels {
    name: "avx512",
    l2_f32: l2_f32_avx512,
    dot_f32: dot_f32_avx512,
    l2_u8: l2_u8_avx512,
    dot_sq8: dot_sq8_avx512,
    dot_sq4: dot_sq4_avx512,
};

/// The AVX2 + FMA instruction set (see [`Isa`]); use only where the CPU has both.
#[derive(Clone, Copy)]
pub(crate) struct Avx2;

/// The AVX-512F + AVX-512BW instruction set (see [`Isa`]); use only where the CPU has both.
#[derive(Clone, Copy)]
pub(crate) struct Avx512;

// The methods forward to the table kernels; inlined into a function compiled with the
// same features (`run_avx2`, `run_avx512`), so are the kernels.
impl Isa for Avx2 {
    #[inline(always)]
    unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: forwarded from the caller's contract (which includes the CPU features).
        unsafe { f32_avx2::<true>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: as above.
        unsafe { f32_avx2::<false>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32 {
        // SAFETY: as above.
        unsafe { l2_u8_avx2(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { dot_sq8_avx2(codes, w, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { dot_sq4_avx2(codes, w, n) }
    }
}

impl Isa for Avx512 {
    #[inline(always)]
    unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: forwarded from the caller's contract (which includes the CPU features).
        unsafe { f32_avx512::<true>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: as above.
        unsafe { f32_avx512::<false>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32 {
        // SAFETY: as above.
        unsafe { l2_u8_avx512(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { dot_sq8_avx512(codes, w, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { dot_sq4_avx512(codes, w, n) }
    }
}

/// Runs `task` compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU supports AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn run_avx2<T: IsaTask>(task: T) -> T::Out {
    task.run::<Avx2>()
}

/// Runs `task` compiled for AVX-512F + AVX-512BW.
///
/// # Safety
/// The CPU supports AVX-512F and AVX-512BW.
#[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
pub(super) unsafe fn run_avx512<T: IsaTask>(task: T) -> T::Out {
    task.run::<Avx512>()
}

/// `MASK32[r..r + 8]` has its last `r` lanes set (all ones): it keeps the `r` new
/// elements of a final 8-lane block that overlaps elements already counted (and
/// `MASK32[4 + r..8 + r]` does the same for a 4-lane block).
static MASK32: [i32; 16] = [0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1];

/// Byte masks for a final block that overlaps bytes already counted: a `w`-byte block
/// whose last `r` bytes are new is masked by `MASK8[32 - w + r..]` (its first `w`
/// lanes are 0xFF exactly on the last `r`), for `w` = 32, 16 and 8.
static MASK8: [u8; 64] = {
    let mut m = [0u8; 64];
    let mut i = 32;
    while i < 64 {
        m[i] = 0xFF;
        i += 1;
    }
    m
};

// ---------------------------------------------------------------------------------
// AVX2 + FMA
// ---------------------------------------------------------------------------------

/// One 8-lane step: `acc + (x - y)²` for L2, `acc + x·y` for the dot product.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn step8<const L2: bool>(acc: __m256, x: __m256, y: __m256) -> __m256 {
    if L2 {
        let d = _mm256_sub_ps(x, y);
        _mm256_fmadd_ps(d, d, acc)
    } else {
        _mm256_fmadd_ps(x, y, acc)
    }
}

/// Sum of the 8 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn hsum8(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// Σ (a_i - b_i)² (`L2`) or Σ a_i b_i (`!L2`) over `n` f32.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `a` and `b` are valid for reads of `n` f32 each.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn f32_avx2<const L2: bool>(a: *const f32, b: *const f32, n: usize) -> f32 {
    if n < 8 {
        // SAFETY: forwarded from this function's contract.
        return unsafe { f32_short::<L2>(a, b, n) };
    }
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut acc2 = _mm256_setzero_ps();
    let mut acc3 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: i + 32 <= n, so all four 8-lane loads lie inside a[..n] and b[..n].
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step8::<L2>(acc0, _mm256_loadu_ps(pa), _mm256_loadu_ps(pb));
            acc1 = step8::<L2>(acc1, _mm256_loadu_ps(pa.add(8)), _mm256_loadu_ps(pb.add(8)));
            acc2 = step8::<L2>(
                acc2,
                _mm256_loadu_ps(pa.add(16)),
                _mm256_loadu_ps(pb.add(16)),
            );
            acc3 = step8::<L2>(
                acc3,
                _mm256_loadu_ps(pa.add(24)),
                _mm256_loadu_ps(pb.add(24)),
            );
        }
        i += 32;
    }
    if i + 16 <= n {
        // SAFETY: i + 16 <= n, so both 8-lane loads lie inside the vectors.
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step8::<L2>(acc0, _mm256_loadu_ps(pa), _mm256_loadu_ps(pb));
            acc1 = step8::<L2>(acc1, _mm256_loadu_ps(pa.add(8)), _mm256_loadu_ps(pb.add(8)));
        }
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: i + 8 <= n, so the 8-lane load lies inside the vectors.
        unsafe {
            acc2 = step8::<L2>(acc2, _mm256_loadu_ps(a.add(i)), _mm256_loadu_ps(b.add(i)));
        }
        i += 8;
    }
    let r = n - i;
    if r > 0 {
        // SAFETY: n >= 8 here (a shorter n returned above), so the block [n - 8, n)
        // lies inside both vectors. Its first 8 - r elements were counted already;
        // MASK32[r..r + 8] (inside the 16-entry table as r < 8) is all ones exactly on
        // the last r lanes, so the and-mask zeroes both operands of the others.
        unsafe {
            let m = _mm256_castsi256_ps(_mm256_loadu_si256(MASK32.as_ptr().add(r).cast()));
            let x = _mm256_and_ps(_mm256_loadu_ps(a.add(n - 8)), m);
            let y = _mm256_and_ps(_mm256_loadu_ps(b.add(n - 8)), m);
            acc3 = step8::<L2>(acc3, x, y);
        }
    }
    hsum8(_mm256_add_ps(
        _mm256_add_ps(acc0, acc1),
        _mm256_add_ps(acc2, acc3),
    ))
}

/// [`f32_avx2`] for `n < 8`: two overlapping 4-lane blocks for 4 <= n < 8, one element
/// at a time below 4.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `n < 8`; `a` and `b` are valid for reads of `n` f32
/// each.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn f32_short<const L2: bool>(a: *const f32, b: *const f32, n: usize) -> f32 {
    if n >= 4 {
        // SAFETY: 4 <= n < 8, so the blocks [0, 4) and [n - 4, n) lie inside both
        // vectors. The second one's first 8 - n elements were counted by the first;
        // MASK32[4 + r..8 + r] with r = n - 4 < 4 is all ones exactly on its last r
        // lanes, so the and-mask zeroes both operands of the others.
        unsafe {
            let (x, y) = (_mm_loadu_ps(a), _mm_loadu_ps(b));
            let acc = if L2 {
                let d = _mm_sub_ps(x, y);
                _mm_mul_ps(d, d)
            } else {
                _mm_mul_ps(x, y)
            };
            let m = _mm_castsi128_ps(_mm_loadu_si128(MASK32.as_ptr().add(n).cast()));
            let x = _mm_and_ps(_mm_loadu_ps(a.add(n - 4)), m);
            let y = _mm_and_ps(_mm_loadu_ps(b.add(n - 4)), m);
            let acc = if L2 {
                let d = _mm_sub_ps(x, y);
                _mm_fmadd_ps(d, d, acc)
            } else {
                _mm_fmadd_ps(x, y, acc)
            };
            let s = _mm_add_ps(acc, _mm_movehl_ps(acc, acc));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
        }
    } else {
        let mut s = 0.0f32;
        for i in 0..n {
            // SAFETY: i < n.
            let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
            s += if L2 { (x - y) * (x - y) } else { x * y };
        }
        s
    }
}

/// # Safety
/// The CPU supports AVX2 and FMA; `a` and `b` are valid for reads of `n` f32 each.
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_f32_avx2(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_avx2::<true>(a, b, n) }
}

/// # Safety
/// The CPU supports AVX2 and FMA; `a` and `b` are valid for reads of `n` f32 each.
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32_avx2(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_avx2::<false>(a, b, n) }
}

/// 8-bit codes times i16 weights (see [`super::CodeFn`]): each block of 32 codes is
/// widened to 16 bits in two halves and multiplied and pair-added (`madd_epi16`) with
/// its weights into 8 i32 lanes.
///
/// # Safety
/// The CPU supports AVX2; `codes` and `w` satisfy [`super::CodeFn`] for 8-bit codes.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_sq8_avx2(codes: *const u8, w: *const i16, n: usize) -> i32 {
    /// One block of 32 codes at `c` with its 32 weights at `w`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block(acc: __m256i, c: *const u8, w: *const i16) -> __m256i {
        // SAFETY: the caller passes 32 readable codes and 32 readable weights.
        unsafe {
            let acc = madd16(acc, _mm_loadu_si128(c.cast()), w);
            madd16(acc, _mm_loadu_si128(c.add(16).cast()), w.add(16))
        }
    }
    let full = n / 32;
    let mut acc0 = _mm256_setzero_si256();
    let mut acc1 = _mm256_setzero_si256();
    let mut b = 0;
    while b + 2 <= full {
        // SAFETY: blocks b and b + 1 are full blocks inside codes[..n] and w.
        unsafe {
            acc0 = block(acc0, codes.add(32 * b), w.add(32 * b));
            acc1 = block(acc1, codes.add(32 * b + 32), w.add(32 * b + 32));
        }
        b += 2;
    }
    if b < full {
        // SAFETY: block b is a full block.
        acc0 = unsafe { block(acc0, codes.add(32 * b), w.add(32 * b)) };
    }
    if !n.is_multiple_of(32) {
        // SAFETY: n >= 32: the last 32 codes, with the tail block of weights after
        // the full ones (CodeFn's layout).
        acc1 = unsafe { block(acc1, codes.add(n - 32), w.add(32 * full)) };
    }
    hsum_epi32x8(_mm256_add_epi32(acc0, acc1))
}

/// 4-bit codes times i16 weights (see [`super::CodeFn`]): each 32-byte block is split
/// into its low and high nibbles (codes 0..32 and 32..64 of the block), each widened to
/// 16 bits and multiplied and pair-added with its weights.
///
/// # Safety
/// The CPU supports AVX2; `codes` and `w` satisfy [`super::CodeFn`] for 4-bit codes.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_sq4_avx2(codes: *const u8, w: *const i16, n: usize) -> i32 {
    let nibble = _mm256_set1_epi8(0x0F);
    let mut acc0 = _mm256_setzero_si256();
    let mut acc1 = _mm256_setzero_si256();
    for b in 0..n / 64 {
        // SAFETY: block b has 32 bytes inside the codes and 64 weights inside w.
        unsafe {
            let x = _mm256_loadu_si256(codes.add(32 * b).cast());
            let lo = _mm256_and_si256(x, nibble);
            let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), nibble);
            let wb = w.add(64 * b);
            acc0 = madd16(acc0, _mm256_castsi256_si128(lo), wb);
            acc1 = madd16(acc1, _mm256_extracti128_si256::<1>(lo), wb.add(16));
            acc0 = madd16(acc0, _mm256_castsi256_si128(hi), wb.add(32));
            acc1 = madd16(acc1, _mm256_extracti128_si256::<1>(hi), wb.add(48));
        }
    }
    hsum_epi32x8(_mm256_add_epi32(acc0, acc1))
}

/// `acc` plus the 16 bytes of `codes` widened to i16, times the 16 weights at `w`,
/// pair-added into 8 i32 lanes.
///
/// # Safety
/// The CPU supports AVX2; `w` is valid for reads of 16 i16.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn madd16(acc: __m256i, codes: __m128i, w: *const i16) -> __m256i {
    // SAFETY: 16 readable weights (the caller's contract).
    let w = unsafe { _mm256_loadu_si256(w.cast()) };
    _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepu8_epi16(codes), w))
}

/// Wrapping sum of the 8 i32 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn hsum_epi32x8(v: __m256i) -> i32 {
    hsum_epi32x4(_mm_add_epi32(
        _mm256_castsi256_si128(v),
        _mm256_extracti128_si256::<1>(v),
    )) as i32
}

/// Squares and pair-adds the 32 byte differences `d` into 8 i32 lanes of `acc`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn sq_bytes32(acc: __m256i, d: __m256i) -> __m256i {
    let z = _mm256_setzero_si256();
    // Interleaving with zero widens each |a_i - b_i| <= 255 to a non-negative i16
    // (the lane order does not matter for a sum); madd then gives d0² + d1² per i32.
    let lo = _mm256_unpacklo_epi8(d, z);
    let hi = _mm256_unpackhi_epi8(d, z);
    let acc = _mm256_add_epi32(acc, _mm256_madd_epi16(lo, lo));
    _mm256_add_epi32(acc, _mm256_madd_epi16(hi, hi))
}

/// 128-bit version of [`sq_bytes32`], on 16 byte differences into 4 i32 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn sq_bytes16(acc: __m128i, d: __m128i) -> __m128i {
    let z = _mm_setzero_si128();
    let lo = _mm_unpacklo_epi8(d, z);
    let hi = _mm_unpackhi_epi8(d, z);
    let acc = _mm_add_epi32(acc, _mm_madd_epi16(lo, lo));
    _mm_add_epi32(acc, _mm_madd_epi16(hi, hi))
}

/// |x - y| per byte.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn absdiff32(x: __m256i, y: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_subs_epu8(x, y), _mm256_subs_epu8(y, x))
}

/// |x - y| per byte.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn absdiff16(x: __m128i, y: __m128i) -> __m128i {
    _mm_or_si128(_mm_subs_epu8(x, y), _mm_subs_epu8(y, x))
}

/// Wrapping sum of the 4 i32 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn hsum_epi32x4(v: __m128i) -> u32 {
    let v = _mm_add_epi32(v, _mm_unpackhi_epi64(v, v));
    let v = _mm_add_epi32(v, _mm_shuffle_epi32::<0b01>(v));
    _mm_cvtsi128_si32(v) as u32
}

/// # Safety
/// The CPU supports AVX2 and FMA; `a` and `b` are valid for reads of `n` bytes each.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn l2_u8_avx2(a: *const u8, b: *const u8, n: usize) -> u32 {
    if n >= 32 {
        let mut acc0 = _mm256_setzero_si256();
        let mut acc1 = _mm256_setzero_si256();
        let mut i = 0;
        while i + 64 <= n {
            // SAFETY: i + 64 <= n, so both 32-byte loads of each vector are inside it.
            unsafe {
                let x = _mm256_loadu_si256(a.add(i).cast());
                let y = _mm256_loadu_si256(b.add(i).cast());
                acc0 = sq_bytes32(acc0, absdiff32(x, y));
                let x = _mm256_loadu_si256(a.add(i + 32).cast());
                let y = _mm256_loadu_si256(b.add(i + 32).cast());
                acc1 = sq_bytes32(acc1, absdiff32(x, y));
            }
            i += 64;
        }
        if i + 32 <= n {
            // SAFETY: i + 32 <= n.
            unsafe {
                let x = _mm256_loadu_si256(a.add(i).cast());
                let y = _mm256_loadu_si256(b.add(i).cast());
                acc0 = sq_bytes32(acc0, absdiff32(x, y));
            }
            i += 32;
        }
        let r = n - i;
        if r > 0 {
            // SAFETY: n >= 32, so the block [n - 32, n) lies inside both vectors. Its
            // first 32 - r bytes were counted already; MASK8[r..r + 32] (inside the
            // 64-byte table as r < 32) is 0xFF exactly on the last r lanes, so the
            // and-mask zeroes the differences of the bytes counted before.
            unsafe {
                let x = _mm256_loadu_si256(a.add(n - 32).cast());
                let y = _mm256_loadu_si256(b.add(n - 32).cast());
                let m = _mm256_loadu_si256(MASK8.as_ptr().add(r).cast());
                acc1 = sq_bytes32(acc1, _mm256_and_si256(absdiff32(x, y), m));
            }
        }
        let acc = _mm256_add_epi32(acc0, acc1);
        hsum_epi32x4(_mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        ))
    } else if n >= 16 {
        // SAFETY: 16 <= n < 32. The first load reads bytes [0, 16) and the second
        // [n - 16, n), both inside the vectors. MASK8[16 + r..32 + r] with r = n - 16
        // < 16 is inside the table and is 0xFF exactly on its last r lanes, so the
        // second block only adds the bytes [16, n).
        unsafe {
            let x = _mm_loadu_si128(a.cast());
            let y = _mm_loadu_si128(b.cast());
            let acc = sq_bytes16(_mm_setzero_si128(), absdiff16(x, y));
            let r = n - 16;
            let x = _mm_loadu_si128(a.add(n - 16).cast());
            let y = _mm_loadu_si128(b.add(n - 16).cast());
            let m = _mm_loadu_si128(MASK8.as_ptr().add(16 + r).cast());
            hsum_epi32x4(sq_bytes16(acc, _mm_and_si128(absdiff16(x, y), m)))
        }
    } else if n >= 8 {
        // SAFETY: 8 <= n < 16. `_mm_loadl_epi64` reads exactly 8 bytes (zeroing the
        // upper half): [0, 8) and [n - 8, n), both inside the vectors. MASK8[24 + r..]
        // with r = n - 8 < 8 has its low 8 lanes 0xFF exactly on the last r of them,
        // so the second block only adds the bytes [8, n); its upper 8 lanes are zero
        // anyway.
        unsafe {
            let x = _mm_loadl_epi64(a.cast());
            let y = _mm_loadl_epi64(b.cast());
            let acc = sq_bytes16(_mm_setzero_si128(), absdiff16(x, y));
            let r = n - 8;
            let x = _mm_loadl_epi64(a.add(n - 8).cast());
            let y = _mm_loadl_epi64(b.add(n - 8).cast());
            let m = _mm_loadu_si128(MASK8.as_ptr().add(24 + r).cast());
            hsum_epi32x4(sq_bytes16(acc, _mm_and_si128(absdiff16(x, y), m)))
        }
    } else {
        let mut s = 0u32;
        for i in 0..n {
            // SAFETY: i < n.
            let d = unsafe { *a.add(i) as i32 - *b.add(i) as i32 };
            s = s.wrapping_add((d * d) as u32);
        }
        s
    }
}

// ---------------------------------------------------------------------------------
// AVX-512F (f32) and AVX-512BW (u8)
// ---------------------------------------------------------------------------------

/// One 16-lane step: `acc + (x - y)²` for L2, `acc + x·y` for the dot product.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn step16<const L2: bool>(acc: __m512, x: __m512, y: __m512) -> __m512 {
    if L2 {
        let d = _mm512_sub_ps(x, y);
        _mm512_fmadd_ps(d, d, acc)
    } else {
        _mm512_fmadd_ps(x, y, acc)
    }
}

/// Σ (a_i - b_i)² (`L2`) or Σ a_i b_i (`!L2`) over `n` f32.
///
/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `a` and `b` are valid for reads of `n`
/// f32 each.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn f32_avx512<const L2: bool>(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut acc0 = _mm512_setzero_ps();
    let mut acc1 = _mm512_setzero_ps();
    let mut acc2 = _mm512_setzero_ps();
    let mut acc3 = _mm512_setzero_ps();
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: i + 64 <= n, so all four 16-lane loads lie inside the vectors.
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step16::<L2>(acc0, _mm512_loadu_ps(pa), _mm512_loadu_ps(pb));
            acc1 = step16::<L2>(
                acc1,
                _mm512_loadu_ps(pa.add(16)),
                _mm512_loadu_ps(pb.add(16)),
            );
            acc2 = step16::<L2>(
                acc2,
                _mm512_loadu_ps(pa.add(32)),
                _mm512_loadu_ps(pb.add(32)),
            );
            acc3 = step16::<L2>(
                acc3,
                _mm512_loadu_ps(pa.add(48)),
                _mm512_loadu_ps(pb.add(48)),
            );
        }
        i += 64;
    }
    if i + 32 <= n {
        // SAFETY: i + 32 <= n.
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step16::<L2>(acc0, _mm512_loadu_ps(pa), _mm512_loadu_ps(pb));
            acc1 = step16::<L2>(
                acc1,
                _mm512_loadu_ps(pa.add(16)),
                _mm512_loadu_ps(pb.add(16)),
            );
        }
        i += 32;
    }
    if i + 16 <= n {
        // SAFETY: i + 16 <= n.
        unsafe {
            acc2 = step16::<L2>(acc2, _mm512_loadu_ps(a.add(i)), _mm512_loadu_ps(b.add(i)));
        }
        i += 16;
    }
    let r = n - i;
    if r > 0 {
        // SAFETY: 0 < r < 16, so the mask has exactly the low r bits set and the
        // masked loads read exactly a[i..n] and b[i..n]; masked-off lanes are never
        // accessed and read as zero, adding 0 to the sum.
        unsafe {
            let m: __mmask16 = (1u16 << r) - 1;
            let x = _mm512_maskz_loadu_ps(m, a.add(i));
            let y = _mm512_maskz_loadu_ps(m, b.add(i));
            acc3 = step16::<L2>(acc3, x, y);
        }
    }
    _mm512_reduce_add_ps(_mm512_add_ps(
        _mm512_add_ps(acc0, acc1),
        _mm512_add_ps(acc2, acc3),
    ))
}

/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `a` and `b` are valid for reads of `n`
/// f32 each.
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn l2_f32_avx512(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_avx512::<true>(a, b, n) }
}

/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `a` and `b` are valid for reads of `n`
/// f32 each.
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn dot_f32_avx512(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_avx512::<false>(a, b, n) }
}

/// Squares and pair-adds the 64 byte differences `x - y` into 16 i32 lanes of `acc`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn sq_diff64(acc: __m512i, x: __m512i, y: __m512i) -> __m512i {
    let d = _mm512_or_si512(_mm512_subs_epu8(x, y), _mm512_subs_epu8(y, x));
    let z = _mm512_setzero_si512();
    let lo = _mm512_unpacklo_epi8(d, z);
    let hi = _mm512_unpackhi_epi8(d, z);
    let acc = _mm512_add_epi32(acc, _mm512_madd_epi16(lo, lo));
    _mm512_add_epi32(acc, _mm512_madd_epi16(hi, hi))
}

/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `a` and `b` are valid for reads of `n`
/// bytes each.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn l2_u8_avx512(a: *const u8, b: *const u8, n: usize) -> u32 {
    let mut acc0 = _mm512_setzero_si512();
    let mut acc1 = _mm512_setzero_si512();
    let mut i = 0;
    while i + 128 <= n {
        // SAFETY: i + 128 <= n, so both 64-byte loads of each vector are inside it.
        unsafe {
            let x = _mm512_loadu_si512(a.add(i).cast());
            let y = _mm512_loadu_si512(b.add(i).cast());
            acc0 = sq_diff64(acc0, x, y);
            let x = _mm512_loadu_si512(a.add(i + 64).cast());
            let y = _mm512_loadu_si512(b.add(i + 64).cast());
            acc1 = sq_diff64(acc1, x, y);
        }
        i += 128;
    }
    if i + 64 <= n {
        // SAFETY: i + 64 <= n.
        unsafe {
            let x = _mm512_loadu_si512(a.add(i).cast());
            let y = _mm512_loadu_si512(b.add(i).cast());
            acc0 = sq_diff64(acc0, x, y);
        }
        i += 64;
    }
    let r = n - i;
    if r > 0 {
        // SAFETY: 0 < r < 64, so the mask has exactly the low r bits set and the
        // masked loads read exactly a[i..n] and b[i..n]; masked-off bytes are never
        // accessed and read as zero in both, so their difference adds 0.
        unsafe {
            let m: __mmask64 = (1u64 << r) - 1;
            let x = _mm512_maskz_loadu_epi8(m, a.add(i).cast());
            let y = _mm512_maskz_loadu_epi8(m, b.add(i).cast());
            acc1 = sq_diff64(acc1, x, y);
        }
    }
    // Wrapping i32 sum, reinterpreted as the u32 wrapping sum of the reference.
    _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1)) as u32
}

/// 8-bit codes times i16 weights (see [`super::CodeFn`]): each block of 32 codes is
/// widened to 32 i16 lanes and multiplied and pair-added with its weights into 16 i32
/// lanes.
///
/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `codes` and `w` satisfy [`super::CodeFn`]
/// for 8-bit codes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn dot_sq8_avx512(codes: *const u8, w: *const i16, n: usize) -> i32 {
    /// One block of 32 codes at `c` with its 32 weights at `w`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn block(acc: __m512i, c: *const u8, w: *const i16) -> __m512i {
        // SAFETY: the caller passes 32 readable codes and 32 readable weights.
        unsafe {
            let x = _mm512_cvtepu8_epi16(_mm256_loadu_si256(c.cast()));
            _mm512_add_epi32(acc, _mm512_madd_epi16(x, _mm512_loadu_si512(w.cast())))
        }
    }
    let full = n / 32;
    let mut acc0 = _mm512_setzero_si512();
    let mut acc1 = _mm512_setzero_si512();
    let mut b = 0;
    while b + 2 <= full {
        // SAFETY: blocks b and b + 1 are full blocks inside codes[..n] and w.
        unsafe {
            acc0 = block(acc0, codes.add(32 * b), w.add(32 * b));
            acc1 = block(acc1, codes.add(32 * b + 32), w.add(32 * b + 32));
        }
        b += 2;
    }
    if b < full {
        // SAFETY: block b is a full block.
        acc0 = unsafe { block(acc0, codes.add(32 * b), w.add(32 * b)) };
    }
    if !n.is_multiple_of(32) {
        // SAFETY: n >= 32: the last 32 codes, with the tail block of weights after
        // the full ones (CodeFn's layout).
        acc1 = unsafe { block(acc1, codes.add(n - 32), w.add(32 * full)) };
    }
    _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1))
}

/// 4-bit codes times i16 weights (see [`super::CodeFn`]): each 32-byte block is split
/// into its low and high nibbles, each widened to 32 i16 lanes and multiplied and
/// pair-added with its 32 weights.
///
/// # Safety
/// The CPU supports AVX-512F and AVX-512BW; `codes` and `w` satisfy [`super::CodeFn`]
/// for 4-bit codes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn dot_sq4_avx512(codes: *const u8, w: *const i16, n: usize) -> i32 {
    let nibble = _mm256_set1_epi8(0x0F);
    let mut acc0 = _mm512_setzero_si512();
    let mut acc1 = _mm512_setzero_si512();
    for b in 0..n / 64 {
        // SAFETY: block b has 32 bytes inside the codes and 64 weights inside w.
        unsafe {
            let x = _mm256_loadu_si256(codes.add(32 * b).cast());
            let lo = _mm512_cvtepu8_epi16(_mm256_and_si256(x, nibble));
            let hi = _mm512_cvtepu8_epi16(_mm256_and_si256(_mm256_srli_epi16::<4>(x), nibble));
            let wb = w.add(64 * b);
            acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(lo, _mm512_loadu_si512(wb.cast())));
            acc1 = _mm512_add_epi32(
                acc1,
                _mm512_madd_epi16(hi, _mm512_loadu_si512(wb.add(32).cast())),
            );
        }
    }
    _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1))
}
