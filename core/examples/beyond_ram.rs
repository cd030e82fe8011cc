//! A memory-mapped view of a native file larger than the memory its process may use.
//!
//! ```text
//! cargo run --release -p hnswlib-core --example beyond_ram -- --step build [--n 1000000] [--dim 128]
//! cargo run --release -p hnswlib-core --example beyond_ram -- --step search
//! cargo run --release -p hnswlib-core --example beyond_ram -- --step load
//! ```
//!
//! `make view-beyond-ram` runs the three steps: `build` without a limit, then `search`
//! and `load` each inside a memory cgroup whose limit is well below the file's size
//! (`bench/view_beyond_ram.sh`).
//!
//! * `build` builds an l2 index of `--n` random vectors, saves it in the native format
//!   (`--file`), and writes beside it (`<file>.answers`) the queries' results from the
//!   built index at `--ef` and their exact neighbours (brute force). The vectors are
//!   `--dim`-dimensional but lie in a random `--latent`-dimensional subspace, as real
//!   embeddings have a low intrinsic dimension (uniform 128-d vectors have none, and
//!   no index finds their neighbours well).
//! * `search` first drops the file's pages from the page cache (so none of it is
//!   resident, nor charged to another process's memory), reports how much of it is
//!   resident, opens a view and searches every query `--passes` times on one thread.
//!   Each pass must return exactly the built index's results; it reports QPS per pass,
//!   recall@k against the exact neighbours, the process's memory (RSS: anonymous and
//!   file pages) and how much of the file is resident at the end.
//! * `load` loads the same file into memory (`HnswIndex::open`) and searches once; under
//!   a limit below the file's size it cannot complete.

use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;
use common::{build_native_l2, err, number, proc_fields, uniform_vectors};
use hnswlib_core::{BruteForceIndex, HnswIndex, LoadOptions, SearchOptions, Space, ViewOptions};

const USAGE: &str = "\
usage: beyond_ram --step build|search|load [options]

options:
  --file PATH    the index file (default target/view-beyond-ram/l2-N-D.hnsw)
  --n N          vectors in the index (build; default 1000000)
  --dim D        dimension (default 128)
  --latent L     intrinsic dimension of the data (default 16; 0: uniform in --dim)
  --m M          graph degree (build; default 16)
  --efc EF       ef_construction (build; default 40)
  --ef EF        ef of the searches (default 64)
  --k K          neighbours per query (default 10)
  --nq N         queries (default 1000)
  --passes P     search passes over the queries (search; default 3)
  --no-progress  no progress bar";

struct Args {
    step: String,
    file: Option<PathBuf>,
    n: usize,
    dim: usize,
    latent: usize,
    m: usize,
    efc: usize,
    ef: usize,
    k: usize,
    nq: usize,
    passes: usize,
    progress: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        step: String::new(),
        file: None,
        n: 1_000_000,
        dim: 128,
        latent: 16,
        m: 16,
        efc: 40,
        ef: 64,
        k: 10,
        nq: 1000,
        passes: 3,
        progress: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--step" => a.step = value()?,
            "--file" => a.file = Some(PathBuf::from(value()?)),
            "--n" => a.n = number("--n", &value()?)?,
            "--dim" => a.dim = number("--dim", &value()?)?,
            "--latent" => a.latent = number("--latent", &value()?)?,
            "--m" => a.m = number("--m", &value()?)?,
            "--efc" => a.efc = number("--efc", &value()?)?,
            "--ef" => a.ef = number("--ef", &value()?)?,
            "--k" => a.k = number("--k", &value()?)?,
            "--nq" => a.nq = number("--nq", &value()?)?,
            "--passes" => a.passes = number("--passes", &value()?)?,
            "--no-progress" => a.progress = false,
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown option {arg}")),
        }
    }
    if !matches!(a.step.as_str(), "build" | "search" | "load") {
        return Err("--step must be build, search or load".into());
    }
    if a.n == 0 || a.dim == 0 || a.k == 0 || a.nq == 0 || a.passes == 0 {
        return Err("--n, --dim, --k, --nq and --passes must be positive".into());
    }
    Ok(a)
}

/// `n` vectors of `a.dim` values: uniform ones of `a.latent` values mapped into `a.dim`
/// dimensions by one fixed random matrix (uniform in `a.dim` when `a.latent` is 0).
fn vectors(a: &Args, n: usize, seed: u64) -> Vec<f32> {
    if a.latent == 0 {
        return uniform_vectors(n, a.dim, seed);
    }
    let basis = uniform_vectors(a.dim, a.latent, 7);
    uniform_vectors(n, a.latent, seed)
        .chunks_exact(a.latent)
        .flat_map(|z| {
            basis
                .chunks_exact(a.latent)
                .map(|row| row.iter().zip(z).map(|(b, z)| b * z).sum::<f32>())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// The answers file beside the index: `nq × k` labels of the built index's searches,
/// then `nq × k` exact neighbours, little-endian u64.
fn answers_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".answers");
    PathBuf::from(name)
}

fn build(a: &Args, file: &Path) -> Result<bool, String> {
    let data = vectors(a, a.n, 1);
    let index = build_native_l2(&data, a.dim, (a.m, a.efc), a.progress, file)?;
    let queries = vectors(a, a.nq, 2);
    let opts = SearchOptions {
        ef: Some(a.ef),
        ..Default::default()
    };
    let found = index.search_batch(&queries, a.k, &opts).map_err(err)?;
    drop(index);
    let t = Instant::now();
    let exact = BruteForceIndex::new(Space::l2(a.dim).map_err(err)?, a.n).map_err(err)?;
    let labels: Vec<u64> = (0..a.n as u64).collect();
    exact.add_batch(&data, &labels).map_err(err)?;
    drop(data);
    let truth = exact
        .search_batch(&queries, a.k, &SearchOptions::default())
        .map_err(err)?;
    println!(
        "exact neighbours of {} queries in {:.1} s",
        a.nq,
        t.elapsed().as_secs_f64()
    );
    let bytes: Vec<u8> = found
        .labels
        .iter()
        .chain(&truth.labels)
        .flat_map(|l| l.to_le_bytes())
        .collect();
    std::fs::write(answers_path(file), bytes).map_err(err)?;
    let size = std::fs::metadata(file).map_err(err)?.len();
    println!(
        "{}: {:.0} MiB; recall@{} of the built index at ef {}: {:.4}",
        file.display(),
        mib(size),
        a.k,
        a.ef,
        recall(&found.labels, &truth.labels, a.k)
    );
    Ok(true)
}

/// Mean fraction of each row's `k` exact neighbours found.
fn recall(found: &[u64], exact: &[u64], k: usize) -> f64 {
    let hits: usize = found
        .chunks_exact(k)
        .zip(exact.chunks_exact(k))
        .map(|(f, e)| f.iter().filter(|l| e.contains(l)).count())
        .sum();
    hits as f64 / exact.len() as f64
}

/// This process's memory from /proc/self/status, in bytes: (VmRSS, RssAnon, RssFile,
/// VmHWM).
fn rss() -> Result<[u64; 4], String> {
    proc_fields(
        "/proc/self/status",
        ["VmRSS:", "RssAnon:", "RssFile:", "VmHWM:"],
    )
}

/// Drops the file's pages from the page cache (they are clean: the build synced them),
/// so that what the search needs is read from disk and charged to its own process.
fn evict(file: &Path) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(file).map_err(err)?;
    // SAFETY: a valid open descriptor; the call only advises the kernel.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc != 0 {
        return Err(format!("posix_fadvise: error {rc}"));
    }
    Ok(())
}

/// The fraction of the file's pages in the page cache (mincore over a fresh mapping).
fn resident(file: &Path) -> Result<f64, String> {
    let f = std::fs::File::open(file).map_err(err)?;
    // SAFETY: a read-only private mapping of a file nobody rewrites meanwhile; only
    // its address range is passed to mincore, never read.
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(err)?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let pages = map.len().div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: the range is the live mapping, and `vec` has one byte per page of it.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr() as *mut libc::c_void,
            map.len(),
            vec.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(format!("mincore: {}", std::io::Error::last_os_error()));
    }
    Ok(vec.iter().filter(|&&b| b & 1 != 0).count() as f64 / pages as f64)
}

fn search(a: &Args, file: &Path) -> Result<bool, String> {
    let size = std::fs::metadata(file).map_err(err)?.len();
    let answers = std::fs::read(answers_path(file)).map_err(err)?;
    let answers: Vec<u64> = answers
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    if answers.len() != 2 * a.nq * a.k {
        return Err("the answers file does not match --nq and --k: run --step build again".into());
    }
    let (expected, exact) = answers.split_at(a.nq * a.k);
    evict(file)?;
    println!(
        "file {:.0} MiB, {:.1}% resident before the view opens",
        mib(size),
        100.0 * resident(file)?
    );
    let t = Instant::now();
    let view = HnswIndex::open_view(file, &ViewOptions::default()).map_err(err)?;
    println!("open_view: {:.1} ms", 1e3 * t.elapsed().as_secs_f64());
    let queries = vectors(a, a.nq, 2);
    let opts = SearchOptions {
        ef: Some(a.ef),
        ..Default::default()
    };
    let mut same = true;
    for pass in 1..=a.passes {
        let t = Instant::now();
        let mut found = Vec::with_capacity(a.nq * a.k);
        for q in queries.chunks_exact(a.dim) {
            found.extend(
                view.search(q, a.k, &opts)
                    .map_err(err)?
                    .iter()
                    .map(|n| n.label),
            );
        }
        let secs = t.elapsed().as_secs_f64();
        let ok = found == expected;
        same &= ok;
        let [vm, anon, filed, _] = rss()?;
        println!(
            "pass {pass}: {:.0} QPS, results {} the built index's, recall@{} {:.4}; RSS {:.0} MiB ({:.0} MiB anonymous, {:.0} MiB of the file)",
            a.nq as f64 / secs,
            if ok { "identical to" } else { "DIFFERENT from" },
            a.k,
            recall(&found, exact, a.k),
            mib(vm),
            mib(anon),
            mib(filed)
        );
    }
    let hwm = rss()?[3];
    println!(
        "peak RSS {:.0} MiB; {:.1}% of the file resident after the searches",
        mib(hwm),
        100.0 * resident(file)?
    );
    Ok(same)
}

fn load(a: &Args, file: &Path) -> Result<bool, String> {
    let t = Instant::now();
    let index = HnswIndex::open(file, &LoadOptions::default()).map_err(err)?;
    let found = index
        .search(&vectors(a, 1, 2), a.k, &SearchOptions::default())
        .map_err(err)?;
    println!(
        "loaded in {:.1} s, {} results; peak RSS {:.0} MiB",
        t.elapsed().as_secs_f64(),
        found.len(),
        mib(rss()?[3])
    );
    Ok(true)
}

fn run(a: Args) -> Result<bool, String> {
    let file = a.file.clone().unwrap_or_else(|| {
        PathBuf::from(format!("target/view-beyond-ram/l2-{}-{}.hnsw", a.n, a.dim))
    });
    match a.step.as_str() {
        "build" => build(&a, &file),
        "search" => search(&a, &file),
        _ => load(&a, &file),
    }
}

fn main() -> std::process::ExitCode {
    common::main_with(USAGE, parse, run)
}
