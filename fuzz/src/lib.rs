//! What the fuzz targets share: how an input picks its space and load options, the
//! seed files, and the work done on an index that loaded.
//!
//! Byte-level targets read `[selector][file bytes]`. The selector picks the space kind
//! (bits 0-1: l2, ip, cosine, l2u8), and load options (bit 2 allow_replace_deleted,
//! bits 3-4 quantization, bit 5 codes only, bit 6 an explicit max_elements of 64).
//! The space's dimension comes from the file's own header, so that mutated files get
//! past the dimension check and into the rest of the reader.

use hnswlib_core::{
    AddOptions, BruteForceIndex, ErrorKind, FileFormat, HnswIndex, HnswParams, LoadOptions,
    Quantization, SearchOptions, Space,
};

/// The four built-in spaces, in selector order.
pub const SPACES: [&str; 4] = ["l2", "ip", "cosine", "l2u8"];

/// Elements an input may make a target add (keeps every run small and fast).
const MAX_ADDS: usize = 4;

/// The committed hnswlib fixtures: (space name, file).
pub const HNSW_FIXTURES: [(&str, &[u8]); 4] = [
    (
        "l2",
        include_bytes!("../../core/tests/fixtures/l2_d16.hnsw"),
    ),
    ("ip", include_bytes!("../../core/tests/fixtures/ip_d8.hnsw")),
    (
        "cosine",
        include_bytes!("../../core/tests/fixtures/cosine_d12.hnsw"),
    ),
    (
        "l2",
        include_bytes!("../../core/tests/fixtures/l2_int_d4_seed100.hnsw"),
    ),
];

/// The committed brute-force fixture (l2, dim 4).
pub const BF_FIXTURE: &[u8] = include_bytes!("../../core/tests/fixtures/bf_l2_d4.bfi");

/// Space kind index (into [`SPACES`]) chosen by a selector byte.
pub fn space_kind(sel: u8) -> usize {
    (sel & 3) as usize
}

/// The space of kind `kind` whose elements take `data_size` bytes, if there is one.
/// Absurd sizes (larger than the input) give a small space: the reader rejects the
/// file then anyway.
pub fn space_for(kind: usize, data_size: u64, input_len: usize) -> Space {
    let data_size = if data_size > input_len as u64 {
        4
    } else {
        data_size as usize
    };
    let dim = if kind == 3 {
        data_size.max(1)
    } else {
        (data_size / 4).max(1)
    };
    Space::by_name(SPACES[kind], dim).expect("a built-in space of a small dimension")
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// The element size an hnswlib file's header declares (label_offset - offsetData).
pub fn hnsw_data_size(file: &[u8]) -> u64 {
    le_u64(file, 32).wrapping_sub(le_u64(file, 40))
}

/// The element size a brute-force file's header declares (size_per_element - 8).
pub fn bf_data_size(file: &[u8]) -> u64 {
    le_u64(file, 8).wrapping_sub(8)
}

/// The load options a selector byte picks.
pub fn load_options(sel: u8) -> LoadOptions {
    LoadOptions {
        max_elements: if sel & 0x40 != 0 { 64 } else { 0 },
        allow_replace_deleted: sel & 4 != 0,
        random_seed: 100,
        quantization: match (sel >> 3) & 3 {
            1 => Quantization::Sq8,
            2 => Quantization::Sq4,
            _ => Quantization::None,
        },
        keep_vectors: sel & 0x20 == 0,
    }
}

/// `file` as an index saved again must be: the same bytes, except bit 0 of byte 3 of
/// each level-0 record (unused by hnswlib, cleared on load), max_elements when the
/// options replaced it, and the entry point and top level of an empty index (which
/// the reader ignores; hnswlib writes -1 for both).
pub fn expected_resave(file: &[u8], index: &HnswIndex, opts: &LoadOptions) -> Vec<u8> {
    let mut out = file.to_vec();
    if index.is_empty() {
        out[48..56].fill(0xFF);
    }
    let record = le_u64(file, 24) as usize;
    for i in 0..index.len() {
        out[96 + i * record + 3] &= !1;
    }
    if opts.max_elements != 0 {
        out[8..16].copy_from_slice(&(index.max_elements() as u64).to_le_bytes());
    }
    out
}

/// A query for `index`: its first element's vector, nudged (non-finite values
/// zeroed), or zeros.
fn query(index: &HnswIndex, ids: &[u64]) -> Query {
    let u8_space = index.space().kind().name() == "l2u8";
    let dim = index.dim();
    if u8_space {
        let mut q = ids
            .first()
            .and_then(|&l| index.get_item::<u8>(l).ok())
            .unwrap_or_else(|| vec![0; dim]);
        q[0] = q[0].wrapping_add(1);
        Query::U8(q)
    } else {
        let mut q = ids
            .first()
            .and_then(|&l| index.get_item::<f32>(l).ok())
            .unwrap_or_else(|| vec![0.0; dim]);
        q[0] += 0.25;
        // An unverified view's vectors may hold anything; a query must be finite.
        q.iter_mut().filter(|x| !x.is_finite()).for_each(|x| *x = 0.0);
        Query::F32(q)
    }
}

enum Query {
    F32(Vec<f32>),
    U8(Vec<u8>),
}

impl Query {
    fn search(&self, index: &HnswIndex, k: usize, opts: &SearchOptions) {
        let hits = match self {
            Query::F32(q) => index.search(q, k, opts),
            Query::U8(q) => index.search(q, k, opts),
        }
        .expect("a search of a valid query");
        assert!(hits.len() <= k);
    }

    fn add(&self, index: &HnswIndex, label: u64, replace: bool) -> hnswlib_core::Result<()> {
        match self {
            Query::F32(q) => index.add(q, label, replace),
            Query::U8(q) => index.add(q, label, replace),
        }
    }
}

/// Searches, deletes, adds and saves a loaded index, checking what must hold. `k`
/// and `adds` come from the input.
pub fn exercise_hnsw(index: &HnswIndex, space: &Space, k: usize, adds: usize) {
    let ids = index.ids();
    assert_eq!(ids.len(), {
        let mut unique = ids.clone();
        unique.dedup();
        unique.len()
    });
    let q = query(index, &ids);
    let k = k.clamp(1, 16);
    q.search(index, k, &SearchOptions::default());
    let even = |l: u64| l % 2 == 0;
    q.search(
        index,
        k,
        &SearchOptions {
            ef: Some(k + 3),
            filter: Some(&even),
            ..Default::default()
        },
    );
    if let Some(&first) = ids.first() {
        if !index.is_deleted(first).expect("a listed label") {
            index.mark_deleted(first).expect("marking a live label");
            q.search(index, k, &SearchOptions::default());
            index.unmark_deleted(first).ok();
        }
    }
    // New labels and an update; a full index refuses (CapacityExceeded is fine).
    let next = ids.last().map_or(0, |l| l.wrapping_add(1));
    for i in 0..adds.min(MAX_ADDS) as u64 {
        let _ = q.add(index, next.wrapping_add(i), index.allow_replace_deleted());
    }
    if let Some(&first) = ids.first() {
        let _ = q.add(index, first, false);
    }
    q.search(index, k, &SearchOptions::default());

    // Saved and loaded again, the index saves the same bytes.
    if let Ok(bytes) = index.to_bytes() {
        let again = HnswIndex::from_bytes(&bytes, space.clone(), &LoadOptions::default())
            .expect("an index saved by this library loads");
        assert_eq!(again.len(), index.len());
        assert_eq!(again.max_elements(), index.max_elements());
        assert_eq!(again.to_bytes().expect("saved before"), bytes);
    }
}

/// Saves `index` in the native format and loads it again: the same labels, and the
/// same bytes when saved once more.
pub fn native_round_trip(index: &HnswIndex) {
    let bytes = index
        .to_bytes_with(FileFormat::Native)
        .expect("every index saves in the native format");
    let again = HnswIndex::from_native_bytes(&bytes, &LoadOptions::default())
        .expect("a native file saved by this library loads");
    assert_eq!(again.ids(), index.ids());
    assert_eq!(
        again
            .to_bytes_with(FileFormat::Native)
            .expect("saved before"),
        bytes
    );
}

/// What a read-only view must do whatever its (unverified) level 0 holds: search
/// without crashing, refuse every change, and save.
pub fn exercise_view(view: &HnswIndex, k: usize) {
    assert!(view.is_view());
    let ids = view.ids();
    let q = query(view, &ids);
    let k = k.clamp(1, 16);
    q.search(view, k, &SearchOptions::default());
    let odd = |l: u64| l % 2 == 1;
    q.search(
        view,
        k,
        &SearchOptions {
            ef: Some(k + 5),
            filter: Some(&odd),
            ..Default::default()
        },
    );
    let _ = view.check_integrity();
    let refused = |r: hnswlib_core::Result<()>| {
        assert_eq!(r.expect_err("a view refuses changes").kind(), ErrorKind::State)
    };
    refused(q.add(view, ids.last().map_or(0, |l| l.wrapping_add(1)), false));
    if let Some(&first) = ids.first() {
        refused(view.mark_deleted(first));
    }
    refused(view.resize(view.max_elements() + 1));
    let _ = view.to_bytes_with(FileFormat::Native);
}

/// Native files of the hnswlib seeds loaded with several storage modes (f32, sq8,
/// codes-only sq4): every section kind the native format has.
pub fn generated_native_seeds() -> Vec<Vec<u8>> {
    let mut hnsw: Vec<(&str, Vec<u8>)> = HNSW_FIXTURES
        .iter()
        .map(|&(name, bytes)| (name, bytes.to_vec()))
        .collect();
    hnsw.extend(generated_hnsw_seeds());
    let mut out = Vec::new();
    for (name, file) in hnsw {
        let kind = SPACES.iter().position(|&s| s == name).expect("a space name");
        let space = space_for(kind, hnsw_data_size(&file), file.len());
        for opt in [0, 0x08, 0x30] {
            // Quantized modes exist for the float spaces only.
            if let Ok(index) = HnswIndex::from_bytes(&file, space.clone(), &load_options(opt)) {
                out.push(
                    index
                        .to_bytes_with(FileFormat::Native)
                        .expect("every index saves in the native format"),
                );
            }
        }
    }
    out
}

/// Searches, adds, removes and saves a loaded brute-force index.
pub fn exercise_bf(index: &BruteForceIndex, k: usize) {
    let ids = index.ids();
    let dim = index.dim();
    let u8_space = index.space().kind().name() == "l2u8";
    let k = k.clamp(1, 16);
    let opts = SearchOptions::default();
    if u8_space {
        let q = vec![1u8; dim];
        assert!(index.search(&q, k, &opts).expect("search").len() <= k);
        let _ = index.add(&q, u64::MAX);
    } else {
        let q = vec![0.5f32; dim];
        assert!(index.search(&q, k, &opts).expect("search").len() <= k);
        let _ = index.add(&q, u64::MAX);
    }
    if let Some(&first) = ids.first() {
        index.remove(first).expect("removing a listed label");
    }
    // The format covers the whole capacity; only small ones are written here (a file
    // may declare billions of empty slots, which to_bytes would write out).
    let slot = index.space().data_size() + 8;
    if index.max_elements().saturating_mul(slot) <= 1 << 20 {
        let bytes = index.to_bytes();
        let again = BruteForceIndex::from_bytes(&bytes, index.space().clone(), 0)
            .expect("an index saved by this library loads");
        assert_eq!(again.ids(), index.ids());
    }
}

/// Small deterministic vectors (a linear congruential generator).
fn vectors(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n * dim)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 8.0 - 4.0
        })
        .collect()
}

/// Small indexes of every space, with several levels, deletions and spare capacity,
/// built deterministically: (space name, file).
pub fn generated_hnsw_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    for (kind, name) in SPACES.iter().enumerate() {
        for (n, dim, m) in [(0, 4, 2), (1, 3, 2), (6, 5, 2), (40, 4, 3)] {
            let space = Space::by_name(name, dim).expect("a small space");
            let index = HnswIndex::new(
                space,
                &HnswParams {
                    max_elements: n + 3,
                    m,
                    ef_construction: 10,
                    random_seed: kind as u64 + 1,
                    ..Default::default()
                },
            )
            .expect("valid parameters");
            let data = vectors(n, dim, n as u64);
            let labels: Vec<u64> = (0..n as u64).map(|i| i * 3 + 1).collect();
            let opts = AddOptions {
                num_threads: 1,
                ..Default::default()
            };
            if n == 0 {
                // Nothing to add (an empty batch is an error).
            } else if kind == 3 {
                let bytes: Vec<u8> = data.iter().map(|&x| (x * 30.0 + 128.0) as u8).collect();
                index
                    .add_batch(&bytes, Some(&labels), &opts)
                    .expect("a batch that fits");
            } else {
                index
                    .add_batch(&data, Some(&labels), &opts)
                    .expect("a batch that fits");
            }
            for &l in labels.iter().skip(1).step_by(4) {
                index.mark_deleted(l).expect("a label just added");
            }
            out.push((*name, index.to_bytes().expect("an unquantized index")));
        }
    }
    out
}

/// Small brute-force indexes of every space, full-capacity and compact: (space, file).
pub fn generated_bf_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![("l2", BF_FIXTURE.to_vec())];
    for name in SPACES {
        for (n, dim) in [(0, 2), (3, 4)] {
            let space = Space::by_name(name, dim).expect("a small space");
            let index = BruteForceIndex::new(space, n + 2).expect("a small capacity");
            let data = vectors(n, dim, 7);
            let labels: Vec<u64> = (10..10 + n as u64).collect();
            if n == 0 {
                // Nothing to add (an empty batch is an error).
            } else if name == "l2u8" {
                let bytes: Vec<u8> = data.iter().map(|&x| (x * 30.0 + 128.0) as u8).collect();
                index.add_batch(&bytes, &labels).expect("a batch that fits");
            } else {
                index.add_batch(&data, &labels).expect("a batch that fits");
            }
            let full = index.to_bytes();
            // The compact form: the header and the used slots only.
            let compact = full[..24 + n * (index.space().data_size() + 8)].to_vec();
            out.push((name, full));
            out.push((name, compact));
        }
    }
    out
}

/// A selector byte for space `name` with option bits `options` (bits 2-6).
pub fn selector(name: &str, options: u8) -> u8 {
    let kind = SPACES
        .iter()
        .position(|&s| s == name)
        .expect("a space name") as u8;
    kind | (options & !3)
}
