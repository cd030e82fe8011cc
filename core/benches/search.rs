//! HNSW search: one `search` call (k = 10) at ef 10, 50 and 200, and `search_batch`
//! of 1000 queries on all cores, on two indexes built once before measuring:
//! squared L2 over 20k random 32-d vectors (M=16, ef_construction=100) and cosine
//! over 20k random 50-d vectors (the GloVe dimension).
//!
//! `cargo bench -p hnswlib-core --bench search` (add `-- --quick` for a short run).
//! Benchmarks are named `<space>/search/ef<ef>` and `<space>/search_batch_1000/ef<ef>`.

use std::hint::black_box;

mod common;

use common::data;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hnswlib_core::{AddOptions, HnswIndex, HnswParams, SearchOptions, Space};

const N: usize = 20_000;
const NQ: usize = 1000;
const K: usize = 10;

fn build(space: Space, base: &[f32]) -> HnswIndex {
    let index = HnswIndex::new(
        space,
        &HnswParams {
            max_elements: N,
            m: 16,
            ef_construction: 100,
            ..Default::default()
        },
    )
    .expect("valid parameters");
    index
        .add_batch(base, None, &AddOptions::default())
        .expect("build the benchmark index");
    index
}

fn bench_space(c: &mut Criterion, name: &str, space: Space, dim: usize, seed: u64) {
    let index = build(space, &data(N * dim, seed));
    let queries = data(NQ * dim, seed + 1);
    let mut group = c.benchmark_group(name);
    for ef in [10, 50, 200] {
        let opts = SearchOptions {
            ef: Some(ef),
            num_threads: 1,
            ..Default::default()
        };
        let mut next = 0;
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("search/ef{ef}"), |b| {
            b.iter(|| {
                let q = &queries[next * dim..(next + 1) * dim];
                next = (next + 1) % NQ;
                index.search(black_box(q), K, &opts).expect("valid query")
            })
        });
    }
    let opts = SearchOptions {
        ef: Some(50),
        num_threads: 0,
        ..Default::default()
    };
    group.throughput(Throughput::Elements(NQ as u64));
    group.bench_function("search_batch_1000/ef50", |b| {
        b.iter(|| {
            index
                .search_batch(black_box(&queries), K, &opts)
                .expect("valid queries")
        })
    });
    group.finish();
}

fn search(c: &mut Criterion) {
    bench_space(c, "l2_32d", Space::l2(32).expect("dim 32"), 32, 1);
    bench_space(c, "cosine_50d", Space::cosine(50).expect("dim 50"), 50, 3);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = search
}
criterion_main!(benches);
