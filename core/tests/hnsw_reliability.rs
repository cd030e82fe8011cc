//! Regression tests of concurrency and file-safety defects: a label lost to a racing
//! replacement, a result labelled after its slot was replaced, a writer starved by
//! readers, a callback deadlocking on its own index, batches from rayon workers
//! against exclusive operations, and colliding or redirected temp files on save.
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use hnswlib_core::*;

const DIM: usize = 4;

/// Runs `f` on its own thread and fails the test if it does not finish within `secs`
/// (a deadlock then fails the test instead of hanging it).
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer in {secs} s (deadlock)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

fn at(x: f32) -> Vec<f32> {
    let mut v = vec![0.0; DIM];
    v[0] = x;
    v
}

fn line_index(n: u64, allow_replace_deleted: bool) -> HnswIndex {
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n as usize,
            m: 8,
            ef_construction: 50,
            allow_replace_deleted,
            ..Default::default()
        },
    )
    .unwrap();
    for l in 0..n {
        index.add(&at(l as f32), l, false).unwrap();
    }
    index
}

fn random_index(n: usize, allow_replace_deleted: bool) -> HnswIndex {
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n,
            m: 8,
            ef_construction: 40,
            allow_replace_deleted,
            ..Default::default()
        },
    )
    .unwrap();
    let data = Rng::new(7).vectors(n, DIM);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    index
}

/// Deleting (or reading) a label that is already deleted must never touch the label
/// that a concurrent replacement has just given its slot.
#[test]
fn deleted_label_operations_never_reach_the_replacing_label() {
    let n = 300u64;
    let index = Arc::new(random_index(n as usize, true));
    // The main thread deletes the oldest live label (the victim), waits a moment, and
    // gives the victim's slot (the only free one) to a fresh label, again and again.
    // The other threads keep deleting and reading the victim.
    let victim = Arc::new(AtomicU64::new(u64::MAX));
    let stop = Arc::new(AtomicBool::new(false));
    let bad = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut handles = Vec::new();
    for _ in 0..3 {
        let (index, victim, stop, bad) = (index.clone(), victim.clone(), stop.clone(), bad.clone());
        handles.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let l = victim.load(Ordering::Acquire);
                if l == u64::MAX {
                    continue;
                }
                if index.mark_deleted(l).is_ok() {
                    bad.lock()
                        .unwrap()
                        .push(format!("mark_deleted({l}) of a deleted label succeeded"));
                }
                if index.get_item::<f32>(l).is_ok() {
                    bad.lock()
                        .unwrap()
                        .push(format!("get_item({l}) of a deleted label succeeded"));
                }
            }
        }));
    }
    let mut rng = Rng::new(5);
    let mut live: std::collections::VecDeque<u64> = (0..n).collect();
    let mut next = 1_000_000u64;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && bad.lock().unwrap().is_empty() {
        let l = live.pop_front().unwrap();
        index.mark_deleted(l).unwrap();
        victim.store(l, Ordering::Release);
        // Let the other threads look the victim up, so some are between the look-up
        // and the use when its slot changes hands.
        let pause = Instant::now();
        while pause.elapsed() < Duration::from_micros(30) {
            std::hint::spin_loop();
        }
        index.add(&rng.vectors(1, DIM), next, true).unwrap();
        live.push_back(next);
        next += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let bad = bad.lock().unwrap();
    assert!(bad.is_empty(), "{} failures, first: {}", bad.len(), bad[0]);
    // Every label given a slot is live, and nothing is left deleted.
    for &l in &live {
        assert!(
            !index.is_deleted(l).unwrap(),
            "label {l} was deleted by a racing call"
        );
    }
    assert_eq!(index.deleted_count(), 0);
    assert_eq!(index.len(), n as usize);
}

/// A slot replaced while a search runs: the result carries the label the search
/// accepted, never the new label with the old vector's distance (filtered search:
/// the new label would also bypass the filter).
#[test]
fn filtered_search_reports_the_label_it_accepted() {
    let index = Arc::new(line_index(100, true));
    let fired = AtomicBool::new(false);
    let inner = index.clone();
    let filter = move |label: u64| {
        if label == 0 && !fired.swap(true, Ordering::SeqCst) {
            // Slot of label 0 goes to label 5000, far away.
            inner.mark_deleted(0).unwrap();
            inner.add(&at(1.0e6), 5000, true).unwrap();
        }
        label < 1000
    };
    let hits = index
        .search(
            &at(0.4),
            5,
            &SearchOptions {
                ef: Some(50),
                filter: Some(&filter),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(index.contains(5000) && !index.contains(0));
    for h in &hits {
        assert!(
            h.label < 1000,
            "label {} passed no filter: {hits:?}",
            h.label
        );
    }
}

/// The same for range and document searches (their own level-0 walk).
#[test]
fn range_and_doc_searches_report_the_labels_they_accepted() {
    for docs in [false, true] {
        let index = Arc::new(line_index(100, true));
        let fired = AtomicBool::new(false);
        let inner = index.clone();
        let filter = move |label: u64| {
            if label == 0 && !fired.swap(true, Ordering::SeqCst) {
                inner.mark_deleted(0).unwrap();
                inner.add(&at(1.0e6), 5000, true).unwrap();
            }
            label < 1000
        };
        let opts = SearchOptions {
            ef: Some(50),
            filter: Some(&filter),
            ..Default::default()
        };
        let labels: Vec<u64> = if docs {
            let doc_of = |label: u64| Some(label / 2);
            let hits = index.search_doc_hits(&at(0.4), 3, &doc_of, &opts).unwrap();
            hits.iter().map(|h| h.label).collect()
        } else {
            let hits = index.search_range(&at(0.4), 9.0, 100, &opts).unwrap();
            hits.iter().map(|h| h.label).collect()
        };
        assert!(
            index.contains(5000) && !index.contains(0),
            "the filter replaced 0"
        );
        assert!(
            labels.contains(&0),
            "label 0 was accepted before it moved: {labels:?}"
        );
        assert!(
            labels.iter().all(|&l| l < 1000),
            "docs {docs}: a label that passed no filter: {labels:?}"
        );
    }
}

/// The same without a filter, the replacement made by a custom distance in the middle
/// of the search: with no deletion (the bare search) and with one (deletions checked).
fn unfiltered_search_reports_the_label_it_accepted(with_deletion: bool) {
    type Hook = Box<dyn Fn() + Send + Sync>;
    let hook: Arc<Mutex<Option<Hook>>> = Arc::new(Mutex::new(None));
    let armed = Arc::new(AtomicBool::new(false));
    let seen_zero = Arc::new(AtomicBool::new(false));
    let (h2, a2, s2) = (hook.clone(), armed.clone(), seen_zero.clone());
    let dist = move |a: &[u8], b: &[u8]| -> f32 {
        let fa: &[f32] = bytemuck_cast(a);
        let fb: &[f32] = bytemuck_cast(b);
        if a2.load(Ordering::SeqCst) {
            if s2.load(Ordering::SeqCst) {
                // Once label 0's element has been scored, replace it.
                a2.store(false, Ordering::SeqCst);
                let h = h2.lock().unwrap().take();
                if let Some(h) = h {
                    h();
                }
            } else if fa[0] == 0.0 || fb[0] == 0.0 {
                s2.store(true, Ordering::SeqCst);
            }
        }
        fa.iter().zip(fb).map(|(x, y)| (x - y) * (x - y)).sum()
    };
    let index = Arc::new(
        HnswIndex::new(
            Space::custom(4 * DIM, dist).unwrap(),
            &HnswParams {
                max_elements: 100,
                m: 8,
                ef_construction: 50,
                allow_replace_deleted: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let bytes = |v: Vec<f32>| -> Vec<u8> { v.iter().flat_map(|x| x.to_ne_bytes()).collect() };
    for l in 0..100u64 {
        index.add(&bytes(at(l as f32 + 0.5)), l, false).unwrap();
    }
    // Label 0 sits at 0.0 exactly, the only element there.
    index.mark_deleted(0).unwrap();
    index.add(&bytes(at(0.0)), 0, true).unwrap();
    if with_deletion {
        index.mark_deleted(99).unwrap();
    }
    let inner = index.clone();
    *hook.lock().unwrap() = Some(Box::new(move || {
        inner.mark_deleted(0).unwrap();
        // Takes label 0's slot (the only free one without `with_deletion`, the one
        // found first otherwise: label 99's slot may go first, then 0's).
        inner.add(&bytes(at(1.0e6)), 5000, true).unwrap();
        if with_deletion && inner.contains(0) {
            inner.add(&bytes(at(2.0e6)), 5001, true).unwrap();
        }
    }));
    armed.store(true, Ordering::SeqCst);
    let q: Vec<u8> = at(0.2).iter().flat_map(|x| x.to_ne_bytes()).collect();
    let hits = index
        .search(
            &q,
            3,
            &SearchOptions {
                ef: Some(20),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(index.contains(5000) && !index.contains(0), "the hook ran");
    for h in &hits {
        assert!(
            !(h.label >= 5000 && h.distance < 1.0),
            "label {} (at 1e6 or more) reported at distance {}: {hits:?}",
            h.label,
            h.distance
        );
    }
}

#[test]
fn bare_search_reports_the_label_it_accepted() {
    unfiltered_search_reports_the_label_it_accepted(false);
}

#[test]
fn search_with_deletions_reports_the_label_it_accepted() {
    unfiltered_search_reports_the_label_it_accepted(true);
}

fn bytemuck_cast(b: &[u8]) -> &[f32] {
    assert_eq!(b.len() % 4, 0);
    assert_eq!(b.as_ptr() as usize % 4, 0);
    // SAFETY: 4-byte aligned (asserted), a whole number of f32, any bit pattern is an f32.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), b.len() / 4) }
}

/// Searches that always overlap must not keep resize or save waiting for ever.
#[test]
fn writers_are_not_starved_by_overlapping_readers() {
    let index = Arc::new(random_index(500, false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for t in 0..4u64 {
        let (index, stop) = (index.clone(), stop.clone());
        readers.push(thread::spawn(move || {
            let mut rng = Rng::new(t);
            thread::sleep(Duration::from_millis(t));
            while !stop.load(Ordering::Relaxed) {
                // Each search holds the index for about 4 ms.
                let first = AtomicBool::new(true);
                let slow = |_: u64| {
                    if first.swap(false, Ordering::Relaxed) {
                        thread::sleep(Duration::from_millis(4));
                    }
                    true
                };
                let opts = SearchOptions {
                    filter: Some(&slow),
                    ..Default::default()
                };
                index.search(&rng.vectors(1, DIM), 5, &opts).unwrap();
            }
        }));
    }
    thread::sleep(Duration::from_millis(100));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    let (i2, stop2) = (index.clone(), stop.clone());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        within(10, "resize and save under query load", move || {
            let t = Instant::now();
            i2.resize(1000).unwrap();
            i2.save(&path).unwrap();
            t.elapsed()
        })
    }));
    stop2.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let waited = result.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(index.max_elements(), 1000);
}

/// A callback may read its own index, even while a writer waits for the index.
#[test]
fn reentrant_reads_do_not_deadlock_behind_a_waiting_writer() {
    let index = Arc::new(random_index(500, false));
    let i2 = index.clone();
    within(20, "nested search while resize waits", move || {
        let index = i2;
        let (tx, rx) = mpsc::channel::<()>();
        let tx = Mutex::new(Some(tx));
        let nested = AtomicUsize::new(0);
        thread::scope(|s| {
            let idx = &index;
            let writer = s.spawn(move || {
                rx.recv().unwrap();
                idx.resize(800).unwrap();
            });
            let filter = |_: u64| {
                if let Some(tx) = tx.lock().unwrap().take() {
                    tx.send(()).unwrap();
                    // Let the writer queue up behind this search.
                    thread::sleep(Duration::from_millis(200));
                    let q = Rng::new(3).vectors(1, DIM);
                    index.search(&q, 3, &SearchOptions::default()).unwrap();
                    nested.fetch_add(1, Ordering::Relaxed);
                }
                true
            };
            let q = Rng::new(4).vectors(1, DIM);
            let opts = SearchOptions {
                filter: Some(&filter),
                ..Default::default()
            };
            index.search(&q, 3, &opts).unwrap();
            writer.join().unwrap();
        });
        assert_eq!(nested.load(Ordering::Relaxed), 1);
        assert_eq!(index.max_elements(), 800);
    });
}

/// Exclusive operations from inside a callback of the same index fail with a state
/// error instead of deadlocking; reads from there still work.
#[test]
fn exclusive_calls_from_callbacks_fail_instead_of_deadlocking() {
    let index = Arc::new(random_index(500, false));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    let i2 = index.clone();
    let errors = within(20, "save/resize/to_bytes from a filter", move || {
        let index = i2;
        let errors = Mutex::new(Vec::new());
        let once = AtomicBool::new(true);
        let filter = |_: u64| {
            if once.swap(false, Ordering::SeqCst) {
                let mut e = errors.lock().unwrap();
                e.push(index.save(&path).map(|_| ()));
                e.push(index.resize(900));
                e.push(index.to_bytes().map(|_| ()));
                // A read of the same index is allowed.
                e.push(
                    index
                        .search(&at(0.0), 1, &SearchOptions::default())
                        .map(|_| ()),
                );
            }
            true
        };
        let opts = SearchOptions {
            filter: Some(&filter),
            ..Default::default()
        };
        index.search(&at(0.5), 3, &opts).unwrap();
        errors.into_inner().unwrap()
    });
    assert_eq!(errors.len(), 4);
    for e in &errors[..3] {
        let e = e.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::State, "{e}");
        assert!(e.to_string().contains("callback"), "{e}");
    }
    assert!(errors[3].is_ok());
    assert_eq!(index.max_elements(), 500);
}

/// The brute-force index too: its writes from its own filter fail, its reads work.
#[test]
fn brute_force_writes_from_its_filter_fail_instead_of_deadlocking() {
    let bf = Arc::new(BruteForceIndex::new(Space::l2(DIM).unwrap(), 100).unwrap());
    for l in 0..50u64 {
        bf.add(&at(l as f32), l).unwrap();
    }
    let b2 = bf.clone();
    let (add, resize, search) = within(20, "writes from a brute-force filter", move || {
        let bf = b2;
        let got = Mutex::new(None);
        let filter = |_: u64| {
            let mut g = got.lock().unwrap();
            if g.is_none() {
                *g = Some((
                    bf.add(&at(0.5), 99).map_err(|e| e.kind()),
                    bf.resize(200).map_err(|e| e.kind()),
                    bf.search(&at(0.0), 1, &SearchOptions::default()).is_ok(),
                ));
            }
            true
        };
        let opts = SearchOptions {
            filter: Some(&filter),
            ..Default::default()
        };
        bf.search(&at(3.0), 2, &opts).unwrap();
        got.into_inner().unwrap().unwrap()
    });
    assert_eq!(add, Err(ErrorKind::State));
    assert_eq!(resize, Err(ErrorKind::State));
    assert!(search);
    assert_eq!((bf.len(), bf.max_elements()), (50, 100));
}

/// The same from a progress callback, which runs on the batch's worker threads.
#[test]
fn exclusive_calls_from_progress_on_worker_threads_fail() {
    let index = Arc::new(
        HnswIndex::new(
            Space::l2(DIM).unwrap(),
            &HnswParams {
                max_elements: 4000,
                m: 8,
                ef_construction: 20,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let i2 = index.clone();
    let (errors, searched) = within(30, "resize from a progress callback", move || {
        let index = i2;
        let errors = Mutex::new(Vec::new());
        let searched = AtomicUsize::new(0);
        let progress = |_: usize, _: usize| {
            errors.lock().unwrap().push(index.resize(8000));
            if index.search(&at(0.0), 1, &SearchOptions::default()).is_ok() {
                searched.fetch_add(1, Ordering::Relaxed);
            }
            true
        };
        let data = Rng::new(9).vectors(2000, DIM);
        index
            .add_batch(
                &data,
                None,
                &AddOptions {
                    num_threads: 2,
                    progress: Some(&progress),
                    ..Default::default()
                },
            )
            .unwrap();
        (errors.into_inner().unwrap(), searched.into_inner())
    });
    assert!(!errors.is_empty());
    for e in &errors {
        assert_eq!(e.as_ref().unwrap_err().kind(), ErrorKind::State);
    }
    assert_eq!(searched, errors.len());
    assert_eq!(index.max_elements(), 4000);
    assert_eq!(index.len(), 2000);
}

/// Batches started from inside rayon workers, next to resizes and saves started from
/// other rayon jobs: everything finishes.
#[test]
fn batches_from_rayon_workers_do_not_deadlock_with_exclusive_calls() {
    use rayon::prelude::*;
    let index = Arc::new(random_index(2000, false));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    let (i2, p2) = (index.clone(), path.clone());
    within(60, "rayon jobs: batches, resizes, saves", move || {
        let path = p2;
        let index = i2;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            (0..64usize).into_par_iter().for_each(|j| {
                let opts = SearchOptions {
                    num_threads: 2,
                    ..Default::default()
                };
                match j % 4 {
                    0 => index.resize(2000 + 64 * (j + 1)).unwrap(),
                    1 => index.save(&path).unwrap(),
                    2 => {
                        let rows = Rng::new(j as u64).vectors(20, DIM);
                        let labels: Vec<u64> =
                            (0..20).map(|r| 100_000 + 20 * j as u64 + r).collect();
                        index
                            .add_batch(
                                &rows,
                                Some(&labels),
                                &AddOptions {
                                    num_threads: 2,
                                    ..Default::default()
                                },
                            )
                            .unwrap()
                    }
                    _ => {
                        let q = Rng::new(j as u64).vectors(64, DIM);
                        index.search_batch(&q, 5, &opts).unwrap();
                    }
                }
            });
        });
    });
    assert_eq!(index.len(), 2000 + 16 * 20);
    let loaded = HnswIndex::load(&path, Space::l2(DIM).unwrap(), &LoadOptions::default()).unwrap();
    assert!(loaded.len() >= 2000);
}

/// Two saves of different indexes to one path at once both succeed, and the file is
/// one of the two.
#[test]
fn concurrent_saves_to_one_path_do_not_collide() {
    let a = Arc::new(random_index(3000, false));
    let b = Arc::new(line_index(300, false));
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("index.bin"));
    for round in 0..20 {
        let handles: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|i| {
                let path = path.clone();
                thread::spawn(move || i.save(&*path))
            })
            .collect();
        for h in handles {
            h.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        let loaded = HnswIndex::load(&*path, Space::l2(DIM).unwrap(), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!([3000, 300].contains(&loaded.len()));
        let expected = if loaded.len() == 3000 { &a } else { &b };
        assert_eq!(loaded.to_bytes().unwrap(), expected.to_bytes().unwrap());
    }
    // No temp file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("index.bin")]);
}

/// A symlink planted where a save might put its temp file is never followed.
#[cfg(unix)]
#[test]
fn save_never_follows_a_planted_temp_symlink() {
    let index = line_index(50, false);
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let path = dir.path().join("index.bin");
    // The names a save used to pick (and a few more pids around ours).
    let pid = std::process::id();
    for p in pid.saturating_sub(2)..=pid + 2 {
        let planted = dir.path().join(format!(".index.bin.tmp{p}"));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
    }
    index.save(&path).unwrap();
    assert!(
        std::fs::read(&victim).unwrap() == b"precious",
        "the save wrote through a symlink"
    );
    let loaded = HnswIndex::load(&path, Space::l2(DIM).unwrap(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.len(), 50);
}
