//! The HNSW index: hnswlib's `HierarchicalNSW`, safe to search while other threads
//! add, update and delete.
//!
//! * `graph`: memory layout (hnswlib's level-0 arena and upper-level lists) with
//!   atomic links so searches need no locks.
//! * `heap`: hnswlib's priority queue, with libstdc++'s tie behaviour.
//! * `search`: greedy descent and layer searches with hnswlib's stop rules.
//! * `insert`: insertion, the neighbour heuristic, updates and repairs.
//! * `format`: hnswlib's binary file format, both ways.
//! * `scorer`: distances from a query, one type per representation and instruction
//!   set, so searches run with their kernels inlined.
//! * `pool`: the query-time candidate pool.
//! * `stop`: range and document searches (hnswlib's stop conditions), and searches
//!   under a caller's stop condition.
//! * `ids`: internal ids (hnswlib's `tableint`), read-only.
//!
//! Quantized indexes ([`Quantization`]) traverse codes and re-rank the best
//! candidates with the exact vectors. They learn the code ranges once they hold
//! [`TRAIN_MIN`] elements (from the elements present and the batch being added);
//! until then they store and search exact vectors only.
//!
//! Concurrency: every method takes `&self`. Adds, updates, deletes and searches run
//! at the same time from any number of threads; operations on the same label are
//! serialised by a striped label lock; `resize` and `save` take the index
//! exclusively for their duration: they wait only for the operations already
//! running, and fail with [`Error::Reentered`] when called from a callback of an
//! operation on the same index (the crate's `lock` module).

mod format;
mod graph;
mod heap;
mod ids;
mod insert;
mod integrity;
mod labels;
mod native;
mod pool;
mod scorer;
mod search;
mod source;
mod stop;

use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use self::graph::{SlotLayout, Storage};
pub use self::integrity::IntegrityReport;
use self::labels::{AddSlot, Slots};
pub(crate) use self::native::is_native;
use self::scorer::{ScorerTask, Traverse};
use self::search::{Knn, SearchStats};
use crate::error::{Error, Result};
use crate::kernels::{self, Isa, IsaTask, Kernels};
use crate::lock::{IndexLock, ReadGuard};
use crate::options::{
    check_k, check_rerank, AddOptions, BatchResults, FileFormat, Neighbor, RowSink, SaveOptions,
    SearchOptions,
};
use crate::parallel::for_each_row;
use crate::quant::{Quantization, QueryCodes, ScalarQuantizer, TRAIN_SAMPLE};
use crate::rng::LevelRng;
use crate::space::{Element, Family, PreparedVec, Space};
use crate::visited::ScratchPool;

/// hnswlib's upper bound on M (a guard against absurd allocations, CVE-2023-37365).
pub const MAX_M: usize = 10_000;

/// hnswlib's default query-time ef.
pub const DEFAULT_EF: usize = 10;

const LABEL_LOCK_STRIPES: usize = 4096;

/// Elements a quantized index holds before it learns its code ranges (it searches
/// exactly until then).
pub const TRAIN_MIN: usize = 1000;

/// Trimmed fraction of each dimension's values on either side when learning 4-bit
/// code ranges (8-bit codes take the whole range).
const SQ4_TRIM: f64 = 0.001;

/// One row of a training sample: an element's stored vector, or a batch row prepared
/// for the sample only.
enum SampleRow<'a> {
    Stored(&'a [u8]),
    Fresh(PreparedVec),
}

impl AsRef<[f32]> for SampleRow<'_> {
    fn as_ref(&self) -> &[f32] {
        bytemuck::cast_slice(match self {
            SampleRow::Stored(b) => b,
            SampleRow::Fresh(v) => v.as_bytes(),
        })
    }
}

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
    /// What searches traverse: the vectors (default) or 8-/4-bit codes of them.
    pub quantization: Quantization,
    /// With quantization: keep the exact vectors beside the codes (default), so that
    /// searches re-rank with exact distances and the index saves in hnswlib's
    /// format. `false` keeps the codes only: less memory, approximate distances.
    pub keep_vectors: bool,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            max_elements: 0,
            m: 16,
            ef_construction: 200,
            random_seed: 100,
            allow_replace_deleted: false,
            quantization: Quantization::None,
            keep_vectors: true,
        }
    }
}

/// Options of [`HnswIndex::load`] and [`HnswIndex::from_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// New capacity; used when at least the element count, otherwise (e.g. 0) the
    /// file's capacity is kept, as in hnswlib. A capacity given here is allocated at
    /// once; the file's is a limit only (a file may declare any value): memory is
    /// allocated for the elements present and grows as elements are added, and a
    /// save writes the file's capacity back.
    pub max_elements: usize,
    /// Whether inserts may reuse the slots of deleted elements.
    pub allow_replace_deleted: bool,
    /// Seed of the level generator for elements added after loading (the file does
    /// not store it). Default 100.
    pub random_seed: u64,
    /// What searches traverse (see [`HnswParams::quantization`]); codes are made
    /// from the file's vectors.
    pub quantization: Quantization,
    /// See [`HnswParams::keep_vectors`].
    pub keep_vectors: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_elements: 0,
            allow_replace_deleted: false,
            random_seed: 100,
            quantization: Quantization::None,
            keep_vectors: true,
        }
    }
}

/// Options of [`HnswIndex::open_view`] and [`HnswIndex::view`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewOptions {
    /// Check what a load checks: the checksums of the level-0 and exact-vector
    /// sections, every link and every vector. That reads the whole file. Without it
    /// (the default) opening reads the header, labels, levels and upper levels only
    /// (all checksummed and checked); searches are memory-safe whatever the level-0
    /// bytes hold, but a damaged level 0 gives wrong results, which
    /// [`HnswIndex::check_integrity`] finds.
    pub verify: bool,
    /// Read the file into the page cache while opening (`MAP_POPULATE`), so the
    /// first searches do not wait for the disk.
    pub populate: bool,
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
    /// Labels, deleted and free slots.
    pub(crate) slots: Slots,
    pub(crate) rng: Mutex<LevelRng>,
    pub(crate) scratch: ScratchPool,
    /// The requested storage mode.
    pub(crate) quantization: Quantization,
    /// The learnt code ranges (quantized indexes once they hold TRAIN_MIN elements).
    pub(crate) quantizer: Option<ScalarQuantizer>,
    pub(crate) keep_vectors: bool,
    /// The kernel table the searches are compiled for.
    kernels: &'static Kernels,
}

const EMPTY_ENTRY: u64 = u64::MAX;

/// Fewest slots a growing storage allocates.
const MIN_GROWTH: usize = 64;

/// How an insert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Added {
    Done,
    /// All allocated slots are taken (by concurrent adds): grow, then add again.
    NeedsRoom,
}

/// The settings of a graph that are not its contents.
pub(crate) struct GraphConfig {
    pub m: usize,
    pub ef_construction: usize,
    pub mult: f64,
    pub random_seed: u64,
    pub allow_replace_deleted: bool,
    pub quantization: Quantization,
    pub keep_vectors: bool,
}

impl Graph {
    /// A graph that may hold `max_elements` elements, with slots allocated for
    /// `capacity` of them (see [`Storage::max_elements`]).
    fn new(space: Space, c: GraphConfig, max_elements: usize, capacity: usize) -> Result<Self> {
        let (layout, exact) = Self::layout(&space, &c)?;
        let storage = Storage::new(layout, c.m, exact, capacity, max_elements)?;
        Self::with_storage(space, c, storage)
    }

    /// The level-0 slot layout of a graph of `space` and `c`, and the bytes of its
    /// exact vectors beside quantized payloads (0 when the payload is the vector).
    fn layout(space: &Space, c: &GraphConfig) -> Result<(SlotLayout, usize)> {
        let family = space.family().0;
        let quantized = c.quantization.is_quantized();
        if quantized && !matches!(family, Family::L2 | Family::Dot) {
            return Err(Error::invalid(format!(
                "quantization {} needs an f32 space (l2, ip or cosine), not {}",
                c.quantization.name(),
                space.kind().name()
            )));
        }
        let payload = if quantized {
            ScalarQuantizer::payload_size(c.quantization, space.dim(), family == Family::L2)
        } else {
            space.data_size()
        };
        let exact = if quantized { space.data_size() } else { 0 };
        Ok((SlotLayout::new(2 * c.m, payload), exact))
    }

    /// A graph over `storage` (made for [`Graph::layout`] of the same space and `c`).
    fn with_storage(space: Space, c: GraphConfig, storage: Storage) -> Result<Self> {
        let table = space.family().1;
        let capacity = storage.capacity;
        Ok(Graph {
            m: c.m,
            ef_construction: c.ef_construction,
            mult: c.mult,
            random_seed: c.random_seed,
            storage,
            entry: AtomicU64::new(EMPTY_ENTRY),
            global: Mutex::new(()),
            slots: Slots::new(c.allow_replace_deleted),
            rng: Mutex::new(LevelRng::new(c.random_seed)),
            scratch: ScratchPool::new(capacity)?,
            quantization: c.quantization,
            quantizer: None,
            keep_vectors: c.keep_vectors,
            kernels: table.unwrap_or_else(kernels::scalar),
            space,
        })
    }

    /// Allocates slots for at least `needed` elements (at most `max_elements`),
    /// doubling the allocation so that adding one element at a time copies each
    /// element a bounded number of times.
    pub(crate) fn grow_to(&mut self, needed: usize) -> Result<()> {
        let s = &self.storage;
        let needed = needed.min(s.max_elements);
        if needed <= s.capacity {
            return Ok(());
        }
        let doubled = s
            .capacity
            .saturating_mul(2)
            .max(MIN_GROWTH)
            .min(s.max_elements)
            .min(u32::MAX as usize);
        self.resize_storage(needed.max(doubled), s.max_elements)
    }

    /// Moves the elements into storage of `capacity` slots that may grow up to
    /// `max_elements`.
    fn resize_storage(&mut self, capacity: usize, max_elements: usize) -> Result<()> {
        let storage = Storage::grown_from(&mut self.storage, capacity, max_elements)?;
        // Make the new pool first: on failure the graph is left as it was.
        let scratch = ScratchPool::new(capacity)?;
        self.storage = storage;
        self.scratch = scratch;
        Ok(())
    }

    /// Writes element `id`'s vector `v` (prepared by the space): the payload, and for
    /// quantized indexes the exact row and, once trained, the code.
    pub(crate) fn write_vectors(&self, id: u32, v: &PreparedVec) {
        let data = v.as_bytes();
        // Whoever borrows a row's bytes (get_item, save, training) holds the element's
        // label lock, the label map or the whole index, and writers hold the first
        // (adds and updates) or the last (training, loading): no borrow is alive here.
        if !self.quantization.is_quantized() {
            // SAFETY: data has data_size bytes, the payload size of unquantized slots;
            // no borrow of the row is alive (above).
            unsafe { self.storage.write_row(id, false, data) };
            return;
        }
        if self.storage.has_exact_arena() {
            // SAFETY: the exact rows hold data_size bytes; no borrow (above).
            unsafe { self.storage.write_row(id, true, data) };
        }
        if let Some(q) = &self.quantizer {
            let mut code = vec![0u8; self.storage.layout.payload_size];
            q.encode(bytemuck::cast_slice(data), &mut code);
            // SAFETY: code has exactly the payload size; no borrow (above).
            unsafe { self.storage.write_row(id, false, &code) };
        }
    }

    /// The query's weights for a code traversal, when the index traverses codes.
    pub(crate) fn query_codes(&self, q: &PreparedVec) -> Option<QueryCodes> {
        let quant = self.quantizer.as_ref()?;
        Some(quant.prepare(
            bytemuck::cast_slice(q.as_bytes()),
            self.space.family().0 == Family::L2,
        ))
    }

    /// Runs `task` with the scorers of query `q`, compiled for this graph's
    /// instruction set.
    #[inline]
    pub(crate) fn with_scorers<T: ScorerTask>(
        &self,
        q: &PreparedVec,
        traverse: Traverse<'_>,
        task: T,
    ) -> T::Out {
        struct Run<'a, T> {
            g: &'a Graph,
            q: &'a PreparedVec,
            traverse: Traverse<'a>,
            task: T,
        }
        impl<T: ScorerTask> IsaTask for Run<'_, T> {
            type Out = T::Out;
            #[inline(always)]
            fn run<I: Isa>(self) -> T::Out {
                scorer::visit::<I, T>(self.g, self.q, self.traverse, self.task)
            }
        }
        kernels::dispatch(
            self.kernels,
            Run {
                g: self,
                q,
                traverse,
                task,
            },
        )
    }

    /// Runs construction work `task` for vector `v`: scored exactly while the exact
    /// vectors exist (so a quantized index links the same graph as an unquantized
    /// one), on codes in a codes-only index.
    pub(crate) fn build_with<T: ScorerTask>(&self, v: &PreparedVec, task: T) -> T::Out {
        if self
            .storage
            .exact_rows(self.quantization.is_quantized())
            .is_some()
        {
            return self.with_scorers(v, Traverse::Exact, task);
        }
        let codes = self
            .query_codes(v)
            .expect("a codes-only index has a quantizer");
        self.with_scorers(v, Traverse::Codes(&codes), task)
    }

    /// Whether the next `rows` additions make a quantized index learn its codes.
    fn needs_training(&self, rows: usize) -> bool {
        self.quantization.is_quantized()
            && self.quantizer.is_none()
            && self.storage.len().saturating_add(rows) >= TRAIN_MIN
    }

    /// Learns the code ranges from a sample of the elements present and of the
    /// `extra_rows` rows of a batch about to be added (`extra(i)` prepares row i; only
    /// the sampled ones are prepared, one at a time), and writes the codes of every
    /// element; a codes-only index then drops its exact vectors.
    fn train(
        &mut self,
        extra_rows: usize,
        extra: &dyn Fn(usize) -> Result<PreparedVec>,
    ) -> Result<()> {
        let rows = self
            .storage
            .exact_rows(true)
            .expect("an untrained quantized index keeps its exact vectors");
        let n = self.storage.len();
        let total = n + extra_rows;
        let take = total.min(TRAIN_SAMPLE);
        let mut failure = None;
        let sample = (0..take).map_while(|i| {
            let r = (i as u64 * total as u64 / take as u64) as usize;
            if r < n {
                // SAFETY: r < len <= capacity, and `&mut self` keeps the storage alive
                // and unchanged while the sample is read.
                Some(SampleRow::Stored(unsafe { rows.slice(r as u32) }))
            } else {
                extra(r - n)
                    .map_err(|e| failure = Some(e))
                    .ok()
                    .map(SampleRow::Fresh)
            }
        });
        let trim = if self.quantization == Quantization::Sq4 {
            SQ4_TRIM
        } else {
            0.0
        };
        let l2 = self.space.family().0 == Family::L2;
        let quant =
            ScalarQuantizer::train(self.quantization, self.space.dim(), l2, trim, take, sample);
        if let Some(e) = failure {
            return Err(e);
        }
        let storage = &self.storage;
        let size = storage.layout.payload_size;
        // On the batch pools, not rayon's global one: a caller inside a rayon worker
        // must not run other jobs (which may wait for this index) while it holds it.
        const CHUNK: usize = 1024;
        for_each_row(n.div_ceil(CHUNK), 0, None, |c| {
            let mut code = vec![0u8; size];
            for id in (c * CHUNK..n.min((c + 1) * CHUNK)).map(|i| i as u32) {
                // SAFETY: as above.
                let v = unsafe { rows.slice(id) };
                quant.encode(bytemuck::cast_slice(v), &mut code);
                // SAFETY: code has exactly the payload size; each id's payload is
                // written by one task only, and nothing reads it meanwhile (`&mut self`).
                unsafe { storage.write_row(id, false, &code) };
            }
            Ok(())
        })?;
        self.quantizer = Some(quant);
        if !self.keep_vectors {
            self.storage.drop_exact_arena()?;
        }
        Ok(())
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
}

/// An HNSW index (hnswlib's `HierarchicalNSW`). `Send + Sync`: share it with `Arc`.
pub struct HnswIndex {
    graph: IndexLock<Graph>,
    label_locks: Box<[Mutex<()>]>,
    ef: AtomicUsize,
    /// Re-ranking depth of quantized searches (f32 bits).
    rerank: AtomicU32,
    auto_label: AtomicU64,
    /// Search work counters, on their own cache line: every search adds to them,
    /// and sharing a line with the read-mostly fields above would make every
    /// thread's reads of those miss.
    metrics: CachePadded<[AtomicU64; 2]>,
}

/// Aligns its content to a cache line of its own.
#[repr(align(128))]
struct CachePadded<T>(T);

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = self.read();
        f.debug_struct("HnswIndex")
            .field("space", &g.space)
            .field("len", &g.storage.len())
            .field("max_elements", &g.storage.max_elements)
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
        let graph = Graph::new(
            space,
            GraphConfig {
                m: params.m,
                ef_construction: params.ef_construction,
                mult: 1.0 / (params.m as f64).ln(),
                random_seed: params.random_seed,
                allow_replace_deleted: params.allow_replace_deleted,
                quantization: params.quantization,
                keep_vectors: params.keep_vectors,
            },
            // A capacity asked for is allocated, as hnswlib does.
            params.max_elements,
            params.max_elements,
        )?;
        Ok(Self::from_graph(graph, 0))
    }

    fn from_graph(graph: Graph, next_auto_label: u64) -> Self {
        let rerank = graph.quantization.default_rerank();
        HnswIndex {
            graph: IndexLock::new(graph),
            label_locks: (0..LABEL_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            ef: AtomicUsize::new(DEFAULT_EF),
            rerank: AtomicU32::new(rerank.to_bits()),
            auto_label: AtomicU64::new(next_auto_label),
            metrics: CachePadded([AtomicU64::new(0), AtomicU64::new(0)]),
        }
    }

    /// Learns the codes of a quantized index before `rows` (prepared on demand by
    /// `row`) are added, when they bring it to TRAIN_MIN elements. Takes the index
    /// exclusively for that moment; returns a fresh read guard.
    fn train_if_due<'a>(
        &'a self,
        g: ReadGuard<'a, Graph>,
        rows: usize,
        row: &dyn Fn(usize) -> Result<PreparedVec>,
    ) -> Result<ReadGuard<'a, Graph>> {
        if !g.needs_training(rows) {
            return Ok(g);
        }
        drop(g);
        {
            let mut w = self.graph.write("training a quantized index")?;
            if w.needs_training(rows) {
                w.train(rows, row)?;
            }
        }
        Ok(self.read())
    }

    /// Slots for at least `needed` elements (capped at max_elements): takes the index
    /// exclusively to grow when they are missing; returns a fresh read guard.
    fn with_room<'a>(
        &'a self,
        g: ReadGuard<'a, Graph>,
        needed: usize,
    ) -> Result<ReadGuard<'a, Graph>> {
        if needed.min(g.storage.max_elements) <= g.storage.capacity {
            return Ok(g);
        }
        drop(g);
        self.graph
            .write("an add that needs more slots")?
            .grow_to(needed)?;
        Ok(self.read())
    }

    /// An error unless the index may change (a view of a file may not).
    fn check_writable(g: &Graph, what: &str) -> Result<()> {
        if g.storage.is_view() {
            return Err(Error::NotSupported(format!(
                "{what}: the index is a read-only view of a file; load the file to change it"
            )));
        }
        Ok(())
    }

    /// Shared access (a filter or progress callback may call back in).
    fn read(&self) -> ReadGuard<'_, Graph> {
        self.graph.read()
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
        Self::check_writable(&g, "add")?;
        if replace_deleted && !g.slots.allow_replace() {
            return Err(Error::ReplaceDeletedDisabled);
        }
        let v = g.space.prepare(vector, 0)?;
        let mut g = self.train_if_due(g, 1, &|_| Ok(v.clone()))?;
        while self.add_prepared(&g, &v, label, replace_deleted)? == Added::NeedsRoom {
            let needed = g.storage.len() + 1;
            g = self.with_room(g, needed)?;
        }
        Ok(())
    }

    fn add_prepared(&self, g: &Graph, v: &PreparedVec, label: u64, replace: bool) -> Result<Added> {
        let _label_guard = self.label_lock(label);
        match g.slots.slot_for_add(label, &g.storage, replace)? {
            AddSlot::Update(id) => g.update_element(id, v),
            // The slot stays marked deleted until its new vector is linked, so no
            // search returns the label with the old vector.
            AddSlot::Revive(id) | AddSlot::Replace(id) => {
                g.update_element(id, v);
                g.slots.revive(id, &g.storage);
            }
            AddSlot::New(id) => g.insert_new(id, label, v)?,
            AddSlot::NoRoom => return Ok(Added::NeedsRoom),
        }
        Ok(Added::Done)
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
        Self::check_writable(&g, "add")?;
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
        if opts.replace_deleted && !g.slots.allow_replace() {
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
        let space = g.space.clone();
        let g = self.train_if_due(g, rows, &|r| {
            space.prepare(&data[r * per_row..(r + 1) * per_row], r)
        })?;
        // Slots for the whole batch before it starts (growing takes the index
        // exclusively, which the batch's threads cannot do while they share it).
        let needed = g.storage.len().saturating_add(rows);
        let mut g = self.with_room(g, needed)?;
        {
            // Grow the map once for the batch, not step by step (each step holds the
            // old and the new table at once).
            let room = g.storage.max_elements - g.storage.len();
            g.slots.reserve(rows.min(room), &g.storage);
        }
        let first_auto = self.auto_label.fetch_add(rows as u64, Ordering::AcqRel);
        let label_of = |r: usize| labels.map_or(first_auto.wrapping_add(r as u64), |l| l[r]);
        let add_rows = |g: &Graph, rows: &mut dyn Iterator<Item = usize>, progress| {
            let rows: Vec<usize> = rows.collect();
            let no_room = Mutex::new(Vec::new());
            for_each_row(rows.len(), opts.num_threads, progress, |i| {
                let r = rows[i];
                let v = g.space.prepare(&data[r * per_row..(r + 1) * per_row], r)?;
                if self.add_prepared(g, &v, label_of(r), opts.replace_deleted)? == Added::NeedsRoom
                {
                    no_room.lock().push(r);
                }
                Ok(())
            })?;
            Ok::<_, Error>(no_room.into_inner())
        };
        let mut pending = add_rows(&g, &mut (0..rows), opts.progress)?;
        // Concurrent adds took the slots grown for this batch: grow again for the rows
        // left, outside the batch's threads.
        while !pending.is_empty() {
            let needed = g.storage.len().saturating_add(pending.len());
            g = self.with_room(g, needed)?;
            pending = add_rows(&g, &mut pending.into_iter(), None)?;
        }
        Ok(())
    }

    /// Fails with CapacityExceeded before a batch starts if its new labels cannot fit.
    fn check_room(
        &self,
        g: &Graph,
        rows: usize,
        label_of: &dyn Fn(usize) -> u64,
        replace: bool,
    ) -> Result<()> {
        let capacity = g.storage.max_elements;
        let mut room = capacity.saturating_sub(g.storage.len());
        if replace {
            room += g.slots.free_count();
        }
        if rows <= room {
            return Ok(());
        }
        if g.slots.count_new((0..rows).map(label_of), &g.storage) > room {
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
        opts.rerank.map_or(Ok(()), check_rerank)?;
        let g = self.read();
        let q = g.space.prepare(query, 0)?;
        // k may be anything a caller passes (hnswlib users pass huge k to get "all").
        let mut out = Vec::with_capacity(k.min(g.storage.len()));
        self.search_prepared(&g, &q, k, opts, &mut out)?;
        Ok(out)
    }

    fn search_prepared(
        &self,
        g: &Graph,
        q: &PreparedVec,
        k: usize,
        opts: &SearchOptions,
        out: &mut Vec<Neighbor>,
    ) -> Result<()> {
        let ef = opts.ef.unwrap_or_else(|| self.ef()).max(k);
        let rerank = opts.rerank.unwrap_or_else(|| self.rerank());
        // At least k, and never an overflow for absurd k or factors.
        let rerank = ((k as f64) * rerank.max(1.0) as f64)
            .ceil()
            .min(usize::MAX as f64) as usize;
        let mut stats = SearchStats::default();
        let codes = g.query_codes(q);
        let traverse = match &codes {
            Some(c) => Traverse::Codes(c),
            None => Traverse::Exact,
        };
        let mut note_labels = false;
        loop {
            let mut scratch = g.scratch.try_get()?;
            let task = Knn {
                g,
                k,
                ef,
                filter: opts.filter,
                rerank,
                note_labels,
                scratch: &mut scratch,
                stats: &mut stats,
                out: &mut *out,
            };
            // Again, noting labels, when a slot changed label during a search that
            // read them at the end.
            if g.with_scorers(q, traverse, task) || note_labels {
                break;
            }
            note_labels = true;
        }
        self.metrics.0[0].fetch_add(stats.hops, Ordering::Relaxed);
        self.metrics.0[1].fetch_add(stats.distances, Ordering::Relaxed);
        Ok(())
    }

    /// Searches every row of `queries` (row-major) on `opts.num_threads` threads.
    pub fn search_batch<T: Element>(
        &self,
        queries: &[T],
        k: usize,
        opts: &SearchOptions,
    ) -> Result<BatchResults> {
        check_k(k)?;
        opts.rerank.map_or(Ok(()), check_rerank)?;
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
        opts.rerank.map_or(Ok(()), check_rerank)?;
        let g = self.read();
        let rows = g.space.rows_of(queries)?;
        let per_row = queries.len() / rows;
        let out = RowSink::new(labels, distances, counts, rows, k)?;
        for_each_row(rows, opts.num_threads, None, |r| {
            let q = g
                .space
                .prepare(&queries[r * per_row..(r + 1) * per_row], r)?;
            let mut found = Vec::with_capacity(k.min(g.storage.len()));
            self.search_prepared(&g, &q, k, opts, &mut found)?;
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
        Self::check_writable(&g, "mark_deleted")?;
        let _l = self.label_lock(label);
        g.slots.mark_deleted(label, &g.storage)
    }

    /// Undoes [`HnswIndex::mark_deleted`].
    pub fn unmark_deleted(&self, label: u64) -> Result<()> {
        let g = self.read();
        Self::check_writable(&g, "unmark_deleted")?;
        let _l = self.label_lock(label);
        g.slots.unmark_deleted(label, &g.storage)
    }

    /// Whether `label` is in the index and marked deleted.
    pub fn is_deleted(&self, label: u64) -> Result<bool> {
        let g = self.read();
        g.slots
            .with_id(label, &g.storage, |id| g.storage.is_deleted(id))
    }

    /// Whether `label` is in the index (deleted or not).
    pub fn contains(&self, label: u64) -> bool {
        let g = self.read();
        g.slots.contains(label, &g.storage)
    }

    /// Changes the capacity (exclusive: waits for running operations).
    pub fn resize(&self, new_max_elements: usize) -> Result<()> {
        let mut g = self.graph.write("resize")?;
        Self::check_writable(&g, "resize")?;
        let count = g.storage.len();
        if new_max_elements < count {
            return Err(Error::ResizeBelowCount {
                requested: new_max_elements,
                count,
            });
        }
        // A capacity asked for is allocated, as hnswlib does.
        g.resize_storage(new_max_elements, new_max_elements)
    }

    /// The stored vector of `label` (normalised for cosine). Deleted labels are not
    /// found. A codes-only index returns the vector its code stands for.
    pub fn get_item<T: Element>(&self, label: u64) -> Result<Vec<T>> {
        let g = self.read();
        let _l = self.label_lock(label);
        let mut out = g.space.element_buffer::<T>()?;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
        g.slots.with_id(label, &g.storage, |id| {
            if g.storage.is_deleted(id) {
                return Err(Error::LabelNotFound(label));
            }
            // The label's lock and the map (held by with_id) keep writers out.
            g.copy_vector(id, bytes);
            Ok(())
        })??;
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
        let mut ids = g.slots.labels(&g.storage);
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

    /// hnswlib's `checkIntegrity`: checks every link list of the graph (see
    /// [`IntegrityReport`]) and counts the links. Takes the index exclusively, so
    /// that it sees one state of the graph.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the first violation found; [`Error::Reentered`]
    /// from a callback of the same index.
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        let g = self.graph.write("check_integrity")?;
        integrity::check(&g)
    }

    /// Number of elements marked deleted.
    pub fn deleted_count(&self) -> usize {
        self.read().slots.deleted_count()
    }

    /// Capacity.
    pub fn max_elements(&self) -> usize {
        self.read().storage.max_elements
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
        self.read().slots.allow_replace()
    }

    /// The next automatic label (hnswlib Python's `cur_l`).
    pub fn next_auto_label(&self) -> u64 {
        self.auto_label.load(Ordering::Acquire)
    }

    /// The level of `label`'s element (0 = only on the base layer).
    pub fn level_of(&self, label: u64) -> Result<usize> {
        let g = self.read();
        g.slots.with_id(label, &g.storage, |id| g.storage.level(id))
    }

    /// Work done by searches so far: (hops, distance computations), as hnswlib's
    /// `metric_hops` and `metric_distance_computations`.
    pub fn metrics(&self) -> (u64, u64) {
        (
            self.metrics.0[0].load(Ordering::Relaxed),
            self.metrics.0[1].load(Ordering::Relaxed),
        )
    }

    /// Resets [`HnswIndex::metrics`] to zero.
    pub fn reset_metrics(&self) {
        for m in &self.metrics.0 {
            m.store(0, Ordering::Relaxed);
        }
    }

    /// The storage mode searches traverse.
    pub fn quantization(&self) -> Quantization {
        self.read().quantization
    }

    /// Whether a quantized index keeps its exact vectors (always true unquantized).
    pub fn keeps_vectors(&self) -> bool {
        let g = self.read();
        !g.quantization.is_quantized() || g.keep_vectors
    }

    /// Whether a quantized index has learnt its codes (it searches exactly before;
    /// see [`TRAIN_MIN`]). False for unquantized indexes.
    pub fn is_trained(&self) -> bool {
        self.read().quantizer.is_some()
    }

    /// Sets the re-ranking depth of quantized searches: the best `rerank × k`
    /// candidates of the code traversal (at most ef) are re-scored with exact
    /// distances. Values below 1 mean k. Default [`Quantization::default_rerank`].
    pub fn set_rerank(&self, rerank: f32) -> Result<()> {
        check_rerank(rerank)?;
        self.rerank.store(rerank.to_bits(), Ordering::Relaxed);
        Ok(())
    }

    /// The re-ranking depth of quantized searches (see [`HnswIndex::set_rerank`]).
    pub fn rerank(&self) -> f32 {
        f32::from_bits(self.rerank.load(Ordering::Relaxed))
    }

    /// Saves in hnswlib's format, atomically and durably: a temp file beside `path`,
    /// synced, then renamed over `path`. Exclusive: waits for running operations.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written; `path` is then left as it was.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_with(path, &SaveOptions::default())
    }

    /// [`HnswIndex::save`] with options: `sync: false` returns once the bytes are in
    /// the page cache, as hnswlib's `saveIndex` does (still atomic); `format`
    /// chooses hnswlib's format (the default) or the native one.
    pub fn save_with(&self, path: impl AsRef<Path>, opts: &SaveOptions) -> Result<()> {
        let g = self.graph.write("save")?;
        if opts.format == FileFormat::Hnswlib {
            format::check_writable(&g)?;
        }
        crate::persist::write_atomically(path.as_ref(), opts, |w| self.write(&g, opts.format, w))
    }

    fn write(&self, g: &Graph, f: FileFormat, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        match f {
            FileFormat::Hnswlib => format::write(g, w),
            FileFormat::Native => native::write(
                g,
                &native::Settings {
                    ef: self.ef.load(Ordering::Relaxed),
                    rerank: self.rerank(),
                },
                w,
            ),
        }
    }

    /// The bytes [`HnswIndex::save`] would write (hnswlib's format).
    ///
    /// # Errors
    /// [`Error::NotSupported`] for a codes-only index (hnswlib's format stores the
    /// vectors).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.to_bytes_with(FileFormat::Hnswlib)
    }

    /// The bytes of the index in `format`.
    pub fn to_bytes_with(&self, format: FileFormat) -> Result<Vec<u8>> {
        let g = self.graph.write("to_bytes")?;
        let mut out = Vec::new();
        if format == FileFormat::Hnswlib {
            format::check_writable(&g)?;
            out.reserve(format::file_size(&g));
        }
        self.write(&g, format, &mut out)
            .expect("writing to a Vec cannot fail");
        Ok(out)
    }

    /// Exact size in bytes of the saved index (hnswlib's `indexFileSize`).
    pub fn file_size(&self) -> usize {
        format::file_size(&self.read())
    }

    /// Loads an index saved by hnswlib or by [`HnswIndex::save`], in either format
    /// (told apart by the native format's magic bytes). The space must match the
    /// file (hnswlib's format: the same element size; the native format: the same
    /// space and dimension); a mismatch is an error.
    pub fn load(path: impl AsRef<Path>, space: Space, opts: &LoadOptions) -> Result<Self> {
        Self::load_file(path.as_ref(), Some(space), opts)
    }

    /// Loads a file in the native format, which names its own space and dimension
    /// (indexes with a custom distance need [`HnswIndex::load`] with that space).
    pub fn open(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Self> {
        Self::load_file(path.as_ref(), None, opts)
    }

    /// Opens a file in the native format as a read-only view: the file is mapped
    /// into memory, not read, and searches use it where it lies, so opening takes
    /// milliseconds whatever the size, an index larger than memory can be searched
    /// (the system pages it in and out), and processes that view one file share
    /// one copy of it in the page cache. Adds, deletes and resizes fail with
    /// [`Error::NotSupported`]; searches, reads and saves work as on a loaded index.
    ///
    /// The file must not be truncated or rewritten in place while the view is open
    /// (saves replace files by renaming, which is safe); deleting it is safe.
    pub fn open_view(path: impl AsRef<Path>, opts: &ViewOptions) -> Result<Self> {
        Self::view_file(path.as_ref(), None, opts)
    }

    /// [`HnswIndex::open_view`] for any native file, including those of a custom
    /// distance, which need their space.
    pub fn view(path: impl AsRef<Path>, space: Space, opts: &ViewOptions) -> Result<Self> {
        Self::view_file(path.as_ref(), Some(space), opts)
    }

    fn view_file(path: &Path, space: Option<Space>, opts: &ViewOptions) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut map = memmap2::MmapOptions::new();
        if opts.populate {
            map.populate();
        }
        // SAFETY: the mapping is private and read-only, so nothing this process does
        // changes it; the documented contract is that no one truncates or rewrites the
        // file in place while it is mapped (that would be a SIGBUS or changing
        // bytes, which the searches tolerate: they bound every id they read).
        let map = unsafe { map.map_copy_read_only(&file) }.map_err(|e| Error::io(path, e))?;
        if !native::is_native(&map[..map.len().min(8)]) {
            return Err(not_native(&map, true).in_file(path));
        }
        // Searches read the file at random: a fault should read its page, not the
        // read-ahead window around it (up to megabytes), which for a file larger than
        // the memory at hand evicts the pages still needed and thrashes. Advice only:
        // resident pages are unaffected, and a failure changes nothing.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let (graph, settings) = native::view(
            &std::sync::Arc::new(map),
            space,
            &native::ViewChecks {
                verify: opts.verify,
            },
        )?;
        // A view is never trained here: training writes codes (an untrained view
        // searches its exact vectors, as before training).
        let n = graph.storage.len() as u64;
        Ok(Self::from_graph(graph, n).with_settings(&settings))
    }

    /// The index with the settings a native file stores.
    fn with_settings(self, settings: &native::Settings) -> Self {
        self.ef.store(settings.ef, Ordering::Relaxed);
        self.rerank
            .store(settings.rerank.to_bits(), Ordering::Relaxed);
        self
    }

    /// Whether the index is a read-only view of a file ([`HnswIndex::open_view`]).
    pub fn is_view(&self) -> bool {
        self.read().storage.is_view()
    }

    fn load_file(path: &Path, space: Option<Space>, opts: &LoadOptions) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Self::load_from(&file, space, opts).map_err(|e| match e {
            Error::Io { source, .. } => Error::io(path, source),
            e => e.in_file(path),
        })
    }

    /// Loads from bytes in either format (see [`HnswIndex::to_bytes_with`]).
    pub fn from_bytes(bytes: &[u8], space: Space, opts: &LoadOptions) -> Result<Self> {
        Self::load_from(&bytes, Some(space), opts)
    }

    /// Loads from bytes in the native format, which names its own space.
    pub fn from_native_bytes(bytes: &[u8], opts: &LoadOptions) -> Result<Self> {
        Self::load_from(&bytes, None, opts)
    }

    fn load_from(
        src: &dyn source::Source,
        space: Option<Space>,
        opts: &LoadOptions,
    ) -> Result<Self> {
        let mut scratch = Vec::new();
        let native = src.size().map_err(|e| Error::io("<index data>", e))? >= 8
            && native::is_native(
                src.bytes_at(0, 8, &mut scratch)
                    .map_err(|e| Error::io("<index data>", e))?,
            );
        if native {
            let (graph, settings) = native::read(src, space, opts)?;
            return Ok(Self::loaded(graph)?.with_settings(&settings));
        }
        let Some(space) = space else {
            let head = src
                .bytes_at(0, src.size().unwrap_or(0).min(128) as usize, &mut scratch)
                .unwrap_or_default();
            return Err(not_native(head, false));
        };
        Self::loaded(format::read(src, space, opts)?)
    }

    /// A loaded graph as an index: a quantized one learns its codes from the vectors
    /// read (when there are enough).
    fn loaded(mut graph: Graph) -> Result<Self> {
        if graph.needs_training(0) {
            graph.train(0, &|_| unreachable!("no rows besides the loaded ones"))?;
        }
        let n = graph.storage.len() as u64;
        Ok(Self::from_graph(graph, n))
    }
}

/// The error for bytes that are not in the native format where only it will do
/// (opening without a space, or `viewing`): it says whether they are an index in
/// hnswlib's format, which names neither its space nor its dimension, and so what to
/// do instead.
fn not_native(head: &[u8], viewing: bool) -> Error {
    let Some(bytes) = format::sniff(head) else {
        return Error::NotNative(
            "not a file in the native format, nor an index in hnswlib's format".into(),
        );
    };
    let vectors = if bytes.is_multiple_of(4) {
        format!(
            "{bytes}-byte vectors: dim {} as f32 or {bytes} as u8",
            bytes / 4
        )
    } else {
        format!("{bytes}-byte vectors")
    };
    Error::NotNative(format!(
        "not a file in the native format but an index in hnswlib's format ({vectors}), which does not name its space or dimension: {}",
        if viewing {
            "only native files can be viewed; load it with its space and dim, or save it again in the native format to view it"
        } else {
            "load it with its space and dim"
        }
    ))
}
