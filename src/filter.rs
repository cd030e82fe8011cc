//! `hnsw_label_filter_*`: filters held as data (an allow-list of labels, a byte mask
//! or a bit mask indexed by label), evaluated inside the library with no callback per
//! candidate. Built once, used by any number of searches through
//! `hnsw_search_options.label_filter`, freed with `hnsw_label_filter_free`. The
//! filter is the core's [`LabelFilter`]; every binding uses the same one.

use hnswlib_core::LabelFilter;

use crate::args::{handle, put, put_new, slice};
use crate::status::{guard, hnsw_status};

/// An immutable label filter; may be used by many searches at once, from any thread.
pub struct hnsw_label_filter {
    pub(crate) filter: LabelFilter<'static>,
}

/// A new filter built by `build` from the caller's array of `len` elements.
fn make<T>(
    array: *const T,
    len: usize,
    what: &str,
    out: *mut *mut hnsw_label_filter,
    build: impl FnOnce(&[T]) -> LabelFilter<'static>,
) -> hnsw_status {
    guard(|| {
        let filter = build(slice(array, len, what)?);
        put_new(out, hnsw_label_filter { filter })
    })
}

/// A filter accepting exactly the `count` labels of `labels` (any order, repeats
/// allowed; copied, so the array may be freed afterwards). `count` 0 (`labels` may
/// then be NULL) makes a filter that accepts nothing: searches with it find nothing.
/// Free it with `hnsw_label_filter_free`.
#[no_mangle]
pub extern "C" fn hnsw_label_filter_allow(
    labels: *const u64,
    count: usize,
    out: *mut *mut hnsw_label_filter,
) -> hnsw_status {
    make(labels, count, "labels", out, |l| {
        LabelFilter::allow_list(l.iter().copied())
    })
}

/// A filter accepting label `l` when `mask[l]` is not 0, for `l < len`; labels at or
/// past `len` are not accepted. The `len` bytes are copied.
#[no_mangle]
pub extern "C" fn hnsw_label_filter_mask(
    mask: *const u8,
    len: usize,
    out: *mut *mut hnsw_label_filter,
) -> hnsw_status {
    make(mask, len, "mask", out, |m| {
        LabelFilter::byte_mask(m.to_vec())
    })
}

/// A filter accepting label `l` when bit `l % 64` of `words[l / 64]` is set, for
/// `l < 64 * n_words`; labels past the last word are not accepted. The words are
/// copied.
#[no_mangle]
pub extern "C" fn hnsw_label_filter_bits(
    words: *const u64,
    n_words: usize,
    out: *mut *mut hnsw_label_filter,
) -> hnsw_status {
    make(words, n_words, "words", out, |w| {
        LabelFilter::bit_mask(w.to_vec())
    })
}

/// Sets `*accepted` to whether `filter` accepts `label`.
#[no_mangle]
pub extern "C" fn hnsw_label_filter_accepts(
    filter: *const hnsw_label_filter,
    label: u64,
    accepted: *mut bool,
) -> hnsw_status {
    guard(|| {
        let f = handle(filter, "filter")?;
        put(accepted, "accepted", f.filter.accepts(label))
    })
}

/// Frees a filter. NULL is allowed. No search using it may be running.
#[no_mangle]
pub extern "C" fn hnsw_label_filter_free(filter: *mut hnsw_label_filter) {
    if !filter.is_null() {
        // SAFETY: made by Box::into_raw in `put_new` above and, by contract, freed
        // once with no search using it.
        drop(unsafe { Box::from_raw(filter) });
    }
}
