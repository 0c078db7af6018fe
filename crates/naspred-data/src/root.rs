//! Where benchmark data lives.

use std::path::{Path, PathBuf};

use crate::DataError;

/// The data root: a folder laid out like the project's reference data (`nb201/`, `nb101/`,
/// `nlp/`, `naslib_zc/`, `cifar/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRoot {
    path: PathBuf,
}

impl DataRoot {
    /// Environment variable naming the data root.
    pub const ENV: &'static str = "NASPRED_DATA";

    /// A data root at `path` (not checked until a file is read).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataRoot { path: path.into() }
    }

    /// The data root from, in order: `explicit` (a `--data-dir` flag), `NASPRED_DATA`, the
    /// build-time default `NASPRED_DEFAULT_DATA` (the workspace's `../shared/data`), and
    /// finally `../shared/data` relative to the current directory.
    pub fn resolve(explicit: Option<&Path>) -> Self {
        if let Some(p) = explicit {
            return DataRoot::new(p);
        }
        if let Some(p) = std::env::var_os(Self::ENV) {
            if !p.is_empty() {
                return DataRoot::new(PathBuf::from(p));
            }
        }
        if let Some(p) = option_env!("NASPRED_DEFAULT_DATA") {
            return DataRoot::new(p);
        }
        DataRoot::new("../shared/data")
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file below the root, checked to exist.
    pub fn file(&self, rel: &str) -> Result<PathBuf, DataError> {
        let p = self.path.join(rel);
        if p.exists() {
            Ok(p)
        } else {
            Err(DataError::Missing {
                what: format!("data file {rel}"),
                path: p,
                hint: format!(
                    " (set --data-dir or {} to the folder that holds {rel})",
                    Self::ENV
                ),
            })
        }
    }
}
