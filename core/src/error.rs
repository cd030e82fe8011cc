//! The one error type of the core.
//!
//! Every fallible operation returns [`Result`]. Messages say what went wrong and,
//! where it helps, what to do; where hnswlib has a message for the same mistake the
//! message starts with hnswlib's wording, so users searching for it find the same
//! advice. Bindings map [`Error::kind`] to their language's exception types
//! (hnswlib's Python binding raises `RuntimeError` for all of them, `ValueError`
//! for bad arguments).

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector's length differs from the index dimension.
    #[error("Wrong dimensionality of the vectors: the index has dim {expected}, got {got}")]
    DimensionMismatch {
        /// The index dimension (elements per vector, or bytes for custom spaces).
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// The element type does not fit the space (e.g. u8 data for an f32 space).
    #[error("Wrong element type: the space stores {expected} vectors, got {got}")]
    ElementType {
        /// What the space stores.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
    /// A vector holds NaN or infinity.
    #[error(
        "Vector {row} contains NaN or infinity; only finite values can be indexed or searched"
    )]
    NonFinite {
        /// Row of the offending vector within the call (0 for a single vector).
        row: usize,
    },
    /// A batch with no rows.
    #[error("Empty input: {0}")]
    EmptyInput(&'static str),
    /// The labels given do not match the rows given.
    #[error("The input label shape does not match the input data vector shape: {labels} labels for {rows} rows")]
    LabelCountMismatch {
        /// Number of labels.
        labels: usize,
        /// Number of rows.
        rows: usize,
    },
    /// The index is full.
    #[error("The number of elements exceeds the specified limit ({max_elements}); resize the index first")]
    CapacityExceeded {
        /// The capacity of the index.
        max_elements: usize,
    },
    /// A label that is not in the index (or, for reads, is deleted).
    #[error("Label not found: {0}")]
    LabelNotFound(u64),
    /// mark_deleted on an element that is already deleted.
    #[error("The requested to delete element is already deleted (label {0})")]
    AlreadyDeleted(u64),
    /// unmark_deleted on an element that is not deleted.
    #[error("The requested to undelete element is not deleted (label {0})")]
    NotDeleted(u64),
    /// replace_deleted was asked of an index created without allow_replace_deleted.
    #[error("Replacement of deleted elements is disabled in constructor; create or load the index with allow_replace_deleted = true")]
    ReplaceDeletedDisabled,
    /// Updating a deleted label of an index that allows replacement, without replace_deleted.
    #[error("Can't use addPoint to update deleted elements if replacement of deleted elements is enabled (label {0}); add it with replace_deleted = true")]
    UpdateDeletedWithReplace(u64),
    /// resize below the current element count.
    #[error("Cannot resize, max element is less than the current number of elements ({requested} < {count})")]
    ResizeBelowCount {
        /// Requested capacity.
        requested: usize,
        /// Current number of elements, deleted ones included.
        count: usize,
    },
    /// An internal id (a slot, hnswlib's `tableint`) at or past the element count.
    #[error("Internal id {id} is out of range: the index holds {count} elements, whose internal ids are 0 to count - 1")]
    IdOutOfRange {
        /// The id given.
        id: u64,
        /// The number of elements (deleted ones included) when it was checked.
        count: usize,
    },
    /// A parameter out of its valid range (M, ef_construction, k, dim, ...).
    #[error("Invalid parameter: {0}")]
    InvalidParameter(String),
    /// An I/O error while reading or writing an index file.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid index of the expected kind.
    #[error("Index seems to be corrupted or unsupported: {0}")]
    Corrupt(String),
    /// The file is a valid index, but not for the dim or space the caller gave.
    #[error("The index does not match the space: {0}")]
    Incompatible(String),
    /// Bytes that are not in the native format, given where only that format will
    /// do (opening without a space, views); the message says whether they are an
    /// index in hnswlib's format and what to do with it.
    #[error("Wrong file format: {0}")]
    NotNative(String),
    /// A batch was cancelled by its progress callback.
    #[error("Cancelled after {done} of {total} rows; the rows added so far stay in the index")]
    Cancelled {
        /// Rows completed before the cancel.
        done: usize,
        /// Rows in the batch.
        total: usize,
    },
    /// Not enough memory for the requested capacity.
    #[error("Not enough memory: {0}")]
    OutOfMemory(String),
    /// An operation that needs the index exclusively (resize, save, ...) was called
    /// from inside a callback of an operation on the same index, which holds it: it
    /// would wait for itself.
    #[error("{0} cannot run inside a filter, progress or distance callback of the same index: the call that runs the callback holds the index, so {0} would wait for it for ever; call it after that call returns")]
    Reentered(&'static str),
    /// The index's configuration does not allow the operation (e.g. saving a
    /// codes-only index in hnswlib's format, which stores f32 vectors).
    #[error("Not supported: {0}")]
    NotSupported(String),
}

/// A stable classification of [`Error`], for status codes and exception types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    /// Wrong dimension, element type, non-finite values, empty input, label/row mismatch,
    /// internal id out of range, invalid parameter.
    InvalidArgument = 1,
    /// Unknown label.
    LabelNotFound = 2,
    /// Capacity exceeded.
    Capacity = 3,
    /// Operation not allowed in the index's state (already deleted, not deleted,
    /// replacement disabled, resize below count, an exclusive call from a callback).
    State = 4,
    /// File system error.
    Io = 5,
    /// Corrupted, truncated or incompatible index bytes, or bytes in hnswlib's
    /// format where only the native one will do.
    Format = 6,
    /// Cancelled by a progress callback.
    Cancelled = 7,
    /// Allocation failure.
    OutOfMemory = 8,
}

impl Error {
    /// The stable class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::DimensionMismatch { .. }
            | Error::ElementType { .. }
            | Error::NonFinite { .. }
            | Error::EmptyInput(_)
            | Error::LabelCountMismatch { .. }
            | Error::IdOutOfRange { .. }
            | Error::InvalidParameter(_) => ErrorKind::InvalidArgument,
            Error::LabelNotFound(_) => ErrorKind::LabelNotFound,
            Error::CapacityExceeded { .. } => ErrorKind::Capacity,
            Error::AlreadyDeleted(_)
            | Error::NotDeleted(_)
            | Error::ReplaceDeletedDisabled
            | Error::UpdateDeletedWithReplace(_)
            | Error::ResizeBelowCount { .. }
            | Error::NotSupported(_)
            | Error::Reentered(_) => ErrorKind::State,
            Error::Io { .. } => ErrorKind::Io,
            Error::Corrupt(_) | Error::Incompatible(_) | Error::NotNative(_) => ErrorKind::Format,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
            Error::OutOfMemory(_) => ErrorKind::OutOfMemory,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidParameter(msg.into())
    }

    pub(crate) fn corrupt(msg: impl Into<String>) -> Self {
        Error::Corrupt(msg.into())
    }

    /// This error naming the file it came from, where its message cannot: bytes not
    /// in the native format ([`Error::NotNative`]) get the path in front.
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            Error::NotNative(msg) => Error::NotNative(format!("{}: {msg}", path.display())),
            e => e,
        }
    }
}
