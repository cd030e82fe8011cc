//! Spaces: what a vector is (element type and size) and how two are compared.
//!
//! Mirrors hnswlib's `SpaceInterface` (data size + distance function + parameter):
//! the index stores every element as opaque bytes of [`Space::data_size`] and calls
//! [`Space::distance`] on them. Built-in spaces use the SIMD kernels of
//! [`crate::kernels`]; custom spaces take a C callback or a Rust [`Distance`].

use std::ffi::c_void;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kernels::{self, Kernels};

/// The kind of a space, as named by hnswlib and the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpaceKind {
    /// Squared Euclidean distance on f32 (hnswlib `L2Space`, Python `'l2'`).
    L2,
    /// `1 - dot(a, b)` on f32 (hnswlib `InnerProductSpace`, Python `'ip'`).
    InnerProduct,
    /// `1 - dot(a, b)` of vectors normalised on insert and on query (Python `'cosine'`).
    Cosine,
    /// Squared Euclidean distance on u8, exact in integers (hnswlib `L2SpaceI`).
    L2U8,
    /// A user distance over opaque elements of a given byte size.
    Custom,
}

impl SpaceKind {
    /// hnswlib's name of the space (`"l2"`, `"ip"`, `"cosine"`; ours: `"l2u8"`, `"custom"`).
    pub fn name(self) -> &'static str {
        match self {
            SpaceKind::L2 => "l2",
            SpaceKind::InnerProduct => "ip",
            SpaceKind::Cosine => "cosine",
            SpaceKind::L2U8 => "l2u8",
            SpaceKind::Custom => "custom",
        }
    }
}

/// A vector element type the built-in spaces accept.
pub trait Element: bytemuck::Pod + Send + Sync {
    /// Name used in error messages.
    const NAME: &'static str;
    /// Whether the value is finite (always true for integers).
    fn is_finite(self) -> bool;
}

impl Element for f32 {
    const NAME: &'static str = "f32";
    #[inline]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
}

impl Element for u8 {
    const NAME: &'static str = "u8";
    #[inline]
    fn is_finite(self) -> bool {
        true
    }
}

/// A user distance in Rust. It sees each element as the raw bytes it was added with.
///
/// It must be thread-safe: the index calls it from many threads at once.
pub trait Distance: Send + Sync {
    /// Distance of two elements of the space's data size; smaller means closer.
    fn distance(&self, a: &[u8], b: &[u8]) -> f32;
}

impl<F: Fn(&[u8], &[u8]) -> f32 + Send + Sync> Distance for F {
    fn distance(&self, a: &[u8], b: &[u8]) -> f32 {
        self(a, b)
    }
}

/// hnswlib's `DISTFUNC`: `float (*)(const void *a, const void *b, const void *param)`.
pub type CDistanceFn = unsafe extern "C" fn(*const c_void, *const c_void, *const c_void) -> f32;

#[derive(Clone, Copy)]
struct CDistance {
    func: CDistanceFn,
    user_data: *const c_void,
}

// SAFETY: `Space::custom_c` requires the caller to guarantee that the function may be
// called from any thread with this user_data, concurrently.
unsafe impl Send for CDistance {}
// SAFETY: as above; the pointer is only ever passed back to the function.
unsafe impl Sync for CDistance {}

#[derive(Clone)]
enum Metric {
    L2(&'static Kernels),
    Dot(&'static Kernels),
    L2U8(&'static Kernels),
    C(CDistance),
    Rust(Arc<dyn Distance>),
}

/// Longest name of a custom space, in bytes of UTF-8 (the native format's field).
pub const MAX_SPACE_NAME: usize = 64;

/// A space: element layout plus distance. Cheap to clone.
#[derive(Clone)]
pub struct Space {
    kind: SpaceKind,
    dim: usize,
    data_size: usize,
    metric: Metric,
    /// A custom space's name (see [`Space::named`]).
    name: Option<Arc<str>>,
}

impl fmt::Debug for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Space")
            .field("kind", &self.kind)
            .field("dim", &self.dim)
            .field("data_size", &self.data_size)
            .field("kernels", &self.kernels_name())
            .field("name", &self.name)
            .finish()
    }
}

fn check_dim(dim: usize) -> Result<()> {
    if dim == 0 {
        return Err(Error::invalid("dim must be at least 1"));
    }
    // Keeps every per-element size far inside u32/usize arithmetic.
    if dim > (1 << 24) {
        return Err(Error::invalid(format!(
            "dim {dim} is too large (at most {})",
            1 << 24
        )));
    }
    Ok(())
}

impl Space {
    /// Squared L2 on f32 vectors of `dim` elements.
    pub fn l2(dim: usize) -> Result<Self> {
        Self::with_kernels(SpaceKind::L2, dim, kernels::best())
    }

    /// Inner product (`1 - dot`) on f32 vectors of `dim` elements.
    pub fn ip(dim: usize) -> Result<Self> {
        Self::with_kernels(SpaceKind::InnerProduct, dim, kernels::best())
    }

    /// Cosine (`1 - dot` of normalised vectors) on f32 vectors of `dim` elements.
    pub fn cosine(dim: usize) -> Result<Self> {
        Self::with_kernels(SpaceKind::Cosine, dim, kernels::best())
    }

    /// Squared L2 on u8 vectors of `dim` elements (hnswlib's `L2SpaceI`). The exact
    /// integer distance fits 32 bits up to dim 65536, the limit.
    pub fn l2_u8(dim: usize) -> Result<Self> {
        if dim > 65_536 {
            return Err(Error::invalid(format!(
                "dim {dim} is too large for u8 vectors (at most 65536)"
            )));
        }
        Self::with_kernels(SpaceKind::L2U8, dim, kernels::best())
    }

    /// A space by hnswlib's name: `"l2"`, `"ip"`, `"cosine"`, or `"l2u8"`.
    pub fn by_name(name: &str, dim: usize) -> Result<Self> {
        match name {
            "l2" => Self::l2(dim),
            "ip" => Self::ip(dim),
            "cosine" => Self::cosine(dim),
            "l2u8" => Self::l2_u8(dim),
            _ => Err(Error::invalid(format!(
                "Space name must be one of l2, ip, or cosine (or l2u8), got {name:?}"
            ))),
        }
    }

    /// A built-in space on an explicit kernel table (tests and benchmarks compare tables).
    pub fn with_kernels(kind: SpaceKind, dim: usize, kernels: &'static Kernels) -> Result<Self> {
        check_dim(dim)?;
        let (metric, elem) = match kind {
            SpaceKind::L2 => (Metric::L2(kernels), 4),
            SpaceKind::InnerProduct | SpaceKind::Cosine => (Metric::Dot(kernels), 4),
            SpaceKind::L2U8 => (Metric::L2U8(kernels), 1),
            SpaceKind::Custom => {
                return Err(Error::invalid(
                    "custom spaces are made with Space::custom or Space::custom_c",
                ))
            }
        };
        Ok(Space {
            kind,
            dim,
            data_size: dim * elem,
            metric,
            name: None,
        })
    }

    /// A custom space with a Rust distance over elements of `data_size` bytes.
    pub fn custom(data_size: usize, distance: impl Distance + 'static) -> Result<Self> {
        check_dim(data_size)?;
        Ok(Space {
            kind: SpaceKind::Custom,
            dim: data_size,
            data_size,
            metric: Metric::Rust(Arc::new(distance)),
            name: None,
        })
    }

    /// A custom space with a C distance function (hnswlib's `SpaceInterface`):
    /// elements of `data_size` bytes, compared by `func(a, b, user_data)`.
    ///
    /// # Safety
    /// `func` must be safe to call with two pointers to `data_size` readable bytes and
    /// `user_data`, from any number of threads at once, for as long as any index
    /// built on this space (or a clone of it) exists.
    pub unsafe fn custom_c(
        data_size: usize,
        func: CDistanceFn,
        user_data: *const c_void,
    ) -> Result<Self> {
        check_dim(data_size)?;
        Ok(Space {
            kind: SpaceKind::Custom,
            dim: data_size,
            data_size,
            metric: Metric::C(CDistance { func, user_data }),
            name: None,
        })
    }

    /// This custom space under `name` (1 to [`MAX_SPACE_NAME`] bytes of UTF-8, no NUL).
    /// The native format stores it: a file saved with a named space loads or views
    /// only with a space of that name (or an unnamed one, which takes the file's), so a
    /// wrong distance function is refused instead of giving wrong results.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a built-in space (its kind names it) or a name
    /// that is empty, too long or holds a NUL.
    pub fn named(mut self, name: &str) -> Result<Self> {
        if self.kind != SpaceKind::Custom {
            return Err(Error::invalid(format!(
                "only custom spaces take a name; this one is {}",
                self.kind.name()
            )));
        }
        if name.is_empty() || name.len() > MAX_SPACE_NAME || name.contains('\0') {
            return Err(Error::invalid(format!(
                "a space name must be 1 to {MAX_SPACE_NAME} bytes of UTF-8 without NUL, got {name:?}"
            )));
        }
        self.name = Some(name.into());
        Ok(self)
    }

    /// The custom space's name, if it was given one ([`Space::named`]).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The kind of space.
    pub fn kind(&self) -> SpaceKind {
        self.kind
    }

    /// Elements per vector (bytes for custom spaces).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Bytes per stored vector.
    pub fn data_size(&self) -> usize {
        self.data_size
    }

    /// Name of the kernel table in use ("avx512", "avx2", "neon", "scalar"), or
    /// "custom" for user distances.
    pub fn kernels_name(&self) -> &'static str {
        match &self.metric {
            Metric::L2(k) | Metric::Dot(k) | Metric::L2U8(k) => k.name,
            Metric::C(_) | Metric::Rust(_) => "custom",
        }
    }

    /// The element type name vectors of this space must have, or None for custom spaces.
    pub(crate) fn element_name(&self) -> Option<&'static str> {
        match self.kind {
            SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine => Some(f32::NAME),
            SpaceKind::L2U8 => Some(u8::NAME),
            SpaceKind::Custom => None,
        }
    }

    /// Distance between two stored (or prepared) elements.
    ///
    /// # Safety
    /// `a` and `b` must be valid for reads of [`Space::data_size`] bytes, and for the
    /// f32 spaces aligned to 4 bytes.
    #[inline(always)]
    pub unsafe fn distance_raw(&self, a: *const u8, b: *const u8) -> f32 {
        // SAFETY (all arms): forwarded from the caller's guarantee of data_size
        // readable (and for f32 aligned) bytes behind both pointers.
        unsafe {
            match &self.metric {
                Metric::L2(k) => (k.l2_f32)(a.cast(), b.cast(), self.dim),
                Metric::Dot(k) => 1.0 - (k.dot_f32)(a.cast(), b.cast(), self.dim),
                Metric::L2U8(k) => (k.l2_u8)(a, b, self.dim) as f32,
                Metric::C(c) => (c.func)(a.cast(), b.cast(), c.user_data),
                Metric::Rust(d) => d.distance(
                    std::slice::from_raw_parts(a, self.data_size),
                    std::slice::from_raw_parts(b, self.data_size),
                ),
            }
        }
    }

    /// Distance between two vectors, as the index computes it (cosine normalises both).
    pub fn distance<T: Element>(&self, a: &[T], b: &[T]) -> Result<f32> {
        let a = self.prepare(a, 0)?;
        let b = self.prepare(b, 1)?;
        // SAFETY: prepare() returns data_size bytes, 4-byte aligned.
        Ok(unsafe { self.distance_raw(a.as_ptr(), b.as_ptr()) })
    }

    /// Validates one vector (type, length, finiteness) and returns its bytes.
    pub(crate) fn check<'a, T: Element>(&self, v: &'a [T], row: usize) -> Result<&'a [u8]> {
        if let Some(expected) = self.element_name() {
            if expected != T::NAME {
                return Err(Error::ElementType {
                    expected,
                    got: T::NAME,
                });
            }
            if v.len() != self.dim {
                return Err(Error::DimensionMismatch {
                    expected: self.dim,
                    got: v.len(),
                });
            }
            if !v.iter().all(|x| x.is_finite()) {
                return Err(Error::NonFinite { row });
            }
        } else if std::mem::size_of_val(v) != self.data_size {
            return Err(Error::DimensionMismatch {
                expected: self.data_size,
                got: std::mem::size_of_val(v),
            });
        }
        Ok(bytemuck::cast_slice(v))
    }

    /// Number of rows in a flat batch of vectors, checking the length is a multiple.
    pub(crate) fn rows_of<T: Element>(&self, data: &[T]) -> Result<usize> {
        let per_row = match self.element_name() {
            Some(_) => self.dim,
            None => {
                if !self.data_size.is_multiple_of(std::mem::size_of::<T>()) {
                    return Err(Error::DimensionMismatch {
                        expected: self.data_size,
                        got: std::mem::size_of::<T>(),
                    });
                }
                self.data_size / std::mem::size_of::<T>()
            }
        };
        if data.is_empty() {
            return Err(Error::EmptyInput("no vectors were given"));
        }
        if !data.len().is_multiple_of(per_row) {
            return Err(Error::DimensionMismatch {
                expected: per_row,
                got: data.len() % per_row,
            });
        }
        Ok(data.len() / per_row)
    }

    /// Validates a vector and writes its stored form (normalised for cosine) into `out`,
    /// which has [`Space::data_size`] bytes.
    pub(crate) fn encode_into<T: Element>(
        &self,
        v: &[T],
        row: usize,
        out: &mut [u8],
    ) -> Result<()> {
        let bytes = self.check(v, row)?;
        out.copy_from_slice(bytes);
        if self.kind == SpaceKind::Cosine {
            normalize_in_place(bytemuck::cast_slice_mut(out));
        }
        Ok(())
    }

    /// Validates a query and returns its stored form (normalised for cosine), 4-byte aligned.
    pub(crate) fn prepare<T: Element>(&self, v: &[T], row: usize) -> Result<PreparedVec> {
        let mut buf = PreparedVec::zeroed(self.data_size);
        self.encode_into(v, row, buf.as_bytes_mut())?;
        Ok(buf)
    }

    /// A zeroed buffer of `T` that holds exactly one stored element (for get_item):
    /// `T` must be the space's element type, or for custom spaces divide its size.
    pub(crate) fn element_buffer<T: Element>(&self) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        match self.element_name() {
            Some(expected) if expected != T::NAME => Err(Error::ElementType {
                expected,
                got: T::NAME,
            }),
            None if !self.data_size.is_multiple_of(size) => Err(Error::ElementType {
                expected: u8::NAME,
                got: T::NAME,
            }),
            _ => Ok(vec![T::zeroed(); self.data_size / size]),
        }
    }

    /// The distance family and the kernel table the space computes it with (`None`
    /// for custom distances).
    pub(crate) fn family(&self) -> (Family, Option<&'static Kernels>) {
        match &self.metric {
            Metric::L2(k) => (Family::L2, Some(k)),
            Metric::Dot(k) => (Family::Dot, Some(k)),
            Metric::L2U8(k) => (Family::L2U8, Some(k)),
            Metric::C(_) | Metric::Rust(_) => (Family::Custom, None),
        }
    }
}

/// What a space's distance is, for code specialised per distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Squared L2 on f32.
    L2,
    /// `1 - dot` on f32 (inner product and cosine).
    Dot,
    /// Squared L2 on u8.
    L2U8,
    /// A user distance.
    Custom,
}

/// Scales a vector to unit length as hnswlib does: `x / (|x| + 1e-30)`, so a zero
/// vector stays zero.
pub fn normalize_in_place(v: &mut [f32]) {
    let norm2: f32 = v.iter().map(|x| x * x).sum();
    let inv = 1.0 / (norm2.sqrt() + 1e-30);
    for x in v {
        *x *= inv;
    }
}

/// A query or element buffer with 4-byte alignment (for the f32 kernels).
#[derive(Clone)]
pub(crate) struct PreparedVec {
    words: Vec<u32>,
    len: usize,
}

impl PreparedVec {
    pub(crate) fn zeroed(len: usize) -> Self {
        PreparedVec {
            words: vec![0u32; len.div_ceil(4)],
            len,
        }
    }
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice(&self.words)[..self.len]
    }
    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut(&mut self.words)[..self.len]
    }
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.words.as_ptr().cast()
    }
}
