//! Range (epsilon) and document (multi-vector) queries of both classes:
//! `range_query` returns FAISS's `(lims, labels, distances)`, `knn_query_docs` the k
//! best documents per row. The classes' methods convert their index and call
//! [`range_query`] and [`docs_query`] here.

use hnswlib_core::{DocHit, Filter, RangeResults, Result, SearchOptions};
use numpy::{
    PyArray1, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustc_hash::FxHashMap;

use crate::convert::{self, Rows};
use crate::errors::IntoPy;
use crate::spaces::SpaceSpec;

/// `(lims: int64 (n+1,), labels: uint64 (total,), distances: float32 (total,))`.
pub type RangeOut<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<f32>>,
);

/// `(docs: uint64 (n, k), labels: uint64 (n, k), distances: float32 (n, k))`.
pub type DocsOut<'py> = (
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray2<f32>>,
);

/// What a query of either class needs besides the index.
pub struct Query<'a, 'py> {
    pub spec: &'a SpaceSpec,
    pub data: &'a Bound<'py, PyAny>,
    pub filter: Option<&'a Bound<'py, PyAny>>,
    pub num_threads: isize,
    pub ef: Option<usize>,
}

impl<'py> Query<'_, 'py> {
    /// Converts the rows and the filter, runs `search` with the GIL released, and
    /// raises what a Python filter or distance raised first.
    fn run<T: Send>(
        &self,
        py: Python<'py>,
        search: impl FnOnce(Rows<'_>, &SearchOptions) -> Result<T> + Send,
    ) -> PyResult<(usize, T)> {
        let v = convert::vectors(self.data, self.spec.dim, self.spec.dtype())?;
        let filter = convert::filter(self.filter)?;
        let predicate = filter.predicate();
        let (queries, threads, ef) = (v.data(), self.num_threads, self.ef);
        let res = py.detach(|| {
            let opts = SearchOptions {
                ef,
                filter: predicate.as_deref().map(|p| p as Filter),
                num_threads: threads,
                rerank: None,
            };
            search(queries, &opts)
        });
        if let Some(e) = filter.take_error() {
            return Err(e);
        }
        Ok((v.rows, self.spec.finish(res.py())?))
    }
}

/// `max_results=None` means no bound.
pub fn max_results(arg: Option<usize>) -> usize {
    arg.unwrap_or(usize::MAX)
}

/// Runs a range query and returns FAISS's layout.
pub fn range_query<'py>(
    py: Python<'py>,
    q: &Query<'_, 'py>,
    search: impl FnOnce(Rows<'_>, &SearchOptions) -> Result<RangeResults> + Send,
) -> PyResult<RangeOut<'py>> {
    let (_, res) = q.run(py, search)?;
    let lims: Vec<i64> = res.lims.iter().map(|&l| l as i64).collect();
    Ok((
        PyArray1::from_vec(py, lims),
        PyArray1::from_vec(py, res.labels),
        PyArray1::from_vec(py, res.distances),
    ))
}

/// Each label's document, as the caller gave it: a sequence indexed by label or a
/// dict from label to document.
pub enum DocIds {
    /// `docs[label]`; negative values (int arrays) and labels past the end: none.
    Table(Vec<Option<u64>>),
    /// `docs[label]`; missing labels: none.
    Map(FxHashMap<u64, u64>),
}

impl DocIds {
    /// The document of `label`.
    pub fn get(&self, label: u64) -> Option<u64> {
        match self {
            DocIds::Table(t) => usize::try_from(label)
                .ok()
                .and_then(|i| t.get(i).copied().flatten()),
            DocIds::Map(m) => m.get(&label).copied(),
        }
    }

    /// Converts the `doc_ids` argument.
    pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(d) = obj.cast::<PyDict>() {
            let mut m = FxHashMap::default();
            for (k, v) in d.iter() {
                m.insert(k.extract::<u64>()?, v.extract::<u64>()?);
            }
            return Ok(DocIds::Map(m));
        }
        let np = obj.py().import("numpy")?;
        let arr = np.call_method1("asarray", (obj,))?;
        let arr = arr.cast::<PyUntypedArray>().map_err(PyErr::from)?;
        let kind = arr.dtype().kind();
        if arr.ndim() != 1 || !(kind == b'i' || kind == b'u' || arr.len() == 0) {
            return Err(PyTypeError::new_err(
                "doc_ids must be a 1-D integer array indexed by label (doc_ids[label] is the label's document; negative: none) or a dict {label: document}",
            ));
        }
        if kind == b'i' {
            let a = convert::contiguous::<i64>(arr.as_any())?;
            let a = a
                .try_readonly()
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            let t = a.as_slice().unwrap_or(&[]);
            return Ok(DocIds::Table(
                t.iter().map(|&d| u64::try_from(d).ok()).collect(),
            ));
        }
        let (t, _) = convert::labels(arr.as_any())?;
        Ok(DocIds::Table(t.into_iter().map(Some).collect()))
    }
}

/// Runs a document query (`search` gets the rows and the document function) and
/// returns `(docs, labels, distances)` of shape (rows, k); a row with fewer than k
/// documents raises RuntimeError, as knn_query does for too few results.
pub fn docs_query<'py>(
    py: Python<'py>,
    q: &Query<'_, 'py>,
    k: usize,
    doc_ids: &Bound<'py, PyAny>,
    search: impl FnOnce(
            Rows<'_>,
            &(dyn Fn(u64) -> Option<u64> + Sync),
            &SearchOptions,
        ) -> Result<Vec<Vec<DocHit>>>
        + Send,
) -> PyResult<DocsOut<'py>> {
    let docs = DocIds::from_py(doc_ids)?;
    let doc_of = |l: u64| docs.get(l);
    let (rows, found) = q.run(py, |queries, opts| search(queries, &doc_of, opts))?;
    if found.iter().any(|r| r.len() < k) {
        return Err(PyRuntimeError::new_err(format!(
            "Cannot return the results in a contiguous 2D array: fewer than k = {k} documents were found for a query; ask for fewer documents, raise ef_collection, or check doc_ids"
        )));
    }
    let flat = |f: fn(&DocHit) -> u64| found.iter().flatten().map(f).collect::<Vec<u64>>();
    let distances: Vec<f32> = found.iter().flatten().map(|h| h.distance).collect();
    Ok((
        PyArray1::from_vec(py, flat(|h| h.doc)).reshape([rows, k])?,
        PyArray1::from_vec(py, flat(|h| h.label)).reshape([rows, k])?,
        PyArray1::from_vec(py, distances).reshape([rows, k])?,
    ))
}
