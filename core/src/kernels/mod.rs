//! Distance kernels: squared L2 and dot product on f32, squared L2 on u8, and the
//! integer dot products of quantized codes with a query's weights.
//!
//! One [`Kernels`] table per instruction set:
//!
//! | table | needs | vector width |
//! |---|---|---|
//! | `"avx512"` | x86-64 with AVX-512F and AVX-512BW | 16 f32 / 64 bytes |
//! | `"avx2"` | x86-64 with AVX2 and FMA | 8 f32 / 32 bytes |
//! | `"neon"` | AArch64 (NEON is part of the base architecture) | 4 f32 / 16 bytes |
//! | `"scalar"` | anything | 1 |
//!
//! [`best()`] picks the fastest table the running CPU supports, once, by run-time CPU
//! detection (never by compile flags), so one binary runs everywhere and uses
//! AVX-512, AVX2+FMA or NEON where present. [`available()`] lists every table the CPU
//! can run and [`by_name()`] finds one of them (tests and benchmarks compare tables).
//! [`scalar()`] is the portable reference every other table is tested against.
//!
//! Every kernel accepts any length `n` (including lengths that are not a multiple of
//! the vector width), needs no alignment beyond the element's own, and reads nothing
//! outside `a[..n]` and `b[..n]`. The f32 kernels add in a different order from
//! [`scalar()`] (and use fused multiply-adds), so their results differ from it by float
//! rounding only; the u8 kernel is exact and equal to [`scalar()`]'s on every table.
//!
//! Kernels take raw pointers rather than slices: index storage may be rewritten by
//! an update while a search reads it, and a raw read makes no aliasing promise.
//!
//! The tables serve callers that pick a kernel per call (brute force, tests). The
//! graph searches instead run whole, monomorphised for one instruction set (the
//! crate-internal `Isa` trait and `dispatch`): the kernels are inlined into the search
//! loop, with no indirect call per distance.

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::sync::OnceLock;

/// A kernel on two f32 vectors of length `n`: squared L2 ([`Kernels::l2_f32`]) or dot
/// product ([`Kernels::dot_f32`]).
///
/// Safety contract: `a` and `b` must be valid for reads of `n` f32 each and aligned to
/// 4 bytes, and the table the kernel came from must be one this CPU runs (every table
/// handed out by this module is).
pub type F32Fn = unsafe fn(a: *const f32, b: *const f32, n: usize) -> f32;
/// Squared L2 distance of two u8 vectors of length `n`, exact in integers (modulo 2³²,
/// which only matters past 66051 elements).
///
/// Safety contract: `a` and `b` must be valid for reads of `n` bytes each, and the table
/// the kernel came from must be one this CPU runs.
pub type U8Fn = unsafe fn(a: *const u8, b: *const u8, n: usize) -> u32;

/// Dot product of `n` quantized codes with `i16` weights, as an exact `i32`: the
/// traversal distance of 8-bit ([`Kernels::dot_sq8`]) and 4-bit
/// ([`Kernels::dot_sq4`]) codes.
///
/// * 8-bit codes: one byte per dimension, `n >= 32`. The weights come in blocks of
///   32: `w[..32·(n/32)]` belong to `codes[..32·(n/32)]`, and when 32 does not divide
///   `n`, one more block `w[32·(n/32)..][..32]` belongs to the *last* 32 codes,
///   `codes[n - 32..n]` (so no kernel reads past the codes); its weights for codes
///   already counted by the full blocks must be zero.
/// * 4-bit codes: `n` is a multiple of 64; each 32-byte block holds 64 codes, byte `j`
///   carrying code `j` of the block in its low nibble and code `32 + j` in its high
///   nibble; `w` has `n` weights in code order.
///
/// Safety contract: `codes` valid for reads of the bytes above and `w` of the
/// weights above, and the table the kernel came from is one this CPU runs. The caller
/// keeps the sum inside `i32` (`255 · Σ|w| < 2³¹`).
pub type CodeFn = unsafe fn(codes: *const u8, w: *const i16, n: usize) -> i32;

/// A set of kernels for one instruction set.
#[derive(Debug)]
pub struct Kernels {
    /// Name of the instruction set: "avx512", "avx2", "neon" or "scalar".
    pub name: &'static str,
    /// Σ (a_i - b_i)²
    pub l2_f32: F32Fn,
    /// Σ a_i b_i
    pub dot_f32: F32Fn,
    /// Σ (a_i - b_i)² on bytes, as an exact integer.
    pub l2_u8: U8Fn,
    /// Σ w_i c_i on 8-bit codes (see [`CodeFn`]).
    pub dot_sq8: CodeFn,
    /// Σ w_i c_i on 4-bit codes (see [`CodeFn`]).
    pub dot_sq4: CodeFn,
}

/// The portable reference kernels.
pub fn scalar() -> &'static Kernels {
    &scalar::KERNELS
}

/// Every kernel table this CPU can run, fastest first, `scalar` last (for tests and benches).
pub fn available() -> Vec<&'static Kernels> {
    let mut out = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            out.push(&x86::AVX512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            out.push(&x86::AVX2);
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            out.push(&aarch64::NEON);
        }
    }
    out.push(scalar());
    out
}

/// The table named `name` ("avx512", "avx2", "neon" or "scalar") if this CPU can run
/// it, else `None`.
pub fn by_name(name: &str) -> Option<&'static Kernels> {
    available().into_iter().find(|k| k.name == name)
}

/// The fastest kernel table this CPU supports, chosen once per process.
pub fn best() -> &'static Kernels {
    static BEST: OnceLock<&'static Kernels> = OnceLock::new();
    BEST.get_or_init(|| available()[0])
}

/// One instruction set's kernels as inlinable functions, for code monomorphised per
/// instruction set (see [`dispatch`]). The contracts are those of the table types
/// ([`F32Fn`], [`U8Fn`], [`CodeFn`]); implementations exist only for instruction
/// sets the running CPU was found to support.
pub(crate) trait Isa: Copy {
    /// Σ (a_i - b_i)² over `n` f32.
    ///
    /// # Safety
    /// See [`F32Fn`].
    unsafe fn l2_f32(a: *const f32, b: *const f32, n: usize) -> f32;
    /// Σ a_i b_i over `n` f32.
    ///
    /// # Safety
    /// See [`F32Fn`].
    unsafe fn dot_f32(a: *const f32, b: *const f32, n: usize) -> f32;
    /// Σ (a_i - b_i)² over `n` bytes.
    ///
    /// # Safety
    /// See [`U8Fn`].
    unsafe fn l2_u8(a: *const u8, b: *const u8, n: usize) -> u32;
    /// Σ w_i c_i over `n` 8-bit codes.
    ///
    /// # Safety
    /// See [`CodeFn`].
    unsafe fn dot_sq8(codes: *const u8, w: *const i16, n: usize) -> i32;
    /// Σ w_i c_i over `n` 4-bit codes.
    ///
    /// # Safety
    /// See [`CodeFn`].
    unsafe fn dot_sq4(codes: *const u8, w: *const i16, n: usize) -> i32;
}

/// Work to run monomorphised for one instruction set: [`dispatch`] calls `run::<I>`
/// from a function compiled for `I`'s target features, so with `#[inline(always)]`
/// on `run` (and on what it calls) the kernels inline into the work's loops.
pub(crate) trait IsaTask {
    /// The result.
    type Out;
    /// Does the work with instruction set `I`.
    fn run<I: Isa>(self) -> Self::Out;
}

/// Runs `task` monomorphised for the instruction set of `table` (a table from
/// [`available`], [`best`] or [`by_name`]).
#[inline]
pub(crate) fn dispatch<T: IsaTask>(table: &'static Kernels, task: T) -> T::Out {
    match table.name {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the table is handed out only when the CPU supports its features.
        "avx512" => unsafe { x86::run_avx512(task) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        "avx2" => unsafe { x86::run_avx2(task) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as above.
        "neon" => unsafe { aarch64::run_neon(task) },
        _ => task.run::<scalar::Scalar>(),
    }
}
