//! The HNSW index: hnswlib's `HierarchicalNSW`, safe to search while other threads
//! add, update and delete.
//!
//! * `graph`: memory layout (hnswlib's level-0 arena and upper-level lists) with
//!   atomic links so searches need no locks.
//! * `heap`: hnswlib's priority queue, with libstdc++'s tie behaviour.
//! * `search`: greedy descent and layer searches with hnswlib's stop rules.
//! * `insert`: insertion, the neighbour heuristic, updates and repairs.
//! * `format`: hnswlib's binary file format, both ways.
//!
//! Concurrency: every method takes `&self`. Adds, updates, deletes and searches run
//! at the same time from any number of threads; operations on the same label are
//! serialised by a striped label lock; `resize` and `save` take the index
//! exclusively for their duration.

mod format;
mod graph;
mod heap;
mod insert;
mod search;

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use rustc_hash::{FxHashMap, FxHashSet};

use self::graph::{Layout0, Storage};
use self::search::SearchStats;
use crate::error::{Error, Result};
use crate::options::{
    check_k, AddOptions, BatchResults, Neighbor, RowSink, SaveOptions, SearchOptions,
};
use crate::parallel::for_each_row;
use crate::rng::LevelRng;
use crate::space::{Element, PreparedVec, Space};
use crate::visited::VisitedPool;

/// hnswlib's upper bound on M (a guard against absurd allocations, CVE-2023-37365).
pub const MAX_M: usize = 10_000;

/// hnswlib's default query-time ef.
pub const DEFAULT_EF: usize = 10;

const LABEL_LOCK_STRIPES: usize = 4096;

/// Construction parameters, named and defaulted as in hnswlib's `init_index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HnswParams {
    /// Capacity; grow it later with [`HnswIndex::resize`]. Default 0.
    pub max_elements: usize,
    /// Links per element on the upper levels (2·M on level 0), 2..=10000. Default 16.
    pub m: usize,
    /// Candidate list size while building; at least M. Default 200.
    pub ef_construction: usize,
    /// Seed of the level generator. Default 100.
    pub random_seed: u64,
    /// Whether inserts may reuse the slots of deleted elements. Default false.
    pub allow_replace_deleted: bool,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            max_elements: 0,
            m: 16,
            ef_construction: 200,
            random_seed: 100,
            allow_replace_deleted: false,
        }
    }
}

/// Options of [`HnswIndex::load`] and [`HnswIndex::from_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// New capacity; used when at least the element count, otherwise (e.g. 0) the
    /// file's capacity is kept, as in hnswlib.
    pub max_elements: usize,
    /// Whether inserts may reuse the slots of deleted elements.
    pub allow_replace_deleted: bool,
    /// Seed of the level generator for elements added after loading (the file does
    /// not store it). Default 100.
    pub random_seed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_elements: 0,
            allow_replace_deleted: false,
            random_seed: 100,
        }
    }
}

/// Everything behind the resize lock.
pub(crate) struct Graph {
    pub(crate) space: Space,
    pub(crate) m: usize,
    pub(crate) ef_construction: usize,
    pub(crate) mult: f64,
    pub(crate) random_seed: u64,
    pub(crate) storage: Storage,
    /// Entry point and top level in one word, so readers never see a mismatched pair:
    /// high 32 bits = top level as i32 (-1 when empty), low 32 = entry id.
    entry: AtomicU64,
    /// Held for a whole insert that raises the top level (hnswlib's `global`).
    pub(crate) global: Mutex<()>,
    pub(crate) labels: RwLock<FxHashMap<u64, u32>>,
    pub(crate) deleted_count: AtomicUsize,
    /// Deleted slots available for replacement (only with allow_replace_deleted).
    pub(crate) free_slots: Mutex<FxHashSet<u32>>,
    pub(crate) allow_replace_deleted: bool,
    pub(crate) rng: Mutex<LevelRng>,
    pub(crate) visited: VisitedPool,
}

const EMPTY_ENTRY: u64 = u64::MAX;

impl Graph {
    fn new(
        space: Space,
        m: usize,
        ef_construction: usize,
        mult: f64,
        capacity: usize,
        random_seed: u64,
        allow_replace_deleted: bool,
    ) -> Result<Self> {
        let layout = Layout0::new(m, space.data_size());
        Ok(Graph {
            m,
            ef_construction,
            mult,
            random_seed,
            storage: Storage::new(layout, capacity)?,
            entry: AtomicU64::new(EMPTY_ENTRY),
            global: Mutex::new(()),
            labels: RwLock::new(FxHashMap::default()),
            deleted_count: AtomicUsize::new(0),
            free_slots: Mutex::new(FxHashSet::default()),
            allow_replace_deleted,
            rng: Mutex::new(LevelRng::new(random_seed)),
            visited: VisitedPool::new(capacity),
            space,
        })
    }

    /// The entry point (None when empty) and the top level (-1 when empty).
    #[inline]
    pub(crate) fn entry(&self) -> (Option<u32>, i64) {
        let e = self.entry.load(Ordering::Acquire);
        if e == EMPTY_ENTRY {
            (None, -1)
        } else {
            (Some(e as u32), (e >> 32) as u32 as i32 as i64)
        }
    }

    pub(crate) fn set_entry(&self, id: u32, level: usize) {
        self.entry
            .store(((level as u64) << 32) | id as u64, Ordering::Release);
    }

    fn id_of(&self, label: u64) -> Result<u32> {
        self.labels
            .read()
            .get(&label)
            .copied()
            .ok_or(Error::LabelNotFound(label))
    }
}

/// An HNSW index (hnswlib's `HierarchicalNSW`). `Send + Sync`: share it with `Arc`.
pub struct HnswIndex {
    graph: RwLock<Graph>,
    label_locks: Box<[Mutex<()>]>,
    ef: AtomicUsize,
    auto_label: AtomicU64,
    hops: AtomicU64,
    distance_computations: AtomicU64,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = self.read();
        f.debug_struct("HnswIndex")
            .field("space", &g.space)
            .field("len", &g.storage.len())
            .field("max_elements", &g.storage.capacity)
            .field("m", &g.m)
            .field("ef_construction", &g.ef_construction)
            .field("ef", &self.ef())
            .finish()
    }
}

fn check_params(m: usize, ef_construction: usize) -> Result<()> {
    if m < 2 {
        return Err(Error::invalid(format!(
            "M must be at least 2, got {m} (the level multiplier 1/ln(M) is undefined below 2)"
        )));
    }
    if m > MAX_M {
        return Err(Error::invalid(format!(
            "M must be at most {MAX_M}, got {m}; sensible values are 4 to 64"
        )));
    }
    if ef_construction < m {
        return Err(Error::invalid(format!(
            "ef_construction ({ef_construction}) must be at least M ({m})"
        )));
    }
    Ok(())
}

impl HnswIndex {
    /// An empty index over `space`.
    pub fn new(space: Space, params: &HnswParams) -> Result<Self> {
        check_params(params.m, params.ef_construction)?;
        let mult = 1.0 / (params.m as f64).ln();
        let graph = Graph::new(
            space,
            params.m,
            params.ef_construction,
            mult,
            params.max_elements,
            params.random_seed,
            params.allow_replace_deleted,
        )?;
        Ok(Self::from_graph(graph, 0))
    }

    fn from_graph(graph: Graph, next_auto_label: u64) -> Self {
        HnswIndex {
            graph: RwLock::new(graph),
            label_locks: (0..LABEL_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            ef: AtomicUsize::new(DEFAULT_EF),
            auto_label: AtomicU64::new(next_auto_label),
            hops: AtomicU64::new(0),
            distance_computations: AtomicU64::new(0),
        }
    }

    /// Shared access; recursive so a filter or progress callback may call back in.
    fn read(&self) -> RwLockReadGuard<'_, Graph> {
        self.graph.read_recursive()
    }

    fn label_lock(&self, label: u64) -> parking_lot::MutexGuard<'_, ()> {
        let stripe = (label.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize;
        self.label_locks[stripe % LABEL_LOCK_STRIPES].lock()
    }

    /// The space (a clone; spaces are cheap to clone).
    pub fn space(&self) -> Space {
        self.read().space.clone()
    }

    /// Elements per vector (bytes for custom spaces).
    pub fn dim(&self) -> usize {
        self.read().space.dim()
    }

    /// Adds one vector under `label`. An existing label is updated in place (its
    /// neighbourhood is repaired, and a deleted element is undeleted). With
    /// `replace_deleted` a deleted element's slot is reused when there is one.
    pub fn add<T: Element>(&self, vector: &[T], label: u64, replace_deleted: bool) -> Result<()> {
        let g = self.read();
        if replace_deleted && !g.allow_replace_deleted {
            return Err(Error::ReplaceDeletedDisabled);
        }
        let v = g.space.prepare(vector, 0)?;
        self.add_prepared(&g, &v, label, replace_deleted)
    }

    fn add_prepared(&self, g: &Graph, v: &PreparedVec, label: u64, replace: bool) -> Result<()> {
        let _label_guard = self.label_lock(label);
        let (q, data) = (v.as_ptr(), v.as_bytes());
        let existing = g.labels.read().get(&label).copied();
        if let Some(id) = existing {
            if !g.storage.is_deleted(id) {
                g.update_element(id, q, data);
                return Ok(());
            }
            if !g.allow_replace_deleted {
                g.update_element(id, q, data);
                if g.storage.unmark_deleted(id) {
                    g.deleted_count.fetch_sub(1, Ordering::AcqRel);
                }
                return Ok(());
            }
            if !replace {
                return Err(Error::UpdateDeletedWithReplace(label));
            }
            // Reuse the label's own slot, unless a concurrent replacement claimed it
            // (then the label is on its way out and is inserted afresh below).
            if g.free_slots.lock().remove(&id) {
                g.update_element(id, q, data);
                g.storage.unmark_deleted(id);
                g.deleted_count.fetch_sub(1, Ordering::AcqRel);
                return Ok(());
            }
        }
        if replace {
            let claimed = {
                let mut free = g.free_slots.lock();
                let id = free.iter().next().copied();
                if let Some(id) = id {
                    free.remove(&id);
                }
                id
            };
            if let Some(id) = claimed {
                let old = g.storage.label(id);
                {
                    let mut map = g.labels.write();
                    if map.get(&old) == Some(&id) {
                        map.remove(&old);
                    }
                    map.insert(label, id);
                }
                g.storage.set_label(id, label);
                // The slot stays marked deleted until its new vector is linked, so no
                // search returns the new label with the old vector.
                g.update_element(id, q, data);
                g.storage.unmark_deleted(id);
                g.deleted_count.fetch_sub(1, Ordering::AcqRel);
                return Ok(());
            }
        }
        let id = g.reserve_slot(label)?;
        g.insert_new(id, label, q, data)
    }

    /// Adds a batch of rows (`data.len() / dim` vectors, row-major) on
    /// `opts.num_threads` threads.
    ///
    /// `labels: None` gives hnswlib's automatic labels: a counter that starts at 0
    /// (at the element count after a load) and advances by the number of rows on
    /// every batch call. Every row is validated and the capacity checked before
    /// anything is added; a later failure or a cancel leaves the rows added so far.
    pub fn add_batch<T: Element>(
        &self,
        data: &[T],
        labels: Option<&[u64]>,
        opts: &AddOptions,
    ) -> Result<()> {
        let g = self.read();
        let rows = g.space.rows_of(data)?;
        let per_row = data.len() / rows;
        if let Some(l) = labels {
            if l.len() != rows {
                return Err(Error::LabelCountMismatch {
                    labels: l.len(),
                    rows,
                });
            }
        }
        if opts.replace_deleted && !g.allow_replace_deleted {
            return Err(Error::ReplaceDeletedDisabled);
        }
        for (r, row) in data.chunks_exact(per_row).enumerate() {
            g.space.check(row, r)?;
        }
        // Capacity first, so a rejected batch leaves the automatic labels where they were.
        let next_auto = self.auto_label.load(Ordering::Acquire);
        self.check_room(
            &g,
            rows,
            &|r| labels.map_or(next_auto.wrapping_add(r as u64), |l| l[r]),
            opts.replace_deleted,
        )?;
        let first_auto = self.auto_label.fetch_add(rows as u64, Ordering::AcqRel);
        let label_of = |r: usize| labels.map_or(first_auto.wrapping_add(r as u64), |l| l[r]);

        for_each_row(rows, opts.num_threads, opts.progress, |r| {
            let v = g.space.prepare(&data[r * per_row..(r + 1) * per_row], r)?;
            self.add_prepared(&g, &v, label_of(r), opts.replace_deleted)
        })
    }

    /// Fails with CapacityExceeded before a batch starts if its new labels cannot fit.
    fn check_room(
        &self,
        g: &Graph,
        rows: usize,
        label_of: &dyn Fn(usize) -> u64,
        replace: bool,
    ) -> Result<()> {
        let capacity = g.storage.capacity;
        let mut room = capacity.saturating_sub(g.storage.len());
        if replace {
            room += g.free_slots.lock().len();
        }
        if rows <= room {
            return Ok(());
        }
        let map = g.labels.read();
        let mut fresh = FxHashSet::default();
        for r in 0..rows {
            let l = label_of(r);
            if !map.contains_key(&l) {
                fresh.insert(l);
            }
        }
        if fresh.len() > room {
            return Err(Error::CapacityExceeded {
                max_elements: capacity,
            });
        }
        Ok(())
    }

    /// The `k` nearest neighbours of `query`, closest first (equal distances in label
    /// order). Fewer than `k` come back when fewer elements are live and accepted by
    /// the filter. The search uses `ef = max(opts.ef or the index's ef, k)`.
    pub fn search<T: Element>(
        &self,
        query: &[T],
        k: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        let g = self.read();
        let q = g.space.prepare(query, 0)?;
        // k may be anything a caller passes (hnswlib users pass huge k to get "all").
        let mut out = Vec::with_capacity(k.min(g.storage.len()));
        self.search_prepared(&g, &q, k, opts, &mut out);
        Ok(out)
    }

    fn search_prepared(
        &self,
        g: &Graph,
        q: &PreparedVec,
        k: usize,
        opts: &SearchOptions,
        out: &mut Vec<Neighbor>,
    ) {
        out.clear();
        let (Some(ep), max_level) = g.entry() else {
            return;
        };
        let ef = opts.ef.unwrap_or_else(|| self.ef()).max(k);
        let mut stats = SearchStats::default();
        let q = q.as_ptr();
        let start = g.greedy_descent::<false>(q, ep, max_level.max(0) as usize, 0, &mut stats);
        let mut visited = g.visited.get();
        let bare = opts.filter.is_none() && g.deleted_count.load(Ordering::Acquire) == 0;
        let top = if bare {
            g.search_level0::<true>(start, q, ef, None, &mut visited, &mut stats)
        } else {
            g.search_level0::<false>(start, q, ef, opts.filter, &mut visited, &mut stats)
        };
        drop(visited);
        // hnswlib pops the farthest until k remain (which of equal distances go is the
        // heap's choice), then orders the rest by (distance, label).
        let mut top = top;
        while top.len() > k {
            top.pop();
        }
        out.extend(top.iter().map(|it| Neighbor {
            label: g.storage.label(it.id),
            distance: it.key,
        }));
        out.sort_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.label.cmp(&b.label))
        });
        self.hops.fetch_add(stats.hops, Ordering::Relaxed);
        self.distance_computations
            .fetch_add(stats.distances, Ordering::Relaxed);
    }

    /// Searches every row of `queries` (row-major) on `opts.num_threads` threads.
    pub fn search_batch<T: Element>(
        &self,
        queries: &[T],
        k: usize,
        opts: &SearchOptions,
    ) -> Result<BatchResults> {
        check_k(k)?;
        let rows = self.read().space.rows_of(queries)?;
        let mut res = BatchResults::new(rows, k)?;
        self.search_batch_into(
            queries,
            k,
            opts,
            &mut res.labels,
            &mut res.distances,
            &mut res.counts,
        )?;
        Ok(res)
    }

    /// Like [`HnswIndex::search_batch`], into caller buffers of `rows × k` labels and
    /// distances and `rows` counts (see [`BatchResults`] for the layout).
    pub fn search_batch_into<T: Element>(
        &self,
        queries: &[T],
        k: usize,
        opts: &SearchOptions,
        labels: &mut [u64],
        distances: &mut [f32],
        counts: &mut [usize],
    ) -> Result<()> {
        check_k(k)?;
        let g = self.read();
        let rows = g.space.rows_of(queries)?;
        let per_row = queries.len() / rows;
        let out = RowSink::new(labels, distances, counts, rows, k)?;
        for_each_row(rows, opts.num_threads, None, |r| {
            let q = g
                .space
                .prepare(&queries[r * per_row..(r + 1) * per_row], r)?;
            let mut found = Vec::with_capacity(k.min(g.storage.len()));
            self.search_prepared(&g, &q, k, opts, &mut found);
            out.write(r, &found);
            Ok(())
        })
    }

    /// Sets the query-time ef (default 10).
    pub fn set_ef(&self, ef: usize) {
        self.ef.store(ef, Ordering::Relaxed);
    }

    /// The query-time ef.
    pub fn ef(&self) -> usize {
        self.ef.load(Ordering::Relaxed)
    }

    /// Marks `label` deleted: it still routes searches but is never returned.
    pub fn mark_deleted(&self, label: u64) -> Result<()> {
        let g = self.read();
        let _l = self.label_lock(label);
        let id = g.id_of(label)?;
        if !g.storage.mark_deleted(id) {
            return Err(Error::AlreadyDeleted(label));
        }
        g.deleted_count.fetch_add(1, Ordering::AcqRel);
        if g.allow_replace_deleted {
            g.free_slots.lock().insert(id);
        }
        Ok(())
    }

    /// Undoes [`HnswIndex::mark_deleted`].
    pub fn unmark_deleted(&self, label: u64) -> Result<()> {
        let g = self.read();
        let _l = self.label_lock(label);
        let id = g.id_of(label)?;
        if !g.storage.is_deleted(id) {
            return Err(Error::NotDeleted(label));
        }
        if g.allow_replace_deleted && !g.free_slots.lock().remove(&id) {
            // A concurrent replacement has claimed the slot: the label is gone.
            return Err(Error::LabelNotFound(label));
        }
        if g.storage.unmark_deleted(id) {
            g.deleted_count.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Whether `label` is in the index and marked deleted.
    pub fn is_deleted(&self, label: u64) -> Result<bool> {
        let g = self.read();
        Ok(g.storage.is_deleted(g.id_of(label)?))
    }

    /// Whether `label` is in the index (deleted or not).
    pub fn contains(&self, label: u64) -> bool {
        self.read().labels.read().contains_key(&label)
    }

    /// Changes the capacity (exclusive: waits for running operations).
    pub fn resize(&self, new_max_elements: usize) -> Result<()> {
        let mut g = self.graph.write();
        let count = g.storage.len();
        if new_max_elements < count {
            return Err(Error::ResizeBelowCount {
                requested: new_max_elements,
                count,
            });
        }
        let storage = Storage::grown_from(&mut g.storage, new_max_elements)?;
        g.storage = storage;
        g.visited = VisitedPool::new(new_max_elements);
        Ok(())
    }

    /// The stored vector of `label` (normalised for cosine). Deleted labels are not found.
    pub fn get_item<T: Element>(&self, label: u64) -> Result<Vec<T>> {
        let g = self.read();
        let _l = self.label_lock(label);
        let id = g.id_of(label)?;
        if g.storage.is_deleted(id) {
            return Err(Error::LabelNotFound(label));
        }
        let mut out = g.space.element_buffer::<T>()?;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
        // SAFETY: the slot holds data_size initialised bytes and `bytes` has exactly
        // data_size bytes (element_buffer); the label lock keeps updates of it out.
        unsafe {
            std::ptr::copy_nonoverlapping(g.storage.data_ptr(id), bytes.as_mut_ptr(), bytes.len())
        };
        Ok(out)
    }

    /// The stored vectors of `labels`, concatenated.
    pub fn get_items<T: Element>(&self, labels: &[u64]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for &l in labels {
            out.extend(self.get_item::<T>(l)?);
        }
        Ok(out)
    }

    /// Every label in the index, deleted ones included (as hnswlib), ascending.
    pub fn ids(&self) -> Vec<u64> {
        let g = self.read();
        let mut ids: Vec<u64> = g.labels.read().keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Number of elements, deleted ones included (hnswlib's `cur_element_count`).
    pub fn len(&self) -> usize {
        self.read().storage.len()
    }

    /// Whether the index holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of elements marked deleted.
    pub fn deleted_count(&self) -> usize {
        self.read().deleted_count.load(Ordering::Acquire)
    }

    /// Capacity.
    pub fn max_elements(&self) -> usize {
        self.read().storage.capacity
    }

    /// M.
    pub fn m(&self) -> usize {
        self.read().m
    }

    /// ef_construction.
    pub fn ef_construction(&self) -> usize {
        self.read().ef_construction
    }

    /// The level generator's seed.
    pub fn random_seed(&self) -> u64 {
        self.read().random_seed
    }

    /// Whether inserts may reuse deleted slots.
    pub fn allow_replace_deleted(&self) -> bool {
        self.read().allow_replace_deleted
    }

    /// The next automatic label (hnswlib Python's `cur_l`).
    pub fn next_auto_label(&self) -> u64 {
        self.auto_label.load(Ordering::Acquire)
    }

    /// The level of `label`'s element (0 = only on the base layer).
    pub fn level_of(&self, label: u64) -> Result<usize> {
        let g = self.read();
        Ok(g.storage.level(g.id_of(label)?))
    }

    /// Work done by searches so far: (hops, distance computations), as hnswlib's
    /// `metric_hops` and `metric_distance_computations`.
    pub fn metrics(&self) -> (u64, u64) {
        (
            self.hops.load(Ordering::Relaxed),
            self.distance_computations.load(Ordering::Relaxed),
        )
    }

    /// Resets [`HnswIndex::metrics`] to zero.
    pub fn reset_metrics(&self) {
        self.hops.store(0, Ordering::Relaxed);
        self.distance_computations.store(0, Ordering::Relaxed);
    }

    /// Saves in hnswlib's format, atomically and durably: a temp file beside `path`,
    /// synced, then renamed over `path`. Exclusive: waits for running operations.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written; `path` is then left as it was.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, &SaveOptions::default())
    }

    /// [`HnswIndex::save`] with options: `SaveOptions { sync: false }` returns once
    /// the bytes are in the page cache, as hnswlib's `saveIndex` does (still atomic).
    pub fn save_with(&self, path: impl AsRef<Path>, opts: &SaveOptions) -> Result<()> {
        let g = self.graph.write();
        crate::persist::write_atomically(path.as_ref(), opts, |w| format::write(&g, w))
    }

    /// The bytes [`HnswIndex::save`] would write.
    pub fn to_bytes(&self) -> Vec<u8> {
        let g = self.graph.write();
        let mut out = Vec::with_capacity(format::file_size(&g));
        format::write(&g, &mut out).expect("writing to a Vec cannot fail");
        out
    }

    /// Exact size in bytes of the saved index (hnswlib's `indexFileSize`).
    pub fn file_size(&self) -> usize {
        format::file_size(&self.read())
    }

    /// Loads an index saved by hnswlib or by [`HnswIndex::save`]. The space must
    /// match the file (same element size); a mismatch is an error.
    pub fn load(path: impl AsRef<Path>, space: Space, opts: &LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let graph = format::read(&mut reader, len, space, opts).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(path, source),
            e => e,
        })?;
        let n = graph.storage.len() as u64;
        Ok(Self::from_graph(graph, n))
    }

    /// Loads from bytes in hnswlib's format (see [`HnswIndex::to_bytes`]).
    pub fn from_bytes(bytes: &[u8], space: Space, opts: &LoadOptions) -> Result<Self> {
        let graph = format::read(&mut &bytes[..], bytes.len() as u64, space, opts)?;
        let n = graph.storage.len() as u64;
        Ok(Self::from_graph(graph, n))
    }
}
