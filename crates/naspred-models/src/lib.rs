//! Model-based NAS performance predictors for naspred, with NASLib's defaults.
//!
//! ```
//! use naspred_data::{embedded, Dataset};
//! use naspred_eval::metrics::kendall_tau_b;
//! use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
//! use naspred_models::RfPredictor;
//! use naspred_spaces::SpaceKind;
//! use rand::SeedableRng;
//!
//! // 200 NAS-Bench-201 architectures to train on, 100 to rank.
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! let records = &bench.records()[..300];
//! let inputs: Vec<ArchInput> = records.iter().map(|r| ArchInput::bare(r.arch.clone())).collect();
//! let y: Vec<f64> = records.iter().map(|r| r.mean_val_acc()).collect();
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
//! let mut rf = RfPredictor::new(); // pure Rust: needs none of the optional back-ends
//! rf.fit(&inputs[..200], &y[..200], &mut ctx)?;
//! let scores = rf.query(&inputs[200..], &mut ctx)?;
//! let tau = kendall_tau_b(&y[200..], &scores);
//! println!("random forest, 200 training architectures: Kendall tau {tau:.3}");
//! assert!(tau > 0.4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Principal types
//!
//! * [`XgbPredictor`] (feature `xgboost`): the `xgb` predictor (NASLib `XGBoost`):
//!   gradient-boosted trees on the `adjacency_one_hot` encoding, a [`TabularPredictor`]
//!   implementing [`naspred_eval::predictor::Predictor`].
//! * [`XgbRegressor`]: the regressor behind it: XGBoost 1.6 (via `xgboost-rs`) over a dense
//!   [`FeatureMatrix`], targets z-scored with the training mean/std and predictions mapped back.
//! * [`XgbParams`]: booster configuration: NASLib's defaults ([`XgbParams::naslib`]: depth 6,
//!   min child weight 1, column subsamples 1, eta 0.3, 500 rounds; tree method `hist` and base
//!   score 0 as XGBoost >= 2.0, XGBoost 1.6's `exact` / 0.5 in [`XgbParams::xgboost_1_6`]) and
//!   its HPO sampler ([`XgbParams::sample`]).
//! * [`FeatureMatrix`] and the [`features`] helpers ([`encode_archs`], [`encode_inputs`]): turn
//!   architectures into the row-major `f32` matrices the models consume.
//! * Neural predictors on `tch` (module [`neural`], feature `torch`): [`MlpPredictor`] (`mlp`),
//!   [`BananasPredictor`] (`bananas`), [`GcnPredictor`] (`gcn`), [`BonasPredictor`] (`bonas`),
//!   [`SeminasPredictor`] (`seminas`, `nao`), [`DngoPredictor`] (`dngo`),
//!   [`BohamiannPredictor`] (`bohamiann`); errors [`NeuralError`]; the tunable configurations
//!   of the four with NASLib's HPO implement [`NeuralParams`]. Their QUIRK setting
//!   defaults to fixed (see the module docs for what faithful changes).
//! * [`GpPredictor`]: the Gaussian-process predictors `gp` (exact, [`ExactGp`]; marginal-
//!   likelihood hyperparameters by default, NASLib's prior draw as [`GpHyper::PriorDraw`]),
//!   `sparse_gp` and `var_sparse_gp` ([`SparseGp`], VFE or whitened variational, Adam-trained),
//!   with predictive standard deviations.
//! * [`BlrPredictor`]: `bayes_lin_reg`, pybnn's Bayesian linear regression ([`BayesLinReg`]) with
//!   evidence maximisation by Nelder-Mead, pybnn's quirks faithful ([`BlrMode`]) by default.
//! * [`LgbPredictor`] / [`LgbRegressor`] / [`LgbParams`] (feature `lightgbm`): the `lgb`
//!   predictor (NASLib `LGBoost`, GBDT-NAS defaults) on LightGBM 4.7 (`lightgbm3-sys`).
//! * [`NgbPredictor`] / [`NgbRegressor`] / [`NgbParams`]: the `ngb` predictor (NASLib
//!   `NGBoost`): natural-gradient boosting of a Normal, with a predictive standard deviation.
//! * [`RfPredictor`] / [`ForestRegressor`] / [`RfParams`]: the `rf` predictor (NASLib
//!   `RandomForestPredictor`, NAS-Bench-301 defaults), with the spread over trees as its std.
//! * [`RegressionTree`], [`TreeParams`], [`BinnedMatrix`]: the CART regression tree
//!   (scikit-learn `DecisionTreeRegressor` semantics) behind `ngb` and `rf` ([`cart`]).
//! * [`TabularPredictor`], [`TabularModel`], [`TargetScaling`]: the generic predictor over an
//!   encoded-architecture regressor with NASLib's z-scored targets ([`tabular`]); `xgb`, `lgb`,
//!   `ngb` and `rf` are all tabular predictors.
//! * Errors: [`ModelInputError`] (checks shared by every model, [`check`]), [`GpError`], [`BlrError`],
//!   [`TreeError`] (the tree models; [`XgbError`] is its
//!   alias), [`FeatureError`] (encoding); the [`Predictor`] methods wrap them in
//!   [`PredictorError`](naspred_eval::predictor::PredictorError).
//!
//! [`Predictor`]: naspred_eval::predictor::Predictor
//!
//! # Cargo features
//!
//! The heavy back-ends are optional; all three are in `default`. Without them
//! (`default-features = false`) the crate is pure Rust: no libtorch, no CMake, no C++ compiler,
//! and `gp`, `sparse_gp`, `var_sparse_gp`, `bayes_lin_reg`, `ngb`, `rf` and everything in
//! [`features`], [`tabular`], [`cart`], [`check`] and [`linalg`] remain.
//!
//! | feature    | provides | needs |
//! |------------|----------|-------|
//! | `torch`    | module [`neural`] (`mlp`, `bananas`, `gcn`, `bonas`, `seminas`, `nao`, `dngo`, `bohamiann`) | libtorch (`tch`) |
//! | `xgboost`  | module [`xgb`] (`xgb`: [`XgbPredictor`], [`XgbRegressor`], [`XgbParams`], [`XgbError`]) | CMake, C++, libclang (`xgboost-rs`) |
//! | `lightgbm` | module [`lgb`] (`lgb`: [`LgbPredictor`], [`LgbRegressor`], [`LgbParams`]) | CMake >= 3.28, C++ (`lightgbm3-sys`) |

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod blr;
pub mod cart;
pub mod check;
pub mod features;
pub mod forest;
pub mod gp;
#[cfg(feature = "lightgbm")]
#[cfg_attr(docsrs, doc(cfg(feature = "lightgbm")))]
pub mod lgb;
pub mod linalg;
#[cfg(feature = "torch")]
#[cfg_attr(docsrs, doc(cfg(feature = "torch")))]
pub mod neural;
pub mod ngb;
pub mod tabular;
#[cfg(feature = "xgboost")]
#[cfg_attr(docsrs, doc(cfg(feature = "xgboost")))]
pub mod xgb;

pub use blr::{BayesLinReg, BlrError, BlrMode, BlrPredictor};
pub use cart::{BinnedMatrix, MaxFeatures, RegressionTree, TreeBuilder, TreeParams};
pub use check::{check_lengths, check_targets, check_training_set, check_width, ModelInputError};
pub use features::{encode_arch, encode_archs, encode_inputs, FeatureError, FeatureMatrix};
pub use forest::{ForestRegressor, RfParams, RfPredictor};
pub use gp::{
    ExactGp, ExactGpConfig, GpError, GpHyper, GpPredictor, SparseGp, SparseGpConfig, SparseKind,
};
#[cfg(feature = "lightgbm")]
pub use lgb::{LgbParams, LgbPredictor, LgbRegressor};
#[cfg(feature = "torch")]
pub use neural::{
    BananasPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor, GcnPredictor,
    MlpPredictor, NeuralError, NeuralParams, SeminasPredictor,
};
pub use ngb::{LeafRule, NgbParams, NgbPredictor, NgbRegressor, NgbTrace};
pub use tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};
#[cfg(feature = "xgboost")]
pub use xgb::{
    UnknownTreeMethod, XgbError, XgbParams, XgbPredictor, XgbRegressor, XgbTreeMethod,
    DEFAULT_NUM_BOOST_ROUND,
};
