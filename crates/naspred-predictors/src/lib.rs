//! Every NAS performance predictor of the naspred study, by its NASLib key, as a library: the
//! [`Registry`] builds `xgb`, `valacc`, `jacov`, `omni_ngb`, ... for a search space and dataset,
//! without the `naspred` command-line tool.
//!
//! ```
//! use naspred_data::{embedded, Dataset};
//! use naspred_eval::protocol::inputs;
//! use naspred_eval::{Context, PredictorFactory, PredictorRng};
//! use naspred_predictors::Registry;
//! use naspred_spaces::SpaceKind;
//! use rand::SeedableRng;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The NAS-Bench-201 CIFAR-10 table bundled with naspred-data.
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! let registry = Registry::default();
//! let mut xgb = registry.build("xgb", SpaceKind::Nb201, Dataset::Cifar10)?;
//!
//! // 50 training architectures and 5 to rank, with what the predictor needs of them.
//! let reqs = registry.requirements("xgb")?;
//! let train_pos: Vec<usize> = (0..50).collect();
//! let train = inputs(&bench, &train_pos, &reqs, None)?;
//! let y: Vec<f64> = train_pos.iter().map(|&i| bench.records()[i].mean_val_acc()).collect();
//! let test = inputs(&bench, &[100, 200, 300, 400, 500], &reqs, None)?;
//!
//! let mut rng = PredictorRng::seed_from_u64(0);
//! let mut ctx = Context {
//!     space: SpaceKind::Nb201,
//!     dataset: Dataset::Cifar10,
//!     fidelity: None,
//!     total_epochs: bench.total_epochs(),
//!     unlabeled: &[],
//!     rng: &mut rng,
//! };
//! xgb.fit(&train, &y, &mut ctx)?;
//! let scores = xgb.query(&test, &mut ctx)?;
//! assert_eq!(scores.len(), 5);
//! assert!(scores.iter().all(|s| s.is_finite()));
//! # Ok(())
//! # }
//! ```
//!
//! # Principal types
//!
//! * [`Registry`]: every predictor by key; implements [`naspred_eval::PredictorFactory`],
//!   which the evaluation protocol (`naspred_eval::protocol`) and the searchers of
//!   `naspred-search` use to build a fresh predictor per trial. [`Registry::all`] lists the
//!   entries ([`PredictorInfo`]: key, description, requirements, family).
//! * [`RegistrySettings`]: what the registry hands the predictors it builds, as plain data:
//!   the zero-cost settings ([`naspred_zerocost::ZeroCostSettings`]: batch size, seed, device,
//!   score cache, images) and the data root. Nothing is read from the environment; the
//!   `naspred` CLI fills these from its flags and `NASPRED_ZC_*` / `NASPRED_DATA`.
//! * [`BuildContext`]: what an entry's build function receives (key, space, dataset,
//!   settings).
//! * [`omni`]: OMNI, `omni_ngb` ([`omni::OmniNgb`]; NASLib's test-set scaling as
//!   `omni_ngb_faithful`, the extra validation-accuracy feature as `omni_ngb_valacc`) and
//!   `omni_seminas` ([`omni::OmniSeminas`]): model-based learners fed with jacov and SoTL-E.
//! * [`baselines`]: the benchmark-side references `params` (parameter count) and `random`.
//!
//! The predictors themselves live in `naspred-models` (model-based), `naspred-lcurve`
//! (learning-curve), `naspred-zerocost` (zero-cost) and `naspred-train` (weight sharing).
//!
//! # Adding a predictor
//!
//! It takes one new file and one registry line:
//!
//! 1. a file (say `src/median.rs`) with a type implementing [`naspred_eval::Predictor`];
//! 2. one line in the matching group of `src/registry.rs` (`model_based`, `learning_curve`,
//!    `hybrid`, `baselines`, `zero_cost` or `weight_sharing`), where the list keeps its order:
//!    `v.push(entry("median", "the training median for every architecture", || Requirements::baseline(false), |c| Box::new(Median::new(c.key))));`
//!
//! The key is written once (the build function reads it as `c.key`), the family comes from
//! the requirements, and the registry's tests check, for every key and every space and
//! dataset of the study, that the built predictor reports that key and those requirements.
//! The same line, outside the registry:
//!
//! ```
//! use naspred_data::Dataset;
//! use naspred_eval::{ArchInput, Context, Family, Predictor, PredictorError, Requirements};
//! use naspred_predictors::{entry, BuildContext, RegistrySettings};
//! use naspred_spaces::SpaceKind;
//!
//! // src/median.rs
//! /// Scores every architecture with the median training accuracy.
//! pub struct Median {
//!     key: &'static str,
//!     median: Option<f64>,
//! }
//!
//! impl Median {
//!     pub fn new(key: &'static str) -> Self {
//!         Median { key, median: None }
//!     }
//! }
//!
//! impl Predictor for Median {
//!     fn key(&self) -> &str {
//!         self.key
//!     }
//!     fn requirements(&self) -> Requirements {
//!         Requirements::baseline(false)
//!     }
//!     fn fit(&mut self, _: &[ArchInput], y: &[f64], _: &mut Context<'_>) -> Result<(), PredictorError> {
//!         let mut y = y.to_vec();
//!         y.sort_by(f64::total_cmp);
//!         self.median = y.get(y.len() / 2).copied();
//!         Ok(())
//!     }
//!     fn query(&mut self, test: &[ArchInput], _: &mut Context<'_>) -> Result<Vec<f64>, PredictorError> {
//!         Ok(vec![self.median.unwrap_or(0.0); test.len()])
//!     }
//! }
//!
//! // src/registry.rs, one line:
//! let info = entry("median", "the training median for every architecture", || Requirements::baseline(false), |c| Box::new(Median::new(c.key)));
//!
//! let settings = RegistrySettings::default();
//! let ctx = BuildContext { key: info.key, space: SpaceKind::Nb201, dataset: Dataset::Cifar10, settings: &settings };
//! let p = (info.build)(&ctx);
//! assert_eq!(p.key(), "median");
//! assert_eq!(p.requirements(), (info.requirements)());
//! assert_eq!(info.family(), Family::Baseline);
//! ```

pub mod baselines;
#[cfg(feature = "torch")]
pub mod omni;
pub mod registry;

#[cfg(feature = "torch")]
pub use naspred_zerocost::ZeroCostSettings;
pub use registry::{entry, BuildContext, BuildFn, PredictorInfo, Registry, RegistrySettings};
