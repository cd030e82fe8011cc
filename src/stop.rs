//! Range (epsilon) search and multi-vector (document) search on both index handles:
//! `hnsw_index_range_search*`, `hnsw_bf_range_search*`, `hnsw_index_search_docs`,
//! `hnsw_index_search_doc_hits`, `hnsw_bf_search_docs`, and the library-allocated
//! `hnsw_results` they fill.
//!
//! Distances are the index's (squared for l2). On a quantized index `epsilon` is
//! compared with exact distances: the candidates its code traversal found are
//! re-scored with the exact vectors first.

use std::ffi::c_void;

use hnswlib_core::{DocHit, Neighbor, RangeResults, Result, SearchOptions};

use crate::args::{check_out, handle, put, put_new, slice_mut, with_vectors, Vectors};
use crate::index::{hnsw_bf, hnsw_index, AbiIndex};
use crate::options::{hnsw_search_options, Search};
use crate::status::{guard, hnsw_status, AbiResult, Failure};

/// The document of the element with `label`, for a document search; UINT64_MAX when
/// it belongs to none (it is then never returned). Called from the searching thread
/// with the `user_data` given with it; must be thread-safe and must not unwind.
pub type hnsw_doc_fn = Option<unsafe extern "C" fn(label: u64, user_data: *mut c_void) -> u64>;

/// Results whose count the caller cannot know beforehand, allocated by the library:
/// the results of query i are entries `lims[i]` to `lims[i + 1] - 1` of `labels`,
/// `distances` (and `docs`), closest first (FAISS's range_search layout). Free with
/// `hnsw_results_free`.
#[repr(C)]
pub struct hnsw_results {
    /// Number of queries.
    pub rows: usize,
    /// `rows + 1` offsets; `lims[rows]` is the total number of results.
    pub lims: *mut usize,
    /// Labels of the results.
    pub labels: *mut u64,
    /// Their distances.
    pub distances: *mut f32,
    /// For document searches, the document of each result; NULL otherwise.
    pub docs: *mut u64,
}

fn leak<T>(v: Vec<T>) -> *mut T {
    Box::into_raw(v.into_boxed_slice()).cast::<T>()
}

/// # Safety
/// `p` is NULL or came from `leak` of a vector of `len` elements.
unsafe fn unleak<T>(p: *mut T, len: usize) {
    if !p.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len)) });
    }
}

impl hnsw_results {
    fn new(r: RangeResults, docs: Option<Vec<u64>>) -> Self {
        hnsw_results {
            rows: r.rows(),
            lims: leak(r.lims),
            labels: leak(r.labels),
            distances: leak(r.distances),
            docs: docs.map_or(std::ptr::null_mut(), leak),
        }
    }
}

impl Drop for hnsw_results {
    fn drop(&mut self) {
        // SAFETY: the fields were made by `new` from vectors of rows + 1 offsets and
        // lims[rows] results each, and are freed only here.
        unsafe {
            let total = *self.lims.add(self.rows);
            unleak(self.labels, total);
            unleak(self.distances, total);
            unleak(self.docs, total);
            unleak(self.lims, self.rows + 1);
        }
    }
}

/// Frees results returned by a `*_range_search_batch` or `*_search_doc_hits` call.
/// NULL is allowed.
#[no_mangle]
pub extern "C" fn hnsw_results_free(results: *mut hnsw_results) {
    if !results.is_null() {
        // SAFETY: made by Box::into_raw (put_new) in this module and, by contract,
        // freed once.
        drop(unsafe { Box::from_raw(results) });
    }
}

/// What both handles offer for stop-condition searches.
trait StopIndex: AbiIndex {
    fn range_one(
        &self,
        q: Vectors,
        eps: f32,
        max: usize,
        o: &SearchOptions,
    ) -> Result<Vec<Neighbor>>;
    fn range_rows(
        &self,
        q: Vectors,
        eps: f32,
        max: usize,
        o: &SearchOptions,
    ) -> Result<RangeResults>;
    fn docs_one(
        &self,
        q: Vectors,
        k_docs: usize,
        doc_of: &(dyn Fn(u64) -> Option<u64> + Sync),
        o: &SearchOptions,
    ) -> Result<Vec<DocHit>>;
}

/// The same core calls on both handles (their core indexes share these methods).
macro_rules! impl_stop_index {
    ($($handle:ty),*) => {$(
        impl StopIndex for $handle {
            fn range_one(
                &self,
                q: Vectors,
                eps: f32,
                max: usize,
                o: &SearchOptions,
            ) -> Result<Vec<Neighbor>> {
                with_vectors!(q, q => self.index.search_range(q, eps, max, o))
            }
            fn range_rows(
                &self,
                q: Vectors,
                eps: f32,
                max: usize,
                o: &SearchOptions,
            ) -> Result<RangeResults> {
                with_vectors!(q, q => self.index.search_range_batch(q, eps, max, o))
            }
            fn docs_one(
                &self,
                q: Vectors,
                k_docs: usize,
                doc_of: &(dyn Fn(u64) -> Option<u64> + Sync),
                o: &SearchOptions,
            ) -> Result<Vec<DocHit>> {
                with_vectors!(q, q => self.index.search_docs(q, k_docs, doc_of, o))
            }
        }
    )*};
}
impl_stop_index!(hnsw_index, hnsw_bf);

/// A C document function with its user data, callable from any thread.
struct DocFn {
    func: unsafe extern "C" fn(u64, *mut c_void) -> u64,
    user_data: *mut c_void,
}
// SAFETY: the pointer is only passed back to the caller's function, whose contract
// (hnsw_doc_fn) is that it may be called from any thread, concurrently.
unsafe impl Sync for DocFn {}

impl DocFn {
    fn new(func: hnsw_doc_fn, user_data: *mut c_void) -> AbiResult<Self> {
        let func = func.ok_or_else(|| Failure::null("doc_of"))?;
        Ok(DocFn { func, user_data })
    }
    fn call(&self, label: u64) -> Option<u64> {
        // SAFETY: as for the filter: the caller's function and user data, callable
        // from any thread.
        let doc = unsafe { (self.func)(label, self.user_data) };
        (doc != u64::MAX).then_some(doc)
    }
}

/// Writes `n` results into caller buffers of `capacity` >= `needed` entries; the rest
/// get UINT64_MAX and INFINITY (docs: UINT64_MAX).
#[allow(clippy::too_many_arguments)]
fn write_out(
    needed: usize,
    capacity: usize,
    n: usize,
    get: impl Fn(usize) -> (u64, f32, u64),
    labels: *mut u64,
    distances: *mut f32,
    docs: Option<*mut u64>,
    found: *mut usize,
) -> AbiResult {
    if capacity < needed {
        return Err(Failure::too_small("labels/distances", needed, capacity));
    }
    let labels = slice_mut(labels, needed, "labels")?;
    let distances = slice_mut(distances, needed, "distances")?;
    let mut docs = match docs {
        Some(d) => Some(slice_mut(d, needed, "docs")?),
        None => None,
    };
    for i in 0..needed {
        let (l, d, doc) = if i < n {
            get(i)
        } else {
            (u64::MAX, f32::INFINITY, u64::MAX)
        };
        labels[i] = l;
        distances[i] = d;
        if let Some(docs) = docs.as_deref_mut() {
            docs[i] = doc;
        }
    }
    if !found.is_null() {
        put(found, "found", n)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn range_one<H: StopIndex>(
    h: *const H,
    query: *const c_void,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let q = h.layout().rows(query, 1, "query")?;
        if capacity < max_results {
            return Err(Failure::too_small(
                "labels/distances",
                max_results,
                capacity,
            ));
        }
        let hits = Search::from_c(opts)?.with(|o| h.range_one(q, epsilon, max_results, o))?;
        let get = |i: usize| (hits[i].label, hits[i].distance, 0);
        write_out(
            max_results,
            capacity,
            hits.len(),
            get,
            labels,
            distances,
            None,
            found,
        )
    })
}

fn range_batch<H: StopIndex>(
    h: *const H,
    queries: *const c_void,
    rows: usize,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    out: *mut *mut hnsw_results,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        check_out(out, "out")?;
        let q = h.layout().rows(queries, rows, "queries")?;
        let res = Search::from_c(opts)?.with(|o| h.range_rows(q, epsilon, max_results, o))?;
        put_new(out, hnsw_results::new(res, None))
    })
}

#[allow(clippy::too_many_arguments)]
fn docs_one<H: StopIndex>(
    h: *const H,
    query: *const c_void,
    k_docs: usize,
    opts: *const hnsw_search_options,
    doc_of: hnsw_doc_fn,
    doc_user_data: *mut c_void,
    docs: *mut u64,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(h, H::NAME)?;
        let q = h.layout().rows(query, 1, "query")?;
        let doc_fn = DocFn::new(doc_of, doc_user_data)?;
        if capacity < k_docs {
            return Err(Failure::too_small(
                "docs/labels/distances",
                k_docs,
                capacity,
            ));
        }
        let doc_of = |l: u64| doc_fn.call(l);
        let hits = Search::from_c(opts)?.with(|o| h.docs_one(q, k_docs, &doc_of, o))?;
        let get = |i: usize| (hits[i].label, hits[i].distance, hits[i].doc);
        write_out(
            k_docs,
            capacity,
            hits.len(),
            get,
            labels,
            distances,
            Some(docs),
            found,
        )
    })
}

/// Every element within distance `epsilon` of one query (squared for l2), closest
/// first (equal distances in label order), at most `max_results`: hnswlib's
/// searchStopConditionClosest with EpsilonSearchStopCondition. `opts->ef` is
/// hnswlib's min_num_candidates (0: the index's ef): the search explores at least that
/// many results, then goes on while candidates lie within `epsilon`; higher finds more
/// of what is in range. `labels` and `distances` hold `capacity` >= max_results
/// entries; `*found` (may be NULL) gets the number of results, the entries after them
/// are UINT64_MAX and INFINITY. HNSW_ERR_INVALID_ARGUMENT for a NaN epsilon, a
/// negative one on l2, l2u8 or cosine spaces, or max_results 0;
/// HNSW_ERR_BUFFER_TOO_SMALL when capacity < max_results (use
/// `hnsw_index_range_search_batch` when the bound is large).
#[no_mangle]
pub extern "C" fn hnsw_index_range_search(
    index: *const hnsw_index,
    query: *const c_void,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    range_one(
        index,
        query,
        epsilon,
        max_results,
        opts,
        labels,
        distances,
        capacity,
        found,
    )
}

/// `hnsw_index_range_search` for `rows` queries on `opts->num_threads` threads; `*out`
/// gets results allocated by the library (see `hnsw_results`), freed with
/// `hnsw_results_free`.
#[no_mangle]
pub extern "C" fn hnsw_index_range_search_batch(
    index: *const hnsw_index,
    queries: *const c_void,
    rows: usize,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    out: *mut *mut hnsw_results,
) -> hnsw_status {
    range_batch(index, queries, rows, epsilon, max_results, opts, out)
}

/// The exact range search (see `hnsw_index_range_search`; `opts->ef` is ignored).
#[no_mangle]
pub extern "C" fn hnsw_bf_range_search(
    bf: *const hnsw_bf,
    query: *const c_void,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    range_one(
        bf,
        query,
        epsilon,
        max_results,
        opts,
        labels,
        distances,
        capacity,
        found,
    )
}

/// The exact range search of `rows` queries (see `hnsw_index_range_search_batch`).
#[no_mangle]
pub extern "C" fn hnsw_bf_range_search_batch(
    bf: *const hnsw_bf,
    queries: *const c_void,
    rows: usize,
    epsilon: f32,
    max_results: usize,
    opts: *const hnsw_search_options,
    out: *mut *mut hnsw_results,
) -> hnsw_status {
    range_batch(bf, queries, rows, epsilon, max_results, opts, out)
}

/// Multi-vector search: the `k_docs` best documents for one query, each scored by its
/// closest vector (hnswlib's MultiVectorSearchStopCondition), closest first.
/// `doc_of(label, doc_user_data)` gives each element's document (UINT64_MAX: none).
/// `opts->ef` is hnswlib's ef_collection (0: the index's ef; at least k_docs): the
/// number of documents the search collects before it may stop. `docs`, `labels` and
/// `distances` hold `capacity` >= k_docs entries and get each document, its closest
/// vector's label and distance; `*found` (may be NULL) gets the number of documents.
/// HNSW_ERR_NULL_POINTER for a NULL doc_of; HNSW_ERR_INVALID_ARGUMENT for k_docs 0.
#[no_mangle]
pub extern "C" fn hnsw_index_search_docs(
    index: *const hnsw_index,
    query: *const c_void,
    k_docs: usize,
    opts: *const hnsw_search_options,
    doc_of: hnsw_doc_fn,
    doc_user_data: *mut c_void,
    docs: *mut u64,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    docs_one(
        index,
        query,
        k_docs,
        opts,
        doc_of,
        doc_user_data,
        docs,
        labels,
        distances,
        capacity,
        found,
    )
}

/// The exact document search (see `hnsw_index_search_docs`; `opts->ef` is ignored).
#[no_mangle]
pub extern "C" fn hnsw_bf_search_docs(
    bf: *const hnsw_bf,
    query: *const c_void,
    k_docs: usize,
    opts: *const hnsw_search_options,
    doc_of: hnsw_doc_fn,
    doc_user_data: *mut c_void,
    docs: *mut u64,
    labels: *mut u64,
    distances: *mut f32,
    capacity: usize,
    found: *mut usize,
) -> hnsw_status {
    docs_one(
        bf,
        query,
        k_docs,
        opts,
        doc_of,
        doc_user_data,
        docs,
        labels,
        distances,
        capacity,
        found,
    )
}

/// Every vector of the `k_docs` best documents that the search found, closest first,
/// with its document (what hnswlib's searchStopConditionClosest returns with a
/// MultiVectorSearchStopCondition): `*out` gets one row of results with `docs` set,
/// freed with `hnsw_results_free`. Arguments as for `hnsw_index_search_docs`.
#[no_mangle]
pub extern "C" fn hnsw_index_search_doc_hits(
    index: *const hnsw_index,
    query: *const c_void,
    k_docs: usize,
    opts: *const hnsw_search_options,
    doc_of: hnsw_doc_fn,
    doc_user_data: *mut c_void,
    out: *mut *mut hnsw_results,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        check_out(out, "out")?;
        let q = h.layout.rows(query, 1, "query")?;
        let doc_fn = DocFn::new(doc_of, doc_user_data)?;
        let doc_of = |l: u64| doc_fn.call(l);
        let hits = Search::from_c(opts)?
            .with(|o| with_vectors!(q, q => h.index.search_doc_hits(q, k_docs, &doc_of, o)))?;
        let row = hits
            .iter()
            .map(|h| Neighbor {
                label: h.label,
                distance: h.distance,
            })
            .collect();
        let docs = hits.iter().map(|h| h.doc).collect();
        put_new(
            out,
            hnsw_results::new(RangeResults::from_rows(vec![row])?, Some(docs)),
        )
    })
}

/// A stop condition of the caller's own: hnswlib's `BaseSearchStopCondition` as
/// callbacks, each given `user_data`, for `hnsw_index_search_stop_condition`. They
/// are called on the thread that searches, one at a time, and must not unwind.
/// Distances are the index's (squared for l2); a quantized index walks its codes, so
/// the walk's distances are the codes' and the results' are exact.
#[repr(C)]
pub struct hnsw_stop_condition {
    /// Optional (NULL: nothing to do). The element labelled `label` joins the results
    /// at `dist`; `element` is its stored vector (valid during the call only).
    pub add_point_to_result: Option<
        unsafe extern "C" fn(label: u64, element: *const c_void, dist: f32, user_data: *mut c_void),
    >,
    /// Optional. The farthest result leaves (after `should_remove_extra` returned
    /// true); `dist` is its own distance (hnswlib passes the candidate's).
    pub remove_point_from_result: Option<
        unsafe extern "C" fn(label: u64, element: *const c_void, dist: f32, user_data: *mut c_void),
    >,
    /// Required. Whether the search ends now: the closest unexpanded candidate is at
    /// `candidate_dist`, the farthest result at `lower_bound` (FLT_MAX while there is
    /// none).
    pub should_stop_search: Option<
        unsafe extern "C" fn(candidate_dist: f32, lower_bound: f32, user_data: *mut c_void) -> bool,
    >,
    /// Required. Whether a neighbour at `candidate_dist` is queued for expansion (and
    /// offered as a result).
    pub should_consider_candidate: Option<
        unsafe extern "C" fn(candidate_dist: f32, lower_bound: f32, user_data: *mut c_void) -> bool,
    >,
    /// Required. Whether the results hold too many: the farthest is removed while
    /// this returns true.
    pub should_remove_extra: Option<unsafe extern "C" fn(user_data: *mut c_void) -> bool>,
    /// Optional (NULL keeps every result). The final `count` results, closest first:
    /// the function may reorder them and drop some in place, and returns how many of
    /// the first entries are kept (at most `count`; more is HNSW_ERR_INVALID_ARGUMENT).
    pub filter_results: Option<
        unsafe extern "C" fn(
            labels: *mut u64,
            distances: *mut f32,
            count: usize,
            user_data: *mut c_void,
        ) -> usize,
    >,
    /// Passed to every callback.
    pub user_data: *mut c_void,
}

/// An `hnsw_stop_condition` as the core's trait.
struct CStop<'a> {
    c: &'a hnsw_stop_condition,
    stop: unsafe extern "C" fn(f32, f32, *mut c_void) -> bool,
    consider: unsafe extern "C" fn(f32, f32, *mut c_void) -> bool,
    extra: unsafe extern "C" fn(*mut c_void) -> bool,
    /// The count filter_results returned, when it was more than it was given.
    bad_count: Option<(usize, usize)>,
}

// SAFETY (every call below): the caller's functions with the caller's user data, as
// the hnsw_stop_condition contract says, called on this thread; pointers passed are
// valid for the call.
impl hnswlib_core::SearchStopCondition for CStop<'_> {
    fn add_point_to_result(&mut self, label: u64, element: &[u8], dist: f32) {
        if let Some(f) = self.c.add_point_to_result {
            // SAFETY: above.
            unsafe { f(label, element.as_ptr().cast(), dist, self.c.user_data) }
        }
    }
    fn remove_point_from_result(&mut self, label: u64, element: &[u8], dist: f32) {
        if let Some(f) = self.c.remove_point_from_result {
            // SAFETY: above.
            unsafe { f(label, element.as_ptr().cast(), dist, self.c.user_data) }
        }
    }
    fn should_stop_search(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        // SAFETY: above.
        unsafe { (self.stop)(candidate_dist, lower_bound, self.c.user_data) }
    }
    fn should_consider_candidate(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        // SAFETY: above.
        unsafe { (self.consider)(candidate_dist, lower_bound, self.c.user_data) }
    }
    fn should_remove_extra(&mut self) -> bool {
        // SAFETY: above.
        unsafe { (self.extra)(self.c.user_data) }
    }
    fn filter_results(&mut self, results: &mut Vec<Neighbor>) {
        let Some(f) = self.c.filter_results else {
            return;
        };
        let mut labels: Vec<u64> = results.iter().map(|n| n.label).collect();
        let mut distances: Vec<f32> = results.iter().map(|n| n.distance).collect();
        let n = results.len();
        // SAFETY: above; both arrays hold n entries.
        let kept = unsafe {
            f(
                labels.as_mut_ptr(),
                distances.as_mut_ptr(),
                n,
                self.c.user_data,
            )
        };
        if kept > n {
            self.bad_count = Some((kept, n));
            return;
        }
        results.clear();
        results.extend(
            labels
                .iter()
                .zip(&distances)
                .take(kept)
                .map(|(&label, &distance)| Neighbor { label, distance }),
        );
    }
}

/// Searches `query` under the caller's stop condition `cond` (hnswlib's
/// `searchStopConditionClosest` with a `BaseSearchStopCondition` of one's own): the
/// descent, then the level-0 walk of the range and document searches with `cond`
/// deciding when to stop, what to queue and when to drop the farthest result, then
/// `cond->filter_results`. `*out` gets one row of results (labels, where hnswlib
/// gives internal ids), closest first, freed with `hnsw_results_free`. `opts` NULL
/// means the defaults; its filters apply (what they reject is never offered to
/// `cond`); `ef` and `rerank` are unused. HNSW_ERR_NULL_POINTER when a required
/// callback is NULL; HNSW_ERR_INVALID_ARGUMENT when `filter_results` returns more
/// than it was given.
#[no_mangle]
pub extern "C" fn hnsw_index_search_stop_condition(
    index: *const hnsw_index,
    query: *const c_void,
    cond: *const hnsw_stop_condition,
    opts: *const hnsw_search_options,
    out: *mut *mut hnsw_results,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        check_out(out, "out")?;
        let c = handle(cond, "cond")?;
        let mut cstop = CStop {
            c,
            stop: c
                .should_stop_search
                .ok_or_else(|| Failure::null("cond->should_stop_search"))?,
            consider: c
                .should_consider_candidate
                .ok_or_else(|| Failure::null("cond->should_consider_candidate"))?,
            extra: c
                .should_remove_extra
                .ok_or_else(|| Failure::null("cond->should_remove_extra"))?,
            bad_count: None,
        };
        let q = h.layout.rows(query, 1, "query")?;
        let row = Search::from_c(opts)?
            .with(|o| with_vectors!(q, q => h.index.search_stop_condition(q, &mut cstop, o)))?;
        if let Some((kept, n)) = cstop.bad_count {
            return Err(Failure::invalid(format!(
                "cond->filter_results returned {kept}, more than the {n} results it was given"
            )));
        }
        put_new(
            out,
            hnsw_results::new(RangeResults::from_rows(vec![row])?, None),
        )
    })
}
