//! Shared helpers of naspred's cross-crate tests.

use std::path::PathBuf;

use naspred_data::DataRoot;

/// The reference data root: `NASPRED_DATA`, else `../shared/data` beside the workspace.
pub fn data_root() -> DataRoot {
    match std::env::var_os(DataRoot::ENV) {
        Some(p) if !p.is_empty() => DataRoot::new(PathBuf::from(p)),
        _ => DataRoot::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")),
    }
}

/// A fresh, empty temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-tests-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
