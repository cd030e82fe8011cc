//! Level-0 searches under a stop condition (hnswlib's `searchStopConditionClosest`
//! with `EpsilonSearchStopCondition` or `MultiVectorSearchStopCondition`): range
//! search and document search. See [`crate::stop`] for what they return.
//!
//! The walk is hnswlib's `searchBaseLayerST` with the condition deciding when to
//! stop, which neighbours to queue and when the results hold too many; it shares the
//! descent, the neighbour collection and the prefetching with the k-NN search
//! ([`super::search`]), and is a routine of its own so the k-NN path stays as it is.
//! The condition is a type parameter, so its checks are inlined like the distances.

use std::sync::atomic::Ordering;

use rustc_hash::FxHashMap;

use super::heap::{Item, MaxHeap};
use super::scorer::{Scorer, ScorerTask, Traverse};
use super::search::SearchStats;
use super::{Graph, HnswIndex};
use crate::error::Result;
use crate::options::{Filter, Neighbor, SearchOptions};
use crate::space::{Element, PreparedVec};
use crate::stop::{
    best_per_doc, check_docs, check_range, map_queries, sort_hits, sort_neighbors, DocHit, DocOf,
    RangeResults, SearchStopCondition,
};
use crate::visited::Scratch;

/// hnswlib's `BaseSearchStopCondition`. A result is known by a key the search gives
/// it (see [`Graph::stop_search`]) and carries the label its element had when the
/// search accepted it.
pub(crate) trait StopCondition {
    /// Counts the accepted element `id` (its key `key`), labelled `label`, at `dist`
    /// into the results; false when the condition does not take it (it is then
    /// expanded but never a result).
    fn add(&mut self, key: u32, id: u32, label: u64, dist: f32) -> bool;
    /// Uncounts the result `key`, at `dist`, being removed as the farthest.
    fn remove(&mut self, key: u32, dist: f32);
    /// Whether the search ends before expanding a candidate at `cand`, with the
    /// farthest result at `lower`.
    fn should_stop(&mut self, cand: f32, lower: f32) -> bool;
    /// Whether a neighbour at `cand` is queued (and may become a result).
    fn should_consider(&mut self, cand: f32, lower: f32) -> bool;
    /// Whether the results hold too many and the farthest must go.
    fn should_remove_extra(&mut self) -> bool;
}

/// `EpsilonSearchStopCondition`: explore at least `min` results, go on while the
/// candidates are within `epsilon`, hold at most `cap` results.
///
/// One change from hnswlib's: the `min` results must also be settled as a k-NN search
/// with `ef = min` settles them (the closest waiting candidate is farther than the
/// `min`-th result). hnswlib stops as soon as it holds `min` results beyond
/// `epsilon`, which can be right after the first expansions, far from the query,
/// and then misses what is in range (a small radius around an element's own vector
/// found that element for 94% of the elements at min 50 in a test, all of them this way).
struct Epsilon {
    epsilon: f32,
    min: usize,
    cap: usize,
    n: usize,
    /// The `min` closest result distances (their ids unused).
    best: MaxHeap,
}

impl Epsilon {
    fn new(epsilon: f32, min: usize, cap: usize) -> Self {
        Epsilon {
            epsilon,
            min,
            cap,
            n: 0,
            best: MaxHeap::with_capacity(min.min(4096) + 1),
        }
    }
}

impl StopCondition for Epsilon {
    #[inline(always)]
    fn add(&mut self, key: u32, _id: u32, _label: u64, dist: f32) -> bool {
        self.n += 1;
        if self.best.len() < self.min || self.best.peek().is_some_and(|b| dist < b.key) {
            self.best.push(Item { key: dist, id: key });
            if self.best.len() > self.min {
                self.best.pop();
            }
        }
        true
    }
    #[inline(always)]
    fn remove(&mut self, _key: u32, _dist: f32) {
        self.n -= 1;
    }
    #[inline(always)]
    fn should_stop(&mut self, cand: f32, lower: f32) -> bool {
        let settled = self.n >= self.min && self.best.peek().is_some_and(|b| cand > b.key);
        (cand > lower && self.n == self.cap) || (cand > self.epsilon && settled)
    }
    #[inline(always)]
    fn should_consider(&mut self, cand: f32, lower: f32) -> bool {
        self.n < self.cap || lower > cand
    }
    #[inline(always)]
    fn should_remove_extra(&mut self) -> bool {
        self.n > self.cap
    }
}

/// `MultiVectorSearchStopCondition`: results from `ef_collection` distinct
/// documents, counted per document.
struct Docs<'a> {
    doc_of: DocOf<'a>,
    ef_collection: usize,
    /// Results per document.
    counts: FxHashMap<u64, u32>,
    /// The document of each result, by key.
    docs_of_keys: FxHashMap<u32, u64>,
}

impl StopCondition for Docs<'_> {
    #[inline(always)]
    fn add(&mut self, key: u32, _id: u32, label: u64, _dist: f32) -> bool {
        let Some(doc) = (self.doc_of)(label) else {
            return false;
        };
        *self.counts.entry(doc).or_insert(0) += 1;
        self.docs_of_keys.insert(key, doc);
        true
    }
    #[inline(always)]
    fn remove(&mut self, key: u32, _dist: f32) {
        let Some(doc) = self.docs_of_keys.remove(&key) else {
            return;
        };
        if let Some(c) = self.counts.get_mut(&doc) {
            *c -= 1;
            if *c == 0 {
                self.counts.remove(&doc);
            }
        }
    }
    #[inline(always)]
    fn should_stop(&mut self, cand: f32, lower: f32) -> bool {
        cand > lower && self.counts.len() == self.ef_collection
    }
    #[inline(always)]
    fn should_consider(&mut self, cand: f32, lower: f32) -> bool {
        self.counts.len() < self.ef_collection || lower > cand
    }
    #[inline(always)]
    fn should_remove_extra(&mut self) -> bool {
        self.counts.len() > self.ef_collection
    }
}

/// A caller's [`SearchStopCondition`] as a [`StopCondition`]: it takes every
/// element offered, and sees each result's label and stored vector.
struct User<'a, 'c> {
    g: &'a Graph,
    cond: &'c mut dyn SearchStopCondition,
    /// (element, label) of each result key (keys are given in order from 0).
    keys: Vec<(u32, u64)>,
    /// The vector of the element being reported.
    row: Vec<u8>,
}

impl StopCondition for User<'_, '_> {
    fn add(&mut self, key: u32, id: u32, label: u64, dist: f32) -> bool {
        debug_assert_eq!(key as usize, self.keys.len());
        self.keys.push((id, label));
        self.g.read_row_racy(id, &mut self.row);
        self.cond.add_point_to_result(label, &self.row, dist);
        true
    }
    fn remove(&mut self, key: u32, dist: f32) {
        let (id, label) = self.keys[key as usize];
        self.g.read_row_racy(id, &mut self.row);
        self.cond.remove_point_from_result(label, &self.row, dist);
    }
    fn should_stop(&mut self, cand: f32, lower: f32) -> bool {
        self.cond.should_stop_search(cand, lower)
    }
    fn should_consider(&mut self, cand: f32, lower: f32) -> bool {
        self.cond.should_consider_candidate(cand, lower)
    }
    fn should_remove_extra(&mut self) -> bool {
        self.cond.should_remove_extra()
    }
}

impl Graph {
    /// Copies element `id`'s vector (`data_size` bytes; decoded for a codes-only
    /// index) into `out` during a search, without locks: like the search's distances
    /// it may read a row while an update rewrites it, and then gets a mix of old and
    /// new values (see `Storage::write_row`).
    fn read_row_racy(&self, id: u32, out: &mut Vec<u8>) {
        let size = self.space.data_size();
        out.resize(size, 0);
        match self.storage.exact_rows(self.quantization.is_quantized()) {
            // SAFETY: id is an element of this storage (below its capacity), whose row
            // holds data_size bytes; `out` holds as many and is not index memory.
            Some(rows) => unsafe {
                std::ptr::copy_nonoverlapping(rows.at(id), out.as_mut_ptr(), size)
            },
            None => {
                let quant = self
                    .quantizer
                    .as_ref()
                    .expect("a codes-only index is trained");
                let payload = self.storage.layout.payload_size;
                let mut code = vec![0u8; payload];
                // SAFETY: as above, for the payload of `payload` bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        self.storage.payloads().at(id),
                        code.as_mut_ptr(),
                        payload,
                    )
                };
                let mut v = vec![0f32; size / 4];
                quant.decode(&code, &mut v);
                out.copy_from_slice(bytemuck::cast_slice(&v));
            }
        }
    }

    /// The level-0 search from `start` under `cond` (hnswlib's `searchBaseLayerST`
    /// with a stop condition): elements for which `label_if_live` gives no label
    /// (deleted, filtered out) are expanded but never results. Each element accepted
    /// is noted in `noted` as (element, label), the label read once at acceptance,
    /// so a result keeps it even if its slot is given to another label meanwhile;
    /// results are known by their index in `noted` (their key). Returns the results
    /// as a max-heap of keys.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn stop_search<S: Scorer, C: StopCondition>(
        &self,
        s: &S,
        start: u32,
        label_if_live: impl Fn(u32) -> Option<u64>,
        cond: &mut C,
        scratch: &mut Scratch,
        noted: &mut Vec<(u32, u64)>,
        stats: &mut SearchStats,
    ) -> MaxHeap {
        let Scratch { visited, fresh, .. } = scratch;
        let mut accept = |id: u32, d: f32, cond: &mut C| {
            let label = label_if_live(id)?;
            let key = noted.len() as u32;
            if !cond.add(key, id, label, d) {
                return None;
            }
            noted.push((id, label));
            Some(key)
        };
        let mut top = MaxHeap::with_capacity(64);
        let mut candidates = MaxHeap::with_capacity(256);
        let d = s.dist(start);
        stats.distances += 1;
        let mut lower_bound = f32::MAX;
        if let Some(key) = accept(start, d, cond) {
            lower_bound = d;
            top.push(Item { key: d, id: key });
            candidates.push(Item { key: -d, id: start });
        } else {
            candidates.push(Item {
                key: -lower_bound,
                id: start,
            });
        }
        visited.insert(start);
        let ahead = Self::lookahead(self.traversal_bytes());

        while let Some(&cur) = candidates.peek() {
            if cond.should_stop(-cur.key, lower_bound) {
                break;
            }
            candidates.pop();
            stats.hops += 1;
            if let Some(next) = candidates.peek() {
                self.storage.prefetch_links(next.id);
            }
            self.collect_fresh(s, cur.id, 0, visited, fresh, ahead);
            stats.distances += fresh.len() as u64;
            for (j, &cand) in fresh.iter().enumerate() {
                if let Some(&later) = fresh.get(j + ahead) {
                    s.prefetch(later);
                }
                let d = s.dist(cand);
                if !cond.should_consider(d, lower_bound) {
                    continue;
                }
                candidates.push(Item { key: -d, id: cand });
                if let Some(key) = accept(cand, d, cond) {
                    top.push(Item { key: d, id: key });
                }
                while cond.should_remove_extra() {
                    match top.pop() {
                        Some(it) => cond.remove(it.id, it.key),
                        None => break,
                    }
                }
                if let Some(t) = top.peek() {
                    lower_bound = t.key;
                }
            }
        }
        top
    }

    /// The greedy descent to level 0 (None for an empty index).
    #[inline(always)]
    fn descend<S: Scorer>(&self, s: &S, stats: &mut SearchStats) -> Option<u32> {
        let (ep, max_level) = self.entry();
        Some(self.greedy_descent::<S, false>(s, ep?, max_level.max(0) as usize, 0, stats))
    }

    /// The label of element `id` if it may be a result: not deleted, and accepted by
    /// `filter`.
    #[inline(always)]
    fn label_if_live(&self, id: u32, filter: Option<Filter<'_>>) -> Option<u64> {
        if self.storage.is_deleted(id) {
            return None;
        }
        let label = self.storage.label(id);
        filter.is_none_or(|f| f(label)).then_some(label)
    }

    /// The whole search under `cond`: the descent, the level-0 walk, and the results
    /// as (distance, key, label), re-scored with `exact` when the traversal was
    /// quantized, closest first. Keys are those `cond` saw.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn search_under<S: Scorer, E: Scorer, C: StopCondition>(
        &self,
        s: &S,
        exact: Option<&E>,
        cond: &mut C,
        filter: Option<Filter<'_>>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> Vec<(f32, u32, u64)> {
        let Some(start) = self.descend(s, stats) else {
            return Vec::new();
        };
        let label_if_live = |id| self.label_if_live(id, filter);
        let mut noted = std::mem::take(&mut scratch.noted);
        noted.clear();
        let top = self.stop_search(s, start, label_if_live, cond, scratch, &mut noted, stats);
        let mut v: Vec<(f32, u32, u64)> = top
            .iter()
            .map(|it| {
                let (id, label) = noted[it.id as usize];
                let d = exact.map_or(it.key, |e| e.dist(id));
                (d, it.id, label)
            })
            .collect();
        scratch.noted = noted;
        if exact.is_some() {
            stats.distances += v.len() as u64;
        }
        v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
        v
    }
}

/// A stop-condition search of one query, given the scorers and the search's
/// scratch space and counters.
trait StopTask {
    type Out;
    fn run<S: Scorer, E: Scorer>(
        self,
        s: S,
        exact: Option<E>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> Self::Out;
}

/// A [`StopTask`] with its scratch space and counters, as a [`ScorerTask`].
struct WithScratch<'a, T> {
    task: T,
    scratch: &'a mut Scratch,
    stats: &'a mut SearchStats,
}

impl<T: StopTask> ScorerTask for WithScratch<'_, T> {
    type Out = T::Out;

    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(self, s: S, exact: Option<E>) -> T::Out {
        self.task.run(s, exact, self.scratch, self.stats)
    }
}

/// A range query.
struct Range<'a> {
    g: &'a Graph,
    epsilon: f32,
    max_results: usize,
    min_candidates: usize,
    filter: Option<Filter<'a>>,
}

impl StopTask for Range<'_> {
    type Out = Vec<Neighbor>;

    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(
        self,
        s: S,
        exact: Option<E>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> Vec<Neighbor> {
        let Range {
            g,
            epsilon,
            max_results,
            min_candidates,
            filter,
        } = self;
        let mut cond = Epsilon::new(epsilon, min_candidates, max_results.max(min_candidates));
        let found = g.search_under(&s, exact.as_ref(), &mut cond, filter, scratch, stats);
        let mut out: Vec<Neighbor> = found
            .into_iter()
            .filter(|&(d, _, _)| d <= epsilon)
            .map(|(distance, _, label)| Neighbor { label, distance })
            .collect();
        sort_neighbors(&mut out);
        out.truncate(max_results);
        out
    }
}

/// A search under a caller's stop condition.
struct Custom<'a, 'c> {
    g: &'a Graph,
    cond: &'c mut dyn SearchStopCondition,
    filter: Option<Filter<'a>>,
}

impl StopTask for Custom<'_, '_> {
    type Out = Vec<Neighbor>;

    fn run<S: Scorer, E: Scorer>(
        self,
        s: S,
        exact: Option<E>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> Vec<Neighbor> {
        let Custom { g, cond, filter } = self;
        let mut user = User {
            g,
            cond,
            keys: Vec::new(),
            row: Vec::new(),
        };
        let found = g.search_under(&s, exact.as_ref(), &mut user, filter, scratch, stats);
        let mut out: Vec<Neighbor> = found
            .into_iter()
            .map(|(distance, _, label)| Neighbor { label, distance })
            .collect();
        user.cond.filter_results(&mut out);
        out
    }
}

/// A document query: every hit of the `k_docs` best documents
/// the search found, closest first.
struct DocSearch<'a> {
    g: &'a Graph,
    k_docs: usize,
    ef_collection: usize,
    doc_of: DocOf<'a>,
    filter: Option<Filter<'a>>,
}

impl StopTask for DocSearch<'_> {
    type Out = Vec<DocHit>;

    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(
        self,
        s: S,
        exact: Option<E>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> Vec<DocHit> {
        let DocSearch {
            g,
            k_docs,
            ef_collection,
            doc_of,
            filter,
        } = self;
        let mut cond = Docs {
            doc_of,
            ef_collection,
            counts: FxHashMap::default(),
            docs_of_keys: FxHashMap::default(),
        };
        let found = g.search_under(&s, exact.as_ref(), &mut cond, filter, scratch, stats);
        let mut hits: Vec<DocHit> = found
            .into_iter()
            .map(|(distance, key, label)| DocHit {
                doc: cond.docs_of_keys[&key],
                label,
                distance,
            })
            .collect();
        sort_hits(&mut hits);
        keep_best_docs(&mut hits, k_docs);
        hits
    }
}

/// Keeps the hits (sorted closest first) of the `k_docs` documents whose closest hit
/// comes first.
pub(crate) fn keep_best_docs(hits: &mut Vec<DocHit>, k_docs: usize) {
    let best: rustc_hash::FxHashSet<u64> = best_per_doc(hits)
        .into_iter()
        .take(k_docs)
        .map(|h| h.doc)
        .collect();
    hits.retain(|h| best.contains(&h.doc));
}

impl HnswIndex {
    /// Runs `task` for a prepared query, traversing codes when the index is
    /// quantized, and adds its work to the metrics.
    fn run_stop_task<T: StopTask>(&self, g: &Graph, q: &PreparedVec, task: T) -> Result<T::Out> {
        let mut stats = SearchStats::default();
        let mut scratch = g.scratch.try_get()?;
        let codes = g.query_codes(q);
        let traverse = match &codes {
            Some(c) => Traverse::Codes(c),
            None => Traverse::Exact,
        };
        let task = WithScratch {
            task,
            scratch: &mut scratch,
            stats: &mut stats,
        };
        let out = g.with_scorers(q, traverse, task);
        self.metrics.0[0].fetch_add(stats.hops, Ordering::Relaxed);
        self.metrics.0[1].fetch_add(stats.distances, Ordering::Relaxed);
        Ok(out)
    }

    /// Searches `query` under a stop condition of the caller's own (hnswlib's
    /// `searchStopConditionClosest` with any `BaseSearchStopCondition`): the greedy
    /// descent, then the level-0 walk of range and document searches, with `cond`
    /// deciding when to stop, what to queue and when to drop the farthest result,
    /// then `cond.filter_results` on the results, closest first. The results hold
    /// labels (hnswlib's hold internal ids). `opts.filter` applies (what it rejects
    /// is never offered to `cond`); `opts.ef` and
    /// `opts.rerank` are unused. An empty index gives no results and calls only
    /// `filter_results`.
    ///
    /// # Errors
    /// The errors of a bad query as [`HnswIndex::search`].
    pub fn search_stop_condition<T: Element>(
        &self,
        query: &[T],
        cond: &mut dyn SearchStopCondition,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        let g = self.read();
        let q = g.space.prepare(query, 0)?;
        let task = Custom {
            g: &g,
            cond,
            filter: opts.filter,
        };
        self.run_stop_task(&g, &q, task)
    }

    fn range_prepared(
        &self,
        g: &Graph,
        q: &PreparedVec,
        epsilon: f32,
        max_results: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        let min_candidates = opts.ef.unwrap_or_else(|| self.ef()).max(1);
        let task = Range {
            g,
            epsilon,
            max_results,
            min_candidates,
            filter: opts.filter,
        };
        self.run_stop_task(g, q, task)
    }

    /// Every element within distance `epsilon` of `query` (squared for L2), closest
    /// first (equal distances in label order), at most `max_results` of them:
    /// hnswlib's `searchStopConditionClosest` with `EpsilonSearchStopCondition`.
    ///
    /// The level-0 search explores at least `opts.ef` results (hnswlib's
    /// `min_num_candidates`; `None` uses the index's ef) and goes on while the closest
    /// unexpanded candidate lies within `epsilon`, so recall grows with `opts.ef`.
    /// A quantized index traverses its codes and compares `epsilon` with the exact
    /// distances of what it found (see [`crate::stop`]). `opts.rerank` is unused.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a NaN
    /// `epsilon`, a negative one for l2, l2u8 and cosine, or `max_results` 0; the
    /// errors of a bad query as [`HnswIndex::search`].
    pub fn search_range<T: Element>(
        &self,
        query: &[T],
        epsilon: f32,
        max_results: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        let g = self.read();
        check_range(&g.space, epsilon, max_results)?;
        let q = g.space.prepare(query, 0)?;
        self.range_prepared(&g, &q, epsilon, max_results, opts)
    }

    /// [`HnswIndex::search_range`] for every row of `queries` (row-major), on
    /// `opts.num_threads` threads, in FAISS's layout ([`RangeResults`]).
    pub fn search_range_batch<T: Element>(
        &self,
        queries: &[T],
        epsilon: f32,
        max_results: usize,
        opts: &SearchOptions,
    ) -> Result<RangeResults> {
        let g = self.read();
        check_range(&g.space, epsilon, max_results)?;
        let found = map_queries(&g.space, queries, opts.num_threads, |q| {
            self.range_prepared(&g, q, epsilon, max_results, opts)
        })?;
        RangeResults::from_rows(found)
    }

    fn doc_hits_prepared(
        &self,
        g: &Graph,
        q: &PreparedVec,
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<DocHit>> {
        let ef_collection = opts.ef.unwrap_or_else(|| self.ef()).max(k_docs);
        let task = DocSearch {
            g,
            k_docs,
            ef_collection,
            doc_of,
            filter: opts.filter,
        };
        self.run_stop_task(g, q, task)
    }

    /// Multi-vector search: the vectors of the `k_docs` best documents that the search
    /// found, closest first, where `doc_of` gives each label's document and a document
    /// is scored by its closest vector (hnswlib's `searchStopConditionClosest` with
    /// `MultiVectorSearchStopCondition`). The search collects results from
    /// `max(opts.ef, k_docs)` documents (hnswlib's `ef_collection`; `None` uses the
    /// index's ef). Elements whose label `doc_of` maps to `None` are never returned.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when `k_docs` is 0;
    /// the errors of a bad query as [`HnswIndex::search`].
    pub fn search_doc_hits<T: Element>(
        &self,
        query: &[T],
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<DocHit>> {
        check_docs(k_docs)?;
        let g = self.read();
        let q = g.space.prepare(query, 0)?;
        self.doc_hits_prepared(&g, &q, k_docs, doc_of, opts)
    }

    /// The `k_docs` best documents for `query`, each as its closest vector, closest
    /// first (see [`HnswIndex::search_doc_hits`]).
    pub fn search_docs<T: Element>(
        &self,
        query: &[T],
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<DocHit>> {
        Ok(best_per_doc(
            &self.search_doc_hits(query, k_docs, doc_of, opts)?,
        ))
    }

    /// [`HnswIndex::search_docs`] for every row of `queries` (row-major), on
    /// `opts.num_threads` threads.
    pub fn search_docs_batch<T: Element>(
        &self,
        queries: &[T],
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<Vec<DocHit>>> {
        check_docs(k_docs)?;
        let g = self.read();
        map_queries(&g.space, queries, opts.num_threads, |q| {
            Ok(best_per_doc(
                &self.doc_hits_prepared(&g, q, k_docs, doc_of, opts)?,
            ))
        })
    }
}
