//! XGBoost: NASLib's `XGBoost` tree predictor (`naslib/predictors/trees/xgb.py`).
//!
//! * [`XgbParams`]: the booster configuration, NASLib's defaults and HPO sampler.
//! * [`XgbRegressor`]: a gradient-boosted tree regressor over a dense [`FeatureMatrix`], with
//!   the targets z-scored by the training mean and standard deviation and predictions mapped back
//!   (NASLib's `BaseTree.fit` / `query`).
//! * [`XgbPredictor`]: the `xgb` [`TabularPredictor`], which encodes architectures
//!   (`adjacency_one_hot` by default) and fits an [`XgbRegressor`].
//!
//! The booster is XGBoost 1.6.2 (bundled by `xgboost-rs`), configured as NASLib's Python call
//! `xgb.train(params, xgb.DMatrix(X, label=(y - mean) / std), num_boost_round=500)`, with two
//! additions: `nthread` (1 by default, since trials run in parallel) and `seed` (drawn from the
//! predictor's random stream; it only matters when a column subsample is below 1).
//!
//! NASLib's dict names no tree method and no base score, so what it runs depends on the XGBoost
//! it finds. The defaults here are those of current XGBoost (>= 2.0): the `hist` tree method
//! and, for `reg:squarederror`, a base score estimated as the label mean, which is 0 for the
//! z-scored labels. XGBoost 1.6's own defaults (`auto`, i.e. `exact` on one machine, and base
//! score 0.5) stay reachable through [`XgbParams::xgboost_1_6`]. On the 0/1 encodings every
//! feature has at most 256 distinct values, so `hist` finds the same split candidates as
//! `exact`; it only builds the gradient histograms faster (about 5x at n = 1000, see
//! `docs/measurements/neural-dngo-bohamiann-xgb.md`).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, TunableParams};
use naspred_eval::predictor::{Hyperparams, PredictorRng};
use rand::{Rng, RngCore};
use xgboost_rs::{Booster, DMatrix};

use crate::check::{check_training_set, check_width, ModelInputError};
use crate::features::FeatureMatrix;
use crate::tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};

/// NASLib's number of boosting rounds.
pub const DEFAULT_NUM_BOOST_ROUND: u32 = 500;

/// Why an XGBoost fit or prediction failed: the tree models' [`TreeError`], whose
/// [`TreeError::Xgboost`] carries the library's own messages.
pub type XgbError = TreeError;

impl From<xgboost_rs::XGBError> for TreeError {
    fn from(e: xgboost_rs::XGBError) -> Self {
        TreeError::Xgboost(e.to_string())
    }
}

/// Configuration of the gradient-boosted trees.
///
/// The fixed part of NASLib's parameter dict (`objective: reg:squarederror`, `eval_metric:
/// rmse`, `booster: gbtree`) is always sent; the fields below are the tunable part plus the
/// number of rounds and threads.
#[derive(Clone, Debug, PartialEq)]
pub struct XgbParams {
    /// Maximum tree depth (NASLib: 6).
    pub max_depth: u32,
    /// Minimum hessian sum in a child (NASLib: 1).
    pub min_child_weight: f64,
    /// Column subsample per tree, in (0, 1] (NASLib: 1).
    pub colsample_bytree: f64,
    /// Column subsample per tree level, in (0, 1] (NASLib: 1).
    pub colsample_bylevel: f64,
    /// Shrinkage `eta` (NASLib: 0.3).
    pub learning_rate: f64,
    /// Boosting rounds (NASLib: 500).
    pub num_boost_round: u32,
    /// XGBoost threads (1: trials already run in parallel; 0 lets XGBoost use every core).
    pub nthread: u32,
    /// XGBoost's `tree_method` (default [`XgbTreeMethod::Hist`], XGBoost >= 2.0's default).
    pub tree_method: XgbTreeMethod,
    /// XGBoost's `base_score`, the initial prediction on the z-scored labels (default 0, the
    /// label mean that XGBoost >= 2.0 estimates; XGBoost 1.6 used 0.5). Must be finite.
    pub base_score: f64,
}

/// XGBoost's `tree_method`: how split candidates are enumerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum XgbTreeMethod {
    /// `auto`: XGBoost 1.6's default, which is `exact` for a single in-memory matrix.
    Auto,
    /// `exact`: every distinct feature value is a split candidate (sorted column scans).
    Exact,
    /// `approx`: weighted quantile sketch, rebuilt every iteration.
    Approx,
    /// `hist`: features binned once into at most 256 quantile bins, histogram-based split
    /// search (XGBoost >= 2.0's default).
    #[default]
    Hist,
}

impl XgbTreeMethod {
    /// Every method, in declaration order.
    pub const ALL: [XgbTreeMethod; 4] = [
        XgbTreeMethod::Auto,
        XgbTreeMethod::Exact,
        XgbTreeMethod::Approx,
        XgbTreeMethod::Hist,
    ];

    /// The name XGBoost's `tree_method` parameter takes.
    pub fn as_str(self) -> &'static str {
        match self {
            XgbTreeMethod::Auto => "auto",
            XgbTreeMethod::Exact => "exact",
            XgbTreeMethod::Approx => "approx",
            XgbTreeMethod::Hist => "hist",
        }
    }
}

impl fmt::Display for XgbTreeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown `tree_method` name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown XGBoost tree method {0:?} (expected auto, exact, approx or hist)")]
pub struct UnknownTreeMethod(pub String);

impl FromStr for XgbTreeMethod {
    type Err = UnknownTreeMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        XgbTreeMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownTreeMethod(s.to_string()))
    }
}

impl Default for XgbParams {
    fn default() -> Self {
        XgbParams::naslib()
    }
}

impl XgbParams {
    /// Checks the values against XGBoost's ranges: the tunable fields against
    /// [`TunableParams::SPACE`], at least one boosting round and a finite base score.
    ///
    /// # Errors
    /// An [`HpError`] naming the first bad field.
    fn check(&self) -> Result<(), HpError> {
        Self::SPACE.validate(&self.to_hyperparams())?;
        if self.num_boost_round == 0 {
            return Err(HpError::invalid("num_boost_round", 0.0, "must be >= 1"));
        }
        if !self.base_score.is_finite() {
            return Err(HpError::invalid(
                "base_score",
                self.base_score,
                "must be finite",
            ));
        }
        Ok(())
    }

    /// The parameter strings handed to `XGBoosterSetParam` (floats in shortest round-trip form,
    /// as Python's `str`).
    fn booster_config(&self, seed: u64) -> HashMap<String, String> {
        [
            ("objective", "reg:squarederror".to_string()),
            ("eval_metric", "rmse".to_string()),
            ("booster", "gbtree".to_string()),
            ("max_depth", self.max_depth.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("colsample_bytree", self.colsample_bytree.to_string()),
            ("learning_rate", self.learning_rate.to_string()),
            ("colsample_bylevel", self.colsample_bylevel.to_string()),
            ("nthread", self.nthread.to_string()),
            ("tree_method", self.tree_method.as_str().to_string()),
            ("base_score", self.base_score.to_string()),
            ("seed", seed.to_string()),
            ("verbosity", "0".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A fitted booster and the target scaling it was fitted with.
struct FittedXgb {
    booster: Booster,
    mean: f64,
    std: f64,
    n_features: usize,
}

/// Gradient-boosted regression trees over a dense feature matrix, NASLib style.
///
/// [`XgbRegressor::fit`] z-scores the targets with their mean and population standard deviation
/// (`np.mean`, `np.std`) and trains `num_boost_round` rounds; [`XgbRegressor::predict`] returns
/// `prediction * std + mean`. A constant training target (std 0, where NASLib would produce NaN
/// labels and XGBoost would fail) is scaled by 1 instead, so every prediction is that constant.
///
/// ```no_run
/// use naspred_models::{FeatureMatrix, TabularParams, XgbParams, XgbRegressor};
/// let x = FeatureMatrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]).unwrap();
/// let mut reg = XgbRegressor::new(XgbParams::naslib());
/// reg.fit(&x, &[90.0, 80.0, 85.0], 0).unwrap();
/// let p = reg.predict(&x).unwrap();
/// assert_eq!(p.len(), 3);
/// ```
pub struct XgbRegressor {
    params: XgbParams,
    model: Option<FittedXgb>,
}

impl fmt::Debug for XgbRegressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XgbRegressor")
            .field("params", &self.params)
            .field("fitted", &self.model.is_some())
            .field("target_scaling", &self.target_scaling())
            .finish()
    }
}

impl Default for XgbRegressor {
    fn default() -> Self {
        XgbRegressor::new(XgbParams::naslib())
    }
}

impl XgbRegressor {
    /// An unfitted regressor.
    pub fn new(params: XgbParams) -> Self {
        XgbRegressor {
            params,
            model: None,
        }
    }

    /// `(mean, std)` used to standardise the training targets, once fitted.
    pub fn target_scaling(&self) -> Option<(f64, f64)> {
        self.model.as_ref().map(|m| (m.mean, m.std))
    }

    /// Fits on `x` (one row per sample) and targets `y`, with XGBoost's random `seed`.
    ///
    /// On error the previous model, if any, is discarded.
    ///
    /// # Errors
    /// [`ModelInputError::EmptyTrainingSet`], [`ModelInputError::LengthMismatch`], [`ModelInputError::NoFeatures`],
    /// [`ModelInputError::NonFiniteTarget`], [`TreeError::Hyperparam`], or [`TreeError::Xgboost`].
    pub fn fit(&mut self, x: &FeatureMatrix, y: &[f64], seed: u64) -> Result<(), TreeError> {
        self.model = None;
        self.params.check()?;
        check_training_set(x, y)?;
        let scaling = TargetScaling::fit(y);
        let labels: Vec<f32> = scaling.apply(y).into_iter().map(|v| v as f32).collect();

        let mut dtrain = dmatrix(x, self.params.nthread)?;
        dtrain.set_labels(&labels)?;
        let mut booster =
            Booster::new_with_json_config(&[&dtrain], self.params.booster_config(seed))?;
        for i in 0..self.params.num_boost_round {
            booster.update(&dtrain, i as i32)?;
        }
        self.model = Some(FittedXgb {
            booster,
            mean: scaling.mean,
            std: scaling.std,
            n_features: x.cols(),
        });
        Ok(())
    }

    /// Predictions for the rows of `x`, in target units.
    ///
    /// # Errors
    /// [`TreeError::NotFitted`], [`ModelInputError::FeatureCount`], or [`TreeError::Xgboost`].
    pub fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>, TreeError> {
        let m = self.model.as_ref().ok_or(TreeError::NotFitted)?;
        check_width(m.n_features, x.cols())?;
        let d = dmatrix(x, self.params.nthread)?;
        let raw = m.booster.predict(&d)?;
        if raw.len() != x.rows() {
            return Err(TreeError::Xgboost(format!(
                "{} predictions for {} rows",
                raw.len(),
                x.rows()
            )));
        }
        Ok(raw
            .into_iter()
            .map(|p| f64::from(p) * m.std + m.mean)
            .collect())
    }
}

/// A `DMatrix` of the row-major matrix with NaN as the missing value (as Python's
/// `xgb.DMatrix(X)`; `DMatrix::from_dense` would treat every 0 as missing).
fn dmatrix(x: &FeatureMatrix, nthread: u32) -> Result<DMatrix, TreeError> {
    if x.cols() == 0 {
        return Err(TreeError::Data(ModelInputError::NoFeatures));
    }
    let f = std::mem::size_of::<f32>();
    // `from_col_major_f32` takes explicit byte strides (array-interface style), so row-major
    // data is described by strides (cols * 4, 4).
    Ok(DMatrix::from_col_major_f32(
        x.as_slice(),
        x.cols() * f,
        f,
        x.rows(),
        x.cols(),
        i32::try_from(nthread).unwrap_or(0),
        f32::NAN,
    )?)
}

impl TabularParams for XgbParams {
    /// NASLib's defaults.
    fn naslib() -> Self {
        XgbParams {
            max_depth: 6,
            min_child_weight: 1.0,
            colsample_bytree: 1.0,
            colsample_bylevel: 1.0,
            learning_rate: 0.3,
            num_boost_round: DEFAULT_NUM_BOOST_ROUND,
            nthread: 1,
            tree_method: XgbTreeMethod::Hist,
            base_score: 0.0,
        }
    }
}

impl XgbParams {
    /// NASLib's defaults as XGBoost 1.6 ran them: tree method `auto` (`exact` here) and base
    /// score 0.5 (the behaviour of this crate before `hist` became the default).
    pub fn xgboost_1_6() -> Self {
        XgbParams {
            tree_method: XgbTreeMethod::Auto,
            base_score: 0.5,
            ..XgbParams::naslib()
        }
    }
}

impl TunableParams for XgbParams {
    /// `max_depth` (a `u32`; 0 is XGBoost's "no limit"), `min_child_weight` (>= 0),
    /// `colsample_bytree` and `colsample_bylevel` (in (0, 1]), `learning_rate` (log scale,
    /// >= 0). `num_boost_round` and `nthread` are not tuned (set them in the struct).
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("max_depth", 0.0, u32::MAX as f64),
        HpSpec::real("min_child_weight", 0.0, f64::INFINITY),
        HpSpec::real("colsample_bytree", 0.0, 1.0).open_below(),
        HpSpec::log_real("learning_rate", 0.0, f64::INFINITY),
        HpSpec::real("colsample_bylevel", 0.0, 1.0).open_below(),
    ]);

    /// The tunable hyperparameters by name (reported as `hp_<name>`).
    fn to_hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        hp.insert("max_depth".into(), f64::from(self.max_depth));
        hp.insert("min_child_weight".into(), self.min_child_weight);
        hp.insert("colsample_bytree".into(), self.colsample_bytree);
        hp.insert("learning_rate".into(), self.learning_rate);
        hp.insert("colsample_bylevel".into(), self.colsample_bylevel);
        hp
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "max_depth" => p.max_depth = v as u32,
                "min_child_weight" => p.min_child_weight = v,
                "colsample_bytree" => p.colsample_bytree = v,
                "colsample_bylevel" => p.colsample_bylevel = v,
                "learning_rate" => p.learning_rate = v,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.check()?;
        Ok(p)
    }

    /// One draw of NASLib's HPO sampler (spec §1.3): `max_depth` ∈ {1..14}, `min_child_weight`
    /// ∈ {1..9}, `colsample_bytree` ~ U(0,1), `learning_rate` ~ loguniform[1e-3, 0.5],
    /// `colsample_bylevel` ~ U(0,1), drawn in that order. Rounds, threads, tree method and base
    /// score are kept from `self`.
    ///
    /// The uniforms are drawn on (0, 1] rather than numpy's [0, 1) so that a draw is always a
    /// valid XGBoost subsample ratio (the two differ with probability 2⁻⁵³).
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        let max_depth = rng.random_range(1..=14u32);
        let min_child_weight = f64::from(rng.random_range(1..=9u32));
        let colsample_bytree = 1.0 - rng.random::<f64>();
        let learning_rate = loguniform(rng, 1e-3, 0.5);
        let colsample_bylevel = 1.0 - rng.random::<f64>();
        XgbParams {
            max_depth,
            min_child_weight,
            colsample_bytree,
            colsample_bylevel,
            learning_rate,
            ..self.clone()
        }
    }

    /// The tunable fields against [`TunableParams::SPACE`], at least one boosting round and a
    /// finite base score.
    fn validate(&self) -> Result<(), HpError> {
        self.check()
    }
}

impl TabularModel for XgbRegressor {
    type Params = XgbParams;
    const KEY: &'static str = "xgb";

    fn with_params(params: XgbParams) -> Self {
        XgbRegressor::new(params)
    }

    fn params(&self) -> &XgbParams {
        &self.params
    }

    /// Replaces the configuration and forgets any fitted model.
    fn set_params(&mut self, params: XgbParams) {
        self.params = params;
        self.model = None;
    }

    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Draws XGBoost's seed from `rng`, then fits.
    fn fit(
        &mut self,
        x: &FeatureMatrix,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), TreeError> {
        let seed = u64::from(rng.next_u32());
        XgbRegressor::fit(self, x, y, seed)
    }

    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError> {
        Ok((self.predict(x)?, None))
    }
}

/// The `xgb` predictor: XGBoost on the `adjacency_one_hot` encoding (NASLib's `XGBoost`).
///
/// Hyperparameters follow NASLib's `set_random_hyperparams` through
/// [`Predictor::tuning`](naspred_eval::predictor::Predictor::tuning): the first draw after
/// construction or a reset keeps the defaults, later draws come from
/// [`XgbParams::sample`](TunableParams::sample). NASLib's `hpo_wrapper` is off
/// for `xgb`, so the evaluator's cross-validation search does not apply by default.
pub type XgbPredictor = TabularPredictor<XgbRegressor>;
