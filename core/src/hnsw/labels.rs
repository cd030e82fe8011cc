//! The label → element map.
//!
//! The labels themselves live in the storage (one per element, as searches report
//! them), so the map's table holds element ids alone, hashed and compared through the
//! storage's labels: 5 bytes a bucket where a map of (label, id) pairs takes 17, about
//! 4% of a GloVe-sized index. Callers keep the storage's label of every id in the table
//! equal to the label it is filed under: they write an element's label before filing
//! it, and change a filed element's label only by removing it first.

use std::hash::Hasher;

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::FxHasher;

use super::graph::Storage;
use crate::error::{Error, Result};

#[derive(Default)]
pub(crate) struct LabelMap {
    table: HashTable<u32>,
}

fn hash(label: u64) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(label);
    h.finish()
}

impl LabelMap {
    /// The element filed under `label`.
    #[inline]
    pub(crate) fn get(&self, label: u64, s: &Storage) -> Option<u32> {
        self.table
            .find(hash(label), |&id| s.label(id) == label)
            .copied()
    }

    /// Whether `label` is filed.
    pub(crate) fn contains(&self, label: u64, s: &Storage) -> bool {
        self.get(label, s).is_some()
    }

    /// Files element `id` under `label` (its label in `s`), replacing the element filed
    /// under it before, if any.
    pub(crate) fn insert(&mut self, label: u64, id: u32, s: &Storage) {
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
    pub(crate) fn remove(&mut self, label: u64, id: u32) {
        if let Ok(e) = self.table.find_entry(hash(label), |&other| other == id) {
            e.remove();
        }
    }

    /// Makes room for `additional` more labels without growing on the way.
    pub(crate) fn reserve(&mut self, additional: usize, s: &Storage) {
        self.table.reserve(additional, |&id| hash(s.label(id)));
    }

    /// [`LabelMap::reserve`], failing with an error instead of aborting.
    pub(crate) fn try_reserve(&mut self, additional: usize, s: &Storage) -> Result<()> {
        self.table
            .try_reserve(additional, |&id| hash(s.label(id)))
            .map_err(|_| {
                Error::OutOfMemory(format!(
                    "cannot allocate a label map of {additional} labels"
                ))
            })
    }

    /// Every filed label, in no particular order.
    pub(crate) fn labels<'a>(&'a self, s: &'a Storage) -> impl Iterator<Item = u64> + 'a {
        self.table.iter().map(|&id| s.label(id))
    }
}
