//! Portable kernels: the reference for every SIMD table.

use super::Kernels;

pub(super) static KERNELS: Kernels = Kernels {
    name: "scalar",
    l2_f32,
    dot_f32,
    l2_u8,
};

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
