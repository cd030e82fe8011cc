//! Options and results shared by both index types.

use parking_lot::Mutex;

use crate::error::{Error, Result};

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
    /// Re-ranking depth of a quantized index for this call (`rerank × k` candidates
    /// re-scored exactly); `None` uses the index's. Ignored without quantization.
    pub rerank: Option<f32>,
}

/// How [`HnswIndex::save_with`](crate::HnswIndex::save_with) and
/// [`BruteForceIndex::save_with`](crate::BruteForceIndex::save_with) write a file.
///
/// A save always writes a temp file beside the target and renames it over the
/// target, so a reader or a failed save never sees half a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOptions {
    /// `true` (the default): the file is on disk when the save returns (the temp file
    /// and then its directory are synced), so a power loss right after keeps it.
    /// `false`: the save returns once the bytes are in the page cache, as hnswlib's
    /// does, which is several times faster for small indexes; a crash or power loss
    /// soon after may leave the previous file or, on some file systems, an empty one.
    pub sync: bool,
    /// The file format: hnswlib's (the default, readable by hnswlib) or the native
    /// self-describing one (see [`FileFormat`]).
    pub format: FileFormat,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            sync: true,
            format: FileFormat::Hnswlib,
        }
    }
}

/// The format of a saved HNSW index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileFormat {
    /// hnswlib's `saveIndex` format, byte for byte: hnswlib loads it, but it does
    /// not name its space or dimension, and codes-only indexes cannot use it.
    #[default]
    Hnswlib,
    /// hnswlib-rs's own format: names its space, dimension, parameters and storage
    /// mode (loading needs no arguments), checksums every section, holds any index
    /// (quantized codes included), and lays level 0 out as in memory.
    Native,
}

impl FileFormat {
    /// The format's name: `"hnswlib"` or `"native"`.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Hnswlib => "hnswlib",
            FileFormat::Native => "native",
        }
    }

    /// The format named `name` (`"hnswlib"`, `"native"`; `""` means `"hnswlib"`).
    pub fn by_name(name: &str) -> Result<Self> {
        match name {
            "" | "hnswlib" => Ok(FileFormat::Hnswlib),
            "native" => Ok(FileFormat::Native),
            _ => Err(Error::invalid(format!(
                "unknown file format {name:?}: use \"hnswlib\" or \"native\""
            ))),
        }
    }

    /// The format of index data that starts with `prefix` (its first 8 bytes are
    /// enough): native when it starts with the native format's magic bytes, else
    /// hnswlib's, which has none. Tells a caller whether loading it needs a space.
    pub fn of_bytes(prefix: &[u8]) -> Self {
        if crate::hnsw::is_native(prefix) {
            FileFormat::Native
        } else {
            FileFormat::Hnswlib
        }
    }

    /// The format of the index file at `path`, from its first bytes (see
    /// [`FileFormat::of_bytes`]).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened or read.
    pub fn of_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        use std::io::Read;
        let path = path.as_ref();
        let mut prefix = Vec::with_capacity(8);
        std::fs::File::open(path)
            .and_then(|f| f.take(8).read_to_end(&mut prefix))
            .map_err(|e| Error::io(path, e))?;
        Ok(Self::of_bytes(&prefix))
    }
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

impl BatchResults {
    /// `rows × k` empty results (`u64::MAX` / infinity, counts 0), failing with
    /// [`Error::OutOfMemory`] instead of aborting when they cannot be allocated.
    pub(crate) fn new(rows: usize, k: usize) -> Result<Self> {
        let oom = || {
            Error::OutOfMemory(format!(
                "cannot allocate {rows} × {k} search results; use a smaller k or fewer queries"
            ))
        };
        let total = rows.checked_mul(k).ok_or_else(oom)?;
        let mut labels = Vec::new();
        labels.try_reserve_exact(total).map_err(|_| oom())?;
        labels.resize(total, u64::MAX);
        let mut distances = Vec::new();
        distances.try_reserve_exact(total).map_err(|_| oom())?;
        distances.resize(total, f32::INFINITY);
        Ok(BatchResults {
            k,
            labels,
            distances,
            counts: vec![0; rows],
        })
    }
}

/// k = 0 asks for nothing and is a mistake, not an empty answer.
pub(crate) fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::invalid("k must be at least 1"));
    }
    Ok(())
}

/// A re-ranking depth must be a number: NaN or infinity is a caller's mistake, not k.
pub(crate) fn check_rerank(rerank: f32) -> Result<()> {
    if !rerank.is_finite() {
        return Err(Error::invalid(format!(
            "rerank must be a finite number, got {rerank}"
        )));
    }
    Ok(())
}

/// One query's slice of the batch result buffers.
struct RowOut<'a> {
    labels: &'a mut [u64],
    distances: &'a mut [f32],
    count: &'a mut usize,
}

/// Caller-owned batch result buffers, split into rows that worker threads fill
/// independently. Each row has its own (never contended) lock, which makes the
/// disjoint writes expressible without unsafe code.
pub(crate) struct RowSink<'a> {
    rows: Vec<Mutex<RowOut<'a>>>,
}

impl<'a> RowSink<'a> {
    /// Checks the buffers hold `rows × k` labels and distances and `rows` counts.
    pub(crate) fn new(
        labels: &'a mut [u64],
        distances: &'a mut [f32],
        counts: &'a mut [usize],
        rows: usize,
        k: usize,
    ) -> Result<Self> {
        let need = rows
            .checked_mul(k)
            .ok_or_else(|| Error::invalid("rows × k overflows"))?;
        if labels.len() < need || distances.len() < need || counts.len() < rows {
            return Err(Error::invalid(format!(
                "result buffers too small: need {need} labels and distances and {rows} counts, got {}, {} and {}",
                labels.len(),
                distances.len(),
                counts.len()
            )));
        }
        let rows = labels[..need]
            .chunks_mut(k)
            .zip(distances[..need].chunks_mut(k))
            .zip(counts[..rows].iter_mut())
            .map(|((labels, distances), count)| {
                Mutex::new(RowOut {
                    labels,
                    distances,
                    count,
                })
            })
            .collect();
        Ok(RowSink { rows })
    }

    /// Writes the results of query `row` (closest first); unused entries get
    /// `u64::MAX` and infinity.
    pub(crate) fn write(&self, row: usize, found: &[Neighbor]) {
        let mut out = self.rows[row].lock();
        let out = &mut *out;
        let mut n = 0;
        for (i, (l, d)) in out
            .labels
            .iter_mut()
            .zip(out.distances.iter_mut())
            .enumerate()
        {
            match found.get(i) {
                Some(f) => {
                    (*l, *d) = (f.label, f.distance);
                    n += 1;
                }
                None => (*l, *d) = (u64::MAX, f32::INFINITY),
            }
        }
        *out.count = n;
    }
}
