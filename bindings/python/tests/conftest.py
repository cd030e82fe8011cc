import numpy as np
import pytest

import hnswlib_rs


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def make_index(space="l2", dim=8, n=200, max_elements=None, seed=0, **init):
    """An Index holding n random rows labelled 0..n-1, and the rows."""
    data = np.random.default_rng(seed).random((n, dim), dtype=np.float32)
    index = hnswlib_rs.Index(space, dim)
    index.init_index(max_elements or n, **init)
    if n:
        # one thread: the same graph on every run
        index.add_items(data, np.arange(n), num_threads=1)
    return index, data


def brute_force(data, queries, k, space="l2"):
    """Exact labels and distances with numpy, hnswlib's distance definitions."""
    if space == "l2":
        d = ((queries[:, None, :] - data[None, :, :]) ** 2).sum(-1)
    else:
        if space == "cosine":
            data = data / (np.linalg.norm(data, axis=1, keepdims=True) + 1e-30)
            queries = queries / (np.linalg.norm(queries, axis=1, keepdims=True) + 1e-30)
        d = 1.0 - queries @ data.T
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, axis=1)
