//! # hnswlib-core
//!
//! The engine of hnswlib-rs, the hnswlib-compatible port of the HNSW index
//! (Malkov & Yashunin): approximate k-nearest-neighbour search that builds and
//! searches like hnswlib, reads and writes hnswlib's index files byte for byte,
//! and lets searches run while other threads add, update and delete.
//!
//! * [`HnswIndex`]: the HNSW graph index (hnswlib's `HierarchicalNSW`).
//! * [`BruteForceIndex`]: exact search with the same API (hnswlib's `BruteforceSearch`).
//! * Filters held as data (allow-lists, masks by label): [`filter`].
//! * Range (epsilon) and multi-vector document searches on both, and HNSW searches
//!   under a stop condition of the caller's own: [`stop`].
//! * [`Space`]: squared L2, inner product and cosine on f32, squared L2 on u8, or a
//!   custom distance (a C callback or a Rust closure), with SIMD kernels chosen at
//!   run time ([`kernels`]).
//!
//! ```
//! use hnswlib_core::{HnswIndex, HnswParams, SearchOptions, Space};
//!
//! let index = HnswIndex::new(Space::l2(2)?, &HnswParams { max_elements: 100, ..Default::default() })?;
//! index.add(&[0.0f32, 0.0], 7, false)?;
//! index.add(&[1.0f32, 1.0], 8, false)?;
//! let hits = index.search(&[0.9f32, 0.8], 1, &SearchOptions::default())?;
//! assert_eq!(hits[0].label, 8);
//! # Ok::<(), hnswlib_core::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod arena;
pub mod bruteforce;
pub mod error;
pub mod filter;
pub mod hnsw;
pub mod kernels;
pub(crate) mod lock;
pub mod options;
pub mod parallel;
pub mod persist;
pub mod quant;
pub mod rng;
pub mod space;
pub mod stop;
mod visited;

pub use bruteforce::BruteForceIndex;
pub use error::{Error, ErrorKind, Result};
pub use filter::LabelFilter;
pub use hnsw::{HnswIndex, HnswParams, IntegrityReport, LoadOptions, ViewOptions};
pub use options::{
    AddOptions, BatchResults, FileFormat, Filter, Neighbor, Progress, SaveOptions, SearchOptions,
};
pub use quant::Quantization;
pub use space::{CDistanceFn, Distance, Element, Space, SpaceKind, MAX_SPACE_NAME};
pub use stop::{best_per_doc, DocHit, DocOf, RangeResults, SearchStopCondition};

/// Version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
