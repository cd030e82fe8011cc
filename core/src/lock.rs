//! The lock of an index: shared for adds, updates, deletes and searches, exclusive
//! for resize, save and the like.
//!
//! Two things it adds to a plain read-write lock:
//!
//! * Writers are not starved. A new reader queues behind a waiting writer
//!   (parking_lot's fair `read`), so a resize or save under steady query load waits
//!   only for the operations that were running when it arrived.
//! * Callbacks may call back into their index. A thread that already holds the index
//!   (or works for one that does, as the workers of a batch do) reads it again
//!   without queueing: queued behind a writer, the nested read would wait for the
//!   writer, which waits for the outer read. An exclusive call from such a thread
//!   would wait for itself; it fails with [`Error::Reentered`] instead.
//!
//! What a thread holds is a thread-local list of lock addresses; a batch's workers
//! inherit their caller's list for the batch ([`Inherit`], used by `parallel`).

use std::cell::RefCell;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{Error, Result};

thread_local! {
    /// Addresses of the index locks this thread holds, or works under, innermost last.
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn holds(key: usize) -> bool {
    HELD.with(|h| h.borrow().contains(&key))
}

fn push(key: usize) {
    HELD.with(|h| h.borrow_mut().push(key));
}

fn pop(key: usize) {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if let Some(i) = h.iter().rposition(|&k| k == key) {
            h.remove(i);
        }
    });
}

/// An index's read-write lock (see the module docs).
pub(crate) struct IndexLock<T> {
    inner: RwLock<T>,
}

impl<T> IndexLock<T> {
    pub(crate) fn new(value: T) -> Self {
        IndexLock {
            inner: RwLock::new(value),
        }
    }

    fn key(&self) -> usize {
        &self.inner as *const RwLock<T> as usize
    }

    /// Shared access: queues behind waiting writers unless this thread already holds
    /// the lock.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        let key = self.key();
        let guard = if holds(key) {
            self.inner.read_recursive()
        } else {
            self.inner.read()
        };
        push(key);
        Guard { guard, key }
    }

    /// Exclusive access for `operation` (named in the error); fails when this thread
    /// holds the lock already (a callback of the index calling back into it).
    pub(crate) fn write(&self, operation: &'static str) -> Result<WriteGuard<'_, T>> {
        let key = self.key();
        if holds(key) {
            return Err(Error::Reentered(operation));
        }
        let guard = self.inner.write();
        push(key);
        Ok(Guard { guard, key })
    }
}

/// Access to an index (a parking_lot guard); the thread counts as holding the index
/// until the drop.
pub(crate) struct Guard<G> {
    guard: G,
    key: usize,
}

/// Shared access to an index.
pub(crate) type ReadGuard<'a, T> = Guard<RwLockReadGuard<'a, T>>;

/// Exclusive access to an index.
pub(crate) type WriteGuard<'a, T> = Guard<RwLockWriteGuard<'a, T>>;

impl<G: std::ops::Deref> std::ops::Deref for Guard<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: std::ops::DerefMut> std::ops::DerefMut for Guard<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

impl<G> Drop for Guard<G> {
    fn drop(&mut self) {
        pop(self.key);
    }
}

/// The locks the calling thread holds, for workers that run on its behalf.
#[derive(Clone, Default)]
pub(crate) struct Held(Vec<usize>);

impl Held {
    pub(crate) fn by_this_thread() -> Self {
        Held(HELD.with(|h| h.borrow().clone()))
    }
}

/// While alive, the current thread counts as holding what another thread held (a
/// batch worker, for the thread that started the batch).
pub(crate) struct Inherit<'a>(&'a Held);

impl<'a> Inherit<'a> {
    pub(crate) fn new(held: &'a Held) -> Self {
        HELD.with(|h| h.borrow_mut().extend_from_slice(&held.0));
        Inherit(held)
    }
}

impl Drop for Inherit<'_> {
    fn drop(&mut self) {
        for &k in self.0 .0.iter().rev() {
            pop(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_reads_and_refused_writes() {
        let lock = IndexLock::new(1);
        {
            let _a = lock.read();
            let b = lock.read();
            assert_eq!(*b, 1);
            assert!(matches!(
                lock.write("resize"),
                Err(Error::Reentered("resize"))
            ));
        }
        *lock.write("resize").unwrap() = 2;
        assert_eq!(*lock.read(), 2);
        let held = {
            let _g = lock.read();
            Held::by_this_thread()
        };
        std::thread::scope(|s| {
            s.spawn(|| {
                let _i = Inherit::new(&held);
                assert!(lock.write("save").is_err());
            });
        });
        // The inherited mark ends with the worker's guard, and the outer read ended.
        assert!(lock.write("save").is_ok());
    }
}
