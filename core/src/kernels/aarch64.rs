//! AArch64 kernels: the "neon" table (128-bit Advanced SIMD, part of the base
//! architecture).
//!
//! Each kernel's contract is the one of [`super::F32Fn`] / [`super::U8Fn`]: both
//! pointers valid for reads of `n` elements, with no alignment needed beyond the
//! element's own. NEON has no masked loads, so tails shorter than a vector are done
//! element by element; no kernel reads outside `a[..n]` and `b[..n]`.
//!
//! f32 kernels keep four independent `vfmaq_f32` accumulators so consecutive fused
//! multiply-adds do not wait on each other. The u8 kernel takes |a - b| per byte
//! (`vabdq_u8`), squares it into 16 bits (`vmull_u8`, 255² fits) and pair-adds into
//! 32-bit lanes (`vpadalq_u16`); every 32-bit addition wraps, so the result equals the
//! scalar reference's wrapping sum exactly.

use std::arch::aarch64::*;

use super::{scalar, Isa, IsaTask, Kernels};

/// NEON kernels. The code kernels are the portable ones for now.
pub(super) static NEON: Kernels = Kernels {
    name: "neon",
    l2_f32: l2_f32_neon,
    dot_f32: dot_f32_neon,
    l2_u8: l2_u8_neon,
    dot_sq8: scalar::dot_sq8,
    dot_sq4: scalar::dot_sq4,
};

/// The NEON instruction set (see [`Isa`]).
#[derive(Clone, Copy)]
pub(crate) struct Neon;

impl Isa for Neon {
    #[inline(always)]
    unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: forwarded from the caller's contract (which includes the CPU features).
        unsafe { f32_neon::<true>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: as above.
        unsafe { f32_neon::<false>(a, b, n) }
    }
    #[inline(always)]
    unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32 {
        // SAFETY: as above.
        unsafe { l2_u8_neon(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { scalar::dot_sq8(codes, w, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: as above.
        unsafe { scalar::dot_sq4(codes, w, n) }
    }
}

/// Runs `task` compiled for NEON.
///
/// # Safety
/// The CPU supports NEON.
#[target_feature(enable = "neon")]
pub(super) unsafe fn run_neon<T: IsaTask>(task: T) -> T::Out {
    task.run::<Neon>()
}

/// One 4-lane step: `acc + (x - y)²` for L2, `acc + x·y` for the dot product.
#[inline]
#[target_feature(enable = "neon")]
fn step4<const L2: bool>(acc: float32x4_t, x: float32x4_t, y: float32x4_t) -> float32x4_t {
    if L2 {
        let d = vsubq_f32(x, y);
        vfmaq_f32(acc, d, d)
    } else {
        vfmaq_f32(acc, x, y)
    }
}

/// Σ (a_i - b_i)² (`L2`) or Σ a_i b_i (`!L2`) over `n` f32.
///
/// # Safety
/// The CPU supports NEON; `a` and `b` are valid for reads of `n` f32 each.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn f32_neon<const L2: bool>(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut acc0 = vdupq_n_f32(0.0);
    let mut acc1 = vdupq_n_f32(0.0);
    let mut acc2 = vdupq_n_f32(0.0);
    let mut acc3 = vdupq_n_f32(0.0);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so all four 4-lane loads lie inside a[..n] and b[..n].
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step4::<L2>(acc0, vld1q_f32(pa), vld1q_f32(pb));
            acc1 = step4::<L2>(acc1, vld1q_f32(pa.add(4)), vld1q_f32(pb.add(4)));
            acc2 = step4::<L2>(acc2, vld1q_f32(pa.add(8)), vld1q_f32(pb.add(8)));
            acc3 = step4::<L2>(acc3, vld1q_f32(pa.add(12)), vld1q_f32(pb.add(12)));
        }
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: i + 8 <= n.
        unsafe {
            let (pa, pb) = (a.add(i), b.add(i));
            acc0 = step4::<L2>(acc0, vld1q_f32(pa), vld1q_f32(pb));
            acc1 = step4::<L2>(acc1, vld1q_f32(pa.add(4)), vld1q_f32(pb.add(4)));
        }
        i += 8;
    }
    if i + 4 <= n {
        // SAFETY: i + 4 <= n.
        unsafe {
            acc2 = step4::<L2>(acc2, vld1q_f32(a.add(i)), vld1q_f32(b.add(i)));
        }
        i += 4;
    }
    let mut s = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
    while i < n {
        // SAFETY: i < n.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if L2 {
            let d = x - y;
            s += d * d;
        } else {
            s += x * y;
        }
        i += 1;
    }
    s
}

/// # Safety
/// The CPU supports NEON; `a` and `b` are valid for reads of `n` f32 each.
#[target_feature(enable = "neon")]
unsafe fn l2_f32_neon(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_neon::<true>(a, b, n) }
}

/// # Safety
/// The CPU supports NEON; `a` and `b` are valid for reads of `n` f32 each.
#[target_feature(enable = "neon")]
unsafe fn dot_f32_neon(a: *const f32, b: *const f32, n: usize) -> f32 {
    // SAFETY: forwarded from this function's contract.
    unsafe { f32_neon::<false>(a, b, n) }
}

/// # Safety
/// The CPU supports NEON; `a` and `b` are valid for reads of `n` bytes each.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn l2_u8_neon(a: *const u8, b: *const u8, n: usize) -> u32 {
    let mut acc0 = vdupq_n_u32(0);
    let mut acc1 = vdupq_n_u32(0);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so both 16-byte loads lie inside the vectors.
        let (x, y) = unsafe { (vld1q_u8(a.add(i)), vld1q_u8(b.add(i))) };
        let d = vabdq_u8(x, y);
        // |d| <= 255, so d² <= 65025 fits each u16 lane; pair-adding into u32 lanes wraps.
        acc0 = vpadalq_u16(acc0, vmull_u8(vget_low_u8(d), vget_low_u8(d)));
        acc1 = vpadalq_u16(acc1, vmull_high_u8(d, d));
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: i + 8 <= n, so both 8-byte loads lie inside the vectors.
        let (x, y) = unsafe { (vld1_u8(a.add(i)), vld1_u8(b.add(i))) };
        let d = vabd_u8(x, y);
        acc0 = vpadalq_u16(acc0, vmull_u8(d, d));
        i += 8;
    }
    let mut s = vaddvq_u32(vaddq_u32(acc0, acc1));
    while i < n {
        // SAFETY: i < n.
        let d = unsafe { *a.add(i) as i32 - *b.add(i) as i32 };
        s = s.wrapping_add((d * d) as u32);
        i += 1;
    }
    s
}
