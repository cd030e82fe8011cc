//! hnswlib-rs, the hnswlib-compatible port of the HNSW index: the C ABI.
//!
//! `libhnswlib` exports the functions declared in `include/hnswlib.h` (generated from
//! this crate by cbindgen). Every function is prefixed `hnsw_`, returns an
//! `hnsw_status` when it can fail, and keeps the message of the last failure per
//! thread (`hnsw_last_error`). No panic crosses the boundary: each body runs under
//! `catch_unwind` and a panic becomes `HNSW_ERR_INTERNAL`.
//!
//! All index logic lives in [`hnswlib_core`], re-exported here so Rust users can
//! depend on either crate. The C functions are not part of the Rust API: they take raw
//! pointers whose validity only their C contract guarantees, so Rust code calls the
//! core instead (or declares the functions `extern "C"`, as a C program does):
//!
//! ```compile_fail
//! // Not callable from safe Rust with a made-up pointer.
//! hnswlib::hnsw::hnsw_index_free(8 as *mut _);
//! ```
//!
//! Modules: `status` (codes, last error, the panic guard), `space`, `hnsw` (the HNSW
//! index), `ids` (its internal ids), `bruteforce`, `filter` (label filters held as data), `options` (option
//! structs and callback types), `quantization` (the storage modes of an HNSW index),
//! `native` (the native file format and read-only views), `stop` (range and
//! document searches), `info` (version, SIMD path);
//! `index` holds what both index handles share.

// The exported names follow C conventions (`hnsw_index`, `HNSW_OK`), not Rust's.
#![allow(non_camel_case_types, non_snake_case)]
#![deny(unsafe_op_in_unsafe_fn)]
// The exported functions are reachable from C only (their modules are private), with
// raw pointers; every pointer is checked (NULL, alignment) in `args` before use, and the
// rest of each contract is in the header.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// Several of these share a name with a module of the core, which they hide from the
// glob re-export below, as they always did; the core's items are re-exported at the
// top level.
#![allow(hidden_glob_reexports)]

mod args;
mod bruteforce;
mod filter;
mod hnsw;
mod ids;
mod index;
mod info;
mod native;
mod options;
mod quantization;
mod space;
mod status;
mod stop;

pub use hnswlib_core::*;
