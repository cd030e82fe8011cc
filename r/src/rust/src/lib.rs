//! R bindings of hnswlib-rs (the R package `hnswlibrs`), built with extendr.
//!
//! This crate only converts: R matrices to row-major `f32` rows, 1-based R labels to
//! the core's 0-based labels and back, core errors to R conditions. All index logic is
//! in `hnswlib-core`. The R code in `R/` drives long batches in chunks so that it can
//! draw a progress bar and notice Ctrl-C between chunks (R's API may only be used on
//! R's main thread, while the core adds and searches on worker threads).
//!
//! * `handle`: the index handle, an ALTREP raw vector of length 0 that owns the index
//!   and serialises itself as hnswlib's bytes, so `saveRDS()`/`readRDS()` keep it.
//! * `distance`: spaces, including custom distances from a C function address or an
//!   R function.
//! * `files`: reading index files and bytes in either format, loaded or viewed.
//! * `convert`: matrices, labels and errors.

use extendr_api::prelude::*;
use hnswlib_core::{
    AddOptions, FileFormat, Filter, HnswIndex, HnswParams, LoadOptions, Neighbor, Quantization,
    SaveOptions, SearchOptions, ViewOptions,
};

mod convert;
mod distance;
mod files;
mod handle;

use convert::{core_err, label_to_core, labels_to_core, rerr, with_rows, Matrix, Result};
use distance::DistanceSpec;
use handle::{Handle, IndexBox};

/// Registers the ALTREP class of index handles (called from `.onLoad`).
#[extendr]
fn rs_init() {
    handle::register_class();
    quiet_error_panics();
}

/// extendr turns an `Err` returned to R into a panic that it catches and raises as an
/// R error; the default hook would print each such panic with a backtrace. Ours are
/// expected errors (their message starts with `hnswlibrs:`), so the hook skips them and
/// passes every other panic to the previous hook.
fn quiet_error_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            if !msg.is_some_and(|m| m.starts_with("hnswlibrs:")) {
                previous(info);
            }
        }));
    });
}

/// Whether the user pressed Ctrl-C since R last looked; consumes the interrupt.
#[extendr]
fn rs_interrupt_pending() -> bool {
    convert::interrupt_pending()
}

fn count(x: f64, what: &str) -> Result<usize> {
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 || x > 9.0e15 {
        return Err(rerr(
            "invalid_argument",
            &format!("Invalid parameter: {what} must be a non-negative whole number, got {x}"),
        ));
    }
    Ok(x as usize)
}

/// One string from R, else an error naming the argument `what` and its `choices`.
fn one_string<'a>(x: &'a Robj, what: &str, choices: &str) -> Result<&'a str> {
    x.as_str().ok_or_else(|| {
        rerr(
            "invalid_argument",
            &format!("Invalid parameter: {what} must be one string, {choices}"),
        )
    })
}

/// The storage mode named by an R string: "none", "sq8" or "sq4" (the core's names).
fn quantization(q: &Robj) -> Result<Quantization> {
    let name = one_string(q, "quantization", "\"none\", \"sq8\" or \"sq4\"")?;
    Quantization::by_name(name).map_err(core_err)
}

/// The file format named by an R string: "hnswlib" or "native" (the core's names).
fn file_format(f: &Robj) -> Result<FileFormat> {
    let name = one_string(f, "format", "\"hnswlib\" or \"native\"")?;
    FileFormat::by_name(name).map_err(core_err)
}

/// A re-ranking depth from R: one finite number, or NULL (`None`) where `null_ok`.
fn rerank(r: &Robj, null_ok: bool) -> Result<Option<f32>> {
    if null_ok && r.is_null() {
        return Ok(None);
    }
    let value = r.as_real().or_else(|| r.as_integer().map(f64::from));
    if let Some(v) = value.filter(|&v| (v as f32).is_finite()) {
        return Ok(Some(v as f32));
    }
    let got = match value {
        Some(v) if v.is_nan() => "NaN".to_string(),
        Some(v) if v.is_infinite() => format!("{}Inf", if v < 0.0 { "-" } else { "" }),
        Some(v) => format!("{v:e}, beyond single precision"),
        None if r.is_null() => "NULL".to_string(),
        None if r.len() != 1 => format!("{} values", r.len()),
        None if r.is_na() => "NA".to_string(),
        None => "a value that is not a number".to_string(),
    };
    let or_null = if null_ok { " or NULL" } else { "" };
    Err(rerr(
        "invalid_argument",
        &format!("Invalid parameter: rerank must be one finite number{or_null}, got {got}"),
    ))
}

/// A custom distance's name from R: NULL (none) or one string.
fn distance_name_of(name: &Robj) -> Result<Option<&str>> {
    if name.is_null() {
        return Ok(None);
    }
    match name.as_str() {
        Some(s) if name.len() == 1 => Ok(Some(s)),
        _ => Err(rerr(
            "invalid_argument",
            "Invalid parameter: distance_name must be one string or NULL",
        )),
    }
}

/// A new empty index.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_new(
    distance: Robj,
    dim: f64,
    max_elements: f64,
    m: f64,
    ef_construction: f64,
    random_seed: f64,
    allow_replace_deleted: bool,
    quantization: Robj,
    keep_vectors: bool,
    distance_name: Robj,
) -> Result<Robj> {
    let params = HnswParams {
        max_elements: count(max_elements, "max_elements")?,
        m: count(m, "M")?,
        ef_construction: count(ef_construction, "ef_construction")?,
        random_seed: count(random_seed, "random_seed")? as u64,
        allow_replace_deleted,
        quantization: self::quantization(&quantization)?,
        keep_vectors,
    };
    let dim = count(dim, "dim")?;
    let spec = DistanceSpec::from_robj(&distance)?;
    let (space, extra) = spec.named_space(dim, distance_name_of(&distance_name)?)?;
    let index = HnswIndex::new(space, &params).map_err(core_err)?;
    Ok(Handle::new(IndexBox::new(index, spec, extra, dim)).into_robj())
}

/// Reads an index from `source`, its file's path or its bytes as a raw vector (see
/// `rs_to_raw`), in hnswlib's format (written by hnswlib, RcppHNSW or hnswlib-rs) or the
/// native one. `distance` and `dim` may be NULL for a native file, which names them
/// (given, they must be the file's); hnswlib's format needs `dim` and reads as "l2"
/// without a distance. `mmap` maps a native file read-only instead of loading it
/// (`verify`, `populate`: the core's view options); the load options are then unused.
/// A quantized index loaded from hnswlib's format makes its codes from the vectors.
/// `distance_name` (NULL or a string) names a custom distance, as the file must.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_load(
    source: Robj,
    distance: Robj,
    dim: Robj,
    distance_name: Robj,
    max_elements: f64,
    allow_replace_deleted: bool,
    random_seed: f64,
    quantization: Robj,
    keep_vectors: bool,
    mmap: bool,
    verify: bool,
    populate: bool,
) -> Result<Robj> {
    let how = if mmap {
        files::How::View(ViewOptions { verify, populate })
    } else {
        files::How::Load(LoadOptions {
            max_elements: count(max_elements, "max_elements")?,
            allow_replace_deleted,
            random_seed: count(random_seed, "random_seed")? as u64,
            quantization: self::quantization(&quantization)?,
            keep_vectors,
        })
    };
    let name = distance_name_of(&distance_name)?;
    Ok(files::read(&source, (&distance, name), &dim, &how)?.into_robj())
}

/// The index as the bytes of an index file in `format` ("hnswlib" or "native").
#[extendr]
fn rs_to_raw(h: Robj, format: Robj) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let bytes = h
        .index()
        .to_bytes_with(file_format(&format)?)
        .map_err(core_err)?;
    Ok(Raw::from_bytes(&bytes).into())
}

/// Saves in `format` ("hnswlib" or "native"); `sync` waits until the file is on disk.
#[extendr]
fn rs_save(h: Robj, path: &str, sync: bool, format: Robj) -> Result<()> {
    let format = file_format(&format)?;
    Handle::from_robj(&h)?
        .index()
        .save_with(path, &SaveOptions { sync, format })
        .map_err(core_err)
}

/// Threads for a batch of `rows`, as RcppHNSW: 0 or 1 means the calling thread, and
/// at least `grain_size` rows per thread. Custom R-function distances always use one.
fn threads(h: &Handle, n_threads: f64, grain_size: f64, rows: usize) -> Result<isize> {
    let n = count(n_threads, "n_threads")?;
    let grain = count(grain_size, "grain_size")?.max(1);
    if n <= 1 || h.single_threaded() {
        return Ok(1);
    }
    Ok(n.min((rows / grain).max(1)) as isize)
}

/// Checks a whole batch before any of it is added: dimension, finite values, labels
/// and room. A chunked add then cannot fail half-way on bad input.
#[extendr]
fn rs_check_add(h: Robj, x: Robj, byrow: bool, labels: Robj, replace_deleted: bool) -> Result<()> {
    let h = Handle::from_robj(&h)?;
    let index = h.index();
    if index.is_view() {
        // The core's refusal, before the checks below can report anything else.
        index
            .add_batch::<f32>(&[], None, &AddOptions::default())
            .map_err(core_err)?;
    }
    let m = Matrix::new(&x, byrow, h.dim(), h.is_u8())?;
    m.check(0, m.items)?;
    let labels = if labels.is_null() {
        None
    } else {
        let l = labels_to_core(&labels)?;
        if l.len() != m.items {
            return Err(core_err(hnswlib_core::Error::LabelCountMismatch {
                labels: l.len(),
                rows: m.items,
            }));
        }
        Some(l)
    };
    if replace_deleted && !index.allow_replace_deleted() {
        return Err(core_err(hnswlib_core::Error::ReplaceDeletedDisabled));
    }
    let mut room = index.max_elements().saturating_sub(index.len());
    if replace_deleted {
        room += index.deleted_count();
    }
    if m.items > room {
        let next = index.next_auto_label();
        let mut fresh = std::collections::HashSet::new();
        for r in 0..m.items {
            let l = labels.as_ref().map_or(next + r as u64, |l| l[r]);
            if !index.contains(l) {
                fresh.insert(l);
            }
        }
        if fresh.len() > room {
            return Err(core_err(hnswlib_core::Error::CapacityExceeded {
                max_elements: index.max_elements(),
            }));
        }
    }
    Ok(())
}

/// Adds rows `start..end` (0-based, end exclusive) of `x`; `labels` (1-based, for those
/// rows) or NULL for automatic labels. Returns the 1-based labels used.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_add(
    h: Robj,
    x: Robj,
    byrow: bool,
    start: f64,
    end: f64,
    labels: Robj,
    n_threads: f64,
    grain_size: f64,
    replace_deleted: bool,
) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let m = Matrix::new(&x, byrow, h.dim(), h.is_u8())?;
    let (start, end) = m.range(start, end)?;
    let rows = end - start;
    let data = m.rows(start, end);
    let labels = if labels.is_null() {
        None
    } else {
        Some(labels_to_core(&labels)?)
    };
    let index = h.index();
    let first_auto = index.next_auto_label();
    // An R distance's failure stops the batch (it cannot raise an error in the core).
    let rdist = h.r_distance();
    let keep_going = move |_: usize, _: usize| rdist.as_ref().is_none_or(|d| d.ok());
    let opts = AddOptions {
        num_threads: threads(&h, n_threads, grain_size, rows)?,
        replace_deleted,
        progress: if h.single_threaded() {
            Some(&keep_going)
        } else {
            None
        },
    };
    let result = with_rows!(&data, |v| index.add_batch(v, labels.as_deref(), &opts));
    h.take_distance_error()?;
    result.map_err(|e| convert::offset_rows(e, start))?;
    let used: Vec<f64> = match labels {
        Some(l) => l.iter().map(|&l| l as f64 + 1.0).collect(),
        None => (0..rows as u64)
            .map(|r| (first_auto + r) as f64 + 1.0)
            .collect(),
    };
    Ok(used.into())
}

/// Searches rows `start..end` of `x` for their `k` nearest neighbours. Returns
/// `list(idx, dist)`: `rows × k` matrices (`k × rows` when `byrow` is FALSE) of 1-based
/// labels and distances (square roots when `sqrt_dist`); `ef` < 0 uses the index's ef,
/// `rerank` NULL the index's re-ranking depth.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_search(
    h: Robj,
    x: Robj,
    byrow: bool,
    start: f64,
    end: f64,
    k: f64,
    ef: f64,
    n_threads: f64,
    grain_size: f64,
    sqrt_dist: bool,
    rerank: Robj,
    filter: Robj,
) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let m = Matrix::new(&x, byrow, h.dim(), h.is_u8())?;
    let (start, end) = m.range(start, end)?;
    let rows = end - start;
    let k = count(k, "k")?;
    m.check(start, end)?;
    let data = m.rows(start, end);
    let filter = convert::label_filter(&filter)?;
    let accept = filter.as_ref().map(|f| f.predicate());
    let opts = SearchOptions {
        ef: if ef < 0.0 {
            None
        } else {
            Some(count(ef, "ef")?)
        },
        filter: accept.as_ref().map(|p| p as Filter),
        num_threads: threads(&h, n_threads, grain_size, rows)?,
        rerank: self::rerank(&rerank, true)?,
    };
    let found = with_rows!(&data, |q| h.index().search_batch(q, k, &opts));
    h.take_distance_error()?;
    let found = found.map_err(|e| convert::offset_rows(e, start))?;
    if let Some((row, &n)) = found.counts.iter().enumerate().find(|(_, &n)| n < k) {
        return Err(rerr(
            "state",
            &format!(
                "Unable to find {k} results for query row {}: only {n} found. Probably ef or M is too small, or fewer than k items are in the index",
                start + row + 1
            ),
        ));
    }
    convert::results_to_r(&found, rows, k, byrow, sqrt_dist)
}

/// The core's radius for an R one: squared when the index reports Euclidean
/// (square-rooted) distances; NaN and negative values go on to the core's checks.
fn core_epsilon(epsilon: f64, sqrt_dist: bool) -> f32 {
    if sqrt_dist && epsilon > 0.0 {
        (epsilon * epsilon) as f32
    } else {
        epsilon as f32
    }
}

/// An R distance from the core's.
fn r_distance(d: f32, sqrt_dist: bool) -> f64 {
    if sqrt_dist {
        f64::from(d).max(0.0).sqrt()
    } else {
        f64::from(d)
    }
}

/// Range search of every row of `x`: the items within `epsilon` (Euclidean distance
/// when `sqrt_dist`, else the index's distance), closest first, at most `max_results`
/// (Inf: no bound) each; `min_candidates` < 0 uses the index's ef. Returns
/// `list(idx, dist)`: lists with one integer vector of 1-based labels and one numeric
/// vector of distances per row.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_range_search(
    h: Robj,
    x: Robj,
    byrow: bool,
    epsilon: f64,
    max_results: f64,
    min_candidates: f64,
    n_threads: f64,
    grain_size: f64,
    sqrt_dist: bool,
    filter: Robj,
) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let m = Matrix::new(&x, byrow, h.dim(), h.is_u8())?;
    let rows = m.items;
    let filter = convert::label_filter(&filter)?;
    let accept = filter.as_ref().map(|f| f.predicate());
    let max = if max_results == f64::INFINITY {
        usize::MAX
    } else {
        count(max_results, "max_results")?
    };
    m.check(0, rows)?;
    let data = m.rows(0, rows);
    let opts = SearchOptions {
        ef: if min_candidates < 0.0 {
            None
        } else {
            Some(count(min_candidates, "min_candidates")?)
        },
        filter: accept.as_ref().map(|p| p as Filter),
        num_threads: threads(&h, n_threads, grain_size, rows)?,
        rerank: None,
    };
    let epsilon = core_epsilon(epsilon, sqrt_dist);
    let found = with_rows!(&data, |q| h
        .index()
        .search_range_batch(q, epsilon, max, &opts));
    h.take_distance_error()?;
    let found = found.map_err(core_err)?;
    let mut idx = Vec::with_capacity(rows);
    let mut dist = Vec::with_capacity(rows);
    for r in 0..rows {
        let hits: Vec<Neighbor> = found.row(r).collect();
        let labels = hits
            .iter()
            .map(|n| label_to_r(n.label))
            .collect::<Result<Vec<i32>>>()?;
        idx.push(Robj::from(labels));
        dist.push(Robj::from(
            hits.iter()
                .map(|n| r_distance(n.distance, sqrt_dist))
                .collect::<Vec<f64>>(),
        ));
    }
    Ok(list!(idx = List::from_values(idx), dist = List::from_values(dist)).into())
}

/// A 1-based R integer label.
fn label_to_r(label: u64) -> Result<i32> {
    i32::try_from(label)
        .ok()
        .filter(|&l| l < i32::MAX)
        .map(|l| l + 1)
        .ok_or_else(|| {
            rerr(
                "invalid_argument",
                "Invalid parameter: a label is too large for an R integer (at most 2147483647)",
            )
        })
}

/// Multi-vector search of every row of `x`: the `k` best documents, each scored by its
/// closest item, where `doc_ids[label]` (1-based label) is each item's document (NA, or
/// a label past its end: none). `ef_collection` < 0 uses the index's ef. Returns
/// `list(doc, idx, dist)`: `rows × k` matrices (`k × rows` when `byrow` is FALSE) of
/// documents, 1-based labels of each document's closest item, and distances.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_search_docs(
    h: Robj,
    x: Robj,
    byrow: bool,
    k: f64,
    doc_ids: Robj,
    ef_collection: f64,
    n_threads: f64,
    grain_size: f64,
    sqrt_dist: bool,
    filter: Robj,
) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let m = Matrix::new(&x, byrow, h.dim(), h.is_u8())?;
    let rows = m.items;
    let k = count(k, "k")?;
    let filter = convert::label_filter(&filter)?;
    let accept = filter.as_ref().map(|f| f.predicate());
    let table: Vec<Option<u64>> = if let Some(d) = doc_ids.as_real_slice() {
        d.iter()
            .map(|&v| (v.is_finite() && v >= 0.0 && v.fract() == 0.0).then_some(v as u64))
            .collect()
    } else if let Some(i) = doc_ids.as_integer_slice() {
        i.iter().map(|&v| u64::try_from(v).ok()).collect()
    } else {
        return Err(rerr(
            "invalid_argument",
            "Invalid parameter: doc_ids must be a numeric vector, one document per label (NA: none)",
        ));
    };
    let doc_of = |l: u64| table.get(usize::try_from(l).ok()?).copied().flatten();
    m.check(0, rows)?;
    let data = m.rows(0, rows);
    let opts = SearchOptions {
        ef: if ef_collection < 0.0 {
            None
        } else {
            Some(count(ef_collection, "ef_collection")?)
        },
        filter: accept.as_ref().map(|p| p as Filter),
        num_threads: threads(&h, n_threads, grain_size, rows)?,
        rerank: None,
    };
    let found = with_rows!(&data, |q| h.index().search_docs_batch(q, k, &doc_of, &opts));
    h.take_distance_error()?;
    let found = found.map_err(core_err)?;
    if let Some((row, r)) = found.iter().enumerate().find(|(_, r)| r.len() < k) {
        return Err(rerr(
            "state",
            &format!(
                "Unable to find {k} documents for query row {}: only {} found. Raise ef_collection, ask for fewer documents, or check doc_ids",
                row + 1,
                r.len()
            ),
        ));
    }
    let (nr, nc) = if byrow { (rows, k) } else { (k, rows) };
    let at = |r: usize, c: usize| if byrow { &found[r][c] } else { &found[c][r] };
    for hit in found.iter().flatten() {
        label_to_r(hit.label)?;
    }
    let doc = RMatrix::<f64>::new_matrix(nr, nc, |r, c| at(r, c).doc as f64);
    let idx = RMatrix::<Rint>::new_matrix(nr, nc, |r, c| {
        Rint::from(label_to_r(at(r, c).label).unwrap_or(0))
    });
    let dist = RMatrix::<f64>::new_matrix(nr, nc, |r, c| r_distance(at(r, c).distance, sqrt_dist));
    Ok(list!(doc = doc, idx = idx, dist = dist).into())
}

/// Applies `op` to each label (1-based in R) of the index, stopping at the first error.
fn per_label<T>(
    h: &Robj,
    labels: &Robj,
    op: impl Fn(&HnswIndex, u64) -> hnswlib_core::Result<T>,
) -> Result<Vec<T>> {
    let h = Handle::from_robj(h)?;
    labels_to_core(labels)?
        .into_iter()
        .map(|l| op(h.index(), l).map_err(core_err))
        .collect()
}

/// Marks labels deleted: they still route searches but are never returned.
#[extendr]
fn rs_mark_deleted(h: Robj, labels: Robj) -> Result<()> {
    per_label(&h, &labels, HnswIndex::mark_deleted).map(drop)
}

/// Undoes `rs_mark_deleted`.
#[extendr]
fn rs_unmark_deleted(h: Robj, labels: Robj) -> Result<()> {
    per_label(&h, &labels, HnswIndex::unmark_deleted).map(drop)
}

/// Whether each label is marked deleted.
#[extendr]
fn rs_is_deleted(h: Robj, labels: Robj) -> Result<Robj> {
    Ok(per_label(&h, &labels, HnswIndex::is_deleted)?.into())
}

/// Changes the capacity.
#[extendr]
fn rs_resize(h: Robj, max_elements: f64) -> Result<()> {
    let h = Handle::from_robj(&h)?;
    h.index()
        .resize(count(max_elements, "max_elements")?)
        .map_err(core_err)
}

/// Sets the query-time ef.
#[extendr]
fn rs_set_ef(h: Robj, ef: f64) -> Result<()> {
    let h = Handle::from_robj(&h)?;
    h.index().set_ef(count(ef, "ef")?);
    Ok(())
}

/// Sets the re-ranking depth of a quantized index's searches.
#[extendr]
fn rs_set_rerank(h: Robj, rerank: Robj) -> Result<()> {
    let h = Handle::from_robj(&h)?;
    let r = self::rerank(&rerank, false)?.unwrap_or_default();
    h.index().set_rerank(r).map_err(core_err)
}

/// The stored vectors of `labels` (1-based) as a `length(labels) × dim` matrix
/// (normalised for cosine, as stored): double, or integer (0 to 255) for u8 vectors.
#[extendr]
fn rs_get_items(h: Robj, labels: Robj) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let labels = labels_to_core(&labels)?;
    let (dim, n) = (h.dim(), labels.len());
    if h.is_u8() {
        let flat: Vec<u8> = h.index().get_items(&labels).map_err(core_err)?;
        return Ok(RMatrix::<Rint>::new_matrix(n, dim, |i, j| {
            Rint::from(i32::from(flat[i * dim + j]))
        })
        .into());
    }
    let flat: Vec<f32> = h.index().get_items(&labels).map_err(core_err)?;
    Ok(RMatrix::<f64>::new_matrix(n, dim, |i, j| flat[i * dim + j] as f64).into())
}

/// Every label in the index (1-based, ascending), deleted ones included.
#[extendr]
fn rs_ids(h: Robj) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let ids: Vec<f64> = h.index().ids().iter().map(|&l| l as f64 + 1.0).collect();
    Ok(ids.into())
}

/// hnswlib's checkIntegrity: `list(connections, min_inbound, max_inbound,
/// without_inbound)` for a sound graph; a damaged one is an `hnswlibrs_format` error.
#[extendr]
fn rs_check_integrity(h: Robj) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let r = h.index().check_integrity().map_err(core_err)?;
    Ok(list!(
        connections = r.connections as f64,
        min_inbound = r.min_inbound as f64,
        max_inbound = r.max_inbound as f64,
        without_inbound = r.without_inbound as f64
    )
    .into())
}

/// Parameters and counters of the index.
#[extendr]
fn rs_info(h: Robj) -> Result<Robj> {
    let h = Handle::from_robj(&h)?;
    let i = h.index();
    Ok(list!(
        distance = h.distance_name(),
        distance_name = i.space().name().map_or_else(|| Robj::from(()), Robj::from),
        dim = h.dim() as f64,
        size = i.len() as f64,
        deleted = i.deleted_count() as f64,
        max_elements = i.max_elements() as f64,
        M = i.m() as f64,
        ef_construction = i.ef_construction() as f64,
        ef = i.ef() as f64,
        random_seed = i.random_seed() as f64,
        allow_replace_deleted = i.allow_replace_deleted(),
        next_label = i.next_auto_label() as f64 + 1.0,
        kernels = i.space().kernels_name(),
        quantization = i.quantization().name(),
        keep_vectors = i.keeps_vectors(),
        trained = i.is_trained(),
        rerank = i.rerank() as f64,
        view = i.is_view()
    )
    .into())
}

/// Whether `x` is a live index handle.
#[extendr]
fn rs_is_handle(x: Robj) -> bool {
    Handle::from_robj(&x).is_ok()
}

/// Checks one 1-based label (used by the R code for scalar arguments).
#[extendr]
fn rs_check_label(label: f64) -> Result<f64> {
    Ok(label_to_core(label)? as f64 + 1.0)
}

extendr_module! {
    mod hnswlibrs;
    fn rs_init;
    fn rs_interrupt_pending;
    fn rs_new;
    fn rs_load;
    fn rs_to_raw;
    fn rs_save;
    fn rs_check_add;
    fn rs_add;
    fn rs_search;
    fn rs_range_search;
    fn rs_search_docs;
    fn rs_mark_deleted;
    fn rs_unmark_deleted;
    fn rs_is_deleted;
    fn rs_resize;
    fn rs_set_ef;
    fn rs_set_rerank;
    fn rs_get_items;
    fn rs_ids;
    fn rs_check_integrity;
    fn rs_info;
    fn rs_is_handle;
    fn rs_check_label;
}
