//! Cost of one k-NN call through the C ABI against the same call on the core.
//!
//! `cargo bench -p hnswlib --bench abi_overhead`: the difference of the two medians is
//! the ABI's per-call overhead (argument checks, panic guard, copying k results).

use std::ffi::c_void;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hnswlib::{HnswIndex, HnswParams, SearchOptions, Space};

/// An opaque handle of the C ABI.
#[repr(C)]
struct Handle {
    _private: [u8; 0],
}

// The C ABI as a C program declares it (include/hnswlib.h); the symbols come from the
// `hnswlib` library this benchmark links.
extern "C" {
    fn hnsw_space_l2(dim: usize, out: *mut *mut Handle) -> i32;
    fn hnsw_space_free(space: *mut Handle);
    fn hnsw_index_new(space: *const Handle, params: *const c_void, out: *mut *mut Handle) -> i32;
    fn hnsw_index_resize(index: *const Handle, new_max_elements: usize) -> i32;
    fn hnsw_index_add_batch(
        index: *const Handle,
        data: *const c_void,
        rows: usize,
        labels: *const u64,
        opts: *const c_void,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn hnsw_index_knn(
        index: *const Handle,
        query: *const c_void,
        k: usize,
        opts: *const c_void,
        labels: *mut u64,
        distances: *mut f32,
        capacity: usize,
        found: *mut usize,
    ) -> i32;
    fn hnsw_index_free(index: *mut Handle);
}

const HNSW_OK: i32 = 0;

const DIM: usize = 32;
const ROWS: usize = 20_000;
const K: usize = 10;

fn data() -> Vec<f32> {
    // xorshift: deterministic, no extra dependency.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..ROWS * DIM)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = data();
    let queries: Vec<&[f32]> = data.chunks_exact(DIM).step_by(97).take(64).collect();

    let core = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: ROWS,
            ..Default::default()
        },
    )
    .unwrap();
    core.add_batch(&data, None, &Default::default()).unwrap();

    let mut space = std::ptr::null_mut();
    let mut abi: *mut Handle = std::ptr::null_mut();
    // SAFETY: the calls follow the header's contracts: out-pointers to writable
    // handles, a space freed after the index copied it, `ROWS` rows of `DIM` floats,
    // NULL for default options and automatic labels.
    unsafe {
        assert_eq!(hnsw_space_l2(DIM, &mut space), HNSW_OK);
        assert_eq!(hnsw_index_new(space, std::ptr::null(), &mut abi), HNSW_OK);
        hnsw_space_free(space);
        assert_eq!(hnsw_index_resize(abi, ROWS), HNSW_OK);
        let st = hnsw_index_add_batch(
            abi,
            data.as_ptr().cast(),
            ROWS,
            std::ptr::null(),
            std::ptr::null(),
        );
        assert_eq!(st, HNSW_OK);
    }

    let mut g = c.benchmark_group("knn_k10_ef10_dim32");
    let mut i = 0;
    g.bench_function("core", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(
                core.search(queries[i], K, &SearchOptions::default())
                    .unwrap(),
            )
        })
    });
    let (mut labels, mut dists, mut found) = ([0u64; K], [0f32; K], 0usize);
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            // SAFETY: a live index, a query of DIM floats, K-entry result buffers.
            let st = unsafe {
                hnsw_index_knn(
                    abi,
                    queries[i].as_ptr().cast(),
                    K,
                    std::ptr::null(),
                    labels.as_mut_ptr(),
                    dists.as_mut_ptr(),
                    K,
                    &mut found,
                )
            };
            black_box((st, labels[0], dists[0], found))
        })
    });
    g.finish();
    // SAFETY: the index is freed once, after its last use.
    unsafe { hnsw_index_free(abi) };
}

criterion_group!(benches, bench);
criterion_main!(benches);
