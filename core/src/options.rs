//! Options and results shared by both index types.

/// A label predicate: a search returns only elements whose label it accepts.
/// It is called from the searching threads, so it must be `Sync`.
pub type Filter<'a> = &'a (dyn Fn(u64) -> bool + Sync);

/// A progress callback for long batches: `(done, total) -> keep_going`.
/// Returning `false` cancels the batch; rows already added stay in the index.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) -> bool + Sync);

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// The element's label.
    pub label: u64,
    /// Its distance to the query (squared for L2).
    pub distance: f32,
}

/// Per-call search settings.
#[derive(Clone, Copy, Default)]
pub struct SearchOptions<'a> {
    /// Size of the dynamic candidate list for this call; `None` uses the index's ef.
    /// The effective value is `max(ef, k)`, as in hnswlib. Ignored by brute force.
    pub ef: Option<usize>,
    /// Only labels accepted by this predicate are returned.
    pub filter: Option<Filter<'a>>,
    /// Threads for batch searches: 0 or negative means all cores.
    pub num_threads: isize,
}

/// Per-call settings of a batch add.
#[derive(Clone, Copy, Default)]
pub struct AddOptions<'a> {
    /// Threads: 0 or negative means all cores.
    pub num_threads: isize,
    /// Reuse the slots of deleted elements (index must allow it).
    pub replace_deleted: bool,
    /// Called as rows complete; may cancel.
    pub progress: Option<Progress<'a>>,
}

/// Label and distance buffers of a batch search: row `i` holds the results of query
/// `i` closest first in `labels[i*k..]`/`distances[i*k..]`; `counts[i]` says how many
/// are valid (fewer than k when fewer elements match). Unused entries hold
/// `u64::MAX` and `f32::INFINITY`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchResults {
    /// k used for the layout.
    pub k: usize,
    /// `rows × k` labels.
    pub labels: Vec<u64>,
    /// `rows × k` distances.
    pub distances: Vec<f32>,
    /// Valid results per row.
    pub counts: Vec<usize>,
}

impl BatchResults {
    /// The valid results of query `row`.
    pub fn row(&self, row: usize) -> impl Iterator<Item = Neighbor> + '_ {
        let start = row * self.k;
        (start..start + self.counts[row]).map(move |i| Neighbor {
            label: self.labels[i],
            distance: self.distances[i],
        })
    }
}
