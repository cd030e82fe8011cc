"""Live compatibility with pip hnswlib 0.8.0: files, pickles, results and errors."""

import io
import pickle

import hnswlib
import numpy as np
import pytest

import hnswlib_rs

DIM = 12
N = 1500


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(7).random((N, DIM), dtype=np.float32)


def build(module, space, data, deleted=(), **init):
    p = module.Index(space, DIM)
    p.init_index(len(data) + 10, M=12, ef_construction=100, **init)
    p.add_items(data, np.arange(len(data)) * 3, num_threads=1)
    for label in deleted:
        p.mark_deleted(label)
    p.set_ef(60)
    return p


def same_results(a, b, queries, k=10):
    la, da = a.knn_query(queries, k=k)
    lb, db = b.knn_query(queries, k=k)
    np.testing.assert_array_equal(la, lb)
    np.testing.assert_allclose(da, db, rtol=1e-5, atol=1e-6)


def test_hnswlib_version():
    assert hnswlib.__file__ and hasattr(hnswlib, "Index")


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_files_cross_both_ways(space, data, tmp_path):
    theirs = build(hnswlib, space, data, deleted=(0, 30))
    ours = build(hnswlib_rs, space, data, deleted=(0, 30))
    assert ours.index_file_size() == theirs.index_file_size()

    theirs.save_index(str(tmp_path / "theirs.bin"))
    loaded = hnswlib_rs.Index(space, DIM)
    loaded.load_index(str(tmp_path / "theirs.bin"))
    loaded.set_ef(60)
    assert loaded.get_deleted_count() == 2
    same_results(theirs, loaded, data[:200])
    np.testing.assert_allclose(loaded.get_items([3, 6]), theirs.get_items([3, 6]))

    ours.save_index(str(tmp_path / "ours.bin"))
    back = hnswlib.Index(space, DIM)
    back.load_index(str(tmp_path / "ours.bin"))
    back.set_ef(60)
    same_results(ours, back, data[:200])
    assert sorted(back.get_ids_list()) == sorted(ours.get_ids_list())


def test_single_threaded_build_matches_hnswlib(data):
    # Same seed, same insertion order: the same graph, so the same answers.
    theirs = build(hnswlib, "l2", data)
    ours = build(hnswlib_rs, "l2", data)
    same_results(theirs, ours, data[:300] + 0.01)


@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_pickle_state_crosses_both_ways(space, data):
    theirs = build(hnswlib, space, data, deleted=(9,), allow_replace_deleted=True)
    ours = build(hnswlib_rs, space, data, deleted=(9,), allow_replace_deleted=True)

    from_theirs = hnswlib_rs.Index(theirs.__getstate__()[0])
    assert from_theirs.ef == 60 and from_theirs.get_deleted_count() == 1
    same_results(theirs, from_theirs, data[:200])
    from_ours = hnswlib.Index(ours.__getstate__()[0])
    assert from_ours.ef == 60
    same_results(ours, from_ours, data[:200])

    # allow_replace_deleted survives both ways
    from_ours.add_items(data[:1], ids=[10**6], replace_deleted=True)
    from_theirs.add_items(data[:1], ids=[10**6], replace_deleted=True)
    assert from_ours.get_current_count() == from_theirs.get_current_count() == N


class _Renamer(pickle.Unpickler):
    """Unpickles a stream written for one module with the classes of another."""

    def __init__(self, data, module):
        super().__init__(io.BytesIO(data))
        self.module = module

    def find_class(self, module, name):
        if module in ("hnswlib", "hnswlib_rs"):
            return getattr(self.module, name)
        return super().find_class(module, name)


def test_raw_pickle_streams_cross_with_a_module_rename(data):
    theirs = build(hnswlib, "ip", data[:300])
    ours = build(hnswlib_rs, "ip", data[:300])
    a = _Renamer(pickle.dumps(theirs), hnswlib_rs).load()
    assert isinstance(a, hnswlib_rs.Index)
    same_results(theirs, a, data[:50])
    b = _Renamer(pickle.dumps(ours), hnswlib).load()
    assert isinstance(b, hnswlib.Index)
    same_results(ours, b, data[:50])


def test_bf_files_cross_both_ways(data, tmp_path):
    theirs = hnswlib.BFIndex("l2", DIM)
    theirs.init_index(N)
    theirs.add_items(data, np.arange(N))
    theirs.save_index(str(tmp_path / "theirs.bin"))
    ours = hnswlib_rs.BFIndex("l2", DIM)
    ours.load_index(str(tmp_path / "theirs.bin"))
    same_results(theirs, ours, data[:100])

    ours.save_index(str(tmp_path / "ours.bin"))
    back = hnswlib.BFIndex("l2", DIM)
    back.load_index(str(tmp_path / "ours.bin"))
    same_results(ours, back, data[:100])


def _mistakes():
    """Calls that pip hnswlib answers with an exception (not a crash)."""
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    return {
        "bad space": lambda m: m.Index("foo", 4),
        "wrong dim on add": lambda m: _ready(m).add_items(np.zeros((2, 5))),
        "3-D data": lambda m: _ready(m).add_items(np.zeros((2, 4, 1))),
        "label count": lambda m: _ready(m).add_items(np.zeros((2, 4)), ids=[1, 2, 3]),
        "negative label": lambda m: _ready(m).add_items(np.zeros((2, 4)), ids=[-1, 2]),
        "string label": lambda m: _ready(m).add_items(np.zeros((2, 4)), ids=["a", "b"]),
        "string data": lambda m: _ready(m).add_items([["a", "b", "c", "d"]]),
        "capacity": lambda m: _ready(m).add_items(np.zeros((20, 4))),
        "k too large": lambda m: _ready(m).knn_query(x, k=20),
        "scalar ids": lambda m: _ready(m).get_items(5),
        "return type": lambda m: _ready(m).get_items([0], return_type="x"),
        "unknown label get": lambda m: _ready(m).get_items([100]),
        "unknown label delete": lambda m: _ready(m).mark_deleted(100),
        "deleted twice": lambda m: _deleted(m).mark_deleted(0),
        "undelete live": lambda m: _ready(m).unmark_deleted(0),
        "resize below": lambda m: _ready(m).resize_index(1),
        "init twice": lambda m: _ready(m).init_index(10),
        "replace disabled": lambda m: _ready(m).add_items(x, replace_deleted=True),
        "load missing": lambda m: m.Index("l2", 4).load_index("/nonexistent/index.bin"),
        "bf full": lambda m: _bf_full(m),
        "filter raises": lambda m: _ready(m).knn_query(x, filter=lambda label: 1 / 0),
        "bad ser_version": lambda m: m.Index(dict(_ready(m).__getstate__()[0], ser_version=2)),
    }


def _ready(m):
    p = m.Index("l2", 4)
    p.init_index(10)
    p.add_items(np.random.default_rng(1).random((3, 4), dtype=np.float32))
    return p


def _deleted(m):
    p = _ready(m)
    p.mark_deleted(0)
    return p


def _bf_full(m):
    b = m.BFIndex("l2", 4)
    b.init_index(2)
    b.add_items(np.zeros((3, 4)))


@pytest.mark.parametrize("name", sorted(_mistakes()))
def test_same_exception_type_and_message_as_hnswlib(name):
    call = _mistakes()[name]
    with pytest.raises(Exception) as theirs:
        call(hnswlib)
    with pytest.raises(Exception) as ours:
        call(hnswlib_rs)
    assert type(ours.value) is type(theirs.value)
    # our messages start with hnswlib's and add the numbers involved
    expected = str(theirs.value).strip()
    if name == "label count":  # hnswlib prints ndim where it means the length
        expected = "The input label shape"
    assert str(ours.value).startswith(expected), (str(ours.value), expected)


def test_file_saved_after_mixed_concurrent_operations_loads_in_hnswlib(tmp_path):
    # Threads add, update, delete, undelete, replace deleted slots, search and read
    # vectors at once; then the saved file must load in pip hnswlib with the same
    # labels, vectors and deletions, and every live element must find itself there.
    import threading

    n_labels, dim = 1200, DIM
    rng = np.random.default_rng(11)
    vectors = rng.random((n_labels * 2, dim), dtype=np.float32)
    p = hnswlib_rs.Index("l2", dim)
    p.init_index(n_labels, M=12, ef_construction=80, allow_replace_deleted=True)
    p.add_items(vectors[:600], np.arange(600), num_threads=2)
    errors = []

    def worker(seed):
        r = np.random.default_rng(seed)
        try:
            for _ in range(1000):
                op = r.integers(6)
                label = int(r.integers(n_labels * 2))
                try:
                    if op == 0:
                        p.add_items(vectors[label], [label], replace_deleted=bool(r.integers(2)))
                    elif op == 1:
                        p.mark_deleted(label % 600)
                    elif op == 2:
                        p.unmark_deleted(label)
                    elif op == 3:
                        p.knn_query(vectors[label], k=5)
                    elif op == 4:
                        p.get_items([label])
                    else:
                        p.knn_query(vectors[label], k=5, filter=lambda x: x % 2 == 0)
                except RuntimeError as e:
                    # Expected refusals: unknown, already deleted or not deleted labels,
                    # a full index, k above the live count.
                    msg = str(e)
                    if not any(s in msg for s in (
                        "Label not found", "already", "not deleted", "exceeds",
                        "contiguous", "capacity", "Cannot", "deleted")):
                        raise
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a worker hung"
    assert not errors, errors

    path = str(tmp_path / "stressed.bin")
    p.save_index(path)
    theirs = hnswlib.Index("l2", dim)
    theirs.load_index(path, allow_replace_deleted=True)
    ids = sorted(p.get_ids_list())
    assert sorted(theirs.get_ids_list()) == ids
    assert theirs.element_count == p.element_count

    def split(index):
        # Deleted labels are "not found" for get_items, in both libraries.
        live, deleted = [], []
        for label in ids:
            try:
                index.get_items([label])
                live.append(label)
            except RuntimeError:
                deleted.append(label)
        return live, deleted

    live, deleted = split(p)
    assert split(theirs) == (live, deleted)
    assert live and deleted, "the workers both deleted and kept elements"
    stored = np.asarray(p.get_items(live))
    np.testing.assert_array_equal(np.asarray(theirs.get_items(live)), stored)
    # Every live element finds itself in hnswlib's copy at a high ef (its vector is
    # unique: each label has its own row); deleted labels never come back.
    theirs.set_ef(200)
    labels, _ = theirs.knn_query(stored, k=1)
    np.testing.assert_array_equal(labels[:, 0], live)
