"""hnswlib-rs, the hnswlib-compatible HNSW port: a drop-in for pip ``hnswlib``.

``import hnswlib_rs as hnswlib`` keeps code written for hnswlib 0.8.0 working: the
same ``Index`` and ``BFIndex`` classes, arguments, return types, exceptions, index
files and pickles, with the index itself written in Rust. The GIL is released while
adding, searching, saving, loading and resizing.

Beyond hnswlib: ``knn_query(..., ef=...)`` per call, filters given as a boolean mask
or an array of allowed labels (no GIL needed), ``get_deleted_count()``, ``len()``,
``add_items(..., progress=True)``, custom distances (``space='custom'``), picklable
``BFIndex``, and clear exceptions where hnswlib crashes. ``Index("l2", dim,
dtype=numpy.uint8)`` (and ``BFIndex``) stores uint8 vectors compared by hnswlib's
integer ``L2SpaceI``, with exact integer distances.

A native file format beside hnswlib's: ``index.save_index(path, format="native")``
writes a file that names its space, dimension and settings, so
``hnswlib_rs.load_index(path)`` needs no arguments, and ``Index.open_view(path)`` (or
``load_index(path, mmap=True)``) maps it into memory as a read-only index that opens in
milliseconds and is shared between processes.
"""

from ._hnswlib_rs import BFIndex, Index, KERNELS, __version__, load_index

__all__ = ["Index", "BFIndex", "load_index", "KERNELS", "__version__"]
