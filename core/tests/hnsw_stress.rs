//! Every operation at once: adds, updates, deletes and undeletes, replacements of
//! deleted slots, searches with and without filters, reads of vectors, resizes and
//! save/load round trips, from several threads; then the invariants.
//!
//! `HNSWLIB_STRESS_OPS` sets the number of operations (all threads together; default
//! 20 000, a few seconds); `make stress` runs a million.
//!
//! Each thread owns its labels (thread t uses t·2⁴⁰ + k), so it knows their state
//! exactly: a label it added and did not delete is live, one it deleted is deleted
//! or gone (its slot may have been given to another thread's label).
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use hnswlib_core::*;

const DIM: usize = 8;
const THREADS: u64 = 4;
const HIGH_EF: usize = 400;

fn vector(label: u64, version: u32) -> Vec<f32> {
    Rng::new(label.wrapping_mul(0x9E37_79B9) ^ (u64::from(version) << 40) ^ 0x5EED).vectors(1, DIM)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    /// Live with this version of its vector.
    Live(u32),
    /// Deleted by its owner (with the version it had): deleted, or gone when its slot
    /// was replaced.
    Deleted(u32),
}

struct Worker<'a> {
    index: &'a HnswIndex,
    owner: u64,
    rng: Rng,
    labels: HashMap<u64, State>,
    live: Vec<u64>,
    deleted: Vec<u64>,
    next: u64,
    scratch: std::path::PathBuf,
}

impl Worker<'_> {
    fn label_owned(&self, l: u64) -> bool {
        l >> 40 == self.owner
    }

    fn pick(&mut self, from_live: bool) -> Option<(usize, u64)> {
        let v = if from_live { &self.live } else { &self.deleted };
        if v.is_empty() {
            return None;
        }
        let i = self.rng.below(v.len());
        Some((i, v[i]))
    }

    /// Adds rows, growing the index when it is full.
    fn add_fresh(&mut self, replace: bool) {
        let l = (self.owner << 40) | self.next;
        self.next += 1;
        loop {
            match self.index.add(&vector(l, 0), l, replace) {
                Ok(()) => break,
                Err(Error::CapacityExceeded { max_elements }) => {
                    // Concurrent resizes may race; a too-small request is refused.
                    let _ = self.index.resize(max_elements + max_elements / 4 + 64);
                }
                Err(e) => panic!("add {l}: {e}"),
            }
        }
        self.labels.insert(l, State::Live(0));
        self.live.push(l);
    }

    fn add_batch(&mut self) {
        let rows = 2 + self.rng.below(12);
        let labels: Vec<u64> = (0..rows as u64)
            .map(|r| (self.owner << 40) | (self.next + r))
            .collect();
        self.next += rows as u64;
        let data: Vec<f32> = labels.iter().flat_map(|&l| vector(l, 0)).collect();
        let opts = AddOptions {
            num_threads: 2,
            replace_deleted: self.rng.below(2) == 0,
            ..Default::default()
        };
        loop {
            match self.index.add_batch(&data, Some(&labels), &opts) {
                Ok(()) => break,
                Err(Error::CapacityExceeded { max_elements }) => {
                    let _ = self.index.resize(max_elements + max_elements / 4 + 64);
                }
                Err(e) => panic!("add_batch: {e}"),
            }
        }
        for l in labels {
            self.labels.insert(l, State::Live(0));
            self.live.push(l);
        }
    }

    fn update(&mut self) {
        let Some((_, l)) = self.pick(true) else {
            return;
        };
        let State::Live(v) = self.labels[&l] else {
            unreachable!()
        };
        self.index.add(&vector(l, v + 1), l, false).unwrap();
        self.labels.insert(l, State::Live(v + 1));
    }

    fn delete(&mut self) {
        let Some((i, l)) = self.pick(true) else {
            return;
        };
        let State::Live(v) = self.labels[&l] else {
            unreachable!()
        };
        self.index
            .mark_deleted(l)
            .unwrap_or_else(|e| panic!("mark_deleted of live {l}: {e}"));
        self.live.swap_remove(i);
        self.deleted.push(l);
        self.labels.insert(l, State::Deleted(v));
    }

    fn undelete(&mut self) {
        let Some((i, l)) = self.pick(false) else {
            return;
        };
        match self.index.unmark_deleted(l) {
            Ok(()) => {
                let State::Deleted(v) = self.labels[&l] else {
                    unreachable!()
                };
                self.deleted.swap_remove(i);
                self.live.push(l);
                assert_eq!(
                    self.index.get_item::<f32>(l).unwrap(),
                    vector(l, v),
                    "undeleted {l}"
                );
                self.labels.insert(l, State::Live(v));
            }
            // Its slot went to another label: gone for good.
            Err(Error::LabelNotFound(_)) => {
                self.deleted.swap_remove(i);
                self.labels.remove(&l);
            }
            Err(e) => panic!("unmark_deleted of deleted {l}: {e}"),
        }
    }

    /// Calls on a deleted label never succeed and never touch anyone else's label.
    fn poke_deleted(&mut self) {
        let Some((_, l)) = self.pick(false) else {
            return;
        };
        match self.index.mark_deleted(l) {
            Err(Error::AlreadyDeleted(_)) | Err(Error::LabelNotFound(_)) => {}
            r => panic!("mark_deleted of deleted {l}: {r:?}"),
        }
        assert!(
            self.index.get_item::<f32>(l).is_err(),
            "get_item of deleted {l}"
        );
        if let Ok(d) = self.index.is_deleted(l) {
            assert!(d, "deleted label {l} reads as live");
        }
    }

    fn read_items(&mut self) {
        let n = 1 + self.rng.below(4);
        let picked: Vec<u64> = (0..n)
            .filter_map(|_| self.pick(true).map(|p| p.1))
            .collect();
        if picked.is_empty() {
            return;
        }
        let got = self.index.get_items::<f32>(&picked).unwrap();
        for (l, row) in picked.iter().zip(got.chunks_exact(DIM)) {
            let State::Live(v) = self.labels[l] else {
                unreachable!()
            };
            assert_eq!(row, &vector(*l, v)[..], "vector of {l}");
            assert!(
                !self.index.is_deleted(*l).unwrap(),
                "live {l} reads as deleted"
            );
        }
    }

    fn search(&mut self, filtered: bool) {
        let (q, target) = match self.pick(true) {
            Some((_, l)) if self.rng.below(2) == 0 => {
                let State::Live(v) = self.labels[&l] else {
                    unreachable!()
                };
                (vector(l, v), Some(l))
            }
            _ => (self.rng.vectors(1, DIM), None),
        };
        let owner = self.owner;
        let mine = move |l: u64| l >> 40 == owner;
        let opts = SearchOptions {
            ef: Some(64),
            filter: if filtered { Some(&mine) } else { None },
            ..Default::default()
        };
        let hits = if self.rng.below(4) == 0 {
            let r = self.index.search_batch(&q, 10, &opts).unwrap();
            r.row(0).collect()
        } else {
            self.index.search(&q, 10, &opts).unwrap()
        };
        for w in hits.windows(2) {
            assert!(w[0].distance <= w[1].distance, "unordered: {hits:?}");
        }
        let mut labels: Vec<u64> = hits.iter().map(|h| h.label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), hits.len(), "a label twice: {hits:?}");
        for h in &hits {
            if filtered {
                assert!(self.label_owned(h.label), "filter bypassed: {hits:?}");
            }
            if self.label_owned(h.label) {
                // Deleted before this search began, by this thread: never returned.
                assert!(
                    matches!(self.labels.get(&h.label), Some(State::Live(_))),
                    "label {} deleted (or gone) before the search, returned: {hits:?}",
                    h.label
                );
            }
        }
        if let Some(t) = target {
            // Its own vector is at distance 0: nothing is closer.
            assert!(
                hits.first().is_some_and(|h| h.distance >= 0.0),
                "{t}: {hits:?}"
            );
        }
    }

    fn save_load(&mut self) {
        let path = &self.scratch;
        self.index.save(path).unwrap();
        let loaded =
            HnswIndex::load(path, Space::l2(DIM).unwrap(), &LoadOptions::default()).unwrap();
        assert_eq!(
            loaded.ids().len(),
            loaded.len(),
            "a saved label is missing or doubled"
        );
        // Each of this thread's live labels is in the file (nobody else deletes them).
        for &l in self.live.iter().take(50) {
            let State::Live(v) = self.labels[&l] else {
                unreachable!()
            };
            assert_eq!(
                loaded.get_item::<f32>(l).unwrap(),
                vector(l, v),
                "saved {l}"
            );
        }
    }

    fn resize(&mut self) {
        let cap = self.index.max_elements();
        let _ = self.index.resize(cap + 1 + self.rng.below(200));
    }

    /// Operation number `op` of `total`: saves and resizes at fixed intervals (their
    /// cost grows with the index), the rest drawn at random.
    fn step(&mut self, op: usize, total: usize) {
        if op % (total / 40).max(500) == 7 {
            return self.save_load();
        }
        if op % (total / 1000).max(50) == 3 {
            return self.resize();
        }
        match self.rng.below(100) {
            0..=17 => self.add_fresh(false),
            18..=25 => self.add_fresh(true),
            26..=27 => self.add_batch(),
            28..=35 => self.update(),
            36..=47 => self.delete(),
            48..=51 => self.undelete(),
            52..=55 => self.poke_deleted(),
            56..=61 => self.read_items(),
            62..=80 => self.search(false),
            _ => self.search(true),
        }
    }
}

#[test]
fn every_operation_at_once() {
    let total: usize = std::env::var("HNSWLIB_STRESS_OPS")
        .ok()
        .map(|s| s.parse().expect("HNSWLIB_STRESS_OPS is a number"))
        .unwrap_or(20_000);
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: 256,
            m: 8,
            ef_construction: 48,
            allow_replace_deleted: true,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let done = AtomicUsize::new(0);
    let workers: Vec<Worker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (index, done, dir) = (&index, &done, dir.path());
                s.spawn(move || {
                    let mut w = Worker {
                        index,
                        owner: t + 1,
                        rng: Rng::new(1000 + t),
                        labels: HashMap::new(),
                        live: Vec::new(),
                        deleted: Vec::new(),
                        next: 0,
                        scratch: dir.join(format!("stress{t}.bin")),
                    };
                    for _ in 0..20 {
                        w.add_fresh(false);
                    }
                    loop {
                        let op = done.fetch_add(1, Ordering::Relaxed);
                        if op >= total {
                            break;
                        }
                        w.step(op, total);
                    }
                    w
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // No label lost or duplicated: every live label is there once, live, with its
    // last vector; every deleted one is deleted or gone; the map and the counts agree.
    let ids = index.ids();
    assert_eq!(ids.len(), index.len(), "labels filed != elements");
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert!(index.len() <= index.max_elements());
    let mut live = Vec::new();
    let mut deleted_now = 0;
    for &l in &ids {
        let owner = (l >> 40) as usize;
        let state = workers[owner - 1].labels.get(&l);
        let d = index.is_deleted(l).unwrap();
        deleted_now += d as usize;
        match state {
            Some(State::Live(v)) => {
                assert!(!d, "live label {l} is deleted");
                assert_eq!(index.get_item::<f32>(l).unwrap(), vector(l, *v));
                live.push((l, *v));
            }
            Some(State::Deleted(_)) => assert!(d, "deleted label {l} is live"),
            None => panic!("label {l} in the index is unknown to its owner"),
        }
    }
    for w in &workers {
        for &l in &w.live {
            assert!(index.contains(l), "live label {l} lost");
        }
    }
    assert_eq!(index.deleted_count(), deleted_now);

    // Every live label is found by its own vector at high ef; no deleted one is.
    let queries: Vec<f32> = live.iter().flat_map(|&(l, v)| vector(l, v)).collect();
    if !queries.is_empty() {
        let res = index
            .search_batch(
                &queries,
                10,
                &SearchOptions {
                    ef: Some(HIGH_EF),
                    ..Default::default()
                },
            )
            .unwrap();
        let mut missing = Vec::new();
        for (r, &(l, _)) in live.iter().enumerate() {
            let row: Vec<Neighbor> = res.row(r).collect();
            if !row.iter().any(|h| h.label == l) {
                missing.push(l);
            }
            for h in &row {
                assert!(
                    !index.is_deleted(h.label).unwrap(),
                    "deleted {} returned",
                    h.label
                );
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} live labels not found at ef {HIGH_EF}, e.g. {:?}",
            missing.len(),
            live.len(),
            &missing[..missing.len().min(5)]
        );
    }

    // The final index saves and loads as it is.
    let path = dir.path().join("final.bin");
    index.save(&path).unwrap();
    let loaded = HnswIndex::load(
        &path,
        Space::l2(DIM).unwrap(),
        &LoadOptions {
            allow_replace_deleted: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(loaded.ids(), ids);
    assert_eq!(loaded.deleted_count(), deleted_now);
    eprintln!(
        "{total} operations: {} elements, {} live, {} deleted, capacity {}",
        index.len(),
        live.len(),
        deleted_now,
        index.max_elements()
    );
}
