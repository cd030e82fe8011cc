"""Per-call overhead of a one-vector knn_query: hnswlib_rs against pip hnswlib.

Builds the same small index in both libraries and times single-vector queries with
timeit (best of several repeats, so machine noise inflates neither side). With a tiny
index the search itself is short, so the time per call is mostly the binding's own
work: argument conversion, result arrays, GIL release.

    python knn_overhead.py [--n 1000] [--dim 16] [--k 10] [--number 20000]
"""

import argparse
import timeit

import numpy as np


def build(module, data, args):
    p = module.Index("l2", data.shape[1])
    p.init_index(len(data), M=16, ef_construction=100, random_seed=100)
    p.add_items(data, num_threads=1)
    p.set_ef(args.ef)
    p.set_num_threads(1)
    return p


def time_calls(stmt, number, repeat):
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--ef", type=int, default=10)
    ap.add_argument("--number", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import hnswlib
    import hnswlib_rs

    data = np.random.default_rng(0).random((args.n, args.dim), dtype=np.float32)
    q1 = data[17].copy()  # (dim,)
    q2 = data[17:18].copy()  # (1, dim)
    ql = q1.tolist()
    rows = []
    for name, mod in (("hnswlib", hnswlib), ("hnswlib_rs", hnswlib_rs)):
        p = build(mod, data, args)
        k = args.k
        rows.append(
            (
                name,
                time_calls(lambda: p.knn_query(q1, k=k), args.number, args.repeat),
                time_calls(lambda: p.knn_query(q2, k=k), args.number, args.repeat),
                time_calls(lambda: p.knn_query(ql, k=k), args.number // 4, args.repeat),
            )
        )
    print(f"one-vector knn_query, n={args.n} dim={args.dim} k={args.k} ef={args.ef} "
          f"(microseconds per call, best of {args.repeat})")
    print(f"{'library':<12} {'(dim,) f32':>12} {'(1,dim) f32':>12} {'list':>12}")
    for name, *t in rows:
        print(f"{name:<12} " + " ".join(f"{x:12.2f}" for x in t))
    ref = rows[0][1:]
    ours = rows[1][1:]
    print(f"{'ratio':<12} " + " ".join(f"{o / r:11.2f}x" for o, r in zip(ours, ref))
          + "   (hnswlib_rs / hnswlib, lower is better)")


if __name__ == "__main__":
    main()
