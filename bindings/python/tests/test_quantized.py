"""Quantized indexes (quantization="sq8"/"sq4"): recall against exact search, exact
distances after re-ranking, files and pickles shared with unquantized indexes and pip
hnswlib, codes-only storage, and the errors of bad settings."""

import pickle

import numpy as np
import pytest

import hnswlib_rs
from conftest import brute_force

pytestmark = pytest.mark.timeout(300)

DIM = 48


def clustered(n, seed, dim=DIM, clusters=30):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, (clusters, dim)).astype(np.float32)
    return (centres[rng.integers(0, clusters, n)] + rng.uniform(-0.35, 0.35, (n, dim))).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def data():
    return clustered(4000, 1), clustered(200, 2)


def build(space, base, **kw):
    index = hnswlib_rs.Index(space, base.shape[1], **kw)
    index.init_index(len(base), M=12, ef_construction=100)
    index.add_items(base, np.arange(len(base)), num_threads=1)
    index.set_ef(40)
    return index


def recall(index, base, queries, space, **search):
    labels, _ = index.knn_query(queries, k=10, **search)
    exact, _ = brute_force(base, queries, 10, space)
    return np.mean([len(set(a) & set(b)) / 10 for a, b in zip(labels, exact)])


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
@pytest.mark.parametrize("mode", ["sq8", "sq4"])
def test_recall_matches_the_unquantized_index(space, mode, data):
    base, queries = data
    plain = build(space, base)
    quant = build(space, base, quantization=mode)
    assert quant.quantization == mode and plain.quantization == "none"
    # Construction scores exactly while the vectors are kept: the same graph.
    assert pickle.dumps(quant) != pickle.dumps(plain)  # the mode is in the state
    state_q, state_p = quant.__getstate__()[0], plain.__getstate__()[0]
    for key in ("data_level0", "link_lists", "element_levels", "label_lookup_external"):
        np.testing.assert_array_equal(state_q[key], state_p[key])
    r_plain, r_quant = recall(plain, base, queries, space), recall(quant, base, queries, space)
    assert r_quant >= r_plain - (0.01 if mode == "sq8" else 0.03), (r_quant, r_plain)


def test_reranked_distances_are_exact(data):
    base, queries = data
    index = build("l2", base, quantization="sq4")
    labels, dists = index.knn_query(queries[:20], k=5)
    exact = ((queries[:20, None, :] - base[labels.astype(np.int64)]) ** 2).sum(-1)
    np.testing.assert_allclose(dists, exact, rtol=1e-4, atol=1e-4)


def test_rerank_depth_is_settable_and_checked(data):
    base, queries = data
    index = build("cosine", base, quantization="sq4")
    assert index.rerank == 4.0
    index.set_rerank(1)
    shallow = recall(index, base, queries, "cosine")
    index.rerank = 6
    assert index.rerank == 6.0
    deep = recall(index, base, queries, "cosine")
    assert deep > shallow
    # Per call, single and batch; the index's depth stays.
    assert recall(index, base, queries, "cosine", rerank=1) == shallow
    single = [index.knn_query(q, k=10, rerank=1)[0][0] for q in queries[:20]]
    np.testing.assert_array_equal(single, index.knn_query(queries[:20], k=10, rerank=1)[0])
    assert index.rerank == 6.0 and recall(index, base, queries, "cosine") == deep
    with pytest.raises(ValueError, match="rerank"):
        index.set_rerank(float("nan"))
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rerank"):
            index.knn_query(queries[:2], k=10, rerank=bad)
        with pytest.raises(ValueError, match="rerank"):
            index.knn_query(queries[0], k=10, rerank=bad)


def test_files_cross_with_pip_hnswlib(tmp_path, data):
    hnswlib = pytest.importorskip("hnswlib")
    base, queries = data
    theirs = hnswlib.Index("cosine", DIM)
    theirs.init_index(len(base), M=12, ef_construction=100)
    theirs.add_items(base, np.arange(len(base)), num_threads=1)
    path = str(tmp_path / "theirs.bin")
    theirs.save_index(path)
    ours = hnswlib_rs.Index("cosine", DIM, quantization="sq8")
    ours.load_index(path)
    ours.set_ef(40)
    theirs.set_ef(40)
    assert recall(ours, base, queries, "cosine") >= recall(theirs, base, queries, "cosine") - 0.01
    back = str(tmp_path / "ours.bin")
    ours.save_index(back)
    assert open(back, "rb").read() == open(path, "rb").read()
    again = hnswlib.Index("cosine", DIM)
    again.load_index(back)
    assert again.get_current_count() == len(base)


def test_pickles_keep_the_mode(data):
    base, queries = data
    index = build("l2", base, quantization="sq8")
    index.set_rerank(3)
    copy = pickle.loads(pickle.dumps(index))
    assert copy.quantization == "sq8"
    a, _ = index.knn_query(queries, k=10)
    b, _ = copy.knn_query(queries, k=10)
    np.testing.assert_array_equal(a, b)
    deep = hnswlib_rs.Index(index)
    assert deep.quantization == "sq8" and deep.rerank == 3.0


def test_codes_only_index(tmp_path, data):
    base, queries = data
    index = build("l2", base, quantization="sq8", keep_vectors=False)
    assert recall(index, base, queries, "l2") >= 0.85
    item = index.get_items([5])[0]
    assert 0 < np.abs(item - base[5]).max() < 0.02
    with pytest.raises(RuntimeError, match="codes-only"):
        index.save_index(str(tmp_path / "x.bin"))
    assert not (tmp_path / "x.bin").exists()
    with pytest.raises(TypeError, match="codes-only"):
        pickle.dumps(index)


def test_small_indexes_search_exactly_until_trained():
    base = clustered(500, 3)
    index = build("l2", base, quantization="sq8")
    labels, dists = index.knn_query(base[:10], k=1)
    np.testing.assert_array_equal(labels[:, 0], np.arange(10))
    np.testing.assert_array_equal(dists[:, 0], 0)


def test_bad_settings_are_errors():
    with pytest.raises(ValueError, match="sq8"):
        hnswlib_rs.Index("l2", 8, quantization="pq16")
    with pytest.raises(ValueError, match="l2"):
        hnswlib_rs.Index("custom", 8, distance=lambda a, b: 0.0, quantization="sq8")
