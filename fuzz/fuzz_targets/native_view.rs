//! A native file opened as a memory-mapped read-only view: the input is written to a
//! file of this process, mapped, searched, asked for changes (refused) and saved. The
//! selector's bit 0 asks for a verified view (every section checked); without it the
//! view reads level 0 unchecked, where searches must stay memory-safe whatever it holds.
#![no_main]

use hnswlib_core::{HnswIndex, ViewOptions};
use hnswlib_fuzz::exercise_view;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let path = std::env::temp_dir().join(format!("hnswlib-fuzz-view-{}", std::process::id()));
    std::fs::write(&path, file).expect("writing the input to a scratch file");
    let opts = ViewOptions {
        verify: sel & 1 != 0,
        ..Default::default()
    };
    let view = HnswIndex::open_view(&path, &opts);
    // Mapped, the file may go: the view keeps its pages.
    std::fs::remove_file(&path).expect("removing the scratch file");
    if let Ok(view) = view {
        exercise_view(&view, (sel >> 1) as usize);
    }
});
