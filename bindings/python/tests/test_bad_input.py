"""Bad input at every entry point of Index and BFIndex: each case raises a specific
Python exception with a message, never crashes or answers wrongly. The README's
"Reliability" table lists what these tests assert."""

import numpy as np
import pytest

import hnswlib_rs

DIM = 4


def _hnsw(n=10, max_elements=20):
    p = hnswlib_rs.Index("l2", DIM)
    p.init_index(max_elements)
    if n:
        p.add_items(np.random.default_rng(0).random((n, DIM), dtype=np.float32), np.arange(n))
    return p


def _bf(n=10, max_elements=20):
    b = hnswlib_rs.BFIndex("l2", DIM)
    b.init_index(max_elements)
    if n:
        b.add_items(np.random.default_rng(0).random((n, DIM), dtype=np.float32), np.arange(n))
    return b


MAKERS = {"Index": _hnsw, "BFIndex": _bf}
DOCS = np.arange(20) // 2  # two labels per document


@pytest.fixture(params=sorted(MAKERS))
def make(request):
    return MAKERS[request.param]


# The search entry points of both classes, as f(index, data, k).
SEARCHES = {
    "knn_query": lambda i, x, k=1: i.knn_query(x, k=k),
    "range_query": lambda i, x, k=1: i.range_query(x, 0.5),
    "knn_query_docs": lambda i, x, k=1: i.knn_query_docs(x, k=k, doc_ids=DOCS),
}


@pytest.fixture(params=sorted(SEARCHES))
def search(request):
    return SEARCHES[request.param]


def test_wrong_dtype(make, search):
    i = make()
    with pytest.raises(ValueError, match="could not convert string to float"):
        i.add_items([["a", "b", "c", "d"]])
    with pytest.raises(ValueError, match="could not convert string to float"):
        search(i, [["a", "b", "c", "d"]])
    with pytest.raises(ValueError, match="invalid literal"):
        i.add_items(np.zeros((1, DIM)), ids=["x"])
    cplx = np.ones((1, DIM), dtype=np.complex64)
    with pytest.raises(TypeError, match="complex input is not supported"):
        i.add_items(cplx, ids=[100])
    with pytest.raises(TypeError, match="complex input is not supported"):
        search(i, cplx)
    with pytest.raises(TypeError, match="complex input is not supported"):
        i.add_items(np.zeros((1, DIM)), ids=np.array([1j]))
    with pytest.raises(TypeError):
        i.knn_query(np.zeros(DIM), k=1.5)
    with pytest.raises(TypeError):
        i.get_items([object()])
    assert i.get_current_count() == 10


def test_wrong_shape_or_dimension(make, search):
    i = make()
    with pytest.raises(RuntimeError, match="Wrong dimensionality of the vectors"):
        i.add_items(np.zeros((2, DIM + 1)))
    with pytest.raises(RuntimeError, match="Wrong dimensionality of the vectors"):
        search(i, np.zeros((2, DIM - 1)))
    with pytest.raises(RuntimeError, match="Number of dimensions 3"):
        i.add_items(np.zeros((2, DIM, 1)))
    with pytest.raises(RuntimeError, match="Number of dimensions 3"):
        search(i, np.zeros((2, DIM, 1)))
    with pytest.raises(RuntimeError, match="The input label shape"):
        i.add_items(np.zeros((2, DIM)), ids=[1, 2, 3])
    assert i.get_current_count() == 10


def test_empty_input(make):
    i = make()
    i.add_items(np.zeros((0, DIM)))  # nothing to add
    assert i.get_current_count() == 10
    labels, dist = i.knn_query(np.zeros((0, DIM)), k=3)
    assert labels.shape == (0, 3) and dist.shape == (0, 3)
    # range and document queries take at least one row (the engine's check)
    with pytest.raises(ValueError, match="Empty input"):
        i.range_query(np.zeros((0, DIM)), 1.0)
    with pytest.raises(ValueError, match="Empty input"):
        i.knn_query_docs(np.zeros((0, DIM)), doc_ids=DOCS)
    assert i.get_items([]).shape == (0,)
    # a 1-D empty array is one row of width 0
    with pytest.raises(RuntimeError, match="Wrong dimensionality of the vectors"):
        i.knn_query(np.zeros(0))
    with pytest.raises(RuntimeError, match="Cannot return the results"):
        MAKERS[type(i).__name__](n=0).knn_query(np.zeros(DIM))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinity(make, search, bad):
    i = make()
    row = np.array([[bad, 0, 0, 0]], dtype=np.float32)
    with pytest.raises(ValueError, match="NaN or infinity"):
        i.add_items(row, ids=[100])
    with pytest.raises(ValueError, match="NaN or infinity"):
        search(i, row)
    assert i.get_current_count() == 10


def test_k_below_one_and_above_the_count(make):
    i = make()
    # k=0 answers with (n, 0) arrays, as pip hnswlib does
    labels, dist = i.knn_query(np.zeros((2, DIM)), k=0)
    assert labels.shape == (2, 0) and dist.shape == (2, 0)
    with pytest.raises(OverflowError):
        i.knn_query(np.zeros(DIM), k=-1)
    with pytest.raises(OverflowError):
        i.knn_query_docs(np.zeros(DIM), k=-1, doc_ids=DOCS)
    with pytest.raises(ValueError, match="k must be at least 1"):
        i.knn_query_docs(np.zeros(DIM), k=0, doc_ids=DOCS)
    with pytest.raises(RuntimeError, match="Cannot return the results in a contiguous 2D array"):
        i.knn_query(np.zeros((2, DIM)), k=11)
    with pytest.raises(RuntimeError, match="fewer than k = 6 documents"):
        i.knn_query_docs(np.zeros(DIM), k=6, doc_ids=DOCS)
    with pytest.raises(ValueError, match="max_results"):
        i.range_query(np.zeros(DIM), 1.0, max_results=0)


def test_none_where_an_object_is_expected(make, search):
    i = make()
    with pytest.raises(RuntimeError, match="Number of dimensions 0"):
        search(i, None)
    with pytest.raises(RuntimeError, match="Number of dimensions 0"):
        i.add_items(None)
    with pytest.raises(TypeError, match="knn_query_docs needs doc_ids"):
        i.knn_query_docs(np.zeros(DIM))
    with pytest.raises(TypeError):
        i.save_index(None)
    with pytest.raises(TypeError):
        i.load_index(None)
    with pytest.raises(TypeError):
        i.resize_index(None)
    assert i.get_current_count() == 10


def test_unknown_label():
    p = _hnsw()
    for f in (p.mark_deleted, p.unmark_deleted, lambda label: p.get_items([label])):
        with pytest.raises(RuntimeError, match="Label not found"):
            f(99)
    with pytest.raises(OverflowError):
        p.mark_deleted(-1)
    b = _bf()
    for f in (b.delete_vector, lambda label: b.get_items([label])):
        with pytest.raises(RuntimeError, match="Label not found"):
            f(99)


def test_uninitialized_index(make):
    # Python indexes have no close(): the object lives as long as a reference does
    # (del only drops one). The unusable state is an index without init_index/load_index.
    cls = type(make(n=0))
    i = cls("l2", DIM)
    calls = [
        lambda: i.add_items(np.zeros((1, DIM))),
        lambda: i.knn_query(np.zeros(DIM)),
        lambda: i.range_query(np.zeros(DIM), 1.0),
        lambda: i.knn_query_docs(np.zeros(DIM), doc_ids=DOCS),
        lambda: i.get_items([0]),
        lambda: i.get_ids_list(),
        lambda: i.save_index("never-written.bin"),
        lambda: i.resize_index(10),
        lambda: i.get_max_elements(),
        lambda: i.get_current_count(),
    ]
    if cls is hnswlib_rs.Index:
        calls += [lambda: i.mark_deleted(0), lambda: i.unmark_deleted(0), lambda: i.set_rerank(2.0)]
    else:
        calls += [lambda: i.delete_vector(0)]
    for call in calls:
        with pytest.raises(RuntimeError, match="not initialized"):
            call()
    assert len(i) == 0


def test_missing_or_corrupted_file(make, tmp_path):
    i = make()
    with pytest.raises(RuntimeError, match="Cannot open file"):
        i.load_index(tmp_path / "missing.bin")
    with pytest.raises(RuntimeError, match="Cannot open file"):
        i.load_index(tmp_path)  # a directory
    path = tmp_path / "index.bin"
    i.save_index(path)
    raw = path.read_bytes()
    (tmp_path / "short.bin").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "garbage.bin").write_bytes(b"\xff" * len(raw))
    (tmp_path / "empty.bin").write_bytes(b"")
    for name in ("short.bin", "garbage.bin", "empty.bin"):
        with pytest.raises(RuntimeError, match="corrupted|does not match"):
            i.load_index(tmp_path / name)
    assert i.get_current_count() == 10  # a failed load leaves the index as it was
    with pytest.raises(RuntimeError):
        i.save_index(tmp_path / "no-such-dir" / "index.bin")
