//! Compatibility with files written by hnswlib itself (tests/fixtures, made by
//! make_fixtures.py with pip hnswlib 0.8.0): they load, search like hnswlib, and save
//! again byte for byte; and a single-threaded build from the same data and seed
//! reproduces hnswlib's file exactly.
use std::path::PathBuf;

use hnswlib_core::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn read_u64(name: &str) -> Vec<u64> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Compares two index files, reporting the first differing byte instead of both files.
fn assert_same_bytes(ours: &[u8], theirs: &[u8], what: &str) {
    if let Some(at) = ours.iter().zip(theirs).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {at} (ours {:?}, hnswlib {:?})",
            &ours[at..(at + 16).min(ours.len())],
            &theirs[at..(at + 16).min(theirs.len())]
        );
    }
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths differ");
}

struct Expected {
    space: String,
    dim: usize,
    k: usize,
    ef: usize,
    count: usize,
    rows: Vec<(Vec<u64>, Vec<f32>)>,
}

fn expected(name: &str) -> Expected {
    let text = std::fs::read_to_string(fixture(&format!("{name}.expected.txt"))).unwrap();
    let mut lines = text.lines();
    let head: std::collections::HashMap<&str, &str> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|kv| kv.split_once('=').unwrap())
        .collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (ls, ds) = l.split_once('|').unwrap();
            (
                ls.split_whitespace().map(|x| x.parse().unwrap()).collect(),
                ds.split_whitespace().map(|x| x.parse().unwrap()).collect(),
            )
        })
        .collect();
    Expected {
        space: head["space"].to_string(),
        dim: head["dim"].parse().unwrap(),
        k: head["k"].parse().unwrap(),
        ef: head["ef"].parse().unwrap(),
        count: head["count"].parse().unwrap(),
        rows,
    }
}

/// Loads NAME.hnsw, checks it searches like hnswlib did, and re-saves identically.
fn check_fixture(name: &str, exact: bool) -> HnswIndex {
    let exp = expected(name);
    let space = Space::by_name(&exp.space, exp.dim).unwrap();
    let file = fixture(&format!("{name}.hnsw"));
    let index = HnswIndex::load(&file, space, &LoadOptions::default()).unwrap();
    assert_eq!(index.len(), exp.count);
    index.set_ef(exp.ef);
    let queries = read_f32(&format!("{name}.queries.f32"));
    let mut same = 0;
    for (q, (labels, dists)) in queries.chunks_exact(exp.dim).zip(&exp.rows) {
        let hits = index.search(q, exp.k, &SearchOptions::default()).unwrap();
        assert_eq!(hits.len(), labels.len());
        for (h, d) in hits.iter().zip(dists) {
            assert!(
                (h.distance - d).abs() <= 1e-5 * d.abs().max(1.0),
                "{name}: distance {} vs hnswlib {d}",
                h.distance
            );
        }
        let got: Vec<u64> = hits.iter().map(|n| n.label).collect();
        if exact {
            // Integer data: every distance is exact, so the distances are hnswlib's to
            // the bit and so is every label closer than the last distance. Of labels
            // tied at the last distance, hnswlib keeps those its heap happens to keep
            // and the query-time pool those it found first: any of them is right, as
            // long as it truly is at that distance.
            let last = *dists.last().unwrap();
            for (i, h) in hits.iter().enumerate() {
                assert_eq!(
                    h.distance, dists[i],
                    "{name}: distances differ from hnswlib"
                );
                if h.distance < last {
                    assert_eq!(h.label, labels[i], "{name}: results differ from hnswlib");
                } else {
                    let v = index.get_item::<f32>(h.label).unwrap();
                    let d = index.space().distance(q, &v).unwrap();
                    assert_eq!(
                        d, last,
                        "{name}: label {} is not at the tied distance",
                        h.label
                    );
                }
            }
        }
        same += (&got == labels) as usize;
    }
    // Float data: the same graph and algorithm give the same neighbours, unless
    // another summation order (SIMD width) swaps a near-tie.
    assert!(
        same * 10 >= exp.rows.len() * 9,
        "{name}: only {same} of {} result lists match hnswlib",
        exp.rows.len()
    );
    assert_same_bytes(
        &index.to_bytes().unwrap(),
        &std::fs::read(&file).unwrap(),
        &format!("{name} re-saved"),
    );
    index
}

#[test]
fn l2_file_with_deletions() {
    let index = check_fixture("l2_d16", false);
    assert_eq!(index.deleted_count(), 2);
    assert!(index.is_deleted(1003).unwrap());
    assert!(index.is_deleted(1010).unwrap());
    assert_eq!(index.max_elements(), 600);
    let data = read_f32("l2_d16.data.f32");
    let labels = read_u64("l2_d16.labels.u64");
    assert_eq!(
        index.get_item::<f32>(labels[7]).unwrap(),
        data[7 * 16..8 * 16].to_vec()
    );
}

#[test]
fn ip_file() {
    check_fixture("ip_d8", false);
}

#[test]
fn cosine_file_stores_normalised_vectors() {
    let index = check_fixture("cosine_d12", false);
    let data = read_f32("cosine_d12.data.f32");
    let labels = read_u64("cosine_d12.labels.u64");
    let v = index.get_item::<f32>(labels[0]).unwrap();
    let norm = data[..12].iter().map(|x| x * x).sum::<f32>().sqrt();
    for (a, b) in v.iter().zip(&data[..12]) {
        assert!((a - b / norm).abs() < 1e-6);
    }
}

#[test]
fn single_threaded_build_reproduces_hnswlib_byte_for_byte() {
    let name = "l2_int_d4_seed100";
    check_fixture(name, true);
    let data = read_f32(&format!("{name}.data.f32"));
    let labels = read_u64(&format!("{name}.labels.u64"));
    let index = HnswIndex::new(
        Space::l2(4).unwrap(),
        &HnswParams {
            max_elements: 400,
            m: 4,
            ef_construction: 20,
            random_seed: 100,
            allow_replace_deleted: false,
            ..Default::default()
        },
    )
    .unwrap();
    for (v, &l) in data.chunks_exact(4).zip(&labels) {
        index.add(v, l, false).unwrap();
    }
    let levels: Vec<usize> = std::fs::read_to_string(fixture(&format!("levels_{name}.txt")))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    for (&l, &level) in labels.iter().zip(&levels) {
        assert_eq!(index.level_of(l).unwrap(), level, "level of label {l}");
    }
    assert_same_bytes(
        &index.to_bytes().unwrap(),
        &std::fs::read(fixture(&format!("{name}.hnsw"))).unwrap(),
        "rebuilt",
    );
}

#[test]
fn level_generator_matches_libstdcxx() {
    let text = std::fs::read_to_string(fixture("rng_seed100.txt")).unwrap();
    let mut n = 0;
    let mut gens: std::collections::HashMap<u64, rng::LevelRng> = Default::default();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let seed: u64 = f[0].parse().unwrap();
        let u: f64 = f[2].parse().unwrap();
        let g = gens.entry(seed).or_insert_with(|| rng::LevelRng::new(seed));
        assert_eq!(g.next_uniform(), u, "seed {seed} draw {}", f[1]);
        n += 1;
    }
    assert!(n >= 20);
}

#[test]
fn bruteforce_file() {
    let space = Space::l2(4).unwrap();
    let index = BruteForceIndex::load(fixture("bf_l2_d4.bfi"), space, 0).unwrap();
    assert_eq!(index.len(), 6);
    assert_eq!(index.ids(), (10..16).collect::<Vec<u64>>());
}

/// hnswlib 0.6.2's own C++ (l2u8_fixture.cpp, `L2SpaceI`) wrote `l2u8_d12.hnsw`: it
/// loads in the l2u8 space, answers as hnswlib did (exact integer distances), saves again
/// byte for byte, and a single-threaded build from the same data and seed writes the
/// same file.
#[test]
fn hnswlib_u8_file_from_cpp() {
    let name = "l2u8_d12";
    let exp = expected(name);
    assert_eq!(exp.space, "l2u8");
    let file = fixture(&format!("{name}.hnsw"));
    let hnswlib_bytes = std::fs::read(&file).unwrap();
    let data = std::fs::read(fixture(&format!("{name}.data.u8"))).unwrap();
    let labels = read_u64(&format!("{name}.labels.u64"));
    let queries = std::fs::read(fixture(&format!("{name}.queries.u8"))).unwrap();
    let space = Space::by_name("l2u8", exp.dim).unwrap();
    let loaded = HnswIndex::load(&file, space.clone(), &LoadOptions::default()).unwrap();
    assert_eq!(loaded.len(), exp.count);
    assert_same_bytes(&loaded.to_bytes().unwrap(), &hnswlib_bytes, "re-saved");
    assert_eq!(
        loaded.get_item::<u8>(labels[5]).unwrap(),
        data[5 * exp.dim..6 * exp.dim].to_vec()
    );
    let params = HnswParams {
        max_elements: 400,
        m: 8,
        ef_construction: 40,
        random_seed: 100,
        ..Default::default()
    };
    let built = HnswIndex::new(space, &params).unwrap();
    for (v, &l) in data.chunks_exact(exp.dim).zip(&labels) {
        built.add(v, l, false).unwrap();
    }
    assert_same_bytes(&built.to_bytes().unwrap(), &hnswlib_bytes, "rebuilt");
    for index in [&loaded, &built] {
        index.set_ef(exp.ef);
        for (q, (want_labels, want_dists)) in queries.chunks_exact(exp.dim).zip(&exp.rows) {
            let hits = index.search(q, exp.k, &SearchOptions::default()).unwrap();
            assert_eq!(
                &hits.iter().map(|h| h.label).collect::<Vec<_>>(),
                want_labels
            );
            assert_eq!(
                &hits.iter().map(|h| h.distance).collect::<Vec<_>>(),
                want_dists
            );
        }
    }
}
