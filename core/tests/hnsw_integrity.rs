//! `check_integrity` (hnswlib's `checkIntegrity`): a sound graph passes with every link
//! counted; self links and repeated links, which the loader accepts, are reported.
mod common;

use common::*;
use hnswlib_core::*;

const DIM: usize = 4;
/// hnswlib's header: six u64, two i32/u32, three u64, an f64, a u64.
const HEADER: usize = 96;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> usize {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
}

fn index(n: usize) -> HnswIndex {
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n,
            m: 8,
            ef_construction: 60,
            ..Default::default()
        },
    )
    .unwrap();
    let data = Rng::new(3).vectors(n, DIM);
    let opts = AddOptions {
        num_threads: 1,
        ..Default::default()
    };
    index.add_batch(&data, None, &opts).unwrap();
    index
}

/// Every link in hnswlib's file: level 0 records, then each element's upper lists.
fn links_in_file(b: &[u8]) -> u64 {
    let n = u64_at(b, 16);
    let per_element = u64_at(b, 24);
    let max_m = u64_at(b, 56);
    let mut total = 0u64;
    for i in 0..n {
        total += (u32_at(b, HEADER + i * per_element) & 0xffff) as u64;
    }
    let mut at = HEADER + n * per_element;
    let per_level = 4 + 4 * max_m;
    for _ in 0..n {
        let size = u32_at(b, at) as usize;
        at += 4;
        for level in 0..size / per_level {
            total += (u32_at(b, at + level * per_level) & 0xffff) as u64;
        }
        at += size;
    }
    total
}

#[test]
fn a_built_graph_passes_with_every_link_counted() {
    let index = index(300);
    let report = index.check_integrity().unwrap();
    let bytes = index.to_bytes().unwrap();
    assert_eq!(report.connections, links_in_file(&bytes));
    assert!(report.min_inbound <= report.max_inbound && report.max_inbound > 0);
    assert!(report.without_inbound < 300);
    // Deletions and updates keep it sound.
    for l in (0..300).step_by(7) {
        index.mark_deleted(l).unwrap();
    }
    index.add(&[0.5; DIM], 3, false).unwrap();
    index.check_integrity().unwrap();
    // One element and none.
    assert_eq!(index_of(0).check_integrity().unwrap().connections, 0);
    let one = index_of(1);
    one.add(&[1.0; DIM], 1, false).unwrap();
    assert_eq!(
        one.check_integrity().unwrap(),
        IntegrityReport {
            connections: 0,
            min_inbound: 0,
            max_inbound: 0,
            without_inbound: 0
        }
    );
}

fn index_of(capacity: usize) -> HnswIndex {
    HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: capacity.max(1),
            ..Default::default()
        },
    )
    .unwrap()
}

/// Element 0's first two level-0 links patched by `patch`, loaded, checked.
fn patched(patch: impl Fn(u32, u32) -> (u32, u32)) -> Result<IntegrityReport> {
    let mut bytes = index(200).to_bytes().unwrap();
    let first = HEADER + 4;
    assert!(
        u32_at(&bytes, HEADER) & 0xffff >= 2,
        "element 0 has two links"
    );
    let (a, b) = patch(u32_at(&bytes, first), u32_at(&bytes, first + 4));
    bytes[first..first + 4].copy_from_slice(&a.to_le_bytes());
    bytes[first + 4..first + 8].copy_from_slice(&b.to_le_bytes());
    let loaded = HnswIndex::from_bytes(&bytes, Space::l2(DIM).unwrap(), &LoadOptions::default())
        .expect("the loader accepts it: the links are in range");
    loaded.check_integrity()
}

#[test]
fn self_and_repeated_links_are_reported() {
    patched(|a, b| (a, b)).unwrap();
    let err = patched(|_, b| (0, b)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Format);
    assert!(
        err.to_string()
            .contains("element 0 level 0 links to itself"),
        "{err}"
    );
    let err = patched(|a, _| (a, a)).unwrap_err();
    assert!(
        err.to_string().contains("element 0 level 0 links to"),
        "{err}"
    );
    assert!(err.to_string().contains("twice"), "{err}");
}

#[test]
fn check_integrity_from_a_callback_of_the_same_index_is_an_error() {
    let index = std::sync::Arc::new(index(50));
    let inner = index.clone();
    let result = std::sync::Mutex::new(None);
    let filter = |_: u64| {
        result
            .lock()
            .unwrap()
            .get_or_insert_with(|| inner.check_integrity().map(|_| ()));
        true
    };
    index
        .search(
            &[0.1; DIM],
            3,
            &SearchOptions {
                filter: Some(&filter),
                ..Default::default()
            },
        )
        .unwrap();
    let r = result.lock().unwrap().take().unwrap();
    assert_eq!(r.unwrap_err().kind(), ErrorKind::State);
}
