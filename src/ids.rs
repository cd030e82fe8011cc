//! Internal ids of the HNSW index (hnswlib's `tableint`): `hnsw_index_internal_id`,
//! `hnsw_index_label_at`, `hnsw_index_is_deleted_at`, `hnsw_index_vector_at` and
//! `hnsw_index_vector_ptr_at`.
//!
//! An element's internal id is its position in the order elements were added, or
//! loaded from a file (which keeps that order): 0 for the first, then 1, 2, ... as in
//! hnswlib; a replace-deleted add reuses the id of the element it replaces. Ids are
//! below `hnsw_index_count`, deleted elements included; any other id is
//! HNSW_ERR_INVALID_ARGUMENT with a message naming it and the count.

use std::ffi::c_void;

use crate::args::{check_out, handle, put, slice_mut};
use crate::index::hnsw_index;
use crate::status::{guard, hnsw_status, Failure};

/// The internal id of `label`, deleted or not (hnswlib's `label_lookup_[label]`).
/// HNSW_ERR_LABEL_NOT_FOUND for a label that is not in the index.
#[no_mangle]
pub extern "C" fn hnsw_index_internal_id(
    index: *const hnsw_index,
    label: u64,
    out: *mut u32,
) -> hnsw_status {
    guard(|| {
        let id = handle(index, "index")?.index.internal_id(label)?;
        put(out, "out", id)
    })
}

/// The label of the element with internal id `id` (hnswlib's `getExternalLabel`).
/// HNSW_ERR_INVALID_ARGUMENT when `id` is not below the element count.
#[no_mangle]
pub extern "C" fn hnsw_index_label_at(
    index: *const hnsw_index,
    id: u64,
    out: *mut u64,
) -> hnsw_status {
    guard(|| {
        let label = handle(index, "index")?.index.label_at(id)?;
        put(out, "out", label)
    })
}

/// Whether the element with internal id `id` is marked deleted (hnswlib's
/// `isMarkedDeleted(tableint)`). HNSW_ERR_INVALID_ARGUMENT when `id` is not below the
/// element count.
#[no_mangle]
pub extern "C" fn hnsw_index_is_deleted_at(
    index: *const hnsw_index,
    id: u64,
    out: *mut bool,
) -> hnsw_status {
    guard(|| {
        let deleted = handle(index, "index")?.index.is_deleted_at(id)?;
        put(out, "out", deleted)
    })
}

/// Copies the stored vector of internal id `id` into `out` (`out_bytes` >= the
/// vector's size: `dim` floats for l2/ip/cosine, normalised for cosine; `dim` bytes
/// for l2u8; `element_size` bytes for custom spaces). Deleted elements are read too.
/// A codes-only quantized index gives the vector its code stands for. The safe way
/// to read a vector by id: the copy is the caller's. HNSW_ERR_INVALID_ARGUMENT when
/// `id` is not below the element count, HNSW_ERR_BUFFER_TOO_SMALL when `out_bytes`
/// is too small.
#[no_mangle]
pub extern "C" fn hnsw_index_vector_at(
    index: *const hnsw_index,
    id: u64,
    out: *mut c_void,
    out_bytes: usize,
) -> hnsw_status {
    guard(|| {
        let h = handle(index, "index")?;
        let needed = h.layout.vector_bytes();
        if out_bytes < needed {
            return Err(Failure::too_small("out (bytes)", needed, out_bytes));
        }
        let out = slice_mut(out.cast::<u8>(), needed, "out")?;
        if h.layout.is_f32 {
            let v = h.index.vector_at::<f32>(id)?;
            for (dst, x) in out.chunks_exact_mut(4).zip(v) {
                dst.copy_from_slice(&x.to_ne_bytes());
            }
        } else {
            out.copy_from_slice(&h.index.vector_at::<u8>(id)?);
        }
        Ok(())
    })
}

/// Sets `*out` to the address of the stored vector of internal id `id` inside the
/// index (hnswlib's `getDataByInternalId`), without copying. Prefer
/// `hnsw_index_vector_at` unless the copy matters.
///
/// The pointer is read-only and valid until the index's storage is replaced or freed:
/// by `hnsw_index_resize`, by `hnsw_index_free`, or by an add (`hnsw_index_add`,
/// `hnsw_index_add_batch`) that needs more slots than are allocated. An index made
/// by `hnsw_index_new` allocates its whole capacity at once, so adds never move it;
/// one loaded or deserialized from a file allocates for the elements it holds and
/// grows on demand, so any add may. The bytes change when the element is updated
/// (re-added under its label) or its slot is reused by a replace-deleted add; reading
/// them while that runs on another thread reads a mix of old and new values.
/// HNSW_ERR_INVALID_ARGUMENT when `id` is not below the element count, HNSW_ERR_STATE
/// for a codes-only quantized index (it stores no vectors).
#[no_mangle]
pub extern "C" fn hnsw_index_vector_ptr_at(
    index: *const hnsw_index,
    id: u64,
    out: *mut *const c_void,
) -> hnsw_status {
    guard(|| {
        check_out(out, "out")?;
        let p = handle(index, "index")?.index.vector_ptr_at(id)?;
        put(out, "out", p.cast::<c_void>())
    })
}
