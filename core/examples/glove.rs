//! GloVe demo: a cosine HNSW index over GloVe 6B 50d, measured against exact search.
//!
//! ```text
//! cargo run --release -p hnswlib-core --example glove -- PATH/glove_6B_50d_emb.npy
//! cargo run --release -p hnswlib-core --example glove -- --base B.npy --queries Q.npy [--gt G.npy]
//! ```
//!
//! With one data file the rows are shuffled with a fixed seed (`--seed`), the first
//! `--nq` rows become the queries and the next `--n` rows (default: all the rest) the
//! base. With `--base`/`--queries` the split is the caller's (the GloVe comparison
//! script uses this so that hnswlib and this crate see the same data), and `--gt`
//! gives the exact neighbours (an integer `.npy` of `nq × ≥k` base row numbers)
//! instead of computing them with [`BruteForceIndex`].
//!
//! It builds the index (M=16, ef_construction=200 by default, all cores) with a
//! progress bar and prints build wall and CPU time, RSS growth, save/load time and file
//! size, then for every ef recall@10 with single-thread QPS (one `search` call per
//! query on one thread) and batch QPS (`search_batch` on `--threads` threads).
//! `--json PATH` writes every figure as JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod common;
use std::time::Instant;

use common::{bar, cpu_seconds, number};
use hnswlib_core::parallel::resolve_threads;
use hnswlib_core::{
    AddOptions, BruteForceIndex, HnswIndex, HnswParams, LoadOptions, SaveOptions, SearchOptions,
    Space,
};

const USAGE: &str = "\
usage: glove DATA.npy [options]
       glove --base BASE.npy --queries QUERIES.npy [--gt GT.npy] [options]

options:
  --n N            base vectors to use (default: all rows not used as queries)
  --nq N           held-out queries (default 10000; DATA.npy only)
  --nq-single N    queries of the single-thread measurement (default: all)
  --seed S         shuffle seed (default 42; DATA.npy only)
  --m M            graph degree M (default 16)
  --efc EF         ef_construction (default 200)
  --k K            neighbours per query (default 10)
  --threads T      threads for build, ground truth and batch search (default 0 = all cores)
  --efs LIST       comma-separated ef values (default 10,20,40,80,120,200,300,400)
  --repeats R      repeat every QPS measurement and save/load R times, report the median (default 1)
  --json PATH      write all figures as JSON
  --no-progress    no progress bars";

struct Args {
    data: Option<PathBuf>,
    base: Option<PathBuf>,
    queries: Option<PathBuf>,
    gt: Option<PathBuf>,
    n: Option<usize>,
    nq: usize,
    nq_single: Option<usize>,
    seed: u64,
    m: usize,
    efc: usize,
    k: usize,
    threads: isize,
    efs: Vec<usize>,
    repeats: usize,
    json: Option<PathBuf>,
    progress: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        data: None,
        base: None,
        queries: None,
        gt: None,
        n: None,
        nq: 10_000,
        nq_single: None,
        seed: 42,
        m: 16,
        efc: 200,
        k: 10,
        threads: 0,
        efs: vec![10, 20, 40, 80, 120, 200, 300, 400],
        repeats: 1,
        json: None,
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
            "--n" => a.n = Some(number(&arg, &value(&arg)?)?),
            "--nq" => a.nq = number(&arg, &value(&arg)?)?,
            "--nq-single" => a.nq_single = Some(number(&arg, &value(&arg)?)?),
            "--seed" => a.seed = number(&arg, &value(&arg)?)?,
            "--m" | "--M" => a.m = number(&arg, &value(&arg)?)?,
            "--efc" => a.efc = number(&arg, &value(&arg)?)?,
            "--k" => a.k = number(&arg, &value(&arg)?)?,
            "--threads" => a.threads = number(&arg, &value(&arg)?)?,
            "--efs" => {
                a.efs = value(&arg)?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| number("--efs", s.trim()))
                    .collect::<Result<_, _>>()?
            }
            "--repeats" => a.repeats = number(&arg, &value(&arg)?)?,
            "--json" => a.json = Some(value(&arg)?.into()),
            "--no-progress" => a.progress = false,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if a.data.is_none() => a.data = Some(arg.into()),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    if a.data.is_some() == (a.base.is_some() || a.queries.is_some()) {
        return Err("give either DATA.npy or --base and --queries".into());
    }
    if a.data.is_none() && (a.base.is_none() || a.queries.is_none()) {
        return Err("--base and --queries go together".into());
    }
    if a.k == 0 || a.nq == 0 || a.efs.is_empty() || a.repeats == 0 {
        return Err("--k, --nq, --repeats and --efs must be positive".into());
    }
    Ok(a)
}

/// A row-major matrix read from a `.npy` file.
struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

/// Reads a 2-D `.npy` in C or Fortran order into row-major order (the GloVe package
/// ships its array in Fortran order).
fn read_npy<T: npyz::Deserialize + Copy + Default>(
    npy: npyz::NpyFile<impl std::io::Read>,
    path: &Path,
) -> Result<Matrix<T>, String> {
    let shape = npy.shape().to_vec();
    let order = npy.order();
    let (rows, cols) = match shape[..] {
        [r, c] => (r as usize, c as usize),
        [r] => (r as usize, 1),
        _ => {
            return Err(format!(
                "{}: expected a 2-D array, shape {shape:?}",
                path.display()
            ))
        }
    };
    let flat: Vec<T> = npy
        .into_vec()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if flat.len() != rows * cols {
        return Err(format!("{}: truncated array", path.display()));
    }
    let data = match order {
        npyz::Order::C => flat,
        npyz::Order::Fortran => {
            let mut out = vec![T::default(); flat.len()];
            for (j, column) in flat.chunks_exact(rows.max(1)).enumerate() {
                for (i, &x) in column.iter().enumerate() {
                    out[i * cols + j] = x;
                }
            }
            out
        }
    };
    Ok(Matrix { rows, cols, data })
}

fn open_npy(path: &Path) -> Result<npyz::NpyFile<std::io::BufReader<std::fs::File>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    npyz::NpyFile::new(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| format!("{}: not a .npy file: {e}", path.display()))
}

fn read_f32(path: &Path) -> Result<Matrix<f32>, String> {
    read_npy(open_npy(path)?, path)
}

/// Ground truth as row numbers: int64, int32 or uint64 `.npy`.
fn read_ids(path: &Path) -> Result<Matrix<u64>, String> {
    let npy = open_npy(path)?;
    let descr = npy.dtype().descr();
    let to_u64 = |m: Matrix<i64>| Matrix {
        rows: m.rows,
        cols: m.cols,
        data: m.data.into_iter().map(|x| x as u64).collect(),
    };
    match descr.as_str() {
        "'<i8'" => read_npy::<i64>(npy, path).map(to_u64),
        "'<u8'" => read_npy::<u64>(npy, path),
        "'<i4'" => read_npy::<i32>(npy, path).map(|m| Matrix {
            rows: m.rows,
            cols: m.cols,
            data: m.data.into_iter().map(|x| x as u64).collect(),
        }),
        other => Err(format!(
            "{}: ground truth must be int64, uint64 or int32, got {other}",
            path.display()
        )),
    }
}

/// splitmix64: a tiny, well-mixed generator for the fixed-seed shuffle.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is negligible here).
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// Fisher-Yates permutation of `0..n`.
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64(seed);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, rng.below(i + 1));
    }
    p
}

fn gather(m: &Matrix<f32>, rows: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len() * m.cols);
    for &r in rows {
        out.extend_from_slice(&m.data[r * m.cols..(r + 1) * m.cols]);
    }
    out
}

/// CPU time of the calling thread in seconds, with nanosecond resolution (the first
/// field of /proc/thread-self/schedstat); for the single-thread measurements.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// A `kB` field of /proc/self/status (VmRSS, VmHWM), in bytes.
fn status_bytes(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb * 1024.0)
}

/// Resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0); false if refused.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

const MB: f64 = 1024.0 * 1024.0;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Hits of `found` among the first `k` true neighbours, summed over queries.
fn hits(found: &[u64], truth: &[u64]) -> usize {
    found.iter().filter(|f| truth.contains(f)).count()
}

struct EfResult {
    ef: usize,
    recall: f64,
    recall_single: f64,
    batch_qps: f64,
    single_qps: f64,
    batch_cpu_qps: f64,
    single_cpu_qps: f64,
}

fn run(a: Args) -> Result<bool, String> {
    let t_load = Instant::now();
    let (base, queries, dim, source) = if let Some(path) = &a.data {
        let all = read_f32(path)?;
        let n = a.n.unwrap_or(all.rows.saturating_sub(a.nq));
        if n == 0 || n + a.nq > all.rows {
            return Err(format!(
                "need n + nq <= {} rows (n = {n}, nq = {})",
                all.rows, a.nq
            ));
        }
        let perm = permutation(all.rows, a.seed);
        let q = gather(&all, &perm[..a.nq]);
        let b = gather(&all, &perm[a.nq..a.nq + n]);
        (b, q, all.cols, path.display().to_string())
    } else {
        let bpath = a.base.as_ref().expect("checked by parse_args");
        let qpath = a.queries.as_ref().expect("checked by parse_args");
        let mut b = read_f32(bpath)?;
        let q = read_f32(qpath)?;
        if b.cols != q.cols {
            return Err(format!("base dim {} != query dim {}", b.cols, q.cols));
        }
        if let Some(n) = a.n {
            if n == 0 || n > b.rows {
                return Err(format!("--n {n}: the base has {} rows", b.rows));
            }
            b.data.truncate(n * b.cols);
        }
        (b.data, q.data, b.cols, bpath.display().to_string())
    };
    let n = base.len() / dim;
    let nq = queries.len() / dim;
    let k = a.k;
    if k > n {
        return Err(format!("--k {k} is larger than the base ({n} rows)"));
    }
    let ns = a.nq_single.unwrap_or(nq).min(nq);
    let threads = resolve_threads(a.threads);
    let space = Space::cosine(dim).map_err(|e| e.to_string())?;
    println!(
        "data: {source}\n      {n} base x {dim}, {nq} queries, loaded in {:.1}s",
        t_load.elapsed().as_secs_f64()
    );
    println!(
        "index: cosine, M={}, ef_construction={}, {threads} threads, kernels {}",
        a.m,
        a.efc,
        space.kernels_name()
    );

    // ---- build -------------------------------------------------------------------
    let labels: Vec<u64> = (0..n as u64).collect();
    let rss0 = status_bytes("VmRSS:");
    let peak_ok = reset_peak_rss();
    let pb = bar(n, "build", a.progress);
    let progress = |done: usize, _total: usize| {
        pb.set_position(done as u64);
        true
    };
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let index = HnswIndex::new(
        space.clone(),
        &HnswParams {
            max_elements: n,
            m: a.m,
            ef_construction: a.efc,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    index
        .add_batch(
            &base,
            Some(&labels),
            &AddOptions {
                num_threads: a.threads,
                progress: Some(&progress),
                ..Default::default()
            },
        )
        .map_err(|e| e.to_string())?;
    let build_s = t0.elapsed().as_secs_f64();
    let build_cpu_s = cpu_seconds() - cpu0;
    pb.finish_and_clear();
    let retained_mb = (status_bytes("VmRSS:") - rss0) / MB;
    let peak_mb = if peak_ok {
        (status_bytes("VmHWM:") - rss0) / MB
    } else {
        f64::NAN
    };
    println!(
        "build: {build_s:.1}s wall, {build_cpu_s:.1}s CPU ({:.2} cores busy), {:.0} vectors/s",
        build_cpu_s / build_s,
        n as f64 / build_s
    );
    println!(
        "memory: RSS +{retained_mb:.0} MB after the build (peak +{peak_mb:.0} MB), {:.0} bytes per vector",
        retained_mb * MB / n as f64
    );

    // ---- save / load ---------------------------------------------------------------
    // `save` waits for the disk (temp file, sync, rename), so each save first writes
    // back whatever is dirty system-wide (sync(2)): it then pays for its own file
    // only, not for what an earlier phase or process left in the page cache. Each
    // round also times a save with `sync: false`, which stops at the page cache as
    // hnswlib's does.
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let (mut saves, mut saves_nosync, mut loads) = (Vec::new(), Vec::new(), Vec::new());
    let mut file_bytes = 0;
    let timed_save = |path: &Path, opts: &SaveOptions| -> Result<f64, String> {
        #[cfg(unix)]
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe {
            libc::sync()
        };
        let t0 = Instant::now();
        index.save_with(path, opts).map_err(|e| e.to_string())?;
        Ok(t0.elapsed().as_secs_f64())
    };
    for round in 0..a.repeats {
        let path = dir.path().join(format!("glove{round}.hnsw"));
        saves.push(timed_save(&path, &SaveOptions::default())?);
        let unsynced = dir.path().join(format!("glove{round}.nosync.hnsw"));
        saves_nosync.push(timed_save(
            &unsynced,
            &SaveOptions {
                sync: false,
                ..Default::default()
            },
        )?);
        file_bytes = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
        let t0 = Instant::now();
        let loaded = HnswIndex::load(&path, space.clone(), &LoadOptions::default())
            .map_err(|e| e.to_string())?;
        loads.push(t0.elapsed().as_secs_f64());
        if loaded.len() != n {
            return Err(format!(
                "loaded index has {} elements, not {n}",
                loaded.len()
            ));
        }
    }
    drop(dir);
    let rounds = |v: &[f64]| v.iter().map(|s| format!("{s:.3}")).collect::<Vec<_>>();
    println!(
        "file: {:.1} MB, save {:?} s (sync: false {:?} s), load {:?} s",
        file_bytes as f64 / MB,
        rounds(&saves),
        rounds(&saves_nosync),
        rounds(&loads)
    );
    let (save_s, save_nosync_s, load_s) = (
        median(&mut saves),
        median(&mut saves_nosync),
        median(&mut loads),
    );

    // ---- exact ground truth --------------------------------------------------------
    let t0 = Instant::now();
    let truth: Vec<u64> = if let Some(gt_path) = &a.gt {
        let gt = read_ids(gt_path)?;
        if gt.rows != nq || gt.cols < k {
            return Err(format!(
                "{}: shape {}x{}, need {nq} rows and at least {k} columns",
                gt_path.display(),
                gt.rows,
                gt.cols
            ));
        }
        let mut t = Vec::with_capacity(nq * k);
        for row in gt.data.chunks_exact(gt.cols) {
            t.extend_from_slice(&row[..k]);
        }
        println!("ground truth: read from {}", gt_path.display());
        t
    } else {
        let bf = BruteForceIndex::new(space.clone(), n).map_err(|e| e.to_string())?;
        bf.add_batch(&base, &labels).map_err(|e| e.to_string())?;
        let pb = bar(nq, "exact", a.progress);
        let opts = SearchOptions {
            num_threads: a.threads,
            ..Default::default()
        };
        let mut t = Vec::with_capacity(nq * k);
        let block = 256;
        for (b, chunk) in queries.chunks(block * dim).enumerate() {
            let res = bf
                .search_batch(chunk, k, &opts)
                .map_err(|e| e.to_string())?;
            for r in 0..chunk.len() / dim {
                t.extend(res.row(r).map(|nb| nb.label));
                t.resize((b * block + r + 1) * k, u64::MAX);
            }
            pb.inc((chunk.len() / dim) as u64);
        }
        pb.finish_and_clear();
        println!(
            "ground truth: exact search (BruteForceIndex) in {:.1}s",
            t0.elapsed().as_secs_f64()
        );
        t
    };
    drop(base);

    // ---- ef sweep --------------------------------------------------------------------
    println!(
        "\n{:>5} {:>10} {:>15} {:>15}   ({} single queries on 1 thread, batch of {nq} on {threads} threads{})",
        "ef",
        format!("recall@{k}"),
        "single QPS",
        "batch QPS",
        ns,
        if a.repeats > 1 {
            format!(", median of {}", a.repeats)
        } else {
            String::new()
        }
    );
    // Warm-up: page faults, thread pool start-up.
    let warm = SearchOptions {
        ef: Some(a.efs[0]),
        num_threads: a.threads,
        ..Default::default()
    };
    index
        .search_batch(&queries[..nq.min(1000) * dim], k, &warm)
        .map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for &ef in &a.efs {
        let batch_opts = SearchOptions {
            ef: Some(ef),
            num_threads: a.threads,
            ..Default::default()
        };
        let single_opts = SearchOptions {
            ef: Some(ef),
            num_threads: 1,
            ..Default::default()
        };
        let (mut bw, mut bc, mut sw, mut sc) = (vec![], vec![], vec![], vec![]);
        let (mut recall, mut recall_single) = (0.0, 0.0);
        for rep in 0..a.repeats {
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            let res = index
                .search_batch(&queries, k, &batch_opts)
                .map_err(|e| e.to_string())?;
            bw.push(t0.elapsed().as_secs_f64());
            bc.push(cpu_seconds() - c0);
            if rep == 0 {
                let h: usize = (0..nq)
                    .map(|i| {
                        let found: Vec<u64> = res.row(i).map(|nb| nb.label).collect();
                        hits(&found, &truth[i * k..(i + 1) * k])
                    })
                    .sum();
                recall = h as f64 / (nq * k) as f64;
            }
            let mut found = Vec::with_capacity(ns);
            let c0 = thread_cpu_seconds();
            let t0 = Instant::now();
            for q in queries.chunks_exact(dim).take(ns) {
                found.push(
                    index
                        .search(q, k, &single_opts)
                        .map_err(|e| e.to_string())?,
                );
            }
            sw.push(t0.elapsed().as_secs_f64());
            sc.push(thread_cpu_seconds() - c0);
            if rep == 0 {
                let h: usize = found
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let labels: Vec<u64> = f.iter().map(|nb| nb.label).collect();
                        hits(&labels, &truth[i * k..(i + 1) * k])
                    })
                    .sum();
                recall_single = h as f64 / (ns * k) as f64;
            }
        }
        let r = EfResult {
            ef,
            recall,
            recall_single,
            batch_qps: nq as f64 / median(&mut bw),
            single_qps: ns as f64 / median(&mut sw),
            batch_cpu_qps: nq as f64 / median(&mut bc),
            single_cpu_qps: ns as f64 / median(&mut sc),
        };
        println!(
            "{:>5} {:>10.4} {:>15.0} {:>15.0}",
            r.ef, r.recall, r.single_qps, r.batch_qps
        );
        results.push(r);
    }

    if let Some(json_path) = &a.json {
        let mut j = String::new();
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x}")
            } else {
                "null".to_string()
            }
        };
        let _ = write!(
            j,
            "{{\n \"lib\": \"hnswlib-rs\",\n \"version\": \"{}\",\n \"kernels\": \"{}\",\n \
             \"n\": {n},\n \"nq\": {nq},\n \"nq_single\": {ns},\n \"dim\": {dim},\n \"k\": {k},\n \
             \"M\": {},\n \"efc\": {},\n \"threads\": {threads},\n \"repeats\": {},\n \
             \"build_s\": {},\n \"build_cpu_s\": {},\n \"mem_peak_mb\": {},\n \
             \"mem_retained_mb\": {},\n \"save_s\": {},\n \"save_nosync_s\": {},\n \"load_s\": {},\n \
             \"file_bytes\": {file_bytes},\n \"file_mb\": {},\n \"efs\": [",
            hnswlib_core::VERSION,
            space.kernels_name(),
            a.m,
            a.efc,
            a.repeats,
            num(build_s),
            num(build_cpu_s),
            num(peak_mb),
            num(retained_mb),
            num(save_s),
            num(save_nosync_s),
            num(load_s),
            num(file_bytes as f64 / MB),
        );
        for (i, r) in results.iter().enumerate() {
            let _ = write!(
                j,
                "{}\n  {{\"ef\": {}, \"recall\": {}, \"recall_single\": {}, \"batch_qps\": {}, \
                 \"single_qps\": {}, \"batch_cpu_qps\": {}, \"single_cpu_qps\": {}}}",
                if i == 0 { "" } else { "," },
                r.ef,
                num(r.recall),
                num(r.recall_single),
                num(r.batch_qps),
                num(r.single_qps),
                num(r.batch_cpu_qps),
                num(r.single_cpu_qps),
            );
        }
        j.push_str("\n ]\n}\n");
        std::fs::write(json_path, j).map_err(|e| format!("{}: {e}", json_path.display()))?;
        println!("\nfigures written to {}", json_path.display());
    }
    Ok(true)
}

fn main() -> ExitCode {
    common::main_with(USAGE, parse_args, run)
}
