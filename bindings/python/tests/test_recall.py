"""Search quality: self-recall of HNSW and exactness of BFIndex on 10k x 16."""

import numpy as np
import pytest

import hnswlib_rs
from conftest import brute_force

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(42).random((10_000, 16), dtype=np.float32)


@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_self_recall_at_ef_100(space, data):
    p = hnswlib_rs.Index(space, 16)
    p.init_index(len(data), M=16, ef_construction=200)
    p.add_items(data)
    p.set_ef(100)
    labels, _ = p.knn_query(data, k=1)
    assert (labels[:, 0] == np.arange(len(data))).mean() >= 0.99


def test_recall_at_10_against_exact(data):
    base, queries = data[:9000], data[9000:9500]
    p = hnswlib_rs.Index("l2", 16)
    p.init_index(len(base))
    p.add_items(base)
    p.set_ef(100)
    labels, _ = p.knn_query(queries, k=10)
    exact, _ = brute_force(base, queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(labels, exact)])
    assert recall >= 0.95


def test_bf_equals_numpy_on_10k(data):
    b = hnswlib_rs.BFIndex("l2", 16)
    b.init_index(len(data))
    b.add_items(data)
    queries = data[:200] + 0.05
    labels, dist = b.knn_query(queries, k=10)
    exact, exact_d = brute_force(data, queries, 10)
    np.testing.assert_allclose(dist, exact_d, rtol=1e-4, atol=1e-5)
    assert (labels == exact).mean() > 0.999
