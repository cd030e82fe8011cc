//! Graph storage: hnswlib's memory layout, made safe for concurrent readers and laid
//! out for the cache.
//!
//! * Level 0 is one contiguous arena of fixed-size slots, one per element:
//!   `[header u32][max_m0 neighbour ids u32][payload][padding]`. The header holds the
//!   neighbour count in its low 16 bits and the flags (bit 16 = deleted) in the next
//!   8, so its bytes are exactly hnswlib's `linklistsizeint` + flag byte. The payload
//!   is what searches compare queries with: the vector itself, or its quantized code
//!   ([`crate::quant`]). [`SlotLayout`] places it so that it spans as few cache lines
//!   as it can.
//! * Quantized indexes that keep their exact vectors (for re-ranking and for saving in
//!   hnswlib's format) hold them in a second arena, read only for the few candidates a
//!   search re-ranks, so they stay out of the cache lines the traversal touches.
//! * Upper levels: per element a separately allocated block of `level` lists of
//!   `[count u32][max_m ids u32]`, exactly hnswlib's `linkLists_[i]`.
//! * Labels live in their own array (not in the slot), so they can be atomics.
//!
//! Every neighbour id and count is an atomic: searches read lists without locks while
//! inserts rewrite them under the node's (striped) lock. A writer stores the ids and then the
//! count with release ordering, and readers load with acquire ordering, so a reader
//! that sees an id also sees the element's vector, written before it was linked.
//! A reader may see a list mid-rewrite (some old ids, some new): every id it can see
//! is a valid, fully written element, which is all the search needs (hnswlib reads
//! the same way, but without atomics).

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::arena::{Arena, ALIGN};
use crate::error::{Error, Result};

/// Deleted flag inside the level-0 header word (hnswlib's `DELETE_MARK` on byte 2).
pub(crate) const DELETED_BIT: u32 = 1 << 16;
/// Set while a new element links itself in (byte 3 of the header, unused by hnswlib;
/// never set in a saved file, since saving excludes inserts).
pub(crate) const LINKING_BIT: u32 = 1 << 24;
pub(crate) const COUNT_MASK: u32 = 0xFFFF;
const LINK_LOCK_STRIPES: usize = 1 << 16;
const LINE: usize = 64;

/// Where things sit in a level-0 slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotLayout {
    /// Links per element on level 0 (hnswlib's `maxM0_`, 2·M).
    pub max_m0: usize,
    /// Byte offset of the payload.
    pub payload_offset: usize,
    /// Payload bytes.
    pub payload_size: usize,
    /// Bytes per slot (a multiple of 4, the words the slot is read as).
    pub stride: usize,
}

impl SlotLayout {
    /// The layout for `max_m0` links and a payload of `payload_size` bytes: slots of
    /// whole cache lines with the payload on as few lines as possible, unless that costs
    /// more than an eighth more memory than packing them tight.
    pub(crate) fn new(max_m0: usize, payload_size: usize) -> Self {
        let links = 4 + 4 * max_m0;
        let packed = SlotLayout {
            max_m0,
            payload_offset: links,
            payload_size,
            stride: (links + payload_size).next_multiple_of(4),
        };
        let lines = |offset: usize| (offset % LINE + payload_size).div_ceil(LINE);
        [links, links.next_multiple_of(LINE)]
            .into_iter()
            .map(|payload_offset| SlotLayout {
                max_m0,
                payload_offset,
                payload_size,
                stride: (payload_offset + payload_size).next_multiple_of(LINE),
            })
            .filter(|l| 8 * l.stride <= 9 * packed.stride)
            .min_by_key(|l| (lines(l.payload_offset), l.stride))
            .unwrap_or(packed)
    }

    /// Bytes of the header and links (hnswlib's `size_links_level0_`).
    pub(crate) fn links_bytes(&self) -> usize {
        4 + 4 * self.max_m0
    }
}

/// The element storage of one capacity. Replaced wholesale by resize and growth.
pub(crate) struct Storage {
    pub layout: SlotLayout,
    /// Links per upper-level list (hnswlib's `maxM_`, M).
    pub max_m: usize,
    /// Slots allocated: every element id is below it (the bound of every access).
    pub capacity: usize,
    /// hnswlib's `max_elements_`: how many elements the index may hold, at least
    /// `capacity`. A loaded index allocates for the elements it holds and grows
    /// towards this on demand, since a file may declare any value (up to 2^64-1).
    pub max_elements: usize,
    /// The level-0 slots (`capacity × layout.stride` bytes).
    slots: Arena,
    /// Exact vectors beside quantized payloads: `capacity × exact_stride` bytes, or
    /// empty when the payload is the vector itself or the index keeps codes only.
    exact: Arena,
    exact_size: usize,
    exact_stride: usize,
    labels: Box<[AtomicU64]>,
    levels: Box<[AtomicU8]>,
    upper: Box<[AtomicPtr<AtomicU32>]>,
    /// Link-list locks, striped: element `id` uses `locks[id % LINK_LOCK_STRIPES]`.
    /// A thread never holds two of them, so sharing a stripe cannot deadlock, and a
    /// fixed 64 KiB replaces hnswlib's 40-byte mutex per element.
    locks: Box<[Mutex<()>]>,
    /// Elements whose slots are reserved (hnswlib's `cur_element_count`).
    pub count: AtomicUsize,
}

/// Where one representation of every element lives: element `id` is `size` bytes at
/// `base + id × stride`. Copied into the searches' distance functions.
#[derive(Clone, Copy)]
pub(crate) struct Rows {
    base: *const u8,
    stride: usize,
    size: usize,
}

// SAFETY: Rows is a view into an arena owned by a Storage (which is Send + Sync);
// every read through it is a raw read documented at its use, exactly as through the
// storage itself, so sharing the view between threads adds nothing the storage does
// not already allow.
unsafe impl Send for Rows {}
// SAFETY: as above.
unsafe impl Sync for Rows {}

impl Rows {
    /// Start of element `id`'s bytes. The caller keeps `id` below the capacity of the
    /// storage these rows came from, while that storage lives.
    #[inline(always)]
    pub(crate) fn at(&self, id: u32) -> *const u8 {
        self.base.wrapping_add(id as usize * self.stride)
    }

    /// The bytes of element `id`.
    ///
    /// # Safety
    /// `id` is below the capacity of the storage these rows came from, and the
    /// storage outlives the returned slice.
    #[inline(always)]
    pub(crate) unsafe fn slice<'a>(&self, id: u32) -> &'a [u8] {
        // SAFETY: the row of a valid id lies inside its arena (the caller's contract).
        unsafe { std::slice::from_raw_parts(self.at(id), self.size) }
    }

    /// Prefetches the cache lines of element `id`: into L1 for rows of up to
    /// [`L2_ROW_LINES`] lines, into L2 for larger ones (a miss queue full of a large
    /// row's L1 prefetches stalls the demand loads of the row being scored; measured
    /// on 768-d f32 rows, L2 prefetches of whole rows two rows ahead ran 1.5x faster
    /// than L1 prefetches of their first 8 lines).
    #[inline(always)]
    pub(crate) fn prefetch(&self, id: u32) {
        let p = self.at(id);
        let last = (p as usize % LINE + self.size - 1) / LINE;
        if self.size > L2_ROW_LINES * LINE {
            for i in 0..=last {
                prefetch_l2(p.wrapping_add(LINE * i));
            }
        } else {
            for i in 0..=last {
                prefetch(p.wrapping_add(LINE * i));
            }
        }
    }
}

/// Rows larger than this many cache lines are prefetched into L2 (see `Rows::prefetch`).
pub(crate) const L2_ROW_LINES: usize = 7;

/// Allocates `n` values whose all-zero bit pattern is valid (atomics of integers and
/// pointers), failing with an error instead of aborting.
fn zeroed_atomics<T: ZeroValid>(n: usize, what: &str) -> Result<Box<[T]>> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::OutOfMemory(format!("{what}: cannot allocate {n} entries")))?;
    v.extend((0..n).map(|_| T::zero()));
    Ok(v.into_boxed_slice())
}

/// Types for which all-zero bytes are a valid value.
trait ZeroValid {
    fn zero() -> Self;
}
impl ZeroValid for AtomicU64 {
    fn zero() -> Self {
        AtomicU64::new(0)
    }
}
impl ZeroValid for AtomicU8 {
    fn zero() -> Self {
        AtomicU8::new(0)
    }
}
impl<T> ZeroValid for AtomicPtr<T> {
    fn zero() -> Self {
        AtomicPtr::new(ptr::null_mut())
    }
}

/// Rounds a row size up so that rows never straddle more cache lines than needed,
/// when that costs at most an eighth more memory.
fn row_stride(size: usize) -> usize {
    let lined = size.next_multiple_of(LINE);
    if 8 * lined <= 9 * size {
        lined
    } else {
        size.next_multiple_of(8)
    }
}

impl Storage {
    /// Empty storage with slots for `capacity` elements and room to grow up to
    /// `max_elements` (at least `capacity`); `exact_size` > 0 gives quantized payloads
    /// an arena of exact vectors of that many bytes each.
    pub(crate) fn new(
        layout: SlotLayout,
        max_m: usize,
        exact_size: usize,
        capacity: usize,
        max_elements: usize,
    ) -> Result<Self> {
        debug_assert!(capacity <= max_elements);
        if capacity > u32::MAX as usize {
            return Err(Error::invalid(format!(
                "max_elements {capacity} is too large (at most {})",
                u32::MAX
            )));
        }
        let too_large = || Error::OutOfMemory(format!("capacity {capacity} is too large"));
        let exact_stride = Self::exact_stride_for(exact_size);
        // One extra line past the last slot: kernels may read whole vector registers.
        let slot_bytes = capacity
            .checked_mul(layout.stride)
            .and_then(|b| b.checked_add(ALIGN))
            .ok_or_else(too_large)?;
        let exact_bytes = capacity.checked_mul(exact_stride).ok_or_else(too_large)?;
        Ok(Storage {
            layout,
            max_m,
            capacity,
            max_elements,
            slots: Arena::zeroed(slot_bytes, "level-0 graph")?,
            exact: Arena::zeroed(exact_bytes, "exact vectors")?,
            exact_size,
            exact_stride,
            labels: zeroed_atomics(capacity, "labels")?,
            levels: zeroed_atomics(capacity, "levels")?,
            upper: zeroed_atomics(capacity, "upper levels")?,
            locks: (0..LINK_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            count: AtomicUsize::new(0),
        })
    }

    /// Moves the elements of `old` into a new storage of `capacity` slots (at least
    /// the element count) and `max_elements`.
    pub(crate) fn grown_from(
        old: &mut Storage,
        capacity: usize,
        max_elements: usize,
    ) -> Result<Self> {
        let new = Storage::new(
            old.layout,
            old.max_m,
            old.exact_size,
            capacity,
            max_elements,
        )?;
        let n = old.len();
        // SAFETY: both arenas hold at least n slots / exact rows of the same layout, and
        // `&mut old` means nothing reads or writes the old storage meanwhile.
        unsafe {
            ptr::copy_nonoverlapping(
                old.slots.as_ptr(),
                new.slots.as_ptr(),
                n * old.layout.stride,
            );
            ptr::copy_nonoverlapping(old.exact.as_ptr(), new.exact.as_ptr(), n * old.exact_stride);
        }
        for i in 0..n {
            new.labels[i].store(*old.labels[i].get_mut(), Ordering::Relaxed);
            new.levels[i].store(*old.levels[i].get_mut(), Ordering::Relaxed);
            // Ownership of the upper block moves to the new storage.
            new.upper[i].store(
                std::mem::replace(old.upper[i].get_mut(), ptr::null_mut()),
                Ordering::Relaxed,
            );
        }
        new.count.store(n, Ordering::Relaxed);
        Ok(new)
    }

    /// Storage of `n` elements whose level-0 slots (and exact vectors, when
    /// `exact_size` > 0) are read-only regions of a file mapping, laid out as
    /// [`Storage::new`] lays them out; labels, levels and upper levels are filled in
    /// by [`Storage::load_meta`]. `max_elements` is the file's (saved back as it
    /// was). It cannot grow, and nothing may write its arenas:
    /// every writer checks [`Storage::is_view`] first.
    pub(crate) fn view(
        layout: SlotLayout,
        max_m: usize,
        exact_size: usize,
        n: usize,
        max_elements: usize,
        slots: Arena,
        exact: Arena,
    ) -> Result<Self> {
        let exact_stride = Self::exact_stride_for(exact_size);
        // Kernels may read a whole line past the last slot (see `new`).
        let needed = n
            .checked_mul(layout.stride)
            .and_then(|b| b.checked_add(ALIGN));
        if !slots.is_file() || needed.is_none_or(|b| b > slots.len()) {
            return Err(Error::corrupt(
                "the level-0 section is too short for its elements",
            ));
        }
        if n.checked_mul(exact_stride).is_none_or(|b| b > exact.len()) {
            return Err(Error::corrupt("the exact-vector section is too short"));
        }
        Ok(Storage {
            layout,
            max_m,
            capacity: n,
            max_elements: max_elements.max(n),
            slots,
            exact,
            exact_size,
            exact_stride,
            labels: zeroed_atomics(n, "labels")?,
            levels: zeroed_atomics(n, "levels")?,
            upper: zeroed_atomics(n, "upper levels")?,
            locks: (0..LINK_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            count: AtomicUsize::new(n),
        })
    }

    /// Bytes per exact-vector row for vectors of `exact_size` bytes (0: no arena).
    pub(crate) fn exact_stride_for(exact_size: usize) -> usize {
        if exact_size > 0 {
            row_stride(exact_size)
        } else {
            0
        }
    }

    /// Whether the slots are a read-only file mapping ([`Storage::view`]).
    pub(crate) fn is_view(&self) -> bool {
        self.slots.is_file()
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// The level-0 slot of `id` as words: header, links, then the payload's words.
    #[inline(always)]
    fn slot(&self, id: u32) -> &[AtomicU32] {
        assert!((id as usize) < self.capacity, "element id out of range");
        // SAFETY: id < capacity, so the slot's stride bytes lie inside the arena; the
        // arena is 64-byte aligned and the stride a multiple of 4, so the words are
        // aligned; an all-bits pattern is a valid AtomicU32, and all writes to these
        // words go through atomics (or happen under `&mut`).
        unsafe {
            std::slice::from_raw_parts(
                self.slots
                    .as_ptr()
                    .add(id as usize * self.layout.stride)
                    .cast::<AtomicU32>(),
                self.layout.stride / 4,
            )
        }
    }

    /// The payloads of all elements (what searches compare queries with).
    #[inline(always)]
    pub(crate) fn payloads(&self) -> Rows {
        Rows {
            base: self.slots.as_ptr().wrapping_add(self.layout.payload_offset),
            stride: self.layout.stride,
            size: self.layout.payload_size,
        }
    }

    /// The exact vectors: the payloads themselves unless the storage has an arena of
    /// exact vectors beside quantized payloads. `None` for a codes-only index.
    #[inline(always)]
    pub(crate) fn exact_rows(&self, quantized: bool) -> Option<Rows> {
        if !quantized {
            Some(self.payloads())
        } else if self.exact_stride > 0 {
            Some(Rows {
                base: self.exact.as_ptr(),
                stride: self.exact_stride,
                size: self.exact_size,
            })
        } else {
            None
        }
    }

    /// The level-0 slots of the first `n` elements as bytes, exactly as in memory
    /// (the native file format stores them so).
    ///
    /// # Safety
    /// `n` ≤ capacity, and nobody writes the slots while the slice lives (the caller
    /// holds the index exclusively).
    pub(crate) unsafe fn slot_bytes(&self, n: usize) -> &[u8] {
        assert!(n <= self.capacity);
        // SAFETY: n slots lie inside the arena; no writes meanwhile (the contract).
        unsafe { std::slice::from_raw_parts(self.slots.as_ptr(), n * self.layout.stride) }
    }

    /// The slots of the first `n` elements as bytes to fill.
    ///
    /// # Safety
    /// `n` ≤ capacity, and nothing else reads or writes the storage while the slice
    /// lives (a storage being loaded, not yet shared).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slot_bytes_mut(&self, n: usize) -> &mut [u8] {
        assert!(n <= self.capacity);
        // SAFETY: as above; exclusive by the contract.
        unsafe { std::slice::from_raw_parts_mut(self.slots.as_ptr(), n * self.layout.stride) }
    }

    /// The exact-vector arena of the first `n` elements as bytes (empty without one),
    /// and the bytes per row.
    ///
    /// # Safety
    /// As [`Storage::slot_bytes`].
    pub(crate) unsafe fn exact_bytes(&self, n: usize) -> (&[u8], usize) {
        assert!(n <= self.capacity);
        // SAFETY: n rows lie inside the arena (empty when the stride is 0).
        let b = unsafe { std::slice::from_raw_parts(self.exact.as_ptr(), n * self.exact_stride) };
        (b, self.exact_stride)
    }

    /// The exact-vector rows of the first `n` elements as bytes to fill.
    ///
    /// # Safety
    /// As [`Storage::slot_bytes_mut`].
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn exact_bytes_mut(&self, n: usize) -> &mut [u8] {
        assert!(n <= self.capacity);
        // SAFETY: as above; exclusive by the contract.
        unsafe { std::slice::from_raw_parts_mut(self.exact.as_ptr(), n * self.exact_stride) }
    }

    /// Whether the storage holds exact vectors beside quantized payloads.
    pub(crate) fn has_exact_arena(&self) -> bool {
        self.exact_stride > 0
    }

    /// Drops the exact vectors (a codes-only index once its codes are written).
    pub(crate) fn drop_exact_arena(&mut self) -> Result<()> {
        self.exact = Arena::zeroed(0, "exact vectors")?;
        self.exact_stride = 0;
        self.exact_size = 0;
        Ok(())
    }

    /// Writes `src` (its whole length) at the start of element `id`'s payload (`exact`
    /// false) or exact row (`exact` true).
    ///
    /// # Safety
    /// `src` fits the payload (or exact row), and no reference to the row's bytes
    /// ([`Rows::slice`]) is alive on any thread while it is written.
    ///
    /// Searches may read the row through raw pointers at the same time, when a
    /// reachable element is updated or its slot is given to a new label (a new
    /// element is linked only after its vector is written). That is a data race,
    /// which the Rust memory model leaves undefined, just as hnswlib's `updatePoint`
    /// has the same race under C++'s: it is accepted for lock-free searches, not
    /// proven harmless. What the hardware does is let such a search score a mix of
    /// old and new bytes, which are plain numbers.
    pub(crate) unsafe fn write_row(&self, id: u32, exact: bool, src: &[u8]) {
        assert!((id as usize) < self.capacity, "element id out of range");
        let (rows, limit) = if exact {
            (self.exact_rows(true), self.exact_size)
        } else {
            (Some(self.payloads()), self.layout.payload_size)
        };
        let rows = rows.expect("write_row: the storage has no exact arena");
        debug_assert!(src.len() <= limit);
        let dst = rows.at(id) as *mut u8;
        // SAFETY: dst is the start of a row of `limit` bytes inside its arena (id <
        // capacity), src fits it, and src is a caller buffer, not index storage.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len().min(limit)) }
    }

    /// Prefetches the level-0 header and links of `id` (hnswlib prefetches one line;
    /// the list spans two or three).
    #[inline(always)]
    pub(crate) fn prefetch_links(&self, id: u32) {
        let p = self
            .slots
            .as_ptr()
            .wrapping_add(id as usize * self.layout.stride);
        prefetch(p);
        prefetch(p.wrapping_add(LINE));
    }

    #[inline(always)]
    pub(crate) fn label(&self, id: u32) -> u64 {
        self.labels[id as usize].load(Ordering::Acquire)
    }

    pub(crate) fn set_label(&self, id: u32, label: u64) {
        self.labels[id as usize].store(label, Ordering::Release);
    }

    #[inline(always)]
    pub(crate) fn level(&self, id: u32) -> usize {
        self.levels[id as usize].load(Ordering::Relaxed) as usize
    }

    #[inline(always)]
    pub(crate) fn header(&self, id: u32) -> &AtomicU32 {
        &self.slot(id)[0]
    }

    #[inline(always)]
    pub(crate) fn is_deleted(&self, id: u32) -> bool {
        self.header(id).load(Ordering::Relaxed) & DELETED_BIT != 0
    }

    /// Marks a fresh element as linking itself in: construction work that reaches it
    /// waits in `wait_linked` until `finish_linking`.
    pub(crate) fn start_linking(&self, id: u32) {
        self.header(id).fetch_or(LINKING_BIT, Ordering::AcqRel);
    }

    pub(crate) fn finish_linking(&self, id: u32) {
        self.header(id).fetch_and(!LINKING_BIT, Ordering::AcqRel);
    }

    /// Whether element `id` is still linking itself in.
    #[inline(always)]
    pub(crate) fn is_linking(&self, id: u32) -> bool {
        self.header(id).load(Ordering::Acquire) & LINKING_BIT != 0
    }

    /// Waits until element `id` is fully linked. Inserts call this before they read or
    /// change an element's lists, as hnswlib's inserts take the element's lock, which
    /// a new element holds for its whole insert: they then see it linked on every
    /// level, instead of an empty lower list (and writing into a list that its owner
    /// is about to set would lose the link). Never called by queries.
    #[inline(always)]
    pub(crate) fn wait_linked(&self, id: u32) {
        let header = self.header(id);
        let mut spins = 0u32;
        while header.load(Ordering::Acquire) & LINKING_BIT != 0 {
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Sets the deleted flag; returns false if it was already set.
    pub(crate) fn mark_deleted(&self, id: u32) -> bool {
        self.header(id).fetch_or(DELETED_BIT, Ordering::AcqRel) & DELETED_BIT == 0
    }

    /// Clears the deleted flag; returns false if it was not set.
    pub(crate) fn unmark_deleted(&self, id: u32) -> bool {
        self.header(id).fetch_and(!DELETED_BIT, Ordering::AcqRel) & DELETED_BIT != 0
    }

    pub(crate) fn lock(&self, id: u32) -> parking_lot::MutexGuard<'_, ()> {
        self.locks[id as usize % LINK_LOCK_STRIPES].lock()
    }

    /// Words per upper-level list (`1 + max_m`).
    #[inline(always)]
    fn upper_list_words(&self) -> usize {
        1 + self.max_m
    }

    /// hnswlib's `size_links_per_element_`: bytes of one upper-level list.
    pub(crate) fn upper_list_bytes(&self) -> usize {
        4 * self.upper_list_words()
    }

    /// The neighbour list of `id` at `level` (level must be ≤ the element's level).
    #[inline(always)]
    pub(crate) fn links(&self, id: u32, level: usize) -> Links<'_> {
        if level == 0 {
            let slot = self.slot(id);
            Links {
                header: &slot[0],
                ids: &slot[1..1 + self.layout.max_m0],
            }
        } else {
            let block = self.upper_block(id);
            let start = (level - 1) * self.upper_list_words();
            Links {
                header: &block[start],
                ids: &block[start + 1..start + self.upper_list_words()],
            }
        }
    }

    /// The stored count of a list, unclamped (for validation).
    pub(crate) fn links_raw_count(&self, id: u32, level: usize) -> usize {
        (self.links(id, level).header.load(Ordering::Relaxed) & COUNT_MASK) as usize
    }

    /// The upper-level block of `id` (empty for level-0 elements).
    pub(crate) fn upper_block(&self, id: u32) -> &[AtomicU32] {
        let p = self.upper[id as usize].load(Ordering::Acquire);
        if p.is_null() {
            return &[];
        }
        let len = self.level(id) * self.upper_list_words();
        // SAFETY: a non-null pointer was made by `set_meta` from a boxed slice of exactly
        // level·upper_list_words atomics, and published (release, read here with
        // acquire) after the level was stored, so this thread sees that level. A slot
        // gets its level and block once (`set_meta` refuses a second block) and keeps
        // them; the block is freed only in Drop and moved out only by `grown_from`,
        // both of which take the storage by `&mut`, so no borrow of it from `&self`
        // is alive then.
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    /// Initialises a freshly reserved slot: zeroed links, label, level and its upper block.
    /// The element is not reachable yet, so nobody reads it concurrently.
    pub(crate) fn init_element(&self, id: u32, label: u64, level: usize) -> Result<()> {
        for w in self.slot(id)[..1 + self.layout.max_m0].iter() {
            w.store(0, Ordering::Relaxed);
        }
        self.set_meta(id, label, level)
    }

    /// Sets label and level and allocates the zeroed upper block of a slot that has none
    /// (a fresh slot, or a slot being loaded).
    fn set_meta(&self, id: u32, label: u64, level: usize) -> Result<()> {
        self.labels[id as usize].store(label, Ordering::Relaxed);
        let level_u8 = u8::try_from(level)
            .map_err(|_| Error::corrupt(format!("element level {level} is too large")))?;
        let block: *mut AtomicU32 = if level > 0 {
            let b: Box<[AtomicU32]> = (0..level * self.upper_list_words())
                .map(|_| AtomicU32::new(0))
                .collect();
            Box::into_raw(b).cast()
        } else {
            ptr::null_mut()
        };
        self.levels[id as usize].store(level_u8, Ordering::Relaxed);
        let old = self.upper[id as usize].swap(block, Ordering::Release);
        if !old.is_null() {
            // A slot is initialised once; a second block would leak the first.
            unreachable!("upper block of element {id} set twice");
        }
        Ok(())
    }

    /// The header and links of `id`'s level-0 slot (hnswlib's first
    /// `size_links_level0_` bytes of its record), for saving.
    pub(crate) fn links0_words(&self, id: u32) -> &[AtomicU32] {
        &self.slot(id)[..1 + self.layout.max_m0]
    }

    /// Sets word `i` of the level-0 header and links of `id` (loading only).
    pub(crate) fn load_links0_word(&self, id: u32, i: usize, word: u32) {
        self.links0_words(id)[i].store(word, Ordering::Relaxed);
    }

    /// Sets the label and level of `id` and gives it an upper block with these words
    /// (loading only).
    pub(crate) fn load_meta(&self, id: u32, label: u64, level: usize, upper: &[u32]) -> Result<()> {
        self.set_meta(id, label, level)?;
        for (dst, &w) in self.upper_block(id).iter().zip(upper) {
            dst.store(w, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        let words = self.upper_list_words();
        for i in 0..self.capacity {
            let p = *self.upper[i].get_mut();
            if !p.is_null() {
                let len = *self.levels[i].get_mut() as usize * words;
                // SAFETY: p came from Box::into_raw of a boxed slice of exactly `len`
                // atomics (set_meta), and is freed once: we own it exclusively here.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, len)) });
            }
        }
    }
}

/// One neighbour list: a count header and its id slots.
pub(crate) struct Links<'a> {
    header: &'a AtomicU32,
    ids: &'a [AtomicU32],
}

impl<'a> Links<'a> {
    /// Number of valid ids (clamped to the list's capacity).
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        ((self.header.load(Ordering::Acquire) & COUNT_MASK) as usize).min(self.ids.len())
    }

    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> u32 {
        self.ids[i].load(Ordering::Acquire)
    }

    /// A snapshot of the valid ids.
    pub(crate) fn to_vec(&self) -> Vec<u32> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.ids.len()
    }

    /// Rewrites the list (caller holds the node's lock).
    pub(crate) fn set(&self, ids: impl IntoIterator<Item = u32>) {
        let mut n = 0;
        for id in ids {
            self.ids[n].store(id, Ordering::Release);
            n += 1;
        }
        self.set_len(n);
    }

    /// Appends one id (caller holds the node's lock and checked there is room).
    pub(crate) fn push(&self, id: u32) {
        let n = self.len();
        self.ids[n].store(id, Ordering::Release);
        self.set_len(n + 1);
    }

    fn set_len(&self, n: usize) {
        // Keep the flag bits; the count is the low 16 bits.
        let _ = self
            .header
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |h| {
                Some((h & !COUNT_MASK) | n as u32)
            });
    }
}

/// Hints the CPU to load the cache line at `p` into L1.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint; it never faults, even on an invalid address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Hints the CPU to load the cache line at `p` into L2.
#[inline(always)]
pub(crate) fn prefetch_l2<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint; it never faults, even on an invalid address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_layouts_put_payloads_on_few_lines() {
        // GloVe 50-d f32, M 16: lining up would cost a seventh more memory; packed
        // (hnswlib's record less its label).
        let l = SlotLayout::new(32, 200);
        assert_eq!((l.payload_offset, l.stride), (132, 332));
        // 8-bit codes of 50 dims: three whole lines, the code inside the third.
        let l = SlotLayout::new(32, 50);
        assert_eq!((l.payload_offset, l.stride), (132, 192));
        // 768-d f32: the vector starts on a line, 48 lines instead of 49.
        let l = SlotLayout::new(32, 3072);
        assert_eq!((l.payload_offset, l.stride), (192, 3264));
        for (m0, size) in [(4, 4), (32, 1), (200, 17), (8, 4096)] {
            let l = SlotLayout::new(m0, size);
            assert!(l.payload_offset >= l.links_bytes());
            assert!(l.payload_offset + l.payload_size <= l.stride);
            assert_eq!(l.stride % 4, 0);
            assert_eq!(l.payload_offset % 4, 0);
        }
    }
}
