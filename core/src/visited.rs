//! Visited sets for graph searches, pooled so a search allocates nothing.
//!
//! Like hnswlib: a `u16` tag per element and a current tag; "clearing" bumps the tag,
//! and only when it wraps is the array zeroed.

use parking_lot::Mutex;

pub(crate) struct VisitedList {
    tags: Box<[u16]>,
    current: u16,
}

impl VisitedList {
    fn new(capacity: usize) -> Self {
        VisitedList {
            tags: vec![0u16; capacity].into_boxed_slice(),
            current: 0,
        }
    }

    fn reset(&mut self) {
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            self.tags.fill(0);
            self.current = 1;
        }
    }

    /// Marks `id`; returns true if it was not yet visited.
    #[inline(always)]
    pub(crate) fn insert(&mut self, id: u32) -> bool {
        let slot = &mut self.tags[id as usize];
        if *slot == self.current {
            false
        } else {
            *slot = self.current;
            true
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.tags[id as usize] == self.current
    }
}

/// A pool of visited lists sized for one capacity.
pub(crate) struct VisitedPool {
    capacity: usize,
    free: Mutex<Vec<VisitedList>>,
}

impl VisitedPool {
    pub(crate) fn new(capacity: usize) -> Self {
        VisitedPool {
            capacity,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Takes a cleared list; it goes back to the pool when the guard drops.
    pub(crate) fn get(&self) -> VisitedGuard<'_> {
        let mut list = self
            .free
            .lock()
            .pop()
            .unwrap_or_else(|| VisitedList::new(self.capacity));
        list.reset();
        VisitedGuard {
            pool: self,
            list: Some(list),
        }
    }
}

pub(crate) struct VisitedGuard<'a> {
    pool: &'a VisitedPool,
    list: Option<VisitedList>,
}

impl std::ops::Deref for VisitedGuard<'_> {
    type Target = VisitedList;
    fn deref(&self) -> &VisitedList {
        self.list.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for VisitedGuard<'_> {
    fn deref_mut(&mut self) -> &mut VisitedList {
        self.list.as_mut().expect("present until drop")
    }
}

impl Drop for VisitedGuard<'_> {
    fn drop(&mut self) {
        if let Some(list) = self.list.take() {
            self.pool.free.lock().push(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_reset_and_wrap() {
        let pool = VisitedPool::new(4);
        for _ in 0..70_000 {
            let mut v = pool.get();
            assert!(v.insert(3));
            assert!(!v.insert(3));
            assert!(v.contains(3));
            assert!(!v.contains(2));
        }
    }
}
