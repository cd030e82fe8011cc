//! `hnsw_bf_*`: the exact brute-force index (hnswlib's `BruteforceSearch`), with the
//! same vector layout, buffers and thread safety as `hnsw_index_*`.

use std::ffi::{c_char, c_void};

use hnswlib_core::BruteForceIndex;

use crate::args::{check_out, handle, path, put_new, slice, with_vectors, Layout};
use crate::index::{self, get, hnsw_bf, run};
use crate::options::{hnsw_save_options, hnsw_search_options, save_options};
use crate::space::hnsw_space;
use crate::status::{guard, hnsw_status, AbiResult};

/// Makes an index with `make` and hands it to the caller through `out`, which is
/// checked first, so that a NULL `out` costs no work (no file read, no allocation).
fn boxed(out: *mut *mut hnsw_bf, make: impl FnOnce() -> AbiResult<BruteForceIndex>) -> AbiResult {
    check_out(out, "out")?;
    let index = make()?;
    let layout = Layout::of(index.space());
    put_new(out, hnsw_bf { index, layout })
}

/// Creates an empty brute-force index over a copy of `space` with room for
/// `max_elements` vectors. Free it with `hnsw_bf_free`.
#[no_mangle]
pub extern "C" fn hnsw_bf_new(
    space: *const hnsw_space,
    max_elements: usize,
    out: *mut *mut hnsw_bf,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            Ok(BruteForceIndex::new(space, max_elements)?)
        })
    })
}

/// Frees a brute-force index. NULL is allowed. No other call on it may be running or
/// follow.
#[no_mangle]
pub extern "C" fn hnsw_bf_free(bf: *mut hnsw_bf) {
    if !bf.is_null() {
        // SAFETY: made by Box::into_raw in this module and, by contract, freed once
        // with no call in flight.
        drop(unsafe { Box::from_raw(bf) });
    }
}

/// Adds one vector under `label`; an existing label's vector is overwritten.
/// HNSW_ERR_CAPACITY when full.
#[no_mangle]
pub extern "C" fn hnsw_bf_add(
    bf: *const hnsw_bf,
    vector: *const c_void,
    label: u64,
) -> hnsw_status {
    guard(|| {
        let h = handle(bf, "bf")?;
        let v = h.layout.rows(vector, 1, "vector")?;
        with_vectors!(v, v => h.index.add(v, label))?;
        Ok(())
    })
}

/// Adds `rows` vectors (row-major) under the `rows` labels in `labels`. Every row and
/// the capacity are checked before anything is added.
#[no_mangle]
pub extern "C" fn hnsw_bf_add_batch(
    bf: *const hnsw_bf,
    data: *const c_void,
    rows: usize,
    labels: *const u64,
) -> hnsw_status {
    guard(|| {
        let h = handle(bf, "bf")?;
        let v = h.layout.rows(data, rows, "data")?;
        if labels.is_null() {
            return Err(crate::status::Failure::null("labels"));
        }
        let labels = slice(labels, rows, "labels")?;
        with_vectors!(v, v => h.index.add_batch(v, labels))?;
        Ok(())
    })
}

/// Removes `label`. HNSW_ERR_LABEL_NOT_FOUND for an unknown label.
#[no_mangle]
pub extern "C" fn hnsw_bf_remove(bf: *const hnsw_bf, label: u64) -> hnsw_status {
    run(bf, |h| h.index.remove(label))
}

/// Changes the capacity. HNSW_ERR_STATE below the element count.
#[no_mangle]
pub extern "C" fn hnsw_bf_resize(bf: *const hnsw_bf, max_elements: usize) -> hnsw_status {
    run(bf, |h| h.index.resize(max_elements))
}

/// Whether `label` is in the index.
#[no_mangle]
pub extern "C" fn hnsw_bf_contains(bf: *const hnsw_bf, label: u64, out: *mut bool) -> hnsw_status {
    get(bf, out, |h| h.index.contains(label))
}

/// The exact `k` nearest neighbours of one query; buffers as `hnsw_index_knn`
/// (`opts->ef` is ignored).
#[no_mangle]
pub extern "C" fn hnsw_bf_knn(
    bf: *const hnsw_bf,
    query: *const c_void,
    k: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    index::knn(bf, query, k, opts, labels, distances, capacity, found)
}

/// The exact `k` nearest neighbours of each of `rows` queries; buffers as
/// `hnsw_index_knn_batch`.
#[no_mangle]
pub extern "C" fn hnsw_bf_knn_batch(
    bf: *const hnsw_bf,
    queries: *const c_void,
    rows: usize,
    k: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    counts: *mut usize,
) -> hnsw_status {
    index::knn_batch(
        bf, queries, rows, k, opts, labels, distances, capacity, counts,
    )
}

/// The stored vectors of `n` labels (cosine: normalised); buffer as
/// `hnsw_index_get_items`.
#[no_mangle]
pub extern "C" fn hnsw_bf_get_items(
    bf: *const hnsw_bf,
    labels: *const u64,
    n: usize,
    out: *mut c_void,
    out_bytes: usize,
) -> hnsw_status {
    index::get_items(bf, labels, n, out, out_bytes)
}

/// Every label, ascending; buffer protocol as `hnsw_index_ids`.
#[no_mangle]
pub extern "C" fn hnsw_bf_ids(
    bf: *const hnsw_bf,
    out: *mut u64,
    capacity: usize,
    count: *mut usize,
) -> hnsw_status {
    index::ids(bf, out, capacity, count)
}

/// Number of elements.
#[no_mangle]
pub extern "C" fn hnsw_bf_count(bf: *const hnsw_bf, out: *mut usize) -> hnsw_status {
    get(bf, out, |h| h.index.len())
}

/// Capacity.
#[no_mangle]
pub extern "C" fn hnsw_bf_max_elements(bf: *const hnsw_bf, out: *mut usize) -> hnsw_status {
    get(bf, out, |h| h.index.max_elements())
}

/// The dimension of the index's space.
#[no_mangle]
pub extern "C" fn hnsw_bf_dim(bf: *const hnsw_bf, out: *mut usize) -> hnsw_status {
    get(bf, out, |h| h.index.dim())
}

/// Saves in hnswlib's brute-force file format (temporary file, sync, rename).
#[no_mangle]
pub extern "C" fn hnsw_bf_save(bf: *const hnsw_bf, path: *const c_char) -> hnsw_status {
    hnsw_bf_save_with(bf, path, std::ptr::null())
}

/// `hnsw_bf_save` with options (NULL: `hnsw_save_options_default()`, a durable save).
#[no_mangle]
pub extern "C" fn hnsw_bf_save_with(
    bf: *const hnsw_bf,
    path: *const c_char,
    opts: *const hnsw_save_options,
) -> hnsw_status {
    guard(|| {
        let h = handle(bf, "bf")?;
        Ok(h.index
            .save_with(self::path(path, "path")?, &save_options(opts)?)?)
    })
}

/// Loads a brute-force file written by `hnsw_bf_save` or hnswlib. `max_elements` 0
/// keeps the file's capacity.
#[no_mangle]
pub extern "C" fn hnsw_bf_load(
    path: *const c_char,
    space: *const hnsw_space,
    max_elements: usize,
    out: *mut *mut hnsw_bf,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            let path = self::path(path, "path")?;
            Ok(BruteForceIndex::load(path, space, max_elements)?)
        })
    })
}

/// The index in hnswlib's brute-force file format, in a buffer freed with
/// `hnsw_buffer_free(*data, *len)`.
#[no_mangle]
pub extern "C" fn hnsw_bf_serialize(
    bf: *const hnsw_bf,
    data: *mut *mut u8,
    len: *mut usize,
) -> hnsw_status {
    index::serialize(bf, data, len)
}

/// Loads a brute-force index from `len` bytes (copied).
#[no_mangle]
pub extern "C" fn hnsw_bf_deserialize(
    data: *const u8,
    len: usize,
    space: *const hnsw_space,
    max_elements: usize,
    out: *mut *mut hnsw_bf,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            let bytes = slice(data, len, "data")?;
            Ok(BruteForceIndex::from_bytes(bytes, space, max_elements)?)
        })
    })
}
