//! hnswlib's updates test: the same labels re-added with new vectors in three full
//! passes, then the final vectors; recall@5 > 0.99 must need an ef no more than 1.5x
//! the ef an index built from the final vectors alone needs.
//!
//! Reduced size by default; `HNSWLIB_FULL_TESTS=1` runs hnswlib's size (100k × 8).
mod common;

use common::*;
use hnswlib_core::*;

const DIM: usize = 8;
const K: usize = 5;

fn normalized_batch(rng: &mut Rng, n: usize) -> Vec<f32> {
    let mut v = rng.vectors(n, DIM);
    for row in v.chunks_exact_mut(DIM) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    }
    v
}

fn min_ef_for_recall(index: &HnswIndex, queries: &[f32], truth: &BatchResults) -> usize {
    let nq = queries.len() / DIM;
    for ef in 1..=500 {
        let found = index
            .search_batch(
                queries,
                K,
                &SearchOptions {
                    ef: Some(ef),
                    ..Default::default()
                },
            )
            .unwrap();
        let mut hits = 0.0;
        for q in 0..nq {
            let f: Vec<u64> = found.row(q).map(|n| n.label).collect();
            let t: Vec<u64> = truth.row(q).map(|n| n.label).collect();
            hits += recall(&f, &t);
        }
        if hits / nq as f64 > 0.99 {
            return ef;
        }
    }
    panic!("recall@5 never exceeded 0.99 up to ef=500");
}

#[test]
fn updates_keep_recall() {
    let full = std::env::var("HNSWLIB_FULL_TESTS").is_ok_and(|v| v == "1");
    let n = if full { 100_000 } else { 10_000 };
    let mut rng = Rng::new(1);
    let dummies: Vec<Vec<f32>> = (0..3).map(|_| normalized_batch(&mut rng, n)).collect();
    let final_batch = normalized_batch(&mut rng, n);
    let queries = normalized_batch(&mut rng, 1000);
    let labels: Vec<u64> = (0..n as u64).collect();

    let exact = BruteForceIndex::new(Space::l2(DIM).unwrap(), n).unwrap();
    exact.add_batch(&final_batch, &labels).unwrap();
    let truth = exact
        .search_batch(&queries, K, &SearchOptions::default())
        .unwrap();

    let params = HnswParams {
        max_elements: n,
        m: 16,
        ef_construction: 200,
        ..Default::default()
    };
    let plain = HnswIndex::new(Space::l2(DIM).unwrap(), &params).unwrap();
    plain
        .add_batch(&final_batch, Some(&labels), &AddOptions::default())
        .unwrap();
    let ef_plain = min_ef_for_recall(&plain, &queries, &truth);

    let updated = HnswIndex::new(Space::l2(DIM).unwrap(), &params).unwrap();
    for batch in dummies.iter().chain(std::iter::once(&final_batch)) {
        updated
            .add_batch(batch, Some(&labels), &AddOptions::default())
            .unwrap();
    }
    assert_eq!(updated.len(), n);
    for l in [0u64, n as u64 / 2, n as u64 - 1] {
        let i = l as usize;
        assert_eq!(
            updated.get_item::<f32>(l).unwrap(),
            final_batch[i * DIM..(i + 1) * DIM].to_vec()
        );
    }
    let ef_updated = min_ef_for_recall(&updated, &queries, &truth);
    eprintln!("n = {n}: recall@5 > 0.99 at ef {ef_plain} without updates, {ef_updated} with");
    assert!(
        ef_updated as f64 <= 1.5 * ef_plain as f64,
        "updates need ef {ef_updated}, more than 1.5 × {ef_plain}"
    );
}
