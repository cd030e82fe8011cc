#!/usr/bin/env python3
"""GloVe 6B 50d: single-query QPS of the Java binding against the Rust core, same run.

    make bench-java                                    # the full split (390,000 base)
    make bench-java BENCH_JAVA_ARGS="--n 100000"       # a quicker look

Uses the GloVe split and exact neighbours of `make bench` (bench/datasets.py: data/glove/,
written once with numpy), then runs, each in its own process on the same files and parameters
(cosine, M=16, ef_construction=200, k=10):

1. the Rust core: the `glove` example of hnswlib-core (`search` calls from Rust);
2. Java: io.github.hnswlibrs.GloveBench (java/src/test), `HnswIndex.knn(float[], k,
   options)` calls through JNI, after `mvn package` has built the jar and test classes.

Each builds its own index (all cores), then per ef measures recall@10 and single-query
QPS (one call per query on one thread, the median of --repeats rounds). The first table
compares the two processes (their graphs differ a little, as multi-threaded builds are
not deterministic, and they run minutes apart on a shared machine, so expect noise of
tens of percent). The second is the steadier figure: within the Java process, every
round of `knn` calls is followed by the same queries through the engine's own Rust loop
on the same index and thread, and the ratio of the best rounds is what the binding costs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.dirname(HERE)
ROOT = os.path.dirname(JAVA_DIR)
sys.path.insert(0, os.path.join(ROOT, "bench"))
import datasets  # noqa: E402  (the split and ground truth of `make bench`)


def run(cmd: list[str], cwd: str = ROOT) -> None:
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="base vectors (default: all but the queries)")
    p.add_argument("--nq", type=int, default=10_000, help="held-out queries of the split (default 10000)")
    p.add_argument("--nq-single", type=int, default=2000, help="queries timed (default 2000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--efs", default="10,20,40,80,120,200")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--data-dir", default=os.path.join(ROOT, "data", "glove"))
    args = p.parse_args()
    args.k, args.M, args.efc, args.threads = 10, 16, 200, 0

    paths = datasets.prepare_glove(args.n, args.nq, args.seed, args.k, args.data_dir)
    common = ["--base", paths["base"], "--queries", paths["queries"], "--gt", paths["gt"],
              "--k", "10", "--m", "16", "--efc", "200", "--efs", args.efs,
              "--repeats", str(args.repeats), "--nq-single", str(args.nq_single)]
    cargo = os.environ.get("CARGO", "cargo")
    mvn = os.environ.get("MVN", "mvn")
    with tempfile.TemporaryDirectory() as tmp:
        rust_json, java_json = os.path.join(tmp, "rust.json"), os.path.join(tmp, "java.json")
        run([cargo, "build", "--quiet", "--release", "-p", "hnswlib-core", "--example", "glove"])
        run([mvn, "-B", "-q", "-f", os.path.join(JAVA_DIR, "pom.xml"), "-DskipTests", "package"])
        run([cargo, "run", "--quiet", "--release", "-p", "hnswlib-core", "--example", "glove", "--",
             *common, "--no-progress", "--json", rust_json])
        cp = os.pathsep.join([os.path.join(JAVA_DIR, "target", "classes"),
                              os.path.join(JAVA_DIR, "target", "test-classes")])
        run(["java", "-cp", cp, "io.github.hnswlibrs.GloveBench", *common, "--json", java_json])
        with open(rust_json) as f:
            rust = {r["ef"]: r for r in json.load(f)["efs"]}
        with open(java_json) as f:
            java = {r["ef"]: r for r in json.load(f)["efs"]}

    print(f"\nGloVe 50d cosine, single-query QPS on one thread ({args.nq_single} queries, "
          f"median of {args.repeats})")
    print(f"{'ef':>5} {'recall rust':>12} {'recall java':>12} {'QPS rust':>10} {'QPS java':>10} "
          f"{'java/rust':>10}")
    ratios = []
    for ef in sorted(java):
        r, j = rust[ef], java[ef]
        ratio = j["single_qps"] / r["single_qps"]
        ratios.append(ratio)
        print(f"{ef:>5} {r['recall_single']:>12.4f} {j['recall_single']:>12.4f} {r['single_qps']:>10.0f} "
              f"{j['single_qps']:>10.0f} {ratio:>10.3f}")
    ratios.sort()
    print(f"median ratio java/rust: {ratios[len(ratios) // 2]:.3f} (target >= 0.9)")

    print("\nSame index, same process and thread: Java knn calls / the engine's own Rust loop "
          f"(best of {args.repeats} alternating rounds)")
    print(f"{'ef':>5} {'QPS java':>10} {'QPS rust':>10} {'java/rust':>10}")
    same = []
    for ef in sorted(java):
        j = java[ef]
        same.append(j["best_qps"] / j["native_best_qps"])
        print(f"{ef:>5} {j['best_qps']:>10.0f} {j['native_best_qps']:>10.0f} {same[-1]:>10.3f}")
    same.sort()
    print(f"median ratio java/rust (same index): {same[len(same) // 2]:.3f} (target >= 0.9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
