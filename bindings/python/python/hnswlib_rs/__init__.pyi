"""Type stubs of hnswlib_rs, hnswlib-rs's drop-in for pip ``hnswlib`` 0.8.0."""

import os
from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, Type, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str
KERNELS: str
"""The SIMD kernel table chosen for this CPU: 'avx512', 'avx2', 'neon' or 'scalar'."""

_Vectors = npt.ArrayLike
"""(n, dim) or (dim,) numbers; converted to float32. A uint8 index takes uint8 data or
integers in 0..255 (float data: TypeError)."""
_Dtype = Union[None, str, "np.dtype[Any]", Type[np.float32], Type[np.uint8]]
"""numpy.float32 (the default) or numpy.uint8 (space 'l2' only: hnswlib's L2SpaceI)."""
_Items = npt.NDArray[Union[np.float32, np.uint8]]
"""get_items: float32 (n, dim), uint8 for a uint8 index."""
_Labels = Union[int, np.integer, npt.ArrayLike]
_Filter = Union[Callable[[int], Any], npt.NDArray[np.bool_], npt.ArrayLike, None]
_Distance = Union[int, Callable[[npt.NDArray[np.float32], npt.NDArray[np.float32]], float], Any]
_Progress = Union[bool, Callable[[int, int], Optional[bool]], None]
_Path = Union[str, "os.PathLike[str]"]
_DocIds = Union[npt.ArrayLike, Dict[int, int]]
"""Each label's document: integers indexed by label (negative: none) or {label: document}."""
_RangeResult = Tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.float32]]
"""FAISS's range_search layout: (lims (n+1,), labels, distances); row i is [lims[i]:lims[i+1]]."""
_DocsResult = Tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.float32]]
"""(docs (n, k), labels of each document's closest vector (n, k), distances (n, k))."""

class Index:
    """An HNSW index with the API of pip hnswlib's ``hnswlib.Index``."""

    @overload
    def __init__(
        self,
        space: Literal["l2", "ip", "cosine", "custom"],
        dim: int,
        *,
        dtype: _Dtype = None,
        distance: Optional[_Distance] = None,
        user_data: Optional[int] = None,
        quantization: Optional[Literal["none", "sq8", "sq4"]] = None,
        keep_vectors: bool = True,
        distance_name: Optional[str] = None,
    ) -> None:
        """dtype=numpy.uint8 (space 'l2' only): vectors of dim bytes, squared L2 summed in
        integers (hnswlib's L2SpaceI), distances exact integers returned as float32."""
    @overload
    def __init__(self, params: Dict[str, Any]) -> None: ...
    @overload
    def __init__(self, index: "Index") -> None: ...
    def init_index(
        self,
        max_elements: int,
        M: int = 16,
        ef_construction: int = 200,
        random_seed: int = 100,
        allow_replace_deleted: bool = False,
    ) -> None: ...
    def add_items(
        self,
        data: _Vectors,
        ids: Optional[_Labels] = None,
        num_threads: int = -1,
        replace_deleted: bool = False,
        progress: _Progress = None,
    ) -> None: ...
    def knn_query(
        self,
        data: _Vectors,
        k: int = 1,
        num_threads: int = -1,
        filter: _Filter = None,
        ef: Optional[int] = None,
        rerank: Optional[float] = None,
    ) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]]: ...
    def range_query(
        self,
        data: _Vectors,
        epsilon: float,
        max_results: Optional[int] = None,
        filter: _Filter = None,
        num_threads: int = -1,
        min_candidates: Optional[int] = None,
    ) -> _RangeResult:
        """Every element within ``epsilon`` (squared for l2) of each row, closest first.

        ``min_candidates`` (hnswlib's min_num_candidates; None: the index's ef) is how
        many results the search explores at least; higher finds more of the range.
        """
    def knn_query_docs(
        self,
        data: _Vectors,
        k: int = 1,
        doc_ids: Optional[_DocIds] = None,
        filter: _Filter = None,
        num_threads: int = -1,
        ef_collection: Optional[int] = None,
    ) -> _DocsResult:
        """The k best documents of each row, each scored by its closest vector."""
    @overload
    def get_items(
        self, ids: Optional[_Labels] = None, return_type: Literal["numpy"] = "numpy"
    ) -> _Items: ...
    @overload
    def get_items(self, ids: Optional[_Labels], return_type: Literal["list"]) -> List[List[float]]: ...
    def get_ids_list(self) -> List[int]: ...
    def check_integrity(self) -> Dict[str, int]:
        """hnswlib's checkIntegrity: {connections, min_inbound, max_inbound, without_inbound};
        RuntimeError on a broken graph (a self link, a repeated link, a link out of range)."""
    def set_ef(self, ef: int) -> None: ...
    def set_rerank(self, rerank: float) -> None: ...
    def set_num_threads(self, num_threads: int) -> None: ...
    def index_file_size(self) -> int: ...
    def save_index(
        self,
        path_to_index: _Path,
        sync: bool = True,
        *,
        format: Literal["hnswlib", "native"] = "hnswlib",
    ) -> None:
        """Saves atomically; format='hnswlib' (pip hnswlib loads it) or 'native'
        (self-describing, checksummed, can be opened with open_view)."""
    def load_index(
        self,
        path_to_index: _Path,
        max_elements: int = 0,
        allow_replace_deleted: bool = False,
        *,
        mmap: bool = False,
        verify: bool = False,
        populate: bool = False,
    ) -> None:
        """Loads a file in either format; it must match this Index's space and dim.
        mmap=True views a native file read-only with this Index's space (custom
        distances too)."""
    @classmethod
    def open_view(
        cls, path_to_index: _Path, verify: bool = False, populate: bool = False
    ) -> "Index":
        """A read-only Index over a memory-mapped native file; space, dim and settings
        come from the file. Adds, deletes and resizes raise RuntimeError."""
    @classmethod
    def from_bytes(
        cls, data: bytes, max_elements: int = 0, allow_replace_deleted: bool = False
    ) -> "Index":
        """A new Index from bytes in the native format (to_bytes(format='native')),
        which name their space, dim and settings."""
    def to_bytes(self, *, format: Literal["hnswlib", "native"] = "hnswlib") -> bytes:
        """The bytes save_index(path, format=format) writes."""
    @property
    def distance_name(self) -> Optional[str]:
        """The name of a custom distance (distance_name=, or a native file's), or None."""
    @property
    def is_view(self) -> bool:
        """Whether the index is a read-only view of a file (open_view)."""
    def mark_deleted(self, label: int) -> None: ...
    def unmark_deleted(self, label: int) -> None: ...
    def resize_index(self, new_size: int) -> None: ...
    def get_max_elements(self) -> int: ...
    def get_current_count(self) -> int: ...
    def get_deleted_count(self) -> int: ...
    def __len__(self) -> int: ...
    @property
    def space(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def dtype(self) -> "np.dtype[Any]":
        """numpy.dtype('float32') or numpy.dtype('uint8')."""
    @property
    def M(self) -> int: ...
    @property
    def ef_construction(self) -> int: ...
    @property
    def max_elements(self) -> int: ...
    @property
    def element_count(self) -> int: ...
    @property
    def ef(self) -> int: ...
    @ef.setter
    def ef(self, value: int) -> None: ...
    @property
    def num_threads(self) -> int: ...
    @num_threads.setter
    def num_threads(self, value: int) -> None: ...
    @property
    def rerank(self) -> float: ...
    @rerank.setter
    def rerank(self, value: float) -> None: ...
    @property
    def quantization(self) -> Literal["none", "sq8", "sq4"]: ...
    def __getstate__(self) -> Tuple[Dict[str, Any]]: ...
    def __setstate__(self, state: Tuple[Dict[str, Any]]) -> None: ...

def load_index(
    path_to_index: _Path,
    max_elements: int = 0,
    allow_replace_deleted: bool = False,
    *,
    mmap: bool = False,
    verify: bool = False,
    populate: bool = False,
) -> Index:
    """A new Index from a native file (save_index(..., format='native')), which names its
    space, dim and settings. mmap=True opens it as a read-only view (Index.open_view)."""

class BFIndex:
    """An exact index with the API of pip hnswlib's ``hnswlib.BFIndex``."""

    def __init__(
        self,
        space: Literal["l2", "ip", "cosine", "custom"],
        dim: int,
        *,
        dtype: _Dtype = None,
        distance: Optional[_Distance] = None,
        user_data: Optional[int] = None,
    ) -> None: ...
    def init_index(self, max_elements: int) -> None: ...
    def add_items(self, data: _Vectors, ids: Optional[_Labels] = None) -> None: ...
    def delete_vector(self, label: int) -> None: ...
    def knn_query(
        self,
        data: _Vectors,
        k: int = 1,
        num_threads: int = -1,
        filter: _Filter = None,
    ) -> Tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]]: ...
    def range_query(
        self,
        data: _Vectors,
        epsilon: float,
        max_results: Optional[int] = None,
        filter: _Filter = None,
        num_threads: int = -1,
    ) -> _RangeResult:
        """Every element within ``epsilon`` of each row, exactly, closest first."""
    def knn_query_docs(
        self,
        data: _Vectors,
        k: int = 1,
        doc_ids: Optional[_DocIds] = None,
        filter: _Filter = None,
        num_threads: int = -1,
    ) -> _DocsResult:
        """The exact k best documents of each row, each scored by its closest vector."""
    @overload
    def get_items(
        self, ids: Optional[_Labels] = None, return_type: Literal["numpy"] = "numpy"
    ) -> _Items: ...
    @overload
    def get_items(self, ids: Optional[_Labels], return_type: Literal["list"]) -> List[List[float]]: ...
    def get_ids_list(self) -> List[int]: ...
    def save_index(self, path_to_index: _Path, sync: bool = True) -> None: ...
    def load_index(self, path_to_index: _Path, max_elements: int = 0) -> None: ...
    def resize_index(self, new_size: int) -> None: ...
    def set_num_threads(self, num_threads: int) -> None: ...
    def get_max_elements(self) -> int: ...
    def get_current_count(self) -> int: ...
    def __len__(self) -> int: ...
    @property
    def space(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def dtype(self) -> "np.dtype[Any]": ...
    @property
    def max_elements(self) -> int: ...
    @property
    def element_count(self) -> int: ...
    @property
    def num_threads(self) -> int: ...
    @num_threads.setter
    def num_threads(self, value: int) -> None: ...
    def __getstate__(self) -> Tuple[Dict[str, Any]]: ...
    def __setstate__(self, state: Tuple[Dict[str, Any]]) -> None: ...
