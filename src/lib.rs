//! hnswlib-rs, the hnswlib-compatible port of the HNSW index: the C ABI.
//!
//! `libhnswlib` exports the functions declared in `include/hnswlib.h` (generated from
//! this crate by cbindgen). Every function is prefixed `hnsw_`, returns an
//! `hnsw_status` when it can fail, and keeps the message of the last failure per
//! thread (`hnsw_last_error`). No panic crosses the boundary: each body runs under
//! `catch_unwind` and a panic becomes `HNSW_ERR_INTERNAL`.
//!
//! All index logic lives in [`hnswlib_core`], re-exported here so Rust users can
//! depend on either crate.
//!
//! Modules: [`status`] (codes, last error, the panic guard), [`space`], [`hnsw`]
//! (the HNSW index), [`bruteforce`], [`options`] (option structs and callback types),
//! [`quantization`] (the storage modes of an HNSW index), [`stop`] (range and
//! document searches), [`info`] (version, SIMD path); `index` holds what both index
//! handles share.

// The exported names follow C conventions (`hnsw_index`, `HNSW_OK`), not Rust's.
#![allow(non_camel_case_types, non_snake_case)]
#![deny(unsafe_op_in_unsafe_fn)]
// The exported functions are called from C with raw pointers; every pointer is checked
// (NULL, alignment) in `args` before use, and the rest of each contract is in the header.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod args;
pub mod bruteforce;
pub mod hnsw;
mod index;
pub mod info;
pub mod options;
pub mod quantization;
pub mod space;
pub mod status;
pub mod stop;

pub use hnswlib_core::*;
pub use index::{hnsw_bf, hnsw_buffer_free, hnsw_index};
