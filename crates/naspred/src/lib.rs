//! naspred: how well does a NAS performance predictor rank architectures, and at what cost?
//!
//! This crate ties the workspace together.
//!
//! # Principal types
//!
//! * [`Registry`]: every predictor by its NASLib key (`xgb`, `valacc`, ...), with its family and
//!   a one-line description; it implements [`naspred_eval::PredictorFactory`], which the
//!   evaluation protocol uses to build a fresh predictor per trial.
//! * [`baselines`]: the benchmark-side references `params` (parameter count) and `random`.
//! * [`reproduce`]: the study's experiments as resumable, shardable work units and the report
//!   built from their records (`naspred reproduce`).
//! * [`omni`]: OMNI, the combined predictors `omni_ngb` ([`omni::OmniNgb`]; NASLib's test-set
//!   scaling as `omni_ngb_faithful`, the extra validation-accuracy feature as
//!   `omni_ngb_valacc`) and `omni_seminas` ([`omni::OmniSeminas`]): model-based learners fed
//!   with jacov and SoTL-E.
//! * [`progress`]: the indicatif bar the CLI draws from the protocol's progress reports
//!   ([`progress::eval_bar`]).
//! * The `naspred` binary (`src/main.rs`): `naspred arch ...` (hash, encode, sample, mutate
//!   architectures of any space), `naspred evaluate` (the study's protocol, writing
//!   `results.jsonl` and `summary.csv`; `--bench FILE` reads a benchmark made by `naspred
//!   train`), `naspred predictors`, `naspred data embed`, `naspred search` (predictor-guided
//!   NAS from `naspred-search`), `naspred zerocost` (proxy scores), `naspred reproduce` (the
//!   study's experiments and report) and `naspred train` (learning curves of your own, from
//!   `naspred-train`).
//!
//! The search spaces live in `naspred-spaces`, benchmark data in `naspred-data`, the protocol
//! and metrics in `naspred-eval`, predictors in `naspred-models` (model-based),
//! `naspred-lcurve` (learning-curve), `naspred-zerocost` (zero-cost) and `naspred-train`
//! (weight sharing).

pub mod baselines;
pub mod omni;
pub mod progress;
pub mod registry;
pub mod reproduce;

pub use registry::{PredictorInfo, Registry};
