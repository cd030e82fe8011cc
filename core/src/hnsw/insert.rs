//! Insertion, neighbour selection, updates and replacement of deleted elements:
//! hnswlib's `addPoint`, `getNeighborsByHeuristic2`, `mutuallyConnectNewElement`,
//! `updatePoint` and `repairConnectionsForUpdate`, step for step, so a
//! single-threaded build makes the same graph as hnswlib's.
//!
//! One deliberate difference, in updates: when the neighbours of a moved element get
//! their lists rebuilt, hnswlib replaces each list by the heuristic's pick alone,
//! which is often a third of the list's capacity; after several passes of updates the
//! average degree had halved and queries needed 1.6x the ef for the same recall. Here
//! the neighbour's own links are candidates too, and the pick is topped up with its
//! previous links, so updated graphs search as well as freshly built ones.
//!
//! Locking: a thread holds at most one node lock at a time (it writes its own list,
//! releases, then locks each neighbour in turn), so inserts cannot deadlock. The
//! global lock is held for a whole insert only when the new element raises the top
//! level, as in hnswlib.

use rustc_hash::FxHashSet;

use super::graph::Links;
use super::heap::{pair_order, Item, MaxHeap};
use super::scorer::{Scorer, ScorerTask};
use super::search::SearchStats;
use super::Graph;
use crate::error::Result;
use crate::space::PreparedVec;

impl Graph {
    /// hnswlib's `getNeighborsByHeuristic2`: keeps a candidate only if it is closer to
    /// the base than to every candidate kept before it, visiting candidates closest
    /// first. Returns the kept ones as hnswlib's heap holds them (pop = farthest first).
    #[inline(always)]
    pub(crate) fn select_neighbors<S: Scorer>(
        &self,
        s: &S,
        candidates: MaxHeap,
        m: usize,
    ) -> MaxHeap {
        if candidates.len() < m {
            return candidates;
        }
        // hnswlib visits them through a `std::priority_queue<pair<-dist, id>>` with the
        // default comparator: closest first, equal distances larger id first.
        let mut closest: Vec<Item> = candidates
            .iter()
            .map(|it| Item {
                key: -it.key,
                id: it.id,
            })
            .collect();
        closest.sort_unstable_by(|a, b| pair_order(b, a));
        let mut kept: Vec<Item> = Vec::with_capacity(m);
        for c in closest {
            if kept.len() >= m {
                break;
            }
            let dist_to_base = -c.key;
            // A plain loop, not `Iterator::all`: that would be a function of its own,
            // built without the instruction set this search was compiled for.
            let mut good = true;
            for r in &kept {
                let d = s.between(r.id, c.id);
                if d.partial_cmp(&dist_to_base) == Some(std::cmp::Ordering::Less) {
                    good = false;
                    break;
                }
            }
            if good {
                kept.push(c);
            }
        }
        let mut out = MaxHeap::with_capacity(kept.len());
        for it in kept {
            out.push(Item {
                key: -it.key,
                id: it.id,
            });
        }
        out
    }

    /// hnswlib's `mutuallyConnectNewElement`: links `cur` to the heuristic's pick of
    /// `candidates` at `level` and adds the back links, re-pruning full neighbours.
    /// Returns the closest selected neighbour, the entry for the next level down.
    #[inline(always)]
    pub(crate) fn connect<S: Scorer>(
        &self,
        s: &S,
        cur: u32,
        candidates: MaxHeap,
        level: usize,
        is_update: bool,
    ) -> Option<u32> {
        let max_links = if level == 0 {
            self.storage.layout.max_m0
        } else {
            self.storage.max_m
        };
        let selected: Vec<u32> = self
            .select_neighbors(s, candidates, self.m)
            .into_pop_order()
            .into_iter()
            .map(|it| it.id)
            .filter(|&id| id != cur)
            .collect();
        let next_entry = selected.last().copied();
        {
            let _own = self.storage.lock(cur);
            self.storage.links(cur, level).set(selected.iter().copied());
        }
        for &other in &selected {
            if self.storage.level(other) < level {
                // Cannot happen in a consistent graph; never write past a list.
                continue;
            }
            self.storage.wait_linked(other);
            let _lock = self.storage.lock(other);
            let links = self.storage.links(other, level);
            let n = links.len();
            if is_update && (0..n).any(|j| links.get(j) == cur) {
                continue;
            }
            if n < max_links.min(links.capacity()) {
                links.push(cur);
            } else {
                // hnswlib's order: the new element first, then the list.
                let ids = std::iter::once(cur)
                    .chain((0..n).map(|j| links.get(j)))
                    .collect();
                self.set_pruned(s, &links, other, ids, max_links);
            }
        }
        next_entry
    }

    /// Sets the list `links` of element `owner` to `ids` when they fit, otherwise to
    /// the heuristic's pick of `max_links` of them (ties broken by the order of `ids`).
    #[inline(always)]
    fn set_pruned<S: Scorer>(
        &self,
        s: &S,
        links: &Links,
        owner: u32,
        ids: Vec<u32>,
        max_links: usize,
    ) {
        if ids.len() <= max_links.min(links.capacity()) {
            links.set(ids);
            return;
        }
        let mut heap = MaxHeap::with_capacity(ids.len());
        for id in ids {
            heap.push(Item {
                key: s.between(id, owner),
                id,
            });
        }
        let kept = self.select_neighbors(s, heap, max_links);
        links.set(kept.into_pop_order().into_iter().map(|it| it.id));
    }

    /// Links a freshly reserved element `id` into the graph under `label`, with its
    /// vector `v` (hnswlib's `addPoint(data, label, level)` after the slot reservation).
    pub(crate) fn insert_new(&self, id: u32, label: u64, v: &PreparedVec) -> Result<()> {
        let level = self.rng.lock().next_level(self.mult);
        self.storage.init_element(id, label, level)?;
        // The element is not reachable yet: nobody reads its vectors concurrently.
        self.write_vectors(id, v);
        // Until this guard drops (also on a panic in a custom distance), other inserts
        // that reach the element wait for it to be linked on every level.
        self.storage.start_linking(id);
        let _linking = Linking {
            storage: &self.storage,
            id,
        };

        let global_guard = self.global.lock();
        let (entry, max_level) = self.entry();
        let raises_top = level as i64 > max_level;
        // Keep the global lock for the whole insert only when the top level rises.
        let global = if raises_top {
            Some(global_guard)
        } else {
            drop(global_guard);
            None
        };

        let Some(ep) = entry else {
            self.set_entry(id, level);
            return Ok(());
        };
        self.build_with(
            v,
            LinkNew {
                g: self,
                id,
                level,
                ep,
                max_level: max_level as usize,
            },
        );
        if raises_top {
            self.set_entry(id, level);
        }
        drop(global);
        Ok(())
    }

    /// The linking of [`Graph::insert_new`], with scorer `s` for the new vector.
    #[inline(always)]
    fn link_new<S: Scorer>(&self, s: &S, id: u32, level: usize, ep: u32, max_level: usize) {
        let mut cur = ep;
        let mut stats = SearchStats::default();
        if level < max_level {
            cur = self.greedy_descent::<S, true>(s, cur, max_level, level, &mut stats);
        }
        let ep_deleted = self.storage.is_deleted(ep);
        for l in (0..=level.min(max_level)).rev() {
            let mut top = {
                let mut scratch = self.scratch.get();
                self.search_layer(s, cur, l, self.ef_construction, &mut scratch)
            };
            if ep_deleted {
                top.push(Item {
                    key: s.dist(ep),
                    id: ep,
                });
                if top.len() > self.ef_construction {
                    top.pop();
                }
            }
            if let Some(next) = self.connect(s, id, top, l, false) {
                cur = next;
            }
        }
    }

    /// hnswlib's `updatePoint`: writes the new vector `v` of `id`, repairs the lists of
    /// its neighbours from their 2-hop neighbourhood, then relinks `id` itself.
    pub(crate) fn update_element(&self, id: u32, v: &PreparedVec) {
        // Concurrent searches may score a torn vector (see `Storage::write_row`).
        self.write_vectors(id, v);
        let (entry, max_level) = self.entry();
        let Some(ep) = entry else { return };
        if ep == id && self.storage.len() == 1 {
            return;
        }
        self.build_with(
            v,
            Relink {
                g: self,
                id,
                ep,
                max_level: max_level.max(0) as usize,
            },
        );
    }

    /// The repairs of [`Graph::update_element`], with scorer `s` for the new vector.
    #[inline(always)]
    fn relink<S: Scorer>(&self, s: &S, id: u32, ep: u32, max_level: usize) {
        let elem_level = self.storage.level(id);
        for layer in 0..=elem_level {
            let one_hop = {
                let _l = self.storage.lock(id);
                self.storage.links(id, layer).to_vec()
            };
            if one_hop.is_empty() {
                continue;
            }
            let mut cand_set = FxHashSet::default();
            let mut cands = Vec::new();
            let mut add = |x: u32, set: &mut FxHashSet<u32>| {
                if set.insert(x) {
                    cands.push(x);
                }
            };
            add(id, &mut cand_set);
            let mut neighbours = Vec::with_capacity(one_hop.len());
            for &n in &one_hop {
                add(n, &mut cand_set);
                if !neighbours.contains(&n) {
                    neighbours.push(n);
                }
                if self.storage.level(n) < layer {
                    continue;
                }
                let two_hop = {
                    let _l = self.storage.lock(n);
                    self.storage.links(n, layer).to_vec()
                };
                for t in two_hop {
                    add(t, &mut cand_set);
                }
            }
            for &n in &neighbours {
                if self.storage.level(n) < layer {
                    continue;
                }
                // Unlike hnswlib, n's own current neighbours are candidates too, so
                // its good links outside the element's 2-hop neighbourhood survive.
                let own = {
                    let _l = self.storage.lock(n);
                    self.storage.links(n, layer).to_vec()
                };
                let own_extra: Vec<u32> = own
                    .iter()
                    .copied()
                    .filter(|o| !cand_set.contains(o))
                    .collect();
                let size = cands.len() + own_extra.len() - usize::from(cand_set.contains(&n));
                let keep = self.ef_construction.min(size);
                let mut heap = MaxHeap::with_capacity(keep + 1);
                for &c in cands.iter().chain(&own_extra) {
                    if c == n {
                        continue;
                    }
                    let d = s.between(n, c);
                    if heap.len() < keep {
                        heap.push(Item { key: d, id: c });
                    } else if heap.peek().is_some_and(|t| d < t.key) {
                        heap.pop();
                        heap.push(Item { key: d, id: c });
                    }
                }
                let max_links = if layer == 0 {
                    self.storage.layout.max_m0
                } else {
                    self.storage.max_m
                };
                let kept = self.select_neighbors(s, heap, max_links);
                // Unlike hnswlib, the heuristic's pick is topped up with n's previous
                // links (all but the moved element) up to the list's capacity: a
                // rebuilt list never shrinks to the heuristic's few picks, which after
                // many updates halved the graph's degree and cost recall.
                let _l = self.storage.lock(n);
                let links = self.storage.links(n, layer);
                let mut ids: Vec<u32> = kept.into_pop_order().iter().map(|it| it.id).collect();
                for old in links.to_vec() {
                    if ids.len() >= max_links {
                        break;
                    }
                    if old != id && !ids.contains(&old) {
                        ids.push(old);
                    }
                }
                links.set(ids);
            }
        }
        self.repair_connections(s, ep, id, elem_level, max_level);
    }

    /// hnswlib's `repairConnectionsForUpdate`: searches for the updated element's new
    /// neighbours at each of its levels and rewrites its lists.
    #[inline(always)]
    fn repair_connections<S: Scorer>(
        &self,
        s: &S,
        ep: u32,
        id: u32,
        level: usize,
        max_level: usize,
    ) {
        let mut cur = ep;
        let mut stats = SearchStats::default();
        if level < max_level {
            cur = self.greedy_descent::<S, true>(s, cur, max_level, level, &mut stats);
        }
        for l in (0..=level.min(max_level)).rev() {
            let mut scratch = self.scratch.get();
            let top = self.search_layer(s, cur, l, self.ef_construction, &mut scratch);
            drop(scratch);
            let mut filtered = MaxHeap::with_capacity(top.len());
            for it in top.into_pop_order() {
                if it.id != id {
                    filtered.push(it);
                }
            }
            if filtered.is_empty() {
                continue;
            }
            if ep != id && self.storage.is_deleted(ep) {
                filtered.push(Item {
                    key: s.dist(ep),
                    id: ep,
                });
                if filtered.len() > self.ef_construction {
                    filtered.pop();
                }
            }
            if let Some(next) = self.connect(s, id, filtered, l, true) {
                cur = next;
            }
        }
    }
}

/// [`Graph::link_new`] as a scorer task.
struct LinkNew<'a> {
    g: &'a Graph,
    id: u32,
    level: usize,
    ep: u32,
    max_level: usize,
}

impl ScorerTask for LinkNew<'_> {
    type Out = ();
    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(self, s: S, _exact: Option<E>) {
        self.g
            .link_new(&s, self.id, self.level, self.ep, self.max_level)
    }
}

/// [`Graph::relink`] as a scorer task.
struct Relink<'a> {
    g: &'a Graph,
    id: u32,
    ep: u32,
    max_level: usize,
}

impl ScorerTask for Relink<'_> {
    type Out = ();
    #[inline(always)]
    fn run<S: Scorer, E: Scorer>(self, s: S, _exact: Option<E>) {
        self.g.relink(&s, self.id, self.ep, self.max_level)
    }
}

/// Clears an element's linking mark when its insert ends, however it ends.
struct Linking<'a> {
    storage: &'a super::graph::Storage,
    id: u32,
}

impl Drop for Linking<'_> {
    fn drop(&mut self) {
        self.storage.finish_linking(self.id);
    }
}
