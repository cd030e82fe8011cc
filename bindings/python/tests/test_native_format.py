"""The native file format (save_index(..., format="native"), hnswlib_rs.load_index) and
memory-mapped read-only views (Index.open_view, load_index(..., mmap=True))."""

import os
import pickle

import hnswlib
import numpy as np
import pytest

import hnswlib_rs

pytestmark = pytest.mark.timeout(120)

DIM = 12
N = 1200
MAGIC = b"HNSWLRS\x1a"


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(17).random((N, DIM), dtype=np.float32)


def build(space, data, **kwargs):
    p = hnswlib_rs.Index(space, DIM, **kwargs)
    p.init_index(N + 100, M=12, ef_construction=80, random_seed=5)
    p.add_items(data, np.arange(N) * 2, num_threads=1)
    p.mark_deleted(4)
    p.mark_deleted(10)
    p.set_ef(70)
    return p


def assert_same_results(a, b, queries, k=10):
    """Identical results; against pip hnswlib, distances up to its kernels' rounding."""
    la, da = a.knn_query(queries, k=k)
    lb, db = b.knn_query(queries, k=k)
    np.testing.assert_array_equal(la, lb)
    if isinstance(b, hnswlib.Index):
        np.testing.assert_allclose(da, db, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(da, db)


def assert_hnswlib_reads(path, index, queries):
    """pip hnswlib loads the file at `path` and finds what `index` finds."""
    theirs = hnswlib.Index(index.space, index.dim)
    theirs.load_index(str(path))
    theirs.set_ef(index.ef)
    assert_same_results(index, theirs, queries)


def assert_same_description(a, b):
    for attr in ("space", "dim", "M", "ef_construction", "ef", "max_elements", "element_count",
                 "quantization"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert a.get_deleted_count() == b.get_deleted_count()
    assert len(a) == len(b)


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    """An l2 index and the path of its native file."""
    index = build("l2", data)
    path = tmp_path_factory.mktemp("native") / "index.hnsw"
    index.save_index(str(path), format="native")
    return index, path


# ---- saving and loading -------------------------------------------------------------------


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_native_file_loads_without_space_or_dim(space, data, tmp_path):
    index = build(space, data)
    path = tmp_path / "index.hnsw"
    index.save_index(path, format="native")
    assert path.read_bytes()[:8] == MAGIC

    loaded = hnswlib_rs.load_index(path)
    assert isinstance(loaded, hnswlib_rs.Index)
    assert loaded.space == space and loaded.dim == DIM
    assert (loaded.M, loaded.ef_construction, loaded.ef) == (12, 80, 70)
    assert (loaded.max_elements, loaded.element_count) == (N + 100, N)
    assert loaded.get_deleted_count() == 2 and len(loaded) == N - 2
    assert not loaded.is_view
    assert_same_description(index, loaded)
    assert_same_results(index, loaded, data[:100])
    np.testing.assert_array_equal(loaded.get_items([0, 6, 2398]), index.get_items([0, 6, 2398]))
    assert loaded.get_ids_list() == index.get_ids_list()
    assert loaded.check_integrity()["connections"] > 0
    assert repr(loaded) == f"<hnswlib_rs.Index(space='{space}', dim={DIM})>"


def test_loaded_native_index_is_writable(saved, data):
    _, path = saved
    loaded = hnswlib_rs.load_index(str(path), max_elements=N + 500, allow_replace_deleted=True)
    assert loaded.max_elements == N + 500
    loaded.add_items(data[:3] + 5, [100001, 100002, 100003])
    assert loaded.element_count == N + 3
    labels, _ = loaded.knn_query(data[1] + 5, k=1)
    assert labels[0, 0] == 100002
    loaded.add_items(data[:1] + 9, [7], replace_deleted=True)
    loaded.mark_deleted(0)
    loaded.resize_index(N + 800)
    assert loaded.max_elements == N + 800


def test_hnswlib_format_is_still_the_default(data, tmp_path):
    index = build("cosine", data)
    index.save_index(str(tmp_path / "default.bin"))
    index.save_index(str(tmp_path / "explicit.bin"), format="hnswlib")
    default = (tmp_path / "default.bin").read_bytes()
    assert default == (tmp_path / "explicit.bin").read_bytes()
    assert default[:8] != MAGIC and len(default) == index.index_file_size()

    assert_hnswlib_reads(tmp_path / "default.bin", index, data[:100])


def test_unknown_format_raises_value_error(saved, tmp_path):
    index, _ = saved
    with pytest.raises(ValueError, match='unknown file format "faiss"'):
        index.save_index(str(tmp_path / "x.bin"), format="faiss")
    with pytest.raises(TypeError):
        index.save_index(str(tmp_path / "x.bin"), True, "native")  # format is keyword-only
    assert not (tmp_path / "x.bin").exists()


def test_index_load_index_reads_either_format(saved, data, tmp_path):
    index, path = saved
    p = hnswlib_rs.Index("l2", DIM)
    p.set_ef(33)
    p.load_index(str(path))
    assert p.ef == 33  # as for hnswlib's files, load_index keeps the object's ef
    p.set_ef(70)
    assert_same_results(index, p, data[:50])

    with pytest.raises(ValueError, match="holds a l2 index of dim 12, not ip of dim 12"):
        hnswlib_rs.Index("ip", DIM).load_index(str(path))
    with pytest.raises(ValueError, match="dim 12, not l2 of dim 13"):
        hnswlib_rs.Index("l2", DIM + 1).load_index(str(path))


def test_load_index_of_an_hnswlib_file_asks_for_its_space(saved, tmp_path):
    index, _ = saved
    index.save_index(str(tmp_path / "hnswlib.bin"))
    with pytest.raises(RuntimeError, match="does not name its space"):
        hnswlib_rs.load_index(str(tmp_path / "hnswlib.bin"))


@pytest.mark.parametrize("keep_vectors", [True, False])
def test_quantized_index_round_trips(keep_vectors, tmp_path):
    data = np.random.default_rng(3).random((1500, 16), dtype=np.float32)
    p = hnswlib_rs.Index("l2", 16, quantization="sq8", keep_vectors=keep_vectors)
    p.init_index(1500)
    p.add_items(data, num_threads=1)
    p.set_ef(50)
    p.rerank = 3.0
    p.save_index(str(tmp_path / "q.hnsw"), format="native")  # codes-only indexes too
    for q in (hnswlib_rs.load_index(str(tmp_path / "q.hnsw")),
              hnswlib_rs.Index.open_view(str(tmp_path / "q.hnsw"))):
        assert q.quantization == "sq8" and q.rerank == 3.0 and q.ef == 50
        assert_same_results(p, q, data[:50])


def test_custom_space_file_needs_its_distance(tmp_path):
    data = np.random.default_rng(5).random((40, 4), dtype=np.float32)

    def l1(a, b):
        return float(np.abs(a - b).sum())

    p = hnswlib_rs.Index("custom", 4, distance=l1)
    p.init_index(40)
    p.add_items(data, num_threads=1)
    p.save_index(str(tmp_path / "c.hnsw"), format="native")
    with pytest.raises(ValueError, match="custom distance"):
        hnswlib_rs.load_index(str(tmp_path / "c.hnsw"))
    with pytest.raises(ValueError, match="custom distance"):
        hnswlib_rs.Index.open_view(str(tmp_path / "c.hnsw"))
    q = hnswlib_rs.Index("custom", 4, distance=l1)
    q.load_index(str(tmp_path / "c.hnsw"))
    assert_same_results(p, q, data[:5], k=3)
    # A view of it takes the distance the same way.
    v = hnswlib_rs.Index("custom", 4, distance=l1)
    v.set_ef(33)
    v.load_index(str(tmp_path / "c.hnsw"), mmap=True)
    assert v.is_view and v.ef == 33 and not q.is_view
    assert_same_results(p, v, data[:5], k=3)
    with pytest.raises(RuntimeError, match="read-only view"):
        v.add_items(data[:1], [99])
    with pytest.raises(ValueError, match="do not apply"):
        v.load_index(str(tmp_path / "c.hnsw"), max_elements=100, mmap=True)
    # An hnswlib file cannot be viewed, whatever the space given.
    p.save_index(str(tmp_path / "c.bin"))
    with pytest.raises(RuntimeError, match="load it with its space and dim"):
        hnswlib_rs.Index("custom", 4, distance=l1).load_index(str(tmp_path / "c.bin"), mmap=True)


def test_load_index_mmap_with_a_builtin_space_checks_it(saved):
    index, path = saved
    v = hnswlib_rs.Index("l2", DIM)
    v.set_ef(index.ef)  # load_index keeps the object's ef, views too
    v.load_index(str(path), mmap=True, verify=True, populate=True)
    assert v.is_view and v.ef == index.ef
    assert_same_results(index, v, np.random.default_rng(8).random((20, DIM), dtype=np.float32))
    with pytest.raises(ValueError, match="not ip"):
        hnswlib_rs.Index("ip", DIM).load_index(str(path), mmap=True)


def test_native_bytes_read_without_space(saved):
    index, _ = saved
    data = index.to_bytes(format="native")
    assert isinstance(data, bytes) and data[:8] == b"HNSWLRS\x1a"
    q = hnswlib_rs.Index.from_bytes(data)
    assert (q.space, q.dim, q.ef, q.get_current_count()) == (index.space, index.dim, index.ef,
                                                             index.get_current_count())
    queries = np.random.default_rng(9).random((20, DIM), dtype=np.float32)
    assert_same_results(index, q, queries)
    assert q.to_bytes(format="native") == data
    assert index.to_bytes() == index.to_bytes(format="hnswlib")
    bigger = hnswlib_rs.Index.from_bytes(data, max_elements=index.get_max_elements() + 50)
    assert bigger.get_max_elements() == index.get_max_elements() + 50
    with pytest.raises(ValueError, match="format"):
        index.to_bytes(format="zip")
    with pytest.raises(RuntimeError, match="not a file in the native format"):
        hnswlib_rs.Index.from_bytes(b"garbage")
    with pytest.raises(TypeError):
        hnswlib_rs.Index.from_bytes("a string")


def test_named_custom_distance_refuses_another_name(tmp_path):
    data = np.random.default_rng(6).random((40, 4), dtype=np.float32)

    def l1(a, b):
        return float(np.abs(a - b).sum())

    p = hnswlib_rs.Index("custom", 4, distance=l1, distance_name="l1")
    assert p.distance_name == "l1"
    p.init_index(40)
    p.add_items(data, num_threads=1)
    assert p.distance_name == "l1"
    path = str(tmp_path / "named.hnsw")
    p.save_index(path, format="native")
    with pytest.raises(ValueError, match='"l1"'):
        hnswlib_rs.load_index(path)
    other = hnswlib_rs.Index("custom", 4, distance=l1, distance_name="manhattan")
    with pytest.raises(ValueError, match="manhattan"):
        other.load_index(path)
    # An unnamed distance takes the file's name.
    q = hnswlib_rs.Index("custom", 4, distance=l1)
    assert q.distance_name is None
    q.load_index(path)
    assert q.distance_name == "l1"
    assert_same_results(p, q, data[:5], k=3)
    with pytest.raises(ValueError, match="custom distance"):
        hnswlib_rs.Index("l2", 4, distance_name="l1")
    with pytest.raises(ValueError, match="space name"):
        hnswlib_rs.Index("custom", 4, distance=l1, distance_name="")
    assert hnswlib_rs.Index("l2", 4).distance_name is None


# ---- views --------------------------------------------------------------------------------


def test_view_searches_like_the_loaded_index(saved, data):
    index, path = saved
    loaded = hnswlib_rs.load_index(str(path))
    view = hnswlib_rs.Index.open_view(str(path))
    assert view.is_view and not loaded.is_view and not index.is_view
    assert_same_description(loaded, view)
    assert_same_results(loaded, view, data[:200])
    assert_same_results(index, view, data[:200])
    np.testing.assert_array_equal(view.get_items([2, 8]), loaded.get_items([2, 8]))
    assert view.get_ids_list() == loaded.get_ids_list()
    ranged = view.range_query(data[:5], 0.5)
    expected = loaded.range_query(data[:5], 0.5)
    for a, b in zip(ranged, expected):
        np.testing.assert_array_equal(a, b)
    allowed = np.zeros(2 * N, dtype=bool)
    allowed[::4] = True
    assert_same_results(
        _Filtered(loaded, allowed), _Filtered(view, allowed), data[:20])
    view.set_ef(120)  # search settings are not mutations
    assert view.ef == 120
    assert view.check_integrity()["connections"] > 0


class _Filtered:
    def __init__(self, index, allowed):
        self.index, self.allowed = index, allowed

    def knn_query(self, q, k):
        return self.index.knn_query(q, k=k, filter=self.allowed)


def test_load_index_mmap_is_a_view(saved, data):
    index, path = saved
    view = hnswlib_rs.load_index(str(path), mmap=True, verify=True, populate=True)
    assert view.is_view
    assert_same_results(index, view, data[:100])
    with pytest.raises(ValueError, match="read-only"):
        hnswlib_rs.load_index(str(path), max_elements=5000, mmap=True)
    with pytest.raises(ValueError, match="read-only"):
        hnswlib_rs.load_index(str(path), allow_replace_deleted=True, mmap=True)


def test_view_options(saved, data):
    index, path = saved
    for kwargs in ({"verify": True}, {"populate": True}, {"verify": True, "populate": True}):
        view = hnswlib_rs.Index.open_view(path, **kwargs)
        assert_same_results(index, view, data[:20])


def test_mutations_on_a_view_raise(saved, data):
    _, path = saved
    view = hnswlib_rs.Index.open_view(str(path))
    calls = {
        "add_items": lambda: view.add_items(data[:2], [1, 3]),
        "add_items update": lambda: view.add_items(data[:1], [0]),
        "mark_deleted": lambda: view.mark_deleted(2),
        "unmark_deleted": lambda: view.unmark_deleted(4),
        "resize_index": lambda: view.resize_index(N + 1000),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeError, match="read-only view") as e:
            call()
        assert "read-only view" in str(e.value), name
    # nothing changed
    assert view.element_count == N and view.get_deleted_count() == 2
    assert view.max_elements == N + 100
    assert_same_results(hnswlib_rs.load_index(str(path)), view, data[:20])


def test_init_index_on_a_view_raises(saved):
    _, path = saved
    view = hnswlib_rs.Index.open_view(str(path))
    with pytest.raises(RuntimeError, match="already initiated"):
        view.init_index(10)


def test_view_saves_in_both_formats(saved, data, tmp_path):
    index, path = saved
    view = hnswlib_rs.Index.open_view(str(path))
    view.save_index(str(tmp_path / "again.hnsw"), format="native")
    assert (tmp_path / "again.hnsw").read_bytes() == path.read_bytes()
    view.save_index(str(tmp_path / "copy.hnsw"), format="native")
    again = hnswlib_rs.Index.open_view(str(tmp_path / "copy.hnsw"))
    assert_same_results(index, again, data[:50])

    view.save_index(str(tmp_path / "hnswlib.bin"))
    assert_hnswlib_reads(tmp_path / "hnswlib.bin", view, data[:50])


def test_view_pickles_and_copies_into_a_writable_index(saved, data):
    index, path = saved
    view = hnswlib_rs.Index.open_view(str(path))
    for copy in (pickle.loads(pickle.dumps(view)), hnswlib_rs.Index(view)):
        assert not copy.is_view
        assert_same_description(view, copy)
        assert_same_results(view, copy, data[:50])
        copy.add_items(data[:1] + 3, [99999])
        assert copy.element_count == N + 1
    theirs = hnswlib.Index(view.__getstate__()[0])
    theirs.set_ef(70)
    assert_same_results(view, theirs, data[:50])


def test_view_outlives_its_file_being_replaced_or_removed(data, tmp_path):
    index = build("ip", data)
    path = tmp_path / "v.hnsw"
    index.save_index(str(path), format="native")
    view = hnswlib_rs.Index.open_view(str(path))
    build("l2", data[::-1].copy()).save_index(str(path), format="native")  # renamed over
    assert_same_results(index, view, data[:50])
    os.remove(path)
    assert_same_results(index, view, data[:50])


def test_open_view_is_a_classmethod(saved):
    index, path = saved
    view = index.open_view(str(path))  # called on an instance: a new object all the same
    assert type(view) is hnswlib_rs.Index and view is not index
    assert view.is_view and not index.is_view


def test_is_view_is_false_before_init():
    assert hnswlib_rs.Index("l2", 3).is_view is False


def test_views_of_the_same_file_are_independent_objects(saved, data):
    _, path = saved
    a = hnswlib_rs.Index.open_view(str(path))
    b = hnswlib_rs.Index.open_view(str(path))
    a.set_ef(15)
    assert b.ef == 70
    del a
    assert b.knn_query(data[:3], k=5)[0].shape == (3, 5)


# ---- bad files ----------------------------------------------------------------------------


def test_open_view_of_an_hnswlib_file(saved, tmp_path):
    # Viewing and loading without a space fail alike: the file is in another format.
    index, _ = saved
    path = str(tmp_path / "hnswlib.bin")
    index.save_index(path)
    for call in (lambda: hnswlib_rs.Index.open_view(path),
                 lambda: hnswlib_rs.load_index(path),
                 lambda: hnswlib_rs.load_index(path, mmap=True),
                 lambda: hnswlib_rs.Index.from_bytes(index.to_bytes())):
        with pytest.raises(RuntimeError, match="not a file in the native format") as e:
            call()
        assert "load it with its space and dim" in str(e.value)


def test_open_view_of_a_missing_file(tmp_path):
    with pytest.raises(RuntimeError, match="Cannot open file"):
        hnswlib_rs.Index.open_view(str(tmp_path / "missing.hnsw"))
    with pytest.raises(RuntimeError, match="Cannot open file"):
        hnswlib_rs.load_index(str(tmp_path / "missing.hnsw"))


@pytest.mark.parametrize("content", [b"", b"\0" * 10, b"garbage " * 1000])
def test_open_view_of_garbage(content, tmp_path):
    path = tmp_path / "garbage.hnsw"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match="not a file in the native format"):
        hnswlib_rs.Index.open_view(str(path))
    with pytest.raises(RuntimeError, match="not a file in the native format"):
        hnswlib_rs.load_index(str(path))


@pytest.mark.parametrize("keep", [8, 200, 300, 4096, 6000, -1])
def test_truncated_native_file(saved, tmp_path, keep):
    _, path = saved
    raw = path.read_bytes()
    bad = tmp_path / "truncated.hnsw"
    bad.write_bytes(raw[:keep])
    for open_ in (hnswlib_rs.Index.open_view, hnswlib_rs.load_index):
        with pytest.raises(RuntimeError, match="(?i)truncated|too short|ends|does not lie|length"):
            open_(str(bad))


def test_corrupted_native_file(saved, tmp_path):
    _, path = saved
    raw = bytearray(path.read_bytes())
    raw[300] ^= 0xFF  # in the section table: its checksum no longer matches
    bad = tmp_path / "corrupted.hnsw"
    bad.write_bytes(bytes(raw))
    for open_ in (hnswlib_rs.Index.open_view, hnswlib_rs.load_index):
        with pytest.raises(RuntimeError, match="(?i)checksum"):
            open_(str(bad))
    # a flipped byte in level 0: a load or a verified view finds it, a plain view opens
    raw = bytearray(path.read_bytes())
    raw[4096 + 100] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="(?i)checksum"):
        hnswlib_rs.load_index(str(bad))
    with pytest.raises(RuntimeError, match="(?i)checksum"):
        hnswlib_rs.Index.open_view(str(bad), verify=True)
    hnswlib_rs.Index.open_view(str(bad)).knn_query(np.zeros(DIM, dtype=np.float32), k=1)
