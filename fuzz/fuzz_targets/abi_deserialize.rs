//! The C ABI's load from memory (`hnsw_index_deserialize`), as a C caller uses it:
//! a space by name, load options, a k-NN query, an add, serializing and freeing.
//! Any input gives a status code, never a crash or a leak.
#![no_main]

use std::ffi::{c_char, c_void, CStr};
use std::ptr;

use hnswlib_fuzz::{hnsw_data_size, space_for, space_kind, SPACES};
use libfuzzer_sys::fuzz_target;

// Links the library; its C functions are declared below as a C caller sees them.
use hnswlib as _;

/// `hnsw_load_options` of include/hnswlib.h.
#[repr(C)]
struct LoadOptions {
    max_elements: usize,
    allow_replace_deleted: bool,
    random_seed: u64,
    quantization: i32,
    keep_vectors: bool,
}

const HNSW_OK: i32 = 0;

extern "C" {
    fn hnsw_space_new(name: *const c_char, dim: usize, out: *mut *mut c_void) -> i32;
    fn hnsw_space_free(space: *mut c_void);
    fn hnsw_index_deserialize(
        data: *const u8,
        len: usize,
        space: *const c_void,
        opts: *const LoadOptions,
        out: *mut *mut c_void,
    ) -> i32;
    fn hnsw_index_free(index: *mut c_void);
    fn hnsw_index_knn(
        index: *const c_void,
        query: *const c_void,
        k: usize,
        opts: *const c_void,
        labels: *mut u64,
        distances: *mut f32,
        capacity: usize,
        found: *mut usize,
    ) -> i32;
    fn hnsw_index_add(
        index: *const c_void,
        vector: *const c_void,
        label: u64,
        replace_deleted: bool,
    ) -> i32;
    fn hnsw_index_count(index: *const c_void, out: *mut usize) -> i32;
    fn hnsw_index_serialize(index: *const c_void, data: *mut *mut u8, len: *mut usize) -> i32;
    fn hnsw_buffer_free(data: *mut u8, len: usize);
    fn hnsw_last_error() -> *const c_char;
}

fuzz_target!(|input: &[u8]| {
    let Some((&sel, file)) = input.split_first() else {
        return;
    };
    let kind = space_kind(sel);
    let dim = space_for(kind, hnsw_data_size(file), file.len()).dim();
    let name = format!("{}\0", SPACES[kind]);
    let opts = LoadOptions {
        max_elements: if sel & 0x40 != 0 { 64 } else { 0 },
        allow_replace_deleted: sel & 4 != 0,
        random_seed: 100,
        // Out-of-range modes too: they must be refused with a status.
        quantization: ((sel >> 3) & 3) as i32,
        keep_vectors: sel & 0x20 == 0,
    };
    // SAFETY: every pointer passed is valid for the call (NUL-terminated name, the
    // input slice, out-parameters on the stack, buffers of the sizes given), and
    // every handle and buffer the library returns is freed once with its own free.
    unsafe {
        let mut space = ptr::null_mut();
        assert_eq!(
            hnsw_space_new(name.as_ptr().cast(), dim, &mut space),
            HNSW_OK
        );
        let mut index = ptr::null_mut();
        let status = hnsw_index_deserialize(file.as_ptr(), file.len(), space, &opts, &mut index);
        hnsw_space_free(space);
        if status != HNSW_OK {
            assert!(index.is_null());
            assert!(!CStr::from_ptr(hnsw_last_error()).to_bytes().is_empty());
            return;
        }
        let elem = if kind == 3 { dim } else { 4 * dim };
        let query = vec![0u8; elem.next_multiple_of(4)];
        let k = 1 + (sel >> 4) as usize;
        let (mut labels, mut distances, mut found) = (vec![0u64; k], vec![0f32; k], 0usize);
        let status = hnsw_index_knn(
            index,
            query.as_ptr().cast(),
            k,
            ptr::null(),
            labels.as_mut_ptr(),
            distances.as_mut_ptr(),
            k,
            &mut found,
        );
        assert!(status == HNSW_OK && found <= k);
        let mut before = 0;
        assert_eq!(hnsw_index_count(index, &mut before), HNSW_OK);
        let _ = hnsw_index_add(index, query.as_ptr().cast(), u64::MAX - 1, false);
        let (mut data, mut len) = (ptr::null_mut(), 0usize);
        if hnsw_index_serialize(index, &mut data, &mut len) == HNSW_OK {
            assert!(len >= 96);
            hnsw_buffer_free(data, len);
        }
        hnsw_index_free(index);
    }
});
