//! Index handles: Java holds a number, never a pointer.
//!
//! Every index lives in one process-wide table under a 64-bit id that is never
//! reused. A native method looks the id up and clones the `Arc` of the entry for
//! the duration of the call; `close` removes the id from the table. So:
//!
//! * a call on a closed index finds no entry and throws `IllegalStateException`;
//! * `close` while other threads are inside calls on the index only removes the
//!   entry: the index is dropped when the last running call finishes;
//! * a stale or forged id can only miss, never reach freed memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use hnswlib_core::{BruteForceIndex, HnswIndex};
use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use crate::fail::{Fail, Res};
use crate::upcalls::{check_not_reentered, JavaDistance};

/// The two index types behind one handle type.
// Each lives once, in an Arc'd entry: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Index {
    /// An HNSW index.
    Hnsw(HnswIndex),
    /// An exact index.
    Brute(BruteForceIndex),
}

/// One open index.
pub struct Entry {
    /// Its id.
    pub id: u64,
    /// The index.
    pub index: Index,
    /// The Java distance of a custom space, if any.
    pub distance: Option<Arc<JavaDistance>>,
}

impl Entry {
    /// The HNSW index, or an error for a brute-force handle.
    pub fn hnsw(&self) -> Res<&HnswIndex> {
        match &self.index {
            Index::Hnsw(h) => Ok(h),
            Index::Brute(_) => Err(Fail::State("not an HNSW index".into())),
        }
    }

    /// The brute-force index, or an error for an HNSW handle.
    pub fn brute(&self) -> Res<&BruteForceIndex> {
        match &self.index {
            Index::Brute(b) => Ok(b),
            Index::Hnsw(_) => Err(Fail::State("not a brute-force index".into())),
        }
    }

    /// `result`, unless the Java distance threw during the call: then that exception.
    pub fn checked<T>(&self, result: Res<T>) -> Res<T> {
        match self.distance.as_ref().and_then(|d| d.take_failure()) {
            Some(f) => Err(f),
            None => result,
        }
    }
}

type Table = FxHashMap<u64, Arc<Entry>>;

static TABLE: LazyLock<RwLock<Table>> = LazyLock::new(|| RwLock::new(Table::default()));
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Adds an index to the table and returns its id.
pub fn register(index: Index, distance: Option<Arc<JavaDistance>>) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if let Some(d) = &distance {
        d.set_index(id);
    }
    TABLE.write().insert(
        id,
        Arc::new(Entry {
            id,
            index,
            distance,
        }),
    );
    id
}

/// The open index `id`.
pub fn get(id: i64) -> Res<Arc<Entry>> {
    let id = id as u64;
    check_not_reentered(id)?;
    TABLE
        .read()
        .get(&id)
        .cloned()
        .ok_or_else(|| Fail::State("the index is closed".into()))
}

/// Removes index `id` from the table (a no-op when already removed). The index
/// itself is dropped when no running call holds it any more.
pub fn remove(id: i64) {
    let entry = TABLE.write().remove(&(id as u64));
    drop(entry);
}
