//! A file's `max_elements` is a limit, not an allocation: a tiny file may declare up
//! to 2^64-1 elements. Loading allocates for the elements present and grows on
//! demand, adding still works up to the declared capacity, and saving writes it back.
//!
//! Its own test binary, so that the memory measured is this file's tests' alone.

use std::sync::Arc;

use hnswlib_core::*;

const DIM: usize = 4;

/// A saved index of `n` elements (labels 0..n) whose header declares `max_elements`.
fn file_declaring(max_elements: u64, n: usize) -> Vec<u8> {
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n,
            m: 4,
            ef_construction: 8,
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..n {
        index.add(&vector(i as u64), i as u64, false).unwrap();
    }
    let mut bytes = index.to_bytes().unwrap();
    bytes[8..16].copy_from_slice(&max_elements.to_le_bytes());
    bytes
}

fn vector(label: u64) -> [f32; DIM] {
    let x = label as f32;
    [x, -x, 0.5 * x, 1.0]
}

fn load(bytes: &[u8]) -> HnswIndex {
    HnswIndex::from_bytes(bytes, Space::l2(DIM).unwrap(), &LoadOptions::default()).unwrap()
}

/// Virtual and resident size of this process in KiB (Linux), from /proc.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmSize:")?, field("VmRSS:")?))
}

fn assert_finds_itself(index: &HnswIndex, labels: impl IntoIterator<Item = u64>) {
    for label in labels {
        let hits = index
            .search(&vector(label), 1, &SearchOptions::default())
            .unwrap();
        assert_eq!(hits[0].label, label);
        assert_eq!(hits[0].distance, 0.0);
    }
}

#[test]
fn huge_declared_capacity_loads_searches_adds_and_saves_in_little_memory() {
    for max in [1u64 << 26, u32::MAX as u64, 1 << 40, u64::MAX] {
        let bytes = file_declaring(max, 3);
        let before = memory_kib();
        let index = load(&bytes);
        assert_eq!(index.len(), 3);
        assert_eq!(index.max_elements() as u64, max);
        assert_finds_itself(&index, 0..3);
        index.add(&vector(3), 3, false).unwrap();
        index
            .add_batch(
                &[vector(4), vector(5)].concat(),
                Some(&[4, 5]),
                &AddOptions::default(),
            )
            .unwrap();
        assert_finds_itself(&index, 0..6);
        // Saved with the capacity the file declared, as hnswlib would.
        let saved = index.to_bytes().unwrap();
        assert_eq!(saved[8..16], max.to_le_bytes());
        assert_eq!(u64::from_le_bytes(saved[16..24].try_into().unwrap()), 6);
        if let (Some((vm0, rss0)), Some((vm1, rss1))) = (before, memory_kib()) {
            // Before slots were allocated lazily, 2^26 declared elements took more
            // than 6 GiB of address space and 1 GiB resident, and larger values failed.
            assert!(
                vm1.saturating_sub(vm0) < 256 * 1024,
                "max_elements {max}: address space grew by {} KiB",
                vm1 - vm0
            );
            assert!(
                rss1.saturating_sub(rss0) < 64 * 1024,
                "max_elements {max}: resident memory grew by {} KiB",
                rss1 - rss0
            );
        }
        let reloaded = load(&saved);
        assert_eq!(reloaded.max_elements() as u64, max);
        assert_finds_itself(&reloaded, 0..6);
    }
}

#[test]
fn adds_after_load_reach_the_declared_capacity_and_stop_there() {
    let index = load(&file_declaring(300, 3));
    assert_eq!(index.max_elements(), 300);
    // One at a time, past several growths.
    for label in 3..200 {
        index.add(&vector(label), label, false).unwrap();
    }
    // Then a batch that fills it exactly.
    let labels: Vec<u64> = (200..300).collect();
    let data: Vec<f32> = labels.iter().flat_map(|&l| vector(l)).collect();
    index
        .add_batch(&data, Some(&labels), &AddOptions::default())
        .unwrap();
    assert_eq!(index.len(), 300);
    assert!(matches!(
        index.add(&vector(300), 300, false),
        Err(Error::CapacityExceeded { max_elements: 300 })
    ));
    // Updates need no room.
    index.add(&vector(7), 7, false).unwrap();
    assert_finds_itself(&index, (0..300).step_by(7));
    let saved = index.to_bytes().unwrap();
    assert_eq!(saved[8..16], 300u64.to_le_bytes());
}

#[test]
fn resize_and_explicit_capacity_still_allocate_what_is_asked() {
    let bytes = file_declaring(1 << 40, 3);
    let index = HnswIndex::from_bytes(
        &bytes,
        Space::l2(DIM).unwrap(),
        &LoadOptions {
            max_elements: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(index.max_elements(), 10);
    let index = load(&bytes);
    index.resize(20).unwrap();
    assert_eq!(index.max_elements(), 20);
    for label in 3..20 {
        index.add(&vector(label), label, false).unwrap();
    }
    assert!(index.add(&vector(20), 20, false).is_err());
    assert!(matches!(
        index.resize(5),
        Err(Error::ResizeBelowCount { .. })
    ));
}

#[test]
fn concurrent_adds_grow_a_loaded_index_without_losing_rows() {
    let index = Arc::new(load(&file_declaring(100_000, 3)));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                for batch in 0..10u64 {
                    let base = 1000 + t * 100_000 + batch * 100;
                    if batch % 2 == 0 {
                        // Batches, racing each other for the slots grown before them.
                        let labels: Vec<u64> = (base..base + 100).collect();
                        let data: Vec<f32> = labels.iter().flat_map(|&l| vector(l)).collect();
                        let opts = AddOptions {
                            num_threads: 2,
                            ..Default::default()
                        };
                        index.add_batch(&data, Some(&labels), &opts).unwrap();
                    } else {
                        for l in base..base + 100 {
                            index.add(&vector(l), l, false).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(index.len(), 3 + 4 * 10 * 100);
    let ids = index.ids();
    assert_eq!(ids.len(), 4003);
    for t in 0..4u64 {
        for batch in 0..10u64 {
            let base = 1000 + t * 100_000 + batch * 100;
            assert!(ids.binary_search(&base).is_ok() && ids.binary_search(&(base + 99)).is_ok());
        }
    }
    assert_eq!(index.max_elements(), 100_000);
}
