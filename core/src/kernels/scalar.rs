//! Portable kernels: the reference for every SIMD table.

use super::{Isa, Kernels};

pub(super) static KERNELS: Kernels = Kernels {
    name: "scalar",
    l2_f32,
    dot_f32,
    l2_u8,
    dot_sq8,
    dot_sq4,
};

/// The portable instruction set (see [`Isa`]).
#[derive(Clone, Copy)]
pub(crate) struct Scalar;

impl Isa for Scalar {
    #[inline(always)]
    unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { l2_f32(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { dot_f32(a, b, n) }
    }
    #[inline(always)]
    unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { l2_u8(a, b, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { dot_sq8(codes, w, n) }
    }
    #[inline(always)]
    unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { dot_sq4(codes, w, n) }
    }
}

/// # Safety
/// `a` and `b` must be valid for reads of `n` f32 each.
unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut s = 0.0f32;
    for i in 0..n {
        // SAFETY: i < n and the caller guarantees n readable elements.
        let d = unsafe { *a.add(i) - *b.add(i) };
        s += d * d;
    }
    s
}

/// # Safety
/// `a` and `b` must be valid for reads of `n` f32 each.
unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32 {
    let mut s = 0.0f32;
    for i in 0..n {
        // SAFETY: i < n and the caller guarantees n readable elements.
        s += unsafe { *a.add(i) * *b.add(i) };
    }
    s
}

/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes each.
unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32 {
    let mut s = 0u32;
    for i in 0..n {
        // SAFETY: i < n and the caller guarantees n readable bytes.
        let d = unsafe { *a.add(i) as i32 - *b.add(i) as i32 };
        s = s.wrapping_add((d * d) as u32);
    }
    s
}

/// # Safety
/// See [`super::CodeFn`] (8-bit codes: `n >= 32`, blocks of 32, the last one overlapping).
pub(super) unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32 {
    let full = n / 32 * 32;
    let mut s = 0i32;
    for i in 0..full {
        // SAFETY: i < full <= n codes and full weights.
        s = s.wrapping_add(unsafe { *codes.add(i) as i32 * *w.add(i) as i32 });
    }
    if full < n {
        for j in 0..32 {
            // SAFETY: n >= 32, so n - 32 + j < n; the tail block has 32 weights after
            // the full blocks' `full`.
            s = s.wrapping_add(unsafe { *codes.add(n - 32 + j) as i32 * *w.add(full + j) as i32 });
        }
    }
    s
}

/// # Safety
/// See [`super::CodeFn`] (4-bit codes: `n` a multiple of 64, `n / 2` bytes).
pub(super) unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32 {
    let mut s = 0i32;
    for b in 0..n / 64 {
        for j in 0..32 {
            // SAFETY: byte 32b + j < n / 2 and weights 64b + j, 64b + 32 + j < n.
            let (byte, lo, hi) = unsafe {
                (
                    *codes.add(32 * b + j),
                    *w.add(64 * b + j) as i32,
                    *w.add(64 * b + 32 + j) as i32,
                )
            };
            s = s
                .wrapping_add((byte & 0x0F) as i32 * lo)
                .wrapping_add((byte >> 4) as i32 * hi);
        }
    }
    s
}
