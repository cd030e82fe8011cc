//! Conversions between R values and the core's: matrices, labels, results, errors.

use std::ffi::c_void;

use extendr_api::prelude::*;
use extendr_ffi::Rboolean;
use hnswlib_core::LabelFilter;
use hnswlib_core::{BatchResults, Error as CoreError, ErrorKind};

/// Results of the R entry points: errors become R errors.
pub type Result<T> = std::result::Result<T, Error>;

/// An R error carrying a kind the R code turns into a condition class. The message
/// travels as `hnswlibrs:<kind>:<message>`; `%` is doubled because R formats it.
pub fn rerr(kind: &str, msg: &str) -> Error {
    Error::Other(format!("hnswlibrs:{kind}:{}", msg.replace('%', "%%")))
}

/// R labels are 1-based: the core's label `l` is `l + 1` in R, and so in messages.
fn r_label(l: u64) -> u64 {
    l.wrapping_add(1)
}

/// A core error as an R error with the core's message (rows and labels 1-based).
pub fn core_err(e: CoreError) -> Error {
    let kind = match e.kind() {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::LabelNotFound => "label_not_found",
        ErrorKind::Capacity => "capacity",
        ErrorKind::State => "state",
        ErrorKind::Io => "io",
        ErrorKind::Format => "format",
        ErrorKind::Cancelled => "cancelled",
        ErrorKind::OutOfMemory => "out_of_memory",
    };
    let e = match e {
        CoreError::NonFinite { row } => CoreError::NonFinite { row: row + 1 },
        CoreError::LabelNotFound(l) => CoreError::LabelNotFound(r_label(l)),
        CoreError::AlreadyDeleted(l) => CoreError::AlreadyDeleted(r_label(l)),
        CoreError::NotDeleted(l) => CoreError::NotDeleted(r_label(l)),
        CoreError::UpdateDeletedWithReplace(l) => CoreError::UpdateDeletedWithReplace(r_label(l)),
        e => e,
    };
    rerr(kind, &e.to_string())
}

/// Like [`core_err`] for an error about row `row` of a chunk starting at `start`.
pub fn offset_rows(e: CoreError, start: usize) -> Error {
    match e {
        CoreError::NonFinite { row } => core_err(CoreError::NonFinite { row: row + start }),
        e => core_err(e),
    }
}

/// The values of an R matrix: doubles (the R code converts integer and logical
/// matrices), or bytes (a raw matrix, for an index of u8 vectors).
#[derive(Clone, Copy)]
enum Values<'a> {
    Real(&'a [f64]),
    Raw(&'a [u8]),
}

/// An R matrix of items: `items × dim` when `byrow`, else `dim × items`.
pub struct Matrix<'a> {
    data: Values<'a>,
    pub items: usize,
    dim: usize,
    byrow: bool,
    /// Whether the index holds u8 vectors (the space "l2u8").
    u8: bool,
}

/// Items converted to the element type of their index, row-major (the core's layout).
pub enum Rows {
    F32(Vec<f32>),
    U8(Vec<u8>),
}

/// Runs `$body` with `$v` bound to the rows as a slice of their element type, so one
/// generic core call serves both kinds of index.
macro_rules! with_rows {
    ($rows:expr, |$v:ident| $body:expr) => {
        match $rows {
            $crate::convert::Rows::F32(floats) => {
                let $v: &[f32] = floats;
                $body
            }
            $crate::convert::Rows::U8(bytes) => {
                let $v: &[u8] = bytes;
                $body
            }
        }
    };
}
pub(crate) use with_rows;

impl<'a> Matrix<'a> {
    /// Checks `x` is a double matrix whose items have `dim` values, or for an index of
    /// u8 vectors (`u8`) a double or raw matrix.
    pub fn new(x: &'a Robj, byrow: bool, dim: usize, u8: bool) -> Result<Self> {
        let data = match (x.as_real_slice(), x.as_raw_slice()) {
            (Some(d), _) => Values::Real(d),
            (None, Some(b)) if u8 => Values::Raw(b),
            (None, Some(_)) => {
                return Err(rerr(
                    "invalid_argument",
                    "Invalid parameter: X is a raw matrix (u8 vectors), but the index holds numeric vectors: give a numeric matrix, or use an index of distance \"l2u8\"",
                ))
            }
            (None, None) => {
                return Err(rerr(
                    "invalid_argument",
                    "Invalid parameter: X must be a numeric matrix",
                ))
            }
        };
        let dims: Vec<usize> = match x
            .get_attrib("dim")
            .as_ref()
            .and_then(|d| d.as_integer_slice())
        {
            Some(d) if d.len() == 2 => d.iter().map(|&v| v as usize).collect(),
            _ => {
                return Err(rerr(
                    "invalid_argument",
                    "Invalid parameter: X must be a numeric matrix",
                ))
            }
        };
        let (items, ncol_dim) = if byrow {
            (dims[0], dims[1])
        } else {
            (dims[1], dims[0])
        };
        if ncol_dim != dim {
            return Err(core_err(CoreError::DimensionMismatch {
                expected: dim,
                got: ncol_dim,
            }));
        }
        if items == 0 {
            return Err(core_err(CoreError::EmptyInput("X has no items")));
        }
        Ok(Matrix {
            data,
            items,
            dim,
            byrow,
            u8,
        })
    }

    /// Position of value `j` of item `i` in the matrix's data.
    #[inline]
    fn at(&self, i: usize, j: usize) -> usize {
        if self.byrow {
            j * self.items + i
        } else {
            i * self.dim + j
        }
    }

    /// Checks a 0-based `start..end` item range given as doubles.
    pub fn range(&self, start: f64, end: f64) -> Result<(usize, usize)> {
        let ok = |v: f64| v.is_finite() && v >= 0.0 && v.fract() == 0.0;
        if !ok(start) || !ok(end) || start >= end || end as usize > self.items {
            return Err(rerr(
                "invalid_argument",
                &format!(
                    "Invalid parameter: rows {start}..{end} are not within the {} items of X",
                    self.items
                ),
            ));
        }
        Ok((start as usize, end as usize))
    }

    /// Checks the values of items `start..end` for their index: finite numbers (else
    /// the core's NonFinite error, 1-based row) or, for u8 vectors, whole numbers from 0
    /// to 255 (else an error naming the first bad value and its item). A raw matrix
    /// holds nothing else.
    pub fn check(&self, start: usize, end: usize) -> Result<()> {
        let Values::Real(data) = self.data else {
            return Ok(());
        };
        let ok = |v: f64| {
            if self.u8 {
                (0.0..=255.0).contains(&v) && v.fract() == 0.0
            } else {
                v.is_finite()
            }
        };
        for i in start..end {
            match (0..self.dim).map(|j| data[self.at(i, j)]).find(|&v| !ok(v)) {
                None => {}
                Some(_) if !self.u8 => return Err(core_err(CoreError::NonFinite { row: i })),
                Some(v) => {
                    let v = r_number(v);
                    return Err(rerr(
                        "invalid_argument",
                        &format!(
                            "Invalid parameter: item {} of X holds {v}; an index of u8 vectors (\"l2u8\") takes whole numbers from 0 to 255, or a raw matrix",
                            i + 1
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Items `start..end` (checked by [`Matrix::check`]) as row-major vectors of the
    /// index's element type.
    pub fn rows(&self, start: usize, end: usize) -> Rows {
        match (self.data, self.u8) {
            (Values::Real(d), false) => Rows::F32(self.gather(d, start, end, |v| v as f32)),
            (Values::Real(d), true) => Rows::U8(self.gather(d, start, end, |v| v as u8)),
            (Values::Raw(b), _) => Rows::U8(self.gather(b, start, end, |v| v)),
        }
    }

    /// Items `start..end` of `data` (this matrix's values) row-major, each value
    /// converted by `f`.
    fn gather<S: Copy, T: Copy + Default>(
        &self,
        data: &[S],
        start: usize,
        end: usize,
        f: impl Fn(S) -> T,
    ) -> Vec<T> {
        let d = self.dim;
        let mut out = vec![T::default(); (end - start) * d];
        if self.byrow {
            // Column by column: reads are contiguous, writes strided by d.
            for j in 0..d {
                let col = &data[j * self.items + start..j * self.items + end];
                for (r, &v) in col.iter().enumerate() {
                    out[r * d + j] = f(v);
                }
            }
        } else {
            for (o, &v) in out.iter_mut().zip(&data[start * d..end * d]) {
                *o = f(v);
            }
        }
        out
    }
}

/// A double as R prints it (near enough for a message): NA, NaN, Inf, -Inf, or the
/// number.
fn r_number(v: f64) -> String {
    match v {
        // R's NA is a NaN whose low word is 1954.
        v if v.is_nan() && v.to_bits() as u32 == 1954 => "NA".into(),
        v if v.is_nan() => "NaN".into(),
        v if v.is_infinite() => if v > 0.0 { "Inf" } else { "-Inf" }.into(),
        v if v.abs() < 1e15 => v.to_string(),
        v => format!("{v:e}"),
    }
}

/// Largest label R can hold exactly in a double (2^53).
const MAX_R_LABEL: f64 = 9_007_199_254_740_992.0;

/// One 1-based R label as the core's 0-based label.
pub fn label_to_core(l: f64) -> Result<u64> {
    if !l.is_finite() || l < 1.0 || l.fract() != 0.0 || l > MAX_R_LABEL {
        return Err(rerr(
            "invalid_argument",
            &format!("Invalid parameter: labels must be whole numbers from 1 to 2^53, got {l}"),
        ));
    }
    Ok(l as u64 - 1)
}

/// A numeric vector of 1-based R labels as core labels.
pub fn labels_to_core(labels: &Robj) -> Result<Vec<u64>> {
    let values: Vec<f64> = if let Some(d) = labels.as_real_slice() {
        d.to_vec()
    } else if let Some(i) = labels.as_integer_slice() {
        i.iter()
            .map(|&v| if v == i32::MIN { f64::NAN } else { v as f64 })
            .collect()
    } else {
        return Err(rerr(
            "invalid_argument",
            "Invalid parameter: labels must be a numeric vector",
        ));
    };
    values.into_iter().map(label_to_core).collect()
}

/// The `filter` argument of the searches: NULL for none, a logical vector indexed by
/// 1-based label (`filter[i]` allows label `i`; labels past its end are not allowed),
/// or a numeric vector of the allowed 1-based labels. Evaluated by the core's
/// `LabelFilter`, with no call into R.
pub fn label_filter(filter: &Robj) -> Result<Option<LabelFilter<'static>>> {
    if filter.is_null() {
        return Ok(None);
    }
    if let Some(mask) = filter.as_logical_slice() {
        if mask.iter().any(|b| b.is_na()) {
            return Err(rerr(
                "invalid_argument",
                "Invalid parameter: a logical filter must not contain NA",
            ));
        }
        // mask[i] is label i + 1, the core's label i.
        let bytes = mask
            .iter()
            .map(|b| u8::from(b.is_true()))
            .collect::<Vec<u8>>();
        return Ok(Some(LabelFilter::byte_mask(bytes)));
    }
    if filter.as_real_slice().is_none() && filter.as_integer_slice().is_none() {
        return Err(rerr(
            "invalid_argument",
            "Invalid parameter: filter must be NULL, a logical vector indexed by label, or a numeric vector of allowed labels",
        ));
    }
    Ok(Some(LabelFilter::allow_list(labels_to_core(filter)?)))
}

/// Batch results as `list(idx, dist)`: `rows × k` (or `k × rows`) integer labels
/// (1-based) and double distances.
pub fn results_to_r(
    found: &BatchResults,
    rows: usize,
    k: usize,
    byrow: bool,
    sqrt_dist: bool,
) -> Result<Robj> {
    let pos = |i: usize, j: usize| if byrow { i * k + j } else { j * k + i };
    let (nr, nc) = if byrow { (rows, k) } else { (k, rows) };
    if found.labels.iter().any(|&l| l >= i32::MAX as u64) {
        return Err(rerr(
            "invalid_argument",
            "Invalid parameter: a label is too large for an R integer matrix (at most 2147483647)",
        ));
    }
    let idx = RMatrix::<Rint>::new_matrix(nr, nc, |r, c| {
        Rint::from(found.labels[pos(r, c)] as i32 + 1)
    });
    let dist = RMatrix::<f64>::new_matrix(nr, nc, |r, c| {
        let d = found.distances[pos(r, c)] as f64;
        if sqrt_dist {
            d.max(0.0).sqrt()
        } else {
            d
        }
    });
    Ok(list!(idx = idx, dist = dist).into())
}

extern "C" {
    fn R_ToplevelExec(
        fun: Option<unsafe extern "C" fn(*mut c_void)>,
        data: *mut c_void,
    ) -> Rboolean;
    fn R_CheckUserInterrupt();
}

unsafe extern "C" fn check_interrupt(_: *mut c_void) {
    // SAFETY: called by R_ToplevelExec on R's main thread; a pending interrupt jumps
    // back to R_ToplevelExec's own context (no Rust frames in between).
    unsafe { R_CheckUserInterrupt() }
}

/// Whether an interrupt (Ctrl-C) is pending. R_CheckUserInterrupt would jump out of
/// the caller on an interrupt; inside R_ToplevelExec the jump ends there instead, and
/// we learn of it from the FALSE it returns.
pub fn interrupt_pending() -> bool {
    // SAFETY: called from an R entry point on R's main thread; check_interrupt takes no data.
    unsafe { R_ToplevelExec(Some(check_interrupt), std::ptr::null_mut()) == Rboolean::FALSE }
}
