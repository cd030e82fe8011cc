//! HNSW index: recall, search semantics, deletion, filters, updates, replacement,
//! resize, spaces and every error path.
mod common;

use common::*;
use hnswlib_core::*;

fn l2_index(dim: usize, max: usize) -> HnswIndex {
    HnswIndex::new(
        Space::l2(dim).unwrap(),
        &HnswParams {
            max_elements: max,
            ..Default::default()
        },
    )
    .unwrap()
}

fn labels(hits: &[Neighbor]) -> Vec<u64> {
    hits.iter().map(|n| n.label).collect()
}

fn opts_ef(ef: usize) -> SearchOptions<'static> {
    SearchOptions {
        ef: Some(ef),
        ..Default::default()
    }
}

#[test]
fn recall_20k_random_32d_at_ef200_against_bruteforce() {
    let (n, dim, k) = (20_000, 32, 10);
    let mut rng = Rng::new(1);
    let data = rng.vectors(n, dim);
    let ids: Vec<u64> = (0..n as u64).collect();
    let index = l2_index(dim, n);
    index
        .add_batch(&data, Some(&ids), &AddOptions::default())
        .unwrap();
    let exact = BruteForceIndex::new(Space::l2(dim).unwrap(), n).unwrap();
    exact.add_batch(&data, &ids).unwrap();

    let queries = rng.vectors(500, dim);
    let found = index.search_batch(&queries, k, &opts_ef(200)).unwrap();
    let truth = exact
        .search_batch(&queries, k, &SearchOptions::default())
        .unwrap();
    let mut total = 0.0;
    for q in 0..500 {
        let f: Vec<u64> = found.row(q).map(|n| n.label).collect();
        let t: Vec<u64> = truth.row(q).map(|n| n.label).collect();
        assert_eq!(t.len(), k);
        total += recall(&f, &t);
    }
    let r = total / 500.0;
    eprintln!("recall@10 at ef=200: {r}");
    assert!(r >= 0.99, "recall {r}");
}

#[test]
fn results_closest_first_ties_in_label_order() {
    let index = l2_index(2, 10);
    for l in [5u64, 3, 9] {
        index.add(&[1.0f32, 1.0], l, false).unwrap();
    }
    index.add(&[0.0f32, 0.0], 1, false).unwrap();
    let hits = index
        .search(&[1.0f32, 1.0], 4, &SearchOptions::default())
        .unwrap();
    assert_eq!(labels(&hits), vec![3, 5, 9, 1]);
    assert_eq!(hits[0].distance, 0.0);
    assert_eq!(hits[3].distance, 2.0);
}

#[test]
fn k_above_count_returns_what_exists() {
    let index = l2_index(3, 10);
    assert!(index
        .search(&[0.0f32; 3], 5, &SearchOptions::default())
        .unwrap()
        .is_empty());
    index.add(&[0.0f32, 0.0, 1.0], 1, false).unwrap();
    index.add(&[0.0f32, 0.0, 2.0], 2, false).unwrap();
    let hits = index
        .search(&[0.0f32; 3], 5, &SearchOptions::default())
        .unwrap();
    assert_eq!(labels(&hits), vec![1, 2]);
    let batch = index
        .search_batch(&[0.0f32; 6], 5, &SearchOptions::default())
        .unwrap();
    assert_eq!(batch.counts, vec![2, 2]);
    assert_eq!(batch.labels[2], u64::MAX);
    assert!(batch.distances[4].is_infinite());
}

#[test]
fn effective_ef_is_at_least_k_and_per_call_ef_overrides() {
    let mut rng = Rng::new(3);
    let data = rng.vectors(3000, 8);
    let index = l2_index(8, 3000);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    index.set_ef(10);
    assert_eq!(index.ef(), 10);
    // k = 50 > ef: still 50 results.
    assert_eq!(
        index
            .search(&data[..8], 50, &SearchOptions::default())
            .unwrap()
            .len(),
        50
    );
    index.reset_metrics();
    index.search(&data[..8], 1, &opts_ef(10)).unwrap();
    let (_, small) = index.metrics();
    index.reset_metrics();
    index.search(&data[..8], 1, &opts_ef(300)).unwrap();
    let (_, large) = index.metrics();
    assert!(
        large > 2 * small,
        "ef=300 computed {large} distances, ef=10 {small}"
    );
}

#[test]
fn deleted_elements_route_but_are_never_returned() {
    let (n, dim) = (4000, 8);
    let mut rng = Rng::new(4);
    let data = rng.vectors(n, dim);
    let index = l2_index(dim, n);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    for l in (0..n as u64).filter(|l| l % 2 == 0) {
        index.mark_deleted(l).unwrap();
    }
    assert_eq!(index.deleted_count(), n / 2);
    assert_eq!(index.len(), n);
    let mut total = 0.0;
    for q in 0..100 {
        let query = &data[q * dim..(q + 1) * dim];
        let hits = labels(&index.search(query, 10, &opts_ef(100)).unwrap());
        assert!(
            hits.iter().all(|l| l % 2 == 1),
            "deleted label returned: {hits:?}"
        );
        let live: Vec<f32> = data
            .chunks_exact(dim)
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        let truth: Vec<u64> = exact_l2(&live, dim, query, 10)
            .iter()
            .map(|i| i * 2 + 1)
            .collect();
        total += recall(&hits, &truth);
    }
    assert!(
        total / 100.0 > 0.95,
        "recall among live elements {}",
        total / 100.0
    );
    // Everything deleted: nothing comes back, no error.
    for l in (0..n as u64).filter(|l| l % 2 == 1) {
        index.mark_deleted(l).unwrap();
    }
    assert!(index
        .search(&data[..dim], 5, &SearchOptions::default())
        .unwrap()
        .is_empty());
    index.unmark_deleted(7).unwrap();
    assert_eq!(
        labels(
            &index
                .search(&data[..dim], 5, &SearchOptions::default())
                .unwrap()
        ),
        vec![7]
    );
    assert!(index.get_item::<f32>(8).is_err());
    assert_eq!(
        index.get_item::<f32>(7).unwrap(),
        data[7 * dim..8 * dim].to_vec()
    );
}

#[test]
fn filter_returns_only_accepted_labels() {
    let (n, dim) = (3000, 8);
    let mut rng = Rng::new(5);
    let data = rng.vectors(n, dim);
    let index = l2_index(dim, n);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    let even = |l: u64| l.is_multiple_of(2);
    let opts = SearchOptions {
        ef: Some(100),
        filter: Some(&even),
        ..Default::default()
    };
    let mut total = 0.0;
    for q in 0..50 {
        let query = &data[(2 * q + 1) * dim..(2 * q + 2) * dim];
        let hits = labels(&index.search(query, 10, &opts).unwrap());
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|l| l % 2 == 0));
        let even_data: Vec<f32> = data
            .chunks_exact(dim)
            .step_by(2)
            .flatten()
            .copied()
            .collect();
        let truth: Vec<u64> = exact_l2(&even_data, dim, query, 10)
            .iter()
            .map(|i| i * 2)
            .collect();
        total += recall(&hits, &truth);
    }
    assert!(total / 50.0 > 0.95);
    let none = |_: u64| false;
    let opts = SearchOptions {
        filter: Some(&none),
        ..Default::default()
    };
    assert!(index.search(&data[..dim], 3, &opts).unwrap().is_empty());
    let only_42 = |l: u64| l == 42;
    let opts = SearchOptions {
        ef: Some(n),
        filter: Some(&only_42),
        ..Default::default()
    };
    assert_eq!(
        labels(&index.search(&data[..dim], 3, &opts).unwrap()),
        vec![42]
    );
}

#[test]
fn readding_a_label_updates_its_vector() {
    let mut rng = Rng::new(6);
    let data = rng.vectors(2000, 4);
    let index = l2_index(4, 2000);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    let new = [10.0f32, 10.0, 10.0, 10.0];
    index.add(&new, 17, false).unwrap();
    assert_eq!(index.len(), 2000);
    assert_eq!(index.get_item::<f32>(17).unwrap(), new.to_vec());
    let hits = index
        .search(&[9.9f32, 9.9, 9.9, 9.9], 1, &SearchOptions::default())
        .unwrap();
    assert_eq!(hits[0].label, 17);
    // A deleted label re-added is undeleted (no replacement configured).
    index.mark_deleted(18).unwrap();
    index.add(&[-10.0f32; 4], 18, false).unwrap();
    assert_eq!(index.deleted_count(), 0);
    assert_eq!(
        index
            .search(&[-9.0f32; 4], 1, &SearchOptions::default())
            .unwrap()[0]
            .label,
        18
    );
}

#[test]
fn replace_deleted_reuses_slots_and_never_duplicates_a_label() {
    let dim = 4;
    let mut rng = Rng::new(7);
    let data = rng.vectors(100, dim);
    let index = HnswIndex::new(
        Space::l2(dim).unwrap(),
        &HnswParams {
            max_elements: 100,
            allow_replace_deleted: true,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    assert!(matches!(
        index.add(&data[..dim], 1000, false),
        Err(Error::CapacityExceeded { .. })
    ));
    for l in 0..10 {
        index.mark_deleted(l).unwrap();
    }
    // Updating a deleted label without replace_deleted is refused, as in hnswlib.
    assert!(matches!(
        index.add(&data[..dim], 3, false),
        Err(Error::UpdateDeletedWithReplace(3))
    ));
    let fresh = rng.vectors(10, dim);
    let new_labels: Vec<u64> = (500..510).collect();
    index
        .add_batch(
            &fresh,
            Some(&new_labels),
            &AddOptions {
                replace_deleted: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(index.len(), 100);
    assert_eq!(index.deleted_count(), 0);
    for (i, &l) in new_labels.iter().enumerate() {
        assert_eq!(
            index.get_item::<f32>(l).unwrap(),
            fresh[i * dim..(i + 1) * dim].to_vec()
        );
        let hit = index
            .search(&fresh[i * dim..(i + 1) * dim], 1, &SearchOptions::default())
            .unwrap();
        assert_eq!(hit[0].label, l);
    }
    for l in 0..10 {
        assert!(!index.contains(l));
    }
    // A replace-add of an existing live label updates it in place (hnswlib would
    // put it in a second slot).
    index.mark_deleted(50).unwrap();
    index.add(&[5.0f32; 4], 60, true).unwrap();
    assert_eq!(index.deleted_count(), 1);
    let ids = index.ids();
    assert_eq!(ids.len(), 100);
    assert_eq!(ids.iter().filter(|&&l| l == 60).count(), 1);
    assert_eq!(index.get_item::<f32>(60).unwrap(), vec![5.0; 4]);
    // A replace-add of a deleted label reuses its own slot.
    index.add(&[6.0f32; 4], 50, true).unwrap();
    assert_eq!(index.deleted_count(), 0);
    assert_eq!(index.get_item::<f32>(50).unwrap(), vec![6.0; 4]);
    assert_eq!(index.ids().len(), 100);
}

#[test]
fn resize_grows_capacity() {
    let mut rng = Rng::new(8);
    let data = rng.vectors(300, 6);
    let index = l2_index(6, 100);
    let ids: Vec<u64> = (0..100).collect();
    index
        .add_batch(&data[..600], Some(&ids), &AddOptions::default())
        .unwrap();
    let err = index.add_batch(
        &data[600..],
        Some(&(100..300).collect::<Vec<_>>()),
        &AddOptions::default(),
    );
    assert!(matches!(
        err,
        Err(Error::CapacityExceeded { max_elements: 100 })
    ));
    assert_eq!(index.len(), 100, "a rejected batch adds nothing");
    assert!(matches!(
        index.resize(50),
        Err(Error::ResizeBelowCount {
            requested: 50,
            count: 100
        })
    ));
    index.resize(300).unwrap();
    assert_eq!(index.max_elements(), 300);
    index
        .add_batch(
            &data[600..],
            Some(&(100..300).collect::<Vec<_>>()),
            &AddOptions::default(),
        )
        .unwrap();
    assert_eq!(index.len(), 300);
    for q in [0usize, 150, 299] {
        let hit = index
            .search(&data[q * 6..(q + 1) * 6], 1, &SearchOptions::default())
            .unwrap();
        assert_eq!(hit[0].label, q as u64);
    }
}

#[test]
fn automatic_labels_follow_hnswlib() {
    let index = l2_index(2, 10);
    index
        .add_batch(&[0.0f32, 0.0, 1.0, 1.0], None, &AddOptions::default())
        .unwrap();
    index
        .add_batch(&[2.0f32, 2.0], Some(&[7]), &AddOptions::default())
        .unwrap();
    // The counter moved past the explicit batch too (hnswlib's cur_l).
    index
        .add_batch(&[3.0f32, 3.0], None, &AddOptions::default())
        .unwrap();
    assert_eq!(index.ids(), vec![0, 1, 3, 7]);
    // A batch refused before anything is added leaves the counter alone.
    let too_many = vec![0.5f32; 2 * 8];
    assert!(matches!(
        index.add_batch(&too_many, None, &AddOptions::default()),
        Err(Error::CapacityExceeded { .. })
    ));
    assert!(index
        .add_batch(&[f32::NAN, 0.0], None, &AddOptions::default())
        .is_err());
    assert_eq!(index.next_auto_label(), 4);
}

#[test]
fn progress_reports_and_cancels() {
    let mut rng = Rng::new(9);
    let data = rng.vectors(2000, 4);
    let index = l2_index(4, 2000);
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let cancel_at_500 = |done: usize, total: usize| {
        assert_eq!(total, 2000);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        done < 500
    };
    let err = index
        .add_batch(
            &data,
            None,
            &AddOptions {
                num_threads: 2,
                progress: Some(&cancel_at_500),
                ..Default::default()
            },
        )
        .unwrap_err();
    let Error::Cancelled { done, total } = err else {
        panic!("expected Cancelled, got {err:?}")
    };
    assert_eq!(total, 2000);
    assert!((500..2000).contains(&done));
    assert_eq!(
        index.len(),
        done,
        "the index holds exactly the rows added before the cancel"
    );
    assert!(calls.load(std::sync::atomic::Ordering::Relaxed) > 0);
    // Still a valid index: its elements are found.
    for l in index.ids().into_iter().take(20) {
        let v = index.get_item::<f32>(l).unwrap();
        assert_eq!(
            index.search(&v, 1, &SearchOptions::default()).unwrap()[0].distance,
            0.0
        );
    }
}

#[test]
fn cosine_normalises_on_insert_and_query() {
    let index = HnswIndex::new(
        Space::cosine(3).unwrap(),
        &HnswParams {
            max_elements: 10,
            ..Default::default()
        },
    )
    .unwrap();
    index.add(&[3.0f32, 0.0, 4.0], 1, false).unwrap();
    index.add(&[0.0f32, 0.0, 0.0], 2, false).unwrap();
    let v = index.get_item::<f32>(1).unwrap();
    assert!((v[0] - 0.6).abs() < 1e-6 && (v[2] - 0.8).abs() < 1e-6);
    assert_eq!(
        index.get_item::<f32>(2).unwrap(),
        vec![0.0; 3],
        "a zero vector stays zero"
    );
    let hits = index
        .search(&[30.0f32, 0.0, 40.0], 2, &SearchOptions::default())
        .unwrap();
    assert_eq!(hits[0].label, 1);
    assert!(hits[0].distance.abs() < 1e-6);
    assert!((hits[1].distance - 1.0).abs() < 1e-6);
}

#[test]
fn inner_product_distance_is_one_minus_dot() {
    let index = HnswIndex::new(
        Space::ip(2).unwrap(),
        &HnswParams {
            max_elements: 10,
            ..Default::default()
        },
    )
    .unwrap();
    index.add(&[1.0f32, 2.0], 1, false).unwrap();
    index.add(&[3.0f32, 1.0], 2, false).unwrap();
    let hits = index
        .search(&[1.0f32, 1.0], 2, &SearchOptions::default())
        .unwrap();
    assert_eq!(labels(&hits), vec![2, 1]);
    assert_eq!(hits[0].distance, 1.0 - 4.0);
    assert_eq!(hits[1].distance, 1.0 - 3.0);
}

#[test]
fn u8_l2_space() {
    let dim = 16;
    let mut rng = Rng::new(10);
    let data: Vec<u8> = (0..1000 * dim).map(|_| rng.below(256) as u8).collect();
    let index = HnswIndex::new(
        Space::l2_u8(dim).unwrap(),
        &HnswParams {
            max_elements: 1000,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    for q in [0usize, 500, 999] {
        let hit = index
            .search(&data[q * dim..(q + 1) * dim], 1, &SearchOptions::default())
            .unwrap();
        assert_eq!(hit[0].label, q as u64);
        assert_eq!(hit[0].distance, 0.0);
    }
    let q: Vec<u8> = data[..dim].iter().map(|x| x.saturating_add(1)).collect();
    let d = index.search(&q, 1, &SearchOptions::default()).unwrap()[0].distance;
    assert!(d >= 1.0 && d.fract() == 0.0);
    assert!(matches!(
        index.add(&[0.0f32; 16], 1, false),
        Err(Error::ElementType { .. })
    ));
    assert_eq!(
        index.get_item::<u8>(3).unwrap(),
        data[3 * dim..4 * dim].to_vec()
    );
}

unsafe extern "C" fn l1_distance(
    a: *const std::ffi::c_void,
    b: *const std::ffi::c_void,
    param: *const std::ffi::c_void,
) -> f32 {
    // SAFETY: the index passes two elements of `*param` f32 each.
    unsafe {
        let n = *(param as *const usize);
        let (a, b) = (a as *const f32, b as *const f32);
        (0..n).map(|i| (*a.add(i) - *b.add(i)).abs()).sum()
    }
}

#[test]
fn custom_distances_c_callback_and_closure() {
    let dim = 6usize;
    let mut rng = Rng::new(11);
    let data = rng.vectors(1500, dim);
    static DIM: usize = 6;
    // SAFETY: l1_distance reads DIM f32 from each pointer and is thread-safe.
    let c_space =
        unsafe { Space::custom_c(dim * 4, l1_distance, &DIM as *const usize as *const _) }.unwrap();
    let rust_space = Space::custom(dim * 4, |a: &[u8], b: &[u8]| {
        let a: &[f32] = bytemuck::cast_slice(a);
        let b: &[f32] = bytemuck::cast_slice(b);
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
    })
    .unwrap();
    for space in [c_space, rust_space] {
        let index = HnswIndex::new(
            space.clone(),
            &HnswParams {
                max_elements: 1500,
                ..Default::default()
            },
        )
        .unwrap();
        index
            .add_batch(
                &data,
                None,
                &AddOptions {
                    num_threads: 2,
                    ..Default::default()
                },
            )
            .unwrap();
        let exact = BruteForceIndex::new(space, 1500).unwrap();
        exact
            .add_batch(&data, &(0..1500).collect::<Vec<_>>())
            .unwrap();
        let mut total = 0.0;
        for q in 0..50 {
            let query = &data[q * dim..(q + 1) * dim];
            let f = labels(&index.search(query, 5, &opts_ef(64)).unwrap());
            let t = labels(&exact.search(query, 5, &SearchOptions::default()).unwrap());
            total += recall(&f, &t);
        }
        assert!(total / 50.0 > 0.97, "custom-space recall {}", total / 50.0);
        assert!(matches!(
            index.add(&[0.0f32; 5], 1, false),
            Err(Error::DimensionMismatch { .. })
        ));
    }
}

#[test]
fn bad_input_gives_clear_errors_and_leaves_the_index_unchanged() {
    let index = l2_index(4, 10);
    index.add(&[0.0f32; 4], 1, false).unwrap();
    let before = index.to_bytes().unwrap();
    let check = |r: Result<()>, pred: fn(&Error) -> bool| {
        let e = r.unwrap_err();
        assert!(pred(&e), "unexpected error {e:?}");
        assert!(!e.to_string().is_empty());
    };
    check(index.add(&[0.0f32; 3], 2, false), |e| {
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 4,
                got: 3
            }
        )
    });
    check(index.add(&[0.0f32, f32::NAN, 0.0, 0.0], 2, false), |e| {
        matches!(e, Error::NonFinite { .. })
    });
    check(
        index.add(&[0.0f32, f32::INFINITY, 0.0, 0.0], 2, false),
        |e| matches!(e, Error::NonFinite { .. }),
    );
    check(
        index.add_batch::<f32>(&[], None, &AddOptions::default()),
        |e| matches!(e, Error::EmptyInput(_)),
    );
    check(
        index.add_batch(&[0.0f32; 8], Some(&[1]), &AddOptions::default()),
        |e| matches!(e, Error::LabelCountMismatch { labels: 1, rows: 2 }),
    );
    check(
        index.add_batch(&[0.0f32; 7], None, &AddOptions::default()),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    // A NaN in the last row rejects the whole batch before anything is added.
    let mut batch = vec![1.0f32; 12];
    batch[11] = f32::NAN;
    check(
        index.add_batch(&batch, Some(&[5, 6, 7]), &AddOptions::default()),
        |e| matches!(e, Error::NonFinite { row: 2 }),
    );
    check(index.add(&[0.0f32; 4], 2, true), |e| {
        matches!(e, Error::ReplaceDeletedDisabled)
    });
    check(index.mark_deleted(99), |e| {
        matches!(e, Error::LabelNotFound(99))
    });
    check(index.unmark_deleted(99), |e| {
        matches!(e, Error::LabelNotFound(99))
    });
    check(index.unmark_deleted(1), |e| {
        matches!(e, Error::NotDeleted(1))
    });
    check(index.get_item::<f32>(99).map(|_| ()), |e| {
        matches!(e, Error::LabelNotFound(99))
    });
    check(
        index
            .search(&[0.0f32; 4], 0, &SearchOptions::default())
            .map(|_| ()),
        |e| matches!(e, Error::InvalidParameter(_)),
    );
    check(
        index
            .search(&[0.0f32; 5], 1, &SearchOptions::default())
            .map(|_| ()),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    check(
        index
            .search(&[f32::NAN; 4], 1, &SearchOptions::default())
            .map(|_| ()),
        |e| matches!(e, Error::NonFinite { .. }),
    );
    check(
        index
            .search(&[0u8; 4], 1, &SearchOptions::default())
            .map(|_| ()),
        |e| matches!(e, Error::ElementType { .. }),
    );
    assert_eq!(
        index.to_bytes().unwrap(),
        before,
        "failed calls changed the index"
    );
    index.mark_deleted(1).unwrap();
    check(index.mark_deleted(1), |e| {
        matches!(e, Error::AlreadyDeleted(1))
    });
    assert!(Error::LabelNotFound(1)
        .to_string()
        .starts_with("Label not found"));
    assert_eq!(
        Error::CapacityExceeded { max_elements: 1 }.kind(),
        ErrorKind::Capacity
    );
}

#[test]
fn invalid_parameters_are_rejected() {
    let space = Space::l2(4).unwrap();
    for (m, efc) in [(0, 200), (1, 200), (10_001, 20_000), (16, 8)] {
        let err = HnswIndex::new(
            space.clone(),
            &HnswParams {
                m,
                ef_construction: efc,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter(_)),
            "M={m} efc={efc}: {err:?}"
        );
    }
    assert!(Space::l2(0).is_err());
    assert!(Space::by_name("hamming", 4).is_err());
    assert!(HnswIndex::new(
        space,
        &HnswParams {
            max_elements: usize::MAX,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn levels_are_drawn_like_hnswlib() {
    let index = HnswIndex::new(
        Space::l2(2).unwrap(),
        &HnswParams {
            max_elements: 2000,
            m: 4,
            ..Default::default()
        },
    )
    .unwrap();
    let mut rng = Rng::new(12);
    let data = rng.vectors(2000, 2);
    index
        .add_batch(
            &data,
            None,
            &AddOptions {
                num_threads: 1,
                ..Default::default()
            },
        )
        .unwrap();
    let mut levels = rng::LevelRng::new(100);
    let mult = 1.0 / 4f64.ln();
    let mut above0 = 0;
    for l in 0..2000 {
        let expected = levels.next_level(mult);
        above0 += (expected > 0) as usize;
        assert_eq!(index.level_of(l).unwrap(), expected, "label {l}");
    }
    // P(level > 0) = 1/M.
    assert!(
        (400..600).contains(&above0),
        "{above0} elements above level 0"
    );
}

/// A huge k (hnswlib users pass one to mean "everything") returns every live element,
/// without trying to reserve room for k results.
#[test]
fn huge_k_returns_everything() {
    let mut rng = Rng::new(5);
    let data = rng.vectors(50, 4);
    let index = HnswIndex::new(
        Space::l2(4).unwrap(),
        &HnswParams {
            max_elements: 50,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    index.mark_deleted(3).unwrap();
    let hits = index
        .search(&data[..4], usize::MAX, &SearchOptions::default())
        .unwrap();
    assert_eq!(hits.len(), 49);
    assert!(hits.iter().all(|h| h.label != 3));
    let bf = BruteForceIndex::new(Space::l2(4).unwrap(), 50).unwrap();
    bf.add_batch(&data, &(0..50).collect::<Vec<u64>>()).unwrap();
    assert_eq!(
        bf.search(&data[..4], usize::MAX, &SearchOptions::default())
            .unwrap()
            .len(),
        50
    );
    // A batch needs rows × k buffers: refused with an error, not an abort.
    assert!(index
        .search_batch(&data[..8], usize::MAX, &SearchOptions::default())
        .is_err());
}
