//! Generates include/hnswlib.h from the C ABI in src/ (cbindgen) and gives the shared
//! library its SONAME. The header is committed; `make test` fails when it is stale.
//!
//! A packaged crate (from crates.io, or `cargo package`: it has a `Cargo.toml.orig`) ships
//! the header and leaves it alone: cbindgen would run `cargo metadata` on it, which needs
//! its dependencies on a registry, and would write into the read-only registry sources.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    if !root.join("Cargo.toml.orig").exists() {
        write_header(&root);
    }

    // The ABI major version: programs link against libhnswlib.so.0.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhnswlib.so.{major}");
    }
}

fn write_header(root: &Path) {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen can read the C ABI in src/")
        // Writes only when the text changed, so builds do not touch the file needlessly.
        .write_to_file(root.join("include/hnswlib.h"));
}
