//! Distance kernels per table: `l2_f32` and `dot_f32` at dims 50 (GloVe), 128 (SIFT)
//! and 768, `l2_u8` at dim 128, and the quantized-code kernels `dot_sq8`/`dot_sq4` at
//! dims 50, 128 and 768, for every table this CPU runs.
//!
//! `cargo bench --bench kernels` (add `-- --quick` for a short run). Each benchmark is
//! named `<kernel>/<dim>/<table>` and measures one call through the table's function
//! pointer, as the index makes it.

use std::hint::black_box;

mod common;

use common::data;
use criterion::{criterion_group, criterion_main, Criterion};
use hnswlib_core::kernels::{self, CodeFn, F32Fn, U8Fn};

fn bench_f32(c: &mut Criterion, kernel: &str, dim: usize, pick: fn(&kernels::Kernels) -> F32Fn) {
    let a = data(dim, 1);
    let b = data(dim, 2);
    let mut group = c.benchmark_group(format!("{kernel}/{dim}"));
    for k in kernels::available() {
        let f = pick(k);
        group.bench_function(k.name, |bench| {
            bench.iter(|| {
                let f = black_box(f);
                // SAFETY: a and b hold dim f32 each; the table comes from available().
                unsafe { f(black_box(a.as_ptr()), black_box(b.as_ptr()), black_box(dim)) }
            })
        });
    }
    group.finish();
}

fn bench_u8(c: &mut Criterion, dim: usize) {
    let a: Vec<u8> = data(dim, 3)
        .iter()
        .map(|x| ((x + 1.0) * 127.5) as u8)
        .collect();
    let b: Vec<u8> = data(dim, 4)
        .iter()
        .map(|x| ((x + 1.0) * 127.5) as u8)
        .collect();
    let mut group = c.benchmark_group(format!("l2_u8/{dim}"));
    for k in kernels::available() {
        let f: U8Fn = k.l2_u8;
        group.bench_function(k.name, |bench| {
            bench.iter(|| {
                let f = black_box(f);
                // SAFETY: a and b hold dim bytes each; the table comes from available().
                unsafe { f(black_box(a.as_ptr()), black_box(b.as_ptr()), black_box(dim)) }
            })
        });
    }
    group.finish();
}

/// Quantized codes against a query's weights: 8-bit codes of `dim` dimensions, 4-bit
/// codes padded to whole blocks of 64 (as the index stores them).
fn bench_codes(c: &mut Criterion, kernel: &str, dim: usize) {
    let sq4 = kernel == "dot_sq4";
    let (n, bytes) = if sq4 {
        (dim.next_multiple_of(64), dim.next_multiple_of(64) / 2)
    } else {
        (dim.max(32), dim.max(32))
    };
    let codes: Vec<u8> = data(bytes, 5)
        .iter()
        .map(|x| ((x + 1.0) * 127.5) as u8)
        .collect();
    // Enough weights for the 8-bit layout's extra tail block; small enough to stay in i32.
    let w: Vec<i16> = data(n + 32, 6)
        .iter()
        .map(|x| (x * 8000.0) as i16)
        .collect();
    let mut group = c.benchmark_group(format!("{kernel}/{dim}"));
    for k in kernels::available() {
        let f: CodeFn = if sq4 { k.dot_sq4 } else { k.dot_sq8 };
        group.bench_function(k.name, |bench| {
            bench.iter(|| {
                let f = black_box(f);
                // SAFETY: codes and w hold the bytes and weights of n codes in the
                // kernels' layout; the table comes from available().
                unsafe {
                    f(
                        black_box(codes.as_ptr()),
                        black_box(w.as_ptr()),
                        black_box(n),
                    )
                }
            })
        });
    }
    group.finish();
}

fn kernels_bench(c: &mut Criterion) {
    let names: Vec<&str> = kernels::available().iter().map(|k| k.name).collect();
    eprintln!("kernel tables: {names:?}");
    for dim in [50, 128, 768] {
        bench_f32(c, "l2_f32", dim, |k| k.l2_f32);
        bench_f32(c, "dot_f32", dim, |k| k.dot_f32);
    }
    bench_u8(c, 128);
    for dim in [50, 128, 768] {
        bench_codes(c, "dot_sq8", dim);
        bench_codes(c, "dot_sq4", dim);
    }
}

criterion_group!(benches, kernels_bench);
criterion_main!(benches);
