//! The native file format and read-only views in C: `hnsw_file_format` (which format
//! a save or serialisation writes), `hnsw_index_open` (a native file, no space
//! needed), `hnsw_index_open_view` / `hnsw_index_view` (memory-mapped read-only views
//! of native files) and `hnsw_index_is_view`.
//!
//! The format travels as a plain `int32_t` (like `hnsw_quantization`), so that any
//! value a caller puts in a struct field is representable and checked.

use std::ffi::c_char;

use hnswlib_core::{FileFormat, HnswIndex, ViewOptions};

use crate::args::{handle, path, slice};
use crate::hnsw::boxed;
use crate::index::{self, get, hnsw_index};
use crate::options::{hnsw_load_options, load_options};
use crate::space::hnsw_space;
use crate::status::{guard, hnsw_status, AbiResult, Failure};

/// The format of a saved HNSW index (one of the `HNSW_FORMAT_*` values).
pub type hnsw_file_format = i32;

/// hnswlib's `saveIndex` format, byte for byte: hnswlib loads it, but it does not
/// name its space or dimension, and codes-only indexes cannot use it. The default.
pub const HNSW_FORMAT_HNSWLIB: hnsw_file_format = 0;
/// hnswlib-rs's own format: names its space, dimension, parameters and storage mode
/// (`hnsw_index_open` needs no space), checksums every section, holds any index
/// (quantized codes included), and can be opened as a memory-mapped view
/// (`hnsw_index_open_view`). Brute-force indexes are saved in hnswlib's format only.
pub const HNSW_FORMAT_NATIVE: hnsw_file_format = 1;

/// The core's format for a C value; `what` names the field or argument in the message.
pub(crate) fn format_from_c(value: hnsw_file_format, what: &str) -> AbiResult<FileFormat> {
    match value {
        HNSW_FORMAT_HNSWLIB => Ok(FileFormat::Hnswlib),
        HNSW_FORMAT_NATIVE => Ok(FileFormat::Native),
        _ => Err(Failure::invalid(format!(
            "{what} is {value}, which is not a file format: use HNSW_FORMAT_HNSWLIB \
             ({HNSW_FORMAT_HNSWLIB}) or HNSW_FORMAT_NATIVE ({HNSW_FORMAT_NATIVE})"
        ))),
    }
}

/// The C value of a core format.
pub(crate) fn format_to_c(f: FileFormat) -> hnsw_file_format {
    match f {
        FileFormat::Hnswlib => HNSW_FORMAT_HNSWLIB,
        FileFormat::Native => HNSW_FORMAT_NATIVE,
    }
}

/// Settings of `hnsw_index_open_view` and `hnsw_index_view`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_view_options {
    /// Check what a load checks: the checksums of the level-0 and vector sections,
    /// every link and every vector. That reads the whole file. false (the default):
    /// opening reads the header, labels, levels and upper levels only (all
    /// checksummed and checked), in milliseconds at any size; searches are
    /// memory-safe whatever the level-0 bytes hold, but a damaged level 0 gives
    /// wrong results, which `hnsw_index_check_integrity` finds.
    pub verify: bool,
    /// Read the whole file into the page cache while opening, so that the first
    /// searches do not wait for the disk. Default false.
    pub populate: bool,
}

/// No verification of level 0, no populating.
#[no_mangle]
pub extern "C" fn hnsw_view_options_default() -> hnsw_view_options {
    let d = ViewOptions::default();
    hnsw_view_options {
        verify: d.verify,
        populate: d.populate,
    }
}

/// NULL means `hnsw_view_options_default()`.
fn view_options(o: *const hnsw_view_options) -> ViewOptions {
    // SAFETY: the C contract: NULL or a pointer to a valid options struct.
    unsafe { o.as_ref() }.map_or_else(ViewOptions::default, |o| ViewOptions {
        verify: o.verify,
        populate: o.populate,
    })
}

/// Loads a file in the native format (`HNSW_FORMAT_NATIVE`), which names its own
/// space, dimension and parameters, so no space is needed. `opts` NULL means
/// `hnsw_load_options_default()`. The index's space, dimension, M, ef_construction,
/// ef, capacity, deletions and quantization are the file's (`hnsw_index_space`,
/// `hnsw_index_dim`, ...); `opts` may raise the capacity or quantize it as for
/// `hnsw_index_load`. A file in hnswlib's format (which does not name its space: the
/// message says so, and to load it with its space and dim), one that is no index, or
/// a truncated or corrupted file is HNSW_ERR_FORMAT; a missing one HNSW_ERR_IO; a
/// file of a custom distance HNSW_ERR_INVALID_ARGUMENT (load it with
/// `hnsw_index_load` and that space).
#[no_mangle]
pub extern "C" fn hnsw_index_open(
    path: *const c_char,
    opts: *const hnsw_load_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let path = self::path(path, "path")?;
            Ok(HnswIndex::open(path, &load_options(opts)?)?)
        })
    })
}

/// Opens a native file as a read-only view: the file is mapped into memory, not
/// read, and searches use it where it lies, so opening takes milliseconds whatever
/// the size, an index larger than memory can be searched, and processes that view
/// one file share one copy of it in the page cache. Searches, reads and saves work
/// as on a loaded index; adds, updates, deletes and resizes return HNSW_ERR_STATE
/// with a message that says "read-only view". `opts` NULL means
/// `hnsw_view_options_default()`.
///
/// The file must not be truncated or rewritten in place while the view is open
/// (saves replace files by renaming, which is safe; so is deleting it). A file that
/// is not in the native format (hnswlib's format, an empty file), as for
/// `hnsw_index_open`, and a truncated or damaged one are HNSW_ERR_FORMAT (the
/// message says which, and for an hnswlib file to load it with its space and dim);
/// a missing one HNSW_ERR_IO; a file of a custom distance
/// HNSW_ERR_INVALID_ARGUMENT (view it with `hnsw_index_view` and that space).
#[no_mangle]
pub extern "C" fn hnsw_index_open_view(
    path: *const c_char,
    opts: *const hnsw_view_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let path = self::path(path, "path")?;
            Ok(HnswIndex::open_view(path, &view_options(opts))?)
        })
    })
}

/// `hnsw_index_open_view` for any native file, including those of a custom distance,
/// which need their space: `space` must match the file's (the same kind and
/// dimension or element size; HNSW_ERR_INVALID_ARGUMENT if not).
#[no_mangle]
pub extern "C" fn hnsw_index_view(
    path: *const c_char,
    space: *const hnsw_space,
    opts: *const hnsw_view_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let space = handle(space, "space")?.space.clone();
            let path = self::path(path, "path")?;
            Ok(HnswIndex::view(path, space, &view_options(opts))?)
        })
    })
}

/// Whether the index is a read-only view of a file (`hnsw_index_open_view`).
#[no_mangle]
pub extern "C" fn hnsw_index_is_view(index: *const hnsw_index, out: *mut bool) -> hnsw_status {
    get(index, out, |h| h.index.is_view())
}

/// The index in `format` (an HNSW_FORMAT_* value), in memory: `*data` gets a buffer
/// of `*len` bytes that the caller frees with `hnsw_buffer_free(*data, *len)`.
/// `hnsw_index_deserialize` reads either format, `hnsw_index_deserialize_native`
/// the native one with no space. A value that is not a format is
/// HNSW_ERR_INVALID_ARGUMENT; hnswlib's format for a codes-only index HNSW_ERR_STATE.
#[no_mangle]
pub extern "C" fn hnsw_index_serialize_with(
    index: *const hnsw_index,
    format: hnsw_file_format,
    data: *mut *mut u8,
    len: *mut usize,
) -> hnsw_status {
    guard(|| {
        let format = format_from_c(format, "format")?;
        index::serialize_by(index, data, len, |h| Ok(h.index.to_bytes_with(format)?))
    })
}

/// Loads an index from `len` bytes in the native format (as from
/// `hnsw_index_serialize_with(.., HNSW_FORMAT_NATIVE, ..)`), which name their space,
/// so none is needed. The bytes are copied; the caller keeps them. `opts` and errors
/// as for `hnsw_index_open`.
#[no_mangle]
pub extern "C" fn hnsw_index_deserialize_native(
    data: *const u8,
    len: usize,
    opts: *const hnsw_load_options,
    out: *mut *mut hnsw_index,
) -> hnsw_status {
    guard(|| {
        boxed(out, || {
            let bytes = slice(data, len, "data")?;
            Ok(HnswIndex::from_native_bytes(bytes, &load_options(opts)?)?)
        })
    })
}
