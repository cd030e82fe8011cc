//! Internal ids (hnswlib's `tableint`: the order elements were added or loaded) and
//! searches under a stop condition of the caller's own (hnswlib's
//! `BaseSearchStopCondition`), compared with brute force.
mod common;

use common::*;
use hnswlib_core::*;

const DIM: usize = 8;

fn index_of(data: &[f32], labels: &[u64], max_elements: usize, replace: bool) -> HnswIndex {
    let p = HnswParams {
        max_elements,
        allow_replace_deleted: replace,
        ..Default::default()
    };
    let index = HnswIndex::new(Space::l2(DIM).unwrap(), &p).unwrap();
    for (row, &l) in data.chunks_exact(DIM).zip(labels) {
        index.add(row, l, false).unwrap();
    }
    index
}

fn sq_l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[test]
fn ids_follow_the_order_of_adds_and_survive_save_and_load() {
    let mut rng = Rng::new(7);
    let n = 300;
    let data = rng.vectors(n, DIM);
    // Labels in no order: the ids are the add order, not the labels.
    let labels: Vec<u64> = (0..n as u64).map(|i| (i * 7919) % 1000 + 5).collect();
    let index = index_of(&data, &labels, n, false);
    index.mark_deleted(labels[3]).unwrap();
    let check = |index: &HnswIndex| {
        assert_eq!(index.len(), n);
        for (i, &l) in labels.iter().enumerate() {
            assert_eq!(index.internal_id(l).unwrap(), i as u32);
            assert_eq!(index.label_at(i as u64).unwrap(), l);
            assert_eq!(index.is_deleted_at(i as u64).unwrap(), i == 3);
            // Deleted elements are read by id too (get_item refuses them).
            let v = index.vector_at::<f32>(i as u64).unwrap();
            assert_eq!(&v[..], &data[i * DIM..(i + 1) * DIM]);
            let p = index.vector_ptr_at(i as u64).unwrap();
            // SAFETY: the index is alive and unchanged; the row holds DIM floats.
            let row = unsafe { std::slice::from_raw_parts(p.cast::<f32>(), DIM) };
            assert_eq!(row, &v[..]);
        }
    };
    check(&index);
    let loaded = HnswIndex::from_bytes(
        &index.to_bytes().unwrap(),
        index.space(),
        &LoadOptions::default(),
    )
    .unwrap();
    check(&loaded);
}

#[test]
fn out_of_range_ids_and_unknown_labels_are_clear_errors() {
    let mut rng = Rng::new(8);
    let data = rng.vectors(10, DIM);
    let labels: Vec<u64> = (0..10).collect();
    let index = index_of(&data, &labels, 20, false);
    for id in [10u64, 19, 20, u32::MAX as u64 + 3, u64::MAX] {
        let e = index.label_at(id).unwrap_err();
        assert!(matches!(e, Error::IdOutOfRange { count: 10, .. }), "{e}");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.to_string()
                .contains(&format!("Internal id {id} is out of range")),
            "{e}"
        );
        assert!(index.is_deleted_at(id).is_err());
        assert!(index.vector_at::<f32>(id).is_err());
        assert!(index.vector_ptr_at(id).is_err());
    }
    assert!(matches!(
        index.internal_id(99),
        Err(Error::LabelNotFound(99))
    ));
    assert!(matches!(
        index.vector_at::<u8>(0),
        Err(Error::ElementType { .. })
    ));
    let empty = HnswIndex::new(Space::l2(DIM).unwrap(), &HnswParams::default()).unwrap();
    assert!(matches!(
        empty.label_at(0),
        Err(Error::IdOutOfRange { id: 0, count: 0 })
    ));
}

#[test]
fn replace_deleted_reuses_the_id_and_codes_only_has_no_pointer() {
    let mut rng = Rng::new(9);
    let data = rng.vectors(20, DIM);
    let labels: Vec<u64> = (0..20).collect();
    let index = index_of(&data, &labels, 20, true);
    index.mark_deleted(4).unwrap();
    let fresh = rng.vectors(1, DIM);
    index.add(&fresh, 100, true).unwrap();
    assert_eq!(index.internal_id(100).unwrap(), 4);
    assert_eq!(index.label_at(4).unwrap(), 100);
    assert!(!index.is_deleted_at(4).unwrap());
    assert_eq!(index.vector_at::<f32>(4).unwrap(), fresh);

    let p = HnswParams {
        max_elements: 1200,
        quantization: Quantization::Sq8,
        keep_vectors: false,
        ..Default::default()
    };
    let codes = HnswIndex::new(Space::l2(DIM).unwrap(), &p).unwrap();
    codes
        .add_batch(&rng.vectors(1100, DIM), None, &AddOptions::default())
        .unwrap();
    assert!(matches!(
        codes.vector_ptr_at(0),
        Err(Error::NotSupported(_))
    ));
    assert_eq!(codes.vector_at::<f32>(0).unwrap().len(), DIM);
}

#[test]
fn vector_at_runs_beside_concurrent_updates() {
    let mut rng = Rng::new(10);
    let n = 200;
    let data = rng.vectors(n, DIM);
    let labels: Vec<u64> = (0..n as u64).collect();
    let index = index_of(&data, &labels, n, false);
    let updates = rng.vectors(n, DIM);
    std::thread::scope(|s| {
        s.spawn(|| {
            for (i, row) in updates.chunks_exact(DIM).enumerate() {
                index.add(row, i as u64, false).unwrap();
            }
        });
        for _ in 0..5 {
            for i in 0..n {
                // Either the old vector or the new one, never a mix.
                let v = index.vector_at::<f32>(i as u64).unwrap();
                let old = &data[i * DIM..(i + 1) * DIM];
                let new = &updates[i * DIM..(i + 1) * DIM];
                assert!(v == old || v == new, "element {i}");
            }
        }
    });
}

/// Stops once it holds `n` results: the `n` nearest, found by hnswlib's rules.
struct FirstN {
    n: usize,
    held: usize,
    added: Vec<(u64, Vec<u8>)>,
    removed: usize,
}

impl SearchStopCondition for FirstN {
    fn add_point_to_result(&mut self, label: u64, element: &[u8], _dist: f32) {
        self.held += 1;
        self.added.push((label, element.to_vec()));
    }
    fn remove_point_from_result(&mut self, _label: u64, _element: &[u8], _dist: f32) {
        self.held -= 1;
        self.removed += 1;
    }
    fn should_stop_search(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        candidate_dist > lower_bound && self.held == self.n
    }
    fn should_consider_candidate(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        self.held < self.n || candidate_dist < lower_bound
    }
    fn should_remove_extra(&mut self) -> bool {
        self.held > self.n
    }
    fn filter_results(&mut self, results: &mut Vec<Neighbor>) {
        assert_eq!(results.len(), self.held);
    }
}

/// Every element within a distance budget, at most `max` of them; filter_results
/// drops what is past the budget.
struct Budget {
    budget: f32,
    min: usize,
    max: usize,
    held: usize,
}

impl SearchStopCondition for Budget {
    fn add_point_to_result(&mut self, _label: u64, _element: &[u8], _dist: f32) {
        self.held += 1;
    }
    fn remove_point_from_result(&mut self, _label: u64, _element: &[u8], _dist: f32) {
        self.held -= 1;
    }
    fn should_stop_search(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        (candidate_dist > lower_bound && self.held == self.max)
            || (candidate_dist > self.budget && self.held >= self.min)
    }
    fn should_consider_candidate(&mut self, candidate_dist: f32, lower_bound: f32) -> bool {
        self.held < self.max || candidate_dist < lower_bound
    }
    fn should_remove_extra(&mut self) -> bool {
        self.held > self.max
    }
    fn filter_results(&mut self, results: &mut Vec<Neighbor>) {
        results.retain(|n| n.distance <= self.budget);
    }
}

#[test]
fn a_first_n_condition_finds_the_nearest_as_brute_force() {
    let mut rng = Rng::new(11);
    let n = 2000;
    let data = rng.vectors(n, DIM);
    let labels: Vec<u64> = (0..n as u64).map(|i| i + 1000).collect();
    let index = index_of(&data, &labels, n, false);
    let queries = rng.vectors(50, DIM);
    let mut hits = 0;
    for q in queries.chunks_exact(DIM) {
        let mut cond = FirstN {
            n: 10,
            held: 0,
            added: Vec::new(),
            removed: 0,
        };
        let found = index
            .search_stop_condition(q, &mut cond, &SearchOptions::default())
            .unwrap();
        assert_eq!(found.len(), 10);
        assert!(found.windows(2).all(|w| w[0].distance <= w[1].distance));
        assert!(cond.removed > 0);
        // The condition saw each result's label and stored vector.
        for (label, bytes) in &cond.added {
            let i = (label - 1000) as usize;
            let v: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes(b.try_into().unwrap()))
                .collect();
            assert_eq!(&v[..], &data[i * DIM..(i + 1) * DIM]);
        }
        for nb in &found {
            let i = (nb.label - 1000) as usize;
            assert!((nb.distance - sq_l2(q, &data[i * DIM..(i + 1) * DIM])).abs() < 1e-4);
        }
        let truth: Vec<u64> = exact_l2(&data, DIM, q, 10)
            .iter()
            .map(|i| i + 1000)
            .collect();
        let got: Vec<u64> = found.iter().map(|nb| nb.label).collect();
        hits += got.iter().filter(|l| truth.contains(l)).count();
    }
    let recall = hits as f64 / 500.0;
    assert!(recall > 0.95, "recall {recall}");
}

#[test]
fn a_distance_budget_condition_matches_brute_force_with_filters_and_deletions() {
    let mut rng = Rng::new(12);
    let n = 2000;
    let data = rng.vectors(n, DIM);
    let labels: Vec<u64> = (0..n as u64).collect();
    let index = index_of(&data, &labels, n, false);
    for l in (0..n as u64).step_by(10) {
        index.mark_deleted(l).unwrap();
    }
    let even = |l: u64| l.is_multiple_of(2);
    let opts = SearchOptions {
        filter: Some(&even),
        ..Default::default()
    };
    let budget = 0.15;
    let (mut found_total, mut truth_total) = (0, 0);
    for q in rng.vectors(30, DIM).chunks_exact(DIM) {
        let mut cond = Budget {
            budget,
            // hnswlib's rule stops once it holds `min` results beyond the budget,
            // which may be early: a larger min explores more.
            min: 300,
            max: 1000,
            held: 0,
        };
        let found = index.search_stop_condition(q, &mut cond, &opts).unwrap();
        let truth: Vec<u64> = (0..n)
            .filter(|&i| !i.is_multiple_of(10) && i.is_multiple_of(2))
            .filter(|&i| sq_l2(q, &data[i * DIM..(i + 1) * DIM]) <= budget)
            .map(|i| i as u64)
            .collect();
        for nb in &found {
            assert!(nb.distance <= budget);
            assert!(
                truth.contains(&nb.label),
                "label {} is deleted, filtered or too far",
                nb.label
            );
        }
        found_total += found.len();
        truth_total += truth.len();
    }
    assert!(truth_total > 0);
    let recall = found_total as f64 / truth_total as f64;
    assert!(recall > 0.95, "recall {recall}");
}

#[test]
fn a_stop_condition_on_an_empty_index_and_a_bad_query() {
    let index = HnswIndex::new(Space::l2(DIM).unwrap(), &HnswParams::default()).unwrap();
    let mut cond = Budget {
        budget: 1.0,
        min: 1,
        max: 5,
        held: 0,
    };
    let q = vec![0.0f32; DIM];
    let found = index
        .search_stop_condition(&q, &mut cond, &SearchOptions::default())
        .unwrap();
    assert!(found.is_empty());
    assert!(matches!(
        index.search_stop_condition(&q[..3], &mut cond, &SearchOptions::default()),
        Err(Error::DimensionMismatch { .. })
    ));
}
