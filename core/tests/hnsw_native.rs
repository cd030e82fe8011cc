//! The native file format: round trips of every space and storage mode (searches
//! answer exactly as before saving), loading without naming the space, and
//! corrupted, truncated or mismatched files, which must give errors, never a panic.
mod common;

use common::*;
use hnswlib_core::*;

const NATIVE: SaveOptions = SaveOptions {
    sync: false,
    format: FileFormat::Native,
};

fn build(
    space: Space,
    n: usize,
    q: Quantization,
    keep_vectors: bool,
    seed: u64,
) -> (HnswIndex, Vec<f32>) {
    let dim = space.dim();
    let mut rng = Rng::new(seed);
    let data = rng.signed_vectors(n, dim);
    let index = HnswIndex::new(
        space,
        &HnswParams {
            max_elements: n + 50,
            m: 8,
            ef_construction: 40,
            quantization: q,
            keep_vectors,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(
            &data,
            Some(&(1000..1000 + n as u64).collect::<Vec<_>>()),
            &AddOptions::default(),
        )
        .unwrap();
    (index, data)
}

/// Every query's results, with the index's own ef and rerank.
fn answers(index: &HnswIndex, queries: &[f32], dim: usize) -> Vec<Vec<Neighbor>> {
    queries
        .chunks(dim)
        .map(|q| index.search(q, 10, &SearchOptions::default()).unwrap())
        .collect()
}

fn assert_same(a: &HnswIndex, b: &HnswIndex, dim: usize) {
    assert_eq!(a.len(), b.len());
    assert_eq!(a.max_elements(), b.max_elements());
    assert_eq!(a.deleted_count(), b.deleted_count());
    assert_eq!(a.ef(), b.ef());
    assert_eq!(a.rerank(), b.rerank());
    assert_eq!(a.quantization(), b.quantization());
    assert_eq!(a.keeps_vectors(), b.keeps_vectors());
    assert_eq!(a.is_trained(), b.is_trained());
    assert_eq!(a.space().kind(), b.space().kind());
    let mut ids = a.ids();
    ids.sort_unstable();
    let mut ids_b = b.ids();
    ids_b.sort_unstable();
    assert_eq!(ids, ids_b);
    let queries = Rng::new(77).signed_vectors(40, dim);
    assert_eq!(answers(a, &queries, dim), answers(b, &queries, dim));
}

#[test]
fn every_space_round_trips_and_opens_without_arguments() {
    for space in [
        Space::l2(24).unwrap(),
        Space::ip(24).unwrap(),
        Space::cosine(24).unwrap(),
    ] {
        let (index, _) = build(space.clone(), 1500, Quantization::None, true, 3);
        index.mark_deleted(1003).unwrap();
        index.mark_deleted(1700).unwrap();
        index.set_ef(37);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.hnsw");
        index.save_with(&path, &NATIVE).unwrap();

        let opened = HnswIndex::open(&path, &LoadOptions::default()).unwrap();
        assert_same(&index, &opened, 24);
        assert_eq!(opened.ef(), 37);
        let loaded = HnswIndex::load(&path, space.clone(), &LoadOptions::default()).unwrap();
        assert_same(&index, &loaded, 24);
        // Deleted elements stay deleted, and the index keeps growing after a load.
        assert!(index.get_items::<f32>(&[1003]).is_err());
        assert!(opened.get_items::<f32>(&[1003]).is_err());
        assert_eq!(
            index.get_items::<f32>(&[1004, 1500]).unwrap(),
            opened.get_items::<f32>(&[1004, 1500]).unwrap()
        );
        let v = Rng::new(5).signed_vectors(1, 24);
        opened.add(&v, 99_999, false).unwrap();
        assert_eq!(
            opened.search(&v, 1, &SearchOptions::default()).unwrap()[0].label,
            99_999
        );
        // Bytes and files are the same thing.
        let bytes = index.to_bytes_with(FileFormat::Native).unwrap();
        assert_eq!(bytes, std::fs::read(&path).unwrap());
        let from_bytes = HnswIndex::from_native_bytes(&bytes, &LoadOptions::default()).unwrap();
        assert_same(&index, &from_bytes, 24);
    }
}

#[test]
fn u8_vectors_round_trip() {
    let dim = 32;
    let mut rng = Rng::new(8);
    let data = rng.bytes(800 * dim);
    let index = HnswIndex::new(
        Space::l2_u8(dim).unwrap(),
        &HnswParams {
            max_elements: 800,
            m: 8,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    let bytes = index.to_bytes_with(FileFormat::Native).unwrap();
    let back = HnswIndex::from_native_bytes(&bytes, &LoadOptions::default()).unwrap();
    assert_eq!(back.space().kind(), SpaceKind::L2U8);
    for q in data.chunks(dim).take(20) {
        assert_eq!(
            index.search(q, 5, &SearchOptions::default()).unwrap(),
            back.search(q, 5, &SearchOptions::default()).unwrap()
        );
    }
}

#[test]
fn quantized_indexes_round_trip_with_their_codes() {
    for (q, keep) in [
        (Quantization::Sq8, true),
        (Quantization::Sq8, false),
        (Quantization::Sq4, true),
        (Quantization::Sq4, false),
    ] {
        let (index, _) = build(Space::cosine(40).unwrap(), 2500, q, keep, 11);
        assert!(index.is_trained());
        index.set_rerank(2.5).unwrap();
        let bytes = index.to_bytes_with(FileFormat::Native).unwrap();
        let back = HnswIndex::from_native_bytes(&bytes, &LoadOptions::default()).unwrap();
        assert_same(&index, &back, 40);
        assert_eq!(back.rerank(), 2.5);
        // Asking for the stored mode is fine; another one is an error.
        let same = LoadOptions {
            quantization: q,
            ..Default::default()
        };
        assert!(HnswIndex::from_native_bytes(&bytes, &same).is_ok());
        let other = LoadOptions {
            quantization: if q == Quantization::Sq8 {
                Quantization::Sq4
            } else {
                Quantization::Sq8
            },
            ..Default::default()
        };
        let e = HnswIndex::from_native_bytes(&bytes, &other).unwrap_err();
        assert!(e.to_string().contains("cannot be loaded as"), "{e}");
    }
    // Codes-only indexes cannot use hnswlib's format, and can use this one.
    let (codes_only, _) = build(Space::l2(16).unwrap(), 1200, Quantization::Sq8, false, 4);
    assert!(codes_only.to_bytes().is_err());
    assert!(codes_only.to_bytes_with(FileFormat::Native).is_ok());
}

#[test]
fn untrained_quantized_and_empty_indexes_round_trip() {
    let (small, _) = build(Space::l2(8).unwrap(), 300, Quantization::Sq8, false, 9);
    assert!(!small.is_trained());
    let back = HnswIndex::from_native_bytes(
        &small.to_bytes_with(FileFormat::Native).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_same(&small, &back, 8);
    let empty = HnswIndex::new(
        Space::ip(5).unwrap(),
        &HnswParams {
            max_elements: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let back = HnswIndex::from_native_bytes(
        &empty.to_bytes_with(FileFormat::Native).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!((back.len(), back.max_elements()), (0, 10));
    assert!(back
        .search(&[0.1f32; 5], 3, &SearchOptions::default())
        .unwrap()
        .is_empty());
}

#[test]
fn custom_spaces_need_their_distance() {
    let dist = |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f32).sum();
    let index = HnswIndex::new(
        Space::custom(12, dist).unwrap(),
        &HnswParams {
            max_elements: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let data = Rng::new(2).bytes(100 * 12);
    index
        .add_batch(&data, None, &AddOptions::default())
        .unwrap();
    let bytes = index.to_bytes_with(FileFormat::Native).unwrap();
    let e = HnswIndex::from_native_bytes(&bytes, &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("custom distance"), "{e}");
    let back = HnswIndex::from_bytes(
        &bytes,
        Space::custom(12, dist).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(back.len(), 100);
}

#[test]
fn named_custom_spaces_refuse_another_distance() {
    let dist = |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f32).sum();
    let manhattan = || {
        Space::custom(12, dist)
            .unwrap()
            .named("manhattan-u8")
            .unwrap()
    };
    assert_eq!(manhattan().name(), Some("manhattan-u8"));
    let index = HnswIndex::new(
        manhattan(),
        &HnswParams {
            max_elements: 50,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(&Rng::new(3).bytes(50 * 12), None, &AddOptions::default())
        .unwrap();
    let bytes = index.to_bytes_with(FileFormat::Native).unwrap();
    let opts = LoadOptions::default();

    // Without a space, the error names the distance the file needs.
    let e = HnswIndex::from_native_bytes(&bytes, &opts).unwrap_err();
    assert!(e.to_string().contains("\"manhattan-u8\""), "{e}");
    // Another name is refused; an unnamed space takes the file's name, which a save keeps.
    let other = Space::custom(12, dist).unwrap().named("hamming").unwrap();
    let e = HnswIndex::from_bytes(&bytes, other.clone(), &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("hamming"), "{e}");
    let unnamed = HnswIndex::from_bytes(&bytes, Space::custom(12, dist).unwrap(), &opts).unwrap();
    assert_eq!(unnamed.space().name(), Some("manhattan-u8"));
    assert_eq!(unnamed.to_bytes_with(FileFormat::Native).unwrap(), bytes);
    let same = HnswIndex::from_bytes(&bytes, manhattan(), &opts).unwrap();
    assert_eq!(same.len(), 50);

    // Views check the name as loads do.
    let dir = tempfile::tempdir().unwrap();
    let path = save_native(&index, &dir, "named");
    let e = HnswIndex::view(&path, other, &ViewOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let view = HnswIndex::view(&path, manhattan(), &ViewOptions::default()).unwrap();
    assert_eq!(view.space().name(), Some("manhattan-u8"));

    // hnswlib's format has no place for the name: it loads with any custom space.
    let hnswlib = index.to_bytes().unwrap();
    assert!(HnswIndex::from_bytes(&hnswlib, Space::custom(12, dist).unwrap(), &opts).is_ok());

    // Only custom spaces take a name, of 1 to 64 bytes without NUL.
    assert!(Space::l2(4).unwrap().named("l2").is_err());
    for bad in ["", "a\0b", &"x".repeat(65)] {
        let e = Space::custom(12, dist).unwrap().named(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
    assert!(Space::custom(12, dist)
        .unwrap()
        .named(&"é".repeat(32))
        .is_ok());
}

#[test]
fn mismatches_and_foreign_files_are_clear_errors() {
    let (index, _) = build(Space::l2(24).unwrap(), 300, Quantization::None, true, 1);
    let native = index.to_bytes_with(FileFormat::Native).unwrap();
    let e = HnswIndex::from_bytes(&native, Space::l2(25).unwrap(), &LoadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("dim 24"), "{e}");
    let e = HnswIndex::from_bytes(&native, Space::ip(24).unwrap(), &LoadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("l2"), "{e}");
    // hnswlib's format names no space: it cannot be opened without one, and loads with one.
    let hnswlib = index.to_bytes().unwrap();
    let e = HnswIndex::from_native_bytes(&hnswlib, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format, "{e}");
    assert!(e.to_string().contains("does not name its space"), "{e}");
    assert!(e.to_string().contains("dim 24 as f32"), "{e}");
    assert!(
        HnswIndex::from_bytes(&hnswlib, Space::l2(24).unwrap(), &LoadOptions::default()).is_ok()
    );
    // Which of the two a file is, for callers that must know whether to name a space.
    assert_eq!(FileFormat::of_bytes(&native), FileFormat::Native);
    assert_eq!(FileFormat::of_bytes(&hnswlib), FileFormat::Hnswlib);
    assert_eq!(FileFormat::of_bytes(&native[..4]), FileFormat::Hnswlib);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("native"), &native).unwrap();
    std::fs::write(dir.path().join("hnswlib"), &hnswlib).unwrap();
    assert_eq!(
        FileFormat::of_file(dir.path().join("native")).unwrap(),
        FileFormat::Native
    );
    assert_eq!(
        FileFormat::of_file(dir.path().join("hnswlib")).unwrap(),
        FileFormat::Hnswlib
    );
    let e = FileFormat::of_file(dir.path().join("missing")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    // A newer version is refused as such.
    let mut newer = native.clone();
    newer[8] = 2;
    let e = HnswIndex::from_native_bytes(&newer, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State, "{e}");
    assert!(e.to_string().contains("version 2"), "{e}");
    // Brute-force indexes stay in hnswlib's format.
    let bf = BruteForceIndex::new(Space::l2(4).unwrap(), 10).unwrap();
    assert!(bf.save_with(dir.path().join("bf"), &NATIVE).is_err());
}

#[test]
fn corrupted_or_truncated_files_are_errors_never_panics() {
    for (q, keep) in [
        (Quantization::None, true),
        (Quantization::Sq8, true),
        (Quantization::Sq8, false),
    ] {
        let (index, _) = build(Space::cosine(16).unwrap(), 1100, q, keep, 6);
        index.mark_deleted(1010).unwrap();
        let good = index.to_bytes_with(FileFormat::Native).unwrap();
        assert!(HnswIndex::from_native_bytes(&good, &LoadOptions::default()).is_ok());
        // Every byte of the header and table, and bytes spread over the sections:
        // any flipped bit is caught by a check or a checksum.
        let positions = (0..1024).chain((1024..good.len()).step_by(97));
        for at in positions {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            if let Ok(ix) = HnswIndex::from_native_bytes(&bad, &LoadOptions::default()) {
                // Only padding between sections may change without notice.
                assert_same(&index, &ix, 16);
            }
        }
        for len in (0..good.len()).step_by(131).chain([good.len() - 1]) {
            let e =
                HnswIndex::from_native_bytes(&good[..len], &LoadOptions::default()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Format, "{len}: {e}");
        }
    }
}

// ---- read-only views of native files ---------------------------------------------------

fn save_native(index: &HnswIndex, dir: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    index.save_with(&path, &NATIVE).unwrap();
    path
}

const VERIFY: ViewOptions = ViewOptions {
    verify: true,
    populate: false,
};

#[test]
fn views_answer_as_loaded_indexes_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![];
    for space in [
        Space::l2(24).unwrap(),
        Space::ip(24).unwrap(),
        Space::cosine(24).unwrap(),
    ] {
        cases.push((build(space, 1500, Quantization::None, true, 3).0, 24));
    }
    for (q, keep) in [
        (Quantization::Sq8, true),
        (Quantization::Sq8, false),
        (Quantization::Sq4, true),
    ] {
        let (index, _) = build(Space::cosine(40).unwrap(), 2500, q, keep, 11);
        index.set_rerank(2.5).unwrap();
        cases.push((index, 40));
    }
    // Untrained (too few elements to learn codes), with deletions.
    let (small, _) = build(Space::l2(8).unwrap(), 300, Quantization::Sq8, true, 9);
    assert!(!small.is_trained());
    small.mark_deleted(1003).unwrap();
    cases.push((small, 8));
    for (i, (index, dim)) in cases.into_iter().enumerate() {
        index.set_ef(37);
        let path = save_native(&index, &dir, &format!("v{i}.hnsw"));
        for opts in [ViewOptions::default(), VERIFY] {
            let view = HnswIndex::open_view(&path, &opts).unwrap();
            assert!(view.is_view() && !index.is_view());
            assert_same(&index, &view, dim);
            let label = index.ids()[7];
            assert_eq!(
                view.get_item::<f32>(label).unwrap(),
                index.get_item::<f32>(label).unwrap()
            );
            assert_eq!(
                view.is_deleted(label).unwrap(),
                index.is_deleted(label).unwrap()
            );
            assert_eq!(
                view.check_integrity().unwrap(),
                index.check_integrity().unwrap()
            );
        }
    }
}

#[test]
fn views_of_u8_empty_and_custom_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let u8_index = HnswIndex::new(
        Space::l2_u8(16).unwrap(),
        &HnswParams {
            max_elements: 400,
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = Rng::new(5).bytes(400 * 16);
    u8_index
        .add_batch(&bytes, None, &AddOptions::default())
        .unwrap();
    let view = HnswIndex::open_view(save_native(&u8_index, &dir, "u8"), &VERIFY).unwrap();
    for q in bytes.chunks(16).take(20) {
        let opts = SearchOptions::default();
        assert_eq!(
            view.search(q, 5, &opts).unwrap(),
            u8_index.search(q, 5, &opts).unwrap()
        );
    }

    let empty = HnswIndex::new(Space::ip(5).unwrap(), &HnswParams::default()).unwrap();
    let view = HnswIndex::open_view(save_native(&empty, &dir, "empty"), &VERIFY).unwrap();
    assert_eq!(view.len(), 0);
    assert!(view
        .search(&[0.1f32; 5], 3, &SearchOptions::default())
        .unwrap()
        .is_empty());

    let dist = |a: &[u8], b: &[u8]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f32).sum();
    let custom = HnswIndex::new(
        Space::custom(12, dist).unwrap(),
        &HnswParams {
            max_elements: 100,
            ..Default::default()
        },
    )
    .unwrap();
    custom
        .add_batch(&Rng::new(2).bytes(1200), None, &AddOptions::default())
        .unwrap();
    let path = save_native(&custom, &dir, "custom");
    let e = HnswIndex::open_view(&path, &ViewOptions::default()).unwrap_err();
    assert!(e.to_string().contains("custom distance"), "{e}");
    let view = HnswIndex::view(&path, Space::custom(12, dist).unwrap(), &VERIFY).unwrap();
    assert_eq!(view.len(), 100);
}

#[test]
fn views_refuse_changes_and_save_like_loaded_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let (index, data) = build(Space::l2(24).unwrap(), 1500, Quantization::None, true, 3);
    let path = save_native(&index, &dir, "ro.hnsw");
    let view = HnswIndex::open_view(&path, &ViewOptions::default()).unwrap();
    let refused = [
        view.add(&data[..24], 1, false).unwrap_err(),
        view.add(&data[..24], 1000, false).unwrap_err(),
        view.add_batch(&data[..48], None, &AddOptions::default())
            .unwrap_err(),
        view.mark_deleted(1000).unwrap_err(),
        view.unmark_deleted(1000).unwrap_err(),
        view.resize(5000).unwrap_err(),
    ];
    for e in refused {
        assert_eq!(e.kind(), ErrorKind::State, "{e}");
        assert!(e.to_string().contains("read-only view"), "{e}");
    }
    assert_same(&index, &view, 24);
    // Settings that are not storage still change.
    view.set_ef(99);
    assert_eq!(view.ef(), 99);
    index.set_ef(99);
    // The file may go away: the mapping keeps its pages.
    std::fs::remove_file(&path).unwrap();
    assert_same(&index, &view, 24);
    // A view saves in either format, and the copies load as the original.
    let hnswlib = dir.path().join("copy.bin");
    view.save(&hnswlib).unwrap();
    let loaded =
        HnswIndex::load(&hnswlib, Space::l2(24).unwrap(), &LoadOptions::default()).unwrap();
    loaded.set_ef(99);
    assert_same(&index, &loaded, 24);
    assert_eq!(
        view.to_bytes_with(FileFormat::Native).unwrap(),
        index.to_bytes_with(FileFormat::Native).unwrap()
    );
    // Searches from many threads at once.
    let queries = Rng::new(8).signed_vectors(300, 24);
    let opts = SearchOptions {
        num_threads: 4,
        ..Default::default()
    };
    let a = view.search_batch(&queries, 10, &opts).unwrap();
    let b = index.search_batch(&queries, 10, &opts).unwrap();
    assert_eq!(a.labels, b.labels);
}

#[test]
fn views_of_foreign_or_damaged_files_are_errors_never_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = build(
        Space::cosine(16).unwrap(),
        1100,
        Quantization::None,
        true,
        6,
    );
    index.mark_deleted(1010).unwrap();
    let hnswlib = dir.path().join("hnswlib.bin");
    index.save(&hnswlib).unwrap();
    // Opening and viewing an hnswlib file fail alike: a format error that says what the
    // file is and what to do with it.
    let e = HnswIndex::open_view(&hnswlib, &ViewOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format, "{e}");
    for what in [
        "not a file in the native format",
        "hnswlib's format (64-byte vectors: dim 16 as f32",
        "load it with its space and dim",
        "hnswlib.bin",
    ] {
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
    let e = HnswIndex::open(&hnswlib, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format, "{e}");
    for what in [
        "not a file in the native format",
        "does not name its space",
        "load it with its space and dim",
        "hnswlib.bin",
    ] {
        assert!(e.to_string().contains(what), "{what}: {e}");
    }
    // What is no index at all is told apart from an hnswlib file.
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, vec![7u8; 4096]).unwrap();
    for e in [
        HnswIndex::open_view(&garbage, &ViewOptions::default()).unwrap_err(),
        HnswIndex::open(&garbage, &LoadOptions::default()).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Format, "{e}");
        assert!(
            e.to_string().contains("nor an index in hnswlib's format"),
            "{e}"
        );
    }
    let e = HnswIndex::open_view(dir.path().join("missing"), &ViewOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");

    let good = index.to_bytes_with(FileFormat::Native).unwrap();
    let path = dir.path().join("bad.hnsw");
    let open = |bytes: &[u8], opts: &ViewOptions| {
        std::fs::write(&path, bytes).unwrap();
        HnswIndex::open_view(&path, opts)
    };
    for len in (8..good.len()).step_by(211).chain([good.len() - 1]) {
        let e = open(&good[..len], &ViewOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format, "{len}: {e}");
    }
    // The header, the table and the small sections are checked on every open.
    for at in (0..1024).chain((good.len() - 20_000..good.len()).step_by(89)) {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        if let Ok(view) = open(&bad, &ViewOptions::default()) {
            assert_same(&index, &view, 16);
        }
    }
    // Level 0 is not read by a default open: garbage there (links to anywhere,
    // counts past the list, NaN vectors) opens, and searches survive it. A verified
    // open and check_integrity report it.
    let view = HnswIndex::open_view(&path, &ViewOptions::default());
    drop(view);
    let slots_at = 4096;
    let slots_len = 1100 * index_stride(&good);
    let mut bad = good.clone();
    let mut rng = Rng::new(99);
    bad[slots_at..slots_at + slots_len].copy_from_slice(&rng.bytes(slots_len));
    let view = open(&bad, &ViewOptions::default()).unwrap();
    let queries = Rng::new(3).signed_vectors(50, 16);
    for q in queries.chunks(16) {
        let found = view.search(q, 10, &SearchOptions::default()).unwrap();
        assert!(found.len() <= 10);
    }
    assert_eq!(
        view.check_integrity().unwrap_err().kind(),
        ErrorKind::Format
    );
    let e = open(&bad, &VERIFY).unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
}

/// Bytes per level-0 slot of a native file (the header's `stride` at offset 128).
fn index_stride(native: &[u8]) -> usize {
    u64::from_le_bytes(native[128..136].try_into().unwrap()) as usize
}
