//! hnswlib's brute-force index format from bytes (full-capacity and compact files),
//! in every built-in space, then searches, an add, a removal and a round trip.
#![no_main]

use hnswlib_core::BruteForceIndex;
use hnswlib_fuzz::{bf_data_size, exercise_bf, space_for, space_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let space = space_for(space_kind(sel), bf_data_size(file), file.len());
    let max_elements = if sel & 0x40 != 0 { 64 } else { 0 };
    let Ok(index) = BruteForceIndex::from_bytes(file, space, max_elements) else {
        return;
    };
    exercise_bf(&index, (sel >> 2) as usize & 15);
});
