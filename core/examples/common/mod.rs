//! Helpers shared by the examples: argument numbers, CPU time, progress bars and the
//! exit-code convention of `main`.
#![allow(dead_code)]

use std::process::ExitCode;

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
