"""The GIL is released during work; Python callbacks run from worker threads.

Every test here has a timeout: a Python callback called from a worker thread
deadlocks unless the calling thread released the GIL before the work started.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

import hnswlib_rs
from conftest import make_index

pytestmark = pytest.mark.timeout(60)


def test_searches_from_threads_while_another_thread_adds():
    dim, n = 16, 4000
    rng = np.random.default_rng(3)
    data = rng.random((n, dim), dtype=np.float32)
    p = hnswlib_rs.Index("l2", dim)
    p.init_index(n)
    p.add_items(data[:1000], np.arange(1000))
    errors = []
    done = threading.Event()

    def writer():
        try:
            for start in range(1000, n, 500):
                p.add_items(data[start : start + 500], np.arange(start, start + 500), num_threads=2)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()

    answered = []

    def reader():
        try:
            while not done.is_set():
                try:
                    labels, dist = p.knn_query(data[:50], k=5, num_threads=1)
                except RuntimeError as e:
                    # As in hnswlib, a search that meets elements still being linked
                    # may, rarely, find fewer than k.
                    assert "Cannot return the results" in str(e)
                    continue
                answered.append(1)
                # every answer is an element that was added, at its true distance
                assert (labels < n).all()
                true = ((data[labels.astype(np.int64)] - data[:50, None, :]) ** 2).sum(-1)
                np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-4)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert answered
    assert p.get_current_count() == n
    labels, _ = p.knn_query(data, k=1)
    assert (labels[:, 0] == np.arange(n)).mean() > 0.99


def test_gil_is_released_during_a_long_add():
    # While add_items runs in one thread, a Python thread keeps running.
    dim, n = 32, 20000
    data = np.random.default_rng(5).random((n, dim), dtype=np.float32)
    p = hnswlib_rs.Index("l2", dim)
    p.init_index(n, ef_construction=200)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    t0 = time.perf_counter()
    p.add_items(data, num_threads=1)
    t1 = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if t0 < x < t1]
    assert t1 - t0 > 0.1, "the add was too short to tell"
    # with the GIL held during the add, the ticker could not run at all
    assert len(during) >= 5


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_python_filter_from_worker_threads(threads):
    p, data = make_index(dim=8, n=2000)
    calls = []

    def odd(label):
        calls.append(label)
        return label % 2  # truthy values count, as in hnswlib

    labels, _ = p.knn_query(data[:64], k=5, num_threads=threads, filter=odd)
    assert calls and (labels % 2 == 1).all()


def test_filter_exception_comes_back_unchanged():
    p, data = make_index(dim=8, n=500)

    def bad(label):
        raise ValueError("no labels today")

    with pytest.raises(ValueError, match="no labels today"):
        p.knn_query(data[:40], k=3, num_threads=2, filter=bad)
    # the index still works afterwards
    assert p.knn_query(data[0], k=1)[0][0, 0] == 0


def test_mask_and_label_filters():
    p, data = make_index(dim=8, n=1000)
    allowed = np.arange(0, 1000, 7)
    mask = np.zeros(1000, dtype=bool)
    mask[allowed] = True
    a, _ = p.knn_query(data[:30], k=5, filter=mask, ef=200)
    b, _ = p.knn_query(data[:30], k=5, filter=allowed, ef=200)
    c, _ = p.knn_query(data[:30], k=5, filter=list(allowed), ef=200)
    d, _ = p.knn_query(data[:30], k=5, filter=lambda label: label % 7 == 0, ef=200, num_threads=1)
    assert (a % 7 == 0).all()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a, d)
    with pytest.raises(RuntimeError, match="Cannot return the results"):
        p.knn_query(data[:2], k=2, filter=np.array([3]))
    short_mask = np.ones(10, bool)  # labels past the end are not allowed
    labels, _ = p.knn_query(data[500], k=3, filter=short_mask, ef=1000)
    assert (labels < 10).all()
    with pytest.raises(TypeError, match="filter must be"):
        p.knn_query(data[:2], k=1, filter=np.array([0.5, 1.5]))
    with pytest.raises(TypeError, match="filter must be"):
        p.knn_query(data[:2], k=1, filter=np.ones((2, 2), bool))


def test_filter_may_read_the_index():
    # A filter that calls back into the index (a read) must not deadlock.
    p, data = make_index(dim=4, n=200)
    labels, _ = p.knn_query(data[:4], k=2, filter=lambda label: p.get_current_count() > 0, num_threads=2)
    assert labels.shape == (4, 2)


def test_concurrent_save_load_resize_while_searching(tmp_path):
    p, data = make_index(dim=8, n=3000, max_elements=3000)
    errors = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                p.knn_query(data[:20], k=3)
        except Exception as e:
            errors.append(e)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in readers:
        t.start()
    p.save_index(tmp_path / "a.bin")
    p.resize_index(6000)
    q = hnswlib_rs.Index("l2", 8)
    q.load_index(tmp_path / "a.bin")
    stop.set()
    for t in readers:
        t.join()
    assert not errors
    assert p.get_max_elements() == 6000 and q.get_current_count() == 3000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.parametrize("cls", [hnswlib_rs.Index, hnswlib_rs.BFIndex])
def test_forked_child_searches_with_threads(tmp_path, cls):
    # The parent's thread pools have no threads in a forked child (multiprocessing's
    # "fork" start method): the child must start its own, not wait on them forever.
    dim, n = 8, 2000
    data = np.random.default_rng(5).random((n, dim), dtype=np.float32)
    p = cls("l2", dim)
    p.init_index(n)
    p.add_items(data, np.arange(n))
    expected, _ = p.knn_query(data[:200], k=3, num_threads=2)
    path = tmp_path / "index.bin"
    p.save_index(path)
    out = tmp_path / "child.npy"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            q = cls("l2", dim)
            q.load_index(str(path))
            labels, _ = q.knn_query(data[:200], k=3, num_threads=2)
            more, _ = p.knn_query(data[:200], k=3, num_threads=2)  # the inherited index
            np.save(out, np.stack([labels, more]))
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's threaded search did not finish in 30 s")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0
    labels, more = np.load(out)
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(more, expected)
