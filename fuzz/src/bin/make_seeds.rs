//! Writes the seed corpora of the fuzz targets into `<dir>/<target>/` (default
//! `corpus`): the committed fixtures and small generated indexes of every space, each
//! behind the selector bytes that load it in its own space with several options.
//! `make fuzz-seeds` runs it; the corpora are build outputs, not committed.

use std::fs;
use std::path::Path;

use hnswlib_fuzz::{
    generated_bf_seeds, generated_hnsw_seeds, generated_native_seeds, selector, HNSW_FIXTURES,
};

/// Option bits tried with every seed: defaults, replace-deleted, sq8, codes-only sq4,
/// an explicit capacity.
const OPTIONS: [u8; 5] = [0, 0x04, 0x08, 0x30, 0x40];

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("writing a seed");
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let root = Path::new(&root);
    let mut hnsw: Vec<(&str, Vec<u8>)> = HNSW_FIXTURES
        .iter()
        .map(|&(name, bytes)| (name, bytes.to_vec()))
        .collect();
    hnsw.extend(generated_hnsw_seeds());
    for target in ["hnsw_load", "hnsw_load_use", "abi_deserialize"] {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("creating the corpus directory");
        for (i, (space, file)) in hnsw.iter().enumerate() {
            for opt in OPTIONS {
                let mut input = vec![selector(space, opt)];
                input.extend_from_slice(file);
                write(&dir, &format!("seed-{i:02}-{space}-{opt:02x}"), &input);
            }
        }
    }
    let dir = root.join("bf_load");
    fs::create_dir_all(&dir).expect("creating the corpus directory");
    for (i, (space, file)) in generated_bf_seeds().iter().enumerate() {
        for opt in [0, 0x40] {
            let mut input = vec![selector(space, opt)];
            input.extend_from_slice(file);
            write(&dir, &format!("seed-{i:02}-{space}-{opt:02x}"), &input);
        }
    }
    // Native files: loaded with default options and with an explicit capacity; viewed
    // unverified and verified.
    let native = generated_native_seeds();
    for (target, selectors) in [("native_load", [0u8, 0x40]), ("native_view", [0, 1])] {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("creating the corpus directory");
        for (i, file) in native.iter().enumerate() {
            for sel in selectors {
                let mut input = vec![sel];
                input.extend_from_slice(file);
                write(&dir, &format!("seed-{i:02}-{sel:02x}"), &input);
            }
        }
    }
    // The structure-aware target picks its seed file itself: one input per seed.
    let dir = root.join("hnsw_header");
    fs::create_dir_all(&dir).expect("creating the corpus directory");
    for i in 0..hnsw.len() as u8 {
        write(&dir, &format!("seed-{i:02}"), &[i, 0, 0, 0, 0, 0, 0, 0]);
    }
    println!("seed corpora written to {}", root.display());
}
