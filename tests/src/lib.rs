//! Shared helpers of naspred's cross-crate tests.

use std::path::PathBuf;

use naspred_data::DataRoot;

/// The data root: `NASPRED_DATA` (if set and not empty), else the repository's `data/`.
pub fn data_root() -> DataRoot {
    DataRoot::resolve(None)
}

/// A fresh, empty temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-tests-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
