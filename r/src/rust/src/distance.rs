//! Spaces from R arguments: a built-in distance name, a C function (a native symbol's
//! address) or an R function.
//!
//! A custom distance compares two items of `dim` single-precision floats (the R
//! numbers are converted like every other input). A C function has hnswlib's
//! signature, `float f(const void *a, const void *b, const void *param)`, with `param`
//! pointing to the dimension as a `size_t` (hnswlib's convention), and is called from
//! many threads at once. An R function `f(a, b)` gets two numeric vectors and returns
//! one number; R may only run on its main thread, so an index with an R distance adds
//! and searches on the calling thread, one distance at a time, whatever `n_threads`
//! says. It is slow (an R call per distance) and meant for experiments.

use std::ffi::c_void;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use extendr_api::prelude::*;
use hnswlib_core::{CDistanceFn, Space};

use crate::convert::{core_err, rerr, Result};

/// How the index's distance was given; kept so a serialised index can be restored.
pub enum DistanceSpec {
    /// "l2", "ip", "cosine" or "l2u8".
    Builtin(&'static str),
    /// A C function's address, and the R object it came from (a `NativeSymbolInfo`
    /// list or an external pointer).
    Native { addr: usize, symbol: Robj },
    /// An R function.
    RFunction(Robj),
}

/// What a space built from a spec needs to stay alive next to the index.
pub enum Extra {
    None,
    /// The dimension that a C distance's `param` points to.
    Native(#[allow(dead_code)] Box<usize>),
    /// An R distance (its first error is reported after the batch).
    R(Arc<RDistance>),
}

fn invalid(msg: &str) -> Error {
    rerr("invalid_argument", msg)
}

fn extptr_addr(p: &Robj) -> Result<usize> {
    if p.inherits("RegisteredNativeSymbol") {
        return Err(invalid(
            "Invalid parameter: a registered routine's address does not point to the function; \
             give the address of a symbol that is not registered (getNativeSymbolInfo() on a \
             library loaded with dyn.load()), or an external pointer to the function",
        ));
    }
    // SAFETY: p is an external pointer (checked by the caller); reading its address
    // field has no other effect.
    let addr = unsafe { extendr_ffi::R_ExternalPtrAddr(p.get()) } as usize;
    if addr == 0 {
        return Err(invalid(
            "Invalid parameter: the distance's native address is NULL (was its library \
             unloaded, or the pointer restored from a saved session?)",
        ));
    }
    Ok(addr)
}

impl DistanceSpec {
    /// A spec from an R value: a name, a native symbol (as returned by
    /// `getNativeSymbolInfo()`, or its `$address`), or an R function.
    pub fn from_robj(d: &Robj) -> Result<Self> {
        if let Some(name) = d.as_str() {
            return match name {
                "l2" | "euclidean" => Ok(DistanceSpec::Builtin("l2")),
                "ip" => Ok(DistanceSpec::Builtin("ip")),
                "cosine" => Ok(DistanceSpec::Builtin("cosine")),
                "l2u8" => Ok(DistanceSpec::Builtin("l2u8")),
                other => Err(invalid(&format!(
                    "Invalid parameter: distance must be one of \"l2\", \"euclidean\", \"cosine\", \"ip\", \"l2u8\", a native symbol or an R function, got {other:?}"
                ))),
            };
        }
        if d.is_function() {
            return Ok(DistanceSpec::RFunction(d.clone()));
        }
        if d.is_external_pointer() {
            return Ok(DistanceSpec::Native {
                addr: extptr_addr(d)?,
                symbol: d.clone(),
            });
        }
        if d.inherits("NativeSymbolInfo") {
            let address = d
                .dollar("address")
                .map_err(|_| invalid("NativeSymbolInfo without an address"))?;
            if address.is_external_pointer() {
                return Ok(DistanceSpec::Native {
                    addr: extptr_addr(&address)?,
                    symbol: d.clone(),
                });
            }
        }
        Err(invalid(
            "Invalid parameter: distance must be a name (\"l2\", \"euclidean\", \"cosine\", \"ip\", \"l2u8\"), \
             a native symbol (getNativeSymbolInfo(...) or its $address) or an R function",
        ))
    }

    /// The space, and what must live beside it.
    pub fn space(&self, dim: usize) -> Result<(Space, Extra)> {
        match self {
            DistanceSpec::Builtin(name) => {
                Ok((Space::by_name(name, dim).map_err(core_err)?, Extra::None))
            }
            DistanceSpec::Native { addr, .. } => {
                let param = Box::new(dim);
                // SAFETY: the address came from an R external pointer that the user
                // declares to be a C function with hnswlib's distance signature
                // (documented in ?hnsw_index); it is not NULL (checked in from_robj).
                let func: CDistanceFn = unsafe { std::mem::transmute::<usize, CDistanceFn>(*addr) };
                let user_data = &*param as *const usize as *const c_void;
                // SAFETY: func reads two items of dim f32 (data_size = 4 * dim bytes)
                // and the dimension at user_data, which lives in the Box kept next to
                // the index for as long as the index exists (Extra::Native). The user
                // declares the function thread-safe, as the documentation requires.
                let space =
                    unsafe { Space::custom_c(4 * dim, func, user_data) }.map_err(core_err)?;
                Ok((space, Extra::Native(param)))
            }
            DistanceSpec::RFunction(f) => {
                let rd = Arc::new(RDistance {
                    fun: MainThreadRobj(f.clone()),
                    main: std::thread::current().id(),
                    error: Mutex::new(None),
                });
                let d = rd.clone();
                let space = Space::custom(4 * dim, move |a: &[u8], b: &[u8]| d.call(a, b))
                    .map_err(core_err)?;
                Ok((space, Extra::R(rd)))
            }
        }
    }

    /// The space under `name` (`distance_name`), as [`DistanceSpec::space`] makes it.
    /// The core checks the name: custom distances only, 1 to 64 bytes of UTF-8.
    pub fn named_space(&self, dim: usize, name: Option<&str>) -> Result<(Space, Extra)> {
        let (space, extra) = self.space(dim)?;
        match name {
            Some(name) => Ok((space.named(name).map_err(core_err)?, extra)),
            None => Ok((space, extra)),
        }
    }

    /// The spec as an R value, for serialisation.
    pub fn to_robj(&self) -> Robj {
        match self {
            DistanceSpec::Builtin(name) => (*name).into(),
            DistanceSpec::Native { symbol, .. } => symbol.clone(),
            DistanceSpec::RFunction(f) => f.clone(),
        }
    }

    /// Whether it is "l2", "ip", "cosine" or "l2u8" (a space a native file names).
    pub fn is_builtin(&self) -> bool {
        matches!(self, DistanceSpec::Builtin(_))
    }

    /// A short name: "l2", "ip", "cosine", "l2u8", "native" or "R function".
    pub fn name(&self) -> &'static str {
        match self {
            DistanceSpec::Builtin(name) => name,
            DistanceSpec::Native { .. } => "native",
            DistanceSpec::RFunction(_) => "R function",
        }
    }
}

/// An R value that is only ever touched on R's main thread.
struct MainThreadRobj(Robj);

// SAFETY: the Robj is only read in RDistance::call after checking that the caller is
// R's main thread, and dropped with the index, which R's garbage collector finalises
// on the main thread.
unsafe impl Send for MainThreadRobj {}
// SAFETY: as above: no access from any other thread.
unsafe impl Sync for MainThreadRobj {}

/// A distance computed by an R function on R's main thread.
pub struct RDistance {
    fun: MainThreadRobj,
    main: ThreadId,
    error: Mutex<Option<String>>,
}

fn floats(x: &[u8]) -> Vec<f64> {
    x.chunks_exact(4)
        .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]) as f64)
        .collect()
}

impl RDistance {
    fn fail(&self, msg: String) -> f32 {
        self.error.lock().unwrap().get_or_insert(msg);
        f32::INFINITY
    }

    fn call(&self, a: &[u8], b: &[u8]) -> f32 {
        if std::thread::current().id() != self.main {
            return self.fail("the R distance function was called off R's main thread".into());
        }
        if self.error.lock().unwrap().is_some() {
            return f32::INFINITY;
        }
        let Some(fun) = self.fun.0.as_function() else {
            return self.fail("the distance is not an R function".into());
        };
        match fun.call(pairlist!(floats(a), floats(b))) {
            Ok(v) => match v.as_real().or_else(|| v.as_integer().map(f64::from)) {
                Some(d) if d.is_finite() && v.len() == 1 => d as f32,
                _ => self.fail("the distance function must return one finite number".into()),
            },
            Err(e) => self.fail(format!("the distance function failed: {e}")),
        }
    }

    /// Whether no call has failed yet.
    pub fn ok(&self) -> bool {
        self.error.lock().unwrap().is_none()
    }

    /// The first failure since the last call, if any.
    pub fn take_error(&self) -> Option<String> {
        self.error.lock().unwrap().take()
    }
}
