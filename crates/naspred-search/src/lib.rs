//! naspred-search: predictor-guided neural architecture search on tabular benchmarks, as
//! NASLib's `benchmarks/nas_predictors` runs it: BANANAS-style Bayesian optimisation and
//! predictor-guided evolution with each performance predictor, against random search and
//! regularised evolution, every query answered from the benchmark (spec §4).
//!
//! ```
//! use naspred_data::{embedded, Dataset};
//! use naspred_eval::{Predictor, PredictorError, PredictorFactory, Requirements};
//! use naspred_models::RfPredictor;
//! use naspred_search::{OptimizerKind, SearchConfig, run_search};
//! use naspred_spaces::SpaceKind;
//!
//! /// Builds the surrogate the search fits at every step.
//! struct Forests;
//! impl PredictorFactory for Forests {
//!     fn build(&self, _: &str, _: SpaceKind, _: Dataset)
//!         -> Result<Box<dyn Predictor>, PredictorError> { Ok(Box::new(RfPredictor::new())) }
//!     fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
//!         Ok(Requirements::model_based())
//!     }
//! }
//!
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! let mut cfg = SearchConfig::naslib(OptimizerKind::Evolution, Some("rf".into()));
//! cfg.trials = 1;
//! cfg.queries = 60;
//! let run = run_search(&bench, &Forests, &cfg, None)?;
//! let best = run.trials[0].iter().map(|q| q.val_acc).fold(f64::MIN, f64::max);
//! println!("best validation accuracy after 60 queries: {best:.2} %");
//! assert!(best > 85.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Principal types
//!
//! * [`SearchConfig`]: the strategy ([`OptimizerKind`]: `bo`, `evolution`, `rs`, `re`), the
//!   predictor key, the [`Acquisition`] (ITS, UCB, EI, exploit), where the spread comes from
//!   ([`Uncertainty`]: ensemble or the predictor's own), budgets (queries, simulated time) and
//!   NASLib's defaults ([`SearchConfig::naslib`]).
//! * [`Searcher`]: one trial of a strategy on a [`naspred_data::Benchmark`], building
//!   predictors through a [`naspred_eval::PredictorFactory`]; [`Searcher::propose`] is one
//!   predictor-guided step (fit the ensemble, score the candidates, keep the top k).
//! * [`QueryRecord`]: one query and the best-so-far state after it (a JSON line).
//! * [`run_search`]: all trials in parallel (rayon), written per query and resumable;
//!   [`RunResult`], [`checkpoint`] / [`curve`] / [`render_table`] summarise them and
//!   [`plot_error_vs_queries`] (feature `plot`, on by default) draws the SVG plot.
//!
//! Spaces: NB201 is searched as the whole space (its benchmark holds every cell); the NB101,
//! DARTS and NLP benchmarks hold samples, so candidates are drawn from the sample and
//! mutations are accepted only inside it (NASLib's `load_labeled`); where no mutation of a
//! parent is in the sample a random sample member stands in (recorded as
//! [`Origin::RandomFallback`]). NLP cells cannot be mutated, so `evolution` and `re` refuse NLP.
//!
//! De-duplication: by default no architecture is queried twice in a trial. NASLib does not
//! de-duplicate (a repeat costs a query); `dedup: false` reproduces that.
//!
//! # Cargo features
//!
//! * `plot` (default): module [`plot`] and [`plot_error_vs_queries`], the SVG plot drawn with
//!   plotters. Without it (`default-features = false`) the crate has no plotting dependency;
//!   everything else stays.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acquisition;
pub mod config;
pub mod output;
#[cfg(feature = "plot")]
#[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
pub mod plot;
pub mod search;

pub use acquisition::{acquisition_values, ensemble_moments, top_k};
pub use config::{Acquisition, OptimizerKind, SearchConfig, SearchError, Uncertainty};
pub use output::{
    checkpoint, curve, finished_trial, read_trial, render_table, run_search, trial_path,
    write_trial, Checkpoint, RunResult,
};
#[cfg(feature = "plot")]
pub use plot::plot_error_vs_queries;
pub use search::{Batch, History, Origin, QueryRecord, Searcher};
