#!/usr/bin/env python3
"""One library in one process: build, save, load, then queries on the driver's command.

bench.py starts one worker per library and round, never two builds at once. The worker
speaks a line protocol on stdin/stdout (logs go to stderr), which bench/sift/sift_bench.cpp
speaks too, so the driver runs Python modules and C++ programs alike:

  worker -> {"event": "built", build_s, build_cpu_s, mem_peak_mb, mem_retained_mb,
             save_s, file_mb, load_s, version}          (or "error" / "unavailable")
  driver -> "query <ef>"
  worker -> {"event": "query", ef, recall, batch_s, batch_cpu_s, single_s, single_cpu_s,
             recall_single, single_agrees}
  driver -> "quit"

A library spec is a module with hnswlib's Python API, optionally with a storage mode and
options: "hnswlib", "hnswlib_rs", "hnswlib_rs:sq8", "hnswlib_rs:sq8:keep_vectors=false". The mode
and options go to the constructor (Index(space, dim, quantization="sq8", ...)), or to
init_index where the constructor does not take them; a spec neither accepts is
"unavailable" and the run goes on without it.

"glass", "glass:sq8", "glass:sq4" and "glass:fp32" measure zilliztech/pyglass (module `glass`,
not on PyPI: built from its source, see the README), the fastest HNSW searcher we compare
with, through the same calls (see GlassIndex). It keeps no file, so it has no save or load
figures.

Build: Index(...), init_index, add_items on --threads threads: wall and process CPU time,
peak RSS growth (VmHWM after resetting it through /proc/self/clear_refs, minus the RSS
before) and retained RSS growth. Save (after a system-wide sync, and without fsync where
the module offers sync=False: hnswlib's save stops at the page cache), file size, then
load_index into a fresh Index, timed. Queries run on the index that was built:
  batch:  all queries in one knn_query call on --threads threads
  single: the first --nq-single queries, one knn_query call each, 1 thread
recall@k is counted against the exact neighbours over all queries (batch); the single
results must be the batch results of the same queries (single_agrees: the share that is).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import json
import os
import sys
import time

import numpy as np

MB = 1024.0 * 1024.0


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]   {msg}", file=sys.stderr, flush=True)


def status_bytes(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return float(line.split()[1]) * 1024.0
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> bool:
    """Resets VmHWM to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def parse_spec(spec: str) -> tuple[str, dict]:
    """'module[:mode[:key=value...]]' -> (module, constructor options)."""
    parts = spec.split(":")
    opts: dict = {}
    if len(parts) > 1:
        opts["quantization"] = parts[1]
    for item in parts[2:]:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"library spec {spec!r}: option {item!r} is not key=value")
        low = value.lower()
        opts[key] = True if low == "true" else False if low == "false" else int(value) if value.isdigit() else value
    return parts[0], opts


def module_version(modname: str, mod) -> str:
    for dist in (modname, modname.replace("_", "-")):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return str(getattr(mod, "__version__", "?"))


class Library:
    """A module with hnswlib's Python API, with the spec's storage mode and options."""

    def __init__(self, spec: str, space: str, dim: int):
        self.spec, self.space, self.dim = spec, space, dim
        self.modname, self.opts = parse_spec(spec)
        self.mod = importlib.import_module(self.modname)
        self.version = module_version(self.modname, self.mod)
        self.opts_at_init = False

    def new(self, max_elements: int | None = None, **init):
        """A new Index (initialised when max_elements is given) with the spec's options."""
        if self.opts and not self.opts_at_init:
            try:
                index = self.mod.Index(space=self.space, dim=self.dim, **self.opts)
            except TypeError:
                self.opts_at_init = True
        if not self.opts or self.opts_at_init:
            index = self.mod.Index(space=self.space, dim=self.dim)
        if max_elements is not None:
            extra = self.opts if self.opts_at_init else {}
            index.init_index(max_elements=max_elements, **init, **extra)
        return index

    def probe(self) -> None:
        """Raises if this build of the module does not take the spec's options."""
        self.new(max_elements=1)


class GlassIndex:
    """pyglass behind the calls this worker makes of an hnswlib-style index.

    glass builds an HNSW graph of degree R = 2·M (hnswlib's level-0 degree) with a beam of
    L = ef_construction, then searches it with a Searcher that traverses codes and refines
    the best candidates. Modes: "" = what glass's README recommends (8-bit build codes,
    4-bit search codes, fp16 refine), "sq8" (8-bit search codes, exact f32 refine), "sq4"
    (4-bit search codes, exact f32 refine), "fp32" (f32 throughout). Cosine is inner product on
    normalised vectors, as glass does it. The searcher tunes its prefetch once built
    (`optimize`), which glass's README asks for.
    """

    MODES = {"": ("SQ8U", "SQ4U", "FP16"), "sq8": ("SQ8U", "SQ8U", "FP32"),
             "sq4": ("SQ8U", "SQ4U", "FP32"), "fp32": ("FP32", "FP32", "")}

    def __init__(self, mod, space: str, mode: str, M: int, efc: int):
        if mode not in self.MODES:
            raise ValueError(f"glass mode {mode!r}: use one of {sorted(self.MODES)}")
        self.mod, self.space, self.M, self.efc = mod, space, M, efc
        self.build_quant, self.search_quant, self.refine = self.MODES[mode]
        self.metric = {"cosine": "IP", "ip": "IP", "l2": "L2"}[space]
        self.threads, self.searcher = 1, None

    def _prep(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.space == "cosine":
            x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-30)
        return np.ascontiguousarray(x, dtype=np.float32)

    def set_num_threads(self, n: int) -> None:
        self.threads = n
        self.mod.set_num_threads(n)

    def add_items(self, data, labels=None) -> None:
        data = self._prep(data)
        graph = self.mod.Index(index_type="HNSW", metric=self.metric, quant=self.build_quant,
                               R=2 * self.M, L=self.efc).build(data)
        self.searcher = self.mod.Searcher(graph=graph, data=data, metric=self.metric,
                                          quantizer=self.search_quant, refine_quant=self.refine)
        self.searcher.optimize(self.threads)

    def set_ef(self, ef: int) -> None:
        self.searcher.set_ef(ef)

    def knn_query(self, x, k: int):
        x = self._prep(x)
        if x.ndim == 1:
            return self.searcher.search(x, k)[0].reshape(1, -1), None
        return self.searcher.batch_search(x, k, num_threads=self.threads)[0], None

    def save_index(self, path, **_):
        raise NotImplementedError("glass's searcher keeps no file of its own here")


class GlassLibrary(Library):
    """The "glass[:mode]" specs (see GlassIndex)."""

    def __init__(self, spec: str, space: str, dim: int):
        self.spec, self.space, self.dim = spec, space, dim
        self.modname, _, self.mode = spec.partition(":")
        self.mod = importlib.import_module("glass")
        # glass prints its progress on the C library's stdout, which is this worker's
        # protocol channel: point file descriptor 1 at stderr and keep the protocol on a
        # duplicate of the original.
        protocol = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = os.fdopen(protocol, "w", buffering=1)
        self.version = module_version("glass", self.mod)
        self.opts, self.opts_at_init = {}, False

    def new(self, max_elements: int | None = None, ef_construction: int = 200, M: int = 16, **_):
        return GlassIndex(self.mod, self.space, self.mode, M, ef_construction)


def make_library(spec: str, space: str, dim: int) -> Library:
    if spec.split(":")[0] == "glass":
        return GlassLibrary(spec, space, dim)
    return Library(spec, space, dim)


def build(lib: Library, base: np.ndarray, args) -> tuple[object, dict]:
    n = base.shape[0]
    labels = np.arange(n, dtype=np.uint64)
    gc.collect()
    rss0 = status_bytes("VmRSS:")
    peak_ok = reset_peak_rss()
    c0, t0 = time.process_time(), time.perf_counter()
    index = lib.new(max_elements=n, ef_construction=args.efc, M=args.M)
    index.set_num_threads(args.threads)
    index.add_items(base, labels)
    res = {"build_s": time.perf_counter() - t0, "build_cpu_s": time.process_time() - c0}
    res["mem_peak_mb"] = (status_bytes("VmHWM:") - rss0) / MB if peak_ok else None
    res["mem_retained_mb"] = (status_bytes("VmRSS:") - rss0) / MB
    return index, res


def save_and_load(lib: Library, index, n: int, path: str) -> dict:
    res: dict = {"save_s": None, "file_mb": None, "load_s": None}
    os.sync()
    try:
        t0 = time.perf_counter()
        try:
            index.save_index(path, sync=False)
        except TypeError:
            index.save_index(path)
        res["save_s"] = time.perf_counter() - t0
    except Exception as e:  # a mode that cannot be written in hnswlib's format
        res["save_error"] = f"{type(e).__name__}: {e}"
        log(f"{lib.spec}: save failed: {res['save_error']}")
        return res
    res["file_mb"] = os.path.getsize(path) / MB
    other = lib.new()
    extra = lib.opts if lib.opts_at_init else {}
    t0 = time.perf_counter()
    other.load_index(path, max_elements=n, **extra)
    res["load_s"] = time.perf_counter() - t0
    del other
    gc.collect()
    os.remove(path)
    return res


def hits(found: np.ndarray, truth: np.ndarray) -> int:
    found = np.asarray(found).astype(np.int64, copy=False).reshape(truth.shape[0], -1)
    return int((found[:, :, None] == truth[:, None, :]).any(axis=2).sum())


def query(index, ef: int, queries: np.ndarray, truth: np.ndarray, args) -> dict:
    k, nq = args.k, queries.shape[0]
    ns = min(args.nq_single, nq)
    index.set_ef(ef)
    index.set_num_threads(args.threads)
    c0, t0 = time.process_time(), time.perf_counter()
    found, _ = index.knn_query(queries, k=k)
    res = {"event": "query", "ef": ef, "batch_s": time.perf_counter() - t0, "batch_cpu_s": time.process_time() - c0}
    res["recall"] = hits(found, truth) / truth.size
    index.set_num_threads(1)
    rows = [queries[i] for i in range(ns)]
    out = [None] * ns
    q = index.knn_query
    c0, t0 = time.process_time(), time.perf_counter()
    for i, row in enumerate(rows):
        out[i] = q(row, k=k)[0]
    res["single_s"] = time.perf_counter() - t0
    res["single_cpu_s"] = time.process_time() - c0
    single = np.stack([np.asarray(o).reshape(-1) for o in out]).astype(np.int64)
    res["recall_single"] = hits(single, truth[:ns]) / (ns * k)
    res["single_agrees"] = float((single == np.asarray(found[:ns]).astype(np.int64)).all(axis=1).mean())
    res["nq"], res["nq_single"] = nq, ns
    return res


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lib", required=True)
    p.add_argument("--space", required=True)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--probe", action="store_true", help="only check that the spec is available")
    p.add_argument("--base")
    p.add_argument("--queries")
    p.add_argument("--gt")
    p.add_argument("--index", help="where to save the index (removed after the load)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--efc", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--nq-single", type=int, default=2000)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        lib = make_library(args.lib, args.space, args.dim)
        lib.probe()
    except Exception as e:
        emit({"event": "unavailable", "error": f"{type(e).__name__}: {e}"})
        return 0
    if args.probe:
        emit({"event": "probe", "version": lib.version})
        return 0
    try:
        base = np.load(args.base)
        queries = np.load(args.queries)
        truth = np.load(args.gt)[:, :args.k]
        index, res = build(lib, base, args)
        res.update(save_and_load(lib, index, base.shape[0], args.index))
        del base
        gc.collect()
        index.set_ef(args.k)
        index.set_num_threads(args.threads)
        index.knn_query(queries[:1000], k=args.k)  # warm-up, untimed
    except Exception as e:
        import traceback
        traceback.print_exc()
        emit({"event": "error", "error": f"{type(e).__name__}: {e}"})
        return 1
    emit({"event": "built", "version": lib.version, **res})
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] != "query" or len(cmd) != 2:
            emit({"event": "error", "error": f"unknown command {line.strip()!r}"})
            return 1
        emit(query(index, int(cmd[1]), queries, truth, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
