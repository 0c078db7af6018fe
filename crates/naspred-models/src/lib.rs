//! Model-based NAS performance predictors for naspred, with NASLib's defaults.
//!
//! # Principal types
//!
//! * [`XgbPredictor`]: the `xgb` predictor (NASLib `XGBoost`): gradient-boosted trees on the
//!   `adjacency_one_hot` encoding, a [`TabularPredictor`] implementing
//!   [`naspred_eval::predictor::Predictor`].
//! * [`XgbRegressor`]: the regressor behind it: XGBoost 1.6 (via `xgboost-rs`) over a dense
//!   [`FeatureMatrix`], targets z-scored with the training mean/std and predictions mapped back.
//! * [`XgbParams`]: booster configuration: NASLib's defaults ([`XgbParams::naslib`]: depth 6,
//!   min child weight 1, column subsamples 1, eta 0.3, 500 rounds) and its HPO sampler
//!   ([`XgbParams::sample`]).
//! * [`FeatureMatrix`] and the [`features`] helpers ([`encode_archs`], [`encode_inputs`]): turn
//!   architectures into the row-major `f32` matrices the models consume.
//! * Neural predictors on `tch` (module [`neural`]): [`MlpPredictor`] (`mlp`),
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
//! * [`LgbPredictor`] / [`LgbRegressor`] / [`LgbParams`]: the `lgb` predictor (NASLib
//!   `LGBoost`, GBDT-NAS defaults) on LightGBM 4.7 (`lightgbm3-sys`).
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

pub mod blr;
pub mod cart;
pub mod check;
pub mod features;
pub mod forest;
pub mod gp;
pub mod lgb;
pub mod linalg;
pub mod neural;
pub mod ngb;
pub mod tabular;
pub mod xgb;

pub use blr::{BayesLinReg, BlrError, BlrMode, BlrPredictor};
pub use cart::{BinnedMatrix, MaxFeatures, RegressionTree, TreeBuilder, TreeParams};
pub use check::{check_lengths, check_targets, check_training_set, check_width, ModelInputError};
pub use features::{encode_arch, encode_archs, encode_inputs, FeatureError, FeatureMatrix};
pub use forest::{ForestRegressor, RfParams, RfPredictor};
pub use gp::{
    ExactGp, ExactGpConfig, GpError, GpHyper, GpPredictor, SparseGp, SparseGpConfig, SparseKind,
};
pub use lgb::{LgbParams, LgbPredictor, LgbRegressor};
pub use neural::{
    BananasPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor, GcnPredictor,
    MlpPredictor, NeuralError, NeuralParams, SeminasPredictor,
};
pub use ngb::{LeafRule, NgbParams, NgbPredictor, NgbRegressor, NgbTrace};
pub use tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};
pub use xgb::{XgbError, XgbParams, XgbPredictor, XgbRegressor, DEFAULT_NUM_BOOST_ROUND};
