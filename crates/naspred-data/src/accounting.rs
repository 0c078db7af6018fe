//! Time accounting: how many benchmark seconds a training architecture and a partial training
//! cost, the two quantities behind the study's initialisation-time and query-time axes.
//!
//! # What NASLib logs (and so what the paper's axes are built from)
//!
//! NASLib's predictor evaluator (`naslib/defaults/predictor_evaluator.py`, `load_dataset` and
//! `single_evaluate`) queries `Metric.TRAIN_TIME` for every sampled architecture and logs
//! `train_time = np.sum(train_times)` over the `n` training architectures, next to the
//! predictor's wall-clock `fit_time` and per-architecture `query_time` (which, as its own
//! comment says, does not include any partial training). What `TRAIN_TIME` returns differs by
//! space:
//!
//! | space | `TRAIN_TIME` in NASLib | what one training architecture costs |
//! |---|---|---|
//! | NB201 | `cost_info['train_time']` of `nb201_*_full_training.pickle` | the **mean time of one epoch** (NB201's `T-train@epoch`): 7.2211 s for architecture 0 on CIFAR-10, whose 200-epoch total is 1444.2186 s |
//! | NB101 | `training_time` of the NB101 API at 108 epochs | the full 108-epoch run |
//! | DARTS | `runtime` of `nb301_full_training.pickle` | the full run |
//! | NLP | the `wall_times` list, summed by `np.sum` | the full 50-epoch run |
//!
//! So NASLib charges an NB201 training architecture one epoch and every other space's a full
//! training run. [`TimeAccounting::Naslib`] (the default) reproduces that;
//! [`TimeAccounting::FullTraining`] charges every space, NB201 included, the full schedule
//! (200 epochs for NB201: about 200 times more, on CIFAR-10 a mean of 1,828 s against 9.1 s).
//!
//! The partial training of a learning-curve or hybrid predictor's test architecture costs
//! `fidelity x` the architecture's per-epoch time under both accountings: NASLib does not log it,
//! and its authors' own NB201 code elsewhere (NAS-Bench-x11's NASLib fork) charges
//! `cost_info['train_time'] * epoch` for a partial run, which is the same rule.
//!
//! docs/measurements/time-axes.md gives the sources (repository, path, what is established and
//! what inferred) and the check against the paper's Figure 1.

use std::fmt;
use std::str::FromStr;

use naspred_spaces::SpaceKind;
use serde::{Deserialize, Serialize};

use crate::{ArchRecord, Benchmark, DataError};

/// Which benchmark seconds a training architecture costs (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeAccounting {
    /// NASLib's `TRAIN_TIME`: one epoch per NB201 training architecture (NB201's mean
    /// per-epoch time), the full training run for NB101, DARTS and NLP. The default: the
    /// paper's time axes are built from these numbers.
    #[default]
    Naslib,
    /// The full training schedule for every space (NB201: 200 epochs). What naspred used
    /// before this accounting was made selectable; records without a `time_accounting` field
    /// were timed this way.
    FullTraining,
}

impl TimeAccounting {
    /// Every accounting, the default first.
    pub const ALL: [TimeAccounting; 2] = [TimeAccounting::Naslib, TimeAccounting::FullTraining];

    /// The name used on the command line and in records (`naslib`, `full_training`).
    pub fn name(self) -> &'static str {
        match self {
            TimeAccounting::Naslib => "naslib",
            TimeAccounting::FullTraining => "full_training",
        }
    }

    /// The accounting of records and configurations written before the field existed
    /// ([`TimeAccounting::FullTraining`]); the serde default of those fields.
    pub fn legacy() -> Self {
        TimeAccounting::FullTraining
    }

    /// How many epochs of training one training architecture is charged in `space`, or `None`
    /// for the full schedule, whatever its length.
    pub fn charged_epochs(self, space: SpaceKind) -> Option<u32> {
        match (self, space) {
            (TimeAccounting::Naslib, SpaceKind::Nb201) => Some(1),
            _ => None,
        }
    }

    /// Benchmark seconds charged for one training architecture `rec` of `bench`: its full
    /// training time, or (NASLib on NB201) its mean per-epoch time. `None` when the benchmark
    /// has no time for it.
    pub fn train_cost_s(self, bench: &Benchmark, rec: &ArchRecord) -> Option<f64> {
        match self.charged_epochs(bench.space()) {
            Some(epochs) => rec
                .epoch_time_s(bench.total_epochs())
                .map(|t| t * epochs as f64),
            None => rec.train_time_s,
        }
    }

    /// Benchmark seconds of training `rec` for `epochs` epochs (a learning-curve predictor's
    /// partial training): `epochs x` its per-epoch time, under every accounting.
    pub fn partial_cost_s(self, bench: &Benchmark, rec: &ArchRecord, epochs: u32) -> Option<f64> {
        rec.epoch_time_s(bench.total_epochs())
            .map(|t| t * epochs as f64)
    }

    /// One sentence for a report: what a figure's time axes mean under this accounting.
    pub fn axis_note(self) -> &'static str {
        match self {
            TimeAccounting::Naslib => {
                "Time axes use NASLib's accounting: a training architecture costs its \
                 benchmark TRAIN_TIME as NASLib returns it (NB201: the mean time of one epoch; \
                 NB101, DARTS, NLP: the full training run), a partial training costs \
                 fidelity x the per-epoch time; the predictor's fit and query wall times are \
                 added."
            }
            TimeAccounting::FullTraining => {
                "Time axes use full-training accounting: a training architecture costs its \
                 full benchmark training run (NB201: 200 epochs), a partial training costs \
                 fidelity x the per-epoch time; the predictor's fit and query wall times are \
                 added."
            }
        }
    }
}

impl fmt::Display for TimeAccounting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeAccounting {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "naslib" => Ok(TimeAccounting::Naslib),
            "full_training" | "full" => Ok(TimeAccounting::FullTraining),
            _ => Err(DataError::UnknownTimeAccounting(s.to_string())),
        }
    }
}
