//! What the HNSW and brute-force handles share: one implementation of search into
//! caller buffers, get_items, ids and serialisation for both.

use std::ffi::c_void;

use hnswlib_core::{BruteForceIndex, HnswIndex, Neighbor, Result, SearchOptions};

use crate::args::{check_out, handle, put, slice, slice_mut, with_vectors, Layout, Vectors};
use crate::options::{hnsw_search_options, Search};
use crate::status::{guard, hnsw_status, AbiResult, Failure};

/// An index behind a C handle.
pub(crate) trait AbiIndex {
    /// What the handle is called in messages ("index", "bf").
    const NAME: &'static str;
    fn layout(&self) -> Layout;
    fn search_one(&self, query: Vectors, k: usize, opts: &SearchOptions) -> Result<Vec<Neighbor>>;
    #[allow(clippy::too_many_arguments)]
    fn search_rows(
        &self,
        queries: Vectors,
        k: usize,
        opts: &SearchOptions,
        labels: &mut [u64],
        distances: &mut [f32],
        counts: &mut [usize],
    ) -> Result<()>;
    /// The stored vector of `label`, as bytes.
    fn item_bytes(&self, label: u64) -> Result<Vec<u8>>;
    fn ids(&self) -> Vec<u64>;
    fn to_bytes(&self) -> Result<Vec<u8>>;
}

/// The HNSW index handle. Opaque.
pub struct hnsw_index {
    pub(crate) index: HnswIndex,
    pub(crate) layout: Layout,
}

/// The brute-force index handle. Opaque.
pub struct hnsw_bf {
    pub(crate) index: BruteForceIndex,
    pub(crate) layout: Layout,
}

fn bytes_of(v: Vec<f32>) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

impl AbiIndex for hnsw_index {
    const NAME: &'static str = "index";
    fn layout(&self) -> Layout {
        self.layout
    }
    fn search_one(&self, query: Vectors, k: usize, opts: &SearchOptions) -> Result<Vec<Neighbor>> {
        with_vectors!(query, q => self.index.search(q, k, opts))
    }
    fn search_rows(
        &self,
        queries: Vectors,
        k: usize,
        opts: &SearchOptions,
        labels: &mut [u64],
        distances: &mut [f32],
        counts: &mut [usize],
    ) -> Result<()> {
        with_vectors!(queries, q => self.index.search_batch_into(q, k, opts, labels, distances, counts))
    }
    fn item_bytes(&self, label: u64) -> Result<Vec<u8>> {
        if self.layout.is_f32 {
            self.index.get_item::<f32>(label).map(bytes_of)
        } else {
            self.index.get_item::<u8>(label)
        }
    }
    fn ids(&self) -> Vec<u64> {
        self.index.ids()
    }
    fn to_bytes(&self) -> Result<Vec<u8>> {
        self.index.to_bytes()
    }
}

impl AbiIndex for hnsw_bf {
    const NAME: &'static str = "bf";
    fn layout(&self) -> Layout {
        self.layout
    }
    fn search_one(&self, query: Vectors, k: usize, opts: &SearchOptions) -> Result<Vec<Neighbor>> {
        with_vectors!(query, q => self.index.search(q, k, opts))
    }
    fn search_rows(
        &self,
        queries: Vectors,
        k: usize,
        opts: &SearchOptions,
        labels: &mut [u64],
        distances: &mut [f32],
        counts: &mut [usize],
    ) -> Result<()> {
        let res = with_vectors!(queries, q => self.index.search_batch(q, k, opts))?;
        labels.copy_from_slice(&res.labels);
        distances.copy_from_slice(&res.distances);
        counts.copy_from_slice(&res.counts);
        Ok(())
    }
    fn item_bytes(&self, label: u64) -> Result<Vec<u8>> {
        if self.layout.is_f32 {
            self.index.get_item::<f32>(label).map(bytes_of)
        } else {
            self.index.get_item::<u8>(label)
        }
    }
    fn ids(&self) -> Vec<u64> {
        self.index.ids()
    }
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.index.to_bytes())
    }
}

/// Reads a property of a handle into an out-parameter.
pub(crate) fn get<H: AbiIndex, T>(
    h: *const H,
    out: *mut T,
    f: impl FnOnce(&H) -> T,
) -> hnsw_status {
    guard(|| put(out, "out", f(handle(h, H::NAME)?)))
}

/// Runs a fallible operation on a handle.
pub(crate) fn run<H: AbiIndex>(
    h: *const H,
    f: impl FnOnce(&H) -> hnswlib_core::Result<()>,
) -> hnsw_status {
    guard(|| Ok(f(handle(h, H::NAME)?)?))
}

/// Checks that a result buffer pair holds `needed` entries.
fn check_capacity(capacity: usize, needed: usize) -> AbiResult {
    if capacity < needed {
        return Err(Failure::too_small("labels/distances", needed, capacity));
    }
    Ok(())
}

/// k-NN of one query into caller buffers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn knn<H: AbiIndex>(
    h: *const H,
    query: *const c_void,
    k: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let q = h.layout().rows(query, 1, "query")?;
        check_capacity(capacity, k)?;
        let labels = slice_mut(labels, k, "labels")?;
        let distances = slice_mut(distances, k, "distances")?;
        let hits = Search::from_c(opts)?.with(|o| h.search_one(q, k, o))?;
        for (i, (l, d)) in labels.iter_mut().zip(distances.iter_mut()).enumerate() {
            let n = hits.get(i);
            *l = n.map_or(u64::MAX, |n| n.label);
            *d = n.map_or(f32::INFINITY, |n| n.distance);
        }
        if !found.is_null() {
            put(found, "found", hits.len())?;
        }
        Ok(())
    })
}

/// k-NN of `rows` queries into caller buffers of `rows * k` entries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn knn_batch<H: AbiIndex>(
    h: *const H,
    queries: *const c_void,
    rows: usize,
    k: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    counts: *mut usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let q = h.layout().rows(queries, rows, "queries")?;
        let needed = rows
            .checked_mul(k)
            .ok_or_else(|| Failure::invalid(format!("{rows} queries × k {k} is too many")))?;
        check_capacity(capacity, needed)?;
        let labels = slice_mut(labels, needed, "labels")?;
        let distances = slice_mut(distances, needed, "distances")?;
        let mut own_counts;
        let counts = if counts.is_null() {
            own_counts = vec![0usize; rows];
            &mut own_counts[..]
        } else {
            slice_mut(counts, rows, "counts")?
        };
        Search::from_c(opts)?.with(|o| h.search_rows(q, k, o, labels, distances, counts))?;
        Ok(())
    })
}

/// The stored vectors of `n` labels, concatenated into `out` (`out_bytes` long).
pub(crate) fn get_items<H: AbiIndex>(
    h: *const H,
    labels: *const u64,
    n: usize,
    out: *mut c_void,
    out_bytes: usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let labels = slice(labels, n, "labels")?;
        let size = h.layout().vector_bytes();
        let needed = size
            .checked_mul(n)
            .ok_or_else(|| Failure::invalid(format!("{n} labels is too many")))?;
        if out_bytes < needed {
            return Err(Failure::too_small("out (bytes)", needed, out_bytes));
        }
        let out = slice_mut(out.cast::<u8>(), needed, "out")?;
        for (chunk, &label) in out.chunks_exact_mut(size.max(1)).zip(labels) {
            chunk.copy_from_slice(&h.item_bytes(label)?);
        }
        Ok(())
    })
}

/// Every label, ascending, into `out` (`capacity` entries); `*count` gets the number
/// of labels, also when the buffer is too small or NULL with capacity 0.
pub(crate) fn ids<H: AbiIndex>(
    h: *const H,
    out: *mut u64,
    capacity: usize,
    count: *mut usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let ids = h.ids();
        put(count, "count", ids.len())?;
        if capacity == 0 && out.is_null() {
            return Ok(());
        }
        if capacity < ids.len() {
            return Err(Failure::too_small("out", ids.len(), capacity));
        }
        slice_mut(out, ids.len(), "out")?.copy_from_slice(&ids);
        Ok(())
    })
}

/// The index in hnswlib's file format, in a buffer the caller frees with
/// `hnsw_buffer_free`.
pub(crate) fn serialize<H: AbiIndex>(
    h: *const H,
    data: *mut *mut u8,
    len: *mut usize,
) -> hnsw_status {
    guard(|| serialize_by(h, data, len, |h| Ok(h.to_bytes()?)))
}

/// The bytes `to_bytes` makes of the index, in a buffer the caller frees with
/// `hnsw_buffer_free`.
pub(crate) fn serialize_by<H: AbiIndex>(
    h: *const H,
    data: *mut *mut u8,
    len: *mut usize,
    to_bytes: impl FnOnce(&H) -> AbiResult<Vec<u8>>,
) -> AbiResult {
    let h = handle(h, H::NAME)?;
    // Both are checked before the buffer exists, so a bad pointer cannot leak it.
    check_out(data, "data")?;
    check_out(len, "len")?;
    let bytes = to_bytes(h)?.into_boxed_slice();
    let n = bytes.len();
    put(len, "len", n)?;
    put(data, "data", Box::into_raw(bytes).cast::<u8>())
}

/// Frees a buffer returned by `hnsw_index_serialize(_with)` or `hnsw_bf_serialize`, with the
/// length returned with it. NULL is allowed.
#[no_mangle]
pub extern "C" fn hnsw_buffer_free(data: *mut u8, len: usize) {
    if !data.is_null() {
        // SAFETY: by contract `data`/`len` came from `serialize`, which leaked a
        // Box<[u8]> of exactly this length, and are freed once.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, len)) });
    }
}
