"""hnswlib-rs, the hnswlib-compatible HNSW port: a drop-in for pip ``hnswlib``.

``import hnswlib_rs as hnswlib`` keeps code written for hnswlib 0.8.0 working: the
same ``Index`` and ``BFIndex`` classes, arguments, return types, exceptions, index
files and pickles, with the index itself written in Rust. The GIL is released while
adding, searching, saving, loading and resizing.

Beyond hnswlib: ``knn_query(..., ef=...)`` per call, filters given as a boolean mask
or an array of allowed labels (no GIL needed), ``get_deleted_count()``, ``len()``,
``add_items(..., progress=True)``, custom distances (``space='custom'``), picklable
``BFIndex``, and clear exceptions where hnswlib crashes.
"""

from ._hnswlib_rs import BFIndex, Index, KERNELS, __version__

__all__ = ["Index", "BFIndex", "KERNELS", "__version__"]
