//! Helpers shared by the examples: argument numbers, CPU time, progress bars and the
//! exit-code convention of `main`.
#![allow(dead_code)]

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use hnswlib_core::{AddOptions, FileFormat, HnswIndex, HnswParams, SaveOptions, Space};
use indicatif::{ProgressBar, ProgressStyle};

/// Parses a command-line number, naming the option in the error.
pub fn number<T: std::str::FromStr>(name: &str, s: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{name}: {s:?} is not a valid number"))
}

/// Process CPU time (all threads, user + system) in seconds, from /proc/self/stat.
/// The kernel reports it in USER_HZ ticks, which is 100 per second on Linux; NaN where
/// /proc is missing.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces): state is field 3, so
    // utime (14) and stime (15) are at 11 and 12.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A progress bar of `len` steps labelled `msg`, or a hidden one.
pub fn bar(len: usize, msg: &'static str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("valid progress template"),
    );
    pb.set_message(msg);
    pb
}

/// Runs an example: a parse error prints it and the usage (exit 2; an empty error is
/// `--help`, exit 0); a run error prints it (exit 1); `Ok(false)` is a failed check.
pub fn main_with<A>(
    usage: &str,
    parse: impl FnOnce() -> Result<A, String>,
    run: impl FnOnce(A) -> Result<bool, String>,
) -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}\n");
            }
            eprintln!("{usage}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// An error's text (the examples report errors as strings).
pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `n` deterministic uniform vectors of `dim` values in [-1, 1) (xorshift64*).
pub fn uniform_vectors(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n * dim)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (r >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// An l2 index of `data` (rows of `dim`) with graph degree `m` and `efc`, built on
/// every core with a progress bar, then saved to `path` in the native format.
pub fn build_native_l2(
    data: &[f32],
    dim: usize,
    (m, efc): (usize, usize),
    progress: bool,
    path: &Path,
) -> Result<HnswIndex, String> {
    let n = data.len() / dim;
    let index = HnswIndex::new(
        Space::l2(dim).map_err(err)?,
        &HnswParams {
            max_elements: n,
            m,
            ef_construction: efc,
            ..Default::default()
        },
    )
    .map_err(err)?;
    let pb = bar(n, "build", progress);
    let t = Instant::now();
    let tick = |done: usize, _: usize| {
        pb.set_position(done as u64);
        true
    };
    index
        .add_batch(
            data,
            None,
            &AddOptions {
                progress: Some(&tick),
                ..Default::default()
            },
        )
        .map_err(err)?;
    pb.finish_and_clear();
    println!("built {n} x {dim} in {:.1} s", t.elapsed().as_secs_f64());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    index
        .save_with(
            path,
            &SaveOptions {
                sync: true,
                format: FileFormat::Native,
            },
        )
        .map_err(err)?;
    Ok(index)
}

/// The `kB` fields `names` of a Linux /proc file such as /proc/self/status, in bytes.
pub fn proc_fields<const N: usize>(file: &str, names: [&str; N]) -> Result<[u64; N], String> {
    let s = std::fs::read_to_string(file).map_err(err)?;
    let mut out = [0; N];
    for (v, name) in out.iter_mut().zip(names) {
        *v = s
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or(format!("no {name} line in {file}"))?;
    }
    Ok(out)
}
