"""Custom distances: a native function by address (ctypes, numba-style .address, int)
or a Python callable."""

import ctypes
import pickle
import shutil
import subprocess

import numpy as np
import pytest

import hnswlib_rs

pytestmark = pytest.mark.timeout(120)

DIM = 6

# hnswlib's distance signature; the third argument is user_data (by default a pointer
# to the dimension as a size_t, as hnswlib's own spaces pass it).
C_SOURCE = r"""
#include <stddef.h>
float l2_dim(const void *a, const void *b, const void *param) {
    const float *x = a, *y = b;
    size_t n = *(const size_t *)param;
    float s = 0;
    for (size_t i = 0; i < n; i++) { float d = x[i] - y[i]; s += d * d; }
    return s;
}
float scaled_l1(const void *a, const void *b, const void *param) {
    const float *x = a, *y = b;
    const float *scale = param;
    float s = 0;
    for (size_t i = 0; i < 6; i++) { float d = x[i] - y[i]; s += d < 0 ? -d : d; }
    return s * scale[0];
}
"""

DISTANCE_FN = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


@pytest.fixture(scope="module")
def clib(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the native distance")
    d = tmp_path_factory.mktemp("clib")
    (d / "dist.c").write_text(C_SOURCE)
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(d / "dist.so"), str(d / "dist.c")], check=True)
    return ctypes.CDLL(str(d / "dist.so"))


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(11).random((400, DIM), dtype=np.float32)


def reference(data, queries, k):
    ref = hnswlib_rs.BFIndex("l2", DIM)
    ref.init_index(len(data))
    ref.add_items(data)
    return ref.knn_query(queries, k=k)


def build(distance, data, **kw):
    p = hnswlib_rs.Index("custom", DIM, distance=distance, **kw)
    p.init_index(len(data), ef_construction=100)
    p.add_items(data, num_threads=1)
    p.set_ef(100)
    return p


def check_l2(p, data):
    """Search with the custom distance returns true L2 distances and the exact
    neighbours (up to the approximation)."""
    queries = data[:30] + 0.01
    labels, dist = p.knn_query(queries, k=5)
    true = ((data[labels.astype(np.int64)] - queries[:, None, :]) ** 2).sum(-1)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-6)
    ref_labels, _ = reference(data, queries, 5)
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(labels, ref_labels)])
    assert recall > 0.9


def test_native_function_by_ctypes_pointer_and_address(clib, data):
    fn = ctypes.cast(clib.l2_dim, DISTANCE_FN)
    p = build(fn, data)
    assert p.space == "custom" and p.dim == DIM
    check_l2(p, data)
    address = ctypes.cast(clib.l2_dim, ctypes.c_void_p).value
    check_l2(build(address, data), data)

    class CFunc:  # what numba's @cfunc exposes
        def __init__(self, address):
            self.address = address

    check_l2(build(CFunc(address), data), data)


def test_native_function_with_user_data(clib, data):
    scale = ctypes.c_float(2.0)
    address = ctypes.cast(clib.scaled_l1, ctypes.c_void_p).value
    p = build(address, data, user_data=ctypes.addressof(scale))
    labels, dist = p.knn_query(data[:3], k=1)
    np.testing.assert_array_equal(labels[:, 0], [0, 1, 2])
    q = data[0] + np.array([0.1, -0.1, 0, 0, 0, 0], np.float32)
    _, dist = p.knn_query(q, k=1)
    np.testing.assert_allclose(dist[0, 0], 2.0 * 0.2, rtol=1e-4)


def test_native_function_runs_on_many_threads(clib, data):
    address = ctypes.cast(clib.l2_dim, ctypes.c_void_p).value
    p = hnswlib_rs.Index("custom", DIM, distance=address)
    p.init_index(len(data))
    p.add_items(data, num_threads=4)
    p.set_ef(100)
    queries = data + 0.01
    labels, dist = p.knn_query(queries, k=3, num_threads=4)
    true = ((data[labels.astype(np.int64)] - queries[:, None, :]) ** 2).sum(-1)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-6)
    assert (labels[:, 0] == np.arange(len(data))).mean() > 0.95


def test_ctypes_callback_wrapping_python(data):
    @DISTANCE_FN
    def l2(a, b, _param):
        x = np.ctypeslib.as_array(ctypes.cast(a, ctypes.POINTER(ctypes.c_float)), (DIM,))
        y = np.ctypeslib.as_array(ctypes.cast(b, ctypes.POINTER(ctypes.c_float)), (DIM,))
        return float(((x - y) ** 2).sum())

    p = build(l2, data[:150])
    check_l2(p, data[:150])


def test_python_callable_distance(data):
    calls = []

    def l2(a, b):
        calls.append(1)
        assert a.dtype == np.float32 and a.shape == (DIM,)
        return float(((a - b) ** 2).sum())

    p = build(l2, data[:150])
    assert calls
    check_l2(p, data[:150])
    labels, _ = p.knn_query(data[:20], k=1, num_threads=2)  # worker threads take the GIL
    assert (labels[:, 0] == np.arange(20)).all()
    b = hnswlib_rs.BFIndex("custom", DIM, distance=l2)
    b.init_index(150)
    b.add_items(data[:150])
    np.testing.assert_array_equal(b.knn_query(data[:10], k=3)[0], reference(data[:150], data[:10], 3)[0])


def test_python_distance_errors_are_raised(data):
    def broken(a, b):
        raise ZeroDivisionError("bad distance")

    p = hnswlib_rs.Index("custom", DIM, distance=broken)
    p.init_index(10)
    with pytest.raises(ZeroDivisionError, match="bad distance"):
        p.add_items(data[:5])

    p = hnswlib_rs.Index("custom", DIM, distance=lambda a, b: "far")
    p.init_index(10)
    with pytest.raises(TypeError):
        p.add_items(data[:5])


def test_custom_space_rules(clib, data, tmp_path):
    with pytest.raises(ValueError, match="needs space='custom'"):
        hnswlib_rs.Index("l2", DIM, distance=lambda a, b: 0.0)
    with pytest.raises(TypeError, match="distance must be"):
        hnswlib_rs.Index("custom", DIM, distance="l2")
    with pytest.raises(ValueError, match="NULL"):
        hnswlib_rs.Index("custom", DIM, distance=0)
    with pytest.raises(ValueError, match="user_data is only for native"):
        hnswlib_rs.Index("custom", DIM, distance=lambda a, b: 0.0, user_data=5)
    address = ctypes.cast(clib.l2_dim, ctypes.c_void_p).value
    p = build(address, data)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(p)
    p.save_index(tmp_path / "custom.bin")
    q = hnswlib_rs.Index("custom", DIM, distance=address)
    q.load_index(tmp_path / "custom.bin")
    np.testing.assert_array_equal(q.knn_query(data[:10], k=3)[0], p.knn_query(data[:10], k=3)[0])
    copy = hnswlib_rs.Index(p)  # the copy shares the distance
    np.testing.assert_array_equal(copy.knn_query(data[:10], k=3)[0], p.knn_query(data[:10], k=3)[0])
