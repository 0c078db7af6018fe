//! The evaluation protocol of NAS performance predictors.
//!
//! ```
//! use naspred_data::{embedded, Dataset};
//! use naspred_eval::metrics::MetricKind;
//! use naspred_eval::protocol::{self, EvalConfig, RunOptions};
//! use naspred_eval::*;
//! use naspred_spaces::SpaceKind;
//!
//! /// A predictor of your own: score = number of 3x3 convolutions (no training).
//! struct Conv3Count;
//!
//! impl Predictor for Conv3Count {
//!     fn key(&self) -> &str { "conv3" }
//!     fn requirements(&self) -> Requirements { Requirements::baseline(false) }
//!     fn fit(&mut self, _: &[ArchInput], _: &[f64], _: &mut Context<'_>)
//!         -> Result<(), PredictorError> { Ok(()) }
//!     fn query(&mut self, test: &[ArchInput], _: &mut Context<'_>)
//!         -> Result<Vec<f64>, PredictorError> {
//!         Ok(test.iter().map(|a| a.arch.to_string().matches("conv_3x3").count() as f64).collect())
//!     }
//! }
//!
//! /// How the protocol builds a fresh predictor for every evaluation point.
//! struct Factory;
//!
//! impl PredictorFactory for Factory {
//!     fn build(&self, _: &str, _: SpaceKind, _: Dataset)
//!         -> Result<Box<dyn Predictor>, PredictorError> { Ok(Box::new(Conv3Count)) }
//!     fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
//!         Ok(Conv3Count.requirements())
//!     }
//! }
//!
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! let mut cfg = EvalConfig::study_defaults(SpaceKind::Nb201, vec!["conv3".into()]);
//! cfg.trials = 2;
//! let records = protocol::run(&bench, &cfg, &Factory, &RunOptions::default())?;
//! for r in &records {
//!     println!("trial {}: Kendall tau {:.3}", r.trial, r.metrics.get(MetricKind::Kendalltau));
//!     assert!(r.metrics.get(MetricKind::Kendalltau) > 0.2);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Principal types
//!
//! * [`Predictor`](predictor::Predictor): what a predictor needs
//!   ([`Requirements`](predictor::Requirements): partial curves, zero-cost scores, unlabeled
//!   architectures, whether the CV search applies), its fit (the initialisation) and its query,
//!   both returning a typed [`PredictorError`](predictor::PredictorError).
//!   [`PredictorFactory`](predictor::PredictorFactory) builds fresh predictors by NASLib key
//!   (the registry of `naspred-predictors` implements it).
//! * [`hpo`]: typed, validated hyperparameters: [`TunableParams`](hpo::TunableParams) (a
//!   predictor's configuration struct, its [`HpSpace`](hpo::HpSpace) of named, ranged
//!   parameters and NASLib's sampler), [`HpoState`](hpo::HpoState) (NASLib's search rules: the
//!   first draw after a reset keeps the defaults) behind the object-safe
//!   [`Tunable`](hpo::Tunable) that [`Predictor::tuning`](predictor::Predictor::tuning) exposes,
//!   [`HpError`](hpo::HpError) (unknown names and bad values are rejected, never repaired), and
//!   the one [`loguniform`](hpo::loguniform).
//! * [`metrics`]: Pearson, Spearman, Kendall tau-b in O(n log n), sparse Kendall,
//!   precision@k, MAE, RMSE, exactly as scipy / NASLib compute them; [`Metrics`](metrics::Metrics)
//!   bundles them.
//! * [`protocol`]: [`EvalConfig`](protocol::EvalConfig) (grids, trials, test-set mode, HPO,
//!   [`TimeAccounting`]),
//!   [`plan`](protocol::plan) (validation against the benchmark before any work),
//!   [`run`](protocol::run) (trials in parallel with rayon, one data stream per trial shared by
//!   every predictor, resumable output).
//! * [`sampling`]: uniform and mutation ("adjacent") test and train sets, nested prefixes.
//! * [`records`]: [`ResultRecord`](records::ResultRecord) (one JSON line per predictor, trial,
//!   train size and fidelity with every metric and time), the appending writer, aggregation to
//!   mean and standard error, CSV and a readable table.
//! * [`calibration`]: negative log-likelihood and interval coverage of probabilistic
//!   predictions (mean and standard deviation), reported for predictors that have them.
//! * [`fpenv`]: [`FlushDenormals`](fpenv::FlushDenormals), the guard that flushes subnormal floats
//!   to zero on the calling thread while a network trains or is scored (Intel cores slow down
//!   several-fold on them).
//! * [`grid`]: the study's train-size and fidelity grids per space.
//! * [`stats`]: the shared statistics helpers (target z-scoring, k-fold splits, the Gaussian
//!   negative log-likelihood).
//!
//! # Time accounting
//!
//! Every record carries two benchmark times besides the predictor's wall-clock fit and query
//! times: `bench_init_time_s`, what its training architectures cost to train, and
//! `bench_query_time_s`, what training a test architecture to the record's fidelity costs.
//! The paper's initialisation time is the first plus the fit time, its query time the second
//! plus the query time. [`EvalConfig::time_accounting`](protocol::EvalConfig::time_accounting)
//! decides what a training architecture costs: [`TimeAccounting::Naslib`] (the default) is
//! what NASLib's evaluator logs as `train_time`, the sum of its `TRAIN_TIME` over the training
//! set, which for NB201 is the mean time of one epoch per architecture (NASLib's
//! `cost_info['train_time']`) and for NB101, DARTS and NLP the full training run;
//! [`TimeAccounting::FullTraining`] charges the full run everywhere (NB201: 200 epochs, 200
//! times more). The partial training of a learning-curve predictor costs fidelity x the
//! per-epoch time under both. Each record names its accounting; a results file never mixes
//! two. Sources and the check against the paper: docs/measurements/time-axes.md.
//!
//! # Random streams, and why a resumed run equals an uninterrupted one
//!
//! A run's records depend on its configuration and on nothing else: not on the order in which
//! points are computed, the thread count, or which points a previous, interrupted run already
//! wrote. Two kinds of streams make that so:
//!
//! * the sets of trial `t` (test, training, unlabeled architectures and their targets) come
//!   from one ChaCha8 stream seeded with `seed + t` ([`trial_sets`](protocol::trial_sets)),
//!   shared by every predictor of the trial;
//! * every evaluation point, a (trial, predictor, train size, fidelity) under the run's
//!   test-set mode, gets a freshly built predictor and its own ChaCha8 stream, seeded with
//!   [`point_seed`](protocol::point_seed): a splitmix64 hash of the base seed, the trial and the
//!   point's name `"{predictor}|n={train size}|f={fidelity or -}|{uniform|mutation}"`.
//!
//! So any subset of points computed in any order, in one process or in shards, gives
//! bit-identical records (wall-clock times aside); `results.jsonl` can be cut after any record
//! and resumed.

pub mod calibration;
pub mod fpenv;
pub mod grid;
pub mod hpo;
pub mod metrics;
pub mod predictor;
pub mod protocol;
pub mod records;
pub mod sampling;
pub mod stats;

use std::path::Path;

use thiserror::Error;

pub use hpo::{HpError, HpKind, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
pub use naspred_data::TimeAccounting;
pub use predictor::{
    catch_predictor_panic, error_chain, in_caught_call, ArchInput, BoxError, Context, Family,
    Hyperparams, Prediction, Predictor, PredictorError, PredictorFactory, PredictorRng,
    Requirements, Sweep,
};
pub use protocol::{EvalConfig, HpoConfig, Progress, ProgressSink, RunOptions};
pub use records::ResultRecord;
pub use sampling::TestSetMode;

/// Why an evaluation could not run.
#[derive(Debug, Error)]
pub enum EvalError {
    /// The configuration is inconsistent.
    #[error("configuration: {0}")]
    Config(String),
    /// The grid asks for something the benchmark cannot serve.
    #[error("{0}")]
    Grid(String),
    /// A predictor problem that stops the run before it starts (e.g. an unknown key).
    #[error(transparent)]
    Predictor(#[from] PredictorError),
    /// A search-space error (sampling, mutation).
    #[error(transparent)]
    Space(#[from] naspred_spaces::SpaceError),
    /// A data problem.
    #[error("data: {0}")]
    Data(String),
    /// Reading or writing results failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl EvalError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        EvalError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
