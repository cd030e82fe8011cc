//! Distance kernels: squared L2 and dot product on f32, squared L2 on u8.
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
