"""hnswlib_rs.BFIndex: exact search, hnswlib's API, and what hnswlib gets wrong."""

import pickle

import numpy as np
import pytest

import hnswlib_rs
from conftest import brute_force


def make_bf(space="l2", dim=8, n=300, seed=0):
    data = np.random.default_rng(seed).random((n, dim), dtype=np.float32)
    b = hnswlib_rs.BFIndex(space, dim)
    b.init_index(n)
    b.add_items(data, np.arange(n))
    return b, data


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_equal_to_numpy_brute_force(space, rng):
    b, data = make_bf(space)
    q = rng.random((40, 8), dtype=np.float32)
    labels, dist = b.knn_query(q, k=10)
    assert labels.dtype == np.uint64 and dist.dtype == np.float32 and labels.shape == (40, 10)
    exact, exact_d = brute_force(data, q, 10, space)
    np.testing.assert_allclose(dist, exact_d, rtol=1e-4, atol=1e-5)
    # labels agree except where two distances tie within float error
    assert (labels == exact).mean() > 0.99


def test_api_and_properties(tmp_path):
    b = hnswlib_rs.BFIndex("l2", 4)
    assert repr(b) == "<hnswlib_rs.BFIndex(space='l2', dim=4)>"
    assert (b.space, b.dim, b.max_elements, b.element_count, len(b)) == ("l2", 4, 0, 0, 0)
    with pytest.raises(RuntimeError, match="not initialized"):
        b.knn_query(np.zeros(4))
    with pytest.raises(RuntimeError, match="not initialized"):
        b.get_max_elements()
    b.init_index(5)
    with pytest.raises(RuntimeError, match="The index is already initiated."):
        b.init_index(5)
    b.add_items(np.zeros((2, 4)))
    b.add_items(np.ones((2, 4)))  # automatic labels continue: 2, 3
    assert b.get_ids_list() == [0, 1, 2, 3]
    assert (b.get_current_count(), b.get_max_elements(), len(b)) == (4, 5, 4)
    b.add_items(np.full(4, 7.0), ids=1)  # overwrite in place
    np.testing.assert_array_equal(b.get_items([1]), [[7.0] * 4])
    with pytest.raises(RuntimeError, match="The number of elements exceeds the specified limit"):
        b.add_items(np.zeros((2, 4)), ids=[10, 11])
    assert b.get_current_count() == 4  # a batch that does not fit adds nothing
    b.delete_vector(0)
    assert b.get_ids_list() == [1, 2, 3]
    with pytest.raises(RuntimeError, match="Label not found"):
        b.delete_vector(0)
    b.num_threads = 1
    assert b.num_threads == 1
    b.set_num_threads(2)
    assert b.num_threads == 2
    b.resize_index(10)
    assert b.get_max_elements() == 10


def test_errors_where_hnswlib_misbehaves(tmp_path):
    b, data = make_bf(dim=4, n=5)
    with pytest.raises(RuntimeError, match="There are not enough elements"):
        b.knn_query(data[0], k=6)  # hnswlib returns garbage labels here
    with pytest.raises(RuntimeError, match="Wrong dimensionality"):
        b.knn_query(np.zeros((1, 5)))  # hnswlib does not check
    with pytest.raises(RuntimeError, match="Cannot open file"):
        b.load_index(tmp_path / "missing.bin")  # hnswlib "loads" an empty index
    assert b.get_current_count() == 5
    with pytest.raises(RuntimeError, match="There are not enough elements"):
        b.knn_query(data[0], k=3, filter=lambda label: label == 2)
    labels, _ = b.knn_query(data[0], k=1, filter=lambda label: label == 2)
    assert labels[0, 0] == 2


def test_cosine_queries_are_normalised():
    b = hnswlib_rs.BFIndex("cosine", 3)
    b.init_index(2)
    b.add_items([[1.0, 0, 0], [0, 1.0, 0]])
    _, dist = b.knn_query([[10.0, 0, 0]], k=2)
    np.testing.assert_allclose(dist, [[0.0, 1.0]], atol=1e-6)


def test_save_load_and_pickle(tmp_path):
    b, data = make_bf(dim=6, n=50)
    path = tmp_path / "bf.bin"
    b.save_index(str(path))
    c = hnswlib_rs.BFIndex("l2", 6)
    c.load_index(path, max_elements=80)
    assert (c.get_current_count(), c.get_max_elements()) == (50, 80)
    np.testing.assert_array_equal(c.knn_query(data, k=3)[0], b.knn_query(data, k=3)[0])
    c.add_items(np.zeros(6))  # automatic label after the loaded count
    assert 50 in c.get_ids_list()
    wrong = hnswlib_rs.BFIndex("l2", 5)
    with pytest.raises(RuntimeError, match="does not match"):
        wrong.load_index(path)
    (tmp_path / "short.bin").write_bytes(path.read_bytes()[:-3])
    with pytest.raises(RuntimeError, match="corrupted"):
        c.load_index(tmp_path / "short.bin")
    p = pickle.loads(pickle.dumps(b))
    assert (p.space, p.dim, p.get_current_count()) == ("l2", 6, 50)
    np.testing.assert_array_equal(p.knn_query(data, k=3)[0], b.knn_query(data, k=3)[0])
    u = pickle.loads(pickle.dumps(hnswlib_rs.BFIndex("ip", 2)))
    assert (u.space, u.dim, u.max_elements) == ("ip", 2, 0)
    with pytest.raises(RuntimeError, match="Invalid state!"):
        p.__setstate__(())


def test_filters_mask_and_labels():
    b, data = make_bf(dim=4, n=100)
    allowed = np.array([5, 17, 42, 99])
    labels, _ = b.knn_query(data[:10], k=4, filter=allowed)
    assert all(set(row) == set(allowed) for row in labels)
    mask = np.zeros(100, bool)
    mask[allowed] = True
    labels2, _ = b.knn_query(data[:10], k=4, filter=mask)
    np.testing.assert_array_equal(labels, labels2)
    labels3, _ = b.knn_query(data[:10], k=4, filter=lambda label: label in set(allowed))
    np.testing.assert_array_equal(labels, labels3)
