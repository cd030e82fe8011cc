"""Figures from the raw measurements of bench.py: per-round ratios, tables, the plot.

Everything here is computed from the raw per-round, per-ef measurements kept in the
results JSON, so `bench.py --report FILE.json` prints and draws exactly what the run did
(and a later change of the summary applies to old results too).

Per round and library: QPS at recall@k 0.90 / 0.95 / 0.99, interpolated over that
round's ef sweep (linear in recall, geometric in QPS, between the two sweep points that
bracket the target; a sweep point that reaches the target with more QPS wins, since noise
can make a sweep non-monotonic), for single queries and for batches. The recall of an ef
is that of the batch over all queries; the single-query loop runs the first nq_single of
the same queries on the same index and must return the same results (checked).
Then the ratio library / reference of the same round, for QPS and for build time, peak
memory, file size and load time; a table shows the median of the per-round ratios and
their spread (lowest to highest), so drift on a shared machine, which hits both
libraries of a round alike, cancels in each ratio.
"""
from __future__ import annotations

import math
import os
import statistics

RECALL_TARGETS = (0.90, 0.95, 0.99)

# (key, label, format, higher is better)
QPS_ROWS = [(f"{mode}@{t:.2f}", f"{label} QPS @ recall {t:.2f}", ",.0f", True)
            for mode, label in (("single", "single"), ("batch", "batch")) for t in RECALL_TARGETS]
BUILD_ROWS = [
    ("build_cpu_s", "build CPU s", ",.1f", False),
    ("build_s", "build wall s", ",.1f", False),
    ("mem_peak_mb", "peak RSS growth MB", ",.0f", False),
    ("file_mb", "file MB", ",.1f", False),
    ("load_s", "load s", ",.3f", False),
]
SHORTFALL = ("recall_shortfall", "recall shortfall at equal ef", "+.4f")


def targets(lib: str, dataset_kind: str) -> dict:
    """The performance goals of a library spec, as {row key: (">=" or "<=", bound)}.

    f32 (the plain module): QPS >= 1.5x at 0.95 and 0.99 on GloVe and the 768-d set, build
    CPU <= 0.6x, peak memory <= 0.8x, load <= 0.5x. sq8 (with rerank): QPS >= 3x at 0.95 on
    GloVe and 768-d, recall within 0.01 of f32 at equal ef; sq8 codes only (keep_vectors=false):
    memory <= 0.4x. Other libraries (glass) are measured, not judged."""
    module, _, rest = lib.partition(":")
    mode, _, opts = rest.partition(":")
    if module == "glass":
        return {}
    qps_sets = ("glove", "clustered")
    t: dict = {}
    if not mode:
        if dataset_kind in qps_sets:
            for m in ("single", "batch"):
                t[f"{m}@0.95"] = t[f"{m}@0.99"] = (">=", 1.5)
        t.update(build_cpu_s=("<=", 0.6), mem_peak_mb=("<=", 0.8), load_s=("<=", 0.5))
    elif mode == "sq8":
        if "keep_vectors=false" in opts.lower():
            t["mem_peak_mb"] = ("<=", 0.4)
        else:
            if dataset_kind in qps_sets:
                t["single@0.95"] = t["batch@0.95"] = (">=", 3.0)
            t["recall_shortfall"] = ("<=", 0.01)
    return t


def median(values):
    return statistics.median(values) if values else None


def qps_at_recall(points, target: float):
    """(QPS, lower_bound) at a recall target from the (recall, qps) points of a sweep.

    None when no ef reaches the target. When even the smallest ef is above the target,
    the QPS of the points that reach it is a lower bound of the QPS at the target."""
    pts = sorted(p for p in points if p[1])
    if not pts or pts[-1][0] < target:
        return None
    cands = [q for r, q in pts if r >= target]
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 < target <= r1:
            w = (target - r0) / (r1 - r0)
            cands.append(math.exp((1 - w) * math.log(q0) + w * math.log(q1)))
    return max(cands), pts[0][0] > target


def qps(q: dict, mode: str) -> float:
    """Queries per second of one measurement, "single" or "batch"."""
    return (q["nq_single"] if mode == "single" else q["nq"]) / q[f"{mode}_s"]


def round_figures(rnd: dict) -> dict:
    """The figures of one library in one round: {key: value}, and "bounds": keys that are
    lower bounds."""
    built, queries = rnd.get("built") or {}, rnd.get("queries") or []
    out: dict = {key: built.get(key) for key, *_ in BUILD_ROWS}
    out["bounds"] = []
    for mode in ("single", "batch"):
        pts = [(q["recall"], qps(q, mode)) for q in queries if q.get(f"{mode}_s")]
        for t in RECALL_TARGETS:
            got = qps_at_recall(pts, t)
            out[f"{mode}@{t:.2f}"] = got[0] if got else None
            if got and got[1]:
                out["bounds"].append(f"{mode}@{t:.2f}")
    return out


def summarize(ds: dict) -> dict:
    """Per library: per-round figures, medians, and the per-round ratios to the reference
    with their median, lowest and highest."""
    ref = ds["ref"]
    libs = ds["libs"]
    per = {lib: [round_figures(r) if r.get("built") else None for r in rec["rounds"]]
           for lib, rec in libs.items()}
    def bounds(lib):
        return {b for r in per.get(lib, []) if r for b in r["bounds"]}

    summ: dict = {}
    for lib, rounds in per.items():
        # a ratio is a bound when either side is
        s: dict = {"median": {}, "ratio": {}, "bounds": sorted(bounds(lib) | bounds(ref))}
        keys = [k for k, *_ in QPS_ROWS + BUILD_ROWS]
        for key in keys:
            s["median"][key] = median([r[key] for r in rounds if r and r[key] is not None])
        if lib != ref and ref in per:
            for key in keys:
                ratios = [r[key] / q[key] for r, q in zip(rounds, per[ref])
                          if r and q and r[key] is not None and q[key]]
                if ratios:
                    s["ratio"][key] = {"median": median(ratios), "min": min(ratios), "max": max(ratios),
                                       "rounds": ratios}
            short = []
            for r, q in zip(libs[lib]["rounds"], libs[ref]["rounds"]):
                mine = {m["ef"]: m["recall"] for m in r.get("queries") or []}
                theirs = {m["ef"]: m["recall"] for m in q.get("queries") or []}
                common = sorted(set(mine) & set(theirs))
                if common:
                    short.append(max(theirs[e] - mine[e] for e in common))
            if short:
                s["ratio"][SHORTFALL[0]] = {"median": median(short), "min": min(short), "max": max(short),
                                            "rounds": short}
        summ[lib] = s
    return summ


def fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def sweep_curve(rec: dict, mode: str):
    """(recall, QPS) per ef, each the median over the rounds: the line of the plot."""
    by_ef: dict = {}
    for rnd in rec["rounds"]:
        for q in rnd.get("queries") or []:
            by_ef.setdefault(q["ef"], []).append((q["recall"], qps(q, mode)))
    return [(median([p[0] for p in v]), median([p[1] for p in v])) for _, v in sorted(by_ef.items())]


def label(ds: dict, lib: str) -> str:
    rec = ds["libs"][lib]
    return f"{lib} {rec.get('version') or ''}".strip()


def render_dataset(ds: dict) -> str:
    meta, args, ref = ds["dataset"], ds["args"], ds["ref"]
    summ = ds.get("summary") or summarize(ds)
    efs = ds.get("efs") or []
    lines = [f"== {meta['name']}: {meta['title']}, {meta['space']}, {meta['dtype']}, dim {meta['dim']}, "
             f"n={meta['n']:,}, nq={meta['nq']:,}, k={meta['k']}"
             + (f", {ds['runner']}" if ds.get("runner") else ""),
             f"   M={args['M']}, ef_construction={args['efc']}; build and batch queries on {args['threads']} "
             f"threads, single queries on 1 thread ({min(args['nq_single'], meta['nq']):,} queries); "
             f"{len(next(iter(ds['libs'].values()))['rounds']) if ds['libs'] else 0} rounds; "
             + (f"ef {efs[0]}..{efs[-1]} ({len(efs)} values)" if efs else "no ef sweep")
             + (f"; CPU pressure {100 * ds['cpu_pressure']:.0f}%" if ds.get("cpu_pressure") is not None else "")]
    if (ds.get("cpu_pressure") or 0) > 0.2:
        lines.append("   the machine was busy (other tasks waited for a CPU that share of the time): the ratios "
                     "compare rounds that shared the load, the absolute figures are pessimistic")
    for lib, why in sorted((ds.get("unavailable") or {}).items()):
        lines.append(f"   {lib}: not available in this build ({why})")
    for lib, why in sorted((ds.get("skipped") or {}).items()):
        lines.append(f"   {lib}: not measured ({why})")
    if ref not in ds["libs"] or not any(r.get("built") for r in ds["libs"][ref]["rounds"]):
        lines.append(f"   no figures of the reference {ref}: no ratios")
    footnote = False
    for lib, rec in ds["libs"].items():
        if lib == ref or ref not in ds["libs"]:
            continue
        s, sr = summ[lib], summ[ref]
        goals = targets(lib, meta["kind"])
        head = ("", ref, lib, "ratio", "spread", "target", "")
        rows = [head]
        for key, text, spec, _higher in QPS_ROWS + BUILD_ROWS + [SHORTFALL + (False,)]:
            r = s["ratio"].get(key)
            goal = goals.get(key)
            verdict = ""
            if goal and r:
                ok = r["median"] >= goal[1] if goal[0] == ">=" else r["median"] <= goal[1]
                verdict = "ok" if ok else "MISSED"
            if key == SHORTFALL[0]:
                cells = ("-", fmt(r and r["median"], spec), "", "-" if not r else
                         f"{r['min']:{spec}} to {r['max']:{spec}}")
                goal_text = f"{goal[0]} {goal[1]}" if goal else ""
            else:
                mark = "*" if key in s["bounds"] else ""
                footnote |= bool(mark)
                cells = (fmt(sr["median"].get(key), spec), fmt(s["median"].get(key), spec),
                         "-" if not r else f"{r['median']:.2f}x{mark}",
                         "-" if not r else f"{r['min']:.2f}-{r['max']:.2f}x")
                goal_text = f"{goal[0]} {goal[1]}x" if goal else ""
            rows.append(("  " + text, *cells, goal_text, verdict))
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines.append("")
        lines.append(f"  {label(ds, lib)} vs {label(ds, ref)}")
        for row in rows:
            lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                                   for i, c in enumerate(row)).rstrip())
    if footnote:
        lines.append("   * the smallest ef of the sweep is already above this recall for one of the two: "
                     "its figure is a lower bound")
    for lib, rec in ds["libs"].items():
        for i, rnd in enumerate(rec["rounds"]):
            if rnd.get("error"):
                lines.append(f"   {lib} round {i + 1}: FAILED: {rnd['error']}")
            if (rnd.get("built") or {}).get("save_error"):
                lines.append(f"   {lib} round {i + 1}: no file size or load time: {rnd['built']['save_error']}")
            agree = [q["single_agrees"] for q in rnd.get("queries") or [] if q.get("single_agrees") is not None]
            if agree and min(agree) < 1.0:
                lines.append(f"   warning: {lib} round {i + 1}: single-query results differ from the batch "
                             f"results of the same queries (agreement down to {min(agree):.3f})")
    return "\n".join(lines)


def render(doc: dict) -> str:
    out = [render_dataset(ds) for ds in doc["datasets"]]
    return "\n\n".join(out) + ("\n\nratio = library / " + doc["datasets"][0]["ref"] +
                               " of the same round, median over rounds; spread = lowest to highest round; "
                               "QPS higher is better, the rest lower is better." if doc["datasets"] else "")


def plot(doc: dict, path: str) -> str:
    """Recall-vs-QPS plot: a row per data set, single and batch side by side, log QPS."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    sets = [ds for ds in doc["datasets"] if any(r.get("queries") for rec in ds["libs"].values()
                                                 for r in rec["rounds"])]
    if not sets:
        return ""
    thousands = matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    fig, axes = plt.subplots(len(sets), 2, figsize=(13, 4.6 * len(sets)), squeeze=False)
    styles = {}
    for row, ds in zip(axes, sets):
        meta, args = ds["dataset"], ds["args"]
        for ax, mode in zip(row, ("single", "batch")):
            lo = 1.0
            for lib, rec in ds["libs"].items():
                curve = sweep_curve(rec, mode)
                if not curve:
                    continue
                lo = min(lo, curve[0][0])
                style = styles.setdefault(lib, {"marker": "osD^vP*X"[len(styles) % 8], "color": f"C{len(styles)}"})
                ax.plot([c[0] for c in curve], [c[1] for c in curve], label=label(ds, lib), linewidth=1.6,
                        markersize=4, **style)
            for t in RECALL_TARGETS:
                ax.axvline(t, color="0.75", linestyle=":", linewidth=1)
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(base=10, subs=(2.0, 3.0, 5.0, 7.0)))
            ax.yaxis.set_major_formatter(thousands)
            ax.yaxis.set_minor_formatter(thousands)
            ax.set_xlim(max(lo - 0.01, 0.5), 1.0)
            ax.set_xlabel(f"recall@{meta['k']}")
            ax.set_ylabel("queries per second (log)")
            what = ("single queries, 1 thread" if mode == "single"
                    else f"batches of {meta['nq']:,} queries, {args['threads']} threads")
            ax.set_title(f"{meta['name']} ({meta['dtype']} {meta['dim']}-d, {meta['space']}): {what}", fontsize=10)
            ax.grid(True, which="both", color="0.92")
            ax.legend(fontsize=8, loc="lower left")
    fig.suptitle(f"recall vs QPS, M={sets[0]['args']['M']}, ef_construction={sets[0]['args']['efc']}, "
                 f"median of rounds per ef ({doc.get('started', '')})", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
