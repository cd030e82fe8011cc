//! Graph storage: hnswlib's memory layout, made safe for concurrent readers.
//!
//! * Level 0 is one contiguous arena of fixed-size slots, one per element:
//!   `[header u32][max_m0 neighbour ids u32][vector, padded to 4 bytes]`. The header
//!   holds the neighbour count in its low 16 bits and the flags (bit 16 = deleted) in
//!   the next 8, so its bytes are exactly hnswlib's `linklistsizeint` + flag byte.
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

use std::alloc::{self, Layout};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// Deleted flag inside the level-0 header word (hnswlib's `DELETE_MARK` on byte 2).
pub(crate) const DELETED_BIT: u32 = 1 << 16;
/// Set while a new element links itself in (byte 3 of the header, unused by hnswlib;
/// never set in a saved file, since saving excludes inserts).
pub(crate) const LINKING_BIT: u32 = 1 << 24;
const COUNT_MASK: u32 = 0xFFFF;
const LINK_LOCK_STRIPES: usize = 1 << 16;

/// Allocates `n` zeroed values of a type whose all-zero bit pattern is valid
/// (atomics of integers and pointers), failing with an error instead of aborting.
fn zeroed_slice<T: ZeroValid>(n: usize, what: &str) -> Result<Box<[T]>> {
    if n == 0 || std::mem::size_of::<T>() == 0 {
        return Ok((0..n).map(|_| T::zero()).collect());
    }
    let layout = Layout::array::<T>(n).map_err(|_| {
        Error::OutOfMemory(format!("{what}: {n} entries overflow the address space"))
    })?;
    // SAFETY: layout has non-zero size (n > 0, size_of::<T>() > 0).
    let p = unsafe { alloc::alloc_zeroed(layout) } as *mut T;
    if p.is_null() {
        return Err(Error::OutOfMemory(format!(
            "{what}: cannot allocate {} bytes",
            layout.size()
        )));
    }
    // SAFETY: p points to n zeroed, properly aligned T (allocated with Layout::array::<T>(n)),
    // and an all-zero bit pattern is a valid T (ZeroValid). Box<[T]> frees with the same layout.
    Ok(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, n)) })
}

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
/// Implementors must have all-zero bytes as a valid bit pattern.
unsafe trait ZeroValid {
    fn zero() -> Self;
}
// SAFETY: atomics of integers are plain integers in memory; zero is valid.
unsafe impl ZeroValid for AtomicU32 {
    fn zero() -> Self {
        AtomicU32::new(0)
    }
}
// SAFETY: as above.
unsafe impl ZeroValid for AtomicU64 {
    fn zero() -> Self {
        AtomicU64::new(0)
    }
}
// SAFETY: as above.
unsafe impl ZeroValid for AtomicU8 {
    fn zero() -> Self {
        AtomicU8::new(0)
    }
}
// SAFETY: a null pointer is all zero bits.
unsafe impl<T> ZeroValid for AtomicPtr<T> {
    fn zero() -> Self {
        AtomicPtr::new(ptr::null_mut())
    }
}

/// Sizes derived from M and the element size (hnswlib's `size_*` fields).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout0 {
    pub max_m: usize,
    pub max_m0: usize,
    pub data_size: usize,
    /// Words per level-0 slot in memory.
    pub stride: usize,
    /// Word offset of the vector inside a slot.
    pub data_word: usize,
    /// Words per upper-level list (`1 + max_m`).
    pub upper_list_words: usize,
}

impl Layout0 {
    pub(crate) fn new(m: usize, data_size: usize) -> Self {
        let max_m0 = 2 * m;
        let data_word = 1 + max_m0;
        Layout0 {
            max_m: m,
            max_m0,
            data_size,
            stride: data_word + data_size.div_ceil(4),
            data_word,
            upper_list_words: 1 + m,
        }
    }

    /// hnswlib's `size_data_per_element_` (the on-disk slot size).
    pub(crate) fn file_slot_size(&self) -> usize {
        4 + 4 * self.max_m0 + self.data_size + 8
    }

    /// hnswlib's `size_links_per_element_`.
    pub(crate) fn upper_list_bytes(&self) -> usize {
        4 * self.upper_list_words
    }
}

/// The element storage of one capacity. Replaced wholesale by resize.
pub(crate) struct Storage {
    pub layout: Layout0,
    pub capacity: usize,
    level0: Box<[AtomicU32]>,
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

impl Storage {
    pub(crate) fn new(layout: Layout0, capacity: usize) -> Result<Self> {
        let words = capacity
            .checked_mul(layout.stride)
            .ok_or_else(|| Error::OutOfMemory(format!("capacity {capacity} is too large")))?;
        if capacity > u32::MAX as usize {
            return Err(Error::invalid(format!(
                "max_elements {capacity} is too large (at most {})",
                u32::MAX
            )));
        }
        Ok(Storage {
            layout,
            capacity,
            level0: zeroed_slice(words, "level-0 graph")?,
            labels: zeroed_slice(capacity, "labels")?,
            levels: zeroed_slice(capacity, "levels")?,
            upper: zeroed_slice(capacity, "upper levels")?,
            locks: (0..LINK_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            count: AtomicUsize::new(0),
        })
    }

    /// Moves the first `count` elements of `old` into a new storage of `capacity`.
    pub(crate) fn grown_from(old: &mut Storage, capacity: usize) -> Result<Self> {
        let new = Storage::new(old.layout, capacity)?;
        let n = old.len();
        let words = n * old.layout.stride;
        for (dst, src) in new.level0[..words].iter().zip(&old.level0[..words]) {
            dst.store(src.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        for i in 0..n {
            new.labels[i].store(old.labels[i].load(Ordering::Relaxed), Ordering::Relaxed);
            new.levels[i].store(old.levels[i].load(Ordering::Relaxed), Ordering::Relaxed);
            // Ownership of the upper block moves to the new storage.
            new.upper[i].store(
                old.upper[i].swap(ptr::null_mut(), Ordering::Relaxed),
                Ordering::Relaxed,
            );
        }
        new.count.store(n, Ordering::Relaxed);
        Ok(new)
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    #[inline(always)]
    fn slot(&self, id: u32) -> &[AtomicU32] {
        let start = id as usize * self.layout.stride;
        &self.level0[start..start + self.layout.stride]
    }

    /// Pointer to the stored vector of `id` (4-byte aligned, `data_size` bytes).
    #[inline(always)]
    pub(crate) fn data_ptr(&self, id: u32) -> *const u8 {
        debug_assert!((id as usize) < self.capacity);
        // In bounds: id < capacity, so the slot and its data words are inside level0.
        self.level0
            .as_ptr()
            .wrapping_add(id as usize * self.layout.stride + self.layout.data_word)
            .cast()
    }

    /// Writes the vector of `id`.
    ///
    /// # Safety
    /// `src` must be `data_size` readable bytes. Concurrent searches may read this
    /// vector while it is written (only for updates of an existing element; a new
    /// element is not reachable yet) and then see a mix of old and new components,
    /// as in hnswlib; the bytes are plain numbers, so no invalid value can result.
    pub(crate) unsafe fn write_data(&self, id: u32, src: &[u8]) {
        debug_assert_eq!(src.len(), self.layout.data_size);
        let dst = self.data_ptr(id) as *mut u8;
        // SAFETY: dst is inside this slot's data words (data_size bytes fit by construction
        // of the stride) and src has data_size bytes; the regions cannot overlap because
        // src is a caller buffer, not index storage.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) }
    }

    /// Prefetches the vector of `id` into the cache: all its cache lines up to 8 (one
    /// line, as hnswlib does, leaves the kernel waiting on the rest).
    #[inline(always)]
    pub(crate) fn prefetch_data(&self, id: u32) {
        let p = self.data_ptr(id);
        // Every line the vector may touch (it need not start on a line), up to 8.
        let lines = self.layout.data_size.div_ceil(64).min(8);
        for i in 0..=lines {
            prefetch(p.wrapping_add(64 * i));
        }
    }

    /// Prefetches the level-0 neighbour list of `id`.
    #[inline(always)]
    pub(crate) fn prefetch_links(&self, id: u32) {
        prefetch(
            self.level0
                .as_ptr()
                .wrapping_add(id as usize * self.layout.stride),
        );
    }

    #[inline(always)]
    pub(crate) fn label(&self, id: u32) -> u64 {
        self.labels[id as usize].load(Ordering::Relaxed)
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
            let start = (level - 1) * self.layout.upper_list_words;
            Links {
                header: &block[start],
                ids: &block[start + 1..start + self.layout.upper_list_words],
            }
        }
    }

    /// The upper-level block of `id` (empty for level-0 elements).
    pub(crate) fn upper_block(&self, id: u32) -> &[AtomicU32] {
        let p = self.upper[id as usize].load(Ordering::Acquire);
        if p.is_null() {
            return &[];
        }
        let len = self.level(id) * self.layout.upper_list_words;
        // SAFETY: a non-null pointer was created by `init_element` from a boxed slice of
        // exactly level·upper_list_words atomics, and the element's level never changes
        // while the block lives (it is freed only in Drop or replaced by init_element on
        // a fresh slot under exclusive access).
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    /// Initialises a freshly reserved slot: zeroed links, label, level and its upper block.
    /// The element is not reachable yet, so nobody reads it concurrently.
    pub(crate) fn init_element(&self, id: u32, label: u64, level: usize) -> Result<()> {
        for w in self.slot(id)[..self.layout.data_word].iter() {
            w.store(0, Ordering::Relaxed);
        }
        self.set_meta(id, label, level)
    }

    /// Sets label and level and allocates the zeroed upper block of a slot that has none.
    fn set_meta(&self, id: u32, label: u64, level: usize) -> Result<()> {
        self.labels[id as usize].store(label, Ordering::Relaxed);
        let level_u8 = u8::try_from(level)
            .map_err(|_| Error::corrupt(format!("element level {level} is too large")))?;
        let block: *mut AtomicU32 = if level > 0 {
            let b: Box<[AtomicU32]> =
                zeroed_slice(level * self.layout.upper_list_words, "upper links")?;
            Box::into_raw(b).cast()
        } else {
            ptr::null_mut()
        };
        self.levels[id as usize].store(level_u8, Ordering::Relaxed);
        let old = self.upper[id as usize].swap(block, Ordering::Release);
        debug_assert!(old.is_null());
        Ok(())
    }

    /// Raw words of the level-0 slot (for save/load).
    pub(crate) fn slot_words(&self, id: u32) -> &[AtomicU32] {
        self.slot(id)
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        for i in 0..self.capacity {
            let p = *self.upper[i].get_mut();
            if !p.is_null() {
                let len = *self.levels[i].get_mut() as usize * self.layout.upper_list_words;
                // SAFETY: p came from Box::into_raw of a boxed slice of exactly `len`
                // atomics (init_element), and is freed once: we own it exclusively here.
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

/// Hints the CPU to load the cache line at `p`.
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

/// Access used by the file reader, which fills a fresh storage single-threaded.
impl Storage {
    /// Sets word `i` of the level-0 slot of `id` (header and links; not the vector).
    pub(crate) fn load_slot_word(&self, id: u32, i: usize, word: u32) {
        self.slot(id)[i].store(word, Ordering::Relaxed);
    }

    /// Sets the label and level of `id` and gives it an upper block with these words.
    pub(crate) fn load_meta(&self, id: u32, label: u64, level: usize, upper: &[u32]) -> Result<()> {
        self.set_meta(id, label, level)?;
        for (dst, &w) in self.upper_block(id).iter().zip(upper) {
            dst.store(w, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Storage {
    /// The stored count of a list, unclamped (for validation).
    pub(crate) fn links_raw_count(&self, id: u32, level: usize) -> usize {
        let header = if level == 0 {
            &self.slot(id)[0]
        } else {
            &self.upper_block(id)[(level - 1) * self.layout.upper_list_words]
        };
        (header.load(Ordering::Relaxed) & COUNT_MASK) as usize
    }
}
