//! The SIFT test (hnswlib's `sift_1b.cpp`): u8 vectors, integer squared L2, M=16,
//! ef_construction=40, recall@1 and single-thread QPS over an ef sweep.
//!
//! ```text
//! # a BigANN subset (http://corpus-texmex.irisa.fr/): the first 1M base vectors
//! cargo run --release -p hnswlib-core --example sift -- \
//!     --base bigann_base.bvecs --queries bigann_query.bvecs \
//!     --gt gnd/idx_1M.ivecs --subset-millions 1
//! # synthetic SIFT-like data, exact ground truth from the brute-force index
//! cargo run --release -p hnswlib-core --example sift -- --synthetic 100000 --min-recall 0.95
//! ```
//!
//! `.bvecs`: per vector a little-endian i32 dimension, then that many bytes.
//! `.ivecs`: per query a little-endian i32 count, then that many i32 ids (the first is
//! the nearest; the ground-truth file must match the subset size). A result counts as a
//! hit when it is the true nearest neighbour or exactly as close (ties).
//!
//! With `--min-recall R` the program exits with status 1 when the best recall@1 of the
//! sweep is below R, so a test run catches a broken build.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod common;
use std::time::Instant;

use common::{bar, cpu_seconds, number};
use hnswlib_core::parallel::resolve_threads;
use hnswlib_core::{AddOptions, BruteForceIndex, HnswIndex, HnswParams, SearchOptions, Space};
use indicatif::ProgressBar;

const DIM: usize = 128;

const USAGE: &str = "\
usage: sift --base BASE.bvecs --queries QUERIES.bvecs --gt GT.ivecs --subset-millions F [options]
       sift --synthetic N [options]

options:
  --subset-millions F  base vectors to take, in millions (e.g. 0.1, 1, 10)
  --synthetic N        generate N SIFT-like u8 vectors of dim 128 (clusters on
                       low-dimensional patches) and --nq queries; exact ground
                       truth from the brute-force index
  --nq N               synthetic queries (default 1000); with files: use the first N
  --seed S             synthetic data seed (default 1)
  --m M                graph degree (default 16)
  --efc EF             ef_construction (default 40)
  --threads T          build and ground-truth threads (default 0 = all cores)
  --efs LIST           comma-separated ef values (default 1,2,5,10,20,40,80,160,320)
  --min-recall R       exit with status 1 if the best recall@1 is below R
  --no-progress        no progress bars";

struct Args {
    base: Option<PathBuf>,
    queries: Option<PathBuf>,
    gt: Option<PathBuf>,
    subset_millions: Option<f64>,
    synthetic: Option<usize>,
    nq: Option<usize>,
    seed: u64,
    m: usize,
    efc: usize,
    threads: isize,
    efs: Vec<usize>,
    min_recall: Option<f64>,
    progress: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base: None,
        queries: None,
        gt: None,
        subset_millions: None,
        synthetic: None,
        nq: None,
        seed: 1,
        m: 16,
        efc: 40,
        threads: 0,
        efs: vec![1, 2, 5, 10, 20, 40, 80, 160, 320],
        min_recall: None,
        progress: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--base" => a.base = Some(value(&arg)?.into()),
            "--queries" => a.queries = Some(value(&arg)?.into()),
            "--gt" => a.gt = Some(value(&arg)?.into()),
            "--subset-millions" => a.subset_millions = Some(number(&arg, &value(&arg)?)?),
            "--synthetic" => a.synthetic = Some(number(&arg, &value(&arg)?)?),
            "--nq" => a.nq = Some(number(&arg, &value(&arg)?)?),
            "--seed" => a.seed = number(&arg, &value(&arg)?)?,
            "--m" | "--M" => a.m = number(&arg, &value(&arg)?)?,
            "--efc" => a.efc = number(&arg, &value(&arg)?)?,
            "--threads" => a.threads = number(&arg, &value(&arg)?)?,
            "--efs" => {
                a.efs = value(&arg)?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| number("--efs", s.trim()))
                    .collect::<Result<_, _>>()?
            }
            "--min-recall" => a.min_recall = Some(number(&arg, &value(&arg)?)?),
            "--no-progress" => a.progress = false,
            s => return Err(format!("unknown argument {s}")),
        }
    }
    let files = a.base.is_some() || a.queries.is_some() || a.gt.is_some();
    match (a.synthetic, files) {
        (Some(0), _) => return Err("--synthetic needs at least 1 vector".into()),
        (Some(_), true) => return Err("give either --synthetic or the data files".into()),
        (None, false) => return Err("give --synthetic N or --base, --queries and --gt".into()),
        (None, true) => {
            if a.base.is_none() || a.queries.is_none() || a.gt.is_none() {
                return Err("--base, --queries and --gt go together".into());
            }
            match a.subset_millions {
                Some(f) if f > 0.0 && f.is_finite() => {}
                Some(_) => return Err("--subset-millions must be positive".into()),
                None => return Err("--subset-millions is required with data files".into()),
            }
        }
        (Some(_), false) => {}
    }
    if a.efs.is_empty() || a.nq == Some(0) {
        return Err("--efs and --nq must not be empty".into());
    }
    Ok(a)
}

/// Reads up to `limit` vectors of a `.bvecs` file (all if `None`); every vector must
/// have dimension 128. Fails if the file holds fewer than `limit`.
fn read_bvecs(path: &Path, limit: Option<usize>, pb: &ProgressBar) -> Result<Vec<u8>, String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = File::open(path).map_err(err)?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::with_capacity(limit.unwrap_or(0).saturating_mul(DIM));
    let mut head = [0u8; 4];
    let mut count = 0usize;
    while limit.is_none_or(|l| count < l) {
        match r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(err(e)),
        }
        let d = i32::from_le_bytes(head);
        if d != DIM as i32 {
            return Err(format!(
                "{}: vector {count} has dimension {d}, expected {DIM}",
                path.display()
            ));
        }
        let start = out.len();
        out.resize(start + DIM, 0);
        r.read_exact(&mut out[start..]).map_err(err)?;
        count += 1;
        if count.is_multiple_of(100_000) {
            pb.set_position(count as u64);
        }
    }
    if let Some(l) = limit {
        if count < l {
            return Err(format!(
                "{}: holds {count} vectors, the subset needs {l}",
                path.display()
            ));
        }
    }
    Ok(out)
}

/// Reads the first id of every row of an `.ivecs` ground-truth file.
fn read_ivecs_first(path: &Path) -> Result<Vec<u64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ids = Vec::new();
    let mut pos = 0;
    let word = |p: usize| -> Option<i32> {
        bytes
            .get(p..p + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    while pos < bytes.len() {
        let count = word(pos).ok_or_else(|| format!("{}: truncated", path.display()))?;
        if count < 1 || pos + 4 + 4 * count as usize > bytes.len() {
            return Err(format!(
                "{}: bad row {} (count {count})",
                path.display(),
                ids.len()
            ));
        }
        let first = word(pos + 4).expect("length checked above");
        if first < 0 {
            return Err(format!(
                "{}: negative id in row {}",
                path.display(),
                ids.len()
            ));
        }
        ids.push(first as u64);
        pos += 4 + 4 * count as usize;
    }
    Ok(ids)
}

/// xorshift64*: deterministic synthetic data without a rand dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    fn sym(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// SIFT-like data: like real descriptors, the points have a low intrinsic dimension.
/// 1000 overlapping clusters, each a random centre plus a random 12-dimensional patch;
/// a point is its cluster's centre plus a random point of the patch plus small noise,
/// rounded and clamped to 0..=255. Base and query points come from the same clusters.
/// (Few, well-separated clusters would make a graph that hnswlib itself searches
/// poorly at efc=40, which tests the data rather than the index.)
struct Synthetic {
    centres: Vec<f32>,
    bases: Vec<f32>,
}

const LATENT: usize = 12;

impl Synthetic {
    fn new(clusters: usize, rng: &mut Rng) -> Self {
        let centres = (0..clusters * DIM)
            .map(|_| 70.0 + 30.0 * rng.sym())
            .collect();
        let bases = (0..clusters * LATENT * DIM).map(|_| rng.sym()).collect();
        Synthetic { centres, bases }
    }

    fn points(&self, n: usize, rng: &mut Rng) -> Vec<u8> {
        let clusters = self.centres.len() / DIM;
        let mut out = Vec::with_capacity(n * DIM);
        let mut v = [0f32; DIM];
        for _ in 0..n {
            let c = rng.below(clusters);
            v.copy_from_slice(&self.centres[c * DIM..(c + 1) * DIM]);
            for l in 0..LATENT {
                let z = 12.0 * rng.sym();
                let basis = &self.bases[(c * LATENT + l) * DIM..(c * LATENT + l + 1) * DIM];
                for (x, b) in v.iter_mut().zip(basis) {
                    *x += z * b;
                }
            }
            out.extend(
                v.iter()
                    .map(|&x| (x + 2.0 * rng.sym()).round().clamp(0.0, 255.0) as u8),
            );
        }
        out
    }
}

fn run(a: Args) -> Result<bool, String> {
    let t0 = Instant::now();
    let space = Space::l2_u8(DIM).map_err(|e| e.to_string())?;
    // base, queries, ground-truth label per query
    let (base, queries, gt) = if let Some(n) = a.synthetic {
        let nq = a.nq.unwrap_or(1000);
        let mut rng = Rng::new(a.seed);
        let gen = Synthetic::new(n.min(1000), &mut rng);
        let base = gen.points(n, &mut rng);
        let queries = gen.points(nq, &mut rng);
        println!(
            "synthetic SIFT-like data: {n} base, {nq} queries, dim {DIM}, made in {:.1}s",
            t0.elapsed().as_secs_f64()
        );
        let t1 = Instant::now();
        let bf = BruteForceIndex::new(space.clone(), n).map_err(|e| e.to_string())?;
        let labels: Vec<u64> = (0..n as u64).collect();
        bf.add_batch(&base, &labels).map_err(|e| e.to_string())?;
        let res = bf
            .search_batch(
                &queries,
                1,
                &SearchOptions {
                    num_threads: a.threads,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
        let gt: Vec<u64> = res.labels;
        println!(
            "exact ground truth (BruteForceIndex): {:.1}s",
            t1.elapsed().as_secs_f64()
        );
        (base, queries, gt)
    } else {
        let millions = a.subset_millions.expect("checked by parse_args");
        let n = (millions * 1e6).round() as usize;
        if n == 0 {
            return Err("--subset-millions gives no vectors".into());
        }
        let bpath = a.base.as_deref().expect("checked by parse_args");
        let pb = bar(n, "read", a.progress);
        let base = read_bvecs(bpath, Some(n), &pb)?;
        pb.finish_and_clear();
        let mut queries = read_bvecs(
            a.queries.as_deref().expect("checked"),
            None,
            &ProgressBar::hidden(),
        )?;
        let mut gt = read_ivecs_first(a.gt.as_deref().expect("checked"))?;
        let nq =
            a.nq.unwrap_or(usize::MAX)
                .min(queries.len() / DIM)
                .min(gt.len());
        if nq == 0 {
            return Err("no queries".into());
        }
        queries.truncate(nq * DIM);
        gt.truncate(nq);
        if let Some(bad) = gt.iter().find(|&&id| id >= n as u64) {
            return Err(format!(
                "ground truth id {bad} is outside the subset of {n} vectors: \
                 use the ground-truth file made for this subset (e.g. gnd/idx_{}M.ivecs)",
                millions
            ));
        }
        println!(
            "BigANN subset: {n} base, {nq} queries, read in {:.1}s",
            t0.elapsed().as_secs_f64()
        );
        (base, queries, gt)
    };
    let n = base.len() / DIM;
    let nq = queries.len() / DIM;
    // Distance of each query to its true nearest neighbour: a result exactly as close is
    // a hit too (integer distances tie often).
    let gt_dist: Vec<f32> = (0..nq)
        .map(|i| {
            let id = gt[i] as usize;
            space.distance(
                &queries[i * DIM..(i + 1) * DIM],
                &base[id * DIM..(id + 1) * DIM],
            )
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;

    // ---- build -----------------------------------------------------------------------
    let threads = resolve_threads(a.threads);
    println!(
        "building: u8 L2, M={}, ef_construction={}, {threads} threads, kernels {}",
        a.m,
        a.efc,
        space.kernels_name()
    );
    let index = HnswIndex::new(
        space,
        &HnswParams {
            max_elements: n,
            m: a.m,
            ef_construction: a.efc,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let pb = bar(n, "build", a.progress);
    let progress = |done: usize, _total: usize| {
        pb.set_position(done as u64);
        true
    };
    let cpu0 = cpu_seconds();
    let t1 = Instant::now();
    index
        .add_batch(
            &base,
            None,
            &AddOptions {
                num_threads: a.threads,
                progress: Some(&progress),
                ..Default::default()
            },
        )
        .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    let build_s = t1.elapsed().as_secs_f64();
    let build_cpu_s = cpu_seconds() - cpu0;
    println!(
        "build: {build_s:.1}s wall, {build_cpu_s:.1}s CPU ({:.2} cores busy), {:.0} vectors/s",
        build_cpu_s / build_s,
        n as f64 / build_s
    );

    // ---- ef sweep (one query at a time on this thread, as sift_1b) ---------------------
    println!("{:>5} {:>9} {:>10}", "ef", "recall@1", "QPS");
    let mut best = 0.0f64;
    for &ef in &a.efs {
        let opts = SearchOptions {
            ef: Some(ef),
            num_threads: 1,
            ..Default::default()
        };
        let t = Instant::now();
        let mut hits = 0usize;
        for (i, q) in queries.chunks_exact(DIM).enumerate() {
            let found = index.search(q, 1, &opts).map_err(|e| e.to_string())?;
            if let Some(nb) = found.first() {
                if nb.label == gt[i] || nb.distance <= gt_dist[i] {
                    hits += 1;
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let recall = hits as f64 / nq as f64;
        best = best.max(recall);
        println!("{ef:>5} {recall:>9.4} {:>10.0}", nq as f64 / secs);
    }
    println!("total {:.1}s", t0.elapsed().as_secs_f64());
    if let Some(min) = a.min_recall {
        if best < min {
            eprintln!("FAIL: best recall@1 {best:.4} is below --min-recall {min}");
            return Ok(false);
        }
        println!("ok: best recall@1 {best:.4} >= {min}");
    }
    Ok(true)
}

fn main() -> ExitCode {
    common::main_with(USAGE, parse_args, run)
}
