//! `hnswlib_rs.BFIndex`: pip hnswlib's exact-search `BFIndex` over
//! [`BruteForceIndex`], plus what hnswlib's BFIndex lacks (pickling, get_items, resize).

use std::path::PathBuf;
use std::sync::Arc;

use hnswlib_core::{BruteForceIndex, Filter, SaveOptions, SearchOptions};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use parking_lot::RwLock;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::convert::{self, with_rows, Items};
use crate::errors::{load_error, not_initialized, too_few_results, IntoPy};
use crate::hnsw::default_threads;
use crate::spaces::{self, Dtype, SpaceSpec};
use crate::state;
use crate::stop;

type KnnResult<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>);

#[derive(Clone)]
struct Inner {
    spec: Option<Arc<SpaceSpec>>,
    index: Option<Arc<BruteForceIndex>>,
    num_threads: i64,
    /// The next automatic label (hnswlib's `cur_l`).
    next_label: u64,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            spec: None,
            index: None,
            num_threads: default_threads(),
            next_label: 0,
        }
    }
}

struct Ready {
    index: Arc<BruteForceIndex>,
    spec: Arc<SpaceSpec>,
    num_threads: i64,
}

/// An exact (brute-force) index, with the API of pip hnswlib's `hnswlib.BFIndex`.
#[pyclass(module = "hnswlib_rs", name = "BFIndex", frozen)]
pub struct BFIndex {
    inner: RwLock<Inner>,
}

impl BFIndex {
    fn ready(&self) -> PyResult<Ready> {
        let g = self.inner.read();
        match (&g.index, &g.spec) {
            (Some(index), Some(spec)) => Ok(Ready {
                index: Arc::clone(index),
                spec: Arc::clone(spec),
                num_threads: g.num_threads,
            }),
            _ => Err(not_initialized("BFIndex")),
        }
    }

    fn spec(&self) -> PyResult<Arc<SpaceSpec>> {
        self.inner.read().spec.clone().ok_or_else(|| {
            PyRuntimeError::new_err(
                "The BFIndex was created without a space: use BFIndex(space, dim)",
            )
        })
    }

    fn with_index<T>(&self, f: impl FnOnce(&BruteForceIndex) -> T, uninit: T) -> T {
        match &self.inner.read().index {
            Some(i) => f(i),
            None => uninit,
        }
    }
}

#[pymethods]
impl BFIndex {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        BFIndex {
            inner: RwLock::new(Inner::default()),
        }
    }

    /// BFIndex(space, dim, *, dtype=numpy.float32, distance=None, user_data=None)
    ///
    /// An empty, uninitialised exact index for vectors of `dim` float32 values; call
    /// init_index or load_index next. Spaces, dtype (numpy.uint8 with 'l2': hnswlib's
    /// L2SpaceI) and custom distances as for Index.
    #[pyo3(signature = (space, dim, *, dtype=None, distance=None, user_data=None))]
    fn __init__(
        &self,
        space: &str,
        dim: i64,
        dtype: Option<&Bound<'_, PyAny>>,
        distance: Option<&Bound<'_, PyAny>>,
        user_data: Option<usize>,
    ) -> PyResult<()> {
        let spec = spaces::from_args(space, dim, distance, user_data, Dtype::from_py(dtype)?)?;
        *self.inner.write() = Inner {
            spec: Some(Arc::new(spec)),
            ..Inner::default()
        };
        Ok(())
    }

    /// Allocates the index for up to `max_elements` vectors.
    fn init_index(&self, max_elements: usize) -> PyResult<()> {
        let spec = self.spec()?;
        let index = BruteForceIndex::new(spec.space.clone(), max_elements).py()?;
        let mut g = self.inner.write();
        if g.index.is_some() {
            return Err(PyRuntimeError::new_err("The index is already initiated."));
        }
        g.index = Some(Arc::new(index));
        Ok(())
    }

    /// add_items(data, ids=None)
    ///
    /// Adds the rows of `data` under `ids` (automatic labels as for Index). An
    /// existing label is overwritten. The whole batch is checked first: if it does
    /// not fit, nothing is added.
    #[pyo3(signature = (data, ids=None))]
    fn add_items(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.ready()?;
        let v = convert::vectors(data, r.spec.dim, r.spec.dtype())?;
        if v.rows == 0 {
            return Ok(());
        }
        let rows = v.rows as u64;
        let ids = convert::row_labels(ids, v.rows)?;
        // The automatic labels of this call are taken up front, so concurrent calls get
        // distinct ones; a call that fails gives them back unless another call came since.
        let first = {
            let mut g = self.inner.write();
            let first = g.next_label;
            g.next_label = first.wrapping_add(rows);
            first
        };
        let ids = ids.unwrap_or_else(|| (0..rows).map(|i| first.wrapping_add(i)).collect());
        let data = v.data();
        let res = py.detach(|| with_rows!(data, |data| r.index.add_batch(data, &ids)));
        let res = r.spec.finish(res.py());
        if res.is_err() {
            let mut g = self.inner.write();
            if g.next_label == first.wrapping_add(rows) {
                g.next_label = first;
            }
        }
        res
    }

    /// Removes `label` (RuntimeError 'Label not found' if absent).
    fn delete_vector(&self, label: u64) -> PyResult<()> {
        self.ready()?.index.remove(label).py()
    }

    /// knn_query(data, k=1, num_threads=-1, filter=None)
    ///
    /// The exact k nearest neighbours of each row: (labels uint64 (n, k), distances
    /// float32 (n, k)), closest first. Raises RuntimeError when fewer than k elements
    /// (pass the filter). Filters as for Index.knn_query.
    #[pyo3(signature = (data, k=1, num_threads=-1, filter=None))]
    fn knn_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        num_threads: i64,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<KnnResult<'py>> {
        let r = self.ready()?;
        let v = convert::vectors(data, r.spec.dim, r.spec.dtype())?;
        if k == 0 || v.rows == 0 {
            return Ok(convert::empty_results(py, v.rows, k));
        }
        let filter = convert::filter(filter)?;
        let predicate = filter.predicate();
        let queries = v.data();
        let threads = convert::threads(num_threads, r.num_threads);
        let index = &r.index;
        let res = py.detach(|| {
            let opts = SearchOptions {
                ef: None,
                filter: predicate.as_deref().map(|p| p as Filter),
                num_threads: threads,
                ..Default::default()
            };
            with_rows!(queries, |queries| index.search_batch(queries, k, &opts))
        });
        if let Some(e) = filter.take_error() {
            return Err(e);
        }
        let res = r.spec.finish(res.py())?;
        if res.counts.iter().any(|&c| c < k) {
            return Err(too_few_results(true));
        }
        let labels = PyArray1::from_vec(py, res.labels).reshape([v.rows, k])?;
        let distances = PyArray1::from_vec(py, res.distances).reshape([v.rows, k])?;
        Ok((labels, distances))
    }

    /// range_query(data, epsilon, max_results=None, filter=None, num_threads=-1)
    ///
    /// The exact range search: every element within `epsilon` of each row, as
    /// Index.range_query returns it (lims, labels, distances).
    #[pyo3(signature = (data, epsilon, max_results=None, filter=None, num_threads=-1))]
    fn range_query<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        epsilon: f32,
        max_results: Option<usize>,
        filter: Option<&Bound<'py, PyAny>>,
        num_threads: i64,
    ) -> PyResult<stop::RangeOut<'py>> {
        let r = self.ready()?;
        let q = stop::Query {
            spec: &r.spec,
            data,
            filter,
            num_threads: convert::threads(num_threads, r.num_threads),
            ef: None,
        };
        let max = stop::max_results(max_results);
        let index = &r.index;
        stop::range_query(py, &q, |queries, opts| {
            with_rows!(queries, |q| index.search_range_batch(q, epsilon, max, opts))
        })
    }

    /// knn_query_docs(data, k=1, doc_ids=None, filter=None, num_threads=-1)
    ///
    /// The exact k best documents of each row, as Index.knn_query_docs returns them.
    #[pyo3(signature = (data, k=1, doc_ids=None, filter=None, num_threads=-1))]
    fn knn_query_docs<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        k: usize,
        doc_ids: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        num_threads: i64,
    ) -> PyResult<stop::DocsOut<'py>> {
        let r = self.ready()?;
        let doc_ids =
            doc_ids.ok_or_else(|| PyTypeError::new_err("knn_query_docs needs doc_ids"))?;
        let q = stop::Query {
            spec: &r.spec,
            data,
            filter,
            num_threads: convert::threads(num_threads, r.num_threads),
            ef: None,
        };
        stop::docs_query(py, &q, k, doc_ids, |queries, doc_of, opts| {
            with_rows!(queries, |q| r.index.search_docs_batch(q, k, doc_of, opts))
        })
    }

    /// get_items(ids=None, return_type='numpy'): the stored vectors, as Index.get_items.
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
            Dtype::Float32 => Items::F32(r.index.get_items(&ids).py()?),
            Dtype::Uint8 => Items::U8(r.index.get_items(&ids).py()?),
        };
        convert::items_out(py, items, ids.len(), r.spec.dim, as_list)
    }

    /// The labels of all elements, ascending.
    fn get_ids_list(&self) -> PyResult<Vec<u64>> {
        Ok(self.ready()?.index.ids())
    }

    /// save_index(path_to_index, sync=True)
    ///
    /// Saves in hnswlib's brute-force file format (pip hnswlib's BFIndex loads it),
    /// atomically; sync as for Index.save_index.
    #[pyo3(signature = (path_to_index, sync=true))]
    fn save_index(&self, py: Python<'_>, path_to_index: PathBuf, sync: bool) -> PyResult<()> {
        let r = self.ready()?;
        py.detach(|| {
            r.index.save_with(
                &path_to_index,
                &SaveOptions {
                    sync,
                    ..Default::default()
                },
            )
        })
        .py()
    }

    /// load_index(path_to_index, max_elements=0)
    ///
    /// Replaces the index with one saved by save_index or by pip hnswlib's BFIndex.
    /// max_elements of at least the element count sets the capacity; 0 keeps the
    /// saved one. A missing or corrupted file raises RuntimeError.
    #[pyo3(signature = (path_to_index, max_elements=0))]
    fn load_index(
        &self,
        py: Python<'_>,
        path_to_index: PathBuf,
        max_elements: usize,
    ) -> PyResult<()> {
        let spec = self.spec()?;
        let space = spec.space.clone();
        let index = py
            .detach(|| {
                let index = BruteForceIndex::load(&path_to_index, space, 0)?;
                // As Index.load_index: a larger max_elements sets the capacity.
                if max_elements > index.max_elements() {
                    index.resize(max_elements)?;
                }
                Ok(index)
            })
            .map_err(load_error)?;
        let mut g = self.inner.write();
        g.next_label = index.len() as u64;
        g.index = Some(Arc::new(index));
        Ok(())
    }

    /// Changes the capacity (not below the element count).
    fn resize_index(&self, py: Python<'_>, new_size: usize) -> PyResult<()> {
        let r = self.ready()?;
        py.detach(|| r.index.resize(new_size)).py()
    }

    /// Sets the default number of threads of knn_query.
    fn set_num_threads(&self, num_threads: i64) {
        self.inner.write().num_threads = num_threads;
    }

    /// The default number of threads of knn_query.
    #[getter]
    fn get_num_threads(&self) -> i64 {
        self.inner.read().num_threads
    }

    #[setter(num_threads)]
    fn set_num_threads_attr(&self, num_threads: i64) {
        self.set_num_threads(num_threads);
    }

    /// The capacity.
    fn get_max_elements(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.max_elements())
    }

    /// The number of elements.
    fn get_current_count(&self) -> PyResult<usize> {
        Ok(self.ready()?.index.len())
    }

    /// The number of elements (0 before init_index).
    fn __len__(&self) -> usize {
        self.with_index(|i| i.len(), 0)
    }

    /// The space name.
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

    /// The capacity (0 before init_index).
    #[getter(max_elements)]
    fn prop_max_elements(&self) -> usize {
        self.with_index(|i| i.max_elements(), 0)
    }

    /// The number of elements (0 before init_index).
    #[getter]
    fn element_count(&self) -> usize {
        self.with_index(|i| i.len(), 0)
    }

    /// `(state_dict,)`: space, dim, settings and the index file bytes.
    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let g = self.inner.read().clone();
        let spec = g
            .spec
            .ok_or_else(|| PyRuntimeError::new_err("The BFIndex was created without a space"))?;
        if spec.custom.is_some() {
            return Err(PyTypeError::new_err(
                "a BFIndex with a custom distance cannot be pickled (its distance function is not data); save_index it and load_index it into a BFIndex with the same distance",
            ));
        }
        let d = PyDict::new(py);
        d.set_item("ser_version", 1)?;
        d.set_item("space", &spec.name)?;
        d.set_item("dim", spec.dim)?;
        state::set_dtype(&d, spec.dtype())?;
        d.set_item("index_inited", g.index.is_some())?;
        d.set_item("num_threads", g.num_threads)?;
        d.set_item("cur_l", g.next_label)?;
        if let Some(index) = g.index {
            let bytes = py.detach(|| index.to_bytes());
            d.set_item("data", PyBytes::new(py, &bytes))?;
        }
        PyTuple::new(py, [d])
    }

    fn __setstate__(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = state::unwrap(state)?;
        let d = d.cast::<PyDict>().map_err(PyErr::from)?;
        let spec = Arc::new(state::space_of(d)?);
        let mut new = Inner {
            spec: Some(Arc::clone(&spec)),
            index: None,
            num_threads: state::get(d, "num_threads")?,
            next_label: state::get(d, "cur_l")?,
        };
        if state::get::<bool>(d, "index_inited")? {
            let data = d
                .get_item("data")?
                .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err("data"))?;
            let bytes = data
                .cast::<PyBytes>()
                .map_err(PyErr::from)?
                .as_bytes()
                .to_vec();
            let space = spec.space.clone();
            let index = py
                .detach(|| BruteForceIndex::from_bytes(&bytes, space, 0))
                .py()?;
            new.index = Some(Arc::new(index));
        }
        *self.inner.write() = new;
        Ok(())
    }

    fn __repr__(&self) -> String {
        spaces::repr("BFIndex", self.inner.read().spec.as_deref())
    }
}
