//! Searches with a stop condition other than "the k nearest": range (epsilon)
//! search and multi-vector (document) search, hnswlib's `EpsilonSearchStopCondition`
//! and `MultiVectorSearchStopCondition`.
//!
//! * A **range search** returns every element within distance `epsilon` of the query,
//!   closest first, at most `max_results` of them (FAISS's `range_search`). On the
//!   HNSW index it is a graph search that keeps expanding candidates while they lie
//!   within `epsilon`, and explores at least `min_candidates` results first (the
//!   search option `ef`): an approximate answer, whose recall grows with
//!   `min_candidates`. On the brute-force index it is exact.
//! * A **document search** treats each element as one vector of a document (a
//!   passage of a text, a frame of a video) and returns the `k` best documents, each
//!   scored by its closest vector. Which document an element belongs to is a
//!   function of its label ([`DocOf`]), given with the search, so that any binding
//!   can keep the mapping in its own terms (a table, a map, the trailing bytes of
//!   hnswlib's multi-vector spaces).
//!
//! * A search under a **stop condition of the caller's own** ([`SearchStopCondition`],
//!   hnswlib's `BaseSearchStopCondition`) walks the graph as the two above do, with
//!   the caller's object deciding.
//!
//! Distances are the index's: squared for L2, `1 - dot` for inner product and
//! cosine. A quantized index traverses its codes but compares `epsilon` with the
//! exact distances of the candidates it found (re-scored), so `epsilon` always means
//! an exact distance; a codes-only index, which has no exact vectors, compares the
//! codes' distances.

use crate::error::{Error, Result};
use crate::options::Neighbor;
use crate::space::{Element, PreparedVec, Space, SpaceKind};

/// A stop condition of the caller's own, for [`HnswIndex::search_stop_condition`]:
/// hnswlib's `BaseSearchStopCondition`, method for method. The search's level-0 walk
/// (the same one range and document searches take) asks it when to stop, which
/// neighbours to queue and when the results hold too many, and tells it which
/// elements become results and which leave them; `filter_results` has the last word.
///
/// Distances are the index's (squared for L2, `1 - dot` for inner product and
/// cosine). A quantized index walks its codes, so the distances the condition sees
/// during the walk are the codes' distances; the results it gets in `filter_results`
/// are re-scored exactly. Deleted and filtered-out elements route the search but are
/// never offered as results.
///
/// [`HnswIndex::search_stop_condition`]: crate::HnswIndex::search_stop_condition
pub trait SearchStopCondition {
    /// The element labelled `label`, whose stored vector is `element` (the space's
    /// bytes: `dim` f32 for l2/ip/cosine, normalised for cosine; `dim` bytes for l2u8;
    /// the element's bytes for custom spaces), joins the results at `dist`.
    fn add_point_to_result(&mut self, label: u64, element: &[u8], dist: f32);
    /// The farthest result leaves (after [`Self::should_remove_extra`] said so); `dist`
    /// is its own distance (hnswlib passes the distance of the candidate just added).
    fn remove_point_from_result(&mut self, label: u64, element: &[u8], dist: f32);
    /// Whether the search ends now: the closest candidate not yet expanded is at
    /// `candidate_dist`, the farthest result at `lower_bound` (`f32::MAX` while there
    /// is none).
    fn should_stop_search(&mut self, candidate_dist: f32, lower_bound: f32) -> bool;
    /// Whether a neighbour at `candidate_dist` is queued for expansion (and offered as
    /// a result).
    fn should_consider_candidate(&mut self, candidate_dist: f32, lower_bound: f32) -> bool;
    /// Whether the results hold too many: the farthest is removed while this is true.
    fn should_remove_extra(&mut self) -> bool;
    /// The final results, closest first (equal distances in label order): keep, drop
    /// or reorder them; what is left is returned.
    fn filter_results(&mut self, results: &mut Vec<Neighbor>);
}

/// The document of an element, from its label: `None` when the element belongs to
/// no document (it is then never returned, but still routes the search). Called on
/// the searching threads, so it must be `Sync`.
pub type DocOf<'a> = &'a (dyn Fn(u64) -> Option<u64> + Sync);

/// The results of a batch range search, in FAISS's layout: the results of query `i`
/// are `labels[lims[i]..lims[i + 1]]` and `distances[lims[i]..lims[i + 1]]`, closest
/// first; `lims` has one entry more than there are queries.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeResults {
    /// Offsets of each query's results; `lims[0] == 0`, `lims[rows] == labels.len()`.
    pub lims: Vec<usize>,
    /// The labels of all queries' results, query after query.
    pub labels: Vec<u64>,
    /// Their distances.
    pub distances: Vec<f32>,
}

impl RangeResults {
    /// Number of queries.
    pub fn rows(&self) -> usize {
        self.lims.len() - 1
    }

    /// The results of query `row`, closest first.
    pub fn row(&self, row: usize) -> impl Iterator<Item = Neighbor> + '_ {
        (self.lims[row]..self.lims[row + 1]).map(move |i| Neighbor {
            label: self.labels[i],
            distance: self.distances[i],
        })
    }

    /// Concatenates per-query results.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] if they cannot be allocated.
    pub fn from_rows(rows: Vec<Vec<Neighbor>>) -> Result<Self> {
        let total: usize = rows.iter().map(Vec::len).sum();
        let oom = || {
            Error::OutOfMemory(format!(
                "cannot allocate {total} range search results; use a smaller max_results"
            ))
        };
        let mut labels = Vec::new();
        labels.try_reserve_exact(total).map_err(|_| oom())?;
        let mut distances = Vec::new();
        distances.try_reserve_exact(total).map_err(|_| oom())?;
        let mut lims = Vec::with_capacity(rows.len() + 1);
        lims.push(0);
        for row in rows {
            labels.extend(row.iter().map(|n| n.label));
            distances.extend(row.iter().map(|n| n.distance));
            lims.push(labels.len());
        }
        Ok(RangeResults {
            lims,
            labels,
            distances,
        })
    }
}

/// One vector of a document search: the document, the element's label and its
/// distance to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocHit {
    /// The document the element belongs to.
    pub doc: u64,
    /// The element's label.
    pub label: u64,
    /// Its distance to the query.
    pub distance: f32,
}

/// The first (closest) hit of each document, in the order given: from hits sorted
/// closest first, each document scored by its closest vector.
pub fn best_per_doc(hits: &[DocHit]) -> Vec<DocHit> {
    let mut seen = rustc_hash::FxHashSet::default();
    hits.iter()
        .filter(|h| seen.insert(h.doc))
        .copied()
        .collect()
}

/// Checks the arguments of a range search.
pub(crate) fn check_range(space: &Space, epsilon: f32, max_results: usize) -> Result<()> {
    if epsilon.is_nan() {
        return Err(Error::invalid("epsilon must be a number, got NaN"));
    }
    // Squared L2 and cosine distances are never negative: a negative radius finds
    // nothing and is a mistake (inner product and custom distances may be negative).
    let non_negative = matches!(
        space.kind(),
        SpaceKind::L2 | SpaceKind::L2U8 | SpaceKind::Cosine
    );
    if non_negative && epsilon < 0.0 {
        return Err(Error::invalid(format!(
            "epsilon must be at least 0 for {} distances, got {epsilon}",
            space.kind().name()
        )));
    }
    if max_results == 0 {
        return Err(Error::invalid("max_results must be at least 1"));
    }
    Ok(())
}

/// Checks the document count of a document search.
pub(crate) fn check_docs(k_docs: usize) -> Result<()> {
    if k_docs == 0 {
        return Err(Error::invalid(
            "the number of documents k must be at least 1",
        ));
    }
    Ok(())
}

/// Sorts results closest first, equal distances in label order.
pub(crate) fn sort_neighbors(v: &mut [Neighbor]) {
    v.sort_unstable_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then(a.label.cmp(&b.label))
    });
}

/// Sorts hits closest first, equal distances in label order.
pub(crate) fn sort_hits(v: &mut [DocHit]) {
    v.sort_unstable_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then(a.label.cmp(&b.label))
    });
}

/// `f(query)` for every row of `queries` (row-major, prepared by `space`) on up to
/// `num_threads` threads (0 or negative: all cores), the results in row order. The
/// first bad query's error is returned.
pub(crate) fn map_queries<T: Element, R: Send>(
    space: &Space,
    queries: &[T],
    num_threads: isize,
    f: impl Fn(&PreparedVec) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let rows = space.rows_of(queries)?;
    let per_row = queries.len() / rows;
    let slots: Vec<parking_lot::Mutex<Option<R>>> =
        (0..rows).map(|_| parking_lot::Mutex::new(None)).collect();
    crate::parallel::for_each_row(rows, num_threads, None, |r| {
        let q = space.prepare(&queries[r * per_row..(r + 1) * per_row], r)?;
        *slots[r].lock() = Some(f(&q)?);
        Ok(())
    })?;
    Ok(slots
        .into_iter()
        .map(|s| s.into_inner().expect("every row ran"))
        .collect())
}
