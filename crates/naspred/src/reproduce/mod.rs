//! `naspred reproduce`: the study's experiments from this workspace's own code, run as
//! resumable, shardable work units, and the report built from their records.
//!
//! * [`Suite`]: the experiments of a [`Mode`] (`quick`, `nb201` or `full`) on a set of spaces — the
//!   train-size sweeps of the model-based predictors, the fidelity sweeps of the learning-curve
//!   predictors, the zero-cost predictors, the hybrids (LcSVR) and OMNI, the mutation test set
//!   and predictor-guided NAS runs.
//! * [`Unit`]: one (experiment, predictor or search run, trial) piece of work; [`Shard`]
//!   partitions the units deterministically (`--shard i/n`, unit k goes to shard k mod n).
//! * [`run_suite`]: runs one shard's units, appending [`ResultRecord`]s to
//!   `OUT/<experiment>/results[.shard-i-of-n].jsonl` and search queries to
//!   `OUT/<experiment>/<run>/trial_NNN.jsonl`; a rerun skips what is done.
//! * [`report`]: reads every shard's records back and writes `REPORT.md`, SVG figures, CSV and
//!   JSON (no number in them is typed by hand).
//! * [`cost`]: what a suite costs before it runs (`--plan`), from a cost table measured on this
//!   machine (`--calibrate`).
//! * [`figure1`]: the study's Figure 1 as SVG (best-predictor maps, tau against both time
//!   axes); [`findings`]: the study's claims checked against the records, with explicit
//!   verdict rules.

pub mod cost;
pub mod figure1;
pub mod findings;
pub mod report;

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use naspred_data::{Benchmark, DataRoot, Dataset};
use naspred_eval::grid;
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::read_records;
use naspred_eval::{error_chain, Family, TestSetMode};
use naspred_search::{read_trial, OptimizerKind, SearchConfig, Searcher};
use naspred_spaces::SpaceKind;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::registry::Registry;

pub use report::{write_report, ReportOptions};

/// Why a reproduction could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReproError {
    /// A bad argument (shard, spaces, mode).
    #[error("{0}")]
    Config(String),
    /// File trouble.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The evaluation protocol failed.
    #[error(transparent)]
    Eval(#[from] naspred_eval::EvalError),
    /// A search failed.
    #[error(transparent)]
    Search(#[from] naspred_search::SearchError),
    /// Benchmark data could not be loaded.
    #[error(transparent)]
    Data(#[from] naspred_data::DataError),
    /// A suite names a predictor key that is not in the registry.
    #[error("experiment {experiment}: predictor {key:?} is not in the registry")]
    UnknownPredictor {
        /// The experiment's id.
        experiment: String,
        /// The unknown key.
        key: String,
    },
}

impl ReproError {
    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        ReproError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// How big the reproduction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A reduced grid, few trials: about 9-11 minutes on 2 cores from a cold zero-cost cache.
    Quick,
    /// The paper's scale: the study's grids and 100 trials (NAS: 100-200 trials, 500 queries).
    Full,
    /// NB201 CIFAR-10 at the paper's grid: every predictor family (16 model-based predictors at
    /// the 11 train sizes, the learning-curve predictors and LcSVR at the fidelities the data
    /// holds, the 13 zero-cost proxies, OneShot and RS-WS, both OMNIs), uniform and mutation
    /// test sets, NAS; plus the learning-curve experiments of the spaces with whole curves
    /// (NAS-Bench-NLP, NB101's 4/12/36 epochs, the trained NB201 mini-benchmark).
    Nb201,
}

impl Mode {
    /// `quick`, `full` or `nb201`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
            Mode::Nb201 => "nb201",
        }
    }

    /// The zero-cost minibatch this preset runs at unless one is asked for: the NB201 preset
    /// uses 64, the batch of the precomputed NB201 table in `data/zerocost/` (so jacov, nwot,
    /// synflow, flops and params are read, not recomputed); the others the predictors' default.
    pub fn zc_batch(self) -> Option<usize> {
        match self {
            Mode::Nb201 => Some(64),
            Mode::Quick | Mode::Full => None,
        }
    }
}

/// Where an experiment's architectures and accuracies come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The space's benchmark in the data root (NB201: the embedded table).
    #[default]
    Benchmark,
    /// The project's own trained NB201 mini-benchmark, `train/nb201_mini.jsonl.gz` in the data
    /// root (per-epoch curves of 100 architectures, `naspred train`).
    Nb201Mini,
}

impl Source {
    /// The experiment-id prefix of a space from this source.
    pub fn prefix(self, space: SpaceKind) -> String {
        match self {
            Source::Benchmark => space.name().to_string(),
            Source::Nb201Mini => format!("{}mini", space.name()),
        }
    }
}

/// The mini-benchmark's file in a data root.
pub const NB201_MINI: &str = "train/nb201_mini.jsonl.gz";

/// What an experiment is about (decides where the report shows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Train-size sweeps of model-based predictors (and baselines).
    TrainSize,
    /// Fidelity sweeps of learning-curve predictors.
    Fidelity,
    /// Zero-cost predictors (one fit-free evaluation per trial).
    ZeroCost,
    /// Hybrids swept over train size x fidelity (LcSVR).
    Hybrid,
    /// OMNI (`omni_ngb`, `omni_seminas`) over its own train size x fidelity grid.
    Omni,
    /// The train-size sweep repeated with mutation-based test and train sets.
    Mutation,
    /// Predictor-guided NAS.
    Nas,
}

/// The predictor-guided NAS runs of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NasSpec {
    /// One configuration per run (optimizer + predictor); all share trials and budget.
    pub runs: Vec<SearchConfig>,
    /// Trials per run.
    pub trials: usize,
    /// Query checkpoints of the report's table.
    pub checkpoints: Vec<usize>,
}

/// What an experiment runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// The predictor-evaluation protocol.
    Eval(EvalConfig),
    /// Search runs.
    Nas(NasSpec),
}

/// One experiment of the suite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Folder name under OUT, e.g. `nb201-cifar10-trainsize`.
    pub id: String,
    /// Search space.
    pub space: SpaceKind,
    /// Dataset.
    pub dataset: Dataset,
    /// What it is about.
    pub role: Role,
    /// What it runs.
    pub work: Work,
    /// Where its data comes from.
    #[serde(default)]
    pub source: Source,
}

impl Experiment {
    /// Predictor keys (evaluation) or run labels (search), the `part` of its units.
    pub fn parts(&self) -> Vec<String> {
        match &self.work {
            Work::Eval(c) => c.predictors.clone(),
            Work::Nas(n) => n.runs.iter().map(SearchConfig::label).collect(),
        }
    }

    /// Trials per part.
    pub fn trials(&self) -> usize {
        match &self.work {
            Work::Eval(c) => c.trials,
            Work::Nas(n) => n.trials,
        }
    }
}

/// The experiments of a reproduction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// Quick or full.
    pub mode: Mode,
    /// Spaces included.
    pub spaces: Vec<SpaceKind>,
    /// The experiments, in run order.
    pub experiments: Vec<Experiment>,
}

/// The spaces of the study, in report order.
pub const ALL_SPACES: [SpaceKind; 4] = [
    SpaceKind::Nb201,
    SpaceKind::Nlp,
    SpaceKind::Nb101,
    SpaceKind::Darts,
];

/// The dataset the reproduction uses for a space.
pub fn dataset_of(space: SpaceKind) -> Dataset {
    match space {
        SpaceKind::Nlp => Dataset::Wikitext2,
        _ => Dataset::Cifar10,
    }
}

/// OMNI's keys (built by another part of the workspace; included by key). `--quick` runs the
/// first two (the NGBoost variants).
pub const OMNI_KEYS: [&str; 3] = ["omni_ngb", "omni_ngb_valacc", "omni_seminas"];

/// Whether a registry key is an OMNI variant (`omni_*`, faithful variants included).
pub fn is_omni_key(key: &str) -> bool {
    key.starts_with("omni_")
}

/// Every key must be in the registry: an unknown key is an error, never a silent skip.
fn registered(experiment: &str, keys: &[&str]) -> Result<Vec<String>, ReproError> {
    keys.iter()
        .map(|k| match Registry::info(k) {
            Ok(_) => Ok(k.to_string()),
            Err(_) => Err(ReproError::UnknownPredictor {
                experiment: experiment.to_string(),
                key: k.to_string(),
            }),
        })
        .collect()
}

/// Test set size and train-size grid the data of this workspace allows for a space.
///
/// NB201 and NB101 can be sampled from the whole space (the study's 200 test architectures,
/// train sizes up to 1000). The NLP benchmark here holds 275 usable architectures and the
/// DARTS sample 500, so test + train (+ unlabeled for the semi-supervised predictors) must
/// fit: NLP 100 test and train sizes up to 121, DARTS 100 test and train sizes up to 316.
pub fn data_grid(space: SpaceKind) -> (usize, Vec<usize>) {
    let sizes = grid::train_sizes(space);
    match space {
        SpaceKind::Nlp => (100, sizes.into_iter().filter(|&n| n <= 121).collect()),
        SpaceKind::Darts => (100, sizes.into_iter().filter(|&n| n <= 316).collect()),
        _ => (grid::default_test_size(space), sizes),
    }
}

fn eval_cfg(
    space: SpaceKind,
    predictors: Vec<String>,
    sizes: Vec<usize>,
    fidelities: Option<Vec<u32>>,
    trials: usize,
    test_size: usize,
) -> EvalConfig {
    let mut c = EvalConfig::study_defaults(space, predictors);
    c.train_sizes = sizes;
    c.fidelities = fidelities;
    c.trials = trials;
    c.test_size = test_size;
    c.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    c
}

/// Which entries of a space's grid (train sizes or fidelities) an experiment uses.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The whole grid.
    All,
    /// The entries at these indices (indices past the end are ignored).
    Pick(&'static [usize]),
    /// The grid without its first `.0` and its last `.1` entries.
    Trim(usize, usize),
}

impl Cut {
    fn apply<T: Copy>(self, grid: &[T]) -> Vec<T> {
        match self {
            Cut::All => grid.to_vec(),
            Cut::Pick(idx) => idx.iter().filter_map(|&i| grid.get(i).copied()).collect(),
            Cut::Trim(front, back) => grid
                .get(front..grid.len().saturating_sub(back))
                .map(<[T]>::to_vec)
                .unwrap_or_default(),
        }
    }
}

/// The train sizes of an experiment.
#[derive(Clone, Copy, Debug)]
enum Sizes {
    /// A cut of the space's train-size grid ([`data_grid`]).
    Grid(Cut),
    /// These sizes.
    Fixed(&'static [usize]),
}

/// The fidelities of an experiment.
#[derive(Clone, Copy, Debug)]
enum Fids {
    /// The protocol's default (`EvalConfig::fidelities = None`).
    Default,
    /// A cut of the space's fidelity grid ([`grid::fidelities`]), after removing the entry at
    /// index `without` when given.
    Grid { without: Option<usize>, cut: Cut },
}

/// The test-set size of an experiment.
#[derive(Clone, Copy, Debug)]
enum TestSize {
    /// What the space's data allows ([`data_grid`]).
    Data,
    /// This many architectures.
    Fixed(usize),
}

/// How an experiment runs its keys.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// The evaluation protocol over a grid; `hpo` turns on the protocol's default
    /// hyperparameter search (off otherwise).
    Eval {
        sizes: Sizes,
        fids: Fids,
        test: TestSize,
        test_set: TestSetMode,
        hpo: bool,
    },
    /// Predictor-guided NAS: random search and regularized evolution without a predictor, then
    /// BO and evolution with each key's predictor, `queries` queries per run.
    Nas { queries: usize },
}

/// One row of a suite: an experiment of one space.
#[derive(Clone, Copy, Debug)]
struct Plan {
    space: SpaceKind,
    /// The id's last part (`nb201-cifar10-<what>`).
    what: &'static str,
    role: Role,
    /// Predictor keys, each checked against the registry.
    keys: &'static [&'static str],
    trials: usize,
    run: Run,
    source: Source,
}

impl Run {
    /// An evaluation over the uniform test set without hyperparameter search.
    const fn eval(sizes: Sizes, fids: Fids, test: TestSize) -> Run {
        Run::Eval {
            sizes,
            fids,
            test,
            test_set: TestSetMode::Uniform,
            hpo: false,
        }
    }

    /// With the protocol's hyperparameter search.
    const fn with_hpo(self) -> Run {
        let mut r = self;
        if let Run::Eval { hpo, .. } = &mut r {
            *hpo = true;
        }
        r
    }

    /// On the mutation test set.
    const fn on_mutations(self) -> Run {
        let mut r = self;
        if let Run::Eval { test_set, .. } = &mut r {
            *test_set = TestSetMode::Mutation;
        }
        r
    }
}

// The key lists of the suites.

/// Cheap model-based predictors and the baselines.
const CHEAP: &[&str] = &[
    "xgb",
    "lgb",
    "rf",
    "ngb",
    "gp",
    "bayes_lin_reg",
    "params",
    "random",
];
/// [`CHEAP`] without `params`: the NLP benchmark and the DARTS sample have no parameter counts.
const CHEAP_NO_PARAMS: &[&str] = &["xgb", "lgb", "rf", "ngb", "gp", "bayes_lin_reg", "random"];
/// [`CHEAP`] and every neural / Bayesian model-based predictor.
const MODEL_BASED: &[&str] = &[
    "xgb",
    "lgb",
    "rf",
    "ngb",
    "gp",
    "bayes_lin_reg",
    "params",
    "random",
    "mlp",
    "bananas",
    "gcn",
    "bonas",
    "seminas",
    "nao",
    "dngo",
    "bohamiann",
    "sparse_gp",
    "var_sparse_gp",
];
/// [`MODEL_BASED`] without `params` (the DARTS sample).
const MODEL_BASED_NO_PARAMS: &[&str] = &[
    "xgb",
    "lgb",
    "rf",
    "ngb",
    "gp",
    "bayes_lin_reg",
    "random",
    "mlp",
    "bananas",
    "gcn",
    "bonas",
    "seminas",
    "nao",
    "dngo",
    "bohamiann",
    "sparse_gp",
    "var_sparse_gp",
];
/// NLP's model-based predictors: no `params`, and of the neural ones only MLP, BANANAS and GCN
/// (SemiNAS's unlabeled set would not fit beside the test and train sets).
const MODEL_BASED_NLP: &[&str] = &[
    "xgb",
    "lgb",
    "rf",
    "ngb",
    "gp",
    "bayes_lin_reg",
    "random",
    "mlp",
    "bananas",
    "gcn",
];
/// Learning-curve predictors on NLP (the only benchmark here with full curves).
const LC_NLP: &[&str] = &["valacc", "valloss", "sotl", "sotle", "lce", "lce_m"];
/// [`LC_NLP`] without LCE and LCE-m: they fit each test curve by MCMC, seconds per
/// architecture here, so `--full` only.
const LC_NLP_QUICK: &[&str] = &["valacc", "valloss", "sotl", "sotle"];
/// The zero-cost predictors.
const ZERO_COST: &[&str] = &[
    "jacov",
    "snip",
    "grad_norm",
    "grasp",
    "fisher",
    "synflow",
    "nwot",
    "epe_nas",
    "zen",
    "l2_norm",
    "plain",
    "flops",
    "zc_params",
];
/// The zero-cost predictors the precomputed NB201 table serves (at its batch, 64).
const ZC_TABLE: &[&str] = &["jacov", "synflow", "nwot", "flops", "zc_params"];
/// The zero-cost predictors computed per architecture ([`ZERO_COST`] without [`ZC_TABLE`]).
const ZC_COMPUTED: &[&str] = &[
    "snip",
    "grad_norm",
    "grasp",
    "fisher",
    "epe_nas",
    "zen",
    "l2_norm",
    "plain",
];
/// The predictors of the NAS runs (the study's order).
const NAS_KEYS: &[&str] = &[
    "omni_seminas",
    "bananas",
    "mlp",
    "lgb",
    "gcn",
    "bonas",
    "xgb",
    "ngb",
    "rf",
    "dngo",
    "bohamiann",
    "bayes_lin_reg",
    "gp",
    "seminas",
    "sparse_gp",
    "var_sparse_gp",
    "nao",
];
/// [`NAS_KEYS`] on NB101, without `omni_seminas` and `bonas`.
const NAS_KEYS_NB101: &[&str] = &[
    "bananas",
    "mlp",
    "lgb",
    "gcn",
    "xgb",
    "ngb",
    "rf",
    "dngo",
    "bohamiann",
    "bayes_lin_reg",
    "gp",
    "seminas",
    "sparse_gp",
    "var_sparse_gp",
    "nao",
];

/// Every fifth-ish train size of the grid, `--quick`'s sweep.
const QUICK_SIZES: Sizes = Sizes::Grid(Cut::Pick(&[1, 3, 5, 7, 9]));
/// The whole train-size grid.
const ALL_SIZES: Sizes = Sizes::Grid(Cut::All);

use SpaceKind::{Darts, Nb101, Nb201, Nlp};

/// `--quick`: a reduced grid and few trials (about 9-11 minutes on 2 cores from a cold
/// zero-cost cache).
///
/// NB201 and NB101 have the 12-epoch (NB101: 4/12/36) runs only, so their learning-curve
/// predictor is `valacc` on the default fidelities; the DARTS sample has no curves. OMNI keeps
/// its NGBoost variants on NLP (one train size, three fidelities) and `omni_ngb` on NB201
/// (jacov + encoding; one train size, 30 test architectures, as the zero-cost run): OMNI's
/// 35-config CV and omni_seminas's fits, and jacov on CPU for NB201's train and test networks,
/// take minutes per grid point on 2 cores. Mutation test sets need a benchmark covering the
/// whole space (NB201 here; the NB101 data is a 20k sample). Only NB201 runs NAS.
const QUICK: &[Plan] = &[
    Plan {
        space: Nb201,
        what: "trainsize",
        role: Role::TrainSize,
        keys: CHEAP,
        trials: 4,
        run: Run::eval(QUICK_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "trainsize-neural",
        role: Role::TrainSize,
        keys: &["mlp"],
        trials: 2,
        run: Run::eval(
            Sizes::Grid(Cut::Pick(&[2, 5])),
            Fids::Default,
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 4,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "omni",
        role: Role::Omni,
        keys: &["omni_ngb"],
        trials: 2,
        // the embedded NB201 data has one low fidelity (12 epochs)
        run: Run::eval(
            Sizes::Grid(Cut::Pick(&[6])),
            Fids::Default,
            TestSize::Fixed(30),
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "zerocost",
        role: Role::ZeroCost,
        keys: &["jacov", "synflow", "flops", "zc_params"],
        trials: 2,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Fixed(30)),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "mutation",
        role: Role::Mutation,
        keys: &["xgb", "rf", "gp", "bayes_lin_reg"],
        trials: 4,
        run: Run::eval(QUICK_SIZES, Fids::Default, TestSize::Data).on_mutations(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "nas",
        role: Role::Nas,
        keys: &["bayes_lin_reg", "rf"],
        trials: 3,
        run: Run::Nas { queries: 100 },
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "trainsize",
        role: Role::TrainSize,
        keys: CHEAP_NO_PARAMS,
        trials: 3,
        run: Run::eval(QUICK_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "fidelity",
        role: Role::Fidelity,
        keys: LC_NLP_QUICK,
        trials: 6,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "hybrid",
        role: Role::Hybrid,
        keys: &["lcsvr"],
        trials: 3,
        run: Run::eval(
            Sizes::Grid(Cut::Pick(&[3, 6, 9])),
            Fids::Grid {
                without: None,
                cut: Cut::Pick(&[3, 6, 9, 12]),
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "omni",
        role: Role::Omni,
        keys: &["omni_ngb", "omni_ngb_valacc"],
        trials: 2,
        run: Run::eval(
            Sizes::Grid(Cut::Pick(&[6])),
            Fids::Grid {
                without: Some(1),
                cut: Cut::Pick(&[2, 5, 8]),
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "trainsize",
        role: Role::TrainSize,
        keys: CHEAP,
        trials: 3,
        run: Run::eval(QUICK_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 4,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Darts,
        what: "trainsize",
        role: Role::TrainSize,
        keys: CHEAP_NO_PARAMS,
        trials: 3,
        run: Run::eval(QUICK_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
];

/// `--full`: the study's grids and 100 trials (NAS on NB201: 200), model-based predictors with
/// the protocol's hyperparameter search.
///
/// LcSVR drops the first train size and the first two fidelities, OMNI the first and last
/// train size and the second fidelity, as NASLib's experiment scripts do (spec §2.1). NB101's
/// NAS leaves out `omni_seminas` and `bonas`; the DARTS sample (500 architectures, no
/// surrogate) runs no NAS: search over a 500-list is not the paper's experiment.
const FULL: &[Plan] = &[
    Plan {
        space: Nb201,
        what: "trainsize",
        role: Role::TrainSize,
        keys: MODEL_BASED,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).with_hpo(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "omni",
        role: Role::Omni,
        keys: &OMNI_KEYS,
        trials: 100,
        // the embedded NB201 data has one low fidelity (12 epochs)
        run: Run::eval(Sizes::Grid(Cut::Trim(1, 1)), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "zerocost",
        role: Role::ZeroCost,
        keys: ZERO_COST,
        trials: 100,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "mutation",
        role: Role::Mutation,
        keys: CHEAP,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).on_mutations(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "nas",
        role: Role::Nas,
        keys: NAS_KEYS,
        trials: 200,
        run: Run::Nas { queries: 500 },
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "trainsize",
        role: Role::TrainSize,
        keys: MODEL_BASED_NLP,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).with_hpo(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "fidelity",
        role: Role::Fidelity,
        keys: LC_NLP,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "hybrid",
        role: Role::Hybrid,
        keys: &["lcsvr"],
        trials: 100,
        run: Run::eval(
            Sizes::Grid(Cut::Trim(1, 0)),
            Fids::Grid {
                without: None,
                cut: Cut::Trim(2, 0),
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "omni",
        role: Role::Omni,
        keys: &OMNI_KEYS,
        trials: 100,
        run: Run::eval(
            Sizes::Grid(Cut::Trim(1, 1)),
            Fids::Grid {
                without: Some(1),
                cut: Cut::All,
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "trainsize",
        role: Role::TrainSize,
        keys: MODEL_BASED,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).with_hpo(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "nas",
        role: Role::Nas,
        keys: NAS_KEYS_NB101,
        trials: 100,
        run: Run::Nas { queries: 500 },
        source: Source::Benchmark,
    },
    Plan {
        space: Darts,
        what: "trainsize",
        role: Role::TrainSize,
        keys: MODEL_BASED_NO_PARAMS,
        trials: 100,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).with_hpo(),
        source: Source::Benchmark,
    },
];

/// NB201's 16 model-based predictors without the neural ones (with the two baselines).
const NB201_TREES_GPS: &[&str] = &[
    "xgb",
    "lgb",
    "rf",
    "ngb",
    "gp",
    "sparse_gp",
    "var_sparse_gp",
    "bayes_lin_reg",
    "params",
    "random",
];
/// NB201's neural and Bayesian-neural model-based predictors.
const NB201_NEURAL: &[&str] = &[
    "mlp",
    "bananas",
    "gcn",
    "bonas",
    "dngo",
    "bohamiann",
    "nao",
    "seminas",
];
/// Learning-curve predictors that read validation accuracy / loss and training loss curves.
const LC_CHEAP: &[&str] = &["valacc", "valloss", "sotl", "sotle"];
/// The predictors of the NB201 preset's NAS runs: cheap fits, from trees to Bayesian linear
/// regression, so the runs show how much the predictor matters at a price the preset can pay.
const NB201_NAS_KEYS: &[&str] = &["xgb", "lgb", "rf", "ngb", "gp", "bayes_lin_reg"];
/// The learning-curve predictors' sizes on the mini-benchmark (100 architectures: 50 test).
const MINI_SIZES: Sizes = Sizes::Fixed(&[5, 8, 14, 24, 42]);

/// `--nb201`: NB201 CIFAR-10 at the paper's grid (see [`Mode::Nb201`]).
///
/// Trials: 20 for everything that fits in seconds; 10 (the floor) for the neural
/// predictors and OMNI (minutes per trial at n = 1000), the weight-sharing supernets (a
/// supernet trained per trial) and LCE / LCE-m (an MCMC curve fit per test architecture);
/// `--plan` prints what each costs. No hyperparameter search (the study's defaults). The cheap
/// experiments come first so an interrupted run already covers every family. The NB201 data
/// has the 12-epoch run as its only partial fidelity and no training losses, so the
/// learning-curve side of the NB201 map is `valacc` at 12 epochs; the curve findings come from
/// NAS-Bench-NLP, NB101 and the mini-benchmark, each its own experiment.
const NB201_PRESET: &[Plan] = &[
    Plan {
        space: Nb201,
        what: "trainsize",
        role: Role::TrainSize,
        keys: NB201_TREES_GPS,
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "zerocost",
        role: Role::ZeroCost,
        keys: ZC_TABLE,
        trials: 20,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "mutation",
        role: Role::Mutation,
        keys: CHEAP,
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data).on_mutations(),
        source: Source::Benchmark,
    },
    // The table-served zero-cost proxies use no training set: on the mutation sets they show
    // the test set's own effect, apart from the adjacent training sets the model-based
    // predictors get there (spec §2.4).
    Plan {
        space: Nb201,
        what: "mutation-zerocost",
        role: Role::Mutation,
        keys: ZC_TABLE,
        trials: 20,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Data).on_mutations(),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "fidelity",
        role: Role::Fidelity,
        keys: LC_CHEAP,
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "hybrid",
        role: Role::Hybrid,
        keys: &["lcsvr"],
        trials: 20,
        run: Run::eval(
            Sizes::Grid(Cut::Pick(&[3, 6, 9])),
            Fids::Grid {
                without: None,
                cut: Cut::Pick(&[3, 6, 9, 12]),
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb101,
        what: "fidelity",
        role: Role::Fidelity,
        keys: &["valacc"],
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "fidelity",
        role: Role::Fidelity,
        keys: LC_CHEAP,
        trials: 20,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Fixed(50)),
        source: Source::Nb201Mini,
    },
    Plan {
        space: Nb201,
        what: "hybrid",
        role: Role::Hybrid,
        keys: &["lcsvr"],
        trials: 20,
        run: Run::eval(MINI_SIZES, Fids::Default, TestSize::Fixed(50)),
        source: Source::Nb201Mini,
    },
    Plan {
        space: Nb201,
        what: "nas",
        role: Role::Nas,
        keys: NB201_NAS_KEYS,
        trials: 20,
        run: Run::Nas { queries: 300 },
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "trainsize-neural",
        role: Role::TrainSize,
        keys: NB201_NEURAL,
        trials: 10,
        run: Run::eval(ALL_SIZES, Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "omni",
        role: Role::Omni,
        keys: &["omni_ngb", "omni_seminas"],
        trials: 10,
        // the embedded NB201 data has one low fidelity (12 epochs)
        run: Run::eval(Sizes::Grid(Cut::Trim(1, 1)), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "ws",
        role: Role::ZeroCost,
        keys: &["rsws", "oneshot"],
        trials: 10,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nb201,
        what: "zerocost-computed",
        role: Role::ZeroCost,
        keys: ZC_COMPUTED,
        trials: 20,
        run: Run::eval(Sizes::Fixed(&[10]), Fids::Default, TestSize::Data),
        source: Source::Benchmark,
    },
    Plan {
        space: Nlp,
        what: "fidelity-lce",
        role: Role::Fidelity,
        keys: &["lce", "lce_m"],
        trials: 10,
        run: Run::eval(
            ALL_SIZES,
            Fids::Grid {
                without: Some(1),
                cut: Cut::Pick(&[2, 5, 8, 11]),
            },
            TestSize::Data,
        ),
        source: Source::Benchmark,
    },
];

/// The rows of a mode's suite.
fn plans(mode: Mode) -> &'static [Plan] {
    match mode {
        Mode::Quick => QUICK,
        Mode::Full => FULL,
        Mode::Nb201 => NB201_PRESET,
    }
}

impl Plan {
    /// The experiment this row describes (its keys checked against the registry).
    fn experiment(&self) -> Result<Experiment, ReproError> {
        let space = self.space;
        let dataset = dataset_of(space);
        let id = format!(
            "{}-{}-{}",
            self.source.prefix(space),
            dataset.name(),
            self.what
        );
        let keys = registered(&id, self.keys)?;
        let work = match self.run {
            Run::Eval {
                sizes,
                fids,
                test,
                test_set,
                hpo,
            } => {
                let (data_test, grid_sizes) = data_grid(space);
                let sizes = match sizes {
                    Sizes::Grid(cut) => cut.apply(&grid_sizes),
                    Sizes::Fixed(v) => v.to_vec(),
                };
                let fidelities = match fids {
                    Fids::Default => None,
                    Fids::Grid { without, cut } => {
                        let mut all = grid::fidelities(space);
                        if let Some(i) = without.filter(|&i| i < all.len()) {
                            all.remove(i);
                        }
                        Some(cut.apply(&all))
                    }
                };
                let test_size = match test {
                    TestSize::Data => data_test,
                    TestSize::Fixed(n) => n,
                };
                let mut c = eval_cfg(space, keys, sizes, fidelities, self.trials, test_size);
                c.test_set = test_set;
                if hpo {
                    c.hpo = HpoConfig::default();
                }
                Work::Eval(c)
            }
            Run::Nas { queries } => Work::Nas(nas_spec(&keys, self.trials, queries)),
        };
        Ok(Experiment {
            id,
            space,
            dataset,
            role: self.role,
            work,
            source: self.source,
        })
    }
}

/// NAS runs: random search and regularized evolution without a predictor, then BO and
/// evolution with each predictor; the report's checkpoints up to `queries`.
fn nas_spec(predictors: &[String], trials: usize, queries: usize) -> NasSpec {
    let config = |opt: OptimizerKind, predictor: Option<String>| {
        let mut c = SearchConfig::naslib(opt, predictor);
        c.queries = queries;
        c.trials = trials;
        c
    };
    let mut runs = vec![
        config(OptimizerKind::Rs, None),
        config(OptimizerKind::Re, None),
    ];
    for p in predictors {
        for opt in [OptimizerKind::Bo, OptimizerKind::Evolution] {
            runs.push(config(opt, Some(p.clone())));
        }
    }
    let checkpoints: Vec<usize> = [20, 50, 100, 200, 300, 500]
        .into_iter()
        .filter(|&q| q <= queries)
        .collect();
    NasSpec {
        runs,
        trials,
        checkpoints,
    }
}

impl Suite {
    /// The experiments of `mode` on `spaces` (in the order of the mode's table, whatever the
    /// order of `spaces`): the rows of the mode's table whose space is asked for.
    ///
    /// Fails with [`ReproError::UnknownPredictor`] if a key of the table is not in the
    /// registry.
    pub fn new(mode: Mode, spaces: &[SpaceKind]) -> Result<Suite, ReproError> {
        let mut experiments = Vec::new();
        for plan in plans(mode).iter().filter(|p| spaces.contains(&p.space)) {
            experiments.push(plan.experiment()?);
        }
        Ok(Suite {
            mode,
            spaces: spaces.to_vec(),
            experiments,
        })
    }
    /// The suite with every evaluation experiment timed under `accounting` (the experiments
    /// are built with the study default, [`naspred_eval::TimeAccounting::Naslib`]).
    pub fn with_time_accounting(mut self, accounting: naspred_eval::TimeAccounting) -> Suite {
        for e in &mut self.experiments {
            if let Work::Eval(cfg) = &mut e.work {
                cfg.time_accounting = accounting;
            }
        }
        self
    }

    /// Every unit of work, in a fixed order: experiment, trial, part.
    pub fn units(&self) -> Vec<Unit> {
        let mut out = Vec::new();
        for e in &self.experiments {
            let parts = e.parts();
            for trial in 0..e.trials() {
                for p in &parts {
                    out.push(Unit {
                        experiment: e.id.clone(),
                        part: p.clone(),
                        trial,
                    });
                }
            }
        }
        out
    }

    /// The suite without the experiments not named in `ids`; an id the suite does not have is
    /// an error listing the ones it has.
    pub fn only(mut self, ids: &[String]) -> Result<Suite, ReproError> {
        if let Some(bad) = ids.iter().find(|id| self.experiment(id).is_none()) {
            let known: Vec<&str> = self.experiments.iter().map(|e| e.id.as_str()).collect();
            return Err(ReproError::Config(format!(
                "--experiments: {bad:?} is not an experiment of the {} suite ({})",
                self.mode.name(),
                known.join(", ")
            )));
        }
        self.experiments.retain(|e| ids.contains(&e.id));
        Ok(self)
    }

    /// The experiment called `id`.
    pub fn experiment(&self, id: &str) -> Option<&Experiment> {
        self.experiments.iter().find(|e| e.id == id)
    }
}

/// One piece of work: a predictor (or search run) in one trial of one experiment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unit {
    /// Experiment id.
    pub experiment: String,
    /// Predictor key or search-run label.
    pub part: String,
    /// Trial.
    pub trial: usize,
}

/// Shard `index` of `count` (0-based: `--shard 0/4` .. `--shard 3/4`, as SLURM array ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = ReproError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            ReproError::Config(format!(
                "--shard {s:?}: expected i/n with 0 <= i < n (e.g. 0/4)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// This shard's units: every `count`-th unit starting at `index`.
    pub fn select(&self, units: &[Unit]) -> Vec<Unit> {
        units
            .iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index)
            .map(|(_, u)| u.clone())
            .collect()
    }

    /// The tag of this shard's files: empty when unsharded, else `.shard-i-of-n`.
    pub fn tag(&self) -> String {
        if self.count == 1 {
            String::new()
        } else {
            format!(".shard-{}-of-{}", self.index, self.count)
        }
    }
}

/// Where an experiment's evaluation records go for a shard.
pub fn results_path(out: &Path, exp: &str, shard: Shard) -> PathBuf {
    out.join(exp).join(format!("results{}.jsonl", shard.tag()))
}

/// One session of running an experiment's units (appended to `walltime.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `i/n`.
    pub shard: String,
    /// Units of this shard in the experiment.
    pub units: usize,
    /// Records (evaluations or search trials) produced in this session.
    pub produced: usize,
    /// Wall seconds.
    pub wall_s: f64,
    /// Worker threads.
    pub threads: usize,
    /// Unix time at the end.
    pub finished_unix: u64,
}

/// Settings of a run.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Output folder.
    pub out: PathBuf,
    /// This process's shard.
    pub shard: Shard,
    /// Data root override.
    pub data_dir: Option<PathBuf>,
    /// Progress bars.
    pub progress: bool,
    /// Builds the predictors (with the zero-cost settings and data root).
    pub registry: Registry,
}

/// Loads the benchmark of a space: the embedded NB201 table (compiled in) for NB201, else the
/// data root.
pub fn load_benchmark(
    space: SpaceKind,
    dataset: Dataset,
    source: Source,
    data_dir: Option<&Path>,
) -> Result<Benchmark, ReproError> {
    let bench = if source == Source::Nb201Mini {
        let path = DataRoot::resolve(data_dir).file(NB201_MINI)?;
        let b = naspred_train::bench::read_benchmark(&path)
            .map_err(|e| ReproError::io(&path, error_chain(&e)))?;
        if b.space() != space || b.dataset() != dataset {
            return Err(ReproError::Config(format!(
                "{}: a {} {} benchmark, not {space} {dataset}",
                path.display(),
                b.space(),
                b.dataset()
            )));
        }
        b
    } else if space == SpaceKind::Nb201 {
        naspred_data::embedded::load_default(dataset)?
    } else {
        naspred_data::shared::load(&DataRoot::resolve(data_dir), space, dataset)?
    };
    for w in bench.warnings() {
        eprintln!("naspred reproduce: warning: {w}");
    }
    Ok(bench)
}

/// Writes `OUT/suite.json`, or checks that an existing one is the same mode.
fn check_suite(out: &Path, suite: &Suite) -> Result<(), ReproError> {
    fs::create_dir_all(out).map_err(|e| ReproError::io(out, e))?;
    let path = out.join("suite.json");
    if path.exists() {
        let text = fs::read_to_string(&path).map_err(|e| ReproError::io(&path, e))?;
        let old: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ReproError::io(&path, e))?;
        if old.get("mode").and_then(|m| m.as_str()) != Some(suite.mode.name()) {
            return Err(ReproError::Config(format!(
                "{} holds a reproduction of another mode ({}); use another --out",
                out.display(),
                old.get("mode").and_then(|m| m.as_str()).unwrap_or("?")
            )));
        }
        // Union of the spaces run into this folder so far.
        let mut spaces: Vec<SpaceKind> = old
            .get("spaces")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or_default();
        for s in &suite.spaces {
            if !spaces.contains(s) {
                spaces.push(*s);
            }
        }
        let v = serde_json::json!({"mode": suite.mode, "spaces": spaces});
        return fs::write(&path, serde_json::to_string_pretty(&v).unwrap_or_default())
            .map_err(|e| ReproError::io(&path, e));
    }
    let v = serde_json::json!({"mode": suite.mode, "spaces": suite.spaces});
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap_or_default())
        .map_err(|e| ReproError::io(&path, e))
}

/// Reads `OUT/suite.json` back: the mode and spaces run into a folder.
pub fn read_suite(out: &Path) -> Result<(Mode, Vec<SpaceKind>), ReproError> {
    let path = out.join("suite.json");
    let text = fs::read_to_string(&path).map_err(|e| ReproError::io(&path, e))?;
    #[derive(Deserialize)]
    struct S {
        mode: Mode,
        spaces: Vec<SpaceKind>,
    }
    let s: S = serde_json::from_str(&text).map_err(|e| ReproError::io(&path, e))?;
    Ok((s.mode, s.spaces))
}

fn append_session(out: &Path, exp: &str, s: &Session) -> Result<(), ReproError> {
    let path = out.join(exp).join("walltime.jsonl");
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| ReproError::io(&path, e))?;
    let line = serde_json::to_string(s).map_err(|e| ReproError::io(&path, e))?;
    writeln!(f, "{line}").map_err(|e| ReproError::io(&path, e))
}

/// Errors recorded for an experiment by any shard.
pub fn read_errors(out: &Path, exp: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(out.join(exp))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("error"))
                .filter_map(|e| fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.dedup();
    v
}

/// Sessions recorded for an experiment.
pub fn read_sessions(out: &Path, exp: &str) -> Vec<Session> {
    let path = out.join(exp).join("walltime.jsonl");
    fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The folder of a search run's trials.
pub fn search_dir(out: &Path, exp: &str, label: &str) -> PathBuf {
    out.join(exp).join(label)
}

/// Takes this shard's lock in `out` (released when the process ends, even by a crash): two
/// processes running the same shard into the same folder would write the same files.
fn lock_shard(out: &Path, shard: Shard) -> Result<File, ReproError> {
    fs::create_dir_all(out).map_err(|e| ReproError::io(out, e))?;
    let path = out.join(format!(".lock-shard-{}-of-{}", shard.index, shard.count));
    let f = File::create(&path).map_err(|e| ReproError::io(&path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(fs::TryLockError::WouldBlock) => Err(ReproError::Config(format!(
            "another `naspred reproduce` is running shard {}/{} into {}; wait for it or use \
             another --out",
            shard.index,
            shard.count,
            out.display()
        ))),
        Err(fs::TryLockError::Error(e)) => Err(ReproError::io(&path, e)),
    }
}

/// Seconds between two heartbeats of a running process ([`ProcessRun`]).
pub const HEARTBEAT_S: u64 = 30;

/// One `naspred reproduce` process, as its heartbeat file `OUT/runs/<start>-shard-<i>-of-<n>.json`
/// records it: rewritten every [`HEARTBEAT_S`] seconds and when the process ends, so that the
/// wall time of a run that was killed is still known to within that interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessRun {
    /// `i/n`.
    pub shard: String,
    /// Unix time at the start.
    pub started_unix: u64,
    /// Unix time of the last heartbeat.
    pub alive_unix: u64,
    /// Worker threads.
    pub threads: usize,
    /// Whether the process ended on its own (false: killed, or still running).
    pub finished: bool,
}

impl ProcessRun {
    /// Wall seconds from the start to the last heartbeat.
    pub fn wall_s(&self) -> f64 {
        self.alive_unix.saturating_sub(self.started_unix) as f64
    }
}

/// Writes a [`ProcessRun`] heartbeat file while alive; dropping it writes the last one.
struct Heartbeat {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
    run: ProcessRun,
}

impl Heartbeat {
    fn start(out: &Path, shard: Shard) -> Result<Heartbeat, ReproError> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = out.join("runs");
        fs::create_dir_all(&dir).map_err(|e| ReproError::io(&dir, e))?;
        let started = now_unix();
        let run = ProcessRun {
            shard: format!("{}/{}", shard.index, shard.count),
            started_unix: started,
            alive_unix: started,
            threads: rayon::current_num_threads(),
            finished: false,
        };
        let path = dir.join(format!(
            "{started}-shard-{}-of-{}.json",
            shard.index, shard.count
        ));
        write_heartbeat(&path, &run)?;
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (flag, p, mut r) = (stop.clone(), path.clone(), run.clone());
        let handle = std::thread::spawn(move || loop {
            for _ in 0..HEARTBEAT_S {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            r.alive_unix = now_unix();
            // A failed heartbeat loses at most the wall time since the last one.
            let _ = write_heartbeat(&p, &r);
        });
        Ok(Heartbeat {
            stop,
            handle: Some(handle),
            path,
            run,
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.run.alive_unix = now_unix();
        self.run.finished = true;
        let _ = write_heartbeat(&self.path, &self.run);
    }
}

/// Writes a heartbeat file whole (a temporary file renamed over it).
fn write_heartbeat(path: &Path, run: &ProcessRun) -> Result<(), ReproError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string(run).map_err(|e| ReproError::io(path, e))?;
    fs::write(&tmp, text).map_err(|e| ReproError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| ReproError::io(path, e))
}

/// The processes that have run into `out` ([`ProcessRun`]), oldest first; unreadable files
/// are skipped.
pub fn read_process_runs(out: &Path) -> Vec<ProcessRun> {
    let mut v: Vec<ProcessRun> = fs::read_dir(out.join("runs"))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| fs::read_to_string(e.path()).ok())
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|r: &ProcessRun| (r.started_unix, r.shard.clone()));
    v
}

/// Runs this shard's units of every experiment; returns per experiment the session it ran.
pub fn run_suite(
    suite: &Suite,
    settings: &RunSettings,
) -> Result<Vec<(String, Session)>, ReproError> {
    check_suite(&settings.out, suite)?;
    let _lock = lock_shard(&settings.out, settings.shard)?;
    let _alive = Heartbeat::start(&settings.out, settings.shard)?;
    let all = suite.units();
    let mine = settings.shard.select(&all);
    let mut by_exp: BTreeMap<&str, Vec<&Unit>> = BTreeMap::new();
    for u in &mine {
        by_exp.entry(u.experiment.as_str()).or_default().push(u);
    }
    let mut benches: BTreeMap<(String, String), Benchmark> = BTreeMap::new();
    let mut done = Vec::new();
    let n_exp = suite.experiments.len();
    for (i, exp) in suite.experiments.iter().enumerate() {
        let Some(units) = by_exp.get(exp.id.as_str()) else {
            continue;
        };
        let key = (exp.source.prefix(exp.space), exp.dataset.name().to_string());
        if !benches.contains_key(&key) {
            let b = load_benchmark(
                exp.space,
                exp.dataset,
                exp.source,
                settings.data_dir.as_deref(),
            )?;
            benches.insert(key.clone(), b);
        }
        let bench = &benches[&key];
        let dir = settings.out.join(&exp.id);
        fs::create_dir_all(&dir).map_err(|e| ReproError::io(&dir, e))?;
        fs::write(
            dir.join("experiment.json"),
            serde_json::to_string_pretty(exp).unwrap_or_default(),
        )
        .map_err(|e| ReproError::io(&dir, e))?;
        if settings.progress {
            eprintln!(
                "naspred reproduce: [{}/{n_exp}] {} ({} units of shard {}/{})",
                i + 1,
                exp.id,
                units.len(),
                settings.shard.index,
                settings.shard.count
            );
        }
        let start = Instant::now();
        let produced: Result<usize, ReproError> = match &exp.work {
            Work::Eval(cfg) => {
                let path = results_path(&settings.out, &exp.id, settings.shard);
                let before = read_records(&path)?.len();
                let only: HashSet<(usize, String)> =
                    units.iter().map(|u| (u.trial, u.part.clone())).collect();
                // The experiment's zero-cost predictors compute each other's proxies in one
                // pass per architecture.
                protocol::run(
                    bench,
                    cfg,
                    &settings.registry.for_predictors(&cfg.predictors),
                    &RunOptions {
                        results: Some(path.clone()),
                        progress: crate::progress::eval_bar(settings.progress),
                        only: Some(only),
                    },
                )
                .map(|records| records.len().saturating_sub(before))
                .map_err(ReproError::from)
            }
            Work::Nas(spec) => run_nas(bench, exp, spec, units, settings),
        };
        // One experiment's failure (a grid the data cannot serve) does not stop the others;
        // the report shows it.
        let err_path = dir.join(format!("error{}.txt", settings.shard.tag()));
        let produced = match produced {
            Ok(n) => {
                let _ = fs::remove_file(&err_path);
                n
            }
            Err(e) => {
                eprintln!("naspred reproduce: {}: {e}", exp.id);
                fs::write(&err_path, e.to_string()).map_err(|e| ReproError::io(&err_path, e))?;
                0
            }
        };
        let session = Session {
            shard: format!("{}/{}", settings.shard.index, settings.shard.count),
            units: units.len(),
            produced,
            wall_s: start.elapsed().as_secs_f64(),
            threads: rayon::current_num_threads(),
            finished_unix: now_unix(),
        };
        if produced > 0 {
            append_session(&settings.out, &exp.id, &session)?;
        }
        done.push((exp.id.clone(), session));
    }
    Ok(done)
}

/// Runs the calibration evaluations of `suite` ([`cost::calibration_configs`]: one trial at
/// three train sizes and fidelities of each predictor, `test_size` test architectures) one
/// after the other and returns the cost table they measure, headed by `header`.
pub fn run_calibration(
    suite: &Suite,
    settings: &RunSettings,
    test_size: usize,
    header: Vec<String>,
) -> Result<cost::CostModel, ReproError> {
    let configs = cost::calibration_configs(suite, test_size);
    let mut records = Vec::new();
    let started = Instant::now();
    for (i, (exp, cfg)) in configs.iter().enumerate() {
        if settings.progress {
            eprintln!(
                "naspred reproduce --calibrate: [{}/{}] {}: {}",
                i + 1,
                configs.len(),
                exp.id,
                cfg.predictors.join(", ")
            );
        }
        let bench = load_benchmark(
            exp.space,
            exp.dataset,
            exp.source,
            settings.data_dir.as_deref(),
        )?;
        // One predictor at a time, so the process's CPU seconds belong to it; the zero-cost
        // predictors together, as a run computes them (one shared pass per architecture), the
        // CPU seconds shared in proportion to each one's share of the passes.
        for keys in calibration_groups(&cfg.predictors) {
            let mut one = cfg.clone();
            one.predictors = keys;
            let cpu0 = cost::process_cpu_s();
            let mut rs = protocol::run(
                &bench,
                &one,
                &settings.registry.for_predictors(&one.predictors),
                &RunOptions {
                    results: None,
                    progress: crate::progress::eval_bar(settings.progress),
                    only: None,
                },
            )?;
            cost::charge_cpu(&mut rs, cost::process_cpu_s() - cpu0);
            records.extend(rs);
        }
    }
    let mut header = header;
    header.push(format!(
        "{} evaluations in {:.0} s of wall time; seconds are CPU seconds of the process \
         (getrusage), shared among a predictor's grid points in proportion to their wall times",
        records.len(),
        started.elapsed().as_secs_f64()
    ));
    header.push(format!("after: {}", cost::machine_line()));
    Ok(cost::CostModel::from_records(header, &records))
}

/// The groups a calibration measures one after the other: every predictor alone, except the
/// zero-cost predictors, which form one group (they share their passes in a run).
fn calibration_groups(keys: &[String]) -> Vec<Vec<String>> {
    let (zc, other): (Vec<String>, Vec<String>) = keys
        .iter()
        .cloned()
        .partition(|k| Registry::zero_cost_proxy(k).is_some());
    let mut out: Vec<Vec<String>> = other.into_iter().map(|k| vec![k]).collect();
    if !zc.is_empty() {
        out.push(zc);
    }
    out
}

/// Runs the search units of a shard (one trial each, in parallel); finished trials are kept.
fn run_nas(
    bench: &Benchmark,
    exp: &Experiment,
    spec: &NasSpec,
    units: &[&Unit],
    settings: &RunSettings,
) -> Result<usize, ReproError> {
    let mut searchers = BTreeMap::new();
    let reg = &settings.registry;
    for cfg in &spec.runs {
        searchers.insert(cfg.label(), (cfg, Searcher::new(bench, reg, cfg)?));
    }
    let run_of = |u: &Unit| {
        searchers
            .get(&u.part)
            .ok_or_else(|| ReproError::Config(format!("{}: no search run {:?}", exp.id, u.part)))
    };
    let mut todo: Vec<&Unit> = Vec::new();
    for &u in units {
        let (cfg, _) = run_of(u)?;
        let dir = search_dir(&settings.out, &exp.id, &u.part);
        if naspred_search::finished_trial(&dir, u.trial, cfg, bench.len())?.is_none() {
            todo.push(u);
        }
    }
    let bar = if settings.progress {
        let b = ProgressBar::new(todo.len() as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} search trials ({eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let results: Vec<Result<(), ReproError>> = todo
        .par_iter()
        .map(|u| {
            let (_, searcher) = run_of(u)?;
            let dir = search_dir(&settings.out, &exp.id, &u.part);
            fs::create_dir_all(&dir).map_err(|e| ReproError::io(&dir, e))?;
            naspred_search::write_trial(searcher, u.trial, &dir)?;
            bar.inc(1);
            Ok(())
        })
        .collect();
    bar.finish_and_clear();
    for r in results {
        r?;
    }
    Ok(todo.len())
}

/// Reads the finished trials of a search run (missing trials are left out).
pub fn read_search_trials(
    out: &Path,
    exp: &str,
    label: &str,
    trials: usize,
) -> Result<Vec<Vec<naspred_search::QueryRecord>>, ReproError> {
    let dir = search_dir(out, exp, label);
    let mut v = Vec::new();
    for t in 0..trials {
        let f = naspred_search::trial_path(&dir, t);
        if f.exists() {
            v.push(read_trial(&f)?);
        }
    }
    Ok(v)
}

/// The family of a registered key (baseline for unknown keys).
pub fn family_of(key: &str) -> Family {
    Registry::info(key)
        .map(|i| i.family())
        .unwrap_or(Family::Baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_record_every_process_and_a_killed_one_to_its_last_beat() {
        let out = std::env::temp_dir().join(format!("naspred-heartbeat-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        let shard = Shard { index: 0, count: 1 };
        // A process that ends on its own.
        drop(Heartbeat::start(&out, shard).unwrap());
        // A process killed 2 minutes after its start, its last beat 90 s in.
        let killed = ProcessRun {
            shard: "0/1".into(),
            started_unix: 1_000,
            alive_unix: 1_090,
            threads: 2,
            finished: false,
        };
        write_heartbeat(&out.join("runs/1000-shard-0-of-1.json"), &killed).unwrap();
        fs::write(out.join("runs/garbage.json"), "{").unwrap();
        let runs = read_process_runs(&out);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0], killed);
        assert!(runs[1].finished && runs[1].alive_unix >= runs[1].started_unix);
        assert_eq!(runs[0].wall_s(), 90.0);
        let _ = fs::remove_dir_all(&out);
    }

    #[test]
    fn shards_cover_every_unit_exactly_once() {
        let suite = Suite::new(Mode::Full, &ALL_SPACES).unwrap();
        let all = suite.units();
        assert!(all.len() > 1000);
        for n in [1, 2, 3, 7, 64] {
            let mut seen: Vec<Unit> = Vec::new();
            for i in 0..n {
                let s = Shard { index: i, count: n };
                let part = s.select(&all);
                // Balanced to within one unit.
                assert!(part.len() >= all.len() / n && part.len() <= all.len() / n + 1);
                seen.extend(part);
            }
            assert_eq!(seen.len(), all.len());
            let set: HashSet<&Unit> = seen.iter().collect();
            assert_eq!(
                set.len(),
                all.len(),
                "a unit appears in two shards (n = {n})"
            );
            let all_set: HashSet<&Unit> = all.iter().collect();
            assert_eq!(set, all_set);
        }
        // Deterministic: the same suite gives the same partition.
        let again = Suite::new(Mode::Full, &ALL_SPACES).unwrap().units();
        assert_eq!(all, again);
    }

    #[test]
    fn shard_arguments_parse_and_reject() {
        assert_eq!(
            "2/5".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 5 }
        );
        for bad in ["5/5", "1", "a/2", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard::default().tag(), "");
        assert_eq!(Shard { index: 1, count: 4 }.tag(), ".shard-1-of-4");
    }

    #[test]
    fn quick_runs_omni_on_nlp_and_nb201() {
        let suite = Suite::new(Mode::Quick, &[SpaceKind::Nlp, SpaceKind::Nb201]).unwrap();
        let omni: Vec<&Experiment> = suite
            .experiments
            .iter()
            .filter(|e| e.role == Role::Omni)
            .collect();
        assert_eq!(omni.len(), 2);
        for e in omni {
            let Work::Eval(c) = &e.work else {
                panic!("OMNI is an evaluation")
            };
            assert_eq!(c.train_sizes.len(), 1);
            match e.space {
                SpaceKind::Nlp => {
                    assert_eq!(c.predictors, ["omni_ngb", "omni_ngb_valacc"]);
                    assert_eq!(c.fidelities.as_ref().map(Vec::len), Some(3));
                }
                SpaceKind::Nb201 => {
                    assert_eq!(c.predictors, ["omni_ngb"]);
                    assert_eq!(c.test_size, 30);
                    assert!(c.fidelities.is_none());
                }
                s => panic!("OMNI on {s:?}"),
            }
        }
    }

    #[test]
    fn the_nb201_preset_runs_every_family_at_the_paper_grid() {
        let suite = Suite::new(Mode::Nb201, &ALL_SPACES).unwrap();
        let nb201: Vec<&Experiment> = suite
            .experiments
            .iter()
            .filter(|e| e.space == SpaceKind::Nb201 && e.source == Source::Benchmark)
            .collect();
        let keys_of = |role: Role| -> Vec<String> {
            nb201
                .iter()
                .filter(|e| e.role == role)
                .flat_map(|e| e.parts())
                .collect()
        };
        // The 16 model-based predictors of the paper, at the 11 train sizes, 200 test archs.
        let model_based: Vec<String> = keys_of(Role::TrainSize)
            .into_iter()
            .filter(|k| family_of(k) == Family::ModelBased)
            .collect();
        assert_eq!(model_based.len(), 16, "{model_based:?}");
        for e in nb201.iter().filter(|e| e.role == Role::TrainSize) {
            let Work::Eval(c) = &e.work else {
                panic!("{}", e.id)
            };
            assert_eq!(c.train_sizes.len(), 11);
            assert_eq!(c.test_size, 200);
            assert!(c.trials >= 10);
        }
        // The 13 zero-cost proxies and both weight-sharing predictors.
        let zc = keys_of(Role::ZeroCost);
        let mut want: Vec<String> = ZERO_COST.iter().map(|k| k.to_string()).collect();
        want.extend(["rsws".to_string(), "oneshot".to_string()]);
        let mut got = zc.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(keys_of(Role::Omni), ["omni_ngb", "omni_seminas"]);
        assert_eq!(keys_of(Role::Fidelity), ["valacc"]);
        assert!(!keys_of(Role::Mutation).is_empty());
        assert!(nb201.iter().any(|e| e.role == Role::Nas));
        // The learning-curve experiments of the spaces with whole curves.
        for (space, source) in [
            (SpaceKind::Nlp, Source::Benchmark),
            (SpaceKind::Nb101, Source::Benchmark),
            (SpaceKind::Nb201, Source::Nb201Mini),
        ] {
            assert!(
                suite
                    .experiments
                    .iter()
                    .any(|e| e.space == space && e.source == source && e.role == Role::Fidelity),
                "{space:?} {source:?}"
            );
        }
        assert!(suite
            .experiments
            .iter()
            .any(|e| e.id == "nb201mini-cifar10-fidelity"));
        assert_eq!(Mode::Nb201.zc_batch(), Some(64));
    }

    #[test]
    fn unknown_keys_are_an_error() {
        assert_eq!(
            registered("x", &["xgb", "rf"]).unwrap(),
            vec!["xgb".to_string(), "rf".to_string()]
        );
        let err = registered("nb201-cifar10-trainsize", &["xgb", "no_such_predictor"]).unwrap_err();
        assert!(
            matches!(&err, ReproError::UnknownPredictor { experiment, key }
                if experiment == "nb201-cifar10-trainsize" && key == "no_such_predictor"),
            "{err}"
        );
    }

    #[test]
    fn every_key_of_every_suite_is_registered() {
        for mode in [Mode::Quick, Mode::Full, Mode::Nb201] {
            for plan in plans(mode) {
                for key in plan.keys {
                    assert!(Registry::info(key).is_ok(), "{mode:?} {}: {key}", plan.what);
                }
            }
            let suite = Suite::new(mode, &ALL_SPACES).unwrap();
            for e in &suite.experiments {
                assert!(!e.parts().is_empty(), "{} runs nothing", e.id);
                let keys: Vec<String> = match &e.work {
                    Work::Eval(c) => c.predictors.clone(),
                    Work::Nas(n) => n.runs.iter().filter_map(|r| r.predictor.clone()).collect(),
                };
                for key in keys {
                    assert!(Registry::info(&key).is_ok(), "{}: {key}", e.id);
                }
            }
        }
    }

    #[test]
    fn experiments_follow_the_space_order_and_ids_are_unique() {
        for mode in [Mode::Quick, Mode::Full, Mode::Nb201] {
            let backwards: Vec<SpaceKind> = ALL_SPACES.iter().rev().copied().collect();
            let a = Suite::new(mode, &ALL_SPACES).unwrap();
            let b = Suite::new(mode, &backwards).unwrap();
            assert_eq!(a.experiments, b.experiments);
            let ids: HashSet<&str> = a.experiments.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids.len(), a.experiments.len());
        }
    }

    #[test]
    fn suites_time_with_naslib_unless_told_otherwise() {
        use naspred_eval::TimeAccounting;
        let accountings = |s: &Suite| -> Vec<TimeAccounting> {
            s.experiments
                .iter()
                .filter_map(|e| match &e.work {
                    Work::Eval(c) => Some(c.time_accounting),
                    Work::Nas(_) => None,
                })
                .collect()
        };
        let suite = Suite::new(Mode::Quick, &ALL_SPACES).unwrap();
        let default = accountings(&suite);
        assert!(!default.is_empty());
        assert!(default.iter().all(|&a| a == TimeAccounting::Naslib));
        let full = suite.with_time_accounting(TimeAccounting::FullTraining);
        let full = accountings(&full);
        assert_eq!(full.len(), default.len());
        assert!(full.iter().all(|&a| a == TimeAccounting::FullTraining));
    }
}
