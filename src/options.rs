//! Option structs and callback types of the C ABI, and their translation into the
//! core's options. Every struct has a `*_default()` constructor; start from it so that
//! fields added in later versions get their defaults.

use std::ffi::c_void;

use hnswlib_core::{AddOptions, HnswParams, LoadOptions, SaveOptions, SearchOptions};

use crate::filter::hnsw_label_filter;
use crate::native::{self, hnsw_file_format};
use crate::quantization::{self, hnsw_quantization};
use crate::status::{AbiResult, Failure};

/// Filter: return true to accept `label` as a result. Called from the searching
/// threads, possibly from several at once; it must be thread-safe, must not call back
/// into the same index, and must not unwind (no C++ exceptions, no longjmp).
pub type hnsw_filter_fn = Option<unsafe extern "C" fn(label: u64, user_data: *mut c_void) -> bool>;

/// Progress of a batch add: `done` of `total` rows are in the index. Return false to
/// cancel: the call returns `HNSW_ERR_CANCELLED` and the rows added so far stay in the
/// (valid) index. Called from the worker threads, possibly from several at once and
/// not always in increasing order of `done`; must not unwind.
pub type hnsw_progress_fn =
    Option<unsafe extern "C" fn(done: usize, total: usize, user_data: *mut c_void) -> bool>;

/// Custom distance (hnswlib's `DISTFUNC`): `a` and `b` point to elements of the
/// space's element size; smaller means closer. Called from many threads at once with
/// the `user_data` given to `hnsw_space_custom`; must be thread-safe and must not
/// unwind.
pub type hnsw_distance_fn = Option<
    unsafe extern "C" fn(a: *const c_void, b: *const c_void, user_data: *const c_void) -> f32,
>;

/// Construction parameters of an HNSW index (hnswlib's names and defaults).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_params {
    /// Capacity; grow it later with `hnsw_index_resize`. Default 0.
    pub max_elements: usize,
    /// Links per element on the upper levels (2*M on level 0), 2..10000. Default 16.
    pub M: usize,
    /// Candidate list size while building, at least M. Default 200.
    pub ef_construction: usize,
    /// Seed of the level generator. Default 100.
    pub random_seed: u64,
    /// Whether adds with replace_deleted may reuse deleted elements' slots. Default false.
    pub allow_replace_deleted: bool,
    /// What searches traverse: HNSW_QUANT_NONE (the vectors, the default),
    /// HNSW_QUANT_SQ8 or HNSW_QUANT_SQ4 (8-bit or 4-bit codes of them, with the best
    /// candidates re-ranked exactly; see `hnsw_index_set_rerank`). Quantized modes
    /// need an l2, ip or cosine space. The codes are learnt once the index holds 1000
    /// elements; it searches the exact vectors until then. Another value, or a
    /// quantized mode on an l2u8 or custom space, is HNSW_ERR_INVALID_ARGUMENT.
    pub quantization: hnsw_quantization,
    /// With quantization: keep the exact vectors beside the codes (default true), so
    /// that results have exact distances and the index saves in hnswlib's format.
    /// false keeps the codes only: much less memory, approximate distances,
    /// `hnsw_index_get_items` gives the decoded (approximate) vectors, and save and
    /// serialize fail with HNSW_ERR_STATE once the codes are learnt. Ignored without
    /// quantization.
    pub keep_vectors: bool,
}

/// Per-call search settings.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_search_options {
    /// Candidate list size for this call; 0 uses the index's ef. The search uses
    /// max(ef, k). Ignored by the brute-force index.
    pub ef: usize,
    /// Threads for batch searches; 0 or negative means all cores.
    pub num_threads: i32,
    /// Optional filter: only accepted labels are returned. NULL accepts all.
    pub filter: hnsw_filter_fn,
    /// Passed to `filter`.
    pub filter_user_data: *mut c_void,
    /// Re-ranking depth of a quantized index for this call: the best `rerank * k`
    /// candidates of the code traversal (at most ef) are re-scored exactly; values
    /// below 1 mean k. 0 (the default) uses the index's (`hnsw_index_set_rerank`).
    /// NaN or infinity is HNSW_ERR_INVALID_ARGUMENT, for every index; unquantized and
    /// brute-force indexes ignore it otherwise.
    pub rerank: f32,
    /// Optional filter held as data (`hnsw_label_filter_allow`, `_mask`, `_bits`),
    /// evaluated inside the library with no callback: far faster than `filter` for
    /// allow-lists and masks. NULL (the default) accepts all. With `filter` set too, a
    /// label must pass both. Borrowed for the call only.
    pub label_filter: *const hnsw_label_filter,
}

/// Per-call settings of a batch add.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_add_options {
    /// Threads; 0 or negative means all cores.
    pub num_threads: i32,
    /// Put new labels into the slots of deleted elements (the index must allow it).
    pub replace_deleted: bool,
    /// Optional progress callback, which may cancel. NULL for none.
    pub progress: hnsw_progress_fn,
    /// Passed to `progress`.
    pub progress_user_data: *mut c_void,
}

/// Settings of `hnsw_index_load` and `hnsw_index_deserialize`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_load_options {
    /// New capacity, used when at least the element count; 0 keeps the file's.
    pub max_elements: usize,
    /// Whether adds with replace_deleted may reuse deleted elements' slots.
    pub allow_replace_deleted: bool,
    /// Seed of the level generator for elements added after loading. Default 100.
    pub random_seed: u64,
    /// Load into a quantized index (see `hnsw_params.quantization`): the file's
    /// vectors are read and coded (the file itself stays hnswlib's). Default
    /// HNSW_QUANT_NONE.
    pub quantization: hnsw_quantization,
    /// With quantization: keep the file's vectors beside the codes (default true);
    /// see `hnsw_params.keep_vectors`.
    pub keep_vectors: bool,
}

/// Settings of `hnsw_index_save_with` and `hnsw_bf_save_with`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hnsw_save_options {
    /// true (the default): the file is on disk when the save returns (fsync of the
    /// file and its directory). false: the save returns once the bytes are in the
    /// page cache, as hnswlib's does; a crash soon after may leave the previous file
    /// or, on some file systems, an empty one. Either way the file is written to a
    /// temporary file and renamed over the target, so it is never seen half-written.
    pub sync: bool,
    /// Which format to write: HNSW_FORMAT_HNSWLIB (the default; hnswlib loads it) or
    /// HNSW_FORMAT_NATIVE (names its space, so `hnsw_index_open` needs none, and can be
    /// opened as a view with `hnsw_index_open_view`). Brute-force indexes are saved in
    /// hnswlib's format only: HNSW_FORMAT_NATIVE there is HNSW_ERR_STATE. Another
    /// value is HNSW_ERR_INVALID_ARGUMENT.
    pub format: hnsw_file_format,
}

/// hnswlib's defaults: max_elements 0, M 16, ef_construction 200, seed 100; no
/// quantization (keep_vectors true).
#[no_mangle]
pub extern "C" fn hnsw_params_default() -> hnsw_params {
    let d = HnswParams::default();
    hnsw_params {
        max_elements: d.max_elements,
        M: d.m,
        ef_construction: d.ef_construction,
        random_seed: d.random_seed,
        allow_replace_deleted: d.allow_replace_deleted,
        quantization: quantization::to_c(d.quantization),
        keep_vectors: d.keep_vectors,
    }
}

/// The index's ef and rerank, all cores, no filter.
#[no_mangle]
pub extern "C" fn hnsw_search_options_default() -> hnsw_search_options {
    hnsw_search_options {
        ef: 0,
        num_threads: 0,
        filter: None,
        filter_user_data: std::ptr::null_mut(),
        rerank: 0.0,
        label_filter: std::ptr::null(),
    }
}

/// All cores, no replacement, no progress callback.
#[no_mangle]
pub extern "C" fn hnsw_add_options_default() -> hnsw_add_options {
    hnsw_add_options {
        num_threads: 0,
        replace_deleted: false,
        progress: None,
        progress_user_data: std::ptr::null_mut(),
    }
}

/// The file's capacity, no replacement, seed 100, no quantization.
#[no_mangle]
pub extern "C" fn hnsw_load_options_default() -> hnsw_load_options {
    let d = LoadOptions::default();
    hnsw_load_options {
        max_elements: d.max_elements,
        allow_replace_deleted: d.allow_replace_deleted,
        random_seed: d.random_seed,
        quantization: quantization::to_c(d.quantization),
        keep_vectors: d.keep_vectors,
    }
}

/// A durable save (sync true) in hnswlib's format.
#[no_mangle]
pub extern "C" fn hnsw_save_options_default() -> hnsw_save_options {
    let d = SaveOptions::default();
    hnsw_save_options {
        sync: d.sync,
        format: native::format_to_c(d.format),
    }
}

/// NULL means `hnsw_save_options_default()`. Fails for a format that is not one.
pub(crate) fn save_options(opts: *const hnsw_save_options) -> AbiResult<SaveOptions> {
    // SAFETY: the C contract: NULL or a pointer to a valid options struct.
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(SaveOptions::default());
    };
    Ok(SaveOptions {
        sync: o.sync,
        format: native::format_from_c(o.format, "hnsw_save_options.format")?,
    })
}

/// NULL means `hnsw_params_default()`.
pub(crate) fn params(p: *const hnsw_params) -> AbiResult<HnswParams> {
    // SAFETY: the C contract: NULL or a pointer to a valid params struct.
    let Some(p) = (unsafe { p.as_ref() }) else {
        return Ok(HnswParams::default());
    };
    Ok(HnswParams {
        max_elements: p.max_elements,
        m: p.M,
        ef_construction: p.ef_construction,
        random_seed: p.random_seed,
        allow_replace_deleted: p.allow_replace_deleted,
        quantization: quantization::from_c(p.quantization, "hnsw_params.quantization")?,
        keep_vectors: p.keep_vectors,
    })
}

/// NULL means `hnsw_load_options_default()`.
pub(crate) fn load_options(o: *const hnsw_load_options) -> AbiResult<LoadOptions> {
    // SAFETY: the C contract: NULL or a pointer to a valid options struct.
    let Some(o) = (unsafe { o.as_ref() }) else {
        return Ok(LoadOptions::default());
    };
    Ok(LoadOptions {
        max_elements: o.max_elements,
        allow_replace_deleted: o.allow_replace_deleted,
        random_seed: o.random_seed,
        quantization: quantization::from_c(o.quantization, "hnsw_load_options.quantization")?,
        keep_vectors: o.keep_vectors,
    })
}

/// A C user-data pointer handed to callbacks from worker threads.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the pointer is only passed back to the caller's callback, whose documented
// contract is that it may be called from any thread, concurrently.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

/// A C filter as a Rust predicate.
pub(crate) struct FilterClosure {
    func: unsafe extern "C" fn(u64, *mut c_void) -> bool,
    user_data: UserData,
}

impl FilterClosure {
    pub(crate) fn call(&self, label: u64) -> bool {
        // SAFETY: the caller gave this function and user data for this call; the
        // contract of hnsw_filter_fn allows calls from any thread.
        unsafe { (self.func)(label, self.user_data.0) }
    }
}

/// A C progress callback as a Rust closure.
pub(crate) struct ProgressClosure {
    func: unsafe extern "C" fn(usize, usize, *mut c_void) -> bool,
    user_data: UserData,
}

impl ProgressClosure {
    pub(crate) fn call(&self, done: usize, total: usize) -> bool {
        // SAFETY: as for FilterClosure::call.
        unsafe { (self.func)(done, total, self.user_data.0) }
    }
}

/// Search options with the filter translated; borrow `core()` for the core call.
pub(crate) struct Search<'a> {
    ef: Option<usize>,
    num_threads: isize,
    filter: Option<FilterClosure>,
    label_filter: Option<&'a hnsw_label_filter>,
    rerank: Option<f32>,
}

impl Search<'_> {
    /// NULL options mean the defaults. Fails for a rerank that is not a number.
    pub(crate) fn from_c(o: *const hnsw_search_options) -> AbiResult<Self> {
        // SAFETY: the C contract: NULL or a pointer to a valid options struct.
        let o = unsafe { o.as_ref() }
            .copied()
            .unwrap_or_else(|| hnsw_search_options_default());
        if !o.rerank.is_finite() {
            return Err(Failure::invalid(format!(
                "hnsw_search_options.rerank must be a finite number (0 for the index's), got {}",
                o.rerank
            )));
        }
        Ok(Search {
            ef: (o.ef > 0).then_some(o.ef),
            num_threads: o.num_threads as isize,
            filter: o.filter.map(|func| FilterClosure {
                func,
                user_data: UserData(o.filter_user_data),
            }),
            // SAFETY: the C contract: NULL or a live filter that is not freed during the
            // call; each ABI function drops its `Search` before it returns.
            label_filter: unsafe { o.label_filter.as_ref() },
            rerank: (o.rerank != 0.0).then_some(o.rerank),
        })
    }

    /// Runs `f` with the core's view of these options.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&SearchOptions) -> R) -> R {
        let (call, data) = (self.filter.as_ref(), self.label_filter.map(|f| &f.filter));
        let filter = (call.is_some() || data.is_some()).then_some(move |l: u64| {
            data.is_none_or(|f| f.accepts(l)) && call.is_none_or(|c| c.call(l))
        });
        let opts = SearchOptions {
            ef: self.ef,
            filter: filter.as_ref().map(|f| f as &(dyn Fn(u64) -> bool + Sync)),
            num_threads: self.num_threads,
            rerank: self.rerank,
        };
        f(&opts)
    }
}

/// Add options with the progress callback translated.
pub(crate) struct Add {
    num_threads: isize,
    replace_deleted: bool,
    progress: Option<ProgressClosure>,
}

impl Add {
    /// NULL options mean the defaults.
    pub(crate) fn from_c(o: *const hnsw_add_options) -> Self {
        // SAFETY: the C contract: NULL or a pointer to a valid options struct.
        let o = unsafe { o.as_ref() }
            .copied()
            .unwrap_or_else(|| hnsw_add_options_default());
        Add {
            num_threads: o.num_threads as isize,
            replace_deleted: o.replace_deleted,
            progress: o.progress.map(|func| ProgressClosure {
                func,
                user_data: UserData(o.progress_user_data),
            }),
        }
    }

    /// Runs `f` with the core's view of these options.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&AddOptions) -> R) -> R {
        let progress = self
            .progress
            .as_ref()
            .map(|c| move |d: usize, t: usize| c.call(d, t));
        let opts = AddOptions {
            num_threads: self.num_threads,
            replace_deleted: self.replace_deleted,
            progress: progress
                .as_ref()
                .map(|p| p as &(dyn Fn(usize, usize) -> bool + Sync)),
        };
        f(&opts)
    }
}
