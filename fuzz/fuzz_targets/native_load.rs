//! The native format from bytes (no space given: the file names it), then everything
//! a user does next, as in `hnsw_load_use`, the integrity check, and a native save and
//! load round trip that must reproduce its bytes.
#![no_main]

use hnswlib_core::HnswIndex;
use hnswlib_fuzz::{exercise_hnsw, load_options, native_round_trip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let Ok(index) = HnswIndex::from_native_bytes(file, &load_options(sel)) else {
        return;
    };
    index
        .check_integrity()
        .expect("a loaded index passes its integrity check");
    native_round_trip(&index);
    let steer = file.last().copied().unwrap_or(0) as usize;
    exercise_hnsw(&index, &index.space(), steer % 16, steer / 16);
    native_round_trip(&index);
});
