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

/// An R numeric matrix of items: `items × dim` when `byrow`, else `dim × items`.
pub struct Matrix<'a> {
    data: &'a [f64],
    pub items: usize,
    dim: usize,
    byrow: bool,
}

impl<'a> Matrix<'a> {
    /// Checks `x` is a double matrix whose items have `dim` values.
    pub fn new(x: &'a Robj, byrow: bool, dim: usize) -> Result<Self> {
        let data = x.as_real_slice().ok_or_else(|| {
            rerr(
                "invalid_argument",
                "Invalid parameter: X must be a numeric matrix",
            )
        })?;
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
        })
    }

    /// Value `j` of item `i`.
    #[inline]
    fn get(&self, i: usize, j: usize) -> f64 {
        if self.byrow {
            self.data[j * self.items + i]
        } else {
            self.data[i * self.dim + j]
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

    /// Fails with the core's NonFinite error (1-based row) on the first item in
    /// `start..end` holding NA, NaN or an infinity.
    pub fn check_finite(&self, start: usize, end: usize) -> Result<()> {
        for i in start..end {
            if (0..self.dim).any(|j| !self.get(i, j).is_finite()) {
                return Err(core_err(CoreError::NonFinite { row: i }));
            }
        }
        Ok(())
    }
}

/// Items `start..end` as row-major f32 (the core's layout).
pub fn rows_to_f32(m: &Matrix, start: usize, end: usize) -> Vec<f32> {
    let d = m.dim;
    let mut out = vec![0f32; (end - start) * d];
    if m.byrow {
        // Column by column: reads are contiguous, writes strided by d.
        for j in 0..d {
            let col = &m.data[j * m.items + start..j * m.items + end];
            for (r, &v) in col.iter().enumerate() {
                out[r * d + j] = v as f32;
            }
        }
    } else {
        for (o, &v) in out.iter_mut().zip(&m.data[start * d..end * d]) {
            *o = v as f32;
        }
    }
    out
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
