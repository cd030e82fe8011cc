//! Label filters that never call back: an allow-list of labels, or a mask indexed by
//! label.
//!
//! A [`Filter`](crate::Filter) is any `Fn(u64) -> bool`, which is what a binding needs
//! for a filter written in its own language. But most filters are data: "only these
//! labels" or "`mask[label]`". Calling back into Python, the JVM or R for each
//! candidate costs far more than the distance itself, so every binding turns such
//! data into a [`LabelFilter`], evaluated here, and hands its
//! [`predicate`](LabelFilter::predicate) to the search. One implementation serves the
//! C ABI, Python, Java and R alike.
//!
//! ```
//! use hnswlib_core::{filter::LabelFilter, Filter, SearchOptions};
//!
//! let allowed = LabelFilter::allow_list([3, 10, 7]);
//! assert!(allowed.accepts(7) && !allowed.accepts(4));
//! let pred = allowed.predicate();
//! let opts = SearchOptions { filter: Some(&pred as Filter), ..Default::default() };
//! # let _ = opts;
//! ```

use std::borrow::Cow;

use rustc_hash::FxHashSet;

/// A label predicate held as data: an allow-list, a byte mask or a bit mask.
///
/// Masks are indexed by label: a label at or past the mask's end is not accepted.
/// Masks given as slices are used in place (the filter borrows them for `'a`).
#[derive(Debug, Clone)]
pub struct LabelFilter<'a> {
    repr: Repr<'a>,
}

#[derive(Debug, Clone)]
enum Repr<'a> {
    /// Bit `l % 64` of word `l / 64` says whether label `l` is accepted.
    Bits(Cow<'a, [u64]>),
    /// `mask[l] != 0` says whether label `l` is accepted.
    Bytes(Cow<'a, [u8]>),
    /// The accepted labels, when they are too sparse for a bit set.
    Set(FxHashSet<u64>),
}

/// An allow-list becomes a bit set when that takes at most this many bits per label
/// in the list: a hash set entry costs about 16 bytes (128 bits) plus its load
/// factor's slack, and a bit test is cheaper than a hash lookup.
const DENSE_BITS_PER_LABEL: u64 = 256;

impl<'a> LabelFilter<'a> {
    /// Accepts exactly the labels given (any order; repeats are harmless; an empty
    /// list accepts nothing). Dense lists are stored as a bit set, sparse ones as a
    /// hash set.
    pub fn allow_list(labels: impl IntoIterator<Item = u64>) -> LabelFilter<'static> {
        let labels: Vec<u64> = labels.into_iter().collect();
        let max = labels.iter().copied().max();
        let dense = max.is_some_and(|m| {
            m / DENSE_BITS_PER_LABEL < labels.len() as u64 && usize::try_from(m / 64 + 1).is_ok()
        });
        let repr = if dense {
            let mut words = vec![0u64; (max.unwrap_or(0) / 64 + 1) as usize];
            for l in labels {
                words[(l / 64) as usize] |= 1 << (l % 64);
            }
            Repr::Bits(Cow::Owned(words))
        } else {
            Repr::Set(labels.into_iter().collect())
        };
        LabelFilter { repr }
    }

    /// Accepts label `l` when `mask[l]` is not 0.
    pub fn byte_mask(mask: impl Into<Cow<'a, [u8]>>) -> Self {
        LabelFilter {
            repr: Repr::Bytes(mask.into()),
        }
    }

    /// Accepts label `l` when `mask[l]` is true (e.g. a numpy boolean array), in place.
    pub fn bool_mask(mask: &'a [bool]) -> Self {
        Self::byte_mask(bytemuck::cast_slice::<bool, u8>(mask))
    }

    /// Accepts label `l` when bit `l % 64` of `words[l / 64]` is set (the layout of
    /// Java's `BitSet.toLongArray()` and of a C `uint64_t` bit set).
    pub fn bit_mask(words: impl Into<Cow<'a, [u64]>>) -> Self {
        LabelFilter {
            repr: Repr::Bits(words.into()),
        }
    }

    /// Whether the filter accepts `label`.
    #[inline]
    pub fn accepts(&self, label: u64) -> bool {
        match &self.repr {
            Repr::Bits(words) => usize::try_from(label / 64)
                .ok()
                .and_then(|i| words.get(i))
                .is_some_and(|w| w & (1 << (label % 64)) != 0),
            Repr::Bytes(mask) => usize::try_from(label)
                .ok()
                .and_then(|i| mask.get(i))
                .is_some_and(|&b| b != 0),
            Repr::Set(set) => set.contains(&label),
        }
    }

    /// The predicate for [`SearchOptions::filter`](crate::SearchOptions::filter): take
    /// a reference to it, `Some(&pred as Filter)`.
    pub fn predicate(&self) -> impl Fn(u64) -> bool + Send + Sync + '_ {
        move |label| self.accepts(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_dense_and_sparse_accept_exactly_their_labels() {
        let dense = LabelFilter::allow_list([0, 5, 63, 64, 5, 200]);
        assert!(matches!(dense.repr, Repr::Bits(_)));
        let sparse = LabelFilter::allow_list([3, u64::MAX, 1 << 40]);
        assert!(matches!(sparse.repr, Repr::Set(_)));
        for l in 0..300 {
            assert_eq!(
                dense.accepts(l),
                [0, 5, 63, 64, 200].contains(&l),
                "label {l}"
            );
        }
        assert!(!dense.accepts(u64::MAX));
        assert!(sparse.accepts(3) && sparse.accepts(u64::MAX) && sparse.accepts(1 << 40));
        assert!(!sparse.accepts(4) && !sparse.accepts(0));
    }

    #[test]
    fn an_empty_allow_list_accepts_nothing() {
        let f = LabelFilter::allow_list([]);
        assert!((0..100).chain([u64::MAX]).all(|l| !f.accepts(l)));
    }

    #[test]
    fn masks_reject_labels_past_their_end() {
        let bools = [true, false, true];
        let f = LabelFilter::bool_mask(&bools);
        assert_eq!(
            (0..5).map(|l| f.accepts(l)).collect::<Vec<_>>(),
            [true, false, true, false, false]
        );
        let f = LabelFilter::byte_mask(vec![0u8, 7, 0]);
        assert!(f.accepts(1) && !f.accepts(0) && !f.accepts(2) && !f.accepts(3));
        let f = LabelFilter::bit_mask(&[0b1010u64, 1][..]);
        assert!(f.accepts(1) && f.accepts(3) && f.accepts(64));
        assert!(!f.accepts(0) && !f.accepts(65) && !f.accepts(128) && !f.accepts(u64::MAX));
    }
}
