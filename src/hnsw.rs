//! `hnsw_index_*`: the HNSW index (hnswlib's `HierarchicalNSW`).
//!
//! Thread safety: every function may be called on the same index from many threads
//! at once (adds, updates, deletes and searches run concurrently; resize waits for the
//! others), except `hnsw_index_free`, which must be the last call on the handle.
//!
//! Vectors: a vector is `dim` floats for l2/ip/cosine spaces, `dim` bytes for l2u8,
//! and `element_size` bytes for custom spaces; batches are rows of vectors, one after
//! the other. Buffers are only read or written during the call.

use std::ffi::{c_char, c_void};

use hnswlib_core::HnswIndex;

use crate::args::{check_out, handle, path, put, put_new, slice, with_vectors, Layout};
use crate::index::{self, get, hnsw_index, run};
use crate::options::{
    hnsw_add_options, hnsw_load_options, hnsw_params, hnsw_save_options, hnsw_search_options,
    load_options, params, save_options, Add,
};
use crate::quantization::{self, hnsw_quantization};
use crate::space::hnsw_space;
use crate::status::{guard, hnsw_status, AbiResult};

/// Makes an index with `make` and hands it to the caller through `out`, which is
/// checked first, so that a NULL `out` costs no work (no file read, no allocation).
pub(crate) fn boxed(
    out: *mut *mut hnsw_index,
    make: impl FnOnce() -> AbiResult<HnswIndex>,
) -> AbiResult {
    check_out(out, "out")?;
    let index = make()?;
    let layout = Layout::of(&index.space());
    put_new(out, hnsw_index { index, layout })
}

/// Creates an empty index over a copy of `space`. `params` NULL means
/// `hnsw_params_default()`. On success `*out` is the new index; free it with
/// `hnsw_index_free`. Fails with HNSW_ERR_INVALID_ARGUMENT for M outside 2..10000,
/// ef_construction < M, a quantization value that is not an HNSW_QUANT_* mode, or a
/// quantized mode on an l2u8 or custom space; HNSW_ERR_OUT_OF_MEMORY when the
/// capacity cannot be allocated.
#[no_mangle]
pub extern "C" fn hnsw_index_new(
    space: *const hnsw_space,
    params: *const hnsw_params,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            Ok(HnswIndex::new(space, &self::params(params)?)?)
        })
    })
}

/// Frees an index. NULL is allowed. No other call on it may be running or follow.
#[no_mangle]
pub extern "C" fn hnsw_index_free(index: *mut hnsw_index) {
    if !index.is_null() {
        // SAFETY: made by Box::into_raw in this module and, by contract, freed once
        // with no call in flight.
        drop(unsafe { Box::from_raw(index) });
    }
}

/// Adds one vector under `label`. An existing label has its vector replaced in place
/// and its neighbourhood repaired (hnswlib's update). With `replace_deleted` (the
/// index must allow it) a new label may take the slot of a deleted element.
/// Errors: HNSW_ERR_CAPACITY when full, HNSW_ERR_INVALID_ARGUMENT for non-finite
/// values, HNSW_ERR_STATE for replace_deleted on an index that does not allow it.
#[no_mangle]
pub extern "C" fn hnsw_index_add(
    index: *const hnsw_index,
    vector: *const c_void,
    label: u64,
    replace_deleted: bool,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        let v = h.layout.rows(vector, 1, "vector")?;
        with_vectors!(v, v => h.index.add(v, label, replace_deleted))?;
        Ok(())
    })
}

/// Adds `rows` vectors (row-major) on several threads. `labels` holds `rows` labels,
/// or is NULL for automatic labels (the count of elements added so far, as hnswlib's
/// Python `add_items`). `opts` NULL means `hnsw_add_options_default()`. Every row and
/// the capacity are checked before anything is added. When the progress callback
/// cancels, returns HNSW_ERR_CANCELLED with the rows added so far in the index.
#[no_mangle]
pub extern "C" fn hnsw_index_add_batch(
    index: *const hnsw_index,
    data: *const c_void,
    rows: usize,
    labels: *const u64,
    opts: *const hnsw_add_options,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        let v = h.layout.rows(data, rows, "data")?;
        let labels = if labels.is_null() {
            None
        } else {
            Some(slice(labels, rows, "labels")?)
        };
        Add::from_c(opts).with(|o| with_vectors!(v, v => h.index.add_batch(v, labels, o)))?;
        Ok(())
    })
}

/// Marks `label` deleted: it still routes searches but is never returned.
/// HNSW_ERR_LABEL_NOT_FOUND for an unknown label, HNSW_ERR_STATE if already deleted.
#[no_mangle]
pub extern "C" fn hnsw_index_mark_deleted(index: *const hnsw_index, label: u64) -> hnsw_status {
    run(index, |h| h.index.mark_deleted(label))
}

/// Undoes `hnsw_index_mark_deleted`. HNSW_ERR_STATE if the label is not deleted.
#[no_mangle]
pub extern "C" fn hnsw_index_unmark_deleted(index: *const hnsw_index, label: u64) -> hnsw_status {
    run(index, |h| h.index.unmark_deleted(label))
}

/// Whether `label` is marked deleted. HNSW_ERR_LABEL_NOT_FOUND for an unknown label.
#[no_mangle]
pub extern "C" fn hnsw_index_is_deleted(
    index: *const hnsw_index,
    label: u64,
    out: *mut bool,
) -> hnsw_status {
    guard(|| {
        let deleted = handle(index, "index")?.index.is_deleted(label)?;
        put(out, "out", deleted)
    })
}

/// Whether `label` is in the index (deleted or not).
#[no_mangle]
pub extern "C" fn hnsw_index_contains(
    index: *const hnsw_index,
    label: u64,
    out: *mut bool,
) -> hnsw_status {
    get(index, out, |h| h.index.contains(label))
}

/// Changes the capacity. HNSW_ERR_STATE below the element count. Waits for running
/// calls on the index and blocks new ones while it runs.
#[no_mangle]
pub extern "C" fn hnsw_index_resize(index: *const hnsw_index, max_elements: usize) -> hnsw_status {
    run(index, |h| h.index.resize(max_elements))
}

/// Sets the query-time ef (default 10); searches use max(ef, k).
#[no_mangle]
pub extern "C" fn hnsw_index_set_ef(index: *const hnsw_index, ef: usize) -> hnsw_status {
    run(index, |h| {
        h.index.set_ef(ef);
        Ok(())
    })
}

/// The query-time ef.
#[no_mangle]
pub extern "C" fn hnsw_index_get_ef(index: *const hnsw_index, out: *mut usize) -> hnsw_status {
    get(index, out, |h| h.index.ef())
}

/// Sets the re-ranking depth of a quantized index: searches re-score the best
/// `rerank * k` candidates of the code traversal (at most ef) with exact distances.
/// Values below 1 mean k; higher is slower and closer to the recall of an unquantized
/// index. Default 2 for HNSW_QUANT_SQ8, 4 for HNSW_QUANT_SQ4. Kept but unused by an
/// unquantized index. NaN or infinity is HNSW_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn hnsw_index_set_rerank(index: *const hnsw_index, rerank: f32) -> hnsw_status {
    run(index, |h| h.index.set_rerank(rerank))
}

/// The re-ranking depth (see `hnsw_index_set_rerank`).
#[no_mangle]
pub extern "C" fn hnsw_index_get_rerank(index: *const hnsw_index, out: *mut f32) -> hnsw_status {
    get(index, out, |h| h.index.rerank())
}

/// The `k` nearest neighbours of one query, closest first (equal distances in label
/// order). `labels` and `distances` hold `capacity` >= k entries; `*found` (may be
/// NULL) gets the number of results, fewer than k when fewer elements match; the
/// entries after them are UINT64_MAX and INFINITY. `opts` NULL means the defaults.
/// Distances are squared for l2.
#[no_mangle]
pub extern "C" fn hnsw_index_knn(
    index: *const hnsw_index,
    query: *const c_void,
    k: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    index::knn(index, query, k, opts, labels, distances, capacity, found)
}

/// The `k` nearest neighbours of each of `rows` queries, on `opts->num_threads`
/// threads. Row i's results are at `labels[i*k ..]` and `distances[i*k ..]`, closest
/// first; both buffers hold `capacity` >= rows*k entries. `counts` (may be NULL)
/// holds `rows` entries and gets each row's number of results; unused entries are
/// UINT64_MAX and INFINITY.
#[no_mangle]
pub extern "C" fn hnsw_index_knn_batch(
    index: *const hnsw_index,
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
        index, queries, rows, k, opts, labels, distances, capacity, counts,
    )
}

/// The stored vectors of `n` labels (cosine: normalised), one after the other, into
/// `out` of `out_bytes` >= n * element size bytes (a codes-only index gives the
/// vectors its codes stand for, close to the ones added). HNSW_ERR_LABEL_NOT_FOUND for
/// an unknown or deleted label.
#[no_mangle]
pub extern "C" fn hnsw_index_get_items(
    index: *const hnsw_index,
    labels: *const u64,
    n: usize,
    out: *mut c_void,
    out_bytes: usize,
) -> hnsw_status {
    index::get_items(index, labels, n, out, out_bytes)
}

/// Every label (deleted ones too), ascending. Call with `out` NULL and `capacity` 0
/// to learn the count in `*count`, then with a buffer of that many entries. A buffer
/// too small gives HNSW_ERR_BUFFER_TOO_SMALL with the needed count in `*count`.
#[no_mangle]
pub extern "C" fn hnsw_index_ids(
    index: *const hnsw_index,
    out: *mut u64,
    capacity: usize,
    count: *mut usize,
) -> hnsw_status {
    index::ids(index, out, capacity, count)
}

/// Number of elements, deleted ones included (hnswlib's `cur_element_count`).
#[no_mangle]
pub extern "C" fn hnsw_index_count(index: *const hnsw_index, out: *mut usize) -> hnsw_status {
    get(index, out, |h| h.index.len())
}

/// Number of elements marked deleted.
#[no_mangle]
pub extern "C" fn hnsw_index_deleted_count(
    index: *const hnsw_index,
    out: *mut usize,
) -> hnsw_status {
    get(index, out, |h| h.index.deleted_count())
}

/// Capacity.
#[no_mangle]
pub extern "C" fn hnsw_index_max_elements(
    index: *const hnsw_index,
    out: *mut usize,
) -> hnsw_status {
    get(index, out, |h| h.index.max_elements())
}

/// M, the links per element on the upper levels.
#[no_mangle]
pub extern "C" fn hnsw_index_m(index: *const hnsw_index, out: *mut usize) -> hnsw_status {
    get(index, out, |h| h.index.m())
}

/// ef_construction.
#[no_mangle]
pub extern "C" fn hnsw_index_ef_construction(
    index: *const hnsw_index,
    out: *mut usize,
) -> hnsw_status {
    get(index, out, |h| h.index.ef_construction())
}

/// The dimension of the index's space (floats or bytes per vector).
#[no_mangle]
pub extern "C" fn hnsw_index_dim(index: *const hnsw_index, out: *mut usize) -> hnsw_status {
    get(index, out, |h| h.index.dim())
}

/// A copy of the index's space (free it with `hnsw_space_free`): what a file opened
/// with `hnsw_index_open` or `hnsw_index_open_view` holds (`hnsw_space_name`,
/// `hnsw_space_dim`), and a space to make more indexes with.
#[no_mangle]
pub extern "C" fn hnsw_index_space(
    index: *const hnsw_index,
    out: *mut *mut hnsw_space,
) -> hnsw_status {
    guard(|| {
        let space = handle(index, "index")?.index.space();
        put_new(out, hnsw_space::new(space))
    })
}

/// Whether adds may replace deleted elements.
#[no_mangle]
pub extern "C" fn hnsw_index_allow_replace_deleted(
    index: *const hnsw_index,
    out: *mut bool,
) -> hnsw_status {
    get(index, out, |h| h.index.allow_replace_deleted())
}

/// The storage mode searches traverse (an HNSW_QUANT_* value), as made or loaded.
#[no_mangle]
pub extern "C" fn hnsw_index_quantization(
    index: *const hnsw_index,
    out: *mut hnsw_quantization,
) -> hnsw_status {
    get(index, out, |h| quantization::to_c(h.index.quantization()))
}

/// Whether the index keeps its exact vectors: true unless it is quantized with
/// keep_vectors false.
#[no_mangle]
pub extern "C" fn hnsw_index_keeps_vectors(
    index: *const hnsw_index,
    out: *mut bool,
) -> hnsw_status {
    get(index, out, |h| h.index.keeps_vectors())
}

/// Whether a quantized index has learnt its codes (once it holds 1000 elements; it
/// searches the exact vectors until then). false for an unquantized index.
#[no_mangle]
pub extern "C" fn hnsw_index_is_trained(index: *const hnsw_index, out: *mut bool) -> hnsw_status {
    get(index, out, |h| h.index.is_trained())
}

/// Search statistics since creation or the last reset (hnswlib's `metric_hops` and
/// `metric_distance_computations`). Either pointer may be NULL.
#[no_mangle]
pub extern "C" fn hnsw_index_metrics(
    index: *const hnsw_index,
    hops: *mut u64,
    distance_computations: *mut u64,
) -> hnsw_status {
    guard(|| {
        let (h, d) = handle(index, "index")?.index.metrics();
        if !hops.is_null() {
            put(hops, "hops", h)?;
        }
        if !distance_computations.is_null() {
            put(distance_computations, "distance_computations", d)?;
        }
        Ok(())
    })
}

/// hnswlib's checkIntegrity: checks every link list of the graph (each fits, names
/// an element of its level, never the element itself, never one element twice).
/// `connections` (may be NULL) receives the number of links checked. A violation is
/// HNSW_ERR_FORMAT naming the first one found; from a callback of the same index,
/// HNSW_ERR_STATE.
#[no_mangle]
pub extern "C" fn hnsw_index_check_integrity(
    index: *const hnsw_index,
    connections: *mut u64,
) -> hnsw_status {
    guard(|| {
        let report = handle(index, "index")?.index.check_integrity()?;
        if !connections.is_null() {
            put(connections, "connections", report.connections)?;
        }
        Ok(())
    })
}

/// Resets the search statistics to zero.
#[no_mangle]
pub extern "C" fn hnsw_index_reset_metrics(index: *const hnsw_index) -> hnsw_status {
    run(index, |h| {
        h.index.reset_metrics();
        Ok(())
    })
}

/// Saves in hnswlib's file format (hnswlib's `saveIndex` reads and writes the same
/// bytes). Writes a temporary file in the same directory, syncs it and renames it
/// over `path`, so a crash never leaves a half-written file. A quantized index writes
/// the same file as an unquantized one (its exact vectors, no codes; load it with
/// `hnsw_load_options.quantization` to search codes again); a codes-only index
/// (keep_vectors false, codes learnt) has no vectors to write: HNSW_ERR_STATE, and no
/// file is written.
#[no_mangle]
pub extern "C" fn hnsw_index_save(index: *const hnsw_index, path: *const c_char) -> hnsw_status {
    hnsw_index_save_with(index, path, std::ptr::null())
}

/// `hnsw_index_save` with options (NULL: `hnsw_save_options_default()`, a durable
/// save in hnswlib's format); `sync = false` returns once the bytes are in the page
/// cache, as hnswlib; `format = HNSW_FORMAT_NATIVE` writes the native format (any
/// index, codes-only ones included; `hnsw_index_open` and `hnsw_index_open_view` read
/// it with no space).
#[no_mangle]
pub extern "C" fn hnsw_index_save_with(
    index: *const hnsw_index,
    path: *const c_char,
    opts: *const hnsw_save_options,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        Ok(h.index
            .save_with(self::path(path, "path")?, &save_options(opts)?)?)
    })
}

/// Loads an index file written by `hnsw_index_save(_with)` or hnswlib, in either
/// format (told apart by the native format's magic bytes). `space` must match the
/// file (hnswlib's format: a wrong dimension is HNSW_ERR_FORMAT; the native format,
/// which names its space: another space or dimension is HNSW_ERR_INVALID_ARGUMENT,
/// and `hnsw_index_open` needs none); `opts` NULL means
/// `hnsw_load_options_default()`, whose `quantization` loads into a quantized index.
/// A truncated or corrupted file is HNSW_ERR_FORMAT; a bad quantization
/// HNSW_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn hnsw_index_load(
    path: *const c_char,
    space: *const hnsw_space,
    opts: *const hnsw_load_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            let path = self::path(path, "path")?;
            Ok(HnswIndex::load(path, space, &load_options(opts)?)?)
        })
    })
}

/// The index in hnswlib's file format, in memory: `*data` gets a buffer of `*len`
/// bytes that the caller frees with `hnsw_buffer_free(*data, *len)`. HNSW_ERR_STATE
/// for a codes-only index, as `hnsw_index_save`.
#[no_mangle]
pub extern "C" fn hnsw_index_serialize(
    index: *const hnsw_index,
    data: *mut *mut u8,
    len: *mut usize,
) -> hnsw_status {
    index::serialize(index, data, len)
}

/// Size in bytes of the file `hnsw_index_save` would write now.
#[no_mangle]
pub extern "C" fn hnsw_index_serialized_size(
    index: *const hnsw_index,
    out: *mut usize,
) -> hnsw_status {
    get(index, out, |h| h.index.file_size())
}

/// Loads an index from `len` bytes in hnswlib's file format (as from
/// `hnsw_index_serialize`) or the native one (`hnsw_index_serialize_with`). The bytes are copied; the caller keeps them. `opts` as
/// for `hnsw_index_load`.
#[no_mangle]
pub extern "C" fn hnsw_index_deserialize(
    data: *const u8,
    len: usize,
    space: *const hnsw_space,
    opts: *const hnsw_load_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            let bytes = slice(data, len, "data")?;
            Ok(HnswIndex::from_bytes(bytes, space, &load_options(opts)?)?)
        })
    })
}
