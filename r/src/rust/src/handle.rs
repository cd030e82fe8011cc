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
use hnswlib_core::{HnswIndex, LoadOptions};

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

    /// What serialisation stores: the index file's bytes and how to rebuild the space.
    fn state(&self) -> Robj {
        let i = &self.0.index;
        list!(
            format = STATE_FORMAT,
            bytes = Raw::from_bytes(
                &i.to_bytes()
                    .expect("R makes no codes-only indexes, the only ones without hnswlib bytes")
            ),
            distance = self.0.spec.to_robj(),
            dim = self.0.dim as f64,
            ef = i.ef() as f64,
            allow_replace_deleted = i.allow_replace_deleted(),
            random_seed = i.random_seed() as f64
        )
        .into()
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
        let spec = DistanceSpec::from_robj(&distance, dim)?;
        let (space, extra) = spec.space(dim)?;
        let bytes = get("bytes")?;
        let opts = LoadOptions {
            max_elements: 0,
            allow_replace_deleted: get("allow_replace_deleted")?.as_bool().ok_or_else(bad)?,
            random_seed: num("random_seed")? as u64,
            ..Default::default()
        };
        let index = HnswIndex::from_bytes(bytes.as_raw_slice().ok_or_else(bad)?, space, &opts)
            .map_err(core_err)?;
        index.set_ef(num("ef")? as usize);
        Ok(Handle::new(IndexBox::new(index, spec, extra, dim)))
    }
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
        match unsafe { state_of(x) } {
            Some(h) => h.state(),
            None => ().into(),
        }
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
