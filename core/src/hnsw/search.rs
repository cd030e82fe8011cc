//! Graph searches: greedy descent through the upper levels, the construction-time
//! layer search (hnswlib's `searchBaseLayer`) and the query-time level-0 search
//! (`searchBaseLayerST`), with hnswlib's stop rules so recall matches it at equal ef.

use super::heap::{Item, MaxHeap};
use super::Graph;
use crate::options::Filter;
use crate::visited::VisitedList;

/// Work counters of one search, summed into the index's metrics.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SearchStats {
    pub hops: u64,
    pub distances: u64,
}

impl Graph {
    /// Distance from a prepared vector to element `id`.
    #[inline(always)]
    pub(crate) fn dist_to(&self, q: *const u8, id: u32) -> f32 {
        // SAFETY: q is a prepared vector of data_size bytes (4-byte aligned) and id is a
        // reserved slot of the storage (ids come from lists validated < capacity).
        unsafe { self.space.distance_raw(q, self.storage.data_ptr(id)) }
    }

    /// Distance between two stored elements, in hnswlib's argument order.
    #[inline(always)]
    pub(crate) fn dist_between(&self, a: u32, b: u32) -> f32 {
        self.dist_to(self.storage.data_ptr(a), b)
    }

    /// Greedy descent from `ep` through levels `from..to` (exclusive, going down):
    /// move to any strictly closer neighbour until none is closer. `BUILD` (inserts
    /// and updates) waits for elements still linking themselves in.
    pub(crate) fn greedy_descent<const BUILD: bool>(
        &self,
        q: *const u8,
        ep: u32,
        from: usize,
        to: usize,
        stats: &mut SearchStats,
    ) -> u32 {
        let mut cur = ep;
        let mut cur_dist = self.dist_to(q, cur);
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
                    let cand = links.get(i);
                    let d = self.dist_to(q, cand);
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
    pub(crate) fn search_layer(
        &self,
        ep: u32,
        q: *const u8,
        level: usize,
        ef: usize,
        visited: &mut VisitedList,
    ) -> MaxHeap {
        // Without deletions the per-candidate flag check (another cache line) is moot.
        let check_deleted = self
            .deleted_count
            .load(std::sync::atomic::Ordering::Acquire)
            > 0;
        let live = |id: u32| !check_deleted || !self.storage.is_deleted(id);
        self.beam_search::<false, true>(
            ep,
            q,
            level,
            ef,
            live,
            visited,
            &mut SearchStats::default(),
        )
    }

    /// Query-time level-0 search (hnswlib's `searchBaseLayerST`). With `BARE` there
    /// are no deleted elements and no filter, so those checks and hnswlib's
    /// "results full" condition of the stop rule are skipped.
    pub(crate) fn search_level0<const BARE: bool>(
        &self,
        ep: u32,
        q: *const u8,
        ef: usize,
        filter: Option<Filter<'_>>,
        visited: &mut VisitedList,
        stats: &mut SearchStats,
    ) -> MaxHeap {
        let accept = |id: u32| -> bool {
            BARE || (!self.storage.is_deleted(id)
                && filter.is_none_or(|f| f(self.storage.label(id))))
        };
        self.beam_search::<BARE, false>(ep, q, 0, ef, accept, visited, stats)
    }

    /// The beam search both of the above are: expand the closest unexpanded candidate
    /// until it is farther than the worst of the `ef` best results; elements that
    /// `accept` rejects are expanded but never become results. `BUILD` waits for
    /// elements still linking themselves in before expanding them.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn beam_search<const BARE: bool, const BUILD: bool>(
        &self,
        ep: u32,
        q: *const u8,
        level: usize,
        ef: usize,
        accept: impl Fn(u32) -> bool,
        visited: &mut VisitedList,
        stats: &mut SearchStats,
    ) -> MaxHeap {
        // ef may be anything a caller passes: size the heaps by what can exist.
        let expected = ef.min(self.storage.len());
        let mut top = MaxHeap::with_capacity(expected + 1);
        let mut candidates = MaxHeap::with_capacity(expected.saturating_mul(4));
        let mut scratch = Vec::with_capacity(self.storage.layout.max_m0);
        let mut lower_bound;
        if accept(ep) {
            let d = self.dist_to(q, ep);
            stats.distances += 1;
            lower_bound = d;
            top.push(Item { key: d, id: ep });
            candidates.push(Item { key: -d, id: ep });
        } else {
            lower_bound = f32::MAX;
            candidates.push(Item {
                key: -lower_bound,
                id: ep,
            });
        }
        visited.insert(ep);

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

            // First collect the unvisited neighbours and prefetch their vectors, then
            // compute distances: the memory loads overlap instead of queueing.
            if BUILD {
                self.storage.wait_linked(cur.id);
            }
            let links = self.storage.links(cur.id, level);
            scratch.clear();
            for i in 0..links.len() {
                let cand = links.get(i);
                if visited.insert(cand) {
                    self.storage.prefetch_data(cand);
                    scratch.push(cand);
                }
            }
            stats.distances += scratch.len() as u64;
            for &cand in &scratch {
                let d = self.dist_to(q, cand);
                if top.len() < ef || lower_bound > d {
                    candidates.push(Item { key: -d, id: cand });
                    if accept(cand) {
                        top.push(Item { key: d, id: cand });
                        if top.len() > ef {
                            top.pop();
                        }
                    }
                    if let Some(t) = top.peek() {
                        lower_bound = t.key;
                    }
                }
            }
            if let Some(next) = candidates.peek() {
                self.storage.prefetch_links(next.id);
            }
        }
        top
    }
}
