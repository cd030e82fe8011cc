//! hnswlib-rs, the hnswlib-compatible port of the HNSW index.
//!
//! This crate is the home of the C ABI (`libhnswlib`). All index logic lives in
//! [`hnswlib_core`], re-exported here so Rust users can depend on either crate.

pub use hnswlib_core::*;
