//! Spaces: hnswlib's names (`'l2'`, `'ip'`, `'cosine'`) and custom distances.
//!
//! A custom space (`space='custom'`) stores `dim` float32 values per vector and
//! compares them with one of:
//!
//! * a native function `float f(const void *a, const void *b, const void *user_data)`
//!   given by address: an int, a ctypes function pointer or a numba `cfunc` (its
//!   `.address`). It runs at full speed with no GIL. Without `user_data` the function
//!   receives a pointer to the dimension as a `size_t`, like hnswlib's own distance
//!   functions, so those can be used unchanged.
//! * a Python callable `f(a, b) -> float` taking two float32 arrays. It runs with the
//!   GIL, one call at a time, so it is slow: for experiments and tests.

use std::ffi::c_void;
use std::sync::Arc;

use hnswlib_core::{CDistanceFn, Space, SpaceKind};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::callbacks::PyCallback;
use crate::errors::IntoPy;

/// What keeps a custom distance alive and reports its errors.
pub struct Custom {
    /// The object the caller passed (keeps a ctypes callback or numba cfunc alive).
    _object: Py<PyAny>,
    /// The default `user_data`: the dimension as a `size_t`. Boxed so its address is
    /// stable; it lives as long as any index that shares this `Custom`.
    _dim_param: Box<usize>,
    /// Set for a Python callable: its pending exception.
    pub callback: Option<Arc<PyCallback>>,
}

/// A space as the Python classes hold it.
#[derive(Clone)]
pub struct SpaceSpec {
    /// `'l2'`, `'ip'`, `'cosine'` or `'custom'`.
    pub name: String,
    /// Float32 values per vector.
    pub dim: usize,
    /// The core space.
    pub space: Space,
    /// For custom spaces.
    pub custom: Option<Arc<Custom>>,
}

impl SpaceSpec {
    /// The pending exception of a Python distance callable, if any.
    pub fn take_error(&self) -> Option<PyErr> {
        self.custom
            .as_ref()
            .and_then(|c| c.callback.as_ref())
            .and_then(|cb| cb.take_error())
    }

    /// Raises the pending exception of a Python distance (it comes first: it is the
    /// cause of whatever else went wrong), else passes `r` through.
    pub fn finish<T>(&self, r: PyResult<T>) -> PyResult<T> {
        match self.take_error() {
            Some(e) => Err(e),
            None => r,
        }
    }
}

fn check_dim(dim: i64) -> PyResult<usize> {
    usize::try_from(dim)
        .ok()
        .filter(|&d| d > 0)
        .ok_or_else(|| PyValueError::new_err(format!("dim must be at least 1, got {dim}")))
}

/// A built-in space by hnswlib's name.
pub fn builtin(name: &str, dim: i64) -> PyResult<SpaceSpec> {
    if !matches!(name, "l2" | "ip" | "cosine") {
        return Err(PyRuntimeError::new_err(format!(
            "Space name must be one of l2, ip, or cosine. Got {name:?} (a custom distance takes space='custom' and distance=...)"
        )));
    }
    let dim = check_dim(dim)?;
    Ok(SpaceSpec {
        name: name.to_owned(),
        dim,
        space: Space::by_name(name, dim).py()?,
        custom: None,
    })
}

/// The address of a native distance function given as an int, a numba cfunc or a
/// ctypes function pointer; None for other objects.
fn native_address(obj: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    if let Ok(addr) = obj.extract::<usize>() {
        return Ok(Some(addr));
    }
    if let Ok(addr) = obj.getattr("address").and_then(|a| a.extract::<usize>()) {
        return Ok(Some(addr));
    }
    let ctypes = obj.py().import("ctypes")?;
    let fnptr_type = ctypes.getattr("_CFuncPtr")?;
    if obj.is_instance(&fnptr_type)? {
        let voidp = ctypes.getattr("c_void_p")?;
        let addr = ctypes
            .call_method1("cast", (obj, voidp))?
            .getattr("value")?
            .extract::<Option<usize>>()?;
        return Ok(Some(addr.unwrap_or(0)));
    }
    Ok(None)
}

/// A custom space of `dim` float32 values with the given distance.
pub fn custom(
    dim: i64,
    distance: &Bound<'_, PyAny>,
    user_data: Option<usize>,
) -> PyResult<SpaceSpec> {
    let dim = check_dim(dim)?;
    let data_size = dim
        .checked_mul(4)
        .ok_or_else(|| PyValueError::new_err("dim is too large"))?;
    let dim_param = Box::new(dim);
    let (space, callback) = if let Some(addr) = native_address(distance)? {
        if addr == 0 {
            return Err(PyValueError::new_err(
                "the distance function address is NULL",
            ));
        }
        let param = user_data.unwrap_or(&*dim_param as *const usize as usize);
        // SAFETY: the caller gives the address of a function of hnswlib's distance
        // signature (documented on Index and in the stubs: this is the one unchecked
        // promise of a native custom distance, as in hnswlib's C++ API); we cannot
        // verify it. The function object stays alive in `Custom::_object`, and the
        // default parameter in `Custom::_dim_param`, for as long as an index shares it.
        let space = unsafe {
            let func: CDistanceFn = std::mem::transmute::<usize, CDistanceFn>(addr);
            Space::custom_c(data_size, func, param as *const c_void)
        }
        .py()?;
        (space, None)
    } else if distance.is_callable() {
        if user_data.is_some() {
            return Err(PyValueError::new_err(
                "user_data is only for native distance functions",
            ));
        }
        let cb = Arc::new(PyCallback::new(distance.clone().unbind()));
        let shared = Arc::clone(&cb);
        let space =
            Space::custom(data_size, move |a: &[u8], b: &[u8]| shared.distance(a, b)).py()?;
        (space, Some(cb))
    } else {
        return Err(PyTypeError::new_err(
            "distance must be a function address (int), a ctypes function pointer, a numba cfunc, or a Python callable f(a, b) -> float",
        ));
    };
    Ok(SpaceSpec {
        name: "custom".to_owned(),
        dim,
        space,
        custom: Some(Arc::new(Custom {
            _object: distance.clone().unbind(),
            _dim_param: dim_param,
            callback,
        })),
    })
}

/// The space of the constructor arguments `(space, dim, distance, user_data)`.
pub fn from_args(
    name: &str,
    dim: i64,
    distance: Option<&Bound<'_, PyAny>>,
    user_data: Option<usize>,
) -> PyResult<SpaceSpec> {
    match (name, distance.filter(|d| !d.is_none())) {
        ("custom", Some(d)) => custom(dim, d, user_data),
        ("custom", None) => Err(PyValueError::new_err(
            "space='custom' needs a distance: a function address, ctypes function pointer, numba cfunc or Python callable",
        )),
        (_, Some(_)) => Err(PyValueError::new_err(
            "a distance function needs space='custom'",
        )),
        (name, None) => builtin(name, dim),
    }
}

/// The space name of an index object ('' for a shell made by `__new__`).
pub fn name_of(spec: Option<&SpaceSpec>) -> String {
    spec.map_or_else(String::new, |s| s.name.clone())
}

/// The dimension of an index object (0 for a shell made by `__new__`).
pub fn dim_of(spec: Option<&SpaceSpec>) -> usize {
    spec.map_or(0, |s| s.dim)
}

/// The space of an index read from a native file, which names it. Only the float32
/// spaces are searchable from Python (a custom space needs its distance, which the
/// core asks for before this).
pub fn of_file(space: Space) -> PyResult<SpaceSpec> {
    let name = match space.kind() {
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine => space.kind().name(),
        kind => {
            return Err(PyValueError::new_err(format!(
                "the file holds an index in space {:?}, which hnswlib_rs.Index cannot search (it takes float32 vectors in 'l2', 'ip' or 'cosine')",
                kind.name()
            )))
        }
    };
    Ok(SpaceSpec {
        name: name.to_owned(),
        dim: space.dim(),
        space,
        custom: None,
    })
}
