//! `hnsw_quantization`: the storage modes of an HNSW index in C, their names, and
//! their translation into the core's [`Quantization`].
//!
//! The mode travels as a plain `int32_t` (like `hnsw_status`), not as a C enum, so
//! that any value a caller puts in a struct field is representable and checked:
//! a value that is not one of the `HNSW_QUANT_*` constants is
//! `HNSW_ERR_INVALID_ARGUMENT`, never undefined behaviour.

use std::ffi::{c_char, CStr};

use hnswlib_core::Quantization;

use crate::args::{put, text};
use crate::status::{guard, hnsw_status, AbiResult, Failure};

/// What the searches of an HNSW index traverse (one of the `HNSW_QUANT_*` values).
/// Quantized modes are for the float spaces (l2, ip, cosine): searches walk the graph
/// on 8-bit or 4-bit per-dimension codes and re-rank their best `rerank * k`
/// candidates with exact distances (see `hnsw_index_set_rerank`).
pub type hnsw_quantization = i32;

/// The vectors themselves (hnswlib's storage). The default.
pub const HNSW_QUANT_NONE: hnsw_quantization = 0;
/// One byte per dimension; searches re-rank their best candidates exactly.
pub const HNSW_QUANT_SQ8: hnsw_quantization = 1;
/// Half a byte per dimension; searches re-rank their best candidates exactly.
pub const HNSW_QUANT_SQ4: hnsw_quantization = 2;

/// The core's mode for a C value; `what` names the field in the message.
pub(crate) fn from_c(value: hnsw_quantization, what: &str) -> AbiResult<Quantization> {
    match value {
        HNSW_QUANT_NONE => Ok(Quantization::None),
        HNSW_QUANT_SQ8 => Ok(Quantization::Sq8),
        HNSW_QUANT_SQ4 => Ok(Quantization::Sq4),
        _ => Err(Failure::invalid(format!(
            "{what} is {value}, which is not a quantization: use HNSW_QUANT_NONE ({HNSW_QUANT_NONE}), \
             HNSW_QUANT_SQ8 ({HNSW_QUANT_SQ8}) or HNSW_QUANT_SQ4 ({HNSW_QUANT_SQ4})"
        ))),
    }
}

/// The C value of a core mode.
pub(crate) fn to_c(q: Quantization) -> hnsw_quantization {
    match q {
        Quantization::None => HNSW_QUANT_NONE,
        Quantization::Sq8 => HNSW_QUANT_SQ8,
        Quantization::Sq4 => HNSW_QUANT_SQ4,
    }
}

/// The mode named `name`: "none" (or ""), "sq8" or "sq4". An unknown name is
/// HNSW_ERR_INVALID_ARGUMENT with a message that lists the valid ones.
#[no_mangle]
pub extern "C" fn hnsw_quantization_by_name(
    name: *const c_char,
    out: *mut hnsw_quantization,
) -> hnsw_status {
    guard(|| {
        let q = Quantization::by_name(text(name, "name")?)?;
        put(out, "out", to_c(q))
    })
}

/// The name of a mode ("none", "sq8", "sq4"), or "unknown quantization" for a value
/// that is not one. Static; never free it.
#[no_mangle]
pub extern "C" fn hnsw_quantization_name(quantization: hnsw_quantization) -> *const c_char {
    let name: &'static CStr = match quantization {
        HNSW_QUANT_NONE => c"none",
        HNSW_QUANT_SQ8 => c"sq8",
        HNSW_QUANT_SQ4 => c"sq4",
        _ => c"unknown quantization",
    };
    name.as_ptr()
}
