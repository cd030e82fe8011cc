//! Graph searches: greedy descent through the upper levels, the construction-time
//! layer search (hnswlib's `searchBaseLayer`), and the query-time level-0 search
//! (`searchBaseLayerST`), with hnswlib's stop rules so recall matches it at equal ef.
//!
//! Everything here is generic over a [`Scorer`] and inlined into code compiled per
//! instruction set (see [`super::scorer`]), so distances cost no call.
//!
//! Memory, not arithmetic, bounds a search: each neighbour's vector is a cache miss.
//! When an element is expanded its unvisited neighbours are collected first (the
//! visited bitset stays in cache), their vectors prefetched a few elements ahead of
//! the distance computations, and the next element's links prefetched while the
//! current one's neighbours are scored.

use super::graph::L2_ROW_LINES;
use super::heap::{Item, MaxHeap};
use super::pool::{Pool, MAX_POOLED_ID};
use super::scorer::{Scorer, ScorerTask};
use super::Graph;
use crate::options::{Filter, Neighbor};
use crate::visited::{Scratch, VisitedList};

/// Work counters of one search, summed into the index's metrics.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SearchStats {
    pub hops: u64,
    pub distances: u64,
}

impl Graph {
    /// How many neighbours ahead to prefetch, for vectors of `bytes` bytes: about 24
    /// lines in flight into L1 for small rows, 96 into L2 for large ones, at least two
    /// rows ahead (measured on GloVe 50-d, 768-d f32 and 8-/4-bit codes of 768-d).
    #[inline(always)]
    pub(super) fn lookahead(bytes: usize) -> usize {
        let lines = bytes.div_ceil(64);
        if lines > L2_ROW_LINES {
            (96 / lines).max(2)
        } else {
            24 / lines
        }
    }

    /// Greedy descent from `ep` through levels `from..to` (exclusive, going down):
    /// move to any strictly closer neighbour until none is closer. `BUILD` (inserts
    /// and updates) waits for elements still linking themselves in.
    #[inline(always)]
    pub(crate) fn greedy_descent<S: Scorer, const BUILD: bool>(
        &self,
        s: &S,
        ep: u32,
        from: usize,
        to: usize,
        stats: &mut SearchStats,
    ) -> u32 {
        let mut cur = ep;
        let mut cur_dist = s.dist(cur);
        stats.distances += 1;
        for level in (to + 1..=from).rev() {
            loop {
                let mut changed = false;
                if BUILD {
                    self.storage.wait_linked(cur);
                }
                let links = self.storage.links(cur, level);
                let n = links.len();
                stats.hops += 1;
                stats.distances += n as u64;
                for i in 0..n {
                    s.prefetch(links.get(i));
                }
                for i in 0..n {
                    let cand = links.get(i);
                    let d = s.dist(cand);
                    // A query must not descend to an element still linking itself in:
                    // its lower lists may be empty yet, and the search would end there.
                    // (Checked only for moves, so the header line is rarely loaded.)
                    if d < cur_dist && (BUILD || !self.storage.is_linking(cand)) {
                        cur_dist = d;
                        cur = cand;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        cur
    }

    /// Construction-time search of one layer with queue size `ef` (hnswlib's
    /// `searchBaseLayer`): deleted elements are expanded but never returned.
    #[inline(always)]
    pub(crate) fn search_layer<S: Scorer>(
        &self,
        s: &S,
        ep: u32,
        level: usize,
        ef: usize,
        scratch: &mut Scratch,
    ) -> MaxHeap {
        // Without deletions the per-candidate flag check (another cache line) is moot.
        let check_deleted = self.slots.deleted_count() > 0;
        let live = |id: u32| (!check_deleted || !self.storage.is_deleted(id)).then_some(id);
        self.beam_search::<S, false, true>(
            s,
            ep,
            level,
            ef,
            live,
            scratch,
            &mut SearchStats::default(),
        )
    }

    /// The beam search with two heaps (hnswlib's): expand the closest unexpanded
    /// candidate until it is farther than the worst of the `ef` best results; elements
    /// that `accept` rejects (None) are expanded but never become results, and an
    /// accepted one is recorded in the results as the value `accept` returns (its id,
    /// or where the caller noted it). With `BARE` every element is accepted and
    /// hnswlib's "results full" condition of the stop rule is skipped. `BUILD` waits
    /// for elements still linking themselves in before expanding them.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn beam_search<S: Scorer, const BARE: bool, const BUILD: bool>(
        &self,
        s: &S,
        ep: u32,
        level: usize,
        ef: usize,
        mut accept: impl FnMut(u32) -> Option<u32>,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) -> MaxHeap {
        let Scratch { visited, fresh, .. } = scratch;
        // ef may be anything a caller passes: size the heaps by what can exist.
        let expected = ef.min(self.storage.len());
        let mut top = MaxHeap::with_capacity(expected + 1);
        let mut candidates = MaxHeap::with_capacity(expected.saturating_mul(4));
        let mut lower_bound;
        if let Some(noted) = accept(ep) {
            let d = s.dist(ep);
            stats.distances += 1;
            lower_bound = d;
            top.push(Item { key: d, id: noted });
            candidates.push(Item { key: -d, id: ep });
        } else {
            lower_bound = f32::MAX;
            candidates.push(Item {
                key: -lower_bound,
                id: ep,
            });
        }
        visited.insert(ep);
        let ahead = Self::lookahead(self.traversal_bytes());

        while let Some(&cur) = candidates.peek() {
            let stop = if BARE {
                -cur.key > lower_bound
            } else {
                -cur.key > lower_bound && top.len() == ef
            };
            if stop {
                break;
            }
            candidates.pop();
            stats.hops += 1;
            if let Some(next) = candidates.peek() {
                self.storage.prefetch_links(next.id);
            }
            if BUILD {
                self.storage.wait_linked(cur.id);
            }
            self.collect_fresh(s, cur.id, level, visited, fresh, ahead);
            stats.distances += fresh.len() as u64;
            for (j, &cand) in fresh.iter().enumerate() {
                if let Some(&later) = fresh.get(j + ahead) {
                    s.prefetch(later);
                }
                let d = s.dist(cand);
                if top.len() < ef || lower_bound > d {
                    candidates.push(Item { key: -d, id: cand });
                    if let Some(noted) = accept(cand) {
                        top.push(Item { key: d, id: noted });
                        if top.len() > ef {
                            top.pop();
                        }
                    }
                    if let Some(t) = top.peek() {
                        lower_bound = t.key;
                    }
                }
            }
        }
        top
    }

    /// Puts the unvisited neighbours of `id` at `level` into `fresh` (marking them
    /// visited) and prefetches the vectors of the first `ahead` of them.
    #[inline(always)]
    pub(super) fn collect_fresh<S: Scorer>(
        &self,
        s: &S,
        id: u32,
        level: usize,
        visited: &mut VisitedList,
        fresh: &mut Vec<u32>,
        ahead: usize,
    ) {
        let links = self.storage.links(id, level);
        // Every id below the capacity has a slot. Loaded graphs are checked, but a
        // view's level 0 is used unread (see `native::view`): skip what lies outside.
        let limit = self.storage.capacity;
        fresh.clear();
        for i in 0..links.len() {
            let cand = links.get(i);
            if (cand as usize) < limit && visited.insert(cand) {
                if fresh.len() < ahead {
                    s.prefetch(cand);
                }
                fresh.push(cand);
            }
        }
    }

    /// The query-time level-0 search without deletions or a filter: hnswlib's
    /// `searchBaseLayerST` on one sorted pool of `ef` entries (see [`Pool`]). Returns
    /// the pool's entries, closest first, in `scratch.pool`.
    #[inline(always)]
    fn pool_search<S: Scorer>(
        &self,
        s: &S,
        ep: u32,
        ef: usize,
        scratch: &mut Scratch,
        stats: &mut SearchStats,
    ) {
        let Scratch {
            visited,
            pool,
            fresh,
            ..
        } = scratch;
        let mut pool = Pool::new(pool, ef);
        pool.insert(s.dist(ep), ep);
        stats.distances += 1;
        visited.insert(ep);
        let ahead = Self::lookahead(self.traversal_bytes());
        while let Some(cur) = pool.pop() {
            stats.hops += 1;
            if let Some(next) = pool.peek() {
                self.storage.prefetch_links(next);
            }
            self.collect_fresh(s, cur, 0, visited, fresh, ahead);
            stats.distances += fresh.len() as u64;
            for (j, &cand) in fresh.iter().enumerate() {
                if let Some(&later) = fresh.get(j + ahead) {
                    s.prefetch(later);
                }
                if pool.insert(s.dist(cand), cand) {
                    // The next to expand changed: fetch its links now, not on arrival.
                    self.storage.prefetch_links(cand);
                }
            }
        }
        pool.finish();
    }

    /// Bytes a traversal distance reads per element (for the prefetch distance).
    #[inline(always)]
    pub(super) fn traversal_bytes(&self) -> usize {
        if self.quantizer.is_some() {
            self.storage.layout.payload_size
        } else {
            self.space.data_size()
        }
    }
}

/// A k-NN query as a [`ScorerTask`]: the descent, the level-0 search with `ef`, the
/// exact re-ranking of the best `rerank` candidates when the traversal was quantized,
/// and the `k` best as results in `out`, closest first (equal distances in label
/// order).
///
/// Each result carries the label its element had when the search accepted it. A
/// filtered search notes the label at acceptance (where the filter reads it). Other
/// searches read labels at the end, which is right unless a slot was given to another
/// label meanwhile: the search then answers false and is run again with
/// `note_labels`. Replacements are rare, and this keeps the label array out of the
/// inner loop of unfiltered searches.
pub(crate) struct Knn<'a> {
    pub g: &'a Graph,
    pub k: usize,
    pub ef: usize,
    pub filter: Option<Filter<'a>>,
    pub rerank: usize,
    pub note_labels: bool,
    pub scratch: &'a mut Scratch,
    pub stats: &'a mut SearchStats,
    pub out: &'a mut Vec<Neighbor>,
}

impl ScorerTask for Knn<'_> {
    /// Whether the labels in `out` are the ones the search accepted (see [`Knn`]).
    type Out = bool;

    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(self, s: S, exact: Option<E>) -> bool {
        let Knn {
            g,
            k,
            ef,
            filter,
            rerank,
            note_labels,
            scratch,
            stats,
            out,
        } = self;
        out.clear();
        let relabels = g.slots.relabels();
        let (Some(ep), max_level) = g.entry() else {
            return true;
        };
        let start = g.greedy_descent::<S, false>(&s, ep, max_level.max(0) as usize, 0, stats);
        let bare = filter.is_none() && !note_labels && g.slots.deleted_count() == 0;
        let note = filter.is_some() || note_labels;
        // (element, label) of each accepted element when noted; the candidates then
        // hold indexes into it instead of element ids.
        let mut noted = std::mem::take(&mut scratch.noted);
        noted.clear();
        // The candidates, closest first, as (distance, id or index into `noted`), in
        // scratch.pool.
        if bare && g.storage.capacity <= MAX_POOLED_ID as usize + 1 {
            g.pool_search(&s, start, ef, scratch, stats);
        } else {
            let mut top = if bare {
                g.beam_search::<S, true, false>(&s, start, 0, ef, Some, scratch, stats)
            } else if !note {
                let live = |id: u32| (!g.storage.is_deleted(id)).then_some(id);
                g.beam_search::<S, false, false>(&s, start, 0, ef, live, scratch, stats)
            } else {
                let accept = |id: u32| {
                    if g.storage.is_deleted(id) {
                        return None;
                    }
                    let label = g.storage.label(id);
                    if !filter.is_none_or(|f| f(label)) {
                        return None;
                    }
                    noted.push((id, label));
                    Some(noted.len() as u32 - 1)
                };
                g.beam_search::<S, false, false>(&s, start, 0, ef, accept, scratch, stats)
            };
            // hnswlib pops the farthest until k remain (which of equal distances go is
            // the heap's choice); a re-ranking keeps more.
            let keep = if exact.is_some() { rerank.max(k) } else { k };
            while top.len() > keep {
                top.pop();
            }
            scratch.pool.clear();
            scratch.pool.extend(top.iter().map(|it| (it.key, it.id)));
            scratch
                .pool
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        let resolve = |x: u32| {
            if note {
                noted[x as usize]
            } else {
                (x, g.storage.label(x))
            }
        };
        let candidates = &mut scratch.pool;
        match exact {
            Some(e) => {
                candidates.truncate(rerank.max(k));
                for (j, c) in candidates.iter().enumerate() {
                    if let Some(later) = candidates.get(j + 2) {
                        e.prefetch(resolve(later.1).0);
                    }
                    let (id, label) = resolve(c.1);
                    out.push(Neighbor {
                        label,
                        distance: e.dist(id),
                    });
                }
                stats.distances += out.len() as u64;
            }
            None => out.extend(candidates.iter().take(k).map(|c| Neighbor {
                label: resolve(c.1).1,
                distance: c.0,
            })),
        }
        scratch.noted = noted;
        out.sort_unstable_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.label.cmp(&b.label))
        });
        out.truncate(k);
        note || g.slots.relabels() == relabels
    }
}
