//! Running a batch over rows on a pool of the requested size.
//!
//! Batches run on private rayon pools that live for the whole process, one per thread
//! count asked for (starting a pool costs about 100 µs, which dominated small batches).
//! The caller waits without running other work. A batch started from inside any rayon
//! worker (a progress or filter callback, or the caller's own rayon code) runs on
//! scoped OS threads instead: a rayon worker that waits runs other queued jobs, and a
//! job that needed a lock the waiting batch holds would never finish.
//!
//! The workers count as holding the index locks their caller holds (see the `lock`
//! module), so a callback they run may read the index without queueing behind a
//! writer that waits for the caller, and an exclusive call from it fails instead of
//! deadlocking.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::lock::{Held, Inherit};
use crate::options::Progress;

/// Resolves hnswlib's thread convention: 0 or negative means all cores.
pub fn resolve_threads(num_threads: isize) -> usize {
    if num_threads <= 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        num_threads as usize
    }
}

/// At most this many pools are kept; other thread counts get a pool per call.
const KEPT_POOLS: usize = 8;

/// A pool of `threads` threads: kept for the process when it is one of the first
/// [`KEPT_POOLS`] sizes asked for.
fn pool(threads: usize) -> Result<PoolRef> {
    // With the id of the process that started them: a forked child (R's mclapply,
    // Python's multiprocessing) inherits the pools but not their threads, and would
    // wait forever for work queued on them; it starts its own.
    static POOLS: Mutex<(u32, Vec<(usize, &'static rayon::ThreadPool)>)> =
        Mutex::new((0, Vec::new()));
    let build = || {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("hnswlib-{i}"))
            .build()
            .map_err(|e| Error::invalid(format!("cannot start {threads} threads: {e}")))
    };
    let mut guard = POOLS.lock();
    let (owner, pools) = &mut *guard;
    if *owner != std::process::id() {
        // Leaked like every kept pool; in a child their threads do not exist.
        pools.clear();
        *owner = std::process::id();
    }
    if let Some(&(_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(PoolRef::Kept(p));
    }
    if pools.len() >= KEPT_POOLS {
        return Ok(PoolRef::Owned(build()?));
    }
    // Leaked on purpose: kept pools live as long as the process.
    let p: &'static rayon::ThreadPool = Box::leak(Box::new(build()?));
    pools.push((threads, p));
    Ok(PoolRef::Kept(p))
}

enum PoolRef {
    Kept(&'static rayon::ThreadPool),
    Owned(rayon::ThreadPool),
}

impl std::ops::Deref for PoolRef {
    type Target = rayon::ThreadPool;
    fn deref(&self) -> &rayon::ThreadPool {
        match self {
            PoolRef::Kept(p) => p,
            PoolRef::Owned(p) => p,
        }
    }
}

/// Calls `work(row)` for every row in `0..rows` on up to `num_threads` threads.
///
/// The first error stops the other threads from starting new rows and is returned;
/// rows already done stay done. `progress(done, rows)` is called from the worker
/// threads every `rows / 100` rows or so; returning false cancels with
/// [`Error::Cancelled`]. Small batches (at most 4 rows per thread, as hnswlib) run
/// on the calling thread.
pub fn for_each_row(
    rows: usize,
    num_threads: isize,
    progress: Option<Progress<'_>>,
    work: impl Fn(usize) -> Result<()> + Sync,
) -> Result<()> {
    let threads = resolve_threads(num_threads).min(rows.max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let report_every = (rows / 100).clamp(1, 10_000);
    let held = Held::by_this_thread();

    let worker = || {
        let _held = Inherit::new(&held);
        while !stop.load(Ordering::Relaxed) {
            let row = next.fetch_add(1, Ordering::Relaxed);
            if row >= rows {
                break;
            }
            if let Err(e) = work(row) {
                stop.store(true, Ordering::Relaxed);
                first_error.lock().get_or_insert(e);
                break;
            }
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = progress {
                if (d.is_multiple_of(report_every) || d == rows) && !p(d, rows) {
                    stop.store(true, Ordering::Relaxed);
                    first_error.lock().get_or_insert(Error::Cancelled {
                        done: d,
                        total: rows,
                    });
                }
            }
        }
    };

    if threads <= 1 || rows <= threads * 4 {
        worker();
    } else if rayon::current_thread_index().is_some() {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(worker);
            }
            worker();
        });
    } else {
        pool(threads)?.scope(|s| {
            for _ in 0..threads {
                s.spawn(|_| worker());
            }
        });
    }
    match first_error.into_inner() {
        Some(Error::Cancelled { total, .. }) => Err(Error::Cancelled {
            done: done.load(Ordering::Relaxed),
            total,
        }),
        Some(e) => Err(e),
        None => Ok(()),
    }
}
