//! Spaces: hnswlib's names (`'l2'`, `'ip'`, `'cosine'`), the element type (`dtype`)
//! and custom distances.
//!
//! Vectors are float32, or with `dtype=numpy.uint8` bytes compared by hnswlib's
//! `L2SpaceI` (squared L2 summed in integers, the core's `l2u8` space): only with
//! `'l2'`, as in hnswlib.
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

/// The element type of the vectors, as numpy names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// float32: every space.
    Float32,
    /// uint8: space `'l2'` only (hnswlib's `L2SpaceI`).
    Uint8,
}

impl Dtype {
    /// numpy's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float32 => "float32",
            Dtype::Uint8 => "uint8",
        }
    }

    /// The numpy dtype object.
    pub fn descr(self, py: Python<'_>) -> Bound<'_, numpy::PyArrayDescr> {
        match self {
            Dtype::Float32 => numpy::dtype::<f32>(py),
            Dtype::Uint8 => numpy::dtype::<u8>(py),
        }
    }

    /// The `dtype` argument: None (float32), a numpy dtype or scalar type, or a name
    /// numpy knows (`'uint8'`, `'u1'`, `'float32'`, ...).
    pub fn from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(Dtype::Float32);
        };
        let np = obj.py().import("numpy")?;
        let name = np
            .call_method1("dtype", (obj,))
            .and_then(|d| d.getattr("name")?.extract::<String>())
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "dtype must be numpy.float32 or numpy.uint8 (or their names), got {}",
                    obj.repr()
                        .map_or_else(|_| "?".to_owned(), |r| r.to_string())
                ))
            })?;
        match name.as_str() {
            "float32" => Ok(Dtype::Float32),
            "uint8" => Ok(Dtype::Uint8),
            _ => Err(PyValueError::new_err(format!(
                "dtype {name} is not supported: the vectors are float32 (any space) or uint8 (space 'l2')"
            ))),
        }
    }
}

/// A space as the Python classes hold it.
#[derive(Clone)]
pub struct SpaceSpec {
    /// `'l2'`, `'ip'`, `'cosine'` or `'custom'` (a uint8 index is `'l2'`).
    pub name: String,
    /// Values per vector.
    pub dim: usize,
    /// The core space.
    pub space: Space,
    /// For custom spaces.
    pub custom: Option<Arc<Custom>>,
}

impl SpaceSpec {
    /// The element type of the vectors.
    pub fn dtype(&self) -> Dtype {
        match self.space.kind() {
            SpaceKind::L2U8 => Dtype::Uint8,
            _ => Dtype::Float32,
        }
    }

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

/// The error of a uint8 index asked for in another space than `'l2'`.
fn uint8_needs_l2(name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "dtype uint8 is supported with space 'l2' only (hnswlib's L2SpaceI: squared L2 on uint8 vectors), not {name:?}; use float32 vectors for 'ip', 'cosine' and 'custom'"
    ))
}

/// A built-in space by hnswlib's name, for vectors of `dtype`.
pub fn builtin(name: &str, dim: i64, dtype: Dtype) -> PyResult<SpaceSpec> {
    if !matches!(name, "l2" | "ip" | "cosine") {
        return Err(PyRuntimeError::new_err(format!(
            "Space name must be one of l2, ip, or cosine. Got {name:?} (a custom distance takes space='custom' and distance=...)"
        )));
    }
    let core_name = match (name, dtype) {
        (_, Dtype::Float32) => name,
        ("l2", Dtype::Uint8) => "l2u8",
        (_, Dtype::Uint8) => return Err(uint8_needs_l2(name)),
    };
    let dim = check_dim(dim)?;
    Ok(SpaceSpec {
        name: name.to_owned(),
        dim,
        space: Space::by_name(core_name, dim).py()?,
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

/// The space of the constructor arguments `(space, dim, distance, user_data, dtype)`.
pub fn from_args(
    name: &str,
    dim: i64,
    distance: Option<&Bound<'_, PyAny>>,
    user_data: Option<usize>,
    dtype: Dtype,
) -> PyResult<SpaceSpec> {
    match (name, distance.filter(|d| !d.is_none())) {
        ("custom", _) if dtype == Dtype::Uint8 => Err(uint8_needs_l2(name)),
        ("custom", Some(d)) => custom(dim, d, user_data),
        ("custom", None) => Err(PyValueError::new_err(
            "space='custom' needs a distance: a function address, ctypes function pointer, numba cfunc or Python callable",
        )),
        (_, Some(_)) => Err(PyValueError::new_err(
            "a distance function needs space='custom'",
        )),
        (name, None) => builtin(name, dim, dtype),
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

/// The dtype of an index object (float32 for a shell made by `__new__`).
pub fn dtype_of(spec: Option<&SpaceSpec>) -> Dtype {
    spec.map_or(Dtype::Float32, SpaceSpec::dtype)
}

/// `<hnswlib_rs.Index(space='l2', dim=16)>`, with `dtype='uint8'` for a uint8 index.
pub fn repr(class: &str, spec: Option<&SpaceSpec>) -> String {
    let dtype = match dtype_of(spec) {
        Dtype::Float32 => String::new(),
        d => format!(", dtype='{}'", d.name()),
    };
    format!(
        "<hnswlib_rs.{class}(space='{}', dim={}{dtype})>",
        name_of(spec),
        dim_of(spec)
    )
}

/// The space of an index read from a native file, which names it: the float32 spaces,
/// and `l2u8` as `'l2'` with dtype uint8 (a custom space needs its distance, which
/// the core asks for before this).
pub fn of_file(space: Space) -> PyResult<SpaceSpec> {
    let name = match space.kind() {
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine => space.kind().name(),
        SpaceKind::L2U8 => SpaceKind::L2.name(),
        kind => {
            return Err(PyValueError::new_err(format!(
                "the file holds an index in space {:?}, which hnswlib_rs.Index cannot search (it takes float32 vectors in 'l2', 'ip' or 'cosine', or uint8 vectors in 'l2')",
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
