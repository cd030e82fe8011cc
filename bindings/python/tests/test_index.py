"""hnswlib_rs.Index: every method and property, pip hnswlib's input rules and errors."""

import numpy as np
import pytest

import hnswlib_rs
from conftest import brute_force, make_index


# ---- construction and properties ------------------------------------------------------


def test_properties_before_and_after_init():
    p = hnswlib_rs.Index("cosine", 5)
    assert (p.space, p.dim) == ("cosine", 5)
    assert (p.M, p.ef_construction, p.max_elements, p.element_count) == (0, 0, 0, 0)
    assert p.ef == 10
    assert p.num_threads >= 1
    assert len(p) == 0
    p.set_ef(33)  # kept by init_index, as hnswlib
    p.init_index(max_elements=50, M=12, ef_construction=100, random_seed=7)
    assert (p.M, p.ef_construction, p.max_elements, p.element_count, p.ef) == (12, 100, 50, 0, 33)
    p.ef = 44
    assert p.ef == 44
    p.num_threads = 3
    assert p.num_threads == 3
    p.set_num_threads(1)
    assert p.num_threads == 1
    with pytest.raises(AttributeError):
        p.dim = 3
    assert repr(p) == "<hnswlib_rs.Index(space='cosine', dim=5)>"


def test_ef_construction_below_m_is_raised_to_m():
    p = hnswlib_rs.Index("l2", 4)
    p.init_index(10, M=16, ef_construction=4)
    assert p.ef_construction == 16


@pytest.mark.parametrize(
    "args, exc, msg",
    [
        (("foo", 4), RuntimeError, "Space name must be one of l2, ip, or cosine."),
        (("l2", 0), ValueError, "dim must be at least 1"),
        (("l2", -3), ValueError, "dim must be at least 1"),
        ((), TypeError, "Index() takes"),
        (("custom", 4), ValueError, "needs a distance"),
    ],
)
def test_bad_constructor_arguments(args, exc, msg):
    with pytest.raises(exc) as e:
        hnswlib_rs.Index(*args)
    assert msg in str(e.value)


def test_init_twice_and_bad_parameters():
    p = hnswlib_rs.Index("l2", 4)
    with pytest.raises(ValueError, match="M must be at most 10000"):
        p.init_index(10, M=20000)
    with pytest.raises(ValueError, match="M must be at least 2"):
        p.init_index(10, M=1)
    with pytest.raises(OverflowError):
        p.init_index(-1)
    p.init_index(10)
    with pytest.raises(RuntimeError, match="The index is already initiated."):
        p.init_index(10)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.add_items(np.zeros((1, 4))),
        lambda p: p.knn_query(np.zeros(4)),
        lambda p: p.get_items([0]),
        lambda p: p.get_ids_list(),
        lambda p: p.get_max_elements(),
        lambda p: p.get_current_count(),
        lambda p: p.get_deleted_count(),
        lambda p: p.mark_deleted(0),
        lambda p: p.unmark_deleted(0),
        lambda p: p.resize_index(10),
        lambda p: p.save_index("never-written.bin"),
        lambda p: p.index_file_size(),
    ],
)
def test_calls_on_an_uninitialised_index_raise(call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = hnswlib_rs.Index("l2", 4)
    with pytest.raises(RuntimeError, match="not initialized"):
        call(p)
    assert not (tmp_path / "never-written.bin").exists()


def test_shell_from_new_is_safe():
    # What pickle does first: Index.__new__(Index); methods must raise, not crash.
    p = hnswlib_rs.Index.__new__(hnswlib_rs.Index)
    assert repr(p) == "<hnswlib_rs.Index(space='', dim=0)>"
    with pytest.raises(RuntimeError):
        p.init_index(10)
    with pytest.raises(RuntimeError):
        p.knn_query(np.zeros(4))


# ---- add_items and knn_query ------------------------------------------------------------


def test_add_and_query_returns_exact_neighbours_on_small_data(rng):
    data = rng.random((300, 8), dtype=np.float32)
    p = hnswlib_rs.Index("l2", 8)
    p.init_index(300, ef_construction=100)
    p.add_items(data, np.arange(300) + 1000, num_threads=1)
    p.set_ef(100)
    labels, dist = p.knn_query(data[:20], k=5)
    assert labels.dtype == np.uint64 and dist.dtype == np.float32
    assert labels.shape == dist.shape == (20, 5)
    exact, exact_d = brute_force(data, data[:20], 5)
    assert (labels == exact + 1000).mean() >= 0.99
    np.testing.assert_allclose(dist, exact_d, rtol=1e-4, atol=1e-5)
    assert (np.diff(dist, axis=1) >= 0).all()


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_distances_follow_hnswlib_definitions(space, rng):
    data = rng.random((50, 6), dtype=np.float32)
    p = hnswlib_rs.Index(space, 6)
    p.init_index(50)
    p.add_items(data, num_threads=1)
    p.set_ef(50)
    q = rng.random((5, 6), dtype=np.float32)
    labels, dist = p.knn_query(q, k=50)
    exact, exact_d = brute_force(data, q, 50, space)
    np.testing.assert_allclose(dist, exact_d, rtol=1e-4, atol=1e-5)
    assert (labels == exact).mean() > 0.95


def test_input_conversions(rng):
    p, data = make_index(dim=4, n=20)
    ref = p.knn_query(data[:3], k=2)
    for q in (
        data[:3].astype(np.float64),
        data[:3].tolist(),
        np.asfortranarray(data[:3]),
    ):
        got = p.knn_query(q, k=2)
        np.testing.assert_array_equal(got[0], ref[0])
    strided = np.zeros((3, 8), np.float32)
    strided[:, ::2] = data[:3]
    np.testing.assert_array_equal(p.knn_query(strided[:, ::2], k=2)[0], ref[0])
    # a 1-D array is one row
    labels, dist = p.knn_query(data[0], k=2)
    assert labels.shape == (1, 2) and labels[0, 0] == 0
    # integer data is cast
    q = hnswlib_rs.Index("l2", 3)
    q.init_index(5)
    q.add_items(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64), ids=[np.int64(8), np.uint32(9)])
    assert q.get_ids_list() == [8, 9]
    np.testing.assert_array_equal(q.get_items([9]), [[4, 5, 6]])


def test_label_rules():
    p = hnswlib_rs.Index("l2", 2)
    p.init_index(20)
    p.add_items(np.zeros((1, 2)), ids=np.uint64(5))  # numpy scalar, one row
    p.add_items(np.ones((2, 2)), ids=[1.7, 2.2])  # floats are truncated
    p.add_items(np.full((2, 2), 2.0), ids=np.array([[10], [11]]))  # (N, 1) ids
    assert sorted(p.get_ids_list()) == [1, 2, 5, 10, 11]
    with pytest.raises(OverflowError):
        p.add_items(np.zeros((2, 2)), ids=[-1, 3])
    with pytest.raises(RuntimeError, match="The input label shape"):
        p.add_items(np.zeros((2, 2)), ids=[1, 2, 3])
    with pytest.raises(RuntimeError, match="The input label shape"):
        p.add_items(np.zeros((2, 2)), ids=5)
    with pytest.raises(ValueError):
        p.add_items(np.zeros((2, 2)), ids=["a", "b"])


def test_automatic_labels_advance_on_every_call_as_hnswlib():
    p = hnswlib_rs.Index("l2", 2)
    p.init_index(10)
    p.add_items(np.zeros((2, 2)), ids=[0, 7])
    p.add_items(np.ones((2, 2)))
    assert sorted(p.get_ids_list()) == [0, 2, 3, 7]


def test_shape_and_dimension_errors():
    p, _ = make_index(dim=4, n=10)
    with pytest.raises(RuntimeError, match="Wrong dimensionality of the vectors"):
        p.add_items(np.zeros((2, 5)))
    with pytest.raises(RuntimeError, match="Wrong dimensionality of the vectors"):
        p.knn_query(np.zeros((2, 3)))  # hnswlib reads out of bounds here
    with pytest.raises(RuntimeError, match="Number of dimensions 3"):
        p.add_items(np.zeros((2, 4, 1)))
    with pytest.raises(RuntimeError, match="Number of dimensions 0"):
        p.knn_query(None)
    with pytest.raises(ValueError, match="could not convert string to float"):
        p.knn_query("abc")
    with pytest.raises(ValueError, match="NaN or infinity"):
        p.add_items([[np.nan, 1, 2, 3]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        p.knn_query([[np.inf, 1, 2, 3]])
    with pytest.raises(TypeError):
        p.knn_query(np.zeros(4), k=1.5)
    with pytest.raises(OverflowError):
        p.knn_query(np.zeros(4), k=-1)


def test_empty_inputs_and_k_zero():
    p, _ = make_index(dim=4, n=10)
    p.add_items(np.zeros((0, 4)))
    assert p.get_current_count() == 10
    labels, dist = p.knn_query(np.zeros((3, 4)), k=0)
    assert labels.shape == (3, 0) and labels.dtype == np.uint64 and dist.dtype == np.float32
    labels, dist = p.knn_query(np.zeros((0, 4)), k=2)
    assert labels.shape == (0, 2) and dist.shape == (0, 2)


def test_too_few_results_raise():
    p, _ = make_index(dim=4, n=5, max_elements=10)
    with pytest.raises(RuntimeError, match="Cannot return the results in a contiguous 2D array"):
        p.knn_query(np.zeros((2, 4)), k=6)
    with pytest.raises(RuntimeError, match="Cannot return the results in a contiguous 2D array"):
        p.knn_query(np.zeros(4), k=6)
    empty = hnswlib_rs.Index("l2", 4)
    empty.init_index(5)
    with pytest.raises(RuntimeError, match="Cannot return the results"):
        empty.knn_query(np.zeros(4), k=1)


def test_capacity_and_resize():
    p, _ = make_index(dim=3, n=5, max_elements=5)
    with pytest.raises(RuntimeError, match="The number of elements exceeds the specified limit"):
        p.add_items(np.zeros((1, 3)), ids=[99])
    assert p.get_current_count() == 5
    with pytest.raises(RuntimeError, match="Cannot resize, max element is less than"):
        p.resize_index(4)
    p.resize_index(8)
    assert p.get_max_elements() == 8 and p.max_elements == 8
    p.add_items(np.zeros((3, 3)), ids=[100, 101, 102])
    assert p.get_current_count() == 8 and p.element_count == 8


def test_update_existing_label():
    p, data = make_index(dim=4, n=30)
    p.add_items(np.full(4, 9.0, np.float32), ids=3)
    np.testing.assert_array_equal(p.get_items([3]), [[9.0] * 4])
    assert p.get_current_count() == 30
    labels, _ = p.knn_query(np.full(4, 9.0), k=1)
    assert labels[0, 0] == 3


def test_per_call_ef_and_num_threads_values(rng):
    p, data = make_index(dim=8, n=500, max_elements=600)
    a = p.knn_query(data[:50], k=10, ef=200)
    b = p.knn_query(data[:50], k=10, ef=200, num_threads=1)
    c = p.knn_query(data[:50], k=10, ef=200, num_threads=64)  # above the core count
    p.set_num_threads(0)  # 0 means all cores, as hnswlib's ParallelFor
    d = p.knn_query(data[:50], k=10, ef=200)
    for other in (b, c, d):
        np.testing.assert_array_equal(a[0], other[0])
    p.add_items(rng.random((100, 8), dtype=np.float32), num_threads=0)
    assert p.get_current_count() == 600
    assert p.ef == 10  # the per-call ef did not change the index's


# ---- deletion -----------------------------------------------------------------------------


def test_mark_and_unmark_deleted():
    p, data = make_index(dim=4, n=50)
    p.mark_deleted(np.uint64(7))
    assert p.get_deleted_count() == 1 and len(p) == 49 and p.get_current_count() == 50
    labels, _ = p.knn_query(data[7], k=5)
    assert 7 not in labels
    assert 7 in p.get_ids_list()  # deleted labels are listed, as hnswlib
    with pytest.raises(RuntimeError, match="Label not found"):
        p.get_items([7])
    with pytest.raises(RuntimeError, match="The requested to delete element is already deleted"):
        p.mark_deleted(7)
    with pytest.raises(RuntimeError, match="Label not found"):
        p.mark_deleted(1000)
    p.unmark_deleted(7)
    with pytest.raises(RuntimeError, match="The requested to undelete element is not deleted"):
        p.unmark_deleted(7)
    with pytest.raises(RuntimeError, match="Label not found"):
        p.unmark_deleted(1000)
    assert p.knn_query(data[7], k=1)[0][0, 0] == 7


def test_replace_deleted():
    p, data = make_index(dim=4, n=10, allow_replace_deleted=True)
    with pytest.raises(RuntimeError, match="Replacement of deleted elements is disabled"):
        q, _ = make_index(dim=4, n=10)
        q.mark_deleted(0)
        q.add_items(np.zeros(4), ids=50, replace_deleted=True)
    p.mark_deleted(3)
    p.add_items(np.full(4, 5.0), ids=77, replace_deleted=True)
    assert p.get_current_count() == 10
    assert 77 in p.get_ids_list() and 3 not in p.get_ids_list()
    p.mark_deleted(4)
    with pytest.raises(RuntimeError, match="Can't use addPoint to update deleted elements"):
        p.add_items(np.zeros(4), ids=4)


# ---- get_items ------------------------------------------------------------------------------


def test_get_items_forms():
    p, data = make_index(dim=4, n=10)
    got = p.get_items([1, 2])
    assert got.dtype == np.float32 and got.shape == (2, 4)
    np.testing.assert_array_equal(got, data[[1, 2]])
    np.testing.assert_array_equal(p.get_items(np.array([[1], [2]])), data[[1, 2]])
    as_list = p.get_items((1, 2), return_type="list")
    assert isinstance(as_list, list) and isinstance(as_list[0], list)
    np.testing.assert_allclose(as_list, data[[1, 2]])
    assert p.get_items().shape == (0,)
    assert p.get_items([]).shape == (0,)
    assert p.get_items(None, return_type="list") == []
    with pytest.raises(ValueError, match="get_items accepts a list of indices"):
        p.get_items(5)
    with pytest.raises(ValueError, match='return_type should be "numpy" or "list"'):
        p.get_items([0], return_type="x")
    with pytest.raises(RuntimeError, match="Label not found"):
        p.get_items([100])


def test_cosine_stores_normalised_vectors():
    p = hnswlib_rs.Index("cosine", 4)
    p.init_index(3)
    p.add_items(np.ones((1, 4)))
    np.testing.assert_allclose(p.get_items([0]), [[0.5] * 4])


# ---- files ------------------------------------------------------------------------------------


def test_save_load_roundtrip(tmp_path):
    p, data = make_index(dim=6, n=300)
    p.set_ef(77)
    path = tmp_path / "index.bin"
    p.save_index(str(path))
    assert path.stat().st_size == p.index_file_size()
    q = hnswlib_rs.Index("l2", 6)
    q.set_ef(77)
    q.load_index(path)  # os.PathLike works too
    assert q.ef == 77  # hnswlib resets it to 10
    assert (q.get_current_count(), q.get_max_elements(), q.M) == (300, 300, 16)
    np.testing.assert_array_equal(q.knn_query(data, k=5)[0], p.knn_query(data, k=5)[0])
    # automatic labels continue after the loaded count
    q.load_index(path, max_elements=310)
    q.add_items(np.zeros((2, 6)))
    assert {300, 301} <= set(q.get_ids_list())
    # a smaller max_elements keeps the saved capacity
    q.load_index(path, max_elements=3)
    assert q.get_max_elements() == 300


def test_load_errors_leave_the_index_intact(tmp_path):
    p, data = make_index(dim=4, n=20)
    path = tmp_path / "index.bin"
    p.save_index(path)
    with pytest.raises(RuntimeError, match="Cannot open file"):
        p.load_index(tmp_path / "missing.bin")
    wrong_dim = hnswlib_rs.Index("l2", 5)
    with pytest.raises(RuntimeError, match="does not match|corrupted"):
        wrong_dim.load_index(path)
    raw = path.read_bytes()
    (tmp_path / "short.bin").write_bytes(raw[:50])
    with pytest.raises(RuntimeError, match="corrupted"):
        p.load_index(tmp_path / "short.bin")
    (tmp_path / "truncated.bin").write_bytes(raw[:-7])
    with pytest.raises(RuntimeError, match="corrupted"):
        p.load_index(tmp_path / "truncated.bin")
    bad = bytearray(raw)
    bad[96 + 4 : 96 + 8] = (10**9).to_bytes(4, "little")  # a link to a missing element
    bad[96:98] = (1).to_bytes(2, "little")
    (tmp_path / "bad.bin").write_bytes(bytes(bad))
    with pytest.raises(RuntimeError, match="corrupted"):
        p.load_index(tmp_path / "bad.bin")
    assert p.get_current_count() == 20  # unchanged by the failed loads
    assert p.knn_query(data[0], k=1)[0][0, 0] == 0


def test_save_to_a_missing_directory_raises(tmp_path):
    p, _ = make_index(dim=4, n=5)
    with pytest.raises(RuntimeError, match="I/O error"):
        p.save_index(tmp_path / "no" / "dir" / "x.bin")
    with pytest.raises(RuntimeError, match="I/O error"):
        p.save_index(tmp_path / "no" / "dir" / "x.bin", sync=False)


def test_unsynced_save_writes_the_same_file(tmp_path):
    p, data = make_index(dim=4, n=50)
    synced, unsynced = tmp_path / "synced.bin", tmp_path / "unsynced.bin"
    unsynced.write_bytes(b"previous contents")
    p.save_index(synced)
    p.save_index(unsynced, sync=False)
    assert unsynced.read_bytes() == synced.read_bytes()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["synced.bin", "unsynced.bin"]
    with pytest.raises(TypeError):
        p.save_index(unsynced, sync="no")
    b = hnswlib_rs.BFIndex("l2", 4)
    b.init_index(max_elements=60)
    b.add_items(data)
    b.save_index(synced)
    b.save_index(unsynced, sync=False)
    assert unsynced.read_bytes() == synced.read_bytes()


# ---- copies and pickles -----------------------------------------------------------------------


def test_copy_constructor_is_deep():
    p, data = make_index(dim=4, n=50)
    p.set_ef(40)
    c = hnswlib_rs.Index(p)
    assert (c.space, c.dim, c.ef, c.get_current_count()) == ("l2", 4, 40, 50)
    np.testing.assert_array_equal(c.knn_query(data, k=3)[0], p.knn_query(data, k=3)[0])
    c.resize_index(60)
    c.add_items(np.zeros(4), ids=500)
    assert 500 in c.get_ids_list() and 500 not in p.get_ids_list()
    assert p.get_max_elements() == 50
    u = hnswlib_rs.Index(hnswlib_rs.Index("ip", 3))
    assert (u.space, u.dim, u.max_elements) == ("ip", 3, 0)


def test_pickle_roundtrip_and_state_dict(tmp_path):
    import copy
    import pickle

    p, data = make_index(space="cosine", dim=5, n=120, allow_replace_deleted=True)
    p.set_ef(55)
    p.num_threads = 1
    p.mark_deleted(3)
    q = pickle.loads(pickle.dumps(p))
    assert (q.space, q.dim, q.ef, q.num_threads, q.get_deleted_count()) == ("cosine", 5, 55, 1, 1)
    np.testing.assert_array_equal(q.knn_query(data, k=4)[0], p.knn_query(data, k=4)[0])
    np.testing.assert_allclose(q.get_items([1, 2]), p.get_items([1, 2]))
    # allow_replace_deleted survives, as in hnswlib
    q.add_items(np.ones(5), ids=999, replace_deleted=True)
    assert q.get_current_count() == 120
    d = p.__getstate__()[0]
    r = hnswlib_rs.Index(d)
    assert r.get_current_count() == 120 and r.ef == 55
    assert copy.deepcopy(p).get_ids_list() == p.get_ids_list()
    # uninitialised indexes pickle too
    u = pickle.loads(pickle.dumps(hnswlib_rs.Index("ip", 3)))
    assert (u.space, u.dim, u.max_elements) == ("ip", 3, 0)


def test_bad_pickle_states():
    p, _ = make_index(dim=4, n=10)
    with pytest.raises(RuntimeError, match="Invalid state!"):
        p.__setstate__((1, 2))
    d = p.__getstate__()[0]
    with pytest.raises(RuntimeError, match="Invalid serialization version"):
        hnswlib_rs.Index(dict(d, ser_version=2))
    with pytest.raises(RuntimeError, match="Unpickle Error: Invalid value of size_data_per_element"):
        hnswlib_rs.Index(dict(d, size_data_per_element=d["size_data_per_element"] + 4))
    with pytest.raises(RuntimeError, match="Unpickle Error: Invalid value of data_level0"):
        hnswlib_rs.Index(dict(d, data_level0=d["data_level0"][:-1]))
    with pytest.raises(RuntimeError, match="Unpickle Error: Invalid value of label_offset"):
        hnswlib_rs.Index(dict(d, dim=5))
    with pytest.raises(KeyError):
        hnswlib_rs.Index({"ser_version": 1})
    bad = d["data_level0"].copy()
    bad[4:8] = np.frombuffer((10**6).to_bytes(4, "little"), np.int8)  # link out of range
    bad[0] = 1
    with pytest.raises(RuntimeError, match="corrupted"):
        hnswlib_rs.Index(dict(d, data_level0=bad))
    # the object that failed to unpickle keeps its previous state
    with pytest.raises(RuntimeError):
        p.__setstate__((dict(d, ser_version=2),))
    assert p.get_current_count() == 10


def test_progress_bar_and_callback(capsys, rng):
    data = rng.random((2000, 4), dtype=np.float32)
    p = hnswlib_rs.Index("l2", 4)
    p.init_index(2000)
    p.add_items(data[:1000], progress=True)
    assert p.get_current_count() == 1000
    seen = []
    p.add_items(data[1000:1500], progress=lambda done, total: seen.append((done, total)))
    # called from the adding threads, so not necessarily in order
    assert seen and max(seen) == (500, 500)
    assert all(t == 500 and 0 < d <= 500 for d, t in seen)
    with pytest.raises(RuntimeError, match="Cancelled after"):
        p.add_items(data[1500:], ids=np.arange(1500, 2000), num_threads=1,
                    progress=lambda done, total: done < 100)
    assert 1500 + 100 <= p.get_current_count() < 2000  # the rows added so far stay

    def boom(done, total):
        raise KeyError("from progress")

    with pytest.raises(KeyError, match="from progress"):
        p.add_items(data[1500:], ids=np.arange(1500, 2000), progress=boom)


def test_module_metadata():
    assert hnswlib_rs.__version__
    assert hnswlib_rs.KERNELS in ("avx512", "avx2", "neon", "scalar")
    assert hnswlib_rs.Index.__module__ == "hnswlib_rs"
    assert "nearest neighbours" in hnswlib_rs.Index.knn_query.__doc__
