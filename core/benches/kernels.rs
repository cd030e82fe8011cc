//! Distance kernels per table: `l2_f32` and `dot_f32` at dims 50 (GloVe), 128 (SIFT)
//! and 768, `l2_u8` at dim 128, for every table this CPU runs.
//!
//! `cargo bench --bench kernels` (add `-- --quick` for a short run). Each benchmark is
//! named `<kernel>/<dim>/<table>` and measures one call through the table's function
//! pointer, as the index makes it.

use std::hint::black_box;

mod common;

use common::data;
use criterion::{criterion_group, criterion_main, Criterion};
use hnswlib_core::kernels::{self, F32Fn, U8Fn};

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

fn kernels_bench(c: &mut Criterion) {
    let names: Vec<&str> = kernels::available().iter().map(|k| k.name).collect();
    eprintln!("kernel tables: {names:?}");
    for dim in [50, 128, 768] {
        bench_f32(c, "l2_f32", dim, |k| k.l2_f32);
        bench_f32(c, "dot_f32", dim, |k| k.dot_f32);
    }
    bench_u8(c, 128);
}

criterion_group!(benches, kernels_bench);
criterion_main!(benches);
