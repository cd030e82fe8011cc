"""make bench-spark: hnswlib-rs on Spark (local mode) against one hnswlib-rs index.

SIFT-like vectors (bench/datasets.py: u8 128-d, squared L2, searched as floats) are indexed
by HnswSimilarity in 2, 4 and 8 partitions; for each: the build time (fit), the query
throughput of transform (every query sent to every shard, results merged, collected on the
driver) and recall@k against the exact neighbours, beside one index built and searched
in-process (hnswlib_rs.Index, all cores) with the same M, ef_construction and ef.

    .venv/bin/python bench/spark_bench.py --jars A.jar,B.jar [--n 1000000] [--nq 10000]

Spark's figures include its own costs (task start, shuffles of the queries to the shards
and of the results back, Python <-> JVM), which one in-process index does not pay.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402


def recall(gt: np.ndarray, found: list, k: int) -> float:
    """recall@k by identity: the share of the k true neighbours found."""
    return float(np.mean([len(set(g[:k]) & set(f)) / k for g, f in zip(gt, found)]))


def recall_ties(kth: np.ndarray, distances: list, k: int) -> float:
    """recall@k as make bench counts it on SIFT, where integer distances tie: a result is a
    hit when it is as close as the k-th true neighbour."""
    return float(np.mean([np.sum(np.asarray(d[:k]) <= t) / k for t, d in zip(kth, distances)]))


def base_parquet(spark, base_path: str, n: int, out: str):
    """The base as a Parquet file of (id bigint, features array<float>), written once."""
    from pyspark.sql import functions as F
    if not os.path.exists(os.path.join(out, "_SUCCESS")):
        datasets.log(f"writing {n:,} rows to {os.path.relpath(out)}")
        chunk = 20_000

        def rows(part):
            # .u8bin: uint32 rows, uint32 columns, then the rows (read by the Python workers,
            # which cannot import bench/datasets.py).
            header = np.fromfile(base_path, dtype=np.uint32, count=2)
            base = np.memmap(base_path, dtype=np.uint8, mode="r", offset=8,
                             shape=(int(header[0]), int(header[1])))
            for c in part:
                block = base[c * chunk:(c + 1) * chunk].astype(np.float32)
                for i, v in enumerate(block):
                    yield (c * chunk + i, v.tolist())
        chunks = (n + chunk - 1) // chunk
        rdd = spark.sparkContext.parallelize(range(chunks), chunks).mapPartitions(rows)
        df = spark.createDataFrame(rdd, "id bigint, features array<double>")
        df.select("id", F.col("features").cast("array<float>").alias("features")) \
          .write.mode("overwrite").parquet(out)
    return spark.read.parquet(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jars", required=True, help="hnswlib-rs-spark and hnswlib-rs jars, comma-separated")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--ef", type=int, default=64)
    ap.add_argument("--partitions", default="2,4,8")
    ap.add_argument("--threads", type=int, default=1, help="threads per Spark task (numThreads)")
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=os.path.join(datasets.ROOT, "bench-results"))
    args = ap.parse_args()

    import hnswlib_rs
    from pyspark.sql import SparkSession
    from hnswlib_rs.spark import JAVA17_OPTIONS, HnswSimilarity

    ds = datasets.DataSet("sift", args.n, args.nq, args.k, args.seed)
    paths = ds.prepare()
    datasets.log(ds.describe())
    base = datasets.load_bin(paths["base"], np.uint8)
    queries = datasets.load_bin(paths["queries"], np.uint8).astype(np.float32)
    gt = datasets.load_bin(paths["gt"], np.int32)
    # The squared distance of each query's k-th true neighbour (exact integers as floats).
    kth = np.sum((base[gt[:, args.k - 1]].astype(np.float32) - queries) ** 2, axis=1)

    results = {"data": ds.meta(), "params": vars(args), "cores": os.cpu_count(), "runs": []}

    # One index in this process, all cores: the reference.
    index = hnswlib_rs.Index("l2", ds.dim)
    index.init_index(args.n, M=args.m, ef_construction=args.ef_construction)
    t = time.perf_counter()
    index.add_items(base.astype(np.float32), np.arange(args.n))
    build = time.perf_counter() - t
    index.set_ef(args.ef)
    t = time.perf_counter()
    labels, distances = index.knn_query(queries, k=args.k)
    search = time.perf_counter() - t
    single = {"shards": 1, "build_s": build, "qps": args.nq / search, "recall": recall(gt, labels, args.k),
              "recall_ties": recall_ties(kth, distances, args.k)}
    results["single_index"] = single
    datasets.log(f"single index: build {build:.1f} s, {single['qps']:,.0f} QPS, recall {single['recall']:.4f}"
                 f" ({single['recall_ties']:.4f} counting ties)")
    del index, base

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers need this venv's numpy
    spark = (SparkSession.builder.master(args.master).appName("hnswlib-rs bench-spark")
             .config("spark.jars", args.jars)
             .config("spark.driver.extraJavaOptions", JAVA17_OPTIONS)
             .config("spark.driver.memory", args.driver_memory)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    items = base_parquet(spark, paths["base"], args.n,
                         os.path.join(os.path.dirname(paths["base"]), "spark-base.parquet"))
    query_df = spark.createDataFrame([(i, v.tolist()) for i, v in enumerate(queries)],
                                     "id bigint, features array<double>").cache()
    query_df.count()

    # Warm-up (JIT, the first jobs' set-up), not measured.
    HnswSimilarity(distanceFunction="l2", k=args.k, numPartitions=2).fit(items.limit(2000)) \
        .transform(query_df.limit(100)).count()

    for p in [int(x) for x in args.partitions.split(",")]:
        estimator = HnswSimilarity(distanceFunction="l2", k=args.k, m=args.m, ef=args.ef,
                                   efConstruction=args.ef_construction, numPartitions=p,
                                   numThreads=args.threads)
        t = time.perf_counter()
        model = estimator.fit(items)
        build = time.perf_counter() - t
        t = time.perf_counter()
        rows = model.transform(query_df).select("id", "prediction").collect()
        search = time.perf_counter() - t
        by_id = {r[0]: r[1] for r in rows}
        found = [by_id[i] for i in range(args.nq)]
        run = {"shards": p, "build_s": build, "qps": args.nq / search,
               "recall": recall(gt, [[nb[0] for nb in f] for f in found], args.k),
               "recall_ties": recall_ties(kth, [[nb[1] for nb in f] for f in found], args.k)}
        results["runs"].append(run)
        datasets.log(f"{p} shards: build {build:.1f} s, {run['qps']:,.0f} QPS, recall {run['recall']:.4f}"
                     f" ({run['recall_ties']:.4f} counting ties)")
    spark.stop()

    print(f"\n{ds.describe()}; M={args.m}, ef_construction={args.ef_construction}, ef={args.ef}, "
          f"{os.cpu_count()} cores, Spark {args.master}, {args.threads} thread(s) per task\n")
    print(f"| index | build (s) | queries/s | recall@{args.k} | counting ties |")
    print("|---|---:|---:|---:|---:|")
    for name, r in [("one index, in process", single)] + [(f"Spark, {r['shards']} shards", r)
                                                         for r in results["runs"]]:
        print(f"| {name} | {r['build_s']:.1f} | {r['qps']:,.0f} | {r['recall']:.4f} | {r['recall_ties']:.4f} |")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"spark-{ds.name}.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\n{os.path.relpath(path)}")


if __name__ == "__main__":
    main()
