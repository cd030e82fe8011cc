//! A save killed at any moment leaves the old index or the new one at the path, never
//! a mix or a truncated file.
//!
//! `save_survives_sigkill` re-runs this test binary as a child (the `child_saver`
//! test, which does nothing unless `HNSWLIB_KILL_CHILD` is set). The child loads two
//! different indexes and saves them to the same path in turn, forever; the parent
//! SIGKILLs it at a random moment, then checks the path's bytes equal one of the two
//! and that they load. Trials: `HNSWLIB_KILL_TRIALS` (default 20; `make kill-test`
//! runs 200 on a larger index), elements: `HNSWLIB_KILL_N` (default 20000),
//! seed: `HNSWLIB_KILL_SEED` (default from the clock, printed).
//!
//! A kill during a save leaves that save's temporary file beside the path: no process
//! is left to remove it. The test lists such files and removes them, and checks only
//! that the path itself is never one of them and never damaged; it does not depend on
//! how temporary files are named.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::Rng;
use hnswlib_core::*;

const DIM: usize = 32;
/// What the child prints once it is about to save.
const READY: &str = "child-ready-to-save";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn build(n: usize, seed: u64) -> HnswIndex {
    let data = Rng::new(seed).vectors(n, DIM);
    let index = HnswIndex::new(
        Space::l2(DIM).unwrap(),
        &HnswParams {
            max_elements: n,
            m: 8,
            ef_construction: 20,
            random_seed: seed,
            ..Default::default()
        },
    )
    .unwrap();
    let labels: Vec<u64> = (0..n as u64).map(|i| i + seed * 1_000_000).collect();
    index
        .add_batch(&data, Some(&labels), &AddOptions::default())
        .unwrap();
    index
}

/// The child: saves the indexes of `HNSWLIB_KILL_SOURCES` (two files) to
/// `HNSWLIB_KILL_CHILD` in turn until it is killed.
#[test]
fn child_saver() {
    let Ok(target) = std::env::var("HNSWLIB_KILL_CHILD") else {
        return;
    };
    let sources = std::env::var("HNSWLIB_KILL_SOURCES").unwrap();
    let space = Space::l2(DIM).unwrap();
    let indexes: Vec<HnswIndex> = sources
        .split(';')
        .map(|p| HnswIndex::load(p, space.clone(), &LoadOptions::default()).unwrap())
        .collect();
    // libtest may print "test child_saver ... " before it on the same line.
    println!("{READY}");
    for i in 0usize.. {
        // Durable and fast saves both: each must be atomic.
        let opts = SaveOptions {
            sync: i % 4 != 3,
            ..Default::default()
        };
        indexes[i % 2].save_with(&target, &opts).unwrap();
    }
}

fn other_files(dir: &Path, target: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != target)
        .collect();
    v.sort();
    v
}

#[test]
fn save_survives_sigkill() {
    let trials = env_usize("HNSWLIB_KILL_TRIALS", 20);
    let n = env_usize("HNSWLIB_KILL_N", 20_000);
    let seed = env_usize(
        "HNSWLIB_KILL_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as usize,
    ) as u64;
    eprintln!("save_survives_sigkill: {trials} trials, {n} elements, HNSWLIB_KILL_SEED={seed}");

    let sources_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("index.bin");
    let (old, new) = (build(n, 1), build(n + n / 2, 2));
    let (old_bytes, new_bytes) = (old.to_bytes().unwrap(), new.to_bytes().unwrap());
    let sources: Vec<PathBuf> = ["old.bin", "new.bin"]
        .iter()
        .map(|f| sources_dir.path().join(f))
        .collect();
    old.save(&sources[0]).unwrap();
    new.save(&sources[1]).unwrap();
    old.save(&target).unwrap();
    // Kill within a few saves' time after the child is ready.
    let t = Instant::now();
    new.save(&target).unwrap();
    let save_time = t.elapsed().max(Duration::from_millis(1));
    drop((old, new));

    let mut rng = Rng::new(seed);
    let (mut saw_old, mut saw_new, mut leftovers) = (0, 0, 0);
    for trial in 0..trials {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["child_saver", "--exact", "--nocapture", "--test-threads=1"])
            .env("HNSWLIB_KILL_CHILD", &target)
            .env(
                "HNSWLIB_KILL_SOURCES",
                format!("{};{}", sources[0].display(), sources[1].display()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains(READY) {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "the child ended before it was ready"
            );
        }
        let delay = save_time.mul_f64(4.0 * rng.f32() as f64);
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let bytes = std::fs::read(&target).unwrap_or_else(|e| {
            panic!("trial {trial} (delay {delay:?}): the index file is gone: {e}")
        });
        if bytes == old_bytes {
            saw_old += 1;
        } else if bytes == new_bytes {
            saw_new += 1;
        } else {
            panic!(
                "trial {trial} (delay {delay:?}): the file ({} bytes) is neither the old ({}) nor the new index ({})",
                bytes.len(),
                old_bytes.len(),
                new_bytes.len()
            );
        }
        let loaded = HnswIndex::load(&target, Space::l2(DIM).unwrap(), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("trial {trial}: the file does not load: {e}"));
        assert!(loaded.len() == n || loaded.len() == n + n / 2);

        // Temporary files of the killed save (documented above).
        for f in other_files(dir.path(), &target) {
            eprintln!("trial {trial}: left by the killed save: {}", f.display());
            leftovers += 1;
            std::fs::remove_file(&f).unwrap();
        }
    }
    eprintln!(
        "save_survives_sigkill: {trials} trials: old index {saw_old}, new index {saw_new}, \
         {leftovers} temporary files left by killed saves"
    );
}
