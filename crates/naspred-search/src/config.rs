//! What a search run is: the optimizer, its predictor and acquisition, budgets and NASLib's
//! defaults ([`SearchConfig`]), and the errors of a run ([`SearchError`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use naspred_data::{DataError, TargetMode};
use naspred_eval::PredictorError;
use naspred_spaces::{Quirks, SpaceError, SpaceKind};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The search strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// BANANAS-style Bayesian optimisation: an ensemble of predictors scores fresh random
    /// candidates with an acquisition function (NASLib `bananas`).
    Bo,
    /// NPENAS-style predictor-guided evolution: one predictor scores one-step mutations of the
    /// best architectures so far (NASLib `npenas`).
    Evolution,
    /// Random search (no predictor).
    Rs,
    /// Regularised evolution (aging evolution; no predictor).
    Re,
}

impl OptimizerKind {
    /// All strategies.
    pub const ALL: [OptimizerKind; 4] = [
        OptimizerKind::Bo,
        OptimizerKind::Evolution,
        OptimizerKind::Rs,
        OptimizerKind::Re,
    ];

    /// The command-line name (`bo`, `evolution`, `rs`, `re`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Bo => "bo",
            OptimizerKind::Evolution => "evolution",
            OptimizerKind::Rs => "rs",
            OptimizerKind::Re => "re",
        }
    }

    /// Whether the strategy is guided by a predictor.
    pub fn uses_predictor(self) -> bool {
        matches!(self, OptimizerKind::Bo | OptimizerKind::Evolution)
    }

    /// Whether the strategy mutates architectures (not possible in NAS-Bench-NLP).
    pub fn mutates(self) -> bool {
        matches!(self, OptimizerKind::Evolution | OptimizerKind::Re)
    }

    /// NASLib's acquisition for the strategy: ITS for BO, the predicted mean for evolution.
    pub fn default_acquisition(self) -> Acquisition {
        match self {
            OptimizerKind::Evolution => Acquisition::Exploit,
            _ => Acquisition::Its,
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bo" | "bananas" => Ok(OptimizerKind::Bo),
            "evolution" | "npenas" => Ok(OptimizerKind::Evolution),
            "rs" | "random" | "random_search" => Ok(OptimizerKind::Rs),
            "re" | "regularized_evolution" | "regularised_evolution" => Ok(OptimizerKind::Re),
            _ => Err(SearchError::Config(format!(
                "unknown optimizer {s:?}; known: bo, evolution, rs, re"
            ))),
        }
    }
}

/// How candidates are scored from the ensemble's mean and spread (NASLib's
/// `acquisition_functions.py`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acquisition {
    /// Independent Thompson sampling: one draw from N(mean, std) per candidate.
    Its,
    /// Upper confidence bound: mean + explore_factor x std.
    Ucb,
    /// Expected improvement over the best queried value, with std divided by the calibration
    /// factor.
    Ei,
    /// The predicted mean (NASLib `exploit_only`).
    Exploit,
}

impl Acquisition {
    /// The command-line name (`its`, `ucb`, `ei`, `exploit`).
    pub fn name(self) -> &'static str {
        match self {
            Acquisition::Its => "its",
            Acquisition::Ucb => "ucb",
            Acquisition::Ei => "ei",
            Acquisition::Exploit => "exploit",
        }
    }
}

impl fmt::Display for Acquisition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Acquisition {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "its" => Ok(Acquisition::Its),
            "ucb" => Ok(Acquisition::Ucb),
            "ei" => Ok(Acquisition::Ei),
            "exploit" | "exploit_only" | "mean" => Ok(Acquisition::Exploit),
            _ => Err(SearchError::Config(format!(
                "unknown acquisition {s:?}; known: its, ucb, ei, exploit"
            ))),
        }
    }
}

/// Where the spread of a prediction comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Uncertainty {
    /// The population standard deviation over an ensemble of predictors fitted with different
    /// random streams (NASLib).
    Ensemble,
    /// One predictor's own predictive standard deviation ([`naspred_eval::Predictor::query_dist`];
    /// GP, NGBoost, Bayesian linear regression).
    Own,
}

impl FromStr for Uncertainty {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ensemble" => Ok(Uncertainty::Ensemble),
            "own" | "predictor" => Ok(Uncertainty::Own),
            _ => Err(SearchError::Config(format!(
                "unknown uncertainty {s:?}; known: ensemble, own"
            ))),
        }
    }
}

impl fmt::Display for Uncertainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Uncertainty::Ensemble => "ensemble",
            Uncertainty::Own => "own",
        })
    }
}

/// One search run: a strategy on one benchmark, repeated over trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// The strategy.
    pub optimizer: OptimizerKind,
    /// Predictor key (registry) for `bo` and `evolution`; `None` for the baselines.
    pub predictor: Option<String>,
    /// Acquisition function (default: the strategy's NASLib default).
    pub acquisition: Acquisition,
    /// Where the spread for the acquisition comes from.
    pub uncertainty: Uncertainty,
    /// Query budget: architectures queried per trial (the paper: 500).
    pub queries: usize,
    /// Optional simulated-time budget in seconds: the benchmark training times of the queried
    /// architectures plus predictor fit time; a trial stops before the query that would start
    /// beyond it.
    pub time_budget_s: Option<f64>,
    /// Trials.
    pub trials: usize,
    /// Base seed; every random stream of trial `t` is derived from (seed, t).
    pub seed: u64,
    /// Random architectures queried before the first predictor fit (NASLib: 20).
    pub num_init: usize,
    /// Architectures chosen per predictor fit (NASLib: 20).
    pub k: usize,
    /// Ensemble size (NASLib: 3 for BO, 1 for evolution).
    pub num_ensemble: usize,
    /// Fresh random candidates per BO iteration (NASLib: 200).
    pub num_candidates: usize,
    /// Best architectures mutated per evolution iteration (NASLib: 5); each gives
    /// `num_candidates / num_arches_to_mutate` one-step mutations.
    pub num_arches_to_mutate: usize,
    /// UCB exploration factor (NASLib: 0.5).
    pub explore_factor: f64,
    /// EI calibration factor (NASLib: 5).
    pub ei_calibration_factor: f64,
    /// Regularised evolution: population size.
    pub population_size: usize,
    /// Regularised evolution: tournament size.
    pub sample_size: usize,
    /// Never query an architecture twice (default). `false` is NASLib's behaviour: candidates
    /// are not checked against the queried architectures, and a repeat costs a query.
    pub dedup: bool,
    /// NASLib's quirks (mutation), faithful by default.
    pub quirks: Quirks,
    /// The value a query returns: mean over the training seeds (default), or one seed at random.
    pub target: TargetMode,
}

impl SearchConfig {
    /// The settings of NASLib's `nas_predictors` experiment configurations for `optimizer`
    /// (500 queries, 20 initial architectures, an ensemble of 3 predictors for BO, 200
    /// candidates from 5 mutated parents, population 100 / sample 25 for evolution; spec §4),
    /// with de-duplication on.
    pub fn naslib(optimizer: OptimizerKind, predictor: Option<String>) -> Self {
        SearchConfig {
            optimizer,
            predictor,
            acquisition: optimizer.default_acquisition(),
            uncertainty: Uncertainty::Ensemble,
            queries: 500,
            time_budget_s: None,
            trials: 20,
            seed: 0,
            num_init: 20,
            k: 20,
            num_ensemble: if optimizer == OptimizerKind::Bo { 3 } else { 1 },
            num_candidates: 200,
            num_arches_to_mutate: 5,
            explore_factor: 0.5,
            ei_calibration_factor: 5.0,
            population_size: 100,
            sample_size: 25,
            dedup: true,
            quirks: Quirks::Faithful,
            target: TargetMode::MeanOverSeeds,
        }
    }

    /// Checks the settings against each other and the space.
    pub fn validate(&self, space: SpaceKind) -> Result<(), SearchError> {
        let bad = |m: &str| Err(SearchError::Config(m.to_string()));
        if self.queries == 0 {
            return bad("queries must be positive");
        }
        if self.trials == 0 {
            return bad("trials must be positive");
        }
        if self.optimizer.uses_predictor() {
            if self.predictor.is_none() {
                return Err(SearchError::Config(format!(
                    "optimizer {} needs a predictor (--predictor KEY)",
                    self.optimizer
                )));
            }
            if self.num_init == 0 || self.k == 0 || self.num_candidates == 0 {
                return bad("num_init, k and num_candidates must be positive");
            }
            if self.num_ensemble == 0 {
                return bad("the ensemble needs at least one member");
            }
            if self.optimizer == OptimizerKind::Evolution
                && (self.num_arches_to_mutate == 0
                    || self.num_candidates < self.num_arches_to_mutate)
            {
                return bad("evolution needs 1 <= num_arches_to_mutate <= num_candidates");
            }
        } else if self.predictor.is_some() {
            return Err(SearchError::Config(format!(
                "optimizer {} uses no predictor; drop --predictor",
                self.optimizer
            )));
        }
        if self.optimizer == OptimizerKind::Re
            && (self.population_size == 0
                || self.sample_size == 0
                || self.sample_size > self.population_size)
        {
            return bad("regularised evolution needs 1 <= sample_size <= population_size");
        }
        if let Some(t) = self.time_budget_s {
            if t.is_nan() || t <= 0.0 {
                return bad("the time budget must be positive");
            }
        }
        if !(self.explore_factor.is_finite() && self.ei_calibration_factor > 0.0) {
            return bad("explore_factor must be finite and ei_calibration_factor positive");
        }
        if self.optimizer.mutates() && space == SpaceKind::Nlp {
            return Err(SearchError::Unsupported {
                space,
                what: format!(
                    "{}: NAS-Bench-NLP cells have no mutation (use bo or rs)",
                    self.optimizer
                ),
            });
        }
        Ok(())
    }

    /// A name for the run's folder and plot legend, e.g. `bo-xgb-its`, `rs`, `re`.
    pub fn label(&self) -> String {
        let mut s = self.optimizer.name().to_string();
        if let Some(p) = &self.predictor {
            s.push('-');
            s.push_str(p);
            if self.acquisition != self.optimizer.default_acquisition() {
                s.push('-');
                s.push_str(self.acquisition.name());
            }
            if self.uncertainty == Uncertainty::Own {
                s.push_str("-own");
            }
        }
        if !self.dedup {
            s.push_str("-nodedup");
        }
        s
    }

    /// The settings that decide the trials' contents (everything but the trial count), for
    /// checking that a resumed run continues the same experiment.
    pub(crate) fn identity(&self) -> SearchConfig {
        SearchConfig {
            trials: 0,
            ..self.clone()
        }
    }
}

/// Why a search could not run.
#[derive(Debug, Error)]
pub enum SearchError {
    /// Inconsistent or invalid settings.
    #[error("search settings: {0}")]
    Config(String),
    /// The space or benchmark cannot serve this search.
    #[error("{space}: unsupported: {what}")]
    Unsupported {
        /// The space.
        space: SpaceKind,
        /// What is unsupported.
        what: String,
    },
    /// A predictor failed.
    #[error(transparent)]
    Predictor(#[from] PredictorError),
    /// A space operation failed.
    #[error(transparent)]
    Space(#[from] SpaceError),
    /// Benchmark data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Reading or writing results failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A results file is malformed or belongs to another experiment.
    #[error("{path}: {reason}")]
    Results {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl SearchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SearchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
