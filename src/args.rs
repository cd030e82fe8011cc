//! Checked conversions of C arguments: handles, out-parameters, buffers, strings and
//! the vector data whose element type the index's space decides.

use std::ffi::{c_char, c_void, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use hnswlib_core::{Space, SpaceKind};

use crate::status::{AbiResult, Failure};

/// A shared reference to the object behind a handle.
pub(crate) fn handle<'a, T>(p: *const T, what: &str) -> AbiResult<&'a T> {
    // SAFETY: the C contract: a non-NULL handle points to a live object made by this
    // library and not yet freed.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Writes `value` through an out-parameter.
pub(crate) fn put<T>(p: *mut T, what: &str, value: T) -> AbiResult {
    check_out(p, what)?;
    // SAFETY: non-NULL and aligned; the C contract says it points to writable storage
    // of the out-parameter's type. `write` does not read or drop the old value.
    unsafe { p.write(value) };
    Ok(())
}

/// Moves `value` to the heap and hands it to the caller through `out`. `out` is
/// checked first: when it is unusable the value is dropped here, so nothing leaks.
pub(crate) fn put_new<T>(out: *mut *mut T, value: T) -> AbiResult {
    check_out(out, "out")?;
    // SAFETY: checked non-NULL and aligned; the C contract says it is writable.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
    Ok(())
}

/// Checks that an out-parameter is non-NULL and aligned.
pub(crate) fn check_out<T>(p: *mut T, what: &str) -> AbiResult {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    if !p.is_aligned() {
        return Err(Failure::invalid(format!("{what} is not aligned")));
    }
    Ok(())
}

/// A caller array of `len` elements (NULL is allowed only when `len` is 0).
pub(crate) fn slice<'a, T>(p: *const T, len: usize, what: &str) -> AbiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    check_array(p, len, what)?;
    // SAFETY: non-NULL, aligned, and the C contract says `len` elements are readable
    // for the duration of the call; the size fits in isize (check_array).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A writable caller array of `len` elements (NULL is allowed only when `len` is 0).
pub(crate) fn slice_mut<'a, T>(p: *mut T, len: usize, what: &str) -> AbiResult<&'a mut [T]> {
    if len == 0 {
        return Ok(&mut []);
    }
    check_array(p, len, what)?;
    // SAFETY: as in `slice`, and the caller gives us exclusive use of the buffer for
    // the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

fn check_array<T>(p: *const T, len: usize, what: &str) -> AbiResult {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    if !p.is_aligned() {
        return Err(Failure::invalid(format!(
            "{what} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Failure::invalid(format!(
            "{what}: {len} elements is too many"
        )));
    }
    Ok(())
}

/// A NUL-terminated UTF-8 string.
pub(crate) fn text<'a>(p: *const c_char, what: &str) -> AbiResult<&'a str> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL; the C contract says it is a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| Failure::invalid(format!("{what} is not valid UTF-8")))
}

/// A NUL-terminated file path (any bytes, as the OS allows).
pub(crate) fn path<'a>(p: *const c_char, what: &str) -> AbiResult<&'a Path> {
    if p.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL; the C contract says it is a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(Failure::invalid(format!("{what} is empty")));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// How a space's vectors look in C: `float` for l2/ip/cosine, bytes otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    /// Elements are `float` (else `uint8_t`/opaque bytes).
    pub(crate) is_f32: bool,
    /// Elements (floats or bytes) per vector.
    pub(crate) per_vector: usize,
}

impl Layout {
    pub(crate) fn of(space: &Space) -> Self {
        let is_f32 = matches!(
            space.kind(),
            SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine
        );
        let per_vector = if is_f32 {
            space.dim()
        } else {
            space.data_size()
        };
        Layout { is_f32, per_vector }
    }

    /// Bytes per vector.
    pub(crate) fn vector_bytes(&self) -> usize {
        self.per_vector * if self.is_f32 { 4 } else { 1 }
    }

    /// `rows` vectors at `data`, typed by the space.
    pub(crate) fn rows<'a>(
        &self,
        data: *const c_void,
        rows: usize,
        what: &str,
    ) -> AbiResult<Vectors<'a>> {
        if rows == 0 {
            return Err(Failure::invalid(format!("{what}: no vectors were given")));
        }
        let len = rows
            .checked_mul(self.per_vector)
            .ok_or_else(|| Failure::invalid(format!("{what}: {rows} rows is too many")))?;
        Ok(if self.is_f32 {
            Vectors::F32(slice(data.cast::<f32>(), len, what)?)
        } else {
            Vectors::Bytes(slice(data.cast::<u8>(), len, what)?)
        })
    }
}

/// Vector data in the element type of its space.
pub(crate) enum Vectors<'a> {
    F32(&'a [f32]),
    Bytes(&'a [u8]),
}

/// Evaluates `$body` with `$v` bound to the typed slice of `$vectors`, so one generic
/// core call serves both element types.
macro_rules! with_vectors {
    ($vectors:expr, $v:ident => $body:expr) => {
        match $vectors {
            $crate::args::Vectors::F32($v) => $body,
            $crate::args::Vectors::Bytes($v) => $body,
        }
    };
}
pub(crate) use with_vectors;
