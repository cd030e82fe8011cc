//! Integration tests of `BruteForceIndex` against a naive reference computed here.

use std::collections::HashMap;

mod common;

use common::Rng;
use hnswlib_core::{BatchResults, BruteForceIndex, Error, Neighbor, SearchOptions, Space};

// ---------------------------------------------------------------------------------
// Helpers

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Metric {
    L2,
    Ip,
    Cosine,
}

fn naive_l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalized(v: &[f32]) -> Vec<f32> {
    let n = naive_dot(v, v).sqrt();
    v.iter().map(|x| x / n).collect()
}

fn naive_distance(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    match metric {
        Metric::L2 => naive_l2(a, b),
        Metric::Ip => 1.0 - naive_dot(a, b),
        Metric::Cosine => 1.0 - naive_dot(&normalized(a), &normalized(b)),
    }
}

fn space_of(metric: Metric, dim: usize) -> Space {
    match metric {
        Metric::L2 => Space::l2(dim).unwrap(),
        Metric::Ip => Space::ip(dim).unwrap(),
        Metric::Cosine => Space::cosine(dim).unwrap(),
    }
}

/// The reference model of an index: label → the vector as given.
type Model = HashMap<u64, Vec<f32>>;

/// All (distance, label) pairs passing `filter`, sorted by distance then label.
fn reference(
    metric: Metric,
    model: &Model,
    q: &[f32],
    filter: &dyn Fn(u64) -> bool,
) -> Vec<(f32, u64)> {
    let mut all: Vec<(f32, u64)> = model
        .iter()
        .filter(|(l, _)| filter(**l))
        .map(|(l, v)| (naive_distance(metric, v, q), *l))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * (1.0 + b.abs())
}

/// Checks `got` is a correct top-k for `all` (the sorted reference of every
/// matching element): right length, distinct labels, each label's own reference
/// distance equal (up to rounding) to the reference's i-th distance, reported
/// distances right, and ordered by distance then label.
fn assert_top_k(got: &[Neighbor], all: &[(f32, u64)], k: usize) {
    let want = &all[..k.min(all.len())];
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    let by_label: HashMap<u64, f32> = all.iter().map(|&(d, l)| (l, d)).collect();
    let mut seen = std::collections::HashSet::new();
    for (i, n) in got.iter().enumerate() {
        assert!(
            seen.insert(n.label),
            "duplicate label {} in {got:?}",
            n.label
        );
        let own = *by_label
            .get(&n.label)
            .unwrap_or_else(|| panic!("label {} should not be returned", n.label));
        assert!(
            close(own, want[i].0),
            "rank {i}: label {} at {own}, expected distance {} ({want:?} / {got:?})",
            n.label,
            want[i].0
        );
        assert!(close(n.distance, own), "distance {} vs {own}", n.distance);
    }
    for w in got.windows(2) {
        assert!(
            w[0].distance < w[1].distance
                || (w[0].distance == w[1].distance && w[0].label < w[1].label),
            "not ordered: {got:?}"
        );
    }
}

fn opts() -> SearchOptions<'static> {
    SearchOptions::default()
}

fn with_filter<'a>(f: &'a (dyn Fn(u64) -> bool + Sync)) -> SearchOptions<'a> {
    SearchOptions {
        filter: Some(f),
        ..Default::default()
    }
}

fn labels_of(found: &[Neighbor]) -> Vec<u64> {
    found.iter().map(|n| n.label).collect()
}

/// A built index with its reference model: `n` random vectors, labels 1000 + 7i.
fn build(metric: Metric, n: usize, dim: usize, seed: u64) -> (BruteForceIndex, Model) {
    let mut rng = Rng::new(seed);
    let index = BruteForceIndex::new(space_of(metric, dim), n + 10).unwrap();
    let mut model = Model::new();
    let data = rng.signed_vectors(n, dim);
    let labels: Vec<u64> = (0..n as u64).map(|i| 1000 + 7 * i).collect();
    index.add_batch(&data, &labels).unwrap();
    for (v, l) in data.chunks_exact(dim).zip(&labels) {
        model.insert(*l, v.to_vec());
    }
    (index, model)
}

fn check_against_model(
    index: &BruteForceIndex,
    metric: Metric,
    model: &Model,
    queries: &[f32],
    ks: &[usize],
) {
    let dim = index.dim();
    for q in queries.chunks_exact(dim) {
        let all = reference(metric, model, q, &|_| true);
        for &k in ks {
            let got = index.search(q, k, &opts()).unwrap();
            assert_top_k(&got, &all, k);
        }
    }
}

// ---------------------------------------------------------------------------------
// Search correctness per space

#[test]
fn l2_matches_reference() {
    let (index, model) = build(Metric::L2, 500, 16, 1);
    assert_eq!(index.len(), 500);
    let queries = Rng::new(2).signed_vectors(20, 16);
    check_against_model(&index, Metric::L2, &model, &queries, &[1, 10, 50, 500]);
}

#[test]
fn ip_matches_reference() {
    let (index, model) = build(Metric::Ip, 400, 24, 3);
    let queries = Rng::new(4).signed_vectors(20, 24);
    check_against_model(&index, Metric::Ip, &model, &queries, &[1, 7, 64]);
}

#[test]
fn cosine_matches_reference_and_normalises_queries() {
    let (index, model) = build(Metric::Cosine, 300, 8, 5);
    let queries = Rng::new(6).signed_vectors(20, 8);
    check_against_model(&index, Metric::Cosine, &model, &queries, &[1, 10, 300]);

    // A scaled query gives the same distances: 1 - cos, not 1 - <q, x̂>.
    let q: Vec<f32> = queries[..8].to_vec();
    let scaled: Vec<f32> = q.iter().map(|x| x * 37.5).collect();
    let a = index.search(&q, 5, &opts()).unwrap();
    let b = index.search(&scaled, 5, &opts()).unwrap();
    assert_eq!(labels_of(&a), labels_of(&b));
    for (x, y) in a.iter().zip(&b) {
        assert!(close(x.distance, y.distance));
        let v = &model[&x.label];
        let cos = naive_dot(&q, v) / (naive_dot(&q, &q).sqrt() * naive_dot(v, v).sqrt());
        assert!(
            close(y.distance, 1.0 - cos),
            "{} vs {}",
            y.distance,
            1.0 - cos
        );
        assert!(y.distance >= -1e-5 && y.distance <= 2.0 + 1e-5);
    }

    // Stored vectors are normalised.
    let stored: Vec<f32> = index.get_item(1000).unwrap();
    assert!((naive_dot(&stored, &stored) - 1.0).abs() < 1e-5);
    let want = normalized(&model[&1000]);
    assert!(stored.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6));
}

#[test]
fn cosine_zero_vector_is_distance_one() {
    let index = BruteForceIndex::new(Space::cosine(3).unwrap(), 4).unwrap();
    index.add(&[0.0f32, 0.0, 0.0], 1).unwrap();
    let found = index.search(&[1.0f32, 2.0, 3.0], 1, &opts()).unwrap();
    assert_eq!(found[0].label, 1);
    assert_eq!(found[0].distance, 1.0);
    assert_eq!(index.get_item::<f32>(1).unwrap(), vec![0.0; 3]);
}

#[test]
fn l2u8_matches_exact_integer_reference() {
    let dim = 12;
    let n = 300;
    let mut rng = Rng::new(7);
    let index = BruteForceIndex::new(Space::l2_u8(dim).unwrap(), n).unwrap();
    // Few distinct values, so equal distances are common and tie order is tested.
    let data: Vec<u8> = rng.bytes(n * dim).into_iter().map(|b| b % 4).collect();
    let labels: Vec<u64> = (0..n as u64).rev().collect();
    index.add_batch(&data, &labels).unwrap();
    let queries: Vec<u8> = rng.bytes(10 * dim).into_iter().map(|b| b % 4).collect();
    for q in queries.chunks_exact(dim) {
        let mut all: Vec<(u32, u64)> = data
            .chunks_exact(dim)
            .zip(&labels)
            .map(|(v, &l)| {
                let d = v
                    .iter()
                    .zip(q)
                    .map(|(&a, &b)| (a as i32 - b as i32).pow(2) as u32)
                    .sum();
                (d, l)
            })
            .collect();
        all.sort();
        for k in [1, 5, 40, 300] {
            let got = index.search(q, k, &opts()).unwrap();
            let want: Vec<(f32, u64)> = all[..k].iter().map(|&(d, l)| (d as f32, l)).collect();
            let got: Vec<(f32, u64)> = got.iter().map(|n| (n.distance, n.label)).collect();
            assert_eq!(got, want);
        }
    }
    assert_eq!(
        index.get_item::<u8>(0).unwrap(),
        data[(n - 1) * dim..].to_vec()
    );
}

/// Hamming distance over 8 bytes.
fn hamming(a: &[u8], b: &[u8]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x ^ y).count_ones())
        .sum::<u32>() as f32
}

#[test]
fn custom_distance_matches_reference() {
    let space = Space::custom(8, |a: &[u8], b: &[u8]| hamming(a, b)).unwrap();
    let index = BruteForceIndex::new(space, 200).unwrap();
    let mut rng = Rng::new(8);
    let data = rng.bytes(200 * 8);
    let labels: Vec<u64> = (0..200u64).map(|i| (i * 37) % 211).collect();
    index.add_batch(&data, &labels).unwrap();
    for q in rng.bytes(10 * 8).chunks_exact(8) {
        let mut all: Vec<(f32, u64)> = data
            .chunks_exact(8)
            .zip(&labels)
            .map(|(v, &l)| (hamming(v, q), l))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for k in [1, 10, 200] {
            let got: Vec<(f32, u64)> = index
                .search(q, k, &opts())
                .unwrap()
                .iter()
                .map(|n| (n.distance, n.label))
                .collect();
            assert_eq!(got, all[..k].to_vec());
        }
    }
    // Raw bytes come back, also reinterpreted as f32 (4 divides 8).
    assert_eq!(
        index.get_item::<u8>(labels[3]).unwrap(),
        data[24..32].to_vec()
    );
    let as_f32: Vec<f32> = index.get_item(labels[3]).unwrap();
    assert_eq!(bytemuck::cast_slice::<f32, u8>(&as_f32), &data[24..32]);
}

#[test]
fn custom_space_accepts_f32_rows() {
    // 8 bytes = two f32; the distance reads them as floats.
    let space = Space::custom(8, |a: &[u8], b: &[u8]| {
        let a: [f32; 2] = [
            f32::from_ne_bytes(a[..4].try_into().unwrap()),
            f32::from_ne_bytes(a[4..].try_into().unwrap()),
        ];
        let b: [f32; 2] = [
            f32::from_ne_bytes(b[..4].try_into().unwrap()),
            f32::from_ne_bytes(b[4..].try_into().unwrap()),
        ];
        (a[0] - b[0]).abs() + (a[1] - b[1]).abs()
    })
    .unwrap();
    let index = BruteForceIndex::new(space, 10).unwrap();
    index
        .add_batch(&[0.0f32, 0.0, 1.0, 1.0, 5.0, 5.0], &[1, 2, 3])
        .unwrap();
    let found = index.search(&[0.9f32, 1.2], 3, &opts()).unwrap();
    assert_eq!(labels_of(&found), vec![2, 1, 3]);
    assert!((found[0].distance - 0.3).abs() < 1e-6);
    assert_eq!(index.get_item::<f32>(3).unwrap(), vec![5.0, 5.0]);
    // A wrong byte count is a dimension error.
    assert!(matches!(
        index.add(&[1.0f32], 9),
        Err(Error::DimensionMismatch {
            expected: 8,
            got: 4
        })
    ));
}

#[test]
fn custom_nan_distances_order_last() {
    // Label 3's element makes the distance NaN.
    let space = Space::custom(1, |a: &[u8], b: &[u8]| {
        if a[0] == 3 || b[0] == 3 {
            f32::NAN
        } else {
            (a[0] as f32 - b[0] as f32).abs()
        }
    })
    .unwrap();
    let index = BruteForceIndex::new(space, 10).unwrap();
    index.add_batch(&[3u8, 1, 2, 9], &[3, 1, 2, 9]).unwrap();
    let found = index.search(&[0u8], 4, &opts()).unwrap();
    assert_eq!(labels_of(&found), vec![1, 2, 9, 3]);
    assert!(found[3].distance.is_nan());
    let found = index.search(&[0u8], 2, &opts()).unwrap();
    assert_eq!(labels_of(&found), vec![1, 2]);
}

// ---------------------------------------------------------------------------------
// Add, overwrite, remove

#[test]
fn add_overwrites_existing_label_in_place() {
    let index = BruteForceIndex::new(Space::l2(2).unwrap(), 3).unwrap();
    index.add(&[0.0f32, 0.0], 5).unwrap();
    index.add(&[1.0f32, 0.0], 6).unwrap();
    index.add(&[2.0f32, 0.0], 7).unwrap();
    // Full, but overwriting needs no new slot.
    index.add(&[10.0f32, 10.0], 5).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(index.get_item::<f32>(5).unwrap(), vec![10.0, 10.0]);
    let found = index.search(&[10.0f32, 9.0], 1, &opts()).unwrap();
    assert_eq!(found[0].label, 5);
    assert_eq!(found[0].distance, 1.0);
    // A new label does not fit.
    assert!(matches!(
        index.add(&[0.0f32, 0.0], 8),
        Err(Error::CapacityExceeded { max_elements: 3 })
    ));
    assert_eq!(index.ids(), vec![5, 6, 7]);
}

#[test]
fn add_batch_duplicates_last_row_wins() {
    let index = BruteForceIndex::new(Space::l2(1).unwrap(), 2).unwrap();
    index
        .add_batch(&[1.0f32, 2.0, 3.0, 4.0], &[9, 8, 9, 9])
        .unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(index.get_item::<f32>(9).unwrap(), vec![4.0]);
    assert_eq!(index.get_item::<f32>(8).unwrap(), vec![2.0]);
}

#[test]
fn remove_first_middle_last_then_readd() {
    let (index, mut model) = build(Metric::L2, 50, 8, 9);
    let queries = Rng::new(10).vectors(8, 8);
    let mut ids: Vec<u64> = model.keys().copied().collect();
    ids.sort();
    assert_eq!(index.ids(), ids);

    // Slot order equals insertion order: first, middle, last slot.
    let first = 1000;
    let middle = 1000 + 7 * 25;
    let last = 1000 + 7 * 49;
    for label in [first, middle, last] {
        index.remove(label).unwrap();
        model.remove(&label);
        assert!(!index.contains(label));
        assert!(matches!(
            index.get_item::<f32>(label),
            Err(Error::LabelNotFound(l)) if l == label
        ));
        check_against_model(&index, Metric::L2, &model, &queries, &[1, 5, 60]);
    }
    assert_eq!(index.len(), 47);
    // The element that now sits in the last slot, then everything down to one.
    index.remove(1000 + 7 * 48).unwrap();
    model.remove(&(1000 + 7 * 48));
    check_against_model(&index, Metric::L2, &model, &queries, &[3]);

    // Every remaining label still maps to its own vector.
    for (l, v) in &model {
        assert_eq!(&index.get_item::<f32>(*l).unwrap(), v);
    }

    // Re-add removed labels (one with a new vector) and search again.
    let mut rng = Rng::new(11);
    for label in [middle, first, last] {
        let v = rng.signed_vectors(1, 8);
        index.add(&v, label).unwrap();
        model.insert(label, v);
    }
    check_against_model(&index, Metric::L2, &model, &queries, &[1, 5, 60]);
    let mut ids: Vec<u64> = model.keys().copied().collect();
    ids.sort();
    assert_eq!(index.ids(), ids);

    // Remove everything, in an order mixing slots.
    let mut order = ids.clone();
    order.sort_by_key(|l| (l * 31) % 17);
    for l in order {
        index.remove(l).unwrap();
        model.remove(&l);
        if !model.is_empty() {
            check_against_model(&index, Metric::L2, &model, &queries[..8], &[2]);
        }
    }
    assert!(index.is_empty());
    assert!(index.search(&queries[..8], 3, &opts()).unwrap().is_empty());
    assert!(index.ids().is_empty());
}

#[test]
fn remove_only_and_last_element() {
    let index = BruteForceIndex::new(Space::l2(1).unwrap(), 2).unwrap();
    index.add(&[1.0f32], 1).unwrap();
    index.remove(1).unwrap();
    assert!(index.is_empty());
    assert!(!index.contains(1));
    // hnswlib re-inserted the removed label when it was in the last slot.
    assert!(matches!(index.remove(1), Err(Error::LabelNotFound(1))));
    index.add(&[1.0f32], 1).unwrap();
    index.add(&[2.0f32], 2).unwrap();
    index.remove(2).unwrap();
    assert_eq!(index.ids(), vec![1]);
    assert!(matches!(index.remove(2), Err(Error::LabelNotFound(2))));
    // Room for two again.
    index.add(&[3.0f32], 3).unwrap();
    assert_eq!(index.ids(), vec![1, 3]);
    let found = index.search(&[2.9f32], 2, &opts()).unwrap();
    assert_eq!(labels_of(&found), vec![3, 1]);
}

#[test]
fn remove_unknown_label_is_an_error() {
    let (index, _) = build(Metric::L2, 5, 2, 12);
    assert!(matches!(index.remove(42), Err(Error::LabelNotFound(42))));
    assert_eq!(index.len(), 5);
}

// ---------------------------------------------------------------------------------
// Filters, k, ties

#[test]
fn filter_rejecting_nearest_elements() {
    let (index, model) = build(Metric::L2, 300, 8, 13);
    let queries = Rng::new(14).vectors(10, 8);
    for q in queries.chunks_exact(8) {
        // Reject the 20 nearest: hnswlib 0.8.0 then refused later elements.
        let nearest: Vec<u64> = reference(Metric::L2, &model, q, &|_| true)
            .iter()
            .take(20)
            .map(|x| x.1)
            .collect();
        let reject_nearest = |l: u64| !nearest.contains(&l);
        let all = reference(Metric::L2, &model, q, &reject_nearest);
        for k in [1, 10, 25] {
            let got = index.search(q, k, &with_filter(&reject_nearest)).unwrap();
            assert_top_k(&got, &all, k);
        }
        // A label predicate like the Python examples.
        let odd = |l: u64| l % 2 == 1;
        let all = reference(Metric::L2, &model, q, &odd);
        for k in [1, 10, 150, 1000] {
            let got = index.search(q, k, &with_filter(&odd)).unwrap();
            assert_top_k(&got, &all, k);
        }
    }
}

#[test]
fn filter_matching_fewer_than_k() {
    let (index, model) = build(Metric::Ip, 100, 4, 15);
    let q = Rng::new(16).vectors(1, 4);
    let three = |l: u64| l == 1000 || l == 1000 + 7 * 50 || l == 1000 + 7 * 99;
    let got = index.search(&q, 10, &with_filter(&three)).unwrap();
    assert_eq!(got.len(), 3);
    assert_top_k(&got, &reference(Metric::Ip, &model, &q, &three), 10);
    let none = |_: u64| false;
    assert!(index
        .search(&q, 10, &with_filter(&none))
        .unwrap()
        .is_empty());
}

#[test]
fn filter_is_asked_only_about_labels_in_index() {
    let (index, model) = build(Metric::L2, 50, 4, 17);
    let asked = std::sync::Mutex::new(Vec::new());
    let record = |l: u64| {
        asked.lock().unwrap().push(l);
        true
    };
    index
        .search(&[0.0f32; 4], 5, &with_filter(&record))
        .unwrap();
    let asked = asked.into_inner().unwrap();
    assert!(asked.len() >= 5);
    assert!(asked.iter().all(|l| model.contains_key(l)));
}

#[test]
fn k_larger_than_len_returns_all() {
    let (index, model) = build(Metric::L2, 7, 3, 18);
    let q = [0.1f32, 0.2, 0.3];
    let got = index.search(&q, 100, &opts()).unwrap();
    assert_eq!(got.len(), 7);
    assert_top_k(&got, &reference(Metric::L2, &model, &q, &|_| true), 100);
    // A huge k allocates nothing beyond the elements.
    assert_eq!(index.search(&q, usize::MAX, &opts()).unwrap().len(), 7);

    let empty = BruteForceIndex::new(Space::l2(3).unwrap(), 10).unwrap();
    assert!(empty.search(&q, 5, &opts()).unwrap().is_empty());
}

#[test]
fn ties_are_ordered_by_label() {
    let index = BruteForceIndex::new(Space::l2(2).unwrap(), 20).unwrap();
    // Same vector under labels inserted in scrambled order, plus equidistant points.
    for l in [9u64, 3, 17, 1, 12] {
        index.add(&[1.0f32, 1.0], l).unwrap();
    }
    for (l, v) in [(8u64, [0.0f32, 1.0]), (2, [1.0, 0.0]), (5, [2.0, 1.0])] {
        index.add(&v, l).unwrap();
    }
    let got = index.search(&[1.0f32, 1.0], 8, &opts()).unwrap();
    assert_eq!(labels_of(&got), vec![1, 3, 9, 12, 17, 2, 5, 8]);
    assert!(got[..5].iter().all(|n| n.distance == 0.0));
    assert!(got[5..].iter().all(|n| n.distance == 1.0));
    // With k cutting through a tie, the smallest labels win.
    let got = index.search(&[1.0f32, 1.0], 3, &opts()).unwrap();
    assert_eq!(labels_of(&got), vec![1, 3, 9]);
    let got = index.search(&[1.0f32, 1.0], 7, &opts()).unwrap();
    assert_eq!(labels_of(&got), vec![1, 3, 9, 12, 17, 2, 5]);
    // Batch search agrees.
    let batch = index
        .search_batch(&[1.0f32, 1.0, 1.0, 1.0], 7, &opts())
        .unwrap();
    for row in 0..2 {
        assert_eq!(
            batch.row(row).map(|n| n.label).collect::<Vec<_>>(),
            vec![1, 3, 9, 12, 17, 2, 5]
        );
    }
}

// ---------------------------------------------------------------------------------
// Batch search

fn assert_batch_equals_singles(
    index: &BruteForceIndex,
    queries: &[f32],
    k: usize,
    o: &SearchOptions,
    batch: &BatchResults,
) {
    let dim = index.dim();
    let rows = queries.len() / dim;
    assert_eq!(batch.k, k);
    assert_eq!(batch.labels.len(), rows * k);
    assert_eq!(batch.distances.len(), rows * k);
    assert_eq!(batch.counts.len(), rows);
    for (row, q) in queries.chunks_exact(dim).enumerate() {
        let single = index.search(q, k, o).unwrap();
        assert_eq!(batch.row(row).collect::<Vec<_>>(), single);
        assert_eq!(batch.counts[row], single.len());
        for i in single.len()..k {
            assert_eq!(batch.labels[row * k + i], u64::MAX);
            assert_eq!(batch.distances[row * k + i], f32::INFINITY);
        }
    }
}

#[test]
fn batch_search_equals_single_searches() {
    let (index, _) = build(Metric::Cosine, 2000, 16, 19);
    let queries = Rng::new(20).vectors(64, 16);
    for threads in [1, 3, 0, -1] {
        let o = SearchOptions {
            num_threads: threads,
            ..Default::default()
        };
        for k in [1, 10] {
            let batch = index.search_batch(&queries, k, &o).unwrap();
            assert_batch_equals_singles(&index, &queries, k, &o, &batch);
        }
    }
    // With a filter, and with k above what the filter lets through.
    let few = |l: u64| l.is_multiple_of(500);
    let o = SearchOptions {
        filter: Some(&few),
        num_threads: 4,
        ..Default::default()
    };
    let batch = index.search_batch(&queries, 20, &o).unwrap();
    assert_batch_equals_singles(&index, &queries, 20, &o, &batch);
    assert!(batch.counts.iter().all(|&c| c < 20));
}

#[test]
fn batch_search_spans_scan_blocks() {
    // 512-byte slots: the scan works through 1500 elements in several blocks, and
    // the batch in groups of queries, with a partial last group.
    let (index, model) = build(Metric::L2, 1500, 128, 40);
    let queries = Rng::new(41).vectors(37, 128);
    check_against_model(
        &index,
        Metric::L2,
        &model,
        &queries[..5 * 128],
        &[1, 10, 1500],
    );
    let odd = |l: u64| l % 2 == 1;
    for threads in [1, 2, 5] {
        for filter in [None, Some(&odd as &(dyn Fn(u64) -> bool + Sync))] {
            let o = SearchOptions {
                num_threads: threads,
                filter,
                ..Default::default()
            };
            let batch = index.search_batch(&queries, 10, &o).unwrap();
            assert_batch_equals_singles(&index, &queries, 10, &o, &batch);
            for (row, q) in queries.chunks_exact(128).enumerate() {
                let all = reference(Metric::L2, &model, q, &|l| filter.is_none_or(|f| f(l)));
                assert_top_k(&batch.row(row).collect::<Vec<_>>(), &all, 10);
            }
        }
    }
}

#[test]
fn batch_search_k_above_len_pads_rows() {
    let (index, _) = build(Metric::L2, 3, 2, 21);
    let queries = [0.0f32, 0.0, 1.0, 1.0];
    let batch = index.search_batch(&queries, 5, &opts()).unwrap();
    assert_eq!(batch.counts, vec![3, 3]);
    assert_batch_equals_singles(&index, &queries, 5, &opts(), &batch);

    let empty = BruteForceIndex::new(Space::l2(2).unwrap(), 3).unwrap();
    let batch = empty.search_batch(&queries, 2, &opts()).unwrap();
    assert_eq!(batch.counts, vec![0, 0]);
    assert!(batch.labels.iter().all(|&l| l == u64::MAX));
    assert!(batch.distances.iter().all(|&d| d == f32::INFINITY));
}

#[test]
fn batch_search_u8() {
    let dim = 5;
    let mut rng = Rng::new(22);
    let index = BruteForceIndex::new(Space::l2_u8(dim).unwrap(), 500).unwrap();
    let data = rng.bytes(500 * dim);
    let labels: Vec<u64> = (0..500).collect();
    index.add_batch(&data, &labels).unwrap();
    let queries = rng.bytes(40 * dim);
    let batch = index
        .search_batch(
            &queries,
            4,
            &SearchOptions {
                num_threads: 4,
                ..Default::default()
            },
        )
        .unwrap();
    for (row, q) in queries.chunks_exact(dim).enumerate() {
        assert_eq!(
            batch.row(row).collect::<Vec<_>>(),
            index.search(q, 4, &opts()).unwrap()
        );
    }
}

// ---------------------------------------------------------------------------------
// Error paths

#[test]
fn k_zero_is_invalid() {
    let (index, _) = build(Metric::L2, 5, 2, 23);
    assert!(matches!(
        index.search(&[0.0f32, 0.0], 0, &opts()),
        Err(Error::InvalidParameter(_))
    ));
    assert!(matches!(
        index.search_batch(&[0.0f32, 0.0], 0, &opts()),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn dimension_errors() {
    let (index, _) = build(Metric::L2, 5, 3, 24);
    assert!(matches!(
        index.add(&[1.0f32, 2.0], 1),
        Err(Error::DimensionMismatch {
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        index.search(&[1.0f32, 2.0, 3.0, 4.0], 1, &opts()),
        Err(Error::DimensionMismatch {
            expected: 3,
            got: 4
        })
    ));
    // A batch whose length is not a multiple of dim.
    assert!(matches!(
        index.add_batch(&[1.0f32; 7], &[1, 2]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        index.search_batch(&[1.0f32; 7], 1, &opts()),
        Err(Error::DimensionMismatch { .. })
    ));
    assert_eq!(index.len(), 5);
}

#[test]
fn element_type_errors() {
    let f = BruteForceIndex::new(Space::l2(2).unwrap(), 4).unwrap();
    f.add(&[1.0f32, 2.0], 1).unwrap();
    assert!(matches!(
        f.add(&[1u8, 2], 2),
        Err(Error::ElementType {
            expected: "f32",
            got: "u8"
        })
    ));
    assert!(matches!(
        f.add_batch(&[1u8, 2], &[2]),
        Err(Error::ElementType { .. })
    ));
    assert!(matches!(
        f.search(&[1u8, 2], 1, &opts()),
        Err(Error::ElementType { .. })
    ));
    assert!(matches!(
        f.search_batch(&[1u8, 2], 1, &opts()),
        Err(Error::ElementType { .. })
    ));
    assert!(matches!(
        f.get_item::<u8>(1),
        Err(Error::ElementType {
            expected: "f32",
            got: "u8"
        })
    ));

    let u = BruteForceIndex::new(Space::l2_u8(2).unwrap(), 4).unwrap();
    u.add(&[1u8, 2], 1).unwrap();
    assert!(matches!(
        u.add(&[1.0f32, 2.0], 2),
        Err(Error::ElementType {
            expected: "u8",
            got: "f32"
        })
    ));
    assert!(matches!(
        u.get_item::<f32>(1),
        Err(Error::ElementType { .. })
    ));

    // Custom space of 6 bytes: f32 does not divide it.
    let c = BruteForceIndex::new(
        Space::custom(6, |a: &[u8], b: &[u8]| hamming(a, b)).unwrap(),
        4,
    )
    .unwrap();
    c.add(&[1u8, 2, 3, 4, 5, 6], 1).unwrap();
    assert_eq!(c.get_item::<u8>(1).unwrap(), vec![1, 2, 3, 4, 5, 6]);
    assert!(matches!(
        c.get_item::<f32>(1),
        Err(Error::ElementType { .. })
    ));
    assert!(matches!(c.get_item::<u8>(2), Err(Error::LabelNotFound(2))));
}

#[test]
fn non_finite_errors() {
    let index = BruteForceIndex::new(Space::ip(2).unwrap(), 10).unwrap();
    assert!(matches!(
        index.add(&[f32::NAN, 0.0], 1),
        Err(Error::NonFinite { row: 0 })
    ));
    assert!(matches!(
        index.add(&[f32::INFINITY, 0.0], 1),
        Err(Error::NonFinite { row: 0 })
    ));
    assert!(matches!(
        index.add_batch(&[0.0f32, 0.0, 1.0, 1.0, 2.0, f32::NEG_INFINITY], &[1, 2, 3]),
        Err(Error::NonFinite { row: 2 })
    ));
    assert!(index.is_empty());
    index.add(&[1.0f32, 0.0], 1).unwrap();
    assert!(matches!(
        index.search(&[f32::NAN, 0.0], 1, &opts()),
        Err(Error::NonFinite { row: 0 })
    ));
    assert!(matches!(
        index.search_batch(&[0.0f32, 0.0, 1.0, 1.0, 0.0, f32::NAN], 1, &opts()),
        Err(Error::NonFinite { row: 2 })
    ));
}

#[test]
fn batch_input_errors() {
    let index = BruteForceIndex::new(Space::l2(2).unwrap(), 10).unwrap();
    assert!(matches!(
        index.add_batch::<f32>(&[], &[]),
        Err(Error::EmptyInput(_))
    ));
    assert!(matches!(
        index.search_batch::<f32>(&[], 1, &opts()),
        Err(Error::EmptyInput(_))
    ));
    assert!(matches!(
        index.add_batch(&[1.0f32, 2.0, 3.0, 4.0], &[1]),
        Err(Error::LabelCountMismatch { labels: 1, rows: 2 })
    ));
    assert!(matches!(
        index.add_batch(&[1.0f32, 2.0], &[1, 2, 3]),
        Err(Error::LabelCountMismatch { labels: 3, rows: 1 })
    ));
    assert!(index.is_empty());
}

#[test]
fn add_batch_capacity_counts_existing_and_duplicate_labels() {
    let index = BruteForceIndex::new(Space::l2(1).unwrap(), 5).unwrap();
    index.add_batch(&[1.0f32, 2.0, 3.0], &[1, 2, 3]).unwrap();
    // 3 exists, 4 twice: two new labels, exactly filling the index.
    index
        .add_batch(&[30.0f32, 40.0, 41.0, 50.0], &[3, 4, 4, 5])
        .unwrap();
    assert_eq!(index.len(), 5);
    assert_eq!(index.get_item::<f32>(3).unwrap(), vec![30.0]);
    assert_eq!(index.get_item::<f32>(4).unwrap(), vec![41.0]);
    // Only existing labels: fine when full.
    index.add_batch(&[10.0f32, 20.0], &[1, 2]).unwrap();
    // One new label too many: nothing changes, not even the existing ones.
    let before = index.to_bytes();
    assert!(matches!(
        index.add_batch(&[100.0f32, 6.0], &[1, 6]),
        Err(Error::CapacityExceeded { max_elements: 5 })
    ));
    assert_eq!(index.to_bytes(), before);
    assert_eq!(index.get_item::<f32>(1).unwrap(), vec![10.0]);
}

#[test]
fn failed_batch_leaves_index_unchanged() {
    let (index, _) = build(Metric::Cosine, 10, 3, 25);
    let before = index.to_bytes();
    let ids = index.ids();
    // Overwrites and new labels, with a NaN in the last row.
    let bad = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, f32::NAN];
    assert!(matches!(
        index.add_batch(&bad, &[1000, 5, 6]),
        Err(Error::NonFinite { row: 2 })
    ));
    assert_eq!(index.to_bytes(), before);
    assert_eq!(index.ids(), ids);
    // Too many new labels.
    let many = Rng::new(26).vectors(11, 3);
    let labels: Vec<u64> = (0..11).collect();
    assert!(matches!(
        index.add_batch(&many, &labels),
        Err(Error::CapacityExceeded { max_elements: 20 })
    ));
    assert_eq!(index.to_bytes(), before);
}

#[test]
fn zero_capacity_index() {
    let index = BruteForceIndex::new(Space::l2(2).unwrap(), 0).unwrap();
    assert!(matches!(
        index.add(&[1.0f32, 2.0], 1),
        Err(Error::CapacityExceeded { max_elements: 0 })
    ));
    assert_eq!(index.to_bytes().len(), 24);
    let loaded = BruteForceIndex::from_bytes(&index.to_bytes(), Space::l2(2).unwrap(), 0).unwrap();
    assert_eq!(loaded.max_elements(), 0);
    index.resize(1).unwrap();
    index.add(&[1.0f32, 2.0], 1).unwrap();
}

#[test]
fn resize_rules() {
    let (index, model) = build(Metric::L2, 10, 2, 27);
    assert_eq!(index.max_elements(), 20);
    assert!(matches!(
        index.resize(9),
        Err(Error::ResizeBelowCount {
            requested: 9,
            count: 10
        })
    ));
    index.resize(10).unwrap();
    assert_eq!(index.max_elements(), 10);
    assert!(matches!(
        index.add(&[0.0f32, 0.0], 1),
        Err(Error::CapacityExceeded { max_elements: 10 })
    ));
    index.resize(12).unwrap();
    index.add(&[0.0f32, 0.0], 1).unwrap();
    index.add(&[0.0f32, 0.0], 2).unwrap();
    assert!(matches!(
        index.add(&[0.0f32, 0.0], 3),
        Err(Error::CapacityExceeded { max_elements: 12 })
    ));
    for (l, v) in &model {
        assert_eq!(&index.get_item::<f32>(*l).unwrap(), v);
    }
    assert!(matches!(
        index.resize(usize::MAX),
        Err(Error::InvalidParameter(_))
    ));
    assert!(matches!(
        index.resize(1 << 40),
        Err(Error::InvalidParameter(_))
    ));
    assert_eq!(index.max_elements(), 12);
}

#[test]
fn new_rejects_impossible_capacity() {
    assert!(matches!(
        BruteForceIndex::new(Space::l2(4).unwrap(), usize::MAX),
        Err(Error::InvalidParameter(_))
    ));
    assert!(matches!(
        BruteForceIndex::new(Space::l2(4).unwrap(), 1 << 33),
        Err(Error::InvalidParameter(_))
    ));
    // A large capacity allocates nothing up front.
    let big = BruteForceIndex::new(Space::l2(4).unwrap(), 1 << 31).unwrap();
    assert_eq!(big.max_elements(), 1 << 31);
    big.add(&[1.0f32; 4], 1).unwrap();
    assert_eq!(big.len(), 1);
}

// ---------------------------------------------------------------------------------
// Files

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

#[test]
fn save_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for metric in [Metric::L2, Metric::Ip, Metric::Cosine] {
        let (index, model) = build(metric, 100, 6, 28);
        index.remove(1000 + 7 * 10).unwrap();
        let path = dir.path().join(format!("{metric:?}.bin"));
        index.save(&path).unwrap();

        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes, index.to_bytes());
        // hnswlib's layout: header, then the full capacity of 110 slots.
        assert_eq!(bytes.len(), 24 + 110 * (24 + 8));
        assert_eq!(read_u64(&bytes, 0), 110);
        assert_eq!(read_u64(&bytes, 8), 32);
        assert_eq!(read_u64(&bytes, 16), 99);
        assert!(bytes[24 + 99 * 32..].iter().all(|&b| b == 0));

        let loaded = BruteForceIndex::load(&path, space_of(metric, 6), 0).unwrap();
        assert_eq!(loaded.len(), 99);
        assert_eq!(loaded.max_elements(), 110);
        assert_eq!(loaded.ids(), index.ids());
        let queries = Rng::new(29).vectors(10, 6);
        for q in queries.chunks_exact(6) {
            assert_eq!(
                loaded.search(q, 10, &opts()).unwrap(),
                index.search(q, 10, &opts()).unwrap()
            );
        }
        let mut model = model;
        model.remove(&(1000 + 7 * 10));
        check_against_model(&loaded, metric, &model, &queries, &[5]);

        // Re-saving gives the same bytes.
        let again = dir.path().join(format!("{metric:?}-again.bin"));
        loaded.save(&again).unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), bytes);

        // The label map was rebuilt: overwrite, remove and add work after loading.
        loaded.add(&[0.5f32; 6], 1000).unwrap();
        assert_eq!(loaded.len(), 99);
        loaded.remove(1007).unwrap();
        assert!(!loaded.contains(1007));
        loaded.add(&[0.5f32; 6], 1).unwrap();
        assert_eq!(loaded.len(), 99);
    }
}

#[test]
fn u8_and_custom_round_trip() {
    let u = BruteForceIndex::new(Space::l2_u8(3).unwrap(), 4).unwrap();
    u.add_batch(&[1u8, 2, 3, 4, 5, 6], &[10, 20]).unwrap();
    let bytes = u.to_bytes();
    assert_eq!(bytes.len(), 24 + 4 * 11);
    // Slot 0: vector bytes then label, unpadded in the file.
    assert_eq!(&bytes[24..27], &[1, 2, 3]);
    assert_eq!(read_u64(&bytes, 27), 10);
    assert_eq!(&bytes[35..38], &[4, 5, 6]);
    assert_eq!(read_u64(&bytes, 38), 20);
    let back = BruteForceIndex::from_bytes(&bytes, Space::l2_u8(3).unwrap(), 0).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.get_item::<u8>(20).unwrap(), vec![4, 5, 6]);

    let space = Space::custom(5, |a: &[u8], b: &[u8]| hamming(a, b)).unwrap();
    let c = BruteForceIndex::new(space.clone(), 3).unwrap();
    c.add(&[1u8, 2, 3, 4, 5], 7).unwrap();
    let back = BruteForceIndex::from_bytes(&c.to_bytes(), space, 8).unwrap();
    assert_eq!(back.max_elements(), 8);
    assert_eq!(back.get_item::<u8>(7).unwrap(), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        back.search(&[1u8, 2, 3, 4, 4], 1, &opts()).unwrap()[0],
        Neighbor {
            label: 7,
            distance: 1.0
        }
    );
}

/// Bytes of a file as hnswlib writes it, built by hand from the format description.
fn hnswlib_file(max: u64, dim: usize, elements: &[(u64, Vec<f32>)]) -> Vec<u8> {
    let spe = dim * 4 + 8;
    let mut out = Vec::new();
    out.extend_from_slice(&max.to_le_bytes());
    out.extend_from_slice(&(spe as u64).to_le_bytes());
    out.extend_from_slice(&(elements.len() as u64).to_le_bytes());
    for (label, v) in elements {
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&label.to_le_bytes());
    }
    // hnswlib leaves the unused slots uninitialised: simulate garbage.
    let unused = (max as usize - elements.len()) * spe;
    out.extend((0..unused).map(|i| (i * 131 % 251) as u8));
    out
}

#[test]
fn loads_hnswlib_file_with_garbage_in_unused_slots() {
    let elements = vec![
        (42u64, vec![1.0f32, 0.0, 0.0, 0.0]),
        (7, vec![0.0, 1.0, 0.0, 0.0]),
        (u64::MAX - 1, vec![0.0, 0.0, 2.0, 0.0]),
    ];
    let bytes = hnswlib_file(5, 4, &elements);
    assert_eq!(bytes.len(), 144); // as in the reference: capacity 5, dim 4
    let index = BruteForceIndex::from_bytes(&bytes, Space::l2(4).unwrap(), 0).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(index.max_elements(), 5);
    assert_eq!(index.ids(), vec![7, 42, u64::MAX - 1]);
    let found = index.search(&[0.0f32, 0.9, 0.0, 0.0], 3, &opts()).unwrap();
    assert_eq!(labels_of(&found), vec![7, 42, u64::MAX - 1]);
    // Our re-save zeroes the unused slots and keeps everything else.
    let ours = index.to_bytes();
    assert_eq!(ours.len(), bytes.len());
    assert_eq!(&ours[..24 + 3 * 24], &bytes[..24 + 3 * 24]);
    assert!(ours[24 + 3 * 24..].iter().all(|&b| b == 0));
}

#[test]
fn load_capacity_rules() {
    let (index, _) = build(Metric::L2, 6, 2, 30);
    let bytes = index.to_bytes();
    let space = || Space::l2(2).unwrap();
    assert_eq!(
        BruteForceIndex::from_bytes(&bytes, space(), 0)
            .unwrap()
            .max_elements(),
        16
    );
    assert_eq!(
        BruteForceIndex::from_bytes(&bytes, space(), 100)
            .unwrap()
            .max_elements(),
        100
    );
    let exact = BruteForceIndex::from_bytes(&bytes, space(), 6).unwrap();
    assert_eq!(exact.max_elements(), 6);
    assert!(matches!(
        exact.add(&[0.0f32, 0.0], 1),
        Err(Error::CapacityExceeded { max_elements: 6 })
    ));
    assert!(matches!(
        BruteForceIndex::from_bytes(&bytes, space(), 5),
        Err(Error::InvalidParameter(_))
    ));
    assert!(matches!(
        BruteForceIndex::from_bytes(&bytes, space(), usize::MAX),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn loads_compact_file() {
    let (index, model) = build(Metric::Ip, 5, 3, 31);
    let full = index.to_bytes();
    let compact = &full[..24 + 5 * 20];
    let loaded = BruteForceIndex::from_bytes(compact, Space::ip(3).unwrap(), 0).unwrap();
    assert_eq!(loaded.max_elements(), 15);
    assert_eq!(loaded.len(), 5);
    for (l, v) in &model {
        assert_eq!(&loaded.get_item::<f32>(*l).unwrap(), v);
    }
    assert_eq!(loaded.to_bytes(), full);
}

#[test]
fn compact_file_with_large_capacity_allocates_lazily() {
    // A valid but large capacity in a compact file costs nothing until used.
    let mut bytes = hnswlib_file(1, 2, &[(1, vec![1.0, 2.0])]);
    bytes[..8].copy_from_slice(&(1u64 << 31).to_le_bytes());
    let index = BruteForceIndex::from_bytes(&bytes, Space::l2(2).unwrap(), 0).unwrap();
    assert_eq!(index.max_elements(), 1 << 31);
    assert_eq!(index.len(), 1);
}

#[test]
fn every_truncation_is_an_error() {
    // Full file (count == capacity): no shorter length is valid.
    let index = BruteForceIndex::new(Space::l2(3).unwrap(), 3).unwrap();
    index
        .add_batch(
            &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            &[1, 2, 3],
        )
        .unwrap();
    let bytes = index.to_bytes();
    assert_eq!(bytes.len(), 24 + 3 * 20);
    for len in 0..bytes.len() {
        match BruteForceIndex::from_bytes(&bytes[..len], Space::l2(3).unwrap(), 0) {
            Err(Error::Corrupt(_)) => {}
            other => panic!("prefix of {len} bytes: {other:?}"),
        }
    }
    // With unused slots: only the compact length (header + used slots) is valid.
    index.resize(5).unwrap();
    index.remove(2).unwrap();
    let bytes = index.to_bytes();
    assert_eq!(bytes.len(), 24 + 5 * 20);
    let compact_len = 24 + 2 * 20;
    for len in 0..bytes.len() {
        let result = BruteForceIndex::from_bytes(&bytes[..len], Space::l2(3).unwrap(), 0);
        if len == compact_len {
            assert_eq!(result.unwrap().to_bytes(), bytes);
        } else {
            assert!(
                matches!(result, Err(Error::Corrupt(_))),
                "prefix of {len} bytes: {result:?}"
            );
        }
    }
    // One byte too many is corrupt too.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        BruteForceIndex::from_bytes(&longer, Space::l2(3).unwrap(), 0),
        Err(Error::Corrupt(_))
    ));
    // And through a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.bin");
    std::fs::write(&path, &bytes[..50]).unwrap();
    assert!(matches!(
        BruteForceIndex::load(&path, Space::l2(3).unwrap(), 0),
        Err(Error::Corrupt(_))
    ));
}

fn set_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn corrupted_headers() {
    let (index, _) = build(Metric::L2, 4, 2, 32);
    let good = index.to_bytes();
    let space = || Space::l2(2).unwrap();
    let load = |b: &[u8]| BruteForceIndex::from_bytes(b, space(), 0);

    // Huge maxelements: overflowing, merely enormous, and beyond the slot limit.
    for max in [u64::MAX, u64::MAX / 16, 1 << 40, (1 << 32) + 5] {
        let mut b = good.clone();
        set_u64(&mut b, 0, max);
        assert!(matches!(load(&b), Err(Error::Corrupt(_))), "max {max}");
        // Also in a compact file, and when the caller replaces the capacity.
        let mut c = b[..24 + 4 * 16].to_vec();
        set_u64(&mut c, 0, max);
        assert!(matches!(load(&c), Err(Error::Corrupt(_))), "max {max}");
        assert!(matches!(
            BruteForceIndex::from_bytes(&c, space(), 10),
            Err(Error::Corrupt(_))
        ));
    }
    // Huge cur.
    for cur in [u64::MAX, 15, 1 << 40] {
        let mut b = good.clone();
        set_u64(&mut b, 16, cur);
        assert!(matches!(load(&b), Err(Error::Corrupt(_))), "cur {cur}");
    }
    // A cur within capacity but inconsistent with the length of a full file is fine
    // only if the slots exist: 10 of 14 slots exist, so this is valid (zero labels
    // then repeat, which is corrupt).
    let mut b = good.clone();
    set_u64(&mut b, 16, 10);
    assert!(matches!(load(&b), Err(Error::Corrupt(_))));
    // Wrong size_per_element: not this space's.
    for spe in [9u64, 12, 20, 24, 1 << 20, u64::MAX] {
        let mut b = good.clone();
        set_u64(&mut b, 8, spe);
        assert!(matches!(load(&b), Err(Error::Incompatible(_))), "spe {spe}");
    }
    // Too small to hold a label at all.
    for spe in [0u64, 1, 8] {
        let mut b = good.clone();
        set_u64(&mut b, 8, spe);
        assert!(matches!(load(&b), Err(Error::Corrupt(_))), "spe {spe}");
    }
    // The original still loads.
    assert_eq!(load(&good).unwrap().len(), 4);
}

#[test]
fn corrupted_contents() {
    let space = || Space::l2(2).unwrap();
    // A duplicated label.
    let dup = hnswlib_file(3, 2, &[(5, vec![1.0, 2.0]), (5, vec![3.0, 4.0])]);
    match BruteForceIndex::from_bytes(&dup, space(), 0) {
        Err(Error::Corrupt(msg)) => assert!(msg.contains("label 5"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // NaN and infinity in stored f32 vectors.
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let file = hnswlib_file(2, 2, &[(1, vec![1.0, 2.0]), (2, vec![bad, 0.0])]);
        assert!(matches!(
            BruteForceIndex::from_bytes(&file, space(), 0),
            Err(Error::Corrupt(_))
        ));
    }
    // NaN in the unused slots is not looked at.
    let mut file = hnswlib_file(2, 2, &[(1, vec![1.0, 2.0])]);
    file[24 + 16..24 + 20].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(BruteForceIndex::from_bytes(&file, space(), 0).is_ok());
    // The same bytes are fine for a u8 space of the same element size.
    let file = hnswlib_file(2, 2, &[(1, vec![1.0, 2.0]), (2, vec![f32::NAN, 0.0])]);
    assert!(BruteForceIndex::from_bytes(&file, Space::l2_u8(8).unwrap(), 0).is_ok());
}

#[test]
fn wrong_space_at_load() {
    let (index, _) = build(Metric::L2, 4, 8, 33);
    let bytes = index.to_bytes();
    match BruteForceIndex::from_bytes(&bytes, Space::l2(16).unwrap(), 0) {
        Err(Error::Incompatible(msg)) => {
            assert!(msg.contains("40 bytes"), "{msg}");
            assert!(msg.contains("dim 8"), "{msg}");
            assert!(msg.contains("dim 16"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        BruteForceIndex::from_bytes(&bytes, Space::cosine(4).unwrap(), 0),
        Err(Error::Incompatible(_))
    ));
    assert!(matches!(
        BruteForceIndex::from_bytes(&bytes, Space::l2_u8(8).unwrap(), 0),
        Err(Error::Incompatible(_))
    ));
}

#[test]
fn missing_file_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("does-not-exist.bin");
    assert!(matches!(
        BruteForceIndex::load(&path, Space::l2(2).unwrap(), 0),
        Err(Error::Io { .. })
    ));
    // Saving into a missing directory is an I/O error too.
    let (index, _) = build(Metric::L2, 2, 2, 34);
    assert!(matches!(
        index.save(dir.path().join("no/such/dir/x.bin")),
        Err(Error::Io { .. })
    ));
}

// ---------------------------------------------------------------------------------
// Misc

#[test]
fn debug_and_accessors() {
    let (index, _) = build(Metric::Cosine, 3, 5, 35);
    let s = format!("{index:?}");
    assert!(s.contains("BruteForceIndex"), "{s}");
    assert!(s.contains("len: 3"), "{s}");
    assert!(s.contains("max_elements: 13"), "{s}");
    assert_eq!(index.dim(), 5);
    assert_eq!(index.space().dim(), 5);
    assert!(!index.is_empty());
    assert!(index.contains(1000));
    assert!(!index.contains(1001));
}

#[test]
fn shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<BruteForceIndex>();

    let index = BruteForceIndex::new(Space::l2(4).unwrap(), 1000).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let index = &index;
            s.spawn(move || {
                let mut rng = Rng::new(100 + t);
                for i in 0..200u64 {
                    let v = rng.signed_vectors(1, 4);
                    index.add(&v, t * 1000 + i).unwrap();
                    let found = index.search(&v, 1, &opts()).unwrap();
                    assert_eq!(found[0].distance, 0.0);
                    if i % 3 == 0 {
                        index.remove(t * 1000 + i).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(index.len(), 4 * (200 - 67));
}

#[test]
fn get_items_concatenates_and_fails_on_unknown_labels() {
    let bf = BruteForceIndex::new(Space::l2(2).unwrap(), 4).unwrap();
    bf.add_batch(&[1.0f32, 2.0, 3.0, 4.0], &[7, 9]).unwrap();
    assert_eq!(
        bf.get_items::<f32>(&[9, 7]).unwrap(),
        vec![3.0, 4.0, 1.0, 2.0]
    );
    assert!(matches!(
        bf.get_items::<f32>(&[7, 8]),
        Err(Error::LabelNotFound(8))
    ));
}
