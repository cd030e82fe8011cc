//! The index handle: an ALTREP raw vector of length 0 that owns the index.
//!
//! Why ALTREP: R serialises an ALTREP object by asking its class for a "serialized
//! state" and rebuilds it on reading through the class's `Unserialize` method, loading
//! the package that registered the class if needed. So `saveRDS()`, `serialize()` and
//! anything built on them (e.g. sending an index to parallel workers) store the index
//! as the bytes of an hnswlib index file, computed only when R serialises, and
//! `readRDS()` gives back a live index. An external pointer would come back as NULL.
//!
//! Copies of the handle (R duplicates vectors when it must) share one index: the
//! index object has reference semantics, like RcppHNSW's.

use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use extendr_api::prelude::*;
use extendr_api::AltrepImpl;
use std::ffi::c_void;

use extendr_ffi::{Rboolean, SEXP};
use hnswlib_core::{HnswIndex, LoadOptions, Quantization};

use crate::convert::{core_err, rerr, Result};
use crate::distance::{DistanceSpec, Extra, RDistance};

/// An index and what its space needs.
pub struct IndexBox {
    index: HnswIndex,
    spec: DistanceSpec,
    extra: Extra,
    dim: usize,
}

impl IndexBox {
    pub fn new(index: HnswIndex, spec: DistanceSpec, extra: Extra, dim: usize) -> Self {
        IndexBox {
            index,
            spec,
            extra,
            dim,
        }
    }
}

/// A shared reference to an index: the ALTREP state.
#[derive(Clone)]
pub struct Handle(Rc<IndexBox>);

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hnswlibrs index: {} distance, dim {}, {} items",
            self.0.spec.name(),
            self.0.dim,
            self.0.index.len()
        )
    }
}

/// The class's SEXP (kept alive by R's ALTREP class registry), as an address.
static CLASS: OnceLock<usize> = OnceLock::new();

const CLASS_NAME: &str = "hnswlibrs_index";
const PACKAGE: &str = "hnswlibrs";
/// Version of the serialised state's layout.
const STATE_FORMAT: i32 = 1;

/// R's `R_altrep_class_t`: a struct holding the class's SEXP, passed by value.
#[repr(C)]
struct AltrepClass {
    ptr: *mut c_void,
}

extern "C" {
    fn R_altrep_inherits(x: *mut c_void, class: AltrepClass) -> Rboolean;
}

/// Registers the ALTREP class; must run when the package loads, so that reading a
/// serialised index finds it.
pub fn register_class() {
    CLASS.get_or_init(|| {
        let class = Altrep::make_altraw_class::<Handle>(CLASS_NAME, PACKAGE);
        // SAFETY: reading the SEXP of a live object; R's class registry keeps it alive.
        unsafe { class.get() as usize }
    });
}

fn class() -> Result<SEXP> {
    CLASS
        .get()
        .map(|&c| c as SEXP)
        .ok_or_else(|| rerr("state", "the hnswlibrs package is not initialised"))
}

impl Handle {
    pub fn new(b: IndexBox) -> Self {
        Handle(Rc::new(b))
    }

    /// A new R handle object sharing this index.
    pub fn into_robj(self) -> Robj {
        let class = match class() {
            Ok(c) => c,
            Err(e) => throw_r_error(e.to_string()),
        };
        // SAFETY: class is the registered class's SEXP, which R keeps alive.
        let class = unsafe { Robj::from_sexp(class) };
        Altrep::from_state_and_class(self, class, false).into()
    }

    /// The handle inside an R value, or an error if it is not one.
    pub fn from_robj(x: &Robj) -> Result<Handle> {
        let not_index = || {
            rerr(
                "invalid_argument",
                "Invalid parameter: not an hnswlibrs index (create one with hnsw_build(), \
                 hnsw_index() or new(HnswL2, ...))",
            )
        };
        let class = class()?;
        // SAFETY: sexp is a live R object (x holds it); ALTREP and R_altrep_inherits
        // only read its header and class.
        let sexp = unsafe { x.get() };
        // SAFETY: as above.
        let ours = unsafe {
            extendr_ffi::ALTREP(sexp) != 0
                && R_altrep_inherits(sexp.cast(), AltrepClass { ptr: class.cast() })
                    != Rboolean::FALSE
        };
        if !ours {
            return Err(not_index());
        }
        // SAFETY: objects of our class are made by Altrep::from_state_and_class, whose
        // data1 is an external pointer to a boxed Handle.
        let state = unsafe { state_of(sexp) };
        state.cloned().ok_or_else(not_index)
    }

    pub fn index(&self) -> &HnswIndex {
        &self.0.index
    }

    pub fn dim(&self) -> usize {
        self.0.dim
    }

    /// Whether the index holds u8 vectors (the space "l2u8").
    pub fn is_u8(&self) -> bool {
        self.0.index.space().kind() == hnswlib_core::SpaceKind::L2U8
    }

    pub fn distance_name(&self) -> &'static str {
        self.0.spec.name()
    }

    /// Whether work must stay on R's main thread (an R distance function).
    pub fn single_threaded(&self) -> bool {
        matches!(self.0.extra, Extra::R(_))
    }

    /// The R distance function, if the index has one.
    pub fn r_distance(&self) -> Option<Arc<RDistance>> {
        match &self.0.extra {
            Extra::R(d) => Some(d.clone()),
            _ => None,
        }
    }

    /// The R distance function's first failure during the last call, as an R error.
    pub fn take_distance_error(&self) -> Result<()> {
        match &self.0.extra {
            Extra::R(d) => match d.take_error() {
                Some(msg) => Err(rerr(
                    "distance",
                    &format!(
                        "{msg}; the index keeps the items added before the failure (the item \
                         being added when it failed may be poorly linked)"
                    ),
                )),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// What serialisation stores: the index file's bytes, how to rebuild the space and
    /// the storage mode (a quantized index makes its codes again from the file's
    /// vectors). A codes-only index has no such bytes: the core's error.
    fn state(&self) -> std::result::Result<Robj, hnswlib_core::Error> {
        let i = &self.0.index;
        Ok(list!(
            format = STATE_FORMAT,
            bytes = Raw::from_bytes(&i.to_bytes()?),
            distance = self.0.spec.to_robj(),
            distance_name = i.space().name().map_or_else(|| Robj::from(()), Robj::from),
            dim = self.0.dim as f64,
            ef = i.ef() as f64,
            allow_replace_deleted = i.allow_replace_deleted(),
            random_seed = i.random_seed() as f64,
            quantization = i.quantization().name(),
            keep_vectors = i.keeps_vectors(),
            rerank = i.rerank() as f64
        )
        .into())
    }

    /// Rebuilds an index from [`Handle::state`].
    fn restore(state: &Robj) -> Result<Handle> {
        let bad = || {
            rerr(
                "format",
                "Index seems to be corrupted or unsupported: not a serialised hnswlibrs index",
            )
        };
        let list = state.as_list().ok_or_else(bad)?;
        let get = |name: &str| {
            list.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(bad)
        };
        if get("format")?.as_integer() != Some(STATE_FORMAT) {
            return Err(rerr(
                "format",
                "Index seems to be corrupted or unsupported: serialised by another version of hnswlibrs",
            ));
        }
        let num = |name: &str| get(name)?.as_real().ok_or_else(bad);
        let dim = num("dim")? as usize;
        let mut distance = get("distance")?;
        if distance.inherits("NativeSymbolInfo") {
            // The address is not saved; find the function again by name.
            // (DLLInfo's `$` method looks up symbols, so read the list elements directly.)
            let name = list_get(&distance, "name").ok_or_else(bad)?;
            let dll = list_get(&distance, "dll")
                .and_then(|d| list_get(&d, "name"))
                .ok_or_else(bad)?;
            distance = call!("getNativeSymbolInfo", name, dll).map_err(|e| {
                rerr(
                    "state",
                    &format!(
                        "the index's native distance cannot be found again ({e}); load its \
                         library (dyn.load or library) before reading the index"
                    ),
                )
            })?;
        }
        let spec = DistanceSpec::from_robj(&distance)?;
        // States written before custom distances had names have none.
        let name = match get("distance_name") {
            Ok(n) if !n.is_null() => Some(n.as_str().ok_or_else(bad)?.to_owned()),
            _ => None,
        };
        let (space, extra) = spec.named_space(dim, name.as_deref())?;
        let bytes = get("bytes")?;
        // States written before quantization existed have no mode: unquantized.
        let quantization = match get("quantization") {
            Ok(q) => Quantization::by_name(q.as_str().ok_or_else(bad)?).map_err(core_err)?,
            Err(_) => Quantization::None,
        };
        let opts = LoadOptions {
            max_elements: 0,
            allow_replace_deleted: get("allow_replace_deleted")?.as_bool().ok_or_else(bad)?,
            random_seed: num("random_seed")? as u64,
            quantization,
            keep_vectors: get("keep_vectors").map_or(Ok(true), |k| k.as_bool().ok_or_else(bad))?,
        };
        let index = HnswIndex::from_bytes(bytes.as_raw_slice().ok_or_else(bad)?, space, &opts)
            .map_err(core_err)?;
        index.set_ef(num("ef")? as usize);
        if let Ok(r) = num("rerank") {
            index.set_rerank(r as f32).map_err(core_err)?;
        }
        Ok(Handle::new(IndexBox::new(index, spec, extra, dim)))
    }
}

// SEXP is a pointer to R's opaque SEXPREC; only R dereferences it.
#[allow(improper_ctypes)]
extern "C" {
    fn Rf_eval(call: SEXP, env: SEXP) -> SEXP;
    fn Rf_lang3(f: SEXP, a: SEXP, b: SEXP) -> SEXP;
    fn Rf_mkString(s: *const std::ffi::c_char) -> SEXP;
    fn R_FindNamespace(name: SEXP) -> SEXP;
}

/// Signals the R condition `hnswlibrs_<kind>` with `msg` (through the package's R
/// function `stop_from_native()`, so it is the condition `rs()` raises for errors that
/// return normally) from an R callback that cannot return an error, such as
/// serialisation. R jumps out of this function to the caller's handler, so it drops
/// everything it owns before handing over to R, and its callers must own nothing.
fn raise_condition(kind: &std::ffi::CStr, msg: String) -> ! {
    let msg = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
    // SAFETY: R API calls on R's main thread (R called us); every new object is
    // protected until the call is built, and the protection stack is restored when R
    // jumps. R copies the strings, so `msg` can go before R evaluates the call.
    unsafe {
        let ns = extendr_ffi::Rf_protect(Rf_mkString(c"hnswlibrs".as_ptr()));
        let ns = extendr_ffi::Rf_protect(R_FindNamespace(ns));
        let text = extendr_ffi::Rf_protect(Rf_mkString(msg.as_ptr()));
        let kind = extendr_ffi::Rf_protect(Rf_mkString(kind.as_ptr()));
        let fun = extendr_ffi::Rf_install(c"stop_from_native".as_ptr());
        let call = extendr_ffi::Rf_protect(Rf_lang3(fun, text, kind));
        drop(msg);
        Rf_eval(call, ns);
    }
    unreachable!("stop_from_native() returned")
}

/// Element `name` of an R list.
fn list_get(x: &Robj, name: &str) -> Option<Robj> {
    x.as_list()?
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The Handle of one of our ALTREP objects.
///
/// # Safety
/// `x` must be an ALTREP object of our class (made by `Altrep::from_state_and_class`).
unsafe fn state_of<'a>(x: SEXP) -> Option<&'a Handle> {
    // SAFETY: data1 of our objects is an external pointer to a Box<Handle> that lives
    // as long as the object (freed by its finalizer).
    unsafe {
        let p = extendr_ffi::R_ExternalPtrAddr(extendr_ffi::R_altrep_data1(x)) as *const Handle;
        p.as_ref()
    }
}

impl AltrepImpl for Handle {
    fn length(&self) -> usize {
        0
    }

    fn serialized_state(x: SEXP) -> Robj {
        // SAFETY: R calls this method only on objects of this class.
        let msg = match unsafe { state_of(x) }.map(Handle::state) {
            Some(Ok(state)) => return state,
            None => return ().into(),
            Some(Err(e)) => format!(
                "{e}; saveRDS() and serialize() store an index in that format, so this index \
                 cannot be serialised (an index created with keep_vectors = TRUE can)"
            ),
        };
        // Only the message is left to own: raise_condition does not return.
        raise_condition(c"state", msg)
    }

    fn unserialize(_class: Robj, state: Robj) -> Robj {
        let restored = Handle::restore(&state).map(Handle::into_robj);
        drop(state);
        match restored {
            Ok(r) => r,
            Err(e) => {
                let msg = e.to_string();
                let msg = msg
                    .split_once(':')
                    .and_then(|(_, rest)| rest.split_once(':'));
                let msg = msg.map_or("cannot read the serialised index".to_string(), |(_, m)| {
                    m.replace("%%", "%")
                });
                throw_r_error(format!("hnswlibrs: {}", msg.replace('%', "%%")))
            }
        }
    }

    fn duplicate(x: SEXP, _deep: bool) -> Robj {
        // SAFETY: R calls this method only on objects of this class.
        match unsafe { state_of(x) } {
            Some(h) => h.clone().into_robj(),
            None => ().into(),
        }
    }
}

impl extendr_api::AltRawImpl for Handle {
    fn elt(&self, _index: usize) -> u8 {
        0
    }
}
