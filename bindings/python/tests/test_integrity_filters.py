"""check_integrity (hnswlib's checkIntegrity) and the data filters (allow-lists and
masks, evaluated by the core without calling Python), against brute force."""

import struct

import numpy as np
import pytest

import hnswlib_rs
from conftest import brute_force, make_index

HEADER = 96  # hnswlib's file header


def filtered_brute_force(data, labels, queries, k, allowed):
    keep = np.array([l in allowed for l in labels])
    order, dist = brute_force(data[keep], queries, k)
    return labels[keep][order], dist


def test_check_integrity_of_a_built_and_a_loaded_index(tmp_path):
    index, data = make_index(dim=4, n=300, M=8)
    report = index.check_integrity()
    assert set(report) == {"connections", "min_inbound", "max_inbound", "without_inbound"}
    assert report["connections"] > 300
    assert 0 <= report["min_inbound"] <= report["max_inbound"]
    assert 0 <= report["without_inbound"] < 300
    path = tmp_path / "ok.bin"
    index.save_index(str(path))
    loaded = hnswlib_rs.Index("l2", 4)
    loaded.load_index(str(path))
    assert loaded.check_integrity() == report
    with pytest.raises(RuntimeError, match="not initialized"):
        hnswlib_rs.Index("l2", 4).check_integrity()


@pytest.mark.parametrize("fault", ["repeated", "self"])
def test_check_integrity_raises_on_a_damaged_graph(tmp_path, fault):
    index, _ = make_index(dim=4, n=200, M=8)
    path = tmp_path / "bad.bin"
    index.save_index(str(path))
    b = bytearray(path.read_bytes())
    assert struct.unpack_from("<I", b, HEADER)[0] & 0xFFFF >= 2
    first = struct.unpack_from("<I", b, HEADER + 4)[0]
    # element 0's second level-0 link repeats its first, or its first names itself
    if fault == "repeated":
        struct.pack_into("<I", b, HEADER + 8, first)
    else:
        struct.pack_into("<I", b, HEADER + 4, 0)
    path.write_bytes(bytes(b))
    loaded = hnswlib_rs.Index("l2", 4)
    loaded.load_index(str(path))  # the loader accepts it: the links are in range
    with pytest.raises(RuntimeError, match="integrity.*(twice|itself)"):
        loaded.check_integrity()


@pytest.mark.parametrize("cls", ["Index", "BFIndex"])
def test_allow_lists_and_masks_match_brute_force(cls, rng):
    n, dim, k = 600, 6, 5
    data = rng.random((n, dim), dtype=np.float32)
    labels = np.arange(n, dtype=np.uint64) * 3  # labels 0, 3, 6, ...
    if cls == "Index":
        index = hnswlib_rs.Index("l2", dim)
        index.init_index(n, M=16, ef_construction=200)
        index.set_ef(n)
    else:
        index = hnswlib_rs.BFIndex("l2", dim)
        index.init_index(n)
    index.add_items(data, labels)
    queries = rng.random((20, dim), dtype=np.float32)

    # an allow-list with labels not in the index (1, 2, 4, ...) and beyond it
    allowed = np.concatenate([np.arange(0, 3 * n, 2), [10**12, 2**63]]).astype(np.uint64)
    expect_labels, expect_dist = filtered_brute_force(data, labels, queries, k, set(allowed.tolist()))
    got_labels, got_dist = index.knn_query(queries, k=k, filter=allowed)
    np.testing.assert_array_equal(got_labels, expect_labels)
    np.testing.assert_allclose(got_dist, expect_dist, rtol=1e-5, atol=1e-6)

    # a mask shorter than the largest label: labels past its end are not allowed
    mask = np.zeros(n, dtype=bool)  # covers labels < n only, i.e. the first third
    mask[::4] = True
    allowed_by_mask = {l for l in range(n) if mask[l]}
    expect_labels, _ = filtered_brute_force(data, labels, queries, k, allowed_by_mask)
    got_labels, _ = index.knn_query(queries, k=k, filter=mask)
    np.testing.assert_array_equal(got_labels, expect_labels)
    assert (got_labels < n).all()

    # an empty allow-list: nothing is allowed
    with pytest.raises(RuntimeError, match="Cannot return the results"):
        index.knn_query(queries[:1], k=1, filter=np.array([], dtype=np.uint64))
    lims, found, _ = index.range_query(queries[:3], 10.0, filter=np.array([], dtype=np.int64))
    assert found.size == 0 and list(lims) == [0, 0, 0, 0]
