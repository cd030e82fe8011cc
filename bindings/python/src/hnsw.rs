//! `hnswlib_rs.Index`: pip hnswlib's `Index` over [`HnswIndex`].
//!
//! The object holds the space, hnswlib's per-object settings (default ef, thread
//! count) and, once initialised, an `Arc` of the core index. Each call clones what it
//! needs under a short lock and releases the lock before the work starts, so the GIL
//! is never held while waiting for the lock, and the lock never while the GIL is
//! released.

use std::path::PathBuf;
use std::sync::Arc;

use hnswlib_core::{
    AddOptions, FileFormat, Filter, HnswIndex, HnswParams, LoadOptions, Quantization, SaveOptions,
    SearchOptions, ViewOptions,
};
use numpy::PyArray2;
use parking_lot::RwLock;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};

use crate::callbacks::PyCallback;
use crate::convert::{self, with_rows, Items, Results};
use crate::errors::{load_error, not_initialized, too_few_results, IntoPy};
use crate::spaces::{self, Dtype, SpaceSpec};
use crate::state;
use crate::stop;

type KnnResult<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>);

/// The mutable part of an `Index`.
#[derive(Clone)]
struct Inner {
    spec: Option<Arc<SpaceSpec>>,
    index: Option<Arc<HnswIndex>>,
    /// ef applied at init and load (hnswlib's `default_ef`, also what set_ef sets).
    default_ef: usize,
    num_threads: i64,
    seed: u64,
    /// Storage mode given to the constructor, applied at init and load.
    quantization: Quantization,
    keep_vectors: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            spec: None,
            index: None,
            default_ef: hnswlib_core::hnsw::DEFAULT_EF,
            num_threads: default_threads(),
            seed: 100,
            quantization: Quantization::None,
            keep_vectors: true,
        }
    }
}

impl Inner {
    /// The state of an object over `index`, read from a native file: the file names
    /// the space, the storage mode and ef.
    fn of_file(index: HnswIndex) -> PyResult<Self> {
        let spec = spaces::of_file(index.space())?;
        Ok(Inner {
            spec: Some(Arc::new(spec)),
            default_ef: index.ef(),
            seed: index.random_seed(),
            quantization: index.quantization(),
            keep_vectors: index.keeps_vectors(),
            index: Some(Arc::new(index)),
            ..Inner::default()
        })
    }

    /// Load options carrying this object's storage mode.
    fn load_options(&self, max_elements: usize, allow_replace_deleted: bool) -> LoadOptions {
        LoadOptions {
            max_elements,
            allow_replace_deleted,
            random_seed: self.seed,
            quantization: self.quantization,
            keep_vectors: self.keep_vectors,
        }
    }
}

/// hnswlib's default thread count: the number of hardware threads.
pub fn default_threads() -> i64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as i64)
}

/// How a native file is opened: read into memory, or mapped as a read-only view.
enum Open {
    Load(LoadOptions),
    View(ViewOptions),
}

impl Open {
    /// A view when `mmap` (which takes no load options), else a load with `load`.
    fn new(mmap: bool, (verify, populate): (bool, bool), load: LoadOptions) -> PyResult<Self> {
        if !mmap {
            return Ok(Open::Load(load));
        }
        if load.max_elements != 0 || load.allow_replace_deleted {
            return Err(PyValueError::new_err(
                "a view (mmap=True) is read-only: max_elements and allow_replace_deleted do not apply",
            ));
        }
        Ok(Open::View(ViewOptions { verify, populate }))
    }
}

/// The state of an object over the native file at `path`, which names its space,
/// dimension and settings (the GIL is released meanwhile).
fn open_native(py: Python<'_>, path: PathBuf, how: Open) -> PyResult<Inner> {
    let index = py
        .detach(|| match &how {
            Open::Load(opts) => HnswIndex::open(&path, opts),
            Open::View(opts) => HnswIndex::open_view(&path, opts),
        })
        .map_err(load_error)?;
    Inner::of_file(index)
}

/// load_index(path_to_index, max_elements=0, allow_replace_deleted=False, *, mmap=False, verify=False, populate=False)
///
/// A new Index from a file saved with save_index(..., format='native'): the file
/// names its space, dimension, M, ef, storage mode and element count, so none is
/// given here (the FAISS way: `faiss.read_index(path)`). max_elements below the
/// element count (e.g. 0) keeps the saved capacity. mmap=True maps the file as a
/// read-only view instead (see Index.open_view; verify and populate apply to views
/// only, since a load checks the whole file anyway). A file in hnswlib's format
/// does not name its space: load it with Index(space, dim).load_index(path).
#[pyfunction]
#[pyo3(signature = (path_to_index, max_elements=0, allow_replace_deleted=false, *, mmap=false, verify=false, populate=false))]
pub fn load_index(
    py: Python<'_>,
    path_to_index: PathBuf,
    max_elements: usize,
    allow_replace_deleted: bool,
    mmap: bool,
    verify: bool,
    populate: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let load = LoadOptions {
        max_elements,
        allow_replace_deleted,
        ..LoadOptions::default()
    };
    let how = Open::new(mmap, (verify, populate), load)?;
    let inner = open_native(py, path_to_index, how)?;
    Index::new_of(&py.get_type::<Index>(), inner)
}

/// What a call on an initialised index needs.
struct Ready {
    index: Arc<HnswIndex>,
    spec: Arc<SpaceSpec>,
    num_threads: i64,
}

/// The progress callback of add_items and the bar to close afterwards.
pub struct Progress {
    callback: PyCallback,
    bar: Option<Py<PyAny>>,
}

impl Progress {
    /// `progress=True` makes a bar (tqdm when installed); a callable is called as
    /// `f(done, total)` and stops the batch by returning False.
    pub fn new(
        py: Python<'_>,
        arg: Option<&Bound<'_, PyAny>>,
        total: usize,
    ) -> PyResult<Option<Self>> {
        let Some(arg) = arg.filter(|a| !a.is_none()) else {
            return Ok(None);
        };
        if arg.is_callable() {
            return Ok(Some(Progress {
                callback: PyCallback::new(arg.clone().unbind()),
                bar: None,
            }));
        }
        if !arg.is_truthy()? {
            return Ok(None);
        }
        let bar = py
            .import("hnswlib_rs._progress")?
            .getattr("ProgressBar")?
            .call1((total,))?
            .unbind();
        Ok(Some(Progress {
            callback: PyCallback::new(bar.clone_ref(py)),
            bar: Some(bar),
        }))
    }

    /// The function for the core.
    pub fn func(&self) -> impl Fn(usize, usize) -> bool + Sync + '_ {
        move |done, total| self.callback.progress(done, total)
    }

    /// Closes the bar and returns the exception the callback raised, if any.
    pub fn finish(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(bar) = &self.bar {
            bar.call_method0(py, "close")?;
        }
        match self.callback.take_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// An HNSW index, with the API of pip hnswlib's `hnswlib.Index`.
#[pyclass(module = "hnswlib_rs", name = "Index", frozen)]
pub struct Index {
    inner: RwLock<Inner>,
}

impl Index {
    fn ready(&self) -> PyResult<Ready> {
        let g = self.inner.read();
        match (&g.index, &g.spec) {
            (Some(index), Some(spec)) => Ok(Ready {
                index: Arc::clone(index),
                spec: Arc::clone(spec),
                num_threads: g.num_threads,
            }),
            _ => Err(not_initialized("Index")),
        }
    }

    fn spec(&self) -> PyResult<Arc<SpaceSpec>> {
        self.inner.read().spec.clone().ok_or_else(|| {
            PyRuntimeError::new_err("The Index was created without a space: use Index(space, dim)")
        })
    }

    fn state_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let g = self.inner.read().clone();
        let spec = g.spec.ok_or_else(|| {
            PyRuntimeError::new_err("The Index was created without a space: use Index(space, dim)")
        })?;
        if spec.custom.is_some() {
            return Err(PyTypeError::new_err(
                "an Index with a custom distance cannot be pickled (its distance function is not data); save_index it and load_index it into an Index with the same distance",
            ));
        }
        let d = PyDict::new(py);
        d.set_item("ser_version", 1)?;
        d.set_item("space", &spec.name)?;
        d.set_item("dim", spec.dim)?;
        state::set_dtype(&d, spec.dtype())?;
        d.set_item("index_inited", g.index.is_some())?;
        d.set_item("ep_added", g.index.as_ref().is_some_and(|i| !i.is_empty()))?;
        d.set_item("normalize", spec.name == "cosine")?;
        d.set_item("num_threads", g.num_threads)?;
        d.set_item("seed", g.seed)?;
        d.set_item("ef", g.default_ef)?;
        if g.quantization.is_quantized() {
            d.set_item("quantization", g.quantization.name())?;
            d.set_item("keep_vectors", g.keep_vectors)?;
        }
        if let Some(index) = g.index {
            let bytes = py
                .detach(|| index.to_bytes())
                .map_err(|e| PyTypeError::new_err(format!("this Index cannot be pickled: {e}")))?;
            state::file_to_dict(py, &bytes, &d)?;
            d.set_item("ef", index.ef())?;
            d.set_item("allow_replace_deleted", index.allow_replace_deleted())?;
        }
        Ok(d)
    }

    fn set_state_dict(&self, py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<()> {
        let spec = Arc::new(state::space_of(d)?);
        let quantization = match state::get::<String>(d, "quantization") {
            Ok(name) => Quantization::by_name(&name).py()?,
            Err(_) => Quantization::None,
        };
        let mut new = Inner {
            spec: Some(Arc::clone(&spec)),
            index: None,
            default_ef: state::get(d, "ef")?,
            num_threads: state::get(d, "num_threads")?,
            seed: state::get::<u64>(d, "seed").unwrap_or(100),
            quantization,
            keep_vectors: state::get::<bool>(d, "keep_vectors").unwrap_or(true),
        };
        if state::get::<bool>(d, "index_inited")? {
            let bytes = state::dict_to_file(d, spec.space.data_size())?;
            let opts = new.load_options(
                state::get(d, "max_elements")?,
                state::get(d, "allow_replace_deleted")?,
            );
            let space = spec.space.clone();
            let index = py
                .detach(|| HnswIndex::from_bytes(&bytes, space, &opts))
                .py()?;
            index.set_ef(new.default_ef);
            new.index = Some(Arc::new(index));
        }
        *self.inner.write() = new;
        Ok(())
    }

    fn copy_from(&self, py: Python<'_>, other: &Index) -> PyResult<()> {
        let mut g = other.inner.read().clone();
        if let (Some(index), Some(spec)) = (g.index.take(), &g.spec) {
            let space = spec.space.clone();
            let opts = LoadOptions {
                random_seed: index.random_seed(),
                ..g.load_options(index.max_elements(), index.allow_replace_deleted())
            };
            let copy = py.detach(|| HnswIndex::from_bytes(&index.to_bytes()?, space, &opts));
            let copy = copy.py()?;
            copy.set_ef(index.ef());
            copy.set_rerank(index.rerank()).py()?;
            g.index = Some(Arc::new(copy));
        }
        *self.inner.write() = g;
        Ok(())
    }

    /// A new object of class `cls` (Index or a subclass) holding `inner`, made
    /// without calling `__init__`, as unpickling makes it.
    fn new_of<'py>(cls: &Bound<'py, PyType>, inner: Inner) -> PyResult<Bound<'py, PyAny>> {
        let obj = cls.call_method1("__new__", (cls,))?;
        *obj.cast::<Index>()
            .map_err(PyErr::from)?
            .get()
            .inner
            .write() = inner;
        Ok(obj)
    }

    fn with_index<T>(&self, f: impl FnOnce(&HnswIndex) -> T, uninit: T) -> T {
        match &self.inner.read().index {
            Some(i) => f(i),
            None => uninit,
        }
    }
}

#[pymethods]
impl Index {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Index {
            inner: RwLock::new(Inner::default()),
        }
    }

    /// Index(space, dim, *, dtype=numpy.float32, distance=None, user_data=None, quantization=None, keep_vectors=True)
    /// Index(params: dict)
    /// Index(index: Index)
    ///
    /// An empty, uninitialised HNSW index for vectors of `dim` float32 values in
    /// `space` ('l2': squared L2, 'ip': 1 - inner product, 'cosine': 1 - cosine
    /// similarity); call init_index or load_index next. From a dict of __getstate__
    /// (also pip hnswlib's) it is restored; from another Index it is a deep copy.
    ///
    /// `dtype=numpy.uint8` (or 'uint8') with space 'l2' stores vectors of `dim` bytes
    /// compared by hnswlib's L2SpaceI (squared L2 summed in integers: distances are
    /// exact integers up to 2**24, returned as float32), and reads and writes
    /// hnswlib's files of L2SpaceI indexes. Its methods take uint8 arrays (or integers
    /// in 0..255; float data raises TypeError) and get_items returns uint8 arrays.
    /// Other spaces, custom distances and quantization take float32 only (ValueError).
    ///
    /// `space='custom'` takes a `distance`: the address of a native function
    /// `float f(const void *a, const void *b, const void *user_data)` (an int, a ctypes
    /// function pointer or a numba cfunc) that runs without the GIL and must be safe
    /// to call from several threads at once; or a Python callable f(a, b) -> float on
    /// two float32 arrays, which runs with the GIL and is therefore slow. A native
    /// function receives `user_data` as its third argument, by default a pointer to
    /// `dim` as a size_t (what hnswlib's own distance functions expect).
    /// `distance_name` (1 to 64 bytes) names the distance: a file saved with
    /// format='native' keeps the name, and loading or viewing it with a distance of
    /// another name raises ValueError instead of giving wrong results.
    ///
    /// `quantization='sq8'` (or `'sq4'`) makes searches traverse 8-bit (4-bit)
    /// codes of the vectors, several times faster on large or high-dimensional data,
    /// and re-rank their best `rerank × k` candidates with exact distances (see
    /// set_rerank). Codes are learnt from the first 1000 or more vectors added (the
    /// index searches exactly until then). `keep_vectors=False` keeps the codes only:
    /// about a quarter of the memory for 8-bit codes, approximate distances, and no
    /// save_index (hnswlib's file stores the vectors). Only for 'l2', 'ip' and
    /// 'cosine'.
    #[pyo3(signature = (space=None, dim=None, *, dtype=None, distance=None, user_data=None, quantization=None, keep_vectors=true, distance_name=None))]
    #[allow(clippy::too_many_arguments)]
    fn __init__(
        &self,
        py: Python<'_>,
        space: Option<&Bound<'_, PyAny>>,
        dim: Option<i64>,
        dtype: Option<&Bound<'_, PyAny>>,
        distance: Option<&Bound<'_, PyAny>>,
        user_data: Option<usize>,
        quantization: Option<&str>,
        keep_vectors: bool,
        distance_name: Option<&str>,
    ) -> PyResult<()> {
        let quantization = Quantization::by_name(quantization.unwrap_or("none")).py()?;
        match (space, dim) {
            (Some(s), Some(dim)) => {
                let name: String = s.extract()?;
                let mut spec =
                    spaces::from_args(&name, dim, distance, user_data, Dtype::from_py(dtype)?)?;
                if let Some(n) = distance_name {
                    if name != "custom" {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "distance_name names a custom distance (space='custom'), not space {name:?}"
                        )));
                    }
                    spec.space = spec.space.clone().named(n).py()?;
                }
                if quantization.is_quantized() && !matches!(name.as_str(), "l2" | "ip" | "cosine") {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "quantization {:?} needs space 'l2', 'ip' or 'cosine', not {name:?}",
                        quantization.name()
                    )));
                }
                if quantization.is_quantized() && spec.dtype() == Dtype::Uint8 {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "quantization {:?} needs float32 vectors: a uint8 index stores its bytes as they are",
                        quantization.name()
                    )));
                }
                *self.inner.write() = Inner {
                    spec: Some(Arc::new(spec)),
                    quantization,
                    keep_vectors,
                    ..Inner::default()
                };
                Ok(())
            }
            (Some(s), None) if s.is_instance_of::<PyDict>() => {
                self.set_state_dict(py, s.cast::<PyDict>().map_err(PyErr::from)?)
            }
            (Some(s), None) if s.is_instance_of::<Index>() => {
                let other = s.cast::<Index>().map_err(PyErr::from)?;
                self.copy_from(py, other.get())
            }
            _ => Err(PyTypeError::new_err(
                "Index() takes (space: str, dim: int), (params: dict) or (index: Index)",
            )),
        }
    }

    /// init_index(max_elements, M=16, ef_construction=200, random_seed=100, allow_replace_deleted=False)
    ///
    /// Allocates the index for up to `max_elements` vectors (grow it later with
    /// resize_index). M: links per element (2..10000; 12-48 suit most data).
    /// ef_construction: build-time candidate list, raised to M if lower (as hnswlib).
    /// allow_replace_deleted: let add_items(..., replace_deleted=True) reuse the slots
    /// of deleted elements. The ef set before this call is kept.
    #[pyo3(signature = (max_elements, M=16, ef_construction=200, random_seed=100, allow_replace_deleted=false))]
    #[allow(non_snake_case)]
    fn init_index(
        &self,
        py: Python<'_>,
        max_elements: usize,
        M: usize,
        ef_construction: usize,
        random_seed: u64,
        allow_replace_deleted: bool,
    ) -> PyResult<()> {
        let spec = self.spec()?;
        if self.inner.read().index.is_some() {
            return Err(PyRuntimeError::new_err("The index is already initiated."));
        }
        let (quantization, keep_vectors) = {
            let g = self.inner.read();
            (g.quantization, g.keep_vectors)
        };
        let params = HnswParams {
            max_elements,
            m: M,
            ef_construction: ef_construction.max(M),
            random_seed,
            allow_replace_deleted,
            quantization,
            keep_vectors,
        };
        let space = spec.space.clone();
        let index = py.detach(|| HnswIndex::new(space, &params)).py()?;
        let mut g = self.inner.write();
        if g.index.is_some() {
            return Err(PyRuntimeError::new_err("The index is already initiated."));
        }
        index.set_ef(g.default_ef);
        g.index = Some(Arc::new(index));
        g.seed = random_seed;
        Ok(())
    }

    /// add_items(data, ids=None, num_threads=-1, replace_deleted=False, progress=False)
    ///
    /// Adds the rows of `data` (n x dim, or one vector of dim values; lists and any
    /// numeric dtype are converted to float32; a uint8 index takes uint8 data or
    /// integers in 0..255, float data raises TypeError) under `ids` (n labels, or one
    /// for one row). Without ids, labels continue a counter that advances by n on every call,
    /// as in hnswlib. An existing label has its vector replaced. num_threads <= 0 uses
    /// the index's num_threads. progress=True shows a progress bar (tqdm when
    /// installed); a callable is called as f(done, total) and cancels by returning
    /// False. The GIL is released while adding.
    #[pyo3(signature = (data, ids=None, num_threads=-1, replace_deleted=false, progress=None))]
    fn add_items(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        num_threads: i64,
        replace_deleted: bool,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.ready()?;
        let v = convert::vectors(data, r.spec.dim, r.spec.dtype())?;
        if v.rows == 0 {
            return Ok(());
        }
        let ids = convert::row_labels(ids, v.rows)?;
        let progress = Progress::new(py, progress, v.rows)?;
        let threads = convert::threads(num_threads, r.num_threads);
        let data = v.data();
        let index = &r.index;
        let res = py.detach(|| {
            let func = progress.as_ref().map(|p| p.func());
            let opts = AddOptions {
                num_threads: threads,
                replace_deleted,
                progress: func.as_ref().map(|f| f as _),
            };
            with_rows!(data, |data| index.add_batch(data, ids.as_deref(), &opts))
        });
        if let Some(p) = &progress {
            p.finish(py)?;
        }
        r.spec.finish(res.py())
    }

    /// knn_query(data, k=1, num_threads=-1, filter=None, ef=None)
    ///
    /// The k nearest neighbours of each row of `data`, closest first: a tuple
    /// (labels: uint64 (n, k), distances: float32 (n, k); exact integers for a uint8
    /// index). Raises RuntimeError when a row has fewer than k results (as hnswlib). `filter` keeps only some labels: a
    /// callable f(label) -> bool (called with the GIL: slow, prefer num_threads=1), a
    /// boolean numpy mask indexed by label, or an array of allowed labels (both
    /// without the GIL). `ef` overrides the index's ef for this call (the search uses
    /// max(ef, k)); `rerank` the re-ranking depth of a quantized index (see
    /// set_rerank). The GIL is released while searching.
    #[pyo3(signature = (data, k=1, num_threads=-1, filter=None, ef=None, rerank=None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
    fn knn_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        num_threads: i64,
        filter: Option<&Bound<'py, PyAny>>,
        ef: Option<usize>,
        rerank: Option<f32>,
    ) -> PyResult<KnnResult<'py>> {
        let r = self.ready()?;
        let v = convert::vectors(data, r.spec.dim, r.spec.dtype())?;
        if k == 0 || v.rows == 0 {
            return Ok(convert::empty_results(py, v.rows, k));
        }
        let filter = convert::filter(filter)?;
        let predicate = filter.predicate();
        let mut out = Results::new(py, v.rows, k);
        let (labels, distances) = out.buffers();
        let (rows, queries, index) = (v.rows, v.data(), &r.index);
        let threads = convert::threads(num_threads, r.num_threads);
        let res = py.detach(|| {
            let opts = SearchOptions {
                ef,
                filter: predicate.as_deref().map(|p| p as Filter),
                num_threads: threads,
                rerank,
            };
            with_rows!(queries, |queries| if rows == 1 {
                let found = index.search(queries, k, &opts)?;
                for ((l, d), n) in labels.iter_mut().zip(distances.iter_mut()).zip(&found) {
                    (*l, *d) = (n.label, n.distance);
                }
                Ok(found.len() == k)
            } else {
                let mut counts = vec![0usize; rows];
                index.search_batch_into(queries, k, &opts, labels, distances, &mut counts)?;
                Ok(counts.iter().all(|&c| c == k))
            })
        });
        if let Some(e) = filter.take_error() {
            return Err(e);
        }
        if !r.spec.finish(res.py())? {
            return Err(too_few_results(false));
        }
        Ok(out.into_tuple())
    }

    /// range_query(data, epsilon, max_results=None, filter=None, num_threads=-1, min_candidates=None)
    ///
    /// Every element within distance `epsilon` of each row of `data` (squared for
    /// l2), closest first, at most `max_results` per row (None: no bound), as FAISS's
    /// range_search returns them: (lims int64 (n+1,), labels uint64, distances
    /// float32), row i's results being labels[lims[i]:lims[i+1]]. `min_candidates`
    /// (hnswlib's min_num_candidates; None: the index's ef) is how many results the
    /// search explores at least before it stops at the first candidate beyond
    /// epsilon: higher finds more of what is in range. A quantized index compares
    /// epsilon with exact distances. Filters as for knn_query. ValueError for a NaN
    /// epsilon, a negative one for l2 and cosine, or max_results 0.
    #[pyo3(signature = (data, epsilon, max_results=None, filter=None, num_threads=-1, min_candidates=None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
    fn range_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        epsilon: f32,
        max_results: Option<usize>,
        filter: Option<&Bound<'py, PyAny>>,
        num_threads: i64,
        min_candidates: Option<usize>,
    ) -> PyResult<stop::RangeOut<'py>> {
        let r = self.ready()?;
        let q = stop::Query {
            spec: &r.spec,
            data,
            filter,
            num_threads: convert::threads(num_threads, r.num_threads),
            ef: min_candidates,
        };
        let max = stop::max_results(max_results);
        let index = &r.index;
        stop::range_query(py, &q, |queries, opts| {
            with_rows!(queries, |q| index.search_range_batch(q, epsilon, max, opts))
        })
    }

    /// knn_query_docs(data, k=1, doc_ids=None, filter=None, num_threads=-1, ef_collection=None)
    ///
    /// Multi-vector search: the k best documents for each row of `data`, each scored
    /// by its closest vector: (docs uint64 (n, k), labels uint64 (n, k), distances
    /// float32 (n, k)), closest first, labels being each document's closest vector.
    /// `doc_ids` gives each label's document: a 1-D integer array indexed by label
    /// (negative, or a label past its end: no document) or a dict {label: document};
    /// elements without a document are never returned. `ef_collection` (None: the
    /// index's ef; at least k) is how many documents the search collects. Raises
    /// RuntimeError when a row has fewer than k documents.
    #[pyo3(signature = (data, k=1, doc_ids=None, filter=None, num_threads=-1, ef_collection=None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
    fn knn_query_docs<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        doc_ids: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        num_threads: i64,
        ef_collection: Option<usize>,
    ) -> PyResult<stop::DocsOut<'py>> {
        let r = self.ready()?;
        let doc_ids =
            doc_ids.ok_or_else(|| PyTypeError::new_err("knn_query_docs needs doc_ids"))?;
        let q = stop::Query {
            spec: &r.spec,
            data,
            filter,
            num_threads: convert::threads(num_threads, r.num_threads),
            ef: ef_collection,
        };
        stop::docs_query(py, &q, k, doc_ids, |queries, doc_of, opts| {
            with_rows!(queries, |q| r.index.search_docs_batch(q, k, doc_of, opts))
        })
    }

    /// get_items(ids=None, return_type='numpy')
    ///
    /// The stored vectors of `ids` (a sequence or array of labels): float32 (n, dim)
    /// (uint8 for a uint8 index), or a list of lists with return_type='list'. Cosine
    /// indexes store normalised vectors. Deleted or unknown labels raise RuntimeError('Label not found').
    #[pyo3(signature = (ids=None, return_type="numpy"))]
    fn get_items<'py>(
        &self,
        py: Python<'py>,
        ids: Option<&Bound<'py, PyAny>>,
        return_type: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_list = convert::return_type_is_list(return_type)?;
        let r = self.ready()?;
        let ids = convert::item_ids(ids)?;
        let items = match r.spec.dtype() {
            _ if ids.is_empty() => Items::empty(r.spec.dtype()),
            Dtype::Float32 => Items::F32(r.index.get_items(&ids).py()?),
            Dtype::Uint8 => Items::U8(r.index.get_items(&ids).py()?),
        };
        convert::items_out(py, items, ids.len(), r.spec.dim, as_list)
    }

    /// Every label in the index, deleted ones included.
    fn get_ids_list(&self) -> PyResult<Vec<u64>> {
        Ok(self.ready()?.index.ids())
    }

    /// check_integrity()
    ///
    /// hnswlib's checkIntegrity: checks every link list of the graph (within its
    /// capacity, naming existing elements, no self links, no repeated links) and
    /// returns a dict with `connections` (links checked), `min_inbound` and
    /// `max_inbound` (fewest and most links into one element) and `without_inbound`
    /// (elements no other links to: unreachable, but not damage). A broken graph
    /// raises RuntimeError naming the first fault. The GIL is released meanwhile.
    fn check_integrity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.ready()?;
        let report = py.detach(|| r.index.check_integrity()).py()?;
        let d = PyDict::new(py);
        d.set_item("connections", report.connections)?;
        d.set_item("min_inbound", report.min_inbound)?;
        d.set_item("max_inbound", report.max_inbound)?;
        d.set_item("without_inbound", report.without_inbound)?;
        Ok(d)
    }

    /// Sets the query-time ef (size of the dynamic candidate list, default 10).
    fn set_ef(&self, ef: usize) {
        let mut g = self.inner.write();
        g.default_ef = ef;
        if let Some(i) = &g.index {
            i.set_ef(ef);
        }
    }

    /// set_rerank(rerank)
    ///
    /// How many candidates a quantized index re-ranks with exact distances: the best
    /// rerank × k of the code traversal (at most ef). Higher is slower and closer to
    /// exact recall; values below 1 mean k. No effect without quantization.
    fn set_rerank(&self, rerank: f32) -> PyResult<()> {
        self.ready()?.index.set_rerank(rerank).py()
    }

    /// The re-ranking depth of a quantized index (see set_rerank).
    #[getter]
    fn get_rerank(&self) -> PyResult<f32> {
        Ok(self.ready()?.index.rerank())
    }

    #[setter(rerank)]
    fn set_rerank_attr(&self, rerank: f32) -> PyResult<()> {
        self.set_rerank(rerank)
    }

    /// The storage mode: 'none', 'sq8' or 'sq4'.
    #[getter]
    fn quantization(&self) -> &'static str {
        self.inner.read().quantization.name()
    }

    /// Sets the default number of threads of add_items and knn_query.
    fn set_num_threads(&self, num_threads: i64) {
        self.inner.write().num_threads = num_threads;
    }

    /// The exact size in bytes of the file save_index writes in hnswlib's format.
    fn index_file_size(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.file_size())
    }

    /// save_index(path_to_index, sync=True, *, format='hnswlib')
    ///
    /// Saves atomically: a temporary file renamed into place. format='hnswlib' (the
    /// default) writes hnswlib's file format, which pip hnswlib loads; format='native'
    /// writes hnswlib-rs's own format, which names its space, dimension and settings
    /// (hnswlib_rs.load_index(path) needs no arguments), checksums every section,
    /// holds quantized and codes-only indexes, and can be opened as a memory-mapped
    /// view (Index.open_view). Another format raises ValueError. With sync=True (the
    /// default) the file is on disk when the call returns; sync=False returns once the
    /// bytes are in the page cache, as pip hnswlib's save_index does (faster, but a
    /// crash soon after may lose the new file). I/O errors raise RuntimeError.
    #[pyo3(signature = (path_to_index, sync=true, *, format="hnswlib"))]
    fn save_index(
        &self,
        py: Python<'_>,
        path_to_index: PathBuf,
        sync: bool,
        format: &str,
    ) -> PyResult<()> {
        let format = FileFormat::by_name(format).py()?;
        let r = self.ready()?;
        py.detach(|| {
            r.index
                .save_with(&path_to_index, &SaveOptions { sync, format })
        })
        .py()
    }

    /// load_index(path_to_index, max_elements=0, allow_replace_deleted=False, *, mmap=False, verify=False, populate=False)
    ///
    /// Replaces the index with one saved by save_index (in either format) or by pip
    /// hnswlib. The file must match this Index's space and dim. max_elements below
    /// the element count (e.g. 0) keeps the saved capacity. The ef set on this object
    /// is kept; a native file's storage mode is taken. On error the current index is
    /// left as it was. To load a native file without giving its space and dim, use
    /// hnswlib_rs.load_index(path). mmap=True maps a native file as a read-only view
    /// instead (see open_view; verify and populate apply to views only) with this
    /// object's space: the way to view the file of a custom distance.
    #[pyo3(signature = (path_to_index, max_elements=0, allow_replace_deleted=false, *, mmap=false, verify=false, populate=false))]
    #[allow(clippy::too_many_arguments)]
    fn load_index(
        &self,
        py: Python<'_>,
        path_to_index: PathBuf,
        max_elements: usize,
        allow_replace_deleted: bool,
        mmap: bool,
        verify: bool,
        populate: bool,
    ) -> PyResult<()> {
        let spec = self.spec()?;
        let (opts, ef) = {
            let g = self.inner.read();
            (
                g.load_options(max_elements, allow_replace_deleted),
                g.default_ef,
            )
        };
        let how = Open::new(mmap, (verify, populate), opts)?;
        let space = spec.space.clone();
        let index = py
            .detach(|| match &how {
                Open::Load(opts) => HnswIndex::load(&path_to_index, space, opts),
                Open::View(opts) => HnswIndex::view(&path_to_index, space, opts),
            })
            .map_err(load_error)?;
        index.set_ef(ef);
        let mut g = self.inner.write();
        g.quantization = index.quantization();
        g.keep_vectors = index.keeps_vectors();
        g.index = Some(Arc::new(index));
        Ok(())
    }

    /// open_view(path_to_index, verify=False, populate=False)
    ///
    /// A read-only Index over a file saved with save_index(..., format='native'),
    /// mapped into memory instead of read: opening takes milliseconds whatever the
    /// size, an index larger than memory can be searched (the system pages it in and
    /// out), and processes viewing one file share one copy in the page cache. Space,
    /// dim and settings come from the file. Searches, get_items, save_index and
    /// pickling work as on a loaded index; add_items, mark_deleted, unmark_deleted and
    /// resize_index raise RuntimeError. verify=True checks what a load checks (reads
    /// the whole file); populate=True reads the file into the page cache while
    /// opening. The file must not be truncated or rewritten in place while the view
    /// is open (save_index replaces files by renaming, which is safe). Same as
    /// hnswlib_rs.load_index(path, mmap=True).
    #[classmethod]
    #[pyo3(signature = (path_to_index, verify=false, populate=false))]
    fn open_view<'py>(
        cls: &Bound<'py, PyType>,
        path_to_index: PathBuf,
        verify: bool,
        populate: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let how = Open::View(ViewOptions { verify, populate });
        let inner = open_native(cls.py(), path_to_index, how)?;
        Index::new_of(cls, inner)
    }

    /// from_bytes(data, max_elements=0, allow_replace_deleted=False)
    ///
    /// A new Index from the bytes of a file in the native format (to_bytes(format=
    /// 'native'), or a file's contents), which name its space, dimension and settings,
    /// as hnswlib_rs.load_index(path) reads the file. Bytes in hnswlib's format do not
    /// name their space (RuntimeError: read them with Index(space, dim) and a file, or
    /// unpickle); nor do those of a custom distance (ValueError).
    #[classmethod]
    #[pyo3(signature = (data, max_elements=0, allow_replace_deleted=false))]
    fn from_bytes<'py>(
        cls: &Bound<'py, PyType>,
        data: &[u8],
        max_elements: usize,
        allow_replace_deleted: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = LoadOptions {
            max_elements,
            allow_replace_deleted,
            ..LoadOptions::default()
        };
        let index = cls
            .py()
            .detach(|| HnswIndex::from_native_bytes(data, &opts))
            .map_err(load_error)?;
        Index::new_of(cls, Inner::of_file(index)?)
    }

    /// to_bytes(*, format='hnswlib')
    ///
    /// The bytes save_index(path, format=format) writes, as a bytes object:
    /// format='native' for Index.from_bytes.
    #[pyo3(signature = (*, format="hnswlib"))]
    fn to_bytes<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        let format = FileFormat::by_name(format).py()?;
        let r = self.ready()?;
        let bytes = py.detach(|| r.index.to_bytes_with(format)).py()?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The name of a custom distance (distance_name=, or the one a native file
    /// loaded with an unnamed distance holds), or None.
    #[getter]
    fn distance_name(&self) -> Option<String> {
        let g = self.inner.read();
        let space = match (&g.index, &g.spec) {
            (Some(i), _) => i.space(),
            (None, Some(spec)) => spec.space.clone(),
            (None, None) => return None,
        };
        space.name().map(str::to_owned)
    }

    /// Whether the index is a read-only view of a file (see open_view).
    #[getter]
    fn is_view(&self) -> bool {
        self.with_index(|i| i.is_view(), false)
    }

    /// Marks `label` deleted: it is no longer returned by knn_query.
    fn mark_deleted(&self, label: u64) -> PyResult<()> {
        self.ready()?.index.mark_deleted(label).py()
    }

    /// Undoes mark_deleted.
    fn unmark_deleted(&self, label: u64) -> PyResult<()> {
        self.ready()?.index.unmark_deleted(label).py()
    }

    /// Changes the capacity to `new_size` (not below the element count).
    fn resize_index(&self, py: Python<'_>, new_size: usize) -> PyResult<()> {
        let r = self.ready()?;
        py.detach(|| r.index.resize(new_size)).py()
    }

    /// The capacity.
    fn get_max_elements(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.max_elements())
    }

    /// The number of elements, deleted ones included (as hnswlib).
    fn get_current_count(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.len())
    }

    /// The number of elements marked deleted.
    fn get_deleted_count(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.deleted_count())
    }

    /// The number of elements not marked deleted (0 before init_index).
    fn __len__(&self) -> usize {
        self.with_index(|i| i.len() - i.deleted_count(), 0)
    }

    /// The space name: 'l2', 'ip', 'cosine' or 'custom'.
    #[getter]
    fn space(&self) -> String {
        spaces::name_of(self.inner.read().spec.as_deref())
    }

    /// The dimension of the vectors.
    #[getter]
    fn dim(&self) -> usize {
        spaces::dim_of(self.inner.read().spec.as_deref())
    }

    /// The element type of the vectors: numpy.dtype('float32') or numpy.dtype('uint8').
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArrayDescr> {
        spaces::dtype_of(self.inner.read().spec.as_deref()).descr(py)
    }

    /// M (0 before init_index).
    #[getter(M)]
    fn m(&self) -> usize {
        self.with_index(|i| i.m(), 0)
    }

    /// ef_construction (0 before init_index).
    #[getter]
    fn ef_construction(&self) -> usize {
        self.with_index(|i| i.ef_construction(), 0)
    }

    /// The capacity (0 before init_index).
    #[getter(max_elements)]
    fn prop_max_elements(&self) -> usize {
        self.with_index(|i| i.max_elements(), 0)
    }

    /// The number of elements, deleted ones included (0 before init_index).
    #[getter]
    fn element_count(&self) -> usize {
        self.with_index(|i| i.len(), 0)
    }

    /// The query-time ef.
    #[getter]
    fn get_ef(&self) -> usize {
        let g = self.inner.read();
        g.index.as_ref().map_or(g.default_ef, |i| i.ef())
    }

    #[setter(ef)]
    fn set_ef_attr(&self, ef: usize) {
        self.set_ef(ef);
    }

    /// The default number of threads of add_items and knn_query.
    #[getter]
    fn get_num_threads(&self) -> i64 {
        self.inner.read().num_threads
    }

    #[setter(num_threads)]
    fn set_num_threads_attr(&self, num_threads: i64) {
        self.set_num_threads(num_threads);
    }

    /// `(state_dict,)` in pip hnswlib's pickle format.
    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, [self.state_dict(py)?])
    }

    fn __setstate__(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = state::unwrap(state)?;
        let d = d.cast::<PyDict>().map_err(PyErr::from)?;
        self.set_state_dict(py, d)
    }

    fn __repr__(&self) -> String {
        let g = self.inner.read();
        spaces::repr("Index", g.spec.as_deref())
    }
}
