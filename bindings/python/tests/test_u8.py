"""uint8 vectors: Index/BFIndex(space="l2", dim, dtype=np.uint8), hnswlib's L2SpaceI.

Distances are squared L2 summed in integers and returned as float32, so every check
here compares them exactly with numpy's integer arithmetic.
"""

import os
import pickle
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hnswlib_rs

DIM = 16
FIXTURES = Path(__file__).resolve().parents[3] / "core" / "tests" / "fixtures"
HNSWLIB_HEADERS = Path("/usr/include/hnswlib/hnswlib.h")


def random_u8(n, dim=DIM, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, dim), dtype=np.uint8)


def exact_sq_l2(data, queries):
    """All squared distances, in int64: exact."""
    diff = queries[:, None, :].astype(np.int64) - data[None, :, :].astype(np.int64)
    return (diff * diff).sum(-1)


def check_knn(labels, distances, data, data_labels, queries, k):
    """The results are the exact k nearest: distances equal numpy's, closest first, and
    each label's true distance is the one returned (ties may come in any order)."""
    d = exact_sq_l2(data, queries)
    expected = np.sort(d, axis=1)[:, :k]
    assert labels.dtype == np.uint64 and distances.dtype == np.float32
    assert distances.shape == (len(queries), k)
    assert np.array_equal(distances.astype(np.int64), expected)
    assert np.array_equal(distances, expected.astype(np.float32))
    row_of = {int(label): i for i, label in enumerate(data_labels)}
    for q in range(len(queries)):
        for label, dist in zip(labels[q], distances[q]):
            assert d[q, row_of[int(label)]] == dist


def make_u8_index(n=400, seed=0, **init):
    data = random_u8(n, seed=seed)
    index = hnswlib_rs.Index(space="l2", dim=DIM, dtype=np.uint8)
    index.init_index(max_elements=n, **init)
    index.add_items(data, np.arange(n), num_threads=1)
    index.set_ef(200)
    return index, data


@pytest.fixture(scope="module")
def built():
    return make_u8_index()


def test_dtype_is_reported(built):
    index, _ = built
    assert index.dtype == np.uint8
    assert index.dtype == np.dtype("uint8")
    assert index.space == "l2" and index.dim == DIM
    assert repr(index) == f"<hnswlib_rs.Index(space='l2', dim={DIM}, dtype='uint8')>"
    f = hnswlib_rs.Index("l2", DIM)
    assert f.dtype == np.float32
    assert repr(f) == f"<hnswlib_rs.Index(space='l2', dim={DIM})>"
    assert hnswlib_rs.Index.__new__(hnswlib_rs.Index).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.uint8, "uint8", "u1", np.dtype("uint8")])
def test_dtype_spellings(dtype):
    assert hnswlib_rs.Index("l2", DIM, dtype=dtype).dtype == np.uint8
    assert hnswlib_rs.BFIndex("l2", DIM, dtype=dtype).dtype == np.uint8


@pytest.mark.parametrize("dtype", [None, np.float32, "float32"])
def test_float32_dtype_spellings(dtype):
    assert hnswlib_rs.Index("cosine", DIM, dtype=dtype).dtype == np.float32


def test_knn_query_is_exact(built):
    index, data = built
    queries = random_u8(30, seed=1)
    labels, distances = index.knn_query(queries, k=10)
    check_knn(labels, distances, data, np.arange(len(data)), queries, 10)
    # one row, through the single-query path
    labels1, distances1 = index.knn_query(queries[0], k=10)
    assert np.array_equal(labels1, labels[:1]) and np.array_equal(distances1, distances[:1])
    # each stored vector is its own nearest neighbour at distance 0
    labels, distances = index.knn_query(data[:20], k=1)
    assert np.array_equal(labels[:, 0], np.arange(20)) and not distances.any()


def test_extreme_values_give_exact_integer_distances():
    dim = 128
    index = hnswlib_rs.Index("l2", dim, dtype=np.uint8)
    index.init_index(4)
    rows = np.array([[0] * dim, [255] * dim, [1] * dim, [254] * dim], dtype=np.uint8)
    index.add_items(rows)
    labels, distances = index.knn_query(np.zeros(dim, dtype=np.uint8), k=4)
    assert labels.tolist() == [[0, 2, 3, 1]]
    # 128 * 255**2 = 8,323,200 < 2**24: exact in float32
    assert distances.tolist() == [[0.0, 128.0, 128.0 * 254**2, 128.0 * 255**2]]


def test_get_items_returns_uint8(built):
    index, data = built
    items = index.get_items([5, 0, 399])
    assert items.dtype == np.uint8 and items.shape == (3, DIM)
    assert np.array_equal(items, data[[5, 0, 399]])
    as_list = index.get_items([7], return_type="list")
    assert as_list == [data[7].tolist()] and all(type(v) is int for v in as_list[0])
    empty = index.get_items([])
    assert empty.dtype == np.uint8 and empty.shape == (0,)


def test_integer_inputs_in_range_are_accepted():
    data = random_u8(50)
    index = hnswlib_rs.Index("l2", DIM, dtype="uint8")
    index.init_index(200)
    index.add_items(data.astype(np.int64), np.arange(50))            # int64, values in range
    index.add_items(np.repeat(data, 2, axis=1)[:, ::2], np.arange(50, 100))  # a strided view
    index.add_items(data.tolist(), np.arange(100, 150))             # nested lists of ints
    index.add_items(data[0].astype(np.uint16), 150)                  # one row, uint16
    assert np.array_equal(index.get_items(np.arange(100, 150)), data)
    assert np.array_equal(index.get_items(np.arange(50, 100)), data)
    labels, distances = index.knn_query(data[3].astype(np.int32).tolist(), k=1)
    assert distances[0, 0] == 0 and labels[0, 0] in (3, 53, 103)


@pytest.mark.parametrize("cls", [hnswlib_rs.Index, hnswlib_rs.BFIndex])
def test_float_data_to_a_uint8_index_raises_type_error(cls):
    index = cls("l2", DIM, dtype=np.uint8)
    index.init_index(10)
    for bad in (
        np.zeros((2, DIM), dtype=np.float32),
        np.zeros(DIM, dtype=np.float64),
        [[0.5] * DIM],
        np.zeros((1, DIM), dtype=bool),
        np.zeros((1, DIM), dtype=np.complex64),
    ):
        with pytest.raises(TypeError, match="uint8"):
            index.add_items(bad)
    index.add_items(random_u8(3), [0, 1, 2])
    for method in (index.knn_query, lambda q: index.range_query(q, 100.0)):
        with pytest.raises(TypeError, match="uint8"):
            method(np.zeros(DIM, dtype=np.float32))
    with pytest.raises(TypeError, match="uint8"):
        index.knn_query_docs(np.zeros(DIM), k=1, doc_ids=[0, 0, 1])
    assert len(index) == 3


@pytest.mark.parametrize("bad", [[-1] + [0] * (DIM - 1), [256] + [0] * (DIM - 1)])
def test_out_of_range_integers_raise_value_error(bad):
    index = hnswlib_rs.Index("l2", DIM, dtype=np.uint8)
    index.init_index(10)
    with pytest.raises(ValueError, match="0..255"):
        index.add_items(np.array([bad], dtype=np.int64))
    with pytest.raises(ValueError, match="0..255"):
        index.add_items([bad])
    assert len(index) == 0


def test_uint8_data_to_a_float_index_is_converted(built):
    """As pip hnswlib: any numeric array becomes float32 (exact for uint8)."""
    _, data = built
    f = hnswlib_rs.Index("l2", DIM)
    f.init_index(len(data))
    f.add_items(data, np.arange(len(data)), num_threads=1)
    f.set_ef(200)
    queries = random_u8(10, seed=1)
    labels, distances = f.knn_query(queries, k=5)
    check_knn(labels, distances, data, np.arange(len(data)), queries, 5)
    assert f.get_items([0]).dtype == np.float32


def test_wrong_dimension(built):
    index, _ = built
    with pytest.raises(RuntimeError, match="dim"):
        index.knn_query(np.zeros((1, DIM + 1), dtype=np.uint8))
    with pytest.raises(RuntimeError, match="dim"):
        index.add_items(np.zeros((1, DIM - 1), dtype=np.uint8))


@pytest.mark.parametrize("space", ["ip", "cosine"])
@pytest.mark.parametrize("cls", [hnswlib_rs.Index, hnswlib_rs.BFIndex])
def test_uint8_needs_space_l2(cls, space):
    with pytest.raises(ValueError, match="space 'l2'"):
        cls(space, DIM, dtype=np.uint8)


def test_uint8_custom_space_raises():
    with pytest.raises(ValueError, match="space 'l2'"):
        hnswlib_rs.Index("custom", DIM, dtype=np.uint8, distance=lambda a, b: 0.0)


@pytest.mark.parametrize("quantization", ["sq8", "sq4"])
def test_quantization_needs_float32(quantization):
    with pytest.raises(ValueError, match="float32"):
        hnswlib_rs.Index("l2", DIM, dtype=np.uint8, quantization=quantization)


def test_unsupported_dtypes():
    for dtype in (np.float64, np.int8, "int64", np.uint16):
        with pytest.raises(ValueError, match="float32 .* or uint8"):
            hnswlib_rs.Index("l2", DIM, dtype=dtype)
    for dtype in ("not a dtype", object()):
        with pytest.raises(TypeError, match="dtype must be"):
            hnswlib_rs.BFIndex("l2", DIM, dtype=dtype)


def test_range_and_docs_queries(built):
    index, data = built
    queries = random_u8(5, seed=2)
    d = exact_sq_l2(data, queries)
    epsilon = float(np.sort(d, axis=1)[:, 5].max())
    index.set_ef(400)
    try:
        lims, labels, distances = index.range_query(queries, epsilon)
    finally:
        index.set_ef(200)
    for q in range(len(queries)):
        within = set(np.flatnonzero(d[q] <= epsilon).tolist())
        got = labels[lims[q]:lims[q + 1]]
        assert set(got.tolist()) == within
        assert np.array_equal(distances[lims[q]:lims[q + 1]], d[q, got].astype(np.float32))
    doc_ids = np.arange(len(data)) // 4
    docs, labels, distances = index.knn_query_docs(queries, k=3, doc_ids=doc_ids)
    assert docs.dtype == np.uint64 and distances.dtype == np.float32
    best = np.minimum.reduceat(d, np.arange(0, len(data), 4), axis=1)
    assert np.array_equal(distances, np.sort(best, axis=1)[:, :3].astype(np.float32))
    assert np.array_equal(doc_ids[labels.astype(np.int64)], docs.astype(np.int64))


def test_hnswlib_format_round_trip(built, tmp_path):
    index, data = built
    path = tmp_path / "u8.bin"
    index.save_index(path)
    # hnswlib's layout: 96-byte header, per element links + dim bytes + label, no link lists beyond
    per_element = 4 + 4 * 2 * index.M + DIM + 8
    assert os.path.getsize(path) == index.index_file_size()
    assert os.path.getsize(path) >= 96 + len(data) * per_element
    loaded = hnswlib_rs.Index("l2", DIM, dtype=np.uint8)
    loaded.load_index(path)
    loaded.set_ef(200)
    assert loaded.dtype == np.uint8 and loaded.get_current_count() == len(data)
    queries = random_u8(10, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.knn_query(queries, k=5), index.knn_query(queries, k=5)))
    assert np.array_equal(loaded.get_items(np.arange(len(data))), data)
    # float32 vectors of the same dim have another element size: the file does not fit
    with pytest.raises(RuntimeError):
        hnswlib_rs.Index("l2", DIM).load_index(path)


def test_native_format_names_the_uint8_space(built, tmp_path):
    index, data = built
    path = tmp_path / "u8.hnsw"
    index.save_index(path, format="native")
    queries = random_u8(10, seed=4)
    expected = index.knn_query(queries, k=5)
    for opened in (
        hnswlib_rs.load_index(path),
        hnswlib_rs.load_index(path, mmap=True),
        hnswlib_rs.Index.open_view(path, verify=True),
    ):
        assert opened.space == "l2" and opened.dim == DIM and opened.dtype == np.uint8
        assert repr(opened).endswith("dtype='uint8')>")
        opened.set_ef(200)
        got = opened.knn_query(queries, k=5)
        assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
        assert np.array_equal(opened.get_items([3, 4]), data[[3, 4]])
    same = hnswlib_rs.Index("l2", DIM, dtype=np.uint8)
    same.load_index(path)
    assert same.get_current_count() == len(data)
    # the native file names its space: a float32 Index refuses it
    with pytest.raises((RuntimeError, ValueError)):
        hnswlib_rs.Index("l2", DIM).load_index(path)


def test_pickle_and_copy(built):
    index, data = built
    state = index.__getstate__()[0]
    assert state["dtype"] == "uint8" and state["space"] == "l2"
    assert "dtype" not in hnswlib_rs.Index("l2", DIM).__getstate__()[0]
    queries = random_u8(10, seed=5)
    expected = index.knn_query(queries, k=5)
    for other in (pickle.loads(pickle.dumps(index)), hnswlib_rs.Index(index), hnswlib_rs.Index(state)):
        assert other.dtype == np.uint8
        got = other.knn_query(queries, k=5)
        assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
        assert np.array_equal(other.get_items([9]), data[[9]])
    uninit = pickle.loads(pickle.dumps(hnswlib_rs.Index("l2", DIM, dtype=np.uint8)))
    assert uninit.dtype == np.uint8


def read_fixture(name):
    expected = (FIXTURES / f"{name}.expected.txt").read_text().splitlines()
    header = dict(field.split("=") for field in expected[0].split())
    dim = int(header["dim"])
    data = np.fromfile(FIXTURES / f"{name}.data.u8", dtype=np.uint8).reshape(-1, dim)
    labels = np.fromfile(FIXTURES / f"{name}.labels.u64", dtype="<u8")
    queries = np.fromfile(FIXTURES / f"{name}.queries.u8", dtype=np.uint8).reshape(-1, dim)
    return header, data, labels, queries, parse_results(expected[1:])


def parse_results(lines):
    """(labels, distances) of the lines "l1 l2 ... | d1 d2 ..."."""
    rows = [line.split("|") for line in lines if line.strip()]
    labels = np.array([[int(x) for x in ls.split()] for ls, _ in rows], dtype=np.uint64)
    distances = np.array([[float(x) for x in ds.split()] for _, ds in rows], dtype=np.float32)
    return labels, distances


def test_hnswlib_062_fixture_loads_and_searches():
    """A u8 index written by hnswlib 0.6.2's C++ (L2SpaceI): same results as hnswlib."""
    header, data, data_labels, queries, (exp_labels, exp_distances) = read_fixture("l2u8_d12")
    assert header["space"] == "l2u8"
    dim, k = int(header["dim"]), int(header["k"])
    index = hnswlib_rs.Index("l2", dim, dtype=np.uint8)
    index.load_index(FIXTURES / "l2u8_d12.hnsw")
    index.set_ef(int(header["ef"]))
    assert index.get_current_count() == int(header["count"]) == len(data)
    assert sorted(index.get_ids_list()) == sorted(data_labels.tolist())
    assert np.array_equal(index.get_items(data_labels), data)
    labels, distances = index.knn_query(queries, k=k)
    assert np.array_equal(labels, exp_labels)
    assert np.array_equal(distances, exp_distances)
    check_knn(labels, distances, data, data_labels, queries, k)
    assert index.check_integrity()["connections"] > 0


def test_bf_index_uint8(tmp_path):
    data = random_u8(100, seed=6)
    queries = random_u8(8, seed=7)
    bf = hnswlib_rs.BFIndex("l2", DIM, dtype=np.uint8)
    assert bf.dtype == np.uint8 and repr(bf).endswith("dtype='uint8')>")
    bf.init_index(100)
    bf.add_items(data)
    labels, distances = bf.knn_query(queries, k=7)
    check_knn(labels, distances, data, np.arange(100), queries, 7)
    items = bf.get_items([1, 2])
    assert items.dtype == np.uint8 and np.array_equal(items, data[1:3])
    lims, rl, rd = bf.range_query(queries, 60000.0)
    d = exact_sq_l2(data, queries)
    assert len(rl) == int((d <= 60000).sum()) and np.array_equal(np.diff(lims), (d <= 60000).sum(1))

    path = tmp_path / "u8.bfi"
    bf.save_index(path)
    loaded = hnswlib_rs.BFIndex("l2", DIM, dtype=np.uint8)
    loaded.load_index(path)
    state = bf.__getstate__()[0]
    assert state["dtype"] == "uint8"
    for other in (loaded, pickle.loads(pickle.dumps(bf))):
        assert other.dtype == np.uint8
        got = other.knn_query(queries, k=7)
        assert np.array_equal(got[0], labels) and np.array_equal(got[1], distances)
    with pytest.raises(TypeError, match="uint8"):
        bf.knn_query(queries.astype(np.float32))


@pytest.fixture(scope="module")
def hnswlib_062_tool(tmp_path_factory):
    """l2u8_fixture built against hnswlib 0.6.2's headers (Debian's libhnswlib-dev)."""
    gxx = shutil.which("g++")
    if gxx is None or not HNSWLIB_HEADERS.exists():
        pytest.skip("needs g++ and hnswlib 0.6.2's headers (apt-get install libhnswlib-dev)")
    exe = tmp_path_factory.mktemp("hnswlib062") / "l2u8_fixture"
    subprocess.run(
        [gxx, "-O2", "-std=c++11", "-pthread", str(FIXTURES / "l2u8_fixture.cpp"), "-o", str(exe)],
        check=True,
    )
    return exe


def test_hnswlib_062_loads_a_saved_uint8_index(hnswlib_062_tool, tmp_path):
    """hnswlib's C++ loads the L2SpaceI file saved here and finds what we find."""
    index, data = make_u8_index(n=300, seed=8, M=8, ef_construction=60)
    index.mark_deleted(5)
    queries = random_u8(20, seed=9)
    path, qpath = tmp_path / "u8.bin", tmp_path / "queries.u8"
    index.save_index(path)
    queries.tofile(qpath)
    ef, k = 40, 5
    out = subprocess.run(
        [str(hnswlib_062_tool), "search", str(path), str(qpath), str(len(queries)), str(DIM), str(k), str(ef)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    theirs = parse_results(out.splitlines())
    index.set_ef(ef)
    ours = index.knn_query(queries, k=k)
    assert 5 not in theirs[0]
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])
