//! `hnswlib_rs._hnswlib_rs`: the Python extension module of hnswlib-rs, the
//! hnswlib-compatible HNSW port.
//!
//! A thin pyo3 layer over [`hnswlib_core`]: it converts arguments (numpy arrays,
//! lists, scalars) to what the core takes, calls the core with the GIL released, and
//! turns results into numpy arrays and core errors into the exceptions pip hnswlib
//! raises for the same mistakes. The Python package `hnswlib_rs` re-exports the two
//! classes, `Index` and `BFIndex`, and `load_index` (a native file, no space needed).
//!
//! * `convert`: input rules of pip hnswlib (dtype casts, shapes, labels, filters).
//! * `errors`: core errors to Python exceptions.
//! * `spaces`: built-in spaces by name and custom distances (C address or callable).
//! * `callbacks`: Python callables run from worker threads (filter, progress).
//! * `state`: hnswlib's pickle dictionary to and from the index file bytes.
//! * `stop`: range and document queries (FAISS's lims layout, doc ids by label).

use pyo3::prelude::*;

mod bf;
mod callbacks;
mod convert;
mod errors;
mod hnsw;
mod spaces;
mod state;
mod stop;

/// The native module; `hnswlib_rs/__init__.py` re-exports its classes.
#[pymodule]
fn _hnswlib_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<hnsw::Index>()?;
    m.add_class::<bf::BFIndex>()?;
    m.add_function(wrap_pyfunction!(hnsw::load_index, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "KERNELS",
        hnswlib_core::Space::l2(1).map_or("?", |s| s.kernels_name()),
    )?;
    Ok(())
}
