//! Visited sets and scratch buffers for graph searches, pooled so a search allocates
//! nothing.
//!
//! A visited set is a bitset over element ids: one bit per element (hnswlib keeps a
//! u16 tag per element), so even a 10M-element index has a 1.25 MB set that stays in
//! the L2 cache, where a tag array would be 20 MB. Clearing for the next search
//! zeroes only the words the search touched, which it remembers.

use parking_lot::Mutex;

use crate::error::{Error, Result};

pub(crate) struct VisitedList {
    words: Box<[u64]>,
    /// Indexes of the words set since the last reset.
    touched: Vec<u32>,
}

impl VisitedList {
    /// A set for ids below `capacity`; an allocation failure is an error, not an abort
    /// (searches of an index too large for the memory left fail cleanly).
    fn new(capacity: usize) -> Result<Self> {
        let n = capacity.div_ceil(64);
        let mut words = Vec::new();
        words.try_reserve_exact(n).map_err(|_| {
            Error::OutOfMemory(format!(
                "cannot allocate a visited set for {capacity} elements ({} bytes)",
                n * 8
            ))
        })?;
        words.resize(n, 0u64);
        Ok(VisitedList {
            words: words.into_boxed_slice(),
            touched: Vec::new(),
        })
    }

    fn reset(&mut self) {
        if self.touched.len() > self.words.len() / 8 {
            self.words.fill(0);
        } else {
            for &w in &self.touched {
                self.words[w as usize] = 0;
            }
        }
        self.touched.clear();
    }

    /// Marks `id`; returns true if it was not yet visited.
    #[inline(always)]
    pub(crate) fn insert(&mut self, id: u32) -> bool {
        let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
        let word = &mut self.words[w];
        if *word & bit != 0 {
            return false;
        }
        if *word == 0 {
            self.touched.push(w as u32);
        }
        *word |= bit;
        true
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.words[id as usize / 64] & (1 << (id % 64)) != 0
    }
}

/// Everything one search needs besides the index: the visited set and the candidate
/// buffers, reused from search to search.
pub(crate) struct Scratch {
    pub visited: VisitedList,
    /// The query-time candidate pool (see `hnsw::pool`).
    pub pool: Vec<(f32, u32)>,
    /// Unvisited neighbours of the element being expanded.
    pub fresh: Vec<u32>,
    /// (element, label) of the results a search accepted (see `hnsw::search::Knn`).
    pub noted: Vec<(u32, u64)>,
}

/// A pool of scratch buffers sized for one capacity (the storage's allocated slots).
pub(crate) struct ScratchPool {
    capacity: usize,
    free: Mutex<Vec<Scratch>>,
}

impl Scratch {
    fn new(capacity: usize) -> Result<Self> {
        Ok(Scratch {
            visited: VisitedList::new(capacity)?,
            pool: Vec::new(),
            fresh: Vec::new(),
            noted: Vec::new(),
        })
    }
}

impl ScratchPool {
    /// A pool holding one set of buffers already, so that the first search does not
    /// fail for lack of memory when making the pool did not.
    pub(crate) fn new(capacity: usize) -> Result<Self> {
        Ok(ScratchPool {
            capacity,
            free: Mutex::new(vec![Scratch::new(capacity)?]),
        })
    }

    /// Takes cleared buffers; they go back to the pool when the guard drops.
    /// Searches use this; an allocation failure is an error.
    pub(crate) fn try_get(&self) -> Result<ScratchGuard<'_>> {
        let pooled = self.free.lock().pop();
        let scratch = match pooled {
            Some(s) => s,
            None => Scratch::new(self.capacity)?,
        };
        Ok(ScratchGuard {
            pool: self,
            scratch: Some(scratch),
        })
    }

    /// [`ScratchPool::try_get`] for inserts, whose linking cannot return an error
    /// half-way (it panics instead, which inserts survive as they survive a panicking
    /// custom distance): the set is no larger than the storage's slots, allocated
    /// already, so only a process out of memory gets here.
    pub(crate) fn get(&self) -> ScratchGuard<'_> {
        self.try_get().unwrap_or_else(|e| panic!("{e}"))
    }
}

pub(crate) struct ScratchGuard<'a> {
    pool: &'a ScratchPool,
    scratch: Option<Scratch>,
}

impl std::ops::Deref for ScratchGuard<'_> {
    type Target = Scratch;
    fn deref(&self) -> &Scratch {
        self.scratch.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for ScratchGuard<'_> {
    fn deref_mut(&mut self) -> &mut Scratch {
        self.scratch.as_mut().expect("present until drop")
    }
}

impl Drop for ScratchGuard<'_> {
    fn drop(&mut self) {
        if let Some(mut s) = self.scratch.take() {
            s.visited.reset();
            self.pool.free.lock().push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_clear_between_searches() {
        let pool = ScratchPool::new(1000).unwrap();
        for round in 0..50u32 {
            let mut s = pool.get();
            // Nothing from the previous round (ids round-1, round+6, ...) is left.
            assert!((0..1000).all(|id| !s.visited.contains(id)), "round {round}");
            for id in (round..1000).step_by(7) {
                assert!(s.visited.insert(id), "round {round} id {id}");
                assert!(!s.visited.insert(id));
            }
            assert!(s.visited.contains(round));
            assert!(!s.visited.contains(round + 1));
        }
        // Many words touched: the whole set is zeroed instead.
        let mut s = pool.get();
        for id in 0..1000 {
            s.visited.insert(id);
        }
        drop(s);
        let s = pool.get();
        assert!((0..1000).all(|id| !s.visited.contains(id)));
    }
}
