//! hnswlib's file format: round trips, capacity override, and corrupted, truncated or
//! mismatched files, which must give errors and never a panic.
mod common;

use common::*;
use hnswlib_core::*;

fn small_index(n: usize, dim: usize, m: usize) -> (HnswIndex, Vec<f32>) {
    let mut rng = Rng::new(21);
    let data = rng.vectors(n, dim);
    let index = HnswIndex::new(
        Space::l2(dim).unwrap(),
        &HnswParams {
            max_elements: n + 10,
            m,
            ef_construction: 32,
            ..Default::default()
        },
    )
    .unwrap();
    index
        .add_batch(
            &data,
            Some(&(100..100 + n as u64).collect::<Vec<_>>()),
            &AddOptions::default(),
        )
        .unwrap();
    (index, data)
}

#[test]
fn save_load_round_trip_is_identical() {
    let (index, data) = small_index(3000, 16, 12);
    index.mark_deleted(105).unwrap();
    index.mark_deleted(2000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    index.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), index.file_size());
    assert_eq!(bytes, index.to_bytes().unwrap());

    let loaded = HnswIndex::load(&path, Space::l2(16).unwrap(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.len(), 3000);
    assert_eq!(loaded.max_elements(), 3010);
    assert_eq!(loaded.deleted_count(), 2);
    assert_eq!(loaded.m(), 12);
    assert_eq!(loaded.ef_construction(), 32);
    assert_eq!(loaded.ids(), index.ids());
    assert_eq!(loaded.next_auto_label(), 3000);
    let opts = SearchOptions {
        ef: Some(50),
        ..Default::default()
    };
    for q in data.chunks_exact(16).take(100) {
        assert_eq!(
            loaded.search(q, 10, &opts).unwrap(),
            index.search(q, 10, &opts).unwrap()
        );
    }
    // Saving the loaded index gives the same bytes.
    assert_eq!(loaded.to_bytes().unwrap(), bytes);
    let from_mem =
        HnswIndex::from_bytes(&bytes, Space::l2(16).unwrap(), &LoadOptions::default()).unwrap();
    assert_eq!(from_mem.to_bytes().unwrap(), bytes);
    // And the loaded index keeps working.
    loaded.add(&[0.5f32; 16], 1, false).unwrap();
    assert_eq!(loaded.search(&[0.5f32; 16], 1, &opts).unwrap()[0].label, 1);
}

#[test]
fn load_capacity_override_and_replace_flag() {
    let (index, _) = small_index(200, 4, 8);
    index.mark_deleted(150).unwrap();
    let bytes = index.to_bytes().unwrap();
    let space = || Space::l2(4).unwrap();
    let keep = HnswIndex::from_bytes(&bytes, space(), &LoadOptions::default()).unwrap();
    assert_eq!(keep.max_elements(), 210);
    let grown = HnswIndex::from_bytes(
        &bytes,
        space(),
        &LoadOptions {
            max_elements: 1000,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(grown.max_elements(), 1000);
    let exact = HnswIndex::from_bytes(
        &bytes,
        space(),
        &LoadOptions {
            max_elements: 200,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(exact.max_elements(), 200);
    // Below the count the file's capacity is kept, as in hnswlib.
    let below = HnswIndex::from_bytes(
        &bytes,
        space(),
        &LoadOptions {
            max_elements: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(below.max_elements(), 210);
    // The replace flag is a load option.
    assert!(matches!(
        exact.add(&[0.0f32; 4], 9999, true),
        Err(Error::ReplaceDeletedDisabled)
    ));
    let replacing = HnswIndex::from_bytes(
        &bytes,
        space(),
        &LoadOptions {
            max_elements: 200,
            allow_replace_deleted: true,
            ..Default::default()
        },
    )
    .unwrap();
    replacing.add(&[0.0f32; 4], 9999, true).unwrap();
    assert_eq!(replacing.len(), 200);
    assert!(!replacing.contains(150));
}

#[test]
fn wrong_dim_is_an_error_not_a_silent_load() {
    let (index, _) = small_index(100, 16, 8);
    let bytes = index.to_bytes().unwrap();
    for space in [
        Space::l2(8).unwrap(),
        Space::l2(32).unwrap(),
        Space::l2_u8(16).unwrap(),
    ] {
        let err = HnswIndex::from_bytes(&bytes, space, &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Incompatible(_)), "{err:?}");
        assert!(err.to_string().contains("dim 16"), "{err}");
    }
    // Same element size, other metric: the format cannot tell, and it loads.
    assert!(HnswIndex::from_bytes(&bytes, Space::ip(16).unwrap(), &LoadOptions::default()).is_ok());
}

#[test]
fn every_truncation_is_an_error() {
    let (index, _) = small_index(60, 4, 4);
    let bytes = index.to_bytes().unwrap();
    for len in 0..bytes.len() {
        let r = HnswIndex::from_bytes(
            &bytes[..len],
            Space::l2(4).unwrap(),
            &LoadOptions::default(),
        );
        assert!(
            matches!(r, Err(Error::Corrupt(_))),
            "prefix of {len} bytes: {r:?}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        HnswIndex::from_bytes(&longer, Space::l2(4).unwrap(), &LoadOptions::default()).is_err()
    );
}

#[test]
fn corrupted_bytes_never_panic() {
    let (index, data) = small_index(80, 4, 4);
    let bytes = index.to_bytes().unwrap();
    let mut rng = Rng::new(22);
    let mut loaded_ok = 0;
    for trial in 0..3000 {
        let mut b = bytes.clone();
        // Header fields most of the time, anywhere otherwise.
        let flips = 1 + rng.below(3);
        for _ in 0..flips {
            let at = if trial % 2 == 0 {
                rng.below(96)
            } else {
                rng.below(b.len())
            };
            b[at] = match rng.below(3) {
                0 => 0xFF,
                1 => 0,
                _ => rng.below(256) as u8,
            };
        }
        if let Ok(ix) = HnswIndex::from_bytes(&b, Space::l2(4).unwrap(), &LoadOptions::default()) {
            loaded_ok += 1;
            for q in data.chunks_exact(4).take(5) {
                let _ = ix.search(q, 5, &SearchOptions::default());
            }
            let _ = ix.add(&[0.1f32; 4], 5000, false);
            let _ = ix.to_bytes().unwrap();
        }
    }
    eprintln!("{loaded_ok} of 3000 corrupted copies still loaded (vector or label bytes)");
}

#[test]
fn links_to_missing_elements_are_rejected() {
    let (index, _) = small_index(50, 4, 4);
    let mut bytes = index.to_bytes().unwrap();
    // Element 0's first level-0 link: offset 96 + 4.
    bytes[100..104].copy_from_slice(&49_000u32.to_le_bytes());
    let err =
        HnswIndex::from_bytes(&bytes, Space::l2(4).unwrap(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    let load =
        |bytes: &[u8]| HnswIndex::from_bytes(bytes, Space::l2(4).unwrap(), &LoadOptions::default());
    // Element 0's level-0 count (low 16 bits of the word at 96): more links than the
    // 2·M = 8 that fit is refused, and the last counted link is checked too.
    let good = index.to_bytes().unwrap();
    let count = u16::from_le_bytes([good[96], good[97]]) as usize;
    assert!(count > 0 && count <= 8);
    let mut bytes = good.clone();
    bytes[96..98].copy_from_slice(&9u16.to_le_bytes());
    assert!(matches!(load(&bytes), Err(Error::Corrupt(m)) if m.contains("at most 8")));
    let mut bytes = good.clone();
    let last = 96 + 4 * count;
    bytes[last..last + 4].copy_from_slice(&50u32.to_le_bytes());
    assert!(matches!(load(&bytes), Err(Error::Corrupt(m)) if m.contains("links to 50")));
    // Words past the count are unused (hnswlib leaves whatever was there): not checked.
    if count < 8 {
        let mut bytes = good.clone();
        let unused = 96 + 4 * (count + 1);
        bytes[unused..unused + 4].copy_from_slice(&49_000u32.to_le_bytes());
        assert_eq!(load(&bytes).unwrap().len(), 50);
    }
    // A huge element count is refused before any allocation.
    let mut bytes = index.to_bytes().unwrap();
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    bytes[16..24].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    assert!(HnswIndex::from_bytes(&bytes, Space::l2(4).unwrap(), &LoadOptions::default()).is_err());
}

#[test]
fn file_errors_are_reported() {
    let err = HnswIndex::load(
        "/nonexistent/dir/index.bin",
        Space::l2(4).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    let (index, _) = small_index(10, 4, 4);
    let err = index.save("/nonexistent/dir/index.bin").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    // A failed save leaves no temporary file and an existing target untouched.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.bin");
    std::fs::write(&path, b"old").unwrap();
    index.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), index.to_bytes().unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
}

#[test]
fn empty_index_round_trip() {
    let index = HnswIndex::new(
        Space::cosine(5).unwrap(),
        &HnswParams {
            max_elements: 7,
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = index.to_bytes().unwrap();
    assert_eq!(bytes.len(), 96);
    let loaded =
        HnswIndex::from_bytes(&bytes, Space::cosine(5).unwrap(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.len(), 0);
    assert_eq!(loaded.max_elements(), 7);
    assert!(loaded
        .search(&[1.0f32; 5], 3, &SearchOptions::default())
        .unwrap()
        .is_empty());
    loaded.add(&[1.0f32; 5], 3, false).unwrap();
    assert_eq!(
        loaded
            .search(&[1.0f32; 5], 3, &SearchOptions::default())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn unsynced_save_writes_the_same_file_atomically() {
    let (index, _) = small_index(500, 8, 8);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    std::fs::write(&path, b"previous").unwrap();
    let no_sync = SaveOptions {
        sync: false,
        ..Default::default()
    };
    index.save_with(&path, &no_sync).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), index.to_bytes().unwrap());
    // Replaced by rename: no temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let err = index
        .save_with(dir.path().join("no/such/dir/index.bin"), &no_sync)
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(SaveOptions::default().sync);

    let bf = BruteForceIndex::new(Space::l2(8).unwrap(), 4).unwrap();
    bf.add(&[1.0f32; 8], 7).unwrap();
    let bf_path = dir.path().join("bf.bin");
    bf.save_with(&bf_path, &no_sync).unwrap();
    assert_eq!(std::fs::read(&bf_path).unwrap(), bf.to_bytes());
}
