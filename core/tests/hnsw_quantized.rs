//! Quantized indexes (sq8, sq4): recall against brute force after exact re-ranking,
//! the same graph as an unquantized build, training, codes-only storage, files,
//! updates, deletions, filters, resize, and every error path.
mod common;

use common::*;
use hnswlib_core::hnsw::TRAIN_MIN;
use hnswlib_core::*;

/// Embedding-like data: points around `clusters` centres in `dim` dimensions.
fn clustered(rng: &mut Rng, n: usize, dim: usize, clusters: usize) -> Vec<f32> {
    let centres = rng.signed_vectors(clusters, dim);
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let c = rng.below(clusters);
        out.extend((0..dim).map(|j| centres[c * dim + j] + 0.35 * rng.signed()));
    }
    out
}

fn params(n: usize, quantization: Quantization, keep_vectors: bool) -> HnswParams {
    HnswParams {
        max_elements: n,
        m: 12,
        ef_construction: 100,
        quantization,
        keep_vectors,
        ..Default::default()
    }
}

fn build(space: &Space, data: &[f32], p: &HnswParams, threads: isize) -> HnswIndex {
    let index = HnswIndex::new(space.clone(), p).unwrap();
    let opts = AddOptions {
        num_threads: threads,
        ..Default::default()
    };
    index.add_batch(data, None, &opts).unwrap();
    index
}

/// Mean recall@k of `index` at `ef` over `queries`, against brute force on `data`.
fn recall_at(
    index: &HnswIndex,
    space: &Space,
    data: &[f32],
    queries: &[f32],
    k: usize,
    ef: usize,
) -> f64 {
    let dim = space.dim();
    let exact = BruteForceIndex::new(space.clone(), data.len() / dim).unwrap();
    let ids: Vec<u64> = (0..(data.len() / dim) as u64).collect();
    exact.add_batch(data, &ids).unwrap();
    let opts = SearchOptions {
        ef: Some(ef),
        ..Default::default()
    };
    let found = index.search_batch(queries, k, &opts).unwrap();
    let truth = exact
        .search_batch(queries, k, &SearchOptions::default())
        .unwrap();
    let rows = queries.len() / dim;
    (0..rows)
        .map(|q| {
            let f: Vec<u64> = found.row(q).map(|n| n.label).collect();
            let t: Vec<u64> = truth.row(q).map(|n| n.label).collect();
            recall(&f, &t)
        })
        .sum::<f64>()
        / rows as f64
}

#[test]
fn quantized_builds_link_the_same_graph_and_rerank_to_exact_recall() {
    let (n, dim) = (4000, 48);
    let mut rng = Rng::new(7);
    let data = clustered(&mut rng, n, dim, 30);
    let queries = clustered(&mut rng, 200, dim, 30);
    for space in [
        Space::l2(dim).unwrap(),
        Space::cosine(dim).unwrap(),
        Space::ip(dim).unwrap(),
    ] {
        let exact = build(&space, &data, &params(n, Quantization::None, true), 1);
        let r_exact = recall_at(&exact, &space, &data, &queries, 10, 40);
        for mode in [Quantization::Sq8, Quantization::Sq4] {
            let q = build(&space, &data, &params(n, mode, true), 1);
            assert!(q.is_trained());
            assert_eq!(q.quantization(), mode);
            // Construction scores exactly while the vectors are kept: same graph, same file.
            assert_eq!(
                q.to_bytes().unwrap(),
                exact.to_bytes().unwrap(),
                "{mode:?} {:?}",
                space.kind()
            );
            let r = recall_at(&q, &space, &data, &queries, 10, 40);
            let slack = if mode == Quantization::Sq8 {
                0.01
            } else {
                0.03
            };
            eprintln!(
                "{:?} {mode:?}: recall {r:.4} (exact {r_exact:.4})",
                space.kind()
            );
            assert!(
                r >= r_exact - slack,
                "{:?} {mode:?}: recall {r} vs {r_exact}",
                space.kind()
            );
        }
    }
}

#[test]
fn reranked_distances_are_exact() {
    let (n, dim) = (2000, 24);
    let mut rng = Rng::new(3);
    let data = clustered(&mut rng, n, dim, 10);
    let space = Space::l2(dim).unwrap();
    let index = build(&space, &data, &params(n, Quantization::Sq4, true), 2);
    for q in clustered(&mut rng, 30, dim, 10).chunks_exact(dim) {
        for hit in index.search(q, 5, &SearchOptions::default()).unwrap() {
            let v = &data[hit.label as usize * dim..][..dim];
            assert_eq!(hit.distance, space.distance(q, v).unwrap());
        }
    }
}

#[test]
fn a_deeper_rerank_never_lowers_recall() {
    let (n, dim) = (3000, 32);
    let mut rng = Rng::new(11);
    let data = clustered(&mut rng, n, dim, 20);
    let queries = clustered(&mut rng, 150, dim, 20);
    let space = Space::cosine(dim).unwrap();
    let index = build(&space, &data, &params(n, Quantization::Sq4, true), 2);
    index.set_rerank(1.0).unwrap();
    let shallow = recall_at(&index, &space, &data, &queries, 10, 50);
    index.set_rerank(5.0).unwrap();
    assert_eq!(index.rerank(), 5.0);
    let deep = recall_at(&index, &space, &data, &queries, 10, 50);
    eprintln!("sq4 recall: rerank 1 {shallow:.4}, rerank 5 {deep:.4}");
    assert!(
        deep > shallow,
        "rerank 5 ({deep}) should beat rerank 1 ({shallow})"
    );
    assert!(index.set_rerank(f32::NAN).is_err());
    // Per call too, single and batch: an error, never a silent fallback to k.
    for bad in [f32::NAN, f32::INFINITY] {
        let opts = SearchOptions {
            rerank: Some(bad),
            ..Default::default()
        };
        let q = &queries[..dim];
        let e = index.search(q, 10, &opts).unwrap_err();
        assert!(e.to_string().contains("rerank"), "{e}");
        assert!(index.search_batch(&queries, 10, &opts).is_err());
    }
    assert_eq!(index.rerank(), 5.0, "a refused value changes nothing");
}

#[test]
fn indexes_search_exactly_until_they_learn_their_codes() {
    let dim = 16;
    let mut rng = Rng::new(5);
    let data = clustered(&mut rng, TRAIN_MIN + 500, dim, 8);
    let space = Space::l2(dim).unwrap();
    let index = HnswIndex::new(
        space.clone(),
        &params(TRAIN_MIN + 500, Quantization::Sq8, true),
    )
    .unwrap();
    let (first, rest) = data.split_at((TRAIN_MIN - 1) * dim);
    index
        .add_batch(first, None, &AddOptions::default())
        .unwrap();
    assert!(!index.is_trained());
    let q = &rest[..dim];
    let before = index.search(q, 3, &SearchOptions::default()).unwrap();
    // Exact search before training: the distances are exact.
    for h in &before {
        let v = &data[h.label as usize * dim..][..dim];
        assert_eq!(h.distance, space.distance(q, v).unwrap());
    }
    // One element more reaches TRAIN_MIN: the codes are learnt from everything.
    index.add(&rest[..dim], 5000, false).unwrap();
    assert!(index.is_trained());
    index
        .add_batch(&rest[dim..], None, &AddOptions::default())
        .unwrap();
    let hit = index
        .search(&rest[..dim], 1, &SearchOptions::default())
        .unwrap();
    assert_eq!((hit[0].label, hit[0].distance), (5000, 0.0));
}

#[test]
fn codes_only_indexes_search_approximately_and_refuse_hnswlib_files() {
    let (n, dim) = (3000, 32);
    let mut rng = Rng::new(9);
    let data = clustered(&mut rng, n, dim, 20);
    let queries = clustered(&mut rng, 100, dim, 20);
    let space = Space::l2(dim).unwrap();
    let index = build(&space, &data, &params(n, Quantization::Sq8, false), 2);
    assert!(!index.keeps_vectors());
    let r = recall_at(&index, &space, &data, &queries, 10, 64);
    eprintln!("codes-only sq8 recall@10: {r:.4}");
    assert!(r >= 0.85, "codes-only recall {r}");
    // The vectors come back as their codes stand for them: close, not equal.
    let v = index.get_item::<f32>(17).unwrap();
    let orig = &data[17 * dim..18 * dim];
    let err = v
        .iter()
        .zip(orig)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err > 0.0 && err < 0.02, "decode error {err}");
    // hnswlib's format stores the vectors, which this index no longer has.
    let e = index.to_bytes().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State);
    assert!(e.to_string().contains("codes-only"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codes.hnsw");
    assert!(index.save(&path).is_err());
    assert!(!path.exists());
    // It still takes adds, updates and deletions.
    index.resize(n + 10).unwrap();
    index
        .add(&orig.iter().map(|x| x + 0.5).collect::<Vec<_>>(), 17, false)
        .unwrap();
    index.add(&data[..dim], 99_999, false).unwrap();
    index.mark_deleted(0).unwrap();
    let hit = index
        .search(&data[..dim], 1, &SearchOptions::default())
        .unwrap();
    assert_eq!(hit[0].label, 99_999);
}

#[test]
fn hnswlib_files_load_into_quantized_indexes_and_save_back_unchanged() {
    let (n, dim) = (2500, 20);
    let mut rng = Rng::new(13);
    let data = clustered(&mut rng, n, dim, 10);
    let space = Space::cosine(dim).unwrap();
    // One thread: the same graph every run, so the recall below is the same every run
    // (a concurrent build's graph varies, and with it 4-bit recall on 20-d cosine data).
    let plain = build(&space, &data, &params(n, Quantization::None, true), 1);
    let bytes = plain.to_bytes().unwrap();
    for mode in [Quantization::Sq8, Quantization::Sq4] {
        let opts = LoadOptions {
            quantization: mode,
            ..Default::default()
        };
        let q = HnswIndex::from_bytes(&bytes, space.clone(), &opts).unwrap();
        assert!(q.is_trained());
        assert_eq!(q.to_bytes().unwrap(), bytes);
        let queries = clustered(&mut rng, 50, dim, 10);
        // 4-bit codes of 20-d cosine data walk past more neighbours: a wider search.
        let ef = if mode == Quantization::Sq4 { 128 } else { 64 };
        let r = recall_at(&q, &space, &data, &queries, 10, ef);
        assert!(r >= 0.9, "{mode:?} loaded recall {r}");
        // Codes-only from a file: the vectors are read, coded, then dropped.
        let codes_only = HnswIndex::from_bytes(
            &bytes,
            space.clone(),
            &LoadOptions {
                keep_vectors: false,
                ..opts
            },
        )
        .unwrap();
        assert!(!codes_only.keeps_vectors());
        assert!(codes_only.to_bytes().is_err());
    }
}

#[test]
fn updates_deletions_filters_and_resize_work_on_codes() {
    let (n, dim) = (2000, 16);
    let mut rng = Rng::new(21);
    let data = clustered(&mut rng, n, dim, 8);
    let space = Space::cosine(dim).unwrap();
    let index = build(&space, &data, &params(n, Quantization::Sq8, true), 2);
    // Update: label 5 moves onto row 700's vector.
    index.add(&data[700 * dim..701 * dim], 5, false).unwrap();
    let hits = index
        .search(&data[700 * dim..701 * dim], 2, &SearchOptions::default())
        .unwrap();
    let mut got: Vec<u64> = hits.iter().map(|h| h.label).collect();
    got.sort();
    assert_eq!(got, vec![5, 700]);
    // Deleted and filtered labels never come back.
    index.mark_deleted(700).unwrap();
    let even = |l: u64| l.is_multiple_of(2);
    let opts = SearchOptions {
        filter: Some(&even),
        ef: Some(100),
        ..Default::default()
    };
    for q in data.chunks_exact(dim).take(50) {
        for h in index.search(q, 10, &opts).unwrap() {
            assert!(h.label.is_multiple_of(2) && h.label != 700);
        }
    }
    index.resize(n * 2).unwrap();
    index.add(&data[..dim], 123_456, false).unwrap();
    assert_eq!(index.len(), n + 1);
    assert!(index.is_trained());
}

#[test]
fn quantization_needs_an_f32_space() {
    for space in [
        Space::l2_u8(8).unwrap(),
        Space::custom(8, |a: &[u8], b: &[u8]| (a[0] as f32 - b[0] as f32).abs()).unwrap(),
    ] {
        let e = HnswIndex::new(space.clone(), &params(10, Quantization::Sq8, true)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("f32 space"), "{e}");
    }
    assert!(Quantization::by_name("sq16").is_err());
    assert_eq!(Quantization::by_name("sq4").unwrap(), Quantization::Sq4);
}
