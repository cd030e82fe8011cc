//! Status codes, the thread-local last-error message, and the guard every exported
//! function runs its body in, so that no Rust panic ever unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use hnswlib_core::{Error, ErrorKind};

/// Result code of every `hnsw_*` function that can fail. `HNSW_OK` is 0; the other
/// values are stable and never reused.
pub type hnsw_status = i32;

/// Success.
pub const HNSW_OK: hnsw_status = 0;
/// Wrong dimension, element type, non-finite value, empty input, bad parameter.
pub const HNSW_ERR_INVALID_ARGUMENT: hnsw_status = 1;
/// The label is not in the index (or is deleted, for reads of its vector).
pub const HNSW_ERR_LABEL_NOT_FOUND: hnsw_status = 2;
/// The index is full: resize it, or allow replacing deleted elements.
pub const HNSW_ERR_CAPACITY: hnsw_status = 3;
/// Not allowed in the index's state (already deleted, not deleted, replace disabled,
/// resize below the element count), or an exclusive call (save, resize, serialize)
/// from inside a filter or progress callback of the same index.
pub const HNSW_ERR_STATE: hnsw_status = 4;
/// A file could not be read or written.
pub const HNSW_ERR_IO: hnsw_status = 5;
/// Corrupted, truncated or incompatible index bytes (including a wrong dimension).
pub const HNSW_ERR_FORMAT: hnsw_status = 6;
/// A progress callback returned false; the rows added before that stay in the index.
pub const HNSW_ERR_CANCELLED: hnsw_status = 7;
/// Not enough memory for the request.
pub const HNSW_ERR_OUT_OF_MEMORY: hnsw_status = 8;
/// A required pointer (handle, buffer, out-parameter) was NULL.
pub const HNSW_ERR_NULL_POINTER: hnsw_status = 9;
/// A caller buffer is smaller than the result; the size needed is reported.
pub const HNSW_ERR_BUFFER_TOO_SMALL: hnsw_status = 10;
/// A bug in the library (a caught panic); the message says where.
pub const HNSW_ERR_INTERNAL: hnsw_status = 11;

/// A failure on the C side of the boundary: a status and a message.
pub(crate) struct Failure {
    pub(crate) status: hnsw_status,
    pub(crate) message: String,
}

pub(crate) type AbiResult<T = ()> = Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::InvalidArgument => HNSW_ERR_INVALID_ARGUMENT,
            ErrorKind::LabelNotFound => HNSW_ERR_LABEL_NOT_FOUND,
            ErrorKind::Capacity => HNSW_ERR_CAPACITY,
            ErrorKind::State => HNSW_ERR_STATE,
            ErrorKind::Io => HNSW_ERR_IO,
            ErrorKind::Format => HNSW_ERR_FORMAT,
            ErrorKind::Cancelled => HNSW_ERR_CANCELLED,
            ErrorKind::OutOfMemory => HNSW_ERR_OUT_OF_MEMORY,
        };
        Failure {
            status,
            message: e.to_string(),
        }
    }
}

impl Failure {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure {
            status: HNSW_ERR_INVALID_ARGUMENT,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Self {
        Failure {
            status: HNSW_ERR_NULL_POINTER,
            message: format!("{what} is NULL"),
        }
    }

    pub(crate) fn too_small(what: &str, needed: usize, given: usize) -> Self {
        Failure {
            status: HNSW_ERR_BUFFER_TOO_SMALL,
            message: format!("{what} holds {given} entries but {needed} are needed"),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // Interior NULs cannot appear in a C string; show them rather than truncate.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// Runs `body`, turning its error or panic into a status and the thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> AbiResult) -> hnsw_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HNSW_OK,
        Ok(Err(f)) => {
            set_last_error(&f.message);
            f.status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error: {what}"));
            HNSW_ERR_INTERNAL
        }
    }
}

/// The message of the last call on this thread that returned an error ("" if none).
///
/// The string belongs to the library and stays valid until the next failing call on
/// the same thread. Successful calls leave it unchanged. Thread-safe: each thread has
/// its own message.
#[no_mangle]
pub extern "C" fn hnsw_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// A short constant name of a status code ("HNSW_OK", "HNSW_ERR_IO", ...), or
/// "unknown status" for a value that is not one. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn hnsw_status_name(status: hnsw_status) -> *const c_char {
    let name: &'static std::ffi::CStr = match status {
        HNSW_OK => c"HNSW_OK",
        HNSW_ERR_INVALID_ARGUMENT => c"HNSW_ERR_INVALID_ARGUMENT",
        HNSW_ERR_LABEL_NOT_FOUND => c"HNSW_ERR_LABEL_NOT_FOUND",
        HNSW_ERR_CAPACITY => c"HNSW_ERR_CAPACITY",
        HNSW_ERR_STATE => c"HNSW_ERR_STATE",
        HNSW_ERR_IO => c"HNSW_ERR_IO",
        HNSW_ERR_FORMAT => c"HNSW_ERR_FORMAT",
        HNSW_ERR_CANCELLED => c"HNSW_ERR_CANCELLED",
        HNSW_ERR_OUT_OF_MEMORY => c"HNSW_ERR_OUT_OF_MEMORY",
        HNSW_ERR_NULL_POINTER => c"HNSW_ERR_NULL_POINTER",
        HNSW_ERR_BUFFER_TOO_SMALL => c"HNSW_ERR_BUFFER_TOO_SMALL",
        HNSW_ERR_INTERNAL => c"HNSW_ERR_INTERNAL",
        _ => c"unknown status",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr::null_mut;

    use hnswlib_core::Space;

    use super::*;
    use crate::hnsw::{hnsw_index_add, hnsw_index_free, hnsw_index_new};
    use crate::options::hnsw_params_default;
    use crate::space::hnsw_space;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let exploding = |_: &[u8], _: &[u8]| -> f32 { panic!("distance exploded") };
        let space = hnsw_space::new(Space::custom(4, exploding).unwrap());
        let mut params = hnsw_params_default();
        params.max_elements = 4;
        let mut index = null_mut();
        assert_eq!(hnsw_index_new(&space, &params, &mut index), HNSW_OK);
        let v = [1u8, 2, 3, 4];
        // The first element needs no distance; the second does.
        assert_eq!(hnsw_index_add(index, v.as_ptr().cast(), 1, false), HNSW_OK);
        let status = hnsw_index_add(index, v.as_ptr().cast(), 2, false);
        assert_eq!(status, HNSW_ERR_INTERNAL);
        // SAFETY: hnsw_last_error returns a valid NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(hnsw_last_error()) }
            .to_str()
            .unwrap();
        assert!(msg.contains("distance exploded"), "{msg}");
        hnsw_index_free(index);
    }
}
