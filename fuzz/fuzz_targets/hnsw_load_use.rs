//! hnswlib's index format from bytes, then everything a user does next: searches
//! (with and without a filter), deletes, adds (growing into the declared capacity),
//! updates, and a save and load round trip.
#![no_main]

use hnswlib_core::HnswIndex;
use hnswlib_fuzz::{exercise_hnsw, hnsw_data_size, load_options, space_for, space_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let space = space_for(space_kind(sel), hnsw_data_size(file), file.len());
    let Ok(index) = HnswIndex::from_bytes(file, space.clone(), &load_options(sel)) else {
        return;
    };
    // The last byte steers k and the number of adds.
    let steer = file.last().copied().unwrap_or(0) as usize;
    exercise_hnsw(&index, &space, steer % 16, steer / 16);
});
