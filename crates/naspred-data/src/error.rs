//! Typed errors of the data crate.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while loading or using benchmark data.
#[derive(Debug, Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file is malformed at a given place.
    #[error("{path}: {location}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Where (e.g. `line 12`, `record 3`, `key "val_acc"`).
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A required file or directory does not exist.
    #[error("{what} not found at {path}{hint}")]
    Missing {
        /// What was looked for.
        what: String,
        /// Where.
        path: PathBuf,
        /// How to get it (may be empty).
        hint: String,
    },
    /// A name that is not a known dataset.
    #[error("unknown dataset {0:?} (expected cifar10, cifar100, ImageNet16-120 or wikitext2)")]
    UnknownDataset(String),
    /// A name that is not a known time accounting.
    #[error("unknown time accounting {0:?} (expected naslib or full-training)")]
    UnknownTimeAccounting(String),
    /// A dataset the space's benchmark does not have.
    #[error("no {space} benchmark for dataset {dataset}")]
    NoSuchBenchmark {
        /// Space name.
        space: String,
        /// Dataset name.
        dataset: String,
    },
    /// A request the benchmark cannot serve (e.g. a fidelity beyond its curves).
    #[error("{0}")]
    Unservable(String),
    /// An architecture that does not parse or is invalid.
    #[error("{path}: {location}: {source}")]
    Arch {
        /// The file.
        path: PathBuf,
        /// Where.
        location: String,
        /// The space error.
        #[source]
        source: naspred_spaces::SpaceError,
    },
}

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error in `path` at `location`.
    pub fn format(
        path: impl Into<PathBuf>,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        DataError::Format {
            path: path.into(),
            location: location.into(),
            reason: reason.into(),
        }
    }
}
