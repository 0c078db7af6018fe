//! The [`Predictor`] trait: what a performance predictor needs, how it is fitted (its
//! initialisation) and queried.

use std::collections::BTreeMap;
use std::fmt;

use naspred_data::{CurveMetric, Dataset};
use naspred_spaces::{AnyArch, ArchHash, SpaceKind};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hpo::{HpError, Tunable};

/// The random stream a predictor draws from (separate from the data-sampling stream, so that
/// every predictor of a trial sees the same train and test sets).
pub type PredictorRng = ChaCha8Rng;

/// Hyperparameters of a predictor, by name (reported as `hp_<name>` in results).
pub type Hyperparams = BTreeMap<String, f64>;

/// The family a predictor belongs to (the study's taxonomy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Trained on (encoding, accuracy) pairs.
    ModelBased,
    /// Reads the partial learning curve of each queried architecture; no training phase.
    LearningCurve,
    /// Trained on partial curves and/or architecture features (LcSVR, OMNI).
    Hybrid,
    /// Scores an untrained network.
    ZeroCost,
    /// Weight-sharing supernets.
    WeightSharing,
    /// Benchmark-side reference (parameters, random).
    Baseline,
}

/// Which grid a predictor is swept over: the study's experiment types sweep model-based
/// predictors over train sizes, learning-curve predictors over fidelities, and hybrids over
/// both (spec §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sweep {
    /// Train sizes; fidelity irrelevant (model-based).
    TrainSize,
    /// Fidelities at a fixed small train set (learning-curve predictors).
    Fidelity,
    /// Every (train size, fidelity) pair (LcSVR, OMNI).
    Both,
    /// One fit and query (zero-cost, baselines).
    Single,
}

/// What a predictor needs besides the architectures themselves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requirements {
    /// The family.
    pub family: Family,
    /// Partial learning curves of these metrics, truncated to the fidelity, for train and
    /// test architectures.
    pub curves: Vec<CurveMetric>,
    /// Zero-cost scores by proxy name.
    pub zero_cost: Vec<String>,
    /// Whether the parameter count is read.
    pub params: bool,
    /// Unlabeled architectures per training architecture (SemiNAS); 0 for none.
    pub unlabeled_factor: usize,
    /// Whether the evaluator's cross-validated hyperparameter search applies (NASLib's
    /// `hpo_wrapper`); it runs through [`Predictor::tuning`], which must then be `Some`.
    pub hpo: bool,
    /// Whether the predictor learns from the training set at all.
    pub trains: bool,
    /// Whether [`Requirements::curves`] are optional features: where the benchmark has no such
    /// curve, the plan drops it and the predictor runs on what exists (OMNI) instead of the
    /// plan failing; `naspred search` runs such predictors without curves.
    #[serde(default)]
    pub curves_optional: bool,
}

impl Requirements {
    /// Requirements of a model-based predictor (encodings only, trained).
    pub fn model_based() -> Self {
        Requirements {
            family: Family::ModelBased,
            curves: Vec::new(),
            zero_cost: Vec::new(),
            params: false,
            unlabeled_factor: 0,
            hpo: false,
            trains: true,
            curves_optional: false,
        }
    }

    /// Requirements of a learning-curve predictor reading `metric`, with no training phase.
    pub fn learning_curve(metric: CurveMetric) -> Self {
        Requirements {
            family: Family::LearningCurve,
            curves: vec![metric],
            trains: false,
            ..Requirements::model_based()
        }
    }

    /// Requirements of a baseline that needs nothing (or only the parameter count).
    pub fn baseline(params: bool) -> Self {
        Requirements {
            family: Family::Baseline,
            params,
            trains: false,
            ..Requirements::model_based()
        }
    }

    /// Requirements of a zero-cost predictor (no training; it computes its own score).
    pub fn zero_cost() -> Self {
        Requirements {
            family: Family::ZeroCost,
            trains: false,
            ..Requirements::model_based()
        }
    }

    /// Requirements of a weight-sharing predictor (its fit trains a supernet; no labelled
    /// architectures are read, but it is timed and refitted like a trained predictor).
    pub fn weight_sharing() -> Self {
        Requirements {
            family: Family::WeightSharing,
            trains: true,
            ..Requirements::model_based()
        }
    }

    /// The grid this predictor is swept over.
    pub fn sweep(&self) -> Sweep {
        match (self.curves.is_empty(), self.trains) {
            (true, true) => Sweep::TrainSize,
            (false, false) => Sweep::Fidelity,
            (false, true) => Sweep::Both,
            (true, false) => Sweep::Single,
        }
    }
}

/// One architecture as a predictor sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchInput {
    /// The architecture.
    pub arch: AnyArch,
    /// Its canonical hash.
    pub hash: ArchHash,
    /// Partial curves of the requested metrics, truncated to the fidelity. Where a benchmark
    /// has only separate low-fidelity runs (NB101 4/12/36 epochs, NB201 12 epochs) the curve is
    /// the single value of the run at that fidelity.
    pub curves: Vec<(CurveMetric, Vec<f64>)>,
    /// Parameters in millions, if requested.
    pub params_m: Option<f64>,
    /// Zero-cost scores, if requested.
    pub zero_cost: Vec<(String, f64)>,
}

impl ArchInput {
    /// An input with only the architecture.
    pub fn bare(arch: AnyArch) -> Self {
        let hash = arch.arch_hash();
        ArchInput {
            arch,
            hash,
            curves: Vec::new(),
            params_m: None,
            zero_cost: Vec::new(),
        }
    }

    /// The partial curve of `metric`, if it was provided.
    pub fn curve(&self, metric: CurveMetric) -> Option<&[f64]> {
        self.curves
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, c)| c.as_slice())
    }

    /// A zero-cost score, if it was provided.
    pub fn zero_cost(&self, proxy: &str) -> Option<f64> {
        self.zero_cost
            .iter()
            .find(|(p, _)| p == proxy)
            .map(|(_, s)| *s)
    }
}

/// What a predictor knows about the setting of a fit or query.
pub struct Context<'a> {
    /// The search space.
    pub space: SpaceKind,
    /// The dataset.
    pub dataset: Dataset,
    /// The fidelity (epochs of partial curves), for predictors that read curves.
    pub fidelity: Option<u32>,
    /// Epochs of the benchmark's full schedule.
    pub total_epochs: u32,
    /// Unlabeled architectures (for semi-supervised predictors).
    pub unlabeled: &'a [ArchInput],
    /// The predictor's own random stream.
    pub rng: &'a mut PredictorRng,
}

/// Predictions with optional uncertainty.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// Predicted score (probabilistic predictors: the predictive mean) per architecture.
    pub mean: Vec<f64>,
    /// Predictive standard deviation per architecture, where the predictor has one.
    pub std: Option<Vec<f64>>,
}

/// A boxed error that can be the source of a [`PredictorError`] (any typed error of a
/// predictor's own crate, a libtorch error, an I/O error...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a predictor could not fit or query.
///
/// Failures caused by a typed error ([`PredictorError::Fit`], [`PredictorError::Query`]) keep
/// it as their [`std::error::Error::source`]; failures that have no underlying error carry a
/// reason ([`PredictorError::FitReason`], [`PredictorError::QueryReason`]). Where an error is
/// written as text (a result record), [`error_chain`] joins the message and its sources.
#[derive(Debug, Error)]
pub enum PredictorError {
    /// The predictor does not work in this setting (space, dataset, fidelity).
    #[error("{key}: unsupported: {reason}")]
    Unsupported {
        /// Predictor key.
        key: String,
        /// Why.
        reason: String,
    },
    /// An input the predictor needs is missing (e.g. a partial curve).
    #[error("{key}: missing input: {what}")]
    MissingInput {
        /// Predictor key.
        key: String,
        /// What is missing.
        what: String,
    },
    /// Fitting failed because of an underlying error (its source).
    #[error("{key}: fit failed")]
    Fit {
        /// Predictor key.
        key: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// Fitting failed for a reason that has no underlying error (invalid targets, too few
    /// architectures...).
    #[error("{key}: fit failed: {reason}")]
    FitReason {
        /// Predictor key.
        key: String,
        /// Why.
        reason: String,
    },
    /// Querying failed because of an underlying error (its source).
    #[error("{key}: query failed")]
    Query {
        /// Predictor key.
        key: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// Querying failed for a reason that has no underlying error.
    #[error("{key}: query failed: {reason}")]
    QueryReason {
        /// Predictor key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The predictor panicked while fitting or querying (e.g. a libtorch error raised by a
    /// tch method without the `f_` prefix); the evaluator caught the panic.
    #[error("{key}: panicked: {message}")]
    Panicked {
        /// Predictor key.
        key: String,
        /// The panic payload (tch's `Torch("...")` text for a libtorch error).
        message: String,
    },
    /// Query before fit.
    #[error("{key}: queried before it was fitted")]
    NotFitted {
        /// Predictor key.
        key: String,
    },
    /// A rejected hyperparameter (unknown name, bad value).
    #[error("{key}: {source}")]
    Hyperparams {
        /// Predictor key.
        key: String,
        /// What is wrong.
        #[source]
        source: HpError,
    },
    /// An unknown predictor key.
    #[error("unknown predictor {key:?}; known: {known}")]
    UnknownKey {
        /// The key asked for.
        key: String,
        /// The registry's keys.
        known: String,
    },
}

impl PredictorError {
    /// A fit failure caused by `source`.
    pub fn fit(key: impl Into<String>, source: impl Into<BoxError>) -> Self {
        PredictorError::Fit {
            key: key.into(),
            source: source.into(),
        }
    }

    /// A fit failure with a reason and no underlying error.
    pub fn fit_msg(key: impl Into<String>, reason: impl fmt::Display) -> Self {
        PredictorError::FitReason {
            key: key.into(),
            reason: reason.to_string(),
        }
    }

    /// A query failure caused by `source`.
    pub fn query(key: impl Into<String>, source: impl Into<BoxError>) -> Self {
        PredictorError::Query {
            key: key.into(),
            source: source.into(),
        }
    }

    /// A query failure with a reason and no underlying error.
    pub fn query_msg(key: impl Into<String>, reason: impl fmt::Display) -> Self {
        PredictorError::QueryReason {
            key: key.into(),
            reason: reason.to_string(),
        }
    }

    /// A caught panic of `key`, with the panic payload as message where it is a `&str` or a
    /// `String` (tch's libtorch errors are).
    pub fn panicked(key: impl Into<String>, payload: &(dyn std::any::Any + Send)) -> Self {
        PredictorError::Panicked {
            key: key.into(),
            message: panic_message(payload),
        }
    }

    /// Whether this is a fit failure ([`PredictorError::Fit`] or [`PredictorError::FitReason`]).
    pub fn is_fit(&self) -> bool {
        matches!(
            self,
            PredictorError::Fit { .. } | PredictorError::FitReason { .. }
        )
    }

    /// Whether this is a query failure ([`PredictorError::Query`] or
    /// [`PredictorError::QueryReason`]).
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            PredictorError::Query { .. } | PredictorError::QueryReason { .. }
        )
    }
}

/// The whole text of a panic payload (`panic!` with a literal gives `&str`, with a format
/// string `String`); `None` for any other payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// The text of a panic payload: the `&str` or `String` it holds, else a placeholder.
///
/// Only the first line is kept (up to a newline, or an escaped `\n` as in tch's
/// `Torch("...")` text), with ` [...]` marking the cut: libtorch appends its C++ stack frames
/// to every error message, which say nothing to a reader of the results.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let Some(text) = panic_text(payload) else {
        return "panic with a non-string payload".to_string();
    };
    let cut = [text.find('\n'), text.find("\\n")]
        .into_iter()
        .flatten()
        .min();
    match cut {
        Some(i) => format!("{} [...]", text[..i].trim_end()),
        None => text.to_string(),
    }
}

thread_local! {
    /// How many [`catch_predictor_panic`] calls are running on this thread.
    static CAUGHT_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs one fit or query of predictor `key` so that a panic inside it (a libtorch error raised
/// by a tch method without the `f_` prefix, an index out of bounds...) becomes a
/// [`PredictorError::Panicked`] instead of unwinding through the caller: a sweep records the
/// failure and goes on with its other points.
///
/// While `f` runs, [`in_caught_call`] is true on this thread, so that a panic hook can stay
/// quiet about panics that are caught here.
pub fn catch_predictor_panic<T>(
    key: &str,
    f: impl FnOnce() -> Result<T, PredictorError>,
) -> Result<T, PredictorError> {
    /// Decrements the depth even when `f` unwinds.
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CAUGHT_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    CAUGHT_DEPTH.with(|d| d.set(d.get() + 1));
    let depth = Depth;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    drop(depth);
    result.unwrap_or_else(|payload| Err(PredictorError::panicked(key, payload.as_ref())))
}

/// Whether the current thread is inside [`catch_predictor_panic`], i.e. a panic now will be
/// caught and recorded as a [`PredictorError::Panicked`] (for panic hooks).
pub fn in_caught_call() -> bool {
    CAUGHT_DEPTH.with(|d| d.get() > 0)
}

/// An error and its sources as one line: the top message, then each source's message joined
/// with `": "`. A source whose text the line already contains (an error that prints its source
/// itself) is not repeated. This is the text a result record stores.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = e.source();
    }
    out
}

/// A performance predictor.
///
/// The evaluator calls [`Predictor::fit`] once per (train size, fidelity) grid point (the
/// predictor's initialisation, timed as `fit_time`) and then [`Predictor::query`] on the test
/// set (timed per architecture as `query_time`). Scores only need to rank like the true
/// accuracies: higher is better.
pub trait Predictor {
    /// The NASLib key (`xgb`, `valacc`, ...).
    fn key(&self) -> &str;

    /// What the predictor needs.
    fn requirements(&self) -> Requirements;

    /// Fits on the training architectures and their targets (percent accuracy).
    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError>;

    /// Predicts a score for each test architecture.
    fn query(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError>;

    /// Predicts a mean and, for probabilistic predictors (GPs, NGBoost, Bayesian linear
    /// regression, ensembles), a predictive standard deviation per test architecture, in the
    /// units of the targets. The evaluator calls this method; the default has no uncertainty.
    fn query_dist(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        Ok(Prediction {
            mean: self.query(test, ctx)?,
            std: None,
        })
    }

    /// Compute seconds of cached work (e.g. zero-cost scores read from the on-disk score
    /// cache) that the `fit` and `query` calls since the last call of this method reused, as
    /// recorded when the work was first done; the counter is reset. The evaluator adds them to
    /// the fit and query times, so that a warm cache does not make a predictor look cheaper
    /// than it is. The value may be negative: a predictor that did work for others during
    /// the calls (a zero-cost predictor computing its companions' proxies in its pass) gives
    /// that work's wall seconds back, so that it is charged its own share only. Default:
    /// nothing cached.
    fn take_reused_seconds(&mut self) -> f64 {
        0.0
    }

    /// The current hyperparameters, for reporting (`hp_<name>` in result records). Tunable
    /// predictors report their [`Tunable::hyperparams`]; others may report settings or
    /// diagnostics that cannot be set.
    fn hyperparams(&self) -> Hyperparams {
        Hyperparams::new()
    }

    /// The hyperparameter-search state, for predictors with tunable hyperparameters (NASLib's
    /// `set_random_hyperparams` / `set_hyperparams` / `reset_hyperparams`, typed and
    /// validated: see [`crate::hpo`]). The evaluator resets it before every evaluation point
    /// and, where [`Requirements::hpo`] is set, runs its cross-validated search through it.
    /// Default: nothing to tune.
    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        None
    }
}

/// Builds fresh predictors by key; the registry of `naspred-predictors` implements it.
pub trait PredictorFactory: Sync {
    /// A new predictor for `key` in this setting.
    fn build(
        &self,
        key: &str,
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError>;

    /// The requirements of `key` without building it.
    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError>;
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::ModelBased => "model-based",
            Family::LearningCurve => "learning curve",
            Family::Hybrid => "hybrid",
            Family::ZeroCost => "zero-cost",
            Family::WeightSharing => "weight sharing",
            Family::Baseline => "baseline",
        })
    }
}
