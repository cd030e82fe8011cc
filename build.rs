//! Generates include/hnswlib.h from the C ABI in src/ (cbindgen) and gives the shared
//! library its SONAME. The header is committed; `make test` fails when it is stale.

use std::env;
use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen can read the C ABI in src/")
        // Writes only when the text changed, so builds do not touch the file needlessly.
        .write_to_file(root.join("include/hnswlib.h"));

    // The ABI major version: programs link against libhnswlib.so.0.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhnswlib.so.{major}");
    }
}
