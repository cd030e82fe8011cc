//! Library facts: version and the SIMD kernels chosen for this CPU.

use std::ffi::{c_char, CStr};

/// The library version, e.g. "0.1.0". Static; never free it.
#[no_mangle]
pub extern "C" fn hnsw_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("version contains NUL"),
        };
    VERSION.as_ptr()
}

/// The distance kernels chosen at run time for this CPU: "avx512", "avx2", "neon" or
/// "scalar". Static; never free it.
#[no_mangle]
pub extern "C" fn hnsw_simd_path() -> *const c_char {
    let name: &'static CStr = match hnswlib_core::kernels::best().name {
        "avx512" => c"avx512",
        "avx2" => c"avx2",
        "neon" => c"neon",
        _ => c"scalar",
    };
    name.as_ptr()
}
