"""hnswlib_rs.spark on a local Spark (local[2]): recall, filters, persistence, bad input.

Runs when pyspark is installed and HNSWLIB_SPARK_JARS names the jars (comma-separated:
hnswlib-rs-spark and hnswlib-rs), as `make test-python-spark` does; skipped otherwise.
"""

import os

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark")
JARS = os.environ.get("HNSWLIB_SPARK_JARS")
if not JARS:
    pytest.skip("HNSWLIB_SPARK_JARS is not set (make test-python-spark sets it)",
                allow_module_level=True)

import hnswlib_rs  # noqa: E402
from pyspark.ml.linalg import Vectors  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402

from hnswlib_rs.spark import JAVA17_OPTIONS, HnswSimilarity, HnswSimilarityModel  # noqa: E402

pytestmark = pytest.mark.timeout(600)

N, DIM, QUERIES, K, M, EF = 3000, 16, 300, 10, 8, 12


@pytest.fixture(scope="module")
def spark():
    session = (SparkSession.builder.master("local[2]")
               .appName("hnswlib_rs.spark tests")
               .config("spark.jars", JARS)
               .config("spark.driver.extraJavaOptions", JAVA17_OPTIONS)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def clustered(n, dim, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    return (centres[rng.integers(0, 20, n)]
            + 0.6 * rng.standard_normal((n, dim))).astype(np.float32)


def frame(spark, vectors, first_id=0, kind="array"):
    def features(v):
        return Vectors.dense(v.tolist()) if kind == "vector" else v.tolist()
    return spark.createDataFrame([(first_id + i, features(v)) for i, v in enumerate(vectors)],
                                 ["id", "features"])


def cosine_truth(items, queries, k):
    a = items / np.linalg.norm(items, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    return np.argsort(-(q @ a.T), axis=1)[:, :k]


def recall(truth, found):
    return np.mean([len(set(t) & set(f)) / len(t) for t, f in zip(truth, found)])


def found_ids(model, queries_df):
    rows = model.transform(queries_df).select("id", model.getPredictionCol()).collect()
    by_id = {r[0]: [n["id"] for n in r[1]] for r in rows}
    return [by_id[i] for i in range(len(by_id))]


@pytest.fixture(scope="module")
def data():
    return clustered(N, DIM, 1), clustered(QUERIES, DIM, 2)


@pytest.fixture(scope="module")
def model(spark, data):
    items, _ = data
    return HnswSimilarity(k=K, m=M, ef=EF, efConstruction=100, numPartitions=4).fit(
        frame(spark, items))


def test_sharded_recall_is_at_least_single_index_recall(spark, data, model):
    items, queries = data
    truth = cosine_truth(items, queries, K)
    single = hnswlib_rs.Index("cosine", DIM)
    single.init_index(N, M=M, ef_construction=100)
    single.add_items(items, np.arange(N))
    single.set_ef(EF)
    single_labels, _ = single.knn_query(queries, k=K)
    single_recall = recall(truth, single_labels)
    sharded_recall = recall(truth, found_ids(model, frame(spark, queries)))
    print(f"recall@{K}: sharded (4 shards) {sharded_recall:.4f}, single index {single_recall:.4f}")
    assert model.numShards == 4 and model.size == N and model.dim == DIM
    assert single_recall < 1.0
    assert sharded_recall >= single_recall - 0.01


def test_vectors_and_arrays_agree_and_options_work(spark, data, model):
    _, queries = data
    arrays = found_ids(model, frame(spark, queries))
    assert found_ids(model, frame(spark, queries, kind="vector")) == arrays
    model.setNumReplicas(1).setNumThreads(2)
    try:
        assert found_ids(model, frame(spark, queries)) == arrays
    finally:
        model.setNumReplicas(0).setNumThreads(1)


def test_exclude_self_and_threshold(spark, data, model):
    items, _ = data
    some = frame(spark, items[:100])
    model.setExcludeSelf(True)
    try:
        rows = model.transform(some).collect()
    finally:
        model.setExcludeSelf(False)
    assert all(len(r.prediction) == K and r.id not in [n.id for n in r.prediction] for r in rows)
    model.setSimilarityThreshold(0.05)
    try:
        rows = model.transform(some).collect()
    finally:
        model.clear(model.similarityThreshold)
    assert all(n.distance <= 0.05 for r in rows for n in r.prediction)
    assert any(len(r.prediction) < K for r in rows)


def test_filter_col(spark, data, model):
    items, queries = data
    rng = np.random.default_rng(3)
    lists = [None if q % 10 == 0 else [] if q == 3
             else sorted(int(i) for i in rng.choice(N, int(rng.integers(N // 20, N // 3)), replace=False))
             for q in range(QUERIES)]
    lists[7] = [5, 900, 2999]
    df = spark.createDataFrame([(q, v.tolist(), lists[q]) for q, v in enumerate(queries)],
                               "id bigint, features array<float>, allowed array<bigint>")
    model.setFilterCol("allowed").setEf(40)
    try:
        assert model.getFilterCol() == "allowed"
        found = found_ids(model, df)
        with pytest.raises(Exception, match=r"Column 'allowed' \(filterCol\) is not in the input"):
            model.transform(frame(spark, queries))
        with pytest.raises(Exception, match=r"\(filterCol\) must be an array of the identifiers"):
            model.transform(df.withColumn("allowed", df.id.cast("string")))
    finally:
        model.clear(model.filterCol)
        model.setEf(EF)
    assert model.getFilterCol() is None
    a = items / np.linalg.norm(items, axis=1, keepdims=True)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = []
    for q, allowed in enumerate(lists):
        ids = np.arange(N) if allowed is None else np.array(allowed, dtype=np.int64)
        sims = a[ids] @ qn[q] if len(ids) else np.zeros(0)
        truth.append(ids[np.argsort(-sims)[:K]].tolist())
        if allowed is not None:
            assert set(found[q]) <= set(allowed), f"query {q} returned ids outside its allow-list"
        assert len(found[q]) == len(truth[q])
    assert found[3] == [] and sorted(found[7]) == [5, 900, 2999]
    filtered = [q for q in range(QUERIES) if lists[q]]
    r = recall([truth[q] for q in filtered], [found[q] for q in filtered])
    print(f"recall@{K} with allow-lists (4 shards, ef 40): {r:.4f}")
    assert r >= 0.95
    # Set on the estimator (a keyword or the setter), it passes to the model.
    estimator = HnswSimilarity(filterCol="allowed", numPartitions=2)
    assert estimator.getFilterCol() == "allowed"
    assert estimator.setFilterCol("allow").getFilterCol() == "allow"
    assert estimator.fit(frame(spark, items[:200])).getFilterCol() == "allow"


def test_save_and_load(spark, data, model, tmp_path):
    _, queries = data
    path = str(tmp_path / "model")
    model.write().save(path)
    loaded = HnswSimilarityModel.load(path)
    assert isinstance(loaded, HnswSimilarityModel)
    assert loaded.uid == model.uid and loaded.getK() == K and loaded.numShards == 4
    assert found_ids(loaded, frame(spark, queries)) == found_ids(model, frame(spark, queries))

    estimator = HnswSimilarity(distanceFunction="l2", k=3, numPartitions=2, excludeSelf=True,
                               similarityThreshold=2.5)
    estimator.save(str(tmp_path / "estimator"))
    again = HnswSimilarity.load(str(tmp_path / "estimator"))
    assert (again.getDistanceFunction(), again.getK(), again.getNumPartitions()) == ("l2", 3, 2)
    assert again.getExcludeSelf() and again.getSimilarityThreshold() == 2.5
    assert again.getIndexDir() is None


def test_pipeline_save_and_load(spark, data, tmp_path):
    """Inside a Pipeline: pyspark loads each stage by its JVM class name."""
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.ml.feature import SQLTransformer

    items, queries = data
    scale = SQLTransformer(statement="SELECT id, transform(features, x -> 2 * x) AS features"
                                     " FROM __THIS__")
    pipeline = Pipeline(stages=[scale, HnswSimilarity(k=K, m=M, ef=EF, numPartitions=2)])
    pipeline.save(str(tmp_path / "pipeline"))
    stages = Pipeline.load(str(tmp_path / "pipeline")).getStages()
    assert isinstance(stages[1], HnswSimilarity) and stages[1].getNumPartitions() == 2

    fitted = pipeline.fit(frame(spark, items))
    fitted.save(str(tmp_path / "fitted"))
    loaded = PipelineModel.load(str(tmp_path / "fitted"))
    assert isinstance(loaded.stages[1], HnswSimilarityModel)
    assert loaded.stages[1].numShards == 2 and loaded.stages[1].getK() == K

    def neighbours(pipeline_model):
        rows = pipeline_model.transform(frame(spark, queries)).select("id", "prediction").collect()
        return sorted((r[0], [n["id"] for n in r[1]]) for r in rows)

    assert neighbours(loaded) == neighbours(fitted)
    assert len(neighbours(loaded)) == QUERIES


def test_string_identifiers(spark, data, tmp_path):
    """String ids: numbered per shard, named in the results, filtered and excluded by name."""
    items, queries = data
    name = [f"item-é-{i:05d}" for i in range(N)]
    df = spark.createDataFrame([(name[i], v.tolist()) for i, v in enumerate(items)], ["id", "features"])
    model = HnswSimilarity(k=K, m=M, ef=EF, efConstruction=100, numPartitions=3).fit(df)
    assert model.identifierType == "string" and model.size == N

    truth = cosine_truth(items, queries, K)
    qdf = spark.createDataFrame([(f"q{i}", v.tolist()) for i, v in enumerate(queries)], ["id", "features"])
    rows = model.transform(qdf).select("id", "prediction").collect()
    found = {r[0]: [int(n["id"].rsplit("-", 1)[1]) for n in r[1]] for r in rows}
    assert recall(truth, [found[f"q{i}"] for i in range(QUERIES)]) >= 0.9

    # Each of the first 50 items queries with its own name excluded and an allow-list of names.
    allowed = [[name[j] for j in range(N) if (j + i) % 4 == 0] + ["no-such-item"] for i in range(50)]
    fdf = spark.createDataFrame([(name[i], items[i].tolist(), allowed[i]) for i in range(50)],
                                ["id", "features", "allowed"])
    filtered = model.copy().setExcludeSelf(True).setFilterCol("allowed")
    for r in filtered.transform(fdf).select("id", "prediction").collect():
        i = int(r[0].rsplit("-", 1)[1])
        got = [n["id"] for n in r[1]]
        assert len(got) == K and r[0] not in got and set(got) <= set(allowed[i])

    model.save(str(tmp_path / "named"))
    loaded = HnswSimilarityModel.load(str(tmp_path / "named"))
    assert loaded.identifierType == "string"
    again = {r[0]: [n["id"] for n in r[1]] for r in loaded.transform(qdf).select("id", "prediction").collect()}
    assert again == {r[0]: [n["id"] for n in r[1]] for r in rows}


def test_bad_input(spark, data, model):
    items, _ = data
    df = frame(spark, items[:50])
    with pytest.raises(Exception, match=r"Column 'vec' \(featuresCol\) is not in the input"):
        HnswSimilarity(featuresCol="vec").fit(df)
    with pytest.raises(Exception, match="Vector of dimension 3 in column 'features'"):
        model.transform(frame(spark, items[:5, :3])).collect()
    with_null = spark.createDataFrame([(1, [1.0, 2.0]), (2, None)], "id bigint, features array<double>")
    with pytest.raises(Exception, match="Null vector in column 'features'"):
        HnswSimilarity().fit(with_null)
    with pytest.raises(Exception, match="Unknown distanceFunction 'manhattan'"):
        HnswSimilarity(distanceFunction="manhattan").fit(df)
