//! Exact (brute-force) k-nearest-neighbour search: hnswlib's `BruteforceSearch` and
//! Python `BFIndex`.
//!
//! [`BruteForceIndex`] compares a query with every stored vector. It is the ground
//! truth that HNSW recall is measured against, and the right index for small
//! collections, where a linear scan is fast enough and exact.
//!
//! # Layout
//!
//! Vectors live in one contiguous buffer of fixed-size slots, in their stored form
//! (cosine vectors normalised), each slot starting on a 4-byte boundary so the f32
//! kernels can read it directly. A parallel `Vec<u64>` holds each slot's label and a
//! hash map takes a label to its slot. Removing an element moves the last slot into
//! the hole, so the slots stay dense and a search is one sequential pass over memory.
//! Memory grows with the elements actually stored; the capacity (`max_elements`) is
//! a limit, as in hnswlib, not an up-front allocation.
//!
//! # Compatibility with hnswlib
//!
//! The API follows hnswlib's (`add` overwrites an existing label in place, adding to
//! a full index fails, removal swaps the last element into the hole) and the files
//! are hnswlib's own format (see [`BruteForceIndex::save`]), readable by both. Where
//! hnswlib 0.8.0 is wrong this index does the right thing instead:
//!
//! * a search returns at most the number of matching elements, never garbage when
//!   `k` exceeds the count, and a filter never makes it miss matching elements;
//! * cosine queries are normalised, like the stored vectors;
//! * query dimensions are checked;
//! * removing an unknown label is an error, and removal keeps the label map right;
//! * saved files never contain uninitialised bytes, a missing file is an error rather
//!   than an empty index, and loading validates every field and length and rebuilds
//!   the label map.
//!
//! # Concurrency
//!
//! The index is `Send + Sync` and every method takes `&self`. Storage sits behind a
//! read-write lock: searches (and reads such as [`BruteForceIndex::get_item`] or
//! [`BruteForceIndex::save`]) share it, while adds, removals and resizes take it
//! exclusively. A batch search holds the shared lock for the whole batch, so it sees
//! one consistent state.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Error, Result};
use crate::lock::IndexLock;
use crate::options::{
    check_k, BatchResults, Filter, Neighbor, RowSink, SaveOptions, SearchOptions,
};
use crate::parallel;
use crate::persist;
use crate::space::{Element, PreparedVec, Space, SpaceKind};
use crate::stop::{
    check_docs, check_range, map_queries, sort_hits, sort_neighbors, DocHit, DocOf, RangeResults,
};

/// Bytes of the file header: `maxelements`, `size_per_element`, `cur_element_count`.
const HEADER_LEN: usize = 24;
/// Bytes of the label that follows each vector in a file slot.
const LABEL_LEN: usize = 8;
/// Largest capacity: the label map stores slots as `u32`.
const MAX_CAPACITY: usize = u32::MAX as usize;
/// Bytes of slots a batch search scans for all queries of a group before moving on
/// (fits in L2 cache with room for the queries).
const SCAN_BLOCK_BYTES: usize = 128 * 1024;
/// Most queries a batch search scans together.
const MAX_GROUP: usize = 8;

/// An exact nearest-neighbour index: hnswlib's `BruteforceSearch` (Python `BFIndex`).
///
/// Every search scans all stored vectors, so results are exact: the `k` closest
/// elements, closest first, equal distances in ascending label order.
///
/// ```
/// use hnswlib_core::{BruteForceIndex, SearchOptions, Space};
///
/// let index = BruteForceIndex::new(Space::l2(2)?, 10)?;
/// index.add(&[0.0f32, 0.0], 1)?;
/// index.add(&[3.0f32, 4.0], 2)?;
/// let hits = index.search(&[2.5f32, 4.0], 2, &SearchOptions::default())?;
/// assert_eq!(hits[0].label, 2);
/// assert_eq!(hits[0].distance, 0.25); // squared L2
/// assert_eq!(hits[1].label, 1);
/// # Ok::<(), hnswlib_core::Error>(())
/// ```
pub struct BruteForceIndex {
    space: Space,
    /// `u32` words per slot: the space's data size rounded up to 4 bytes.
    stride: usize,
    storage: IndexLock<Storage>,
}

/// The mutable state, guarded by the index's lock.
///
/// Invariants: `data.len() == labels.len() * stride`; `slot_of` maps exactly the
/// labels in `labels` to their positions; `labels.len() <= max_elements <= MAX_CAPACITY`.
struct Storage {
    /// Slot `i` is `data[i * stride..(i + 1) * stride]`; the vector is its first
    /// `data_size` bytes, the padding bytes are zero.
    data: Vec<u32>,
    labels: Vec<u64>,
    slot_of: FxHashMap<u64, u32>,
    max_elements: usize,
}

impl Storage {
    fn empty(max_elements: usize) -> Self {
        Storage {
            data: Vec::new(),
            labels: Vec::new(),
            slot_of: FxHashMap::default(),
            max_elements,
        }
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    /// Makes room for `extra` more slots (the caller has checked the capacity),
    /// growing geometrically but never past `max_elements`.
    fn reserve(&mut self, extra: usize, stride: usize) -> Result<()> {
        let len = self.len();
        let needed = len.saturating_add(extra);
        if self.labels.capacity() >= needed && self.data.capacity() / stride >= needed {
            return Ok(());
        }
        let target = needed.max(len.saturating_mul(2).min(self.max_elements));
        let more = target - len;
        let oom = |what: &str| {
            Error::OutOfMemory(format!(
                "cannot grow the brute-force index to {target} elements ({what})"
            ))
        };
        self.data
            .try_reserve_exact(more.saturating_mul(stride))
            .map_err(|_| oom("vectors"))?;
        self.labels
            .try_reserve_exact(more)
            .map_err(|_| oom("labels"))?;
        self.slot_of
            .try_reserve(more)
            .map_err(|_| oom("label map"))?;
        Ok(())
    }

    /// The slot of `label`, appending a zeroed slot if the label is new. The caller
    /// has checked the capacity and reserved room.
    fn slot_for(&mut self, label: u64, stride: usize) -> usize {
        if let Some(&slot) = self.slot_of.get(&label) {
            return slot as usize;
        }
        let slot = self.len();
        self.data.resize(self.data.len() + stride, 0);
        self.labels.push(label);
        // `slot < max_elements <= MAX_CAPACITY = u32::MAX`, so it fits.
        self.slot_of.insert(label, slot as u32);
        slot
    }

    /// The whole slot (vector plus padding) as bytes.
    fn slot_bytes_mut(&mut self, slot: usize, stride: usize) -> &mut [u8] {
        bytemuck::cast_slice_mut(&mut self.data[slot * stride..(slot + 1) * stride])
    }

    /// For each of `queries` (prepared by `space`), the `k` closest elements
    /// accepted by `filter`, closest first.
    ///
    /// The slots are scanned in blocks of about [`SCAN_BLOCK_BYTES`], and every
    /// query visits a block before the next block is read, so a group of queries
    /// costs one pass over memory instead of one pass each.
    fn top_k(
        &self,
        space: &Space,
        stride: usize,
        queries: &[PreparedVec],
        k: usize,
        filter: Option<Filter<'_>>,
    ) -> Vec<Vec<Neighbor>> {
        for query in queries {
            // Guards the unsafe distance calls below; `Space::prepare` always makes
            // buffers of exactly the data size.
            assert_eq!(query.as_bytes().len(), space.data_size());
        }
        let accepts = |label: u64| filter.is_none_or(|f| f(label));
        let mut heaps: Vec<BinaryHeap<Candidate>> = queries
            .iter()
            .map(|_| BinaryHeap::with_capacity(k.min(self.len())))
            .collect();
        let block_slots = (SCAN_BLOCK_BYTES / (stride * 4)).max(1);
        let blocks = self
            .data
            .chunks(block_slots * stride)
            .zip(self.labels.chunks(block_slots));
        for (block, block_labels) in blocks {
            for (query, heap) in queries.iter().zip(&mut heaps) {
                let query_ptr = query.as_ptr();
                for (slot, &label) in block.chunks_exact(stride).zip(block_labels) {
                    // SAFETY: `slot` is `stride` u32 words, i.e. at least `data_size`
                    // bytes (stride = ceil(data_size / 4)), and 4-byte aligned because
                    // it is a `u32` slice. `query_ptr` points to the `data_size` bytes
                    // of `query` (asserted above), which `PreparedVec` keeps in `u32`
                    // words, so it is 4-byte aligned. Both are borrowed, hence valid
                    // and unchanged, during the call.
                    let distance = unsafe { space.distance_raw(slot.as_ptr().cast(), query_ptr) };
                    let candidate = Candidate { distance, label };
                    if heap.len() < k {
                        if accepts(label) {
                            heap.push(candidate);
                        }
                    } else if let Some(mut worst) = heap.peek_mut() {
                        // The filter is asked only about elements that would enter
                        // the results, which matters when it is a slow (e.g. Python)
                        // callable.
                        if candidate < *worst && accepts(label) {
                            *worst = candidate;
                        }
                    }
                }
            }
        }
        heaps
            .into_iter()
            .map(|heap| {
                heap.into_sorted_vec()
                    .into_iter()
                    .map(|c| Neighbor {
                        label: c.label,
                        distance: c.distance,
                    })
                    .collect()
            })
            .collect()
    }

    /// Calls `visit(label, distance)` for every element, in slot order.
    fn scan(
        &self,
        space: &Space,
        stride: usize,
        query: &PreparedVec,
        mut visit: impl FnMut(u64, f32),
    ) {
        // Guards the unsafe distance calls below.
        assert_eq!(query.as_bytes().len(), space.data_size());
        let query_ptr = query.as_ptr();
        for (slot, &label) in self.data.chunks_exact(stride).zip(&self.labels) {
            // SAFETY: as in `top_k`: `slot` holds at least data_size bytes, 4-byte
            // aligned, and the query data_size bytes in u32 words; both are borrowed.
            let distance = unsafe { space.distance_raw(slot.as_ptr().cast(), query_ptr) };
            visit(label, distance);
        }
    }

    /// Writes hnswlib's brute-force file format (see [`BruteForceIndex::save`]).
    fn write_to(&self, space: &Space, stride: usize, w: &mut dyn Write) -> io::Result<()> {
        let data_size = space.data_size();
        let per_element = data_size + LABEL_LEN;
        w.write_all(&(self.max_elements as u64).to_le_bytes())?;
        w.write_all(&(per_element as u64).to_le_bytes())?;
        w.write_all(&(self.len() as u64).to_le_bytes())?;
        for (slot, &label) in self.data.chunks_exact(stride).zip(&self.labels) {
            let bytes: &[u8] = bytemuck::cast_slice(slot);
            w.write_all(&bytes[..data_size])?;
            w.write_all(&label.to_le_bytes())?;
        }
        // The unused slots, zeroed. `max_elements * per_element` was checked not to
        // overflow when the capacity was set.
        let mut remaining = (self.max_elements - self.len()) * per_element;
        let zeros = [0u8; 8192];
        while remaining > 0 {
            let n = remaining.min(zeros.len());
            w.write_all(&zeros[..n])?;
            remaining -= n;
        }
        Ok(())
    }
}

/// A search result under construction, ordered by distance, then label. NaN
/// distances (possible only with custom distances) order after every number.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    distance: f32,
    label: u64,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_distance = match self.distance.partial_cmp(&other.distance) {
            Some(o) => o,
            // At least one is NaN: NaN is the largest, two NaNs are equal.
            None => self.distance.is_nan().cmp(&other.distance.is_nan()),
        };
        by_distance.then(self.label.cmp(&other.label))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// Checks that `max_elements` slots can be addressed and that a file of that
/// capacity has a size that fits in memory arithmetic. Returns the problem, if any.
fn capacity_problem(space: &Space, max_elements: usize) -> Option<String> {
    if max_elements > MAX_CAPACITY {
        return Some(format!(
            "max_elements {max_elements} is too large: a brute-force index holds at most {MAX_CAPACITY} elements"
        ));
    }
    let per_element = space.data_size() + LABEL_LEN;
    let fits = max_elements
        .checked_mul(per_element)
        .and_then(|b| b.checked_add(HEADER_LEN))
        .is_some_and(|b| u64::try_from(b).is_ok());
    if !fits {
        return Some(format!(
            "max_elements {max_elements} is too large for elements of {per_element} bytes"
        ));
    }
    None
}

/// The element type name vectors of a built-in space have.
fn le_u64(bytes: &[u8; HEADER_LEN], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

impl BruteForceIndex {
    /// An empty index for vectors of `space`, holding at most `max_elements`.
    ///
    /// Memory is taken as elements are added, not up front. `max_elements` may be
    /// 0 (grow it later with [`BruteForceIndex::resize`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `max_elements` exceeds `u32::MAX` or its file
    /// size would overflow.
    pub fn new(space: Space, max_elements: usize) -> Result<Self> {
        if let Some(problem) = capacity_problem(&space, max_elements) {
            return Err(Error::InvalidParameter(problem));
        }
        Ok(Self::with_storage(space, Storage::empty(max_elements)))
    }

    fn with_storage(space: Space, storage: Storage) -> Self {
        BruteForceIndex {
            stride: space.data_size().div_ceil(4),
            space,
            storage: IndexLock::new(storage),
        }
    }

    /// The index's space.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// Elements per vector (bytes for custom spaces).
    pub fn dim(&self) -> usize {
        self.space.dim()
    }

    /// Number of elements stored (hnswlib's `cur_element_count`).
    pub fn len(&self) -> usize {
        self.storage.read().len()
    }

    /// Whether the index holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity: adding beyond it fails until the index is resized.
    pub fn max_elements(&self) -> usize {
        self.storage.read().max_elements
    }

    /// Whether an element with this label is stored.
    pub fn contains(&self, label: u64) -> bool {
        self.storage.read().slot_of.contains_key(&label)
    }

    /// Adds `vector` under `label`. If the label is already present its vector is
    /// overwritten in place (as in hnswlib). Cosine vectors are stored normalised.
    ///
    /// # Errors
    /// [`Error::ElementType`], [`Error::DimensionMismatch`] or [`Error::NonFinite`]
    /// for a bad vector; [`Error::CapacityExceeded`] when the label is new and the
    /// index is full; [`Error::OutOfMemory`] if the storage cannot grow.
    pub fn add<T: Element>(&self, vector: &[T], label: u64) -> Result<()> {
        let prepared = self.space.prepare(vector, 0)?;
        let mut st = self.storage.write("add")?;
        if !st.slot_of.contains_key(&label) {
            if st.len() >= st.max_elements {
                return Err(Error::CapacityExceeded {
                    max_elements: st.max_elements,
                });
            }
            st.reserve(1, self.stride)?;
        }
        let slot = st.slot_for(label, self.stride);
        let data_size = self.space.data_size();
        st.slot_bytes_mut(slot, self.stride)[..data_size].copy_from_slice(prepared.as_bytes());
        Ok(())
    }

    /// Adds the rows of `data` (row-major, [`Space::dim`] elements per row) under
    /// `labels`, one label per row. Rows are applied in order, so a label repeated
    /// in the batch ends up with its last row, and labels already present are
    /// overwritten in place.
    ///
    /// The whole batch is checked first (element type, dimensions, finite values,
    /// label count and capacity); if anything is wrong the index is left unchanged.
    ///
    /// # Errors
    /// [`Error::EmptyInput`], [`Error::DimensionMismatch`], [`Error::ElementType`],
    /// [`Error::NonFinite`] (with the row), [`Error::LabelCountMismatch`],
    /// [`Error::CapacityExceeded`] if the new labels do not fit,
    /// [`Error::OutOfMemory`].
    pub fn add_batch<T: Element>(&self, data: &[T], labels: &[u64]) -> Result<()> {
        let rows = self.space.rows_of(data)?;
        if labels.len() != rows {
            return Err(Error::LabelCountMismatch {
                labels: labels.len(),
                rows,
            });
        }
        let per_row = data.len() / rows;
        for (row, v) in data.chunks_exact(per_row).enumerate() {
            self.space.check(v, row)?;
        }

        let mut st = self.storage.write("add_batch")?;
        let mut new_labels = FxHashSet::default();
        for &label in labels {
            if !st.slot_of.contains_key(&label) {
                new_labels.insert(label);
            }
        }
        if new_labels.len() > st.max_elements - st.len() {
            return Err(Error::CapacityExceeded {
                max_elements: st.max_elements,
            });
        }
        st.reserve(new_labels.len(), self.stride)?;
        let data_size = self.space.data_size();
        for (row, (v, &label)) in data.chunks_exact(per_row).zip(labels).enumerate() {
            let slot = st.slot_for(label, self.stride);
            let out = &mut st.slot_bytes_mut(slot, self.stride)[..data_size];
            // Cannot fail: the same checks passed for every row above.
            self.space.encode_into(v, row, out)?;
        }
        Ok(())
    }

    /// Removes the element with `label`. The last slot moves into the hole, so the
    /// storage stays dense (hnswlib's `removePoint`, without its map bugs).
    ///
    /// # Errors
    /// [`Error::LabelNotFound`] if no element has this label (hnswlib ignores it).
    pub fn remove(&self, label: u64) -> Result<()> {
        let mut st = self.storage.write("remove")?;
        let st = &mut *st;
        let slot = st
            .slot_of
            .remove(&label)
            .ok_or(Error::LabelNotFound(label))? as usize;
        // The map held `label`, so the index is not empty and `slot <= last`.
        let last = st.len() - 1;
        if slot != last {
            let stride = self.stride;
            st.data
                .copy_within(last * stride..(last + 1) * stride, slot * stride);
            let moved = st.labels[last];
            st.labels[slot] = moved;
            st.slot_of.insert(moved, slot as u32);
        }
        st.labels.truncate(last);
        st.data.truncate(last * self.stride);
        Ok(())
    }

    /// Changes the capacity. Shrinking releases memory held beyond the new capacity.
    ///
    /// # Errors
    /// [`Error::ResizeBelowCount`] if `new_max` is below [`BruteForceIndex::len`];
    /// [`Error::InvalidParameter`] if it exceeds `u32::MAX` or its file size would
    /// overflow.
    pub fn resize(&self, new_max: usize) -> Result<()> {
        let mut st = self.storage.write("resize")?;
        if new_max < st.len() {
            return Err(Error::ResizeBelowCount {
                requested: new_max,
                count: st.len(),
            });
        }
        if let Some(problem) = capacity_problem(&self.space, new_max) {
            return Err(Error::InvalidParameter(problem));
        }
        st.max_elements = new_max;
        if st.labels.capacity() > new_max {
            st.labels.shrink_to(new_max);
            st.data.shrink_to(new_max * self.stride);
            st.slot_of.shrink_to(new_max);
        }
        Ok(())
    }

    /// The `k` elements closest to `query`, closest first; equal distances come in
    /// ascending label order. Fewer than `k` are returned when fewer elements exist
    /// or pass `opts.filter`. Cosine queries are normalised. `opts.ef` is ignored.
    ///
    /// The filter is called only for elements close enough to enter the results, on
    /// the searching thread, while the index is locked for reading: it must not add
    /// to, remove from or resize this index (that would deadlock), and it should not
    /// read it either, since a waiting writer blocks new readers. A panic in the
    /// filter or in a custom distance propagates to the caller.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `k` is 0; [`Error::ElementType`],
    /// [`Error::DimensionMismatch`] or [`Error::NonFinite`] for a bad query.
    pub fn search<T: Element>(
        &self,
        query: &[T],
        k: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        check_k(k)?;
        let prepared = self.space.prepare(query, 0)?;
        let st = self.storage.read();
        let mut found = st.top_k(&self.space, self.stride, &[prepared], k, opts.filter);
        Ok(found.pop().unwrap_or_default())
    }

    /// Searches every row of `queries` (row-major, [`Space::dim`] elements per row)
    /// on `opts.num_threads` threads (0 or negative: all cores). Row `i` of the
    /// result holds what [`BruteForceIndex::search`] returns for query `i`; see
    /// [`BatchResults`] for the layout (unused entries are `u64::MAX` and
    /// `f32::INFINITY`). All queries are checked before any search starts.
    ///
    /// The read lock is held for the whole batch, which therefore sees one state of
    /// the index; the filter runs on the worker threads (see
    /// [`BruteForceIndex::search`] for what it may do). Queries are scanned in
    /// small groups, one pass over the stored vectors per group.
    ///
    /// # Errors
    /// As [`BruteForceIndex::search`], plus [`Error::EmptyInput`] for no queries,
    /// [`Error::DimensionMismatch`] if the length is not a multiple of the dimension,
    /// and [`Error::OutOfMemory`] if the `rows × k` result buffers cannot be allocated.
    pub fn search_batch<T: Element>(
        &self,
        queries: &[T],
        k: usize,
        opts: &SearchOptions,
    ) -> Result<BatchResults> {
        check_k(k)?;
        let rows = self.space.rows_of(queries)?;
        let per_row = queries.len() / rows;
        for (row, q) in queries.chunks_exact(per_row).enumerate() {
            self.space.check(q, row)?;
        }
        let mut res = BatchResults::new(rows, k)?;
        {
            let outputs = RowSink::new(
                &mut res.labels,
                &mut res.distances,
                &mut res.counts,
                rows,
                k,
            )?;
            // Queries are scanned in groups (one pass over memory per group), with
            // enough groups to keep every thread busy.
            let threads = parallel::resolve_threads(opts.num_threads);
            let group = (rows / (threads.saturating_mul(4) + 1)).clamp(1, MAX_GROUP);
            let groups = rows.div_ceil(group);
            let st = self.storage.read();
            let st = &*st;
            parallel::for_each_row(groups, opts.num_threads, None, |g| {
                let first = g * group;
                let last = (first + group).min(rows);
                let prepared = (first..last)
                    .map(|row| {
                        let query = queries
                            .get(row * per_row..(row + 1) * per_row)
                            .ok_or_else(|| Error::invalid("query row out of range"))?;
                        self.space.prepare(query, row)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let found = st.top_k(&self.space, self.stride, &prepared, k, opts.filter);
                for (row, found) in (first..last).zip(found) {
                    outputs.write(row, &found);
                }
                Ok(())
            })?;
        }
        Ok(res)
    }

    /// Every element within distance `epsilon` of `query` (squared for L2) that
    /// passes `opts.filter`, closest first (equal distances in label order), at most
    /// `max_results` of them: the exact answer to
    /// [`HnswIndex::search_range`](crate::HnswIndex::search_range). `opts.ef` is
    /// ignored.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a NaN `epsilon`, a negative one for l2, l2u8
    /// and cosine, or `max_results` 0; the errors of a bad query as
    /// [`BruteForceIndex::search`].
    pub fn search_range<T: Element>(
        &self,
        query: &[T],
        epsilon: f32,
        max_results: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<Neighbor>> {
        check_range(&self.space, epsilon, max_results)?;
        let q = self.space.prepare(query, 0)?;
        let st = self.storage.read();
        Ok(self.range_prepared(&st, &q, epsilon, max_results, opts.filter))
    }

    /// [`BruteForceIndex::search_range`] for every row of `queries` (row-major), on
    /// `opts.num_threads` threads, in FAISS's layout ([`RangeResults`]).
    pub fn search_range_batch<T: Element>(
        &self,
        queries: &[T],
        epsilon: f32,
        max_results: usize,
        opts: &SearchOptions,
    ) -> Result<RangeResults> {
        check_range(&self.space, epsilon, max_results)?;
        let st = self.storage.read();
        let found = map_queries(&self.space, queries, opts.num_threads, |q| {
            Ok(self.range_prepared(&st, q, epsilon, max_results, opts.filter))
        })?;
        RangeResults::from_rows(found)
    }

    fn range_prepared(
        &self,
        st: &Storage,
        q: &PreparedVec,
        epsilon: f32,
        max_results: usize,
        filter: Option<Filter<'_>>,
    ) -> Vec<Neighbor> {
        let mut out = Vec::new();
        st.scan(&self.space, self.stride, q, |label, distance| {
            if distance <= epsilon && filter.is_none_or(|f| f(label)) {
                out.push(Neighbor { label, distance });
            }
        });
        sort_neighbors(&mut out);
        out.truncate(max_results);
        out
    }

    /// The `k_docs` best documents for `query`, exactly: `doc_of` gives each label's
    /// document (`None`: none, never returned), and a document is scored by its
    /// closest vector that passes `opts.filter`. Each document comes as that vector,
    /// closest first (equal distances in label order). `opts.ef` is ignored.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `k_docs` is 0; the errors of a bad query as
    /// [`BruteForceIndex::search`].
    pub fn search_docs<T: Element>(
        &self,
        query: &[T],
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<DocHit>> {
        check_docs(k_docs)?;
        let q = self.space.prepare(query, 0)?;
        let st = self.storage.read();
        Ok(self.docs_prepared(&st, &q, k_docs, doc_of, opts.filter))
    }

    /// [`BruteForceIndex::search_docs`] for every row of `queries` (row-major), on
    /// `opts.num_threads` threads.
    pub fn search_docs_batch<T: Element>(
        &self,
        queries: &[T],
        k_docs: usize,
        doc_of: DocOf<'_>,
        opts: &SearchOptions,
    ) -> Result<Vec<Vec<DocHit>>> {
        check_docs(k_docs)?;
        let st = self.storage.read();
        map_queries(&self.space, queries, opts.num_threads, |q| {
            Ok(self.docs_prepared(&st, q, k_docs, doc_of, opts.filter))
        })
    }

    fn docs_prepared(
        &self,
        st: &Storage,
        q: &PreparedVec,
        k_docs: usize,
        doc_of: DocOf<'_>,
        filter: Option<Filter<'_>>,
    ) -> Vec<DocHit> {
        let mut best: FxHashMap<u64, Candidate> = FxHashMap::default();
        st.scan(&self.space, self.stride, q, |label, distance| {
            let Some(doc) = doc_of(label) else { return };
            let c = Candidate { distance, label };
            let closer = best.get(&doc).is_none_or(|b| c < *b);
            if closer && filter.is_none_or(|f| f(label)) {
                best.insert(doc, c);
            }
        });
        let mut hits: Vec<DocHit> = best
            .into_iter()
            .map(|(doc, c)| DocHit {
                doc,
                label: c.label,
                distance: c.distance,
            })
            .collect();
        sort_hits(&mut hits);
        hits.truncate(k_docs);
        hits
    }

    /// The stored vector of `label` (normalised for cosine spaces).
    ///
    /// `T` must be the space's element type (`f32` for l2/ip/cosine, `u8` for l2u8);
    /// for custom spaces any element type whose size divides the data size works and
    /// returns the raw bytes reinterpreted.
    ///
    /// # Errors
    /// [`Error::ElementType`] for a wrong `T`; [`Error::LabelNotFound`].
    pub fn get_item<T: Element>(&self, label: u64) -> Result<Vec<T>> {
        let mut out = self.space.element_buffer::<T>()?;
        let data_size = self.space.data_size();
        let st = self.storage.read();
        let slot = *st.slot_of.get(&label).ok_or(Error::LabelNotFound(label))? as usize;
        let bytes: &[u8] =
            bytemuck::cast_slice(&st.data[slot * self.stride..(slot + 1) * self.stride]);
        bytemuck::cast_slice_mut::<T, u8>(&mut out).copy_from_slice(&bytes[..data_size]);
        Ok(out)
    }

    /// The stored vectors of `labels`, concatenated (as [`HnswIndex::get_items`]).
    ///
    /// [`HnswIndex::get_items`]: crate::HnswIndex::get_items
    ///
    /// # Errors
    /// As [`BruteForceIndex::get_item`], for the first label that fails.
    pub fn get_items<T: Element>(&self, labels: &[u64]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for &l in labels {
            out.extend(self.get_item::<T>(l)?);
        }
        Ok(out)
    }

    /// The labels of all stored elements, in ascending order.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids = self.storage.read().labels.clone();
        ids.sort_unstable();
        ids
    }

    /// Saves the index to `path` in hnswlib's brute-force format, which hnswlib's
    /// `BruteforceSearch::loadIndex` / `BFIndex.load_index` read:
    ///
    /// | bytes | content |
    /// |---|---|
    /// | 8 | `maxelements` (the capacity), u64 little-endian |
    /// | 8 | `size_per_element` = data size + 8 |
    /// | 8 | `cur_element_count` |
    /// | `maxelements × size_per_element` | slots: `[vector][label u64]`; the first `cur_element_count` hold the elements, the rest are zero |
    ///
    /// Vectors are written in their stored form (cosine normalised) in the machine's
    /// byte order, as hnswlib does (little-endian on every supported platform). The
    /// file is written to a temporary file, synced and renamed into place, so a crash
    /// never leaves a half-written index.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, &SaveOptions::default())
    }

    /// [`BruteForceIndex::save`] with options: `SaveOptions { sync: false }` returns
    /// once the bytes are in the page cache, as hnswlib's `saveIndex` does (still
    /// atomic).
    pub fn save_with(&self, path: impl AsRef<Path>, opts: &SaveOptions) -> Result<()> {
        if opts.format != crate::options::FileFormat::Hnswlib {
            return Err(Error::NotSupported(format!(
                "brute-force indexes are saved in hnswlib's format only, not {}",
                opts.format.name()
            )));
        }
        let st = self.storage.read();
        persist::write_atomically(path.as_ref(), opts, |w| {
            st.write_to(&self.space, self.stride, w)
        })
    }

    /// The bytes [`BruteForceIndex::save`] writes. Like hnswlib's format they cover
    /// the whole capacity, so an index with a large `max_elements` makes a large
    /// buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let st = self.storage.read();
        // Checked not to overflow when the capacity was set.
        let size = HEADER_LEN + st.max_elements * (self.space.data_size() + LABEL_LEN);
        let mut out = Vec::with_capacity(size);
        // Writing into a Vec cannot fail.
        let _ = st.write_to(&self.space, self.stride, &mut out);
        out
    }

    /// Loads an index saved by [`BruteForceIndex::save`] or by hnswlib's
    /// `BruteforceSearch::saveIndex` / `BFIndex.save_index`. See
    /// [`BruteForceIndex::from_bytes`] for the checks and for `max_elements`.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read (a missing file is an error, not an
    /// empty index as in hnswlib), and everything [`BruteForceIndex::from_bytes`]
    /// reports.
    pub fn load(path: impl AsRef<Path>, space: Space, max_elements: usize) -> Result<Self> {
        let bytes = persist::read_file(path.as_ref())?;
        Self::from_bytes(&bytes, space, max_elements)
    }

    /// Reads an index from the bytes of a brute-force index file (format in
    /// [`BruteForceIndex::save`]). Besides files of the full capacity (what hnswlib
    /// and [`BruteForceIndex::save`] write) it accepts compact files holding only
    /// the `cur_element_count` used slots.
    ///
    /// `max_elements` sets the capacity: 0 keeps the file's, a value at least the
    /// element count replaces it.
    ///
    /// # Errors
    /// * [`Error::Corrupt`]: shorter than the header, a length that matches neither
    ///   layout, `cur_element_count > maxelements`, a capacity out of range, a label
    ///   stored twice, or NaN/infinity in an f32 vector.
    /// * [`Error::Incompatible`]: the file's element size differs from the space's
    ///   (e.g. a different dim).
    /// * [`Error::InvalidParameter`]: `max_elements` is non-zero but below the
    ///   element count, or too large.
    /// * [`Error::OutOfMemory`].
    pub fn from_bytes(bytes: &[u8], space: Space, max_elements: usize) -> Result<Self> {
        let header: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "the file has {} bytes, fewer than the {HEADER_LEN}-byte header of a brute-force index",
                    bytes.len()
                ))
            })?;
        let file_max = le_u64(header, 0);
        let per_element = le_u64(header, 8);
        let count = le_u64(header, 16);

        let data_size = space.data_size();
        let expected_per_element = data_size as u64 + LABEL_LEN as u64;
        if per_element <= LABEL_LEN as u64 {
            return Err(Error::corrupt(format!(
                "size_per_element is {per_element}, too small for a vector and an 8-byte label"
            )));
        }
        if per_element != expected_per_element {
            return Err(Error::Incompatible(incompatible_message(
                &space,
                per_element,
            )));
        }
        if count > file_max {
            return Err(Error::corrupt(format!(
                "cur_element_count {count} exceeds maxelements {file_max}"
            )));
        }
        let actual = bytes.len() as u64;
        let full = file_max
            .checked_mul(per_element)
            .and_then(|b| b.checked_add(HEADER_LEN as u64));
        // count <= file_max, but file_max may be absurd; compute independently.
        let compact = count
            .checked_mul(per_element)
            .and_then(|b| b.checked_add(HEADER_LEN as u64));
        if full != Some(actual) && compact != Some(actual) {
            let full = match full {
                Some(n) => n.to_string(),
                None => "an overflowing number of".to_string(),
            };
            let compact = match compact {
                Some(n) => n.to_string(),
                None => "an overflowing number of".to_string(),
            };
            return Err(Error::corrupt(format!(
                "the header (maxelements {file_max}, size_per_element {per_element}, \
                 cur_element_count {count}) needs {full} bytes ({compact} for a compact file), \
                 but the file has {actual}; it is truncated or damaged"
            )));
        }
        // The count's slots lie inside `bytes`, so it fits in usize.
        let count = usize::try_from(count)
            .map_err(|_| Error::corrupt(format!("cur_element_count {count} is too large")))?;

        // The file's capacity must be one an index can have, even when the caller
        // replaces it: a header that no index could have written is corrupt.
        let file_max = usize::try_from(file_max)
            .ok()
            .filter(|&m| capacity_problem(&space, m).is_none())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "maxelements {file_max} in the header is out of range (at most {MAX_CAPACITY})"
                ))
            })?;
        let capacity = if max_elements == 0 {
            file_max
        } else {
            if max_elements < count {
                return Err(Error::invalid(format!(
                    "max_elements {max_elements} is below the {count} elements in the file; \
                     pass 0 to keep the file's capacity or a value of at least {count}"
                )));
            }
            if let Some(problem) = capacity_problem(&space, max_elements) {
                return Err(Error::InvalidParameter(problem));
            }
            max_elements
        };

        // Only now, with the count bounded by the file length, allocate.
        let stride = data_size.div_ceil(4);
        let mut st = Storage::empty(capacity);
        st.reserve(count, stride)?;
        let check_finite = space.element_name() == Some(f32::NAME);
        let slots = bytes[HEADER_LEN..].chunks_exact(data_size + LABEL_LEN);
        for (slot, record) in slots.take(count).enumerate() {
            let (vector, label_bytes) = record.split_at(data_size);
            let mut word = [0u8; LABEL_LEN];
            word.copy_from_slice(label_bytes);
            let label = u64::from_le_bytes(word);
            if check_finite
                && vector
                    .chunks_exact(4)
                    .any(|c| !f32::from_ne_bytes([c[0], c[1], c[2], c[3]]).is_finite())
            {
                return Err(Error::corrupt(format!(
                    "element {slot} (label {label}) holds NaN or infinity"
                )));
            }
            if let Some(previous) = st.slot_of.get(&label) {
                return Err(Error::corrupt(format!(
                    "label {label} is stored twice (slots {previous} and {slot})"
                )));
            }
            let s = st.slot_for(label, stride);
            st.slot_bytes_mut(s, stride)[..data_size].copy_from_slice(vector);
        }
        Ok(Self::with_storage(space, st))
    }
}

/// Explains a file whose element size differs from the space's.
fn incompatible_message(space: &Space, per_element: u64) -> String {
    let file_data = per_element - LABEL_LEN as u64;
    let kind = space.kind().name();
    let file_desc = match space.kind() {
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine
            if file_data.is_multiple_of(4) =>
        {
            format!(" (dim {} of f32)", file_data / 4)
        }
        SpaceKind::L2U8 => format!(" (dim {file_data} of u8)"),
        _ => String::new(),
    };
    format!(
        "the file stores elements of {per_element} bytes ({file_data} bytes of vector{file_desc} \
         + 8-byte label), but the {kind} space of dim {} needs {} bytes ({} + 8); \
         load it with the space it was saved with",
        space.dim(),
        space.data_size() + LABEL_LEN,
        space.data_size()
    )
}

impl fmt::Debug for BruteForceIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.storage.read();
        f.debug_struct("BruteForceIndex")
            .field("space", &self.space)
            .field("len", &st.len())
            .field("max_elements", &st.max_elements)
            .finish()
    }
}
