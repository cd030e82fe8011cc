//! Memory-mapped views against loaded indexes: open time, search speed and the memory
//! of several processes searching one file.
//!
//! ```text
//! cargo run --release -p hnswlib-core --example view -- [--n 1000000] [--dim 128] [--procs 4]
//! ```
//!
//! Builds (once, kept in `--file`) an l2 index of `--n` random vectors and saves it in
//! the native format, then measures, with the file in the page cache:
//! * open: `open_view` against `open` (a full load), median of `--opens` each;
//! * search: single-thread QPS of the view and of the loaded index at `--ef`,
//!   interleaved (view, load, view, load, ...) over `--rounds`, the median ratio;
//! * memory: `--procs` processes that each open the view and search every query,
//!   then report their proportional set size (PSS: shared pages divided among the
//!   processes that map them) at the same moment; then the same with full loads.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

mod common;
use common::{build_native_l2, err, number, proc_fields, uniform_vectors as vectors};
use hnswlib_core::{HnswIndex, LoadOptions, SearchOptions, ViewOptions};

const USAGE: &str = "\
usage: view [options]

options:
  --n N          vectors in the index (default 1000000)
  --dim D        dimension (default 128)
  --m M          graph degree (default 16)
  --efc EF       ef_construction of the build (default 40: the graph's quality does
                 not matter here, only its size)
  --ef EF        ef of the searches (default 64)
  --nq N         queries (default 2000)
  --opens N      opens measured per kind (default 10)
  --rounds R     interleaved search rounds (default 4)
  --procs P      processes of the memory measurement (default 4)
  --file PATH    the index file, built when missing (default target/view-bench/l2-N-D.hnsw)
  --no-progress  no progress bar";

struct Args {
    n: usize,
    dim: usize,
    m: usize,
    efc: usize,
    ef: usize,
    nq: usize,
    opens: usize,
    rounds: usize,
    procs: usize,
    file: Option<PathBuf>,
    progress: bool,
    /// Internal: run as one process of the memory measurement (`view` or `load`).
    child: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        n: 1_000_000,
        dim: 128,
        m: 16,
        efc: 40,
        ef: 64,
        nq: 2000,
        opens: 10,
        rounds: 4,
        procs: 4,
        file: None,
        progress: true,
        child: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--n" => a.n = number("--n", &value()?)?,
            "--dim" => a.dim = number("--dim", &value()?)?,
            "--m" => a.m = number("--m", &value()?)?,
            "--efc" => a.efc = number("--efc", &value()?)?,
            "--ef" => a.ef = number("--ef", &value()?)?,
            "--nq" => a.nq = number("--nq", &value()?)?,
            "--opens" => a.opens = number("--opens", &value()?)?,
            "--rounds" => a.rounds = number("--rounds", &value()?)?,
            "--procs" => a.procs = number("--procs", &value()?)?,
            "--file" => a.file = Some(PathBuf::from(value()?)),
            "--child" => a.child = Some(value()?),
            "--no-progress" => a.progress = false,
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown option {arg}")),
        }
    }
    if a.n == 0 || a.dim == 0 || a.nq == 0 || a.opens == 0 || a.rounds == 0 {
        return Err("--n, --dim, --nq, --opens and --rounds must be positive".into());
    }
    Ok(a)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn build(a: &Args, path: &Path) -> Result<(), String> {
    let data = vectors(a.n, a.dim, 1);
    build_native_l2(&data, a.dim, (a.m, a.efc), a.progress, path).map(drop)
}

/// CPU seconds of this process so far (all threads; clock_gettime, nanosecond-based).
fn process_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given, nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Seconds to search every query once, one at a time on this thread.
fn search_all(index: &HnswIndex, queries: &[f32], dim: usize, ef: usize) -> Result<f64, String> {
    let opts = SearchOptions {
        ef: Some(ef),
        ..Default::default()
    };
    let t = Instant::now();
    for q in queries.chunks_exact(dim) {
        std::hint::black_box(index.search(q, 10, &opts).map_err(err)?);
    }
    Ok(t.elapsed().as_secs_f64())
}

/// This process's proportional set size in bytes (Linux): anonymous memory, and file
/// pages (the mapped index among them, each divided among the processes mapping it).
fn pss() -> Result<(u64, u64), String> {
    let [anon, file] = proc_fields("/proc/self/smaps_rollup", ["Pss_Anon:", "Pss_File:"])?;
    Ok((anon, file))
}

/// One process of the memory measurement: open, search, say "ready", wait for the
/// line that says all are ready, report the PSS, and stay until stdin closes.
fn child(a: &Args, kind: &str, path: &Path) -> Result<bool, String> {
    let index = if kind == "view" {
        HnswIndex::open_view(path, &ViewOptions::default())
    } else {
        HnswIndex::open(path, &LoadOptions::default())
    }
    .map_err(err)?;
    search_all(&index, &vectors(a.nq, a.dim, 2), a.dim, a.ef)?;
    println!("ready");
    std::io::stdout().flush().map_err(err)?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(err)?;
    let (anon, file) = pss()?;
    println!("{anon} {file}");
    std::io::stdout().flush().map_err(err)?;
    // Stay mapped until every process has measured (the parent closes stdin).
    std::io::stdin().read_line(&mut line).map_err(err)?;
    Ok(true)
}

/// Total PSS (anonymous, file) of `procs` processes that hold the index (`view` or
/// `load`) at once.
fn memory(a: &Args, kind: &str, path: &Path) -> Result<(u64, u64), String> {
    let exe = std::env::current_exe().map_err(err)?;
    let mut kids = Vec::new();
    for _ in 0..a.procs {
        let kid = Command::new(&exe)
            .args(["--child", kind, "--file"])
            .arg(path)
            .args(["--dim", &a.dim.to_string(), "--nq", &a.nq.to_string()])
            .args(["--ef", &a.ef.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(err)?;
        kids.push(kid);
    }
    let mut outs = Vec::new();
    for kid in &mut kids {
        let mut out = BufReader::new(kid.stdout.take().ok_or("no child stdout")?);
        let mut line = String::new();
        out.read_line(&mut line).map_err(err)?;
        if line.trim() != "ready" {
            return Err(format!("a {kind} process failed: {line:?}"));
        }
        outs.push(out);
    }
    let mut total = (0, 0);
    for (kid, out) in kids.iter_mut().zip(&mut outs) {
        writeln!(kid.stdin.as_mut().ok_or("no child stdin")?).map_err(err)?;
        let mut line = String::new();
        out.read_line(&mut line).map_err(err)?;
        let mut parts = line.split_whitespace().map(|v| v.parse::<u64>());
        match (parts.next(), parts.next()) {
            (Some(Ok(anon)), Some(Ok(file))) => total = (total.0 + anon, total.1 + file),
            _ => return Err(format!("a {kind} process reported {line:?}")),
        }
    }
    for mut kid in kids {
        drop(kid.stdin.take());
        kid.wait().map_err(err)?;
    }
    Ok(total)
}

fn run(a: Args) -> Result<bool, String> {
    let path = a
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/view-bench/l2-{}-{}.hnsw", a.n, a.dim)));
    if let Some(kind) = &a.child {
        return child(&a, kind, &path);
    }
    if !path.exists() {
        build(&a, &path)?;
    }
    let size = std::fs::metadata(&path).map_err(err)?.len();
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    // Warm the page cache: the figures below are for a file in memory.
    std::fs::read(&path).map_err(err)?;

    // Wall time, and the CPU time of the whole process (a shared machine's other work
    // inflates the first, not the second).
    let time_open = |view: bool| -> Result<(f64, f64), String> {
        let (t, cpu) = (Instant::now(), process_cpu());
        let index = if view {
            HnswIndex::open_view(&path, &ViewOptions::default())
        } else {
            HnswIndex::open(&path, &LoadOptions::default())
        }
        .map_err(err)?;
        let s = (t.elapsed().as_secs_f64(), process_cpu() - cpu);
        drop(index);
        Ok(s)
    };
    let mut opens = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for i in 0..a.opens {
        for view in [true, false] {
            if view || i < a.opens.div_ceil(3) {
                let (wall, cpu) = time_open(view)?;
                opens[view as usize].0.push(wall);
                opens[view as usize].1.push(cpu);
            }
        }
    }
    let [load, view] = opens.map(|(wall, cpu)| (median(wall), median(cpu)));
    println!(
        "file {} ({:.0} MiB): open_view {:.1} ms ({:.1} ms CPU), load {:.1} ms ({:.1} ms CPU): {:.0}x",
        path.display(),
        mb(size),
        1e3 * view.0,
        1e3 * view.1,
        1e3 * load.0,
        1e3 * load.1,
        load.0 / view.0
    );

    let view = HnswIndex::open_view(&path, &ViewOptions::default()).map_err(err)?;
    let loaded = HnswIndex::open(&path, &LoadOptions::default()).map_err(err)?;
    let queries = vectors(a.nq, a.dim, 2);
    // Warm-up: both touch their pages once.
    search_all(&view, &queries, a.dim, a.ef)?;
    search_all(&loaded, &queries, a.dim, a.ef)?;
    let mut ratios = Vec::new();
    let qps = |s: f64| a.nq as f64 / s;
    for r in 0..a.rounds {
        let v = search_all(&view, &queries, a.dim, a.ef)?;
        let l = search_all(&loaded, &queries, a.dim, a.ef)?;
        println!(
            "round {}: view {:.0} QPS, loaded {:.0} QPS, view/loaded {:.3}",
            r + 1,
            qps(v),
            qps(l),
            l / v
        );
        ratios.push(l / v);
    }
    let spread = (
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "search: view/loaded QPS median {:.3} (spread {:.3}-{:.3}, {} rounds, ef {})",
        median(ratios),
        spread.0,
        spread.1,
        a.rounds,
        a.ef
    );
    drop((view, loaded));

    if a.procs > 0 {
        for kind in ["view", "load"] {
            let (anon, file) = memory(&a, kind, &path)?;
            println!(
                "{} processes with a {kind} (PSS): {:.0} MiB = {:.2}x the file ({:.0} MiB anonymous, {:.0} MiB of files)",
                a.procs,
                mb(anon + file),
                (anon + file) as f64 / size as f64,
                mb(anon),
                mb(file)
            );
        }
    }
    Ok(true)
}

fn main() -> ExitCode {
    common::main_with(USAGE, parse, run)
}
