//! Which slot holds which label, and which slots are deleted or free for reuse.
//!
//! All of it changes together under one lock, so a slot's label, its deleted flag
//! (in the storage, where searches read it), the deleted count and the free list
//! never disagree: a call on a label that is looking up its slot cannot act on the
//! slot after a replacement has given it to another label, because giving a slot
//! away (claiming it from the free list and filing it under its new label) is one
//! step under the lock. Calls on the same label are serialised by the index's label
//! locks; this module keeps calls on different labels from racing for one slot.
//!
//! The map's table holds element ids alone, hashed and compared through the labels
//! in the storage (one per element, as searches report them): 5 bytes a bucket where
//! a map of (label, id) pairs takes 17, about 4% of a GloVe-sized index. So an
//! element's label is written before it is filed, and changed only while unfiled.

use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use hashbrown::hash_table::{Entry, HashTable};
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use rustc_hash::{FxHashSet, FxHasher};

use super::graph::Storage;
use crate::error::{Error, Result};

/// The label → element map.
#[derive(Default)]
struct LabelMap {
    table: HashTable<u32>,
}

fn hash(label: u64) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(label);
    h.finish()
}

impl LabelMap {
    #[inline]
    fn get(&self, label: u64, s: &Storage) -> Option<u32> {
        self.table
            .find(hash(label), |&id| s.label(id) == label)
            .copied()
    }

    /// Files element `id` under `label` (its label in `s`), replacing the element filed
    /// under it before, if any.
    fn insert(&mut self, label: u64, id: u32, s: &Storage) {
        debug_assert_eq!(s.label(id), label);
        match self.table.entry(
            hash(label),
            |&other| s.label(other) == label,
            |&other| hash(s.label(other)),
        ) {
            Entry::Occupied(mut e) => *e.get_mut() = id,
            Entry::Vacant(e) => {
                e.insert(id);
            }
        }
    }

    /// Unfiles element `id` from `label` (its current label), if it is filed there.
    fn remove(&mut self, label: u64, id: u32) {
        if let Ok(e) = self.table.find_entry(hash(label), |&other| other == id) {
            e.remove();
        }
    }
}

struct Inner {
    map: LabelMap,
    /// Deleted slots available for replacement (only with allow_replace_deleted).
    free: FxHashSet<u32>,
}

/// What an add does with the slot of its label.
pub(crate) enum AddSlot {
    /// The label's live element: update its vector.
    Update(u32),
    /// The label's deleted element, taken off the free list: update its vector, then
    /// [`Slots::revive`] it.
    Revive(u32),
    /// A deleted slot of another label, now filed under this one and still marked
    /// deleted: write the vector, then [`Slots::revive`] it.
    Replace(u32),
    /// A fresh slot, filed under the label: link it in.
    New(u32),
    /// The index may hold more elements, but every allocated slot is taken: grow
    /// the storage ([`super::Graph::grow_to`]) and add again.
    NoRoom,
}

/// The label map, the free slots and the deleted count of a graph.
pub(crate) struct Slots {
    inner: RwLock<Inner>,
    deleted: AtomicUsize,
    /// Set while the elements are not filed in the map yet ([`Slots::load_view`]).
    unfiled: AtomicBool,
    /// Counts the slots given to another label (searches check it; see `search`).
    relabels: AtomicU64,
    allow_replace: bool,
}

impl Slots {
    pub(crate) fn new(allow_replace: bool) -> Self {
        Slots {
            inner: RwLock::new(Inner {
                map: LabelMap::default(),
                free: FxHashSet::default(),
            }),
            deleted: AtomicUsize::new(0),
            unfiled: AtomicBool::new(false),
            relabels: AtomicU64::new(0),
            allow_replace,
        }
    }

    /// Whether deleted slots may be given to new labels.
    pub(crate) fn allow_replace(&self) -> bool {
        self.allow_replace
    }

    /// Elements marked deleted.
    #[inline(always)]
    pub(crate) fn deleted_count(&self) -> usize {
        self.deleted.load(Ordering::Acquire)
    }

    /// How many times a slot was given to another label so far. A search that reads
    /// its results' labels after it ran sees each element's label at the time it was
    /// scored when this has not changed in between: it is incremented before the
    /// label is written (and labels are read with acquire).
    #[inline(always)]
    pub(crate) fn relabels(&self) -> u64 {
        self.relabels.load(Ordering::Acquire)
    }

    /// Runs `f` with the element filed under `label`, which keeps that label while
    /// `f` runs.
    pub(crate) fn with_id<R>(
        &self,
        label: u64,
        s: &Storage,
        f: impl FnOnce(u32) -> R,
    ) -> Result<R> {
        let inner = self.read(s);
        let id = inner.map.get(label, s).ok_or(Error::LabelNotFound(label))?;
        Ok(f(id))
    }

    /// Runs `f` while no label is filed, moved or given a slot (the map held shared).
    pub(crate) fn frozen<R>(&self, s: &Storage, f: impl FnOnce() -> R) -> R {
        let _inner = self.read(s);
        f()
    }

    /// Whether `label` is filed.
    pub(crate) fn contains(&self, label: u64, s: &Storage) -> bool {
        self.read(s).map.get(label, s).is_some()
    }

    /// Every filed label, in no particular order.
    pub(crate) fn labels(&self, s: &Storage) -> Vec<u64> {
        self.read(s)
            .map
            .table
            .iter()
            .map(|&id| s.label(id))
            .collect()
    }

    /// Deleted slots available for new labels.
    pub(crate) fn free_count(&self) -> usize {
        self.inner.read().free.len()
    }

    /// How many distinct labels of `labels` are not filed.
    pub(crate) fn count_new(&self, labels: impl Iterator<Item = u64>, s: &Storage) -> usize {
        let inner = self.read(s);
        let mut fresh = FxHashSet::default();
        for l in labels {
            if inner.map.get(l, s).is_none() {
                fresh.insert(l);
            }
        }
        fresh.len()
    }

    /// Makes room for `additional` more labels without growing on the way.
    pub(crate) fn reserve(&self, additional: usize, s: &Storage) {
        self.write(s)
            .map
            .table
            .reserve(additional, |&id| hash(s.label(id)));
    }

    /// Decides what an add of `label` does and claims the slot (hnswlib's first steps
    /// of `addPoint`). The caller holds the label's lock.
    pub(crate) fn slot_for_add(&self, label: u64, s: &Storage, replace: bool) -> Result<AddSlot> {
        // A live element, by far the most common case of an existing label, needs no
        // exclusive lock: it cannot be deleted or given away without its label's lock.
        if let Some(id) = self.read(s).map.get(label, s) {
            if !s.is_deleted(id) {
                return Ok(AddSlot::Update(id));
            }
        }
        let mut inner = self.write(s);
        if let Some(id) = inner.map.get(label, s) {
            if !s.is_deleted(id) {
                return Ok(AddSlot::Update(id));
            }
            if !self.allow_replace {
                return Ok(AddSlot::Revive(id));
            }
            if !replace {
                return Err(Error::UpdateDeletedWithReplace(label));
            }
            inner.free.remove(&id);
            return Ok(AddSlot::Revive(id));
        }
        if replace {
            if let Some(&id) = inner.free.iter().next() {
                inner.free.remove(&id);
                let old = s.label(id);
                inner.map.remove(old, id);
                // Before the label changes: see `relabels`.
                self.relabels.fetch_add(1, Ordering::AcqRel);
                s.set_label(id, label);
                inner.map.insert(label, id, s);
                return Ok(AddSlot::Replace(id));
            }
        }
        let n = s.len();
        if n >= s.max_elements {
            return Err(Error::CapacityExceeded {
                max_elements: s.max_elements,
            });
        }
        if n >= s.capacity {
            return Ok(AddSlot::NoRoom);
        }
        let id = n as u32;
        s.count.store(n + 1, Ordering::Release);
        s.set_label(id, label);
        inner.map.insert(label, id, s);
        Ok(AddSlot::New(id))
    }

    /// Clears the deleted mark of a slot that [`Slots::slot_for_add`] returned as
    /// `Revive` or `Replace`, once its vector is written.
    pub(crate) fn revive(&self, id: u32, s: &Storage) {
        if s.unmark_deleted(id) {
            self.deleted.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Marks `label` deleted (its slot becomes free for replacement when allowed).
    pub(crate) fn mark_deleted(&self, label: u64, s: &Storage) -> Result<()> {
        let mut inner = self.write(s);
        let id = inner.map.get(label, s).ok_or(Error::LabelNotFound(label))?;
        if !s.mark_deleted(id) {
            return Err(Error::AlreadyDeleted(label));
        }
        self.deleted.fetch_add(1, Ordering::AcqRel);
        if self.allow_replace {
            inner.free.insert(id);
        }
        Ok(())
    }

    /// Undoes [`Slots::mark_deleted`].
    pub(crate) fn unmark_deleted(&self, label: u64, s: &Storage) -> Result<()> {
        let mut inner = self.write(s);
        let id = inner.map.get(label, s).ok_or(Error::LabelNotFound(label))?;
        if !s.is_deleted(id) {
            return Err(Error::NotDeleted(label));
        }
        inner.free.remove(&id);
        self.revive(id, s);
        Ok(())
    }

    /// Files the `n` elements of a loaded graph (under their labels in `s`); deleted
    /// ones count, and are free when replacement is allowed.
    pub(crate) fn load(&mut self, n: usize, s: &Storage) -> Result<()> {
        let inner = self.inner.get_mut();
        // Fallible: the label count comes from a file.
        inner
            .map
            .table
            .try_reserve(n, |&id| hash(s.label(id)))
            .map_err(|_| {
                Error::OutOfMemory(format!("cannot allocate a label map of {n} labels"))
            })?;
        let mut deleted = 0;
        for id in 0..n as u32 {
            // A label stored twice (an hnswlib replace bug) maps to its last slot, as in hnswlib.
            inner.map.insert(s.label(id), id, s);
            if s.is_deleted(id) {
                deleted += 1;
                if self.allow_replace {
                    inner.free.insert(id);
                }
            }
        }
        *self.deleted.get_mut() = deleted;
        Ok(())
    }

    /// The elements of a read-only view: `deleted` of them are deleted (the slots are
    /// not read), and the labels (in the storage) are filed on first use, since a
    /// view opens without reading more than it must.
    pub(crate) fn load_view(&mut self, deleted: usize) {
        *self.deleted.get_mut() = deleted;
        *self.unfiled.get_mut() = true;
    }

    /// The map, every element filed.
    fn read(&self, s: &Storage) -> RwLockReadGuard<'_, Inner> {
        if self.unfiled.load(Ordering::Acquire) {
            drop(self.write(s));
        }
        self.inner.read()
    }

    /// The map for changes, every element filed.
    fn write(&self, s: &Storage) -> RwLockWriteGuard<'_, Inner> {
        let mut inner = self.inner.write();
        if self.unfiled.load(Ordering::Acquire) {
            let n = s.len();
            inner.map.table.reserve(n, |&id| hash(s.label(id)));
            for id in 0..n as u32 {
                // A label stored twice maps to its last slot, as when loading.
                inner.map.insert(s.label(id), id, s);
            }
            self.unfiled.store(false, Ordering::Release);
        }
        inner
    }
}
