//! `hnsw_space`: what a vector is and how two are compared. An index copies the space
//! it is made with, so a space handle may be freed as soon as the index exists.

use std::ffi::{c_char, c_void, CString};

use hnswlib_core::{Space, SpaceKind};

use crate::args::{handle, put, put_new, text, Layout, Vectors};
use crate::options::hnsw_distance_fn;
use crate::status::{guard, hnsw_status, Failure};

/// A space: element type and size plus distance function. Opaque.
pub struct hnsw_space {
    pub(crate) space: Space,
    /// The custom space's name as C reads it (`hnsw_space_custom_name`).
    name: Option<CString>,
}

impl hnsw_space {
    pub(crate) fn new(space: Space) -> Self {
        // A space name holds no NUL (Space::named refuses one).
        let name = space.name().and_then(|n| CString::new(n).ok());
        hnsw_space { space, name }
    }
}

fn make(
    out: *mut *mut hnsw_space,
    make: impl FnOnce() -> hnswlib_core::Result<Space>,
) -> hnsw_status {
    guard(|| {
        let space = make()?;
        put_new(out, hnsw_space::new(space))
    })
}

/// Squared Euclidean distance on `dim` floats (hnswlib's `L2Space`).
/// On success `*out` is a new space; free it with `hnsw_space_free`.
#[no_mangle]
pub extern "C" fn hnsw_space_l2(dim: usize, out: *mut *mut hnsw_space) -> hnsw_status {
    make(out, || Space::l2(dim))
}

/// Inner product distance `1 - dot(a, b)` on `dim` floats (hnswlib's
/// `InnerProductSpace`).
#[no_mangle]
pub extern "C" fn hnsw_space_ip(dim: usize, out: *mut *mut hnsw_space) -> hnsw_status {
    make(out, || Space::ip(dim))
}

/// Cosine distance on `dim` floats: vectors are normalised when added and when
/// queried, and stored normalised (a zero vector stays zero), as hnswlib's Python
/// `'cosine'` space.
#[no_mangle]
pub extern "C" fn hnsw_space_cosine(dim: usize, out: *mut *mut hnsw_space) -> hnsw_status {
    make(out, || Space::cosine(dim))
}

/// Squared Euclidean distance on `dim` bytes (`uint8_t`), exact in integers
/// (hnswlib's `L2SpaceI`); dim at most 65536.
#[no_mangle]
pub extern "C" fn hnsw_space_l2_u8(dim: usize, out: *mut *mut hnsw_space) -> hnsw_status {
    make(out, || Space::l2_u8(dim))
}

/// A space by name: "l2", "ip", "cosine" or "l2u8".
#[no_mangle]
pub extern "C" fn hnsw_space_new(
    name: *const c_char,
    dim: usize,
    out: *mut *mut hnsw_space,
) -> hnsw_status {
    guard(|| {
        let name = text(name, "name")?;
        let space = Space::by_name(name, dim)?;
        put_new(out, hnsw_space::new(space))
    })
}

/// A custom space (hnswlib's `SpaceInterface`): elements of `element_size` bytes
/// compared by `distance(a, b, user_data)`.
///
/// `distance` is called from many threads at once, for as long as any index made with
/// this space exists; `user_data` must stay valid that long. Vectors are passed to and
/// returned from indexes of this space as `element_size` opaque bytes.
#[no_mangle]
pub extern "C" fn hnsw_space_custom(
    element_size: usize,
    distance: hnsw_distance_fn,
    user_data: *const c_void,
    out: *mut *mut hnsw_space,
) -> hnsw_status {
    guard(|| {
        let func = distance.ok_or_else(|| Failure::null("distance"))?;
        // SAFETY: the documented contract of this function is exactly custom_c's:
        // `func` is thread-safe and it and `user_data` outlive every index using it.
        let space = unsafe { Space::custom_c(element_size, func, user_data) }?;
        put_new(out, hnsw_space::new(space))
    })
}

/// A new space: the custom space `space` under `name` (1 to 64 bytes of UTF-8). A
/// native file (HNSW_FORMAT_NATIVE) stores the name: loading or viewing it with a
/// custom space of another name is HNSW_ERR_INVALID_ARGUMENT, so a wrong distance
/// function is refused instead of giving wrong results (a space without a name takes
/// the file's). A built-in space, or an empty, too long or non-UTF-8 name, is
/// HNSW_ERR_INVALID_ARGUMENT. `space` is left as it was; free both.
#[no_mangle]
pub extern "C" fn hnsw_space_named(
    space: *const hnsw_space,
    name: *const c_char,
    out: *mut *mut hnsw_space,
) -> hnsw_status {
    guard(|| {
        let space = handle(space, "space")?.space.clone();
        let named = space.named(text(name, "name")?)?;
        put_new(out, hnsw_space::new(named))
    })
}

/// The custom space's name (`hnsw_space_named`, or the file's for a space from
/// `hnsw_index_space`), or NULL when it has none. `*out` lives as long as `space`.
#[no_mangle]
pub extern "C" fn hnsw_space_custom_name(
    space: *const hnsw_space,
    out: *mut *const c_char,
) -> hnsw_status {
    guard(|| {
        let name = handle(space, "space")?.name.as_ref();
        put(out, "out", name.map_or(std::ptr::null(), |n| n.as_ptr()))
    })
}

/// Frees a space. NULL is allowed. Indexes made with it are not affected.
#[no_mangle]
pub extern "C" fn hnsw_space_free(space: *mut hnsw_space) {
    if !space.is_null() {
        // SAFETY: made by Box::into_raw in this module and, by contract, freed once.
        drop(unsafe { Box::from_raw(space) });
    }
}

/// The space's dimension (floats or bytes per vector; element size for custom).
#[no_mangle]
pub extern "C" fn hnsw_space_dim(space: *const hnsw_space, out: *mut usize) -> hnsw_status {
    guard(|| put(out, "out", handle(space, "space")?.space.dim()))
}

/// The space's kind by name: "l2", "ip", "cosine", "l2u8" or "custom". `*out` is a
/// static string (never freed). With `hnsw_index_space` it tells which space a file
/// opened with `hnsw_index_open` or `hnsw_index_open_view` holds.
#[no_mangle]
pub extern "C" fn hnsw_space_name(
    space: *const hnsw_space,
    out: *mut *const c_char,
) -> hnsw_status {
    guard(|| {
        let name = match handle(space, "space")?.space.kind() {
            SpaceKind::L2 => c"l2",
            SpaceKind::InnerProduct => c"ip",
            SpaceKind::Cosine => c"cosine",
            SpaceKind::L2U8 => c"l2u8",
            SpaceKind::Custom => c"custom",
        };
        put(out, "out", name.as_ptr())
    })
}

/// Bytes per vector.
#[no_mangle]
pub extern "C" fn hnsw_space_element_size(
    space: *const hnsw_space,
    out: *mut usize,
) -> hnsw_status {
    guard(|| put(out, "out", handle(space, "space")?.space.data_size()))
}

/// The distance of two vectors as the index computes it (cosine vectors are not
/// normalised here: pass normalised ones). `a` and `b` hold one vector each.
#[no_mangle]
pub extern "C" fn hnsw_space_distance(
    space: *const hnsw_space,
    a: *const c_void,
    b: *const c_void,
    out: *mut f32,
) -> hnsw_status {
    guard(|| {
        let space = &handle(space, "space")?.space;
        let layout = Layout::of(space);
        let (a, b) = (layout.rows(a, 1, "a")?, layout.rows(b, 1, "b")?);
        let d = match (a, b) {
            (Vectors::F32(a), Vectors::F32(b)) => space.distance(a, b),
            (Vectors::Bytes(a), Vectors::Bytes(b)) => space.distance(a, b),
            _ => unreachable!("one layout gives one element type"),
        }?;
        put(out, "out", d)
    })
}
