#!/usr/bin/env python3
"""hnswlib-rs against hnswlib 0.8.0: interleaved rounds, ratios with their spread, JSON and a plot.

    make bench                                              # every data set (an hour or two)
    make bench BENCH_ARGS="--data glove --n 100000 --rounds 3"   # a quicker look
    .venv/bin/python bench/bench.py --report bench-results/bench_<time>.json

Data sets (--data, comma-separated, each NAME or NAME:N for N base vectors; --n sets N
for those without one): glove (GloVe 6B 50d, cosine, 390,000 base), glove:100000,
clustered (768-d embedding-like f32, cosine, 200,000), sift (SIFT-like u8 128-d, squared
L2, 1,000,000). All have --nq held-out queries with exact ground truth, made once with
numpy and cached under data/ (bench/datasets.py).

Libraries (--libs): hnswlib (pip 0.8.0), hnswlib_rs, and storage modes of ours such as
hnswlib_rs:sq8 (Index(space, dim, quantization="sq8")), hnswlib_rs:sq8:keep_vectors=false and
hnswlib_rs:sq4; a mode this build does not offer is reported as not available and the
others go on. GloVe and the 768-d set run the Python modules (bench/worker.py); the SIFT
set runs one C++ program written against hnswlib's C++ API, compiled against hnswlib's
headers and against ours (bench/sift/sift_bench.cpp, built by make bench-sift-bins).

Every round builds each library in its own fresh process, one after the other (the
order rotating each round): build wall and CPU time, peak RSS growth, file size, load
time. Then the query phase alternates between those processes per ef and library (the
order rotating per round and ef), so a burst of load on the shared machine hits every
library alike: per ef, batch QPS (all queries in one call on --threads threads) and
single QPS (--nq-single queries, one call each, 1 thread), and recall@k. The first round
fixes the ef sweep: the --efs values, stopping once every library has reached
--stop-recall (or stopped improving), extended up to --ef-max if needed.

The tables show, per data set and library, the median over rounds of each figure and of
the per-round ratio library / hnswlib with its spread (lowest to highest round), with
the performance goals beside them. Results go to bench-results/<name>_<time>.json (all raw
figures) and a recall-vs-QPS plot beside it (.png); --report re-prints and re-draws them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import datasets  # noqa: E402
import report  # noqa: E402

DEFAULT_DATA = "glove:100000,glove,clustered,sift"
DEFAULT_LIBS = "hnswlib,hnswlib_rs,hnswlib_rs:sq8,hnswlib_rs:sq8:keep_vectors=false,hnswlib_rs:sq4"
DEFAULT_EFS = "10,12,15,20,25,30,40,50,60,80,100,120,150,200,250,300,400,500,600,800"
SIFT_BINS = {"hnswlib": os.path.join(ROOT, "build", "bench", "sift_hnswlib"),
             "hnswlib_rs": os.path.join(ROOT, "build", "bench", "sift_hnswlib_rs")}

log = datasets.log


# --------------------------------------------------------------------------
# workers
# --------------------------------------------------------------------------

class WorkerError(RuntimeError):
    pass


class Worker:
    """A library's process speaking bench/worker.py's line protocol."""

    def __init__(self, cmd: list[str]):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"worker exited with status {self.proc.wait()} without answering")
        msg = json.loads(line)
        if msg.get("event") == "error":
            raise WorkerError(msg.get("error", "?"))
        return msg

    def query(self, ef: int) -> dict:
        self.proc.stdin.write(f"query {ef}\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def python_worker_cmd(lib: str, space: str, dim: int) -> list[str]:
    return [sys.executable, os.path.join(HERE, "worker.py"), "--lib", lib, "--space", space, "--dim", str(dim)]


def probe(lib: str) -> tuple[str | None, str | None]:
    """(version, None) when this build of the module offers the spec, else (None, why)."""
    out = subprocess.run(python_worker_cmd(lib, "cosine", 8) + ["--probe"], capture_output=True, text=True)
    try:
        msg = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None, f"probe failed: {out.stderr.strip()[-300:]}"
    return (msg.get("version"), None) if msg.get("event") == "probe" else (None, msg.get("error", "?"))


def cpu_pressure_us():
    """Microseconds in which some task waited for a CPU (Linux PSI), or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().split("total=")[1])
    except (OSError, IndexError, ValueError):
        return None


class Pressure:
    """The share of a stretch of wall time in which some task waited for a CPU."""

    def __init__(self):
        self.p0, self.t0 = cpu_pressure_us(), time.monotonic()

    def share(self):
        p1 = cpu_pressure_us()
        if self.p0 is None or p1 is None:
            return None
        return (p1 - self.p0) / 1e6 / max(time.monotonic() - self.t0, 1e-9)


# --------------------------------------------------------------------------
# time estimate
# --------------------------------------------------------------------------

# Per library and round at n = 100,000 (nq 10,000, 2,000 single queries, M 16, efc 200):
# build CPU seconds and query-sweep seconds on 2 threads. Measured on this project's 2-core
# machines (GloVe at 20,000 and the baseline of 390,000; the others at 20,000 to 200,000)
# and scaled with n: build cost grows as n^1.45 (longer searches in a larger graph, more
# cache misses), the sweep as n^0.85 (slower queries and a longer sweep to reach recall
# 0.995). A rough guide: the driver corrects it with every round it measures.
COST_100K = {"glove": (27.0, 17.0), "clustered": (107.0, 42.0), "sift": (35.0, 25.0)}


def estimate_round_s(ds: datasets.DataSet, nlibs: int, args) -> float:
    build_cpu, sweep = COST_100K[ds.kind]
    if ds.kind == "clustered":  # the constants are for 768-d
        build_cpu, sweep = build_cpu * (ds.dim + 64) / 832, sweep * (ds.dim + 64) / 832
    x = ds.n / 1e5
    build = build_cpu * x ** 1.45 * (args.efc / 200) * (args.M / 16) / args.threads
    sweep *= x ** 0.85 * (ds.nq / args.threads + min(args.nq_single, ds.nq)) / 7000
    return nlibs * (build + sweep + 3.0)  # + process start, data and index loading


class Progress:
    def __init__(self, plan: list[tuple[str, int, float]]):
        self.est = {name: est for name, _, est in plan}
        self.rounds = {name: rounds for name, rounds, _ in plan}
        self.done: dict = {name: [] for name, _, _ in plan}
        self.t0 = time.monotonic()

    def remaining_s(self) -> float:
        measured = [(sum(v), len(v) * self.est[k]) for k, v in self.done.items() if v]
        factor = sum(m for m, _ in measured) / sum(e for _, e in measured) if measured else 1.0
        left = 0.0
        for name, rounds in self.rounds.items():
            per = (sum(self.done[name]) / len(self.done[name])) if self.done[name] else self.est[name] * factor
            left += per * (rounds - len(self.done[name]))
        return left

    def round_done(self, name: str, secs: float) -> None:
        self.done[name].append(secs)
        log(f"round took {secs / 60:.1f} min; elapsed {(time.monotonic() - self.t0) / 60:.0f} min, "
            f"about {self.remaining_s() / 60:.0f} min to go")


# --------------------------------------------------------------------------
# one data set
# --------------------------------------------------------------------------

def worker_command(ds: datasets.DataSet, lib: str, index_path: str, args) -> list[str]:
    common = ["--base", ds.paths["base"], "--queries", ds.paths["queries"], "--gt", ds.paths["gt"],
              "--index", index_path, "--k", str(ds.k), "--M", str(args.M), "--efc", str(args.efc),
              "--threads", str(args.threads), "--nq-single", str(args.nq_single)]
    if ds.dtype == "u8":
        return [args.sift_bins[lib]] + common
    return python_worker_cmd(lib, ds.space, ds.dim) + common


def rotate(items: list, by: int) -> list:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def sweep_done(history: dict, stop_recall: float) -> bool:
    """True once every library has reached stop_recall or stopped improving (ef >= 100)."""
    for points in history.values():
        if not points:
            continue
        (ef, r) = points[-1]
        stalled = len(points) > 1 and ef >= 100 and r - points[-2][1] < 0.0005
        if r < stop_recall and not stalled:
            return False
    return True


def ef_sweep(args, fixed):
    """The ef values of a round: round 1 follows --efs, then extends by 1.25x up to --ef-max."""
    if fixed:
        yield from fixed
        return
    ef = 0
    for ef in args.efs:
        yield ef
    while ef < args.ef_max:
        ef = min(args.ef_max, max(ef + 1, round(ef * 1.25)))
        yield ef


def run_round(ds, libs: list[str], rnd: int, rec: dict, args, scratch: str) -> None:
    workers: dict = {}
    entries = {lib: {"round": rnd + 1} for lib in libs}
    try:
        for lib in rotate(libs, rnd):
            log(f"{ds.name} round {rnd + 1}/{args.rounds}: building {lib}")
            pressure = Pressure()
            w = Worker(worker_command(ds, lib, os.path.join(scratch, f"{lib.replace(':', '_')}.bin"), args))
            try:
                built = w.read()
                if built.get("event") != "built":
                    raise WorkerError(f"unexpected answer {built}")
                built["cpu_pressure"] = pressure.share()
                entries[lib]["built"] = built
                log(f"{lib}: built in {built['build_s']:.1f} s (CPU {built['build_cpu_s']:.1f} s), peak RSS "
                    f"+{built['mem_peak_mb'] or 0:.0f} MB, file {built['file_mb'] or 0:.1f} MB, "
                    f"load {built['load_s'] or 0:.3f} s")
                rec["libs"][lib]["version"] = rec["libs"][lib].get("version") or built.get("version")
                workers[lib] = w
            except (WorkerError, ValueError) as e:
                entries[lib]["error"] = str(e)
                log(f"{lib}: FAILED: {e}")
                w.close()
        history: dict = {lib: [] for lib in workers}
        measured = []
        for i, ef in enumerate(ef_sweep(args, rec["efs"])):
            line = []
            for lib in rotate(list(workers), rnd + i):
                pressure = Pressure()
                try:
                    q = workers[lib].query(ef)
                except (WorkerError, ValueError, OSError) as e:
                    entries[lib]["error"] = f"query ef={ef}: {e}"
                    log(f"{lib}: FAILED: {e}")
                    workers.pop(lib).close()
                    history.pop(lib, None)
                    continue
                q["cpu_pressure"] = pressure.share()
                entries[lib].setdefault("queries", []).append(q)
                history[lib].append((ef, q["recall"]))
                line.append(f"{lib} {q['recall']:.4f} {report.qps(q, 'single'):,.0f}/{report.qps(q, 'batch'):,.0f}")
            measured.append(ef)
            log(f"ef {ef}: recall, single/batch QPS: " + " | ".join(sorted(line)))
            if not rec["efs"] and sweep_done(history, args.stop_recall):
                break
            if not workers:
                break
        if not rec["efs"] and measured and not all(e.get("error") for e in entries.values()):
            rec["efs"] = measured
    finally:
        for w in workers.values():
            w.close()
    for lib in libs:
        rec["libs"][lib]["rounds"].append(entries[lib])


def run_dataset(ds: datasets.DataSet, libs: list[str], versions: dict, args, progress: Progress) -> dict:
    rec = {"dataset": ds.meta(), "ref": args.ref, "efs": [], "unavailable": {},
           "args": {k: getattr(args, k) for k in ("M", "efc", "threads", "nq_single", "rounds", "stop_recall")},
           "runner": "C++ program bench/sift/sift_bench.cpp" if ds.dtype == "u8" else "Python modules",
           "libs": {lib: {"version": None if ds.dtype == "u8" else versions.get(lib), "rounds": []} for lib in libs}}
    os.makedirs(args.data_dir, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="bench-index-", dir=args.data_dir)
    pressure = Pressure()
    try:
        for rnd in range(args.rounds):
            t0 = time.monotonic()
            run_round(ds, libs, rnd, rec, args, scratch)
            progress.round_done(ds.name, time.monotonic() - t0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rec["cpu_pressure"] = pressure.share()
    rec["dataset"] = ds.meta()
    rec["summary"] = report.summarize(rec)
    return rec


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def machine_info() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "nproc": os.cpu_count(),
            "numpy": __import__("numpy").__version__}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                info["cpu_model"] = val.strip()
            elif key.strip() == "Flags":
                flags = val.split()
                info["avx2"], info["fma"] = "avx2" in flags, "fma" in flags
                info["avx512"] = sorted(f for f in flags if f.startswith("avx512"))
        with open("/proc/meminfo") as f:
            info["mem_total_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    info["commit"] = git.stdout.strip() or None
    return info


def parse_datasets(args) -> list[datasets.DataSet]:
    out, seen = [], set()
    for item in (x.strip() for x in args.data.split(",")):
        if not item:
            continue
        kind, _, n = item.partition(":")
        n = int(n) if n else args.n
        ds = datasets.DataSet(kind, n, args.nq, args.k, args.seed, args.dim if kind == "clustered" else None)
        if (ds.kind, ds.n) not in seen:
            seen.add((ds.kind, ds.n))
            out.append(ds)
    return out


def write_json(path: str, doc: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def show(doc: dict, png: str) -> None:
    print()
    print(report.render(doc))
    drawn = report.plot(doc, png)
    if drawn:
        print(f"\nplot: {os.path.relpath(drawn)}")


def do_report(args) -> int:
    docs = []
    for path in args.report:
        with open(path) as f:
            docs.append(json.load(f))
    doc = docs[0]
    names = {ds["dataset"]["name"] for ds in doc["datasets"]}
    for path, d in zip(args.report[1:], docs[1:]):
        for ds in d["datasets"]:
            if ds["dataset"]["name"] in names:
                ds["dataset"]["name"] += f"@{os.path.basename(path)}"
            names.add(ds["dataset"]["name"])
            doc["datasets"].append(ds)
    for ds in doc["datasets"]:
        ds["summary"] = report.summarize(ds)
    base = os.path.splitext(args.report[0])[0]
    show(doc, args.plot or (base + (".png" if len(args.report) == 1 else "_merged.png")))
    return 0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help=f"data sets, NAME[:N],... (default {DEFAULT_DATA})")
    p.add_argument("--n", type=int, default=None, help="base vectors of every data set given without :N")
    p.add_argument("--nq", type=int, default=10_000, help="held-out queries (default 10000)")
    p.add_argument("--nq-single", type=int, default=2000, help="queries of the single-query loop (default 2000)")
    p.add_argument("--dim", type=int, default=768, help="dimension of the clustered set (default 768)")
    p.add_argument("--libs", default=DEFAULT_LIBS, help=f"library specs (default {DEFAULT_LIBS})")
    p.add_argument("--ref", default="hnswlib", help="the library ratios are relative to (default hnswlib)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds, each with fresh builds (default 3)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--efc", type=int, default=200)
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                   help="threads of builds and batch queries (default: the usable cores)")
    p.add_argument("--efs", default=DEFAULT_EFS, help="ef sweep of the first round")
    p.add_argument("--stop-recall", type=float, default=0.995,
                   help="the first round's sweep stops once every library reaches this recall (default 0.995)")
    p.add_argument("--ef-max", type=int, default=2000, help="largest ef of an extended sweep (default 2000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--sift-bins", nargs=2, metavar=("HNSWLIB", "HNSWLIB_RS"),
                   default=[SIFT_BINS["hnswlib"], SIFT_BINS["hnswlib_rs"]],
                   help="the SIFT program built against hnswlib's headers and against ours")
    p.add_argument("--data-dir", default=datasets.DATA_DIR, help="cache of data sets and ground truth")
    p.add_argument("--name", default="bench", help="results file name prefix (default bench)")
    p.add_argument("--out", default=None, help="results JSON (default bench-results/<name>_<time>.json)")
    p.add_argument("--plot", default=None, help="plot PNG (default: the JSON's path with .png)")
    p.add_argument("--report", nargs="+", metavar="JSON", help="re-print the tables and re-draw the plot")
    p.add_argument("--plan", action="store_true", help="print the plan and its estimated duration, run nothing")
    args = p.parse_args(argv)
    args.efs = sorted({int(x) for x in args.efs.split(",") if x.strip()})
    args.sift_bins = dict(zip(("hnswlib", "hnswlib_rs"), args.sift_bins))
    if args.rounds < 1 or not args.efs or args.threads < 1:
        p.error("--rounds, --efs and --threads must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # A terminated run still closes its workers and removes its scratch files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.report:
        return do_report(args)
    sets = parse_datasets(args)
    specs = [x.strip() for x in args.libs.split(",") if x.strip()]
    if args.ref not in specs:
        raise SystemExit(f"the reference {args.ref} must be one of --libs")

    versions, unavailable = {}, {}
    if any(ds.dtype != "u8" for ds in sets):
        for lib in specs:
            versions[lib], why = probe(lib)
            if why:
                unavailable[lib] = why
                log(f"{lib}: not available in this build ({why}); going on without it")
    plan, libs_of = [], {}
    for ds in sets:
        if ds.dtype == "u8":
            libs_of[ds.name] = [lib for lib in specs if lib in args.sift_bins]
            missing = [b for lib, b in args.sift_bins.items() if lib in libs_of[ds.name] and not os.path.exists(b)]
            if missing:
                raise SystemExit(f"{', '.join(missing)} not built: run make bench-sift-bins (make bench does)")
        else:
            libs_of[ds.name] = [lib for lib in specs if lib not in unavailable]
        plan.append((ds.name, args.rounds, estimate_round_s(ds, len(libs_of[ds.name]), args)))
    total = sum(r * e for _, r, e in plan)
    log("plan: " + "; ".join(f"{ds.name} ({', '.join(libs_of[ds.name])})" for ds in sets)
        + f"; {args.rounds} rounds; estimated {total / 60:.0f} min on this machine "
        f"(plus data generation and ground truth on first use)")
    if args.plan:
        return 0

    started = time.strftime("%Y%m%d_%H%M%S")
    out = args.out or os.path.join(ROOT, "bench-results", f"{args.name}_{started}.json")
    doc = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
           "args": {k: v for k, v in vars(args).items() if k != "report"}, "datasets": []}
    progress = Progress(plan)
    for ds in sets:
        log(f"=== {ds.name}: {ds.describe()}")
        ds.prepare(args.data_dir)
        rec = run_dataset(ds, libs_of[ds.name], versions, args, progress)
        if ds.dtype == "u8":
            rec["skipped"] = {lib: "storage modes do not apply to u8 vectors" for lib in specs
                              if lib not in args.sift_bins}
        else:
            rec["unavailable"] = dict(unavailable)
        doc["datasets"].append(rec)
        doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        write_json(out, doc)  # after every data set, so an interrupted run keeps what it measured
    show(doc, args.plot or os.path.splitext(out)[0] + ".png")
    print(f"results: {os.path.relpath(out)}")
    failed = any(r.get("error") for ds in doc["datasets"] for rec in ds["libs"].values() for r in rec["rounds"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
