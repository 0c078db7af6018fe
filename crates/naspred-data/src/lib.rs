//! Benchmark data for naspred.
//!
//! ```
//! use naspred_data::{embedded, Dataset};
//!
//! // NAS-Bench-201 on CIFAR-10 is compiled into the crate: no download, no files.
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! assert_eq!(bench.len(), 15_625);
//! let best = bench
//!     .records()
//!     .iter()
//!     .max_by(|a, b| a.mean_val_acc().total_cmp(&b.mean_val_acc()))
//!     .ok_or("empty benchmark")?;
//! println!("best architecture: {} ({:.2} %)", best.arch, best.mean_val_acc());
//! assert!(best.mean_val_acc() > 90.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Principal types
//!
//! * [`Benchmark`]: one search space x dataset table of [`ArchRecord`]s: final validation
//!   accuracy per training seed, test accuracy, training time, parameters, latency, low-fidelity
//!   [`FidelityPoint`]s (separate shorter runs) and per-epoch [`Curves`], indexed by the
//!   architecture's canonical hash. [`Coverage`] says whether the table covers the whole space
//!   (NB201) or only a list of trained architectures (NB101 sample, DARTS, NLP), which decides how
//!   the evaluation protocol samples from it; [`FidelitySupport`] says which fidelities a curve
//!   metric can be served at.
//! * [`Dataset`], [`CurveMetric`], [`TargetMode`]: the vocabulary of requests.
//! * [`TimeAccounting`]: how many benchmark seconds a training architecture and a partial
//!   training cost (NASLib's per-space `TRAIN_TIME`, the default, or the full schedule
//!   everywhere); the evaluator's initialisation and query times come from it.
//! * Loaders: [`shared`] reads a data root (the repository's `data/`, or the raw reference
//!   files it is built from: same layout, any file plain or gzip-compressed), [`naslib`] reads
//!   NASLib's own published files (pickles and zero-cost JSON), [`embedded`] reads and writes
//!   the compact NB201 format (a copy is compiled into this crate, so NB201 needs no folder at
//!   all), [`cifar`] reads CIFAR binary-record image batches. [`DataRoot`] resolves where data
//!   lives (`--data-dir`, `NASPRED_DATA`, default the repository's `data/`) and finds `REL` or
//!   `REL.gz`; [`root::open_data_file`] reads either.
//!
//! Every loader returns a typed [`DataError`] naming the file and what is wrong.

pub mod accounting;
pub mod benchmark;
pub mod cifar;
pub mod embedded;
pub mod error;
pub mod naslib;
pub mod root;
pub mod shared;

pub use accounting::TimeAccounting;
pub use benchmark::{
    ArchRecord, Benchmark, Coverage, CurveMetric, Curves, Dataset, FidelityPoint, FidelitySupport,
    TargetMode,
};
pub use error::DataError;
pub use root::DataRoot;
