//! Build-script helper for the naspred crates that link libtorch through `tch`.
//!
//! Call [`link_libtorch`] from the `build.rs` of a crate that depends on `tch` **and directly on
//! `torch-sys`**:
//!
//! ```no_run
//! // in build.rs: `fn main() { naspred_build::link_libtorch(); }`
//! naspred_build::link_libtorch();
//! ```
//!
//! A crate whose libtorch use is behind a Cargo feature calls
//! [`link_libtorch_if_feature`] instead, so that a build without the feature links nothing.
//!
//! # Why
//!
//! This mirrors tch's own build script. `DEP_TCH_LIBTORCH_LIB` (libtorch's `lib/` folder) is
//! exported by `torch-sys` (`links = "tch"`) only to the build scripts of crates that depend on
//! it *directly*, hence the direct `torch-sys` dependency. The rpath lets binaries and tests run
//! without `LD_LIBRARY_PATH`; `--no-as-needed -ltorch` keeps `libtorch.so` (and through it
//! `libtorch_cuda.so` when present) in `DT_NEEDED`, which CUDA needs (tch-rs #980).
//!
//! Pure `std`, no dependencies.

#![forbid(unsafe_code)]

use std::env;
use std::ffi::OsStr;

/// Cargo's environment variable set to libtorch's `lib/` by `torch-sys`'s build script, for the
/// build scripts of the crates that depend on `torch-sys` directly.
pub const LIBTORCH_LIB_VAR: &str = "DEP_TCH_LIBTORCH_LIB";

/// The linker arguments [`link_libtorch`] emits for a libtorch `lib/` folder (`None`: unknown,
/// no rpath), as `cargo:` directives, in order.
///
/// `--no-as-needed` and `-ltorch` are always there; the rpath only when the folder is known.
pub fn libtorch_directives(lib: Option<&OsStr>) -> Vec<String> {
    let mut out = Vec::with_capacity(3);
    if let Some(lib) = lib {
        out.push(format!(
            "cargo:rustc-link-arg=-Wl,-rpath={}",
            lib.to_string_lossy()
        ));
    }
    out.push("cargo:rustc-link-arg=-Wl,--no-as-needed".to_string());
    out.push("cargo:rustc-link-arg=-ltorch".to_string());
    out
}

/// Links the calling crate's binaries, tests, benches and examples against libtorch: an rpath
/// to libtorch's `lib/` (from [`LIBTORCH_LIB_VAR`], when Cargo provides it) and
/// `-Wl,--no-as-needed -ltorch`.
///
/// Call it from `build.rs`; the crate must depend on `torch-sys` directly (see the
/// [crate docs](crate)).
pub fn link_libtorch() {
    let lib = env::var_os(LIBTORCH_LIB_VAR);
    for line in libtorch_directives(lib.as_deref()) {
        println!("{line}");
    }
}

/// The environment variable Cargo sets in a build script when `feature` is enabled:
/// `CARGO_FEATURE_` followed by the name in upper case with `-` turned into `_`.
pub fn feature_var(feature: &str) -> String {
    let name: String = feature
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("CARGO_FEATURE_{name}")
}

/// [`link_libtorch`] if the calling crate is built with the Cargo feature `feature` (e.g.
/// `"torch"`); nothing otherwise, so that a build without it needs no libtorch at all.
pub fn link_libtorch_if_feature(feature: &str) {
    if env::var_os(feature_var(feature)).is_some() {
        link_libtorch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_with_and_without_a_lib_folder() {
        assert_eq!(
            libtorch_directives(Some(OsStr::new("/opt/libtorch/lib"))),
            [
                "cargo:rustc-link-arg=-Wl,-rpath=/opt/libtorch/lib",
                "cargo:rustc-link-arg=-Wl,--no-as-needed",
                "cargo:rustc-link-arg=-ltorch",
            ]
        );
        assert_eq!(
            libtorch_directives(None),
            [
                "cargo:rustc-link-arg=-Wl,--no-as-needed",
                "cargo:rustc-link-arg=-ltorch",
            ]
        );
    }

    #[test]
    fn feature_variables_follow_cargo() {
        assert_eq!(feature_var("torch"), "CARGO_FEATURE_TORCH");
        assert_eq!(feature_var("cuda-12"), "CARGO_FEATURE_CUDA_12");
    }
}
