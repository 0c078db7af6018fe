//! naspred: how well does a NAS performance predictor rank architectures, and at what cost?
//!
//! This crate is the thin command-line layer of the workspace: the `naspred` binary and the
//! study's experiments ([`reproduce`]). A program that only needs predictors depends on
//! `naspred-predictors` (the registry by NASLib key, OMNI, the baselines), which this crate
//! re-exports as [`registry`], [`omni`], [`baselines`], [`Registry`], [`RegistrySettings`],
//! [`ZeroCostSettings`], [`PredictorInfo`] and [`BuildContext`].
//!
//! # Principal types
//!
//! * [`reproduce`]: the study's experiments as resumable, shardable work units and the report
//!   built from their records (`naspred reproduce`).
//! * [`Registry`] (from `naspred-predictors`): every predictor by its NASLib key (`xgb`,
//!   `valacc`, ...), built with [`RegistrySettings`] (zero-cost batch size, seed, device,
//!   cache, images; the data root) that the CLI fills from its flags and the `NASPRED_ZC_*` /
//!   `NASPRED_DATA` variables.
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
//! `naspred-lcurve` (learning-curve), `naspred-zerocost` (zero-cost), `naspred-train`
//! (weight sharing) and `naspred-predictors` (the registry, OMNI, baselines).

pub mod progress;
pub mod reproduce;

pub use naspred_predictors::{
    baselines, omni, registry, BuildContext, PredictorInfo, Registry, RegistrySettings,
    ZeroCostSettings,
};
