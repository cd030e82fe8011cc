//! Running a batch over rows on a rayon pool of the requested size.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::options::Progress;

/// Resolves hnswlib's thread convention: 0 or negative means all cores.
pub fn resolve_threads(num_threads: isize) -> usize {
    if num_threads <= 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        num_threads as usize
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

    let worker = || {
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
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::invalid(format!("cannot start {threads} threads: {e}")))?;
        pool.broadcast(|_| worker());
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
