"""range_query (FAISS's lims layout) and knn_query_docs (multi-vector documents) on
Index and BFIndex: exact on BFIndex against numpy, high recall on Index, filters,
quantized indexes, and bad input."""

import math

import numpy as np
import pytest

import hnswlib_rs


def data_and_indexes(n=2000, dim=8, seed=5, quantization=None):
    data = np.random.default_rng(seed).random((n, dim), dtype=np.float32)
    kw = {} if quantization is None else {"quantization": quantization}
    index = hnswlib_rs.Index("l2", dim, **kw)
    index.init_index(n)
    index.add_items(data, np.arange(n))
    bf = hnswlib_rs.BFIndex("l2", dim)
    bf.init_index(n)
    bf.add_items(data, np.arange(n))
    return data, index, bf


def numpy_range(data, q, eps):
    d = ((data - q) ** 2).sum(-1)
    order = np.lexsort((np.arange(len(d)), d))
    return [i for i in order if d[i] <= eps], d


def rows(lims, labels, distances):
    return [(labels[lims[i] : lims[i + 1]], distances[lims[i] : lims[i + 1]]) for i in range(len(lims) - 1)]


def test_bf_range_is_exact_in_faiss_layout(rng):
    data, _, bf = data_and_indexes()
    q = rng.random((15, 8), dtype=np.float32)
    lims, labels, dist = bf.range_query(q, 0.3)
    assert lims.dtype == np.int64 and labels.dtype == np.uint64 and dist.dtype == np.float32
    assert lims.shape == (16,) and lims[0] == 0 and lims[-1] == len(labels) == len(dist)
    for i, (l, d) in enumerate(rows(lims, labels, dist)):
        want, all_d = numpy_range(data, q[i], 0.3)
        assert list(l) == want
        np.testing.assert_allclose(d, all_d[want], rtol=1e-5, atol=1e-6)
    # max_results keeps the closest of each row.
    lims2, labels2, _ = bf.range_query(q, 0.3, max_results=2)
    for i, (l, _) in enumerate(rows(lims2, labels2, dist)):
        assert list(l) == list(rows(lims, labels, dist)[i][0][:2])
    # One 1-D query is one row.
    one = bf.range_query(q[0], 0.3)
    assert list(one[1]) == list(rows(lims, labels, dist)[0][0])


def test_index_range_recall_and_filter(rng):
    data, index, bf = data_and_indexes()
    q = rng.random((30, 8), dtype=np.float32)
    exact = rows(*bf.range_query(q, 0.3))
    approx = rows(*index.range_query(q, 0.3, min_candidates=200, num_threads=2))
    total = sum(len(e[0]) for e in exact)
    found = sum(len(set(a[0]) & set(e[0])) for a, e in zip(approx, exact))
    assert total > 100
    assert found / total > 0.95
    assert all((a[1] <= 0.3).all() for a in approx)
    # Filters: a callable, a boolean mask, an allow-list.
    even = lambda l: l % 2 == 0  # noqa: E731
    mask = np.arange(2000) % 2 == 0
    allowed = np.arange(0, 2000, 2)
    for f in (even, mask, allowed):
        for idx in (index, bf):
            _, labels, _ = idx.range_query(q, 0.3, filter=f, num_threads=1)
            assert (labels % 2 == 0).all()
    _, labels_f, _ = bf.range_query(q, 0.3, filter=mask)
    assert len(labels_f) == sum((e[0] % 2 == 0).sum() for e in exact)


def test_quantized_range_uses_exact_distances(rng):
    data, index, bf = data_and_indexes(n=3000, quantization="sq8")
    q = rng.random((10, 8), dtype=np.float32)
    exact = rows(*bf.range_query(q, 0.3))
    approx = rows(*index.range_query(q, 0.3, min_candidates=300))
    for (al, ad), (el, ed) in zip(approx, exact):
        truth = dict(zip(el.tolist(), ed.tolist()))
        for l, d in zip(al.tolist(), ad.tolist()):
            assert l in truth and math.isclose(d, truth[l], rel_tol=1e-5, abs_tol=1e-6)


def test_range_bad_input():
    _, index, bf = data_and_indexes(n=100)
    q = np.zeros(8, dtype=np.float32)
    for idx in (index, bf):
        with pytest.raises(ValueError, match="NaN"):
            idx.range_query(q, float("nan"))
        with pytest.raises(ValueError, match="at least 0"):
            idx.range_query(q, -1.0)
        with pytest.raises(ValueError, match="max_results"):
            idx.range_query(q, 1.0, max_results=0)
        with pytest.raises(RuntimeError, match="dimensionality"):
            idx.range_query(np.zeros(7, dtype=np.float32), 1.0)
    with pytest.raises(RuntimeError):
        hnswlib_rs.Index("l2", 8).range_query(q, 1.0)
    with pytest.raises(ZeroDivisionError):
        index.range_query(q, 1.0, filter=lambda l: 1 / 0, num_threads=1)


def test_docs_exact_on_bf_and_recall_on_index(rng):
    data, index, bf = data_and_indexes()
    docs = np.random.default_rng(9).integers(0, 70, size=2000)
    q = rng.random((25, 8), dtype=np.float32)
    d_bf, l_bf, x_bf = bf.knn_query_docs(q, k=5, doc_ids=docs)
    d_ix, l_ix, x_ix = index.knn_query_docs(q, k=5, doc_ids=docs, ef_collection=20)
    assert d_bf.shape == l_bf.shape == x_bf.shape == (25, 5)
    assert d_bf.dtype == np.uint64 and x_bf.dtype == np.float32
    same = 0
    for i in range(25):
        dist = ((data - q[i]) ** 2).sum(-1)
        best = {}
        for label in np.argsort(dist, kind="stable"):
            best.setdefault(int(docs[label]), int(label))
        want = list(best)[:5]
        assert list(d_bf[i]) == want
        assert list(l_bf[i]) == [best[d] for d in want]
        assert (docs[l_ix[i]] == d_ix[i]).all()
        same += len(set(d_ix[i]) & set(want))
    assert same / 125 > 0.95
    # A dict works too, and labels without a document never come back.
    as_dict = {int(l): int(docs[l]) for l in range(0, 2000, 2)}
    d2, l2, _ = index.knn_query_docs(q, k=3, doc_ids=as_dict)
    assert (l2 % 2 == 0).all()
    neg = np.where(np.arange(2000) % 2 == 0, docs, -1)
    _, l3, _ = bf.knn_query_docs(q, k=3, doc_ids=neg)
    assert (l3 % 2 == 0).all()


def test_docs_bad_input():
    _, index, bf = data_and_indexes(n=100)
    q = np.zeros(8, dtype=np.float32)
    docs = np.arange(100) % 4
    for idx in (index, bf):
        with pytest.raises(TypeError, match="doc_ids"):
            idx.knn_query_docs(q, k=2)
        with pytest.raises(TypeError, match="doc_ids"):
            idx.knn_query_docs(q, k=2, doc_ids=np.zeros((2, 2), dtype=np.int64))
        with pytest.raises(ValueError, match="at least 1"):
            idx.knn_query_docs(q, k=0, doc_ids=docs)
        with pytest.raises(RuntimeError, match="fewer than k"):
            idx.knn_query_docs(q, k=5, doc_ids=docs)
        with pytest.raises(RuntimeError, match="dimensionality"):
            idx.knn_query_docs(np.zeros(3, dtype=np.float32), k=2, doc_ids=docs)
