//! Core errors as Python exceptions.
//!
//! pip hnswlib raises `RuntimeError` for everything its C++ core reports (wrong
//! dimensionality, capacity, unknown labels, corrupted files, ...), so the same
//! mistakes raise `RuntimeError` here too, with the core's message (which starts with
//! hnswlib's wording). Checks that hnswlib does not make (non-finite values, invalid
//! parameters, wrong element types, empty input) raise `ValueError`, and an allocation
//! failure raises `MemoryError`.

use hnswlib_core::{Error, ErrorKind};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::PyErr;

/// The Python exception for a core error.
pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match (&e, e.kind()) {
        (Error::DimensionMismatch { .. } | Error::LabelCountMismatch { .. }, _) => {
            PyRuntimeError::new_err(msg)
        }
        (_, ErrorKind::InvalidArgument) => PyValueError::new_err(msg),
        (_, ErrorKind::OutOfMemory) => PyMemoryError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// Extension of core results with `.py()`, turning the error into a `PyErr`.
pub trait IntoPy<T> {
    /// The result with the error mapped by [`to_py`].
    fn py(self) -> Result<T, PyErr>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> Result<T, PyErr> {
        self.map_err(to_py)
    }
}

/// The error of every method called on an index that has no data structure yet
/// (pip hnswlib crashes there).
pub fn not_initialized(class: &str) -> PyErr {
    PyRuntimeError::new_err(format!(
        "The {class} is not initialized: call init_index(max_elements) or load_index(path) first"
    ))
}

/// hnswlib's error when a query finds fewer than k results.
pub fn too_few_results(brute_force: bool) -> PyErr {
    PyRuntimeError::new_err(if brute_force {
        "Cannot return the results in a contiguous 2D array. There are not enough elements."
    } else {
        "Cannot return the results in a contiguous 2D array. Probably ef or M is too small"
    })
}

/// Errors of load_index: a file that cannot be opened gets hnswlib's wording.
pub fn load_error(e: Error) -> PyErr {
    match e {
        Error::Io { path, source } => {
            PyRuntimeError::new_err(format!("Cannot open file {}: {source}", path.display()))
        }
        e => to_py(e),
    }
}
