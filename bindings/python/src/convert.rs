//! pip hnswlib's input rules.
//!
//! * Vectors: anything numpy can turn into a float32 array (lists, float64 or integer
//!   arrays, non-contiguous views) is converted to a C-contiguous float32 array; a
//!   float32 C-contiguous array is used in place, without a copy. A 1-D array is one
//!   row; more than two dimensions is an error. A complex array is a TypeError (numpy
//!   would drop the imaginary parts with only a warning).
//! * Vectors of a uint8 index (`dtype=numpy.uint8`): uint8 arrays (used in place when
//!   C-contiguous), or integer arrays and lists whose values are all in 0..=255. Float
//!   input is a TypeError and values out of range a ValueError: converting either
//!   would change the values, silently.
//! * Labels: anything numpy can turn into uint64 (lists, integer or float arrays,
//!   numpy integer scalars); floats are truncated as in hnswlib, negative Python ints
//!   raise `OverflowError`.
//! * Filters: a Python callable, a boolean mask indexed by label, or an array of the
//!   allowed labels.

use hnswlib_core::LabelFilter;
use numpy::{
    Element, PyArray1, PyArray2, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods,
    PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::callbacks::PyCallback;
use crate::errors::to_py;
use crate::spaces::Dtype;

static ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `numpy.asarray(obj, dtype=T, order="C")`, or `obj` itself when it already is one.
pub fn contiguous<'py, T: Element>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    if let Ok(a) = obj.cast::<PyArrayDyn<T>>() {
        if a.is_c_contiguous() {
            return Ok(a.clone());
        }
    }
    // numpy casts complex to real with only a warning, dropping the imaginary parts.
    if let Ok(a) = obj.cast::<PyUntypedArray>() {
        if a.dtype().kind() == b'c' {
            return Err(PyTypeError::new_err(format!(
                "complex input is not supported: expected real numbers, got an array of dtype {}",
                a.dtype()
            )));
        }
    }
    let py = obj.py();
    let f = ASARRAY.import(py, "numpy", "asarray")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", numpy::dtype::<T>(py))?;
    kwargs.set_item("order", "C")?;
    Ok(f.call((obj,), Some(&kwargs))?
        .cast_into::<PyArrayDyn<T>>()?)
}

/// `obj` as a C-contiguous uint8 array, by the rules of a uint8 index (module docs).
fn uint8_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    if obj.cast::<PyArrayDyn<u8>>().is_ok() {
        return contiguous::<u8>(obj);
    }
    let py = obj.py();
    let array = match obj.cast::<PyUntypedArray>() {
        Ok(a) => a.clone(),
        Err(_) => ASARRAY
            .import(py, "numpy", "asarray")?
            .call1((obj,))?
            .cast_into::<PyUntypedArray>()?,
    };
    // An empty input has no values to change (and `[]` is float64 to numpy).
    if array.len() > 0 {
        let kind = array.dtype().kind();
        if kind != b'u' && kind != b'i' {
            return Err(PyTypeError::new_err(format!(
                "this index stores uint8 vectors (dtype=uint8): expected uint8 data or integers in 0..255, got an array of dtype {}; converting would change the values (use numpy.uint8 arrays, or a float32 index)",
                array.dtype()
            )));
        }
        let min: i128 = array.call_method0("min")?.extract()?;
        let max: i128 = array.call_method0("max")?.extract()?;
        if min < 0 || max > 255 {
            return Err(PyValueError::new_err(format!(
                "this index stores uint8 vectors (dtype=uint8): values must be in 0..255, got values from {min} to {max}"
            )));
        }
    }
    contiguous::<u8>(array.as_any())
}

/// The rows of a batch, by element type.
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// float32 values, row-major.
    F32(&'a [f32]),
    /// uint8 values, row-major.
    U8(&'a [u8]),
}

/// Runs `$body` with `$q` bound to the rows' slice, whatever their element type
/// (the core's methods are generic over it).
macro_rules! with_rows {
    ($rows:expr, |$q:ident| $body:expr) => {
        match $rows {
            $crate::convert::Rows::F32($q) => $body,
            $crate::convert::Rows::U8($q) => $body,
        }
    };
}
pub(crate) use with_rows;

enum Array<'py> {
    F32(PyReadonlyArrayDyn<'py, f32>),
    U8(PyReadonlyArrayDyn<'py, u8>),
}

/// A batch of rows borrowed from a numpy array.
pub struct Vectors<'py> {
    array: Array<'py>,
    /// Number of rows (1 for a 1-D input).
    pub rows: usize,
}

impl Vectors<'_> {
    /// The rows, row-major.
    pub fn data(&self) -> Rows<'_> {
        // A C-contiguous array always has a slice view.
        match &self.array {
            Array::F32(a) => Rows::F32(a.as_slice().unwrap_or(&[])),
            Array::U8(a) => Rows::U8(a.as_slice().unwrap_or(&[])),
        }
    }
}

/// Converts `obj` to rows of `dim` values of `dtype`, checking the shape as hnswlib
/// does and the width (which hnswlib's knn_query does not check).
pub fn vectors<'py>(obj: &Bound<'py, PyAny>, dim: usize, dtype: Dtype) -> PyResult<Vectors<'py>> {
    let (array, rows) = match dtype {
        Dtype::Float32 => {
            let a = contiguous::<f32>(obj)?;
            let rows = row_count(a.shape(), dim)?;
            (Array::F32(readonly(a)?), rows)
        }
        Dtype::Uint8 => {
            let a = uint8_array(obj)?;
            let rows = row_count(a.shape(), dim)?;
            (Array::U8(readonly(a)?), rows)
        }
    };
    Ok(Vectors { array, rows })
}

fn readonly<'py, T: Element>(a: Bound<'py, PyArrayDyn<T>>) -> PyResult<PyReadonlyArrayDyn<'py, T>> {
    a.try_readonly()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The number of rows of an input of `shape`, which must be 1-D or 2-D and `dim` wide.
fn row_count(shape: &[usize], dim: usize) -> PyResult<usize> {
    let (rows, cols) = match shape {
        [n] => (1, *n),
        [r, c] => (*r, *c),
        s => {
            return Err(PyRuntimeError::new_err(format!(
                "Input vector data wrong shape. Number of dimensions {}. Data must be a 1D or 2D array.",
                s.len()
            )))
        }
    };
    if cols != dim {
        return Err(to_py(hnswlib_core::Error::DimensionMismatch {
            expected: dim,
            got: cols,
        }));
    }
    Ok(rows)
}

/// Labels as a flat list, plus the number of dimensions of the input (0 for a scalar).
pub fn labels(obj: &Bound<'_, PyAny>) -> PyResult<(Vec<u64>, usize)> {
    if let Ok(v) = obj.extract::<u64>() {
        return Ok((vec![v], 0));
    }
    let array = contiguous::<u64>(obj)?;
    let ndim = array.ndim();
    let array = array
        .try_readonly()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((
        array.as_slice().map(<[u64]>::to_vec).unwrap_or_default(),
        ndim,
    ))
}

/// The ids of add_items: one per row. A (rows, 1) array is accepted like a 1-D one
/// (it is what knn_query returns for k=1).
pub fn row_labels(obj: Option<&Bound<'_, PyAny>>, rows: usize) -> PyResult<Option<Vec<u64>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let (ids, _) = labels(obj)?;
    if ids.len() != rows {
        return Err(to_py(hnswlib_core::Error::LabelCountMismatch {
            labels: ids.len(),
            rows,
        }));
    }
    Ok(Some(ids))
}

/// A search filter as given by the caller.
pub enum FilterArg<'py> {
    /// No filter.
    None,
    /// A Python callable `f(label) -> bool`, called with the GIL.
    Callable(PyCallback),
    /// A boolean mask indexed by label, read in place by the core's filter.
    Mask(numpy::PyReadonlyArray1<'py, bool>),
    /// The allowed labels, as the core's filter.
    Allowed(LabelFilter<'static>),
}

impl FilterArg<'_> {
    /// The predicate for the core, or None.
    pub fn predicate(&self) -> Option<Box<dyn Fn(u64) -> bool + Send + Sync + '_>> {
        match self {
            FilterArg::None => None,
            FilterArg::Callable(cb) => Some(Box::new(move |l| cb.filter(l))),
            FilterArg::Mask(m) => {
                let f = LabelFilter::bool_mask(m.as_slice().unwrap_or(&[]));
                Some(Box::new(move |l| f.accepts(l)))
            }
            FilterArg::Allowed(f) => Some(Box::new(f.predicate())),
        }
    }

    /// The exception a callable filter raised, if any.
    pub fn take_error(&self) -> Option<PyErr> {
        match self {
            FilterArg::Callable(cb) => cb.take_error(),
            _ => None,
        }
    }
}

/// Converts the `filter` argument of knn_query.
pub fn filter<'py>(obj: Option<&Bound<'py, PyAny>>) -> PyResult<FilterArg<'py>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(FilterArg::None);
    };
    if obj.is_callable() {
        return Ok(FilterArg::Callable(PyCallback::new(obj.clone().unbind())));
    }
    let py = obj.py();
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (obj,))?;
    let arr = arr.cast::<PyUntypedArray>().map_err(PyErr::from)?;
    if arr.ndim() != 1 {
        return Err(PyTypeError::new_err(
            "filter must be a callable f(label) -> bool, a 1-D boolean mask indexed by label, or a 1-D array of allowed labels",
        ));
    }
    let kind = arr.dtype().kind();
    if kind == b'b' {
        let mask = contiguous::<bool>(arr.as_any())?
            .cast_into::<numpy::PyArray1<bool>>()
            .map_err(PyErr::from)?;
        let mask = mask
            .try_readonly()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        return Ok(FilterArg::Mask(mask));
    }
    if kind == b'i' || kind == b'u' || arr.len() == 0 {
        let (ids, _) = labels(arr.as_any())?;
        return Ok(FilterArg::Allowed(LabelFilter::allow_list(ids)));
    }
    Err(PyTypeError::new_err(format!(
        "filter must be a callable f(label) -> bool, a boolean mask or an array of integer labels, not an array of dtype kind '{}'",
        kind as char
    )))
}

/// Uninitialised (rows, k) result arrays and their buffers.
pub struct Results<'py> {
    /// uint64 labels.
    pub labels: Bound<'py, PyArray2<u64>>,
    /// float32 distances.
    pub distances: Bound<'py, PyArray2<f32>>,
}

impl<'py> Results<'py> {
    /// Two new (rows, k) arrays.
    pub fn new(py: Python<'py>, rows: usize, k: usize) -> Self {
        // SAFETY: the arrays are written in full by the search before Python sees them
        // (every row's k entries, unused ones with a sentinel); on error they are dropped
        // unread. u64 and f32 have no invalid bit patterns anyway.
        unsafe {
            Results {
                labels: PyArray2::new(py, [rows, k], false),
                distances: PyArray2::new(py, [rows, k], false),
            }
        }
    }

    /// Mutable views of both buffers.
    pub fn buffers(&mut self) -> (&mut [u64], &mut [f32]) {
        // SAFETY: both arrays were created by `new`, are C-contiguous and are not
        // shared with Python until `into_tuple`; `&mut self` makes these views the
        // only ones of their memory for as long as they live.
        unsafe {
            (
                self.labels.as_slice_mut().unwrap_or(&mut []),
                self.distances.as_slice_mut().unwrap_or(&mut []),
            )
        }
    }

    /// The `(labels, distances)` tuple returned to Python.
    pub fn into_tuple(self) -> (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>) {
        (self.labels, self.distances)
    }
}

/// `(rows, k)` empty results (k = 0 or no rows).
pub fn empty_results(
    py: Python<'_>,
    rows: usize,
    k: usize,
) -> (Bound<'_, PyArray2<u64>>, Bound<'_, PyArray2<f32>>) {
    (
        PyArray2::zeros(py, [rows, k], false),
        PyArray2::zeros(py, [rows, k], false),
    )
}

/// Stored vectors, by element type.
pub enum Items {
    /// float32 values, row-major.
    F32(Vec<f32>),
    /// uint8 values, row-major.
    U8(Vec<u8>),
}

impl Items {
    /// No vectors.
    pub fn empty(dtype: Dtype) -> Self {
        match dtype {
            Dtype::Float32 => Items::F32(Vec::new()),
            Dtype::Uint8 => Items::U8(Vec::new()),
        }
    }
}

/// Stored vectors as pip hnswlib's get_items returns them: a float32 (n, dim) array
/// (or shape (0,) when no ids were given) or a list of lists of floats; uint8 arrays
/// and lists of lists of ints for a uint8 index.
pub fn items_out<'py>(
    py: Python<'py>,
    items: Items,
    n: usize,
    dim: usize,
    as_list: bool,
) -> PyResult<Bound<'py, PyAny>> {
    match items {
        Items::F32(flat) if as_list => {
            let rows: Vec<&[f32]> = flat.chunks(dim.max(1)).collect();
            Ok(pyo3::types::PyList::new(py, rows)?.into_any())
        }
        // Lists of ints (a byte slice would become `bytes`).
        Items::U8(flat) if as_list => {
            let rows = flat
                .chunks(dim.max(1))
                .map(|r| r.iter().map(|&b| u32::from(b)).collect::<Vec<u32>>());
            Ok(pyo3::types::PyList::new(py, rows)?.into_any())
        }
        Items::F32(flat) => array_out(PyArray1::from_vec(py, flat), n, dim),
        Items::U8(flat) => array_out(PyArray1::from_vec(py, flat), n, dim),
    }
}

/// `arr` as (n, dim), or as it is for no ids.
fn array_out<'py, T: Element>(
    arr: Bound<'py, PyArray1<T>>,
    n: usize,
    dim: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if n == 0 {
        return Ok(arr.into_any());
    }
    Ok(arr.reshape([n, dim])?.into_any())
}

/// get_items' `return_type` check, with hnswlib's message.
pub fn return_type_is_list(return_type: &str) -> PyResult<bool> {
    match return_type {
        "numpy" => Ok(false),
        "list" => Ok(true),
        _ => Err(pyo3::exceptions::PyValueError::new_err(
            "return_type should be \"numpy\" or \"list\"",
        )),
    }
}

/// get_items' `ids`: None gives no ids; a scalar is an error (hnswlib's message).
pub fn item_ids(ids: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u64>> {
    let Some(ids) = ids.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let (ids, ndim) = labels(ids)?;
    if ndim == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "get_items accepts a list of indices and returns a list of vectors",
        ));
    }
    Ok(ids)
}

/// The thread count for a call: the argument when positive, else the index default.
pub fn threads(arg: i64, default: i64) -> isize {
    let n = if arg > 0 { arg } else { default };
    n.clamp(isize::MIN as i64, isize::MAX as i64) as isize
}
