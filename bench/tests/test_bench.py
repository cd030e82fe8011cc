"""Tests of the benchmark's own logic (no library is measured here): the interpolation and
ratios that decide the verdicts, exact ground truth, the generated data, library specs."""
from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench  # noqa: E402
import datasets  # noqa: E402
import report  # noqa: E402
import worker  # noqa: E402


def test_qps_at_recall_interpolates_log_qps_linearly_in_recall():
    pts = [(0.80, 4000.0), (0.90, 2000.0), (1.0, 500.0)]
    q, bound = report.qps_at_recall(pts, 0.95)
    assert q == pytest.approx(1000.0)  # halfway between 2000 and 500 in log space
    assert not bound
    assert report.qps_at_recall(pts, 0.90) == (2000.0, False)


def test_qps_at_recall_unreached_and_lower_bound():
    assert report.qps_at_recall([(0.8, 100.0), (0.9, 50.0)], 0.95) is None
    q, bound = report.qps_at_recall([(0.96, 300.0), (0.99, 100.0)], 0.90)
    assert (q, bound) == (300.0, True)


def test_qps_at_recall_prefers_a_faster_point_that_reaches_the_target():
    # a noisy sweep: the point at recall 0.96 is faster than the interpolation below it
    q, _ = report.qps_at_recall([(0.94, 1000.0), (0.955, 400.0), (0.96, 900.0)], 0.95)
    assert q == 900.0


def query(ef, recall, batch_s, single_s, nq=1000, ns=100):
    return {"ef": ef, "recall": recall, "batch_s": batch_s, "single_s": single_s, "nq": nq, "nq_single": ns}


def dataset_record(speedups, kind="glove", lib="hnswlib_rs"):
    """Two libraries, one round per speedup: ours is `speedup` times faster at equal recall."""
    def rnd(speed, build_cpu):
        return {"built": {"build_s": build_cpu / 2, "build_cpu_s": build_cpu, "mem_peak_mb": 100.0 / speed,
                          "file_mb": 10.0, "load_s": 0.2},
                "queries": [query(10, 0.85, 1.0 / speed, 0.5 / speed), query(20, 0.93, 2.0 / speed, 1.0 / speed),
                            query(40, 0.97, 4.0 / speed, 2.0 / speed), query(80, 0.995, 8.0 / speed, 4.0 / speed)]}
    return {"dataset": {"name": "t", "kind": kind, "title": "test", "space": "cosine", "dtype": "f32", "dim": 4,
                        "n": 100, "nq": 1000, "k": 10},
            "ref": "hnswlib", "efs": [10, 20, 40, 80],
            "args": {"M": 16, "efc": 200, "threads": 2, "nq_single": 100, "rounds": len(speedups)},
            "libs": {"hnswlib": {"version": "0.8.0", "rounds": [rnd(1.0, 10.0) for _ in speedups]},
                     lib: {"version": "0.1.0", "rounds": [rnd(s, 10.0 / s) for s in speedups]}}}


def test_summary_ratios_are_per_round_with_median_and_spread():
    s = report.summarize(dataset_record([1.2, 2.0, 1.6]))["hnswlib_rs"]
    for key in ("single@0.95", "batch@0.90", "batch@0.99"):
        r = s["ratio"][key]
        assert r["median"] == pytest.approx(1.6)
        assert (r["min"], r["max"]) == (pytest.approx(1.2), pytest.approx(2.0))
    assert s["ratio"]["build_cpu_s"]["median"] == pytest.approx(1 / 1.6)
    assert s["ratio"]["file_mb"]["median"] == pytest.approx(1.0)
    assert s["ratio"]["recall_shortfall"]["median"] == pytest.approx(0.0)
    assert s["bounds"] == []


def test_render_shows_targets_and_verdicts():
    text = report.render({"datasets": [dataset_record([1.6, 1.7, 1.8])]})
    line = next(x for x in text.splitlines() if "single QPS @ recall 0.95" in x)
    assert "1.70x" in line and "1.60-1.80x" in line and ">= 1.5x" in line and line.endswith("ok")
    line = next(x for x in text.splitlines() if "build CPU s" in x)
    assert "0.59x" in line and "<= 0.6x" in line and line.endswith("ok")  # the median, 1 / 1.7
    slow = report.render({"datasets": [dataset_record([1.1, 1.2, 1.3])]})
    assert next(x for x in slow.splitlines() if "batch QPS @ recall 0.99" in x).endswith("MISSED")
    assert next(x for x in slow.splitlines() if "build CPU s" in x).endswith("MISSED")


def test_targets_per_mode():
    assert report.targets("hnswlib_rs", "glove")["single@0.99"] == (">=", 1.5)
    assert "single@0.95" not in report.targets("hnswlib_rs", "sift")
    assert report.targets("hnswlib_rs", "sift")["load_s"] == ("<=", 0.5)
    assert report.targets("hnswlib_rs:sq8", "clustered") == {"single@0.95": (">=", 3.0), "batch@0.95": (">=", 3.0),
                                                             "recall_shortfall": ("<=", 0.01)}
    assert report.targets("hnswlib_rs:sq8:keep_vectors=false", "glove") == {"mem_peak_mb": ("<=", 0.4)}
    assert report.targets("hnswlib_rs:sq4", "glove") == {}


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = report.plot({"datasets": [dataset_record([1.5, 1.6])]}, str(tmp_path / "p.png"))
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def brute(base, queries, k, space):
    if space == "cosine":
        d = -(datasets.normalized(queries) @ datasets.normalized(base).T)
    else:
        b, q = base.astype(np.int64), queries.astype(np.int64)
        d = (q[:, None, :] - b[None, :, :]) ** 2
        d = d.sum(axis=2)
    return np.array([np.lexsort((np.arange(base.shape[0]), row))[:k] for row in d])


def test_exact_neighbours_cosine_across_blocks():
    rng = np.random.default_rng(1)
    base, queries = rng.standard_normal((500, 16), dtype=np.float32), rng.standard_normal((37, 16), dtype=np.float32)
    got = datasets.exact_neighbours(base, queries, 10, "cosine", qblock=8, bblock=64)
    assert (got == brute(base, queries, 10, "cosine")).all()


def test_exact_neighbours_u8_is_exact_and_breaks_ties_by_row():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 256, (300, 128), dtype=np.uint8)
    base[150] = base[3]  # exact ties
    base[299] = base[3]
    queries = np.concatenate([base[3:4], rng.integers(0, 256, (20, 128), dtype=np.uint8)])
    got = datasets.exact_neighbours(base, queries, 5, "l2", qblock=7, bblock=50)
    assert (got == brute(base, queries, 5, "l2")).all()
    assert list(got[0, :3]) == [3, 150, 299]


def test_generated_rows_are_deterministic_and_prefix_stable():
    ds = datasets.DataSet("sift", 100, 10, 10, seed=7)
    block = datasets._sift_blocks(ds)
    long = datasets._rows(block, 0, datasets.BLOCK + 30, np.uint8)
    again = datasets._rows(datasets._sift_blocks(ds), datasets.BLOCK - 5, datasets.BLOCK + 30, np.uint8)
    assert (long[datasets.BLOCK - 5:] == again).all()
    norms = np.linalg.norm(long.astype(np.float64), axis=1)
    assert 480 < norms.mean() < 530 and (long == 0).mean() > 0.1  # SIFT-like
    c = datasets.DataSet("clustered", 100, 10, 10, seed=7, dim=64)
    rows = datasets._rows(datasets._clustered_blocks(c), 0, 50, np.float32)
    assert rows.shape == (50, 64) and rows.dtype == np.float32


def test_dataset_names():
    assert datasets.DataSet("glove", 100_000, 10, 10, 42).name == "glove-100k"
    assert datasets.DataSet("glove", None, 10_000, 10, 42).name == "glove-390k"  # all but the queries
    assert datasets.DataSet("sift", None, 10, 10, 42).name == "sift-1m"
    assert datasets.DataSet("clustered", 20_000, 10, 10, 42, dim=768).name == "clustered768-20k"


def test_library_spec_options():
    assert worker.parse_spec("hnswlib") == ("hnswlib", {})
    assert worker.parse_spec("hnswlib_rs:sq8:keep_vectors=false:keep=2") == (
        "hnswlib_rs", {"quantization": "sq8", "keep_vectors": False, "keep": 2})


def fake_module(name, ctor_takes_opts, init_takes_opts):
    calls = []

    class Index:
        def __init__(self, space, dim, **opts):
            if opts and not ctor_takes_opts:
                raise TypeError("unexpected keyword argument 'quantization'")
            calls.append(("ctor", opts))

        def init_index(self, max_elements, **opts):
            extra = {k: v for k, v in opts.items() if k not in ("M", "ef_construction")}
            if extra and not init_takes_opts:
                raise TypeError("init_index() got an unexpected keyword argument 'quantization'")
            calls.append(("init", extra))

    mod = types.ModuleType(name)
    mod.Index = Index
    sys.modules[name] = mod
    return calls


@pytest.mark.parametrize("ctor,init,where", [(True, False, "ctor"), (False, True, "init"), (False, False, None)])
def test_storage_mode_goes_to_the_constructor_or_init_index(ctor, init, where):
    calls = fake_module("fake_hnsw", ctor, init)
    lib = worker.Library("fake_hnsw:sq8", "l2", 4)
    if where is None:
        with pytest.raises(TypeError):
            lib.probe()
        return
    lib.probe()
    assert (where, {"quantization": "sq8"}) in calls


def test_sweep_stops_when_every_library_is_done():
    assert not bench.sweep_done({"a": [(10, 0.9)], "b": [(10, 0.999)]}, 0.995)
    assert bench.sweep_done({"a": [(40, 0.996)], "b": [(40, 0.999)]}, 0.995)
    # a library that stopped improving (e.g. a coarse code) does not hold the sweep
    assert bench.sweep_done({"a": [(100, 0.90), (120, 0.9002)], "b": [(120, 0.999)]}, 0.995)
    assert not bench.sweep_done({"a": [(20, 0.90), (25, 0.9002)], "b": [(25, 0.999)]}, 0.995)


def test_ef_sweep_extends_the_first_round_and_repeats_it_after():
    class A:
        efs, ef_max = [10, 20], 40
    assert list(bench.ef_sweep(A, [])) == [10, 20, 25, 31, 39, 40]
    assert list(bench.ef_sweep(A, [10, 20, 25])) == [10, 20, 25]
