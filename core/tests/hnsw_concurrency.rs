//! Bounded-time stress tests: adds, updates, deletes and searches at the same time.
//! They check that no label is lost or duplicated and every result is well formed.
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;

use common::*;
use hnswlib_core::*;

const DIM: usize = 8;

fn vector(label: u64, version: u64) -> Vec<f32> {
    let mut rng = Rng::new(label * 7919 + version * 104_729 + 1);
    rng.vectors(1, DIM)
}

fn check_result(hits: &[Neighbor], max_label: u64) {
    let mut seen = HashSet::new();
    for w in hits.windows(2) {
        assert!(
            w[0].distance <= w[1].distance,
            "results out of order: {hits:?}"
        );
    }
    for h in hits {
        assert!(h.label < max_label, "unknown label {}", h.label);
        assert!(
            seen.insert(h.label),
            "label {} twice in one result",
            h.label
        );
        assert!(h.distance.is_finite());
    }
}

#[test]
fn concurrent_add_update_delete_and_search() {
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: 5000,
            m: 8,
            ef_construction: 64,
            ..Default::default()
        },
    )
    .unwrap();
    let preload: Vec<f32> = (0..1000).flat_map(|l| vector(l, 0)).collect();
    index
        .add_batch(
            &preload,
            Some(&(0..1000).collect::<Vec<_>>()),
            &AddOptions::default(),
        )
        .unwrap();

    let done = AtomicBool::new(false);
    let deleted = Mutex::new(HashSet::new());
    let final_version = Mutex::new(vec![0u64; 1000]);
    thread::scope(|s| {
        // Two adders of fresh labels: one by one, and in parallel batches.
        let adder1 = s.spawn(|| {
            for l in 1000..3000u64 {
                index.add(&vector(l, 0), l, false).unwrap();
            }
        });
        let adder2 = s.spawn(|| {
            for chunk in (3000..5000u64).collect::<Vec<_>>().chunks(250) {
                let data: Vec<f32> = chunk.iter().flat_map(|&l| vector(l, 0)).collect();
                index
                    .add_batch(
                        &data,
                        Some(chunk),
                        &AddOptions {
                            num_threads: 2,
                            ..Default::default()
                        },
                    )
                    .unwrap();
            }
        });
        // Updates of labels 500..1000, and of labels the adders are adding right now.
        let updater = s.spawn(|| {
            let mut rng = Rng::new(1);
            let mut versions = vec![0u64; 1000];
            for _ in 0..1500 {
                let l = 500 + rng.below(500) as u64;
                versions[l as usize] += 1;
                index
                    .add(&vector(l, versions[l as usize]), l, false)
                    .unwrap();
            }
            for l in (1000..3000u64).step_by(10) {
                // Same label as adder1, possibly at the same moment: an add or an update.
                index.add(&vector(l, 0), l, false).unwrap();
            }
            final_version.lock().unwrap().copy_from_slice(&versions);
        });
        // Deletes and undeletes of labels 0..500.
        let deleter = s.spawn(|| {
            let mut rng = Rng::new(2);
            let mut set = HashSet::new();
            for _ in 0..3000 {
                let l = rng.below(500) as u64;
                if set.contains(&l) {
                    index.unmark_deleted(l).unwrap();
                    set.remove(&l);
                } else {
                    index.mark_deleted(l).unwrap();
                    set.insert(l);
                }
            }
            *deleted.lock().unwrap() = set;
        });
        for t in 0..2 {
            let (index, done) = (&index, &done);
            s.spawn(move || {
                let mut rng = Rng::new(10 + t);
                let mut n = 0;
                while !done.load(Ordering::Acquire) || n < 100 {
                    let q = rng.vectors(1, DIM);
                    let hits = index
                        .search(
                            &q,
                            10,
                            &SearchOptions {
                                ef: Some(50),
                                ..Default::default()
                            },
                        )
                        .unwrap();
                    check_result(&hits, 5000);
                    let batch = index
                        .search_batch(&rng.vectors(20, DIM), 5, &SearchOptions::default())
                        .unwrap();
                    for r in 0..20 {
                        check_result(&batch.row(r).collect::<Vec<_>>(), 5000);
                    }
                    n += 1;
                }
            });
        }
        for h in [adder1, adder2, updater, deleter] {
            h.join().unwrap();
        }
        done.store(true, Ordering::Release);
    });

    // No label lost or duplicated.
    assert_eq!(index.len(), 5000);
    assert_eq!(index.ids(), (0..5000).collect::<Vec<u64>>());
    let deleted = deleted.into_inner().unwrap();
    assert_eq!(index.deleted_count(), deleted.len());
    let versions = final_version.into_inner().unwrap();
    for l in 0..5000u64 {
        let version = if (500..1000).contains(&l) {
            versions[l as usize]
        } else {
            0
        };
        let expected = vector(l, version);
        if deleted.contains(&l) {
            assert!(index.get_item::<f32>(l).is_err());
            continue;
        }
        assert_eq!(index.get_item::<f32>(l).unwrap(), expected, "label {l}");
    }
    // The graph is consistent: it survives the loader's link checks, and finds elements.
    let reloaded = HnswIndex::from_bytes(
        &index.to_bytes().unwrap(),
        Space::l2(DIM).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut found = 0;
    for l in (1000..5000u64).step_by(40) {
        let hit = reloaded
            .search(
                &vector(l, 0),
                1,
                &SearchOptions {
                    ef: Some(100),
                    ..Default::default()
                },
            )
            .unwrap();
        found += (hit[0].label == l) as usize;
    }
    assert!(found >= 98, "only {found} of 100 elements find themselves");
}

#[test]
fn concurrent_replace_deleted_keeps_labels_unique() {
    let n = 2000u64;
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n as usize,
            m: 8,
            ef_construction: 64,
            allow_replace_deleted: true,
            ..Default::default()
        },
    )
    .unwrap();
    let data: Vec<f32> = (0..n).flat_map(|l| vector(l, 0)).collect();
    index
        .add_batch(
            &data,
            Some(&(0..n).collect::<Vec<_>>()),
            &AddOptions::default(),
        )
        .unwrap();
    let done = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let live = Mutex::new((0..n).collect::<HashSet<u64>>());
    thread::scope(|s| {
        let live_ref = &live;
        let index_ref = &index;
        let deleter = s.spawn(move || {
            let mut rng = Rng::new(3);
            for _ in 0..1500 {
                let l = {
                    let mut live = live_ref.lock().unwrap();
                    let v: Vec<u64> = live.iter().copied().take(64).collect();
                    let l = v[rng.below(v.len())];
                    live.remove(&l);
                    l
                };
                index_ref.mark_deleted(l).unwrap();
                tx.send(l).unwrap();
            }
        });
        let replacers: Vec<_> = (0..2)
            .map(|t| {
                let (index, live) = (&index, &live);
                s.spawn(move || {
                    let mut next = 10_000 + t * 100_000;
                    let mut added = 0;
                    while added < 700 {
                        // The index is full: wait for the deleter to free a slot.
                        loop {
                            match index.add(&vector(next, 1), next, true) {
                                Ok(()) => break,
                                Err(Error::CapacityExceeded { .. }) => thread::yield_now(),
                                Err(e) => panic!("{e}"),
                            }
                        }
                        live.lock().unwrap().insert(next);
                        next += 1;
                        added += 1;
                    }
                })
            })
            .collect();
        s.spawn(|| {
            let mut rng = Rng::new(4);
            while !done.load(Ordering::Acquire) {
                let hits = index
                    .search(&rng.vectors(1, DIM), 10, &SearchOptions::default())
                    .unwrap();
                let mut seen = HashSet::new();
                assert!(hits.iter().all(|h| seen.insert(h.label)));
            }
        });
        deleter.join().unwrap();
        for r in replacers {
            r.join().unwrap();
        }
        done.store(true, Ordering::Release);
        drop(rx);
    });
    // Every replacement reused a deleted slot: the index was full from the start.
    assert_eq!(index.len(), n as usize);
    let ids = index.ids();
    assert_eq!(ids.len(), n as usize, "every slot has exactly one label");
    let live = live.into_inner().unwrap();
    assert_eq!(index.deleted_count(), n as usize - live.len());
    for l in &live {
        let v = index.get_item::<f32>(*l).unwrap();
        let expected = if *l >= 10_000 {
            vector(*l, 1)
        } else {
            vector(*l, 0)
        };
        assert_eq!(v, expected);
    }
}

/// Points on a line make concurrent inserts meet often: an element that is already
/// reachable on its upper levels but not yet linked on level 0 is where other inserts
/// land. Every element must stay reachable (each finds itself), build after build.
#[test]
fn parallel_build_leaves_no_element_unreachable() {
    const N: usize = 300;
    let data: Vec<f32> = (0..N)
        .flat_map(|i| (0..4).map(move |j| ((i + 3 * j) % 256) as f32 + (i / 256) as f32 * 1000.0))
        .collect();
    let mut unreachable = 0;
    for _ in 0..40 {
        let index = HnswIndex::new(
            Space::l2(4).unwrap(),
            &HnswParams {
                max_elements: N,
                ..Default::default()
            },
        )
        .unwrap();
        let opts = AddOptions {
            num_threads: 2,
            ..Default::default()
        };
        index.add_batch(&data, None, &opts).unwrap();
        let search = SearchOptions {
            ef: Some(64),
            ..Default::default()
        };
        for (row, q) in data.chunks_exact(4).enumerate() {
            let hits = index.search(q, 1, &search).unwrap();
            unreachable += usize::from(hits[0].label != row as u64);
        }
    }
    assert_eq!(unreachable, 0, "elements not found by their own vector");
}

/// A query that runs while other threads add must still find k results: it must not
/// descend to an element that is reachable on its upper levels but not yet linked on
/// level 0 (where the search would find that element alone).
#[test]
fn searches_during_adds_return_k_results() {
    const DIM: usize = 8;
    const N: usize = 20_000;
    let mut rng = Rng::new(77);
    let data = rng.vectors(N, DIM);
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: N,
            m: 8,
            ef_construction: 40,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&data[..500 * DIM], None, &AddOptions::default())
        .unwrap();
    let done = AtomicBool::new(false);
    let short = Mutex::new(Vec::new());
    thread::scope(|s| {
        s.spawn(|| {
            let opts = AddOptions {
                num_threads: 1,
                ..Default::default()
            };
            index.add_batch(&data[500 * DIM..], None, &opts).unwrap();
            done.store(true, Ordering::Release);
        });
        for t in 0..2 {
            let (index, data, done, short) = (&index, &data, &done, &short);
            s.spawn(move || {
                let mut q = t;
                while !done.load(Ordering::Acquire) {
                    let query = &data[(q % 500) * DIM..(q % 500 + 1) * DIM];
                    let hits = index.search(query, 10, &SearchOptions::default()).unwrap();
                    if hits.len() < 10 {
                        short.lock().unwrap().push(hits.len());
                    }
                    q += 7;
                }
            });
        }
    });
    let short = short.into_inner().unwrap();
    assert!(
        short.is_empty(),
        "searches with fewer than 10 results: {short:?}"
    );
}

/// Batches started from inside a batch (a progress callback) or from inside the
/// caller's own rayon pool, while another thread resizes, all finish: a batch never
/// waits on a rayon pool from a rayon worker, which could run a job that needs the
/// lock the waiting batch holds.
#[test]
fn nested_batches_and_batches_from_rayon_workers_finish() {
    let (n, dim) = (4000, 8);
    let data = Rng::new(5).vectors(n, dim);
    let index = std::sync::Arc::new(
        HnswIndex::new(
            Space::l2(dim).unwrap(),
            &HnswParams {
                max_elements: n,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    index
        .add_batch(&data[..1000 * dim], None, &AddOptions::default())
        .unwrap();
    let nested = std::sync::atomic::AtomicUsize::new(0);
    let progress = |_done: usize, _total: usize| {
        let r = index
            .search_batch(&data[..64 * dim], 3, &SearchOptions::default())
            .unwrap();
        assert_eq!(r.counts.len(), 64);
        nested.fetch_add(1, Ordering::Relaxed);
        true
    };
    let opts = AddOptions {
        num_threads: 2,
        progress: Some(&progress),
        ..Default::default()
    };
    let resizer = {
        let index = std::sync::Arc::clone(&index);
        thread::spawn(move || {
            for extra in 0..20 {
                index.resize(n + 100 + extra).unwrap();
            }
        })
    };
    let users_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    users_pool.install(|| {
        index.add_batch(&data[1000 * dim..], None, &opts).unwrap();
        let r = index
            .search_batch(&data[..500 * dim], 5, &SearchOptions::default())
            .unwrap();
        assert!(r.counts.iter().all(|&c| c == 5));
    });
    resizer.join().unwrap();
    assert!(nested.load(Ordering::Relaxed) > 0);
    assert_eq!(index.len(), n);
}
