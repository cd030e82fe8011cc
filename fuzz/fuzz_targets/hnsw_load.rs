//! hnswlib's index format from bytes, in every built-in space: any input loads or
//! gives an error; one that loads saves back to the same bytes.
#![no_main]

use hnswlib_core::HnswIndex;
use hnswlib_fuzz::{expected_resave, hnsw_data_size, load_options, space_for, space_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let space = space_for(space_kind(sel), hnsw_data_size(file), file.len());
    let opts = load_options(sel);
    let Ok(index) = HnswIndex::from_bytes(file, space, &opts) else {
        return;
    };
    if let Ok(bytes) = index.to_bytes() {
        let expected = expected_resave(file, &index, &opts);
        if let Some(at) =
            (0..bytes.len().max(expected.len())).find(|&i| bytes.get(i) != expected.get(i))
        {
            panic!(
                "saved again, {} bytes differ from the {} expected, first at offset {at}: {:?} != {:?}",
                bytes.len(),
                expected.len(),
                bytes.get(at),
                expected.get(at)
            );
        }
    }
});
